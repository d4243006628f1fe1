#!/usr/bin/env bash
# timeout: 60
# Threshold verdicts from stats.log: all passing gives exit 0 and a JUnit file with no failure;
# failing ones give exit 1 and one <failure> each; a threshold that cannot be evaluated (no data,
# bad syntax in a hand-edited stats.log) fails rather than passes; no thresholds, no junit.xml.
source "$(dirname "$0")/../lib.sh"

"$BARRAGE" report --help >/dev/null 2>&1 || skip "barrage report is not wired in this build"
export BARRAGE_GNUPLOT=/nonexistent/gnuplot   # charts are not what this test is about

# All pass: request.p95 2 ms < 5ms, errors 3/70 = 4.3% < 5%, http_5xx 4 <= 4, rate 2.33 > 2/s.
run=$TEST_DIR/pass; mkdir -p "$run"; cp "$TESTS_SRC/fixtures/runs/passing/stats.log" "$run/"
"$BARRAGE" report "$run" >"$TEST_DIR/pass.out" 2>&1 || { cat "$TEST_DIR/pass.out"; fail "passing thresholds: exit $?"; }
grep -q 'thresholds: 4 passed, 0 failed' "$TEST_DIR/pass.out" || fail "verdict summary"
grep -q 'threshold ok   http_5xx.count <= 4 (measured 4)' "$TEST_DIR/pass.out" || fail "http_5xx class sums 5NN codes"
grep -q 'threshold ok   request.rate > 2/s (measured 2.33/s)' "$TEST_DIR/pass.out" || fail "rate verdict"
grep -q 'tests="4" failures="0"' "$run/junit.xml" || fail "junit: no failure expected"
! grep -q '<failure' "$run/junit.xml" || fail "junit has a failure"
assert_json "$run/summary.json" '[.thresholds[].ok] == [true,true,true,true] and .thresholds_failed == 0'
grep -q 'data-cell="verdict">THRESHOLDS PASSED' "$run/report.html" || fail "report verdict"

# Failing: exit 1, JUnit failures name the measured value.
run=$TEST_DIR/fail; mkdir -p "$run"; cp "$TESTS_SRC/fixtures/runs/basic/stats.log" "$run/"
set +e; "$BARRAGE" report -q "$run"; rc=$?; set -e
assert_eq "$rc" 1 "failing thresholds exit code"
grep -q 'failures="2"' "$run/junit.xml" || fail "junit failure count"
grep -q '<failure message="errors.rate = 4.11%, expected &lt; 1%"' "$run/junit.xml" || fail "junit failure text"

# No data and invalid: both fail (a gate must not pass on a run that measured nothing).
run=$TEST_DIR/nodata; mkdir -p "$run"
jq -c 'if .type == "header" then .thresholds = [
         {"metric":"tr_checkout.p95","condition":"< 1s"},
         {"metric":"request.p95","condition":"<< 5ms"},
         {"metric":"http_4xx.count","condition":"== 0"}] else . end' \
  "$TESTS_SRC/fixtures/runs/basic/stats.log" >"$run/stats.log"
set +e; "$BARRAGE" report "$run" >"$TEST_DIR/nodata.out" 2>&1; rc=$?; set -e
cat "$TEST_DIR/nodata.out"
assert_eq "$rc" 1 "thresholds without data fail"
assert_json "$run/summary.json" '[.thresholds[].ok] == [false,false,true]'
assert_json "$run/summary.json" '.thresholds[0].error == "no data for tr_checkout" and .thresholds[0].value == null'
assert_json "$run/summary.json" '.thresholds[1].error | test("threshold")'
grep -q 'failures="2"' "$run/junit.xml" || fail "junit counts no-data and invalid as failures"

# No thresholds: exit 0 and no junit.xml.
run=$TEST_DIR/none; mkdir -p "$run"
jq -c 'if .type == "header" then del(.thresholds) else . end' \
  "$TESTS_SRC/fixtures/runs/basic/stats.log" >"$run/stats.log"
"$BARRAGE" report -q "$run" || fail "no thresholds: exit $?"
[ ! -e "$run/junit.xml" ] || fail "junit.xml without thresholds"
assert_json "$run/summary.json" '.thresholds == []'
grep -q 'The scenario sets no thresholds' "$run/report.html" || fail "report says no thresholds"
# Without gnuplot the report still renders, with a note instead of charts.
grep -q 'Charts are missing' "$run/report.html" || fail "no note about missing gnuplot"
grep -q 'Main Statistics' "$run/report.html" || fail "tables missing without gnuplot"

# A malformed threshold in a scenario is a scenario error (exit 2) naming file:line:col, before
# any load is sent.
cat >"$TEST_DIR/bad.yaml" <<'YAML'
name: bad-threshold
target: http://127.0.0.1:9
load: { users: 1, duration: 1s }
sessions:
  - name: s
    steps:
      - request: { url: / }
thresholds:
  request.p95: "<< 50ms"
YAML
sed 's/request.p95: "<< 50ms"/request.p97: "< 50ms"/' "$TEST_DIR/bad.yaml" >"$TEST_DIR/bad2.yaml"
for f in bad bad2; do
  set +e; "$BARRAGE" check "$TEST_DIR/$f.yaml" >/dev/null 2>"$TEST_DIR/$f.err"; rc=$?; set -e
  cat "$TEST_DIR/$f.err"
  assert_eq "$rc" 2 "$f.yaml: malformed threshold exit code"
  grep -qE "$f\.yaml:9:[0-9]+: threshold" "$TEST_DIR/$f.err" || fail "$f.yaml: no file:line:col"
done
echo ok
