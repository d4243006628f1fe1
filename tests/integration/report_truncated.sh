#!/usr/bin/env bash
# timeout: 60
# A controller killed mid-run leaves stats.log without its end record and maybe with half a
# last line: `barrage report` still builds every file from the complete intervals, with a
# notice, and exits as the thresholds say (not as an error). Also: late records are added to
# their interval, and intervals that never arrived show as gaps.
source "$(dirname "$0")/../lib.sh"

"$BARRAGE" report --help >/dev/null 2>&1 || skip "barrage report is not wired in this build"
export BARRAGE_GNUPLOT=/nonexistent/gnuplot
src=$TESTS_SRC/fixtures/runs/basic/stats.log

# Header + intervals 0 and 1 + half of interval 2, no end record.
run=$TEST_DIR/cut; mkdir -p "$run"
head -n 3 "$src" >"$run/stats.log"        # header, i0, i1
sed -n 5p "$src" | head -c 150 >>"$run/stats.log"   # the cut line (no newline)
set +e; "$BARRAGE" report "$run" >"$TEST_DIR/cut.out" 2>"$TEST_DIR/cut.err"; rc=$?; set -e
cat "$TEST_DIR/cut.out" "$TEST_DIR/cut.err"
[ "$rc" -eq 0 ] || [ "$rc" -eq 1 ] || fail "truncated stats.log: exit $rc"
for f in summary.json tsung.log report.html junit.xml; do [ -s "$run/$f" ] || fail "no $f"; done
grep -q 'cut line (line 4)' "$TEST_DIR/cut.err" || fail "no notice about the cut line"
grep -q 'no end record' "$TEST_DIR/cut.err" || fail "no notice about the missing end"
# On stdout too, beside the figures (scripts read stdout): the run did not finish.
grep -q 'WARNING: the run did not finish' "$TEST_DIR/cut.out" || fail "stdout does not say the run did not finish"
assert_json "$run/summary.json" '.truncated == true and .end_reason == "truncated" and .intervals == 2'
assert_json "$run/summary.json" '.stats.request.count == 60 and .duration_s == 20'
assert_json "$run/summary.json" '[.notices[] | select(test("cut line"))] | length == 1'
grep -q 'Notice:</strong> stats.log ends with a cut line' "$run/report.html" || fail "report shows no notice"

# Cut right after a complete line: only the missing end record is noticed.
run=$TEST_DIR/noend; mkdir -p "$run"
head -n 2 "$src" >"$run/stats.log"
"$BARRAGE" report -q "$run" 2>"$TEST_DIR/noend.err" || true
assert_json "$run/summary.json" '.truncated == true and .stats.request.count == 20'

# A late record for interval 1 (an agent that reported late) adds to it; interval 1 missing
# entirely from a second run shows as a gap.
run=$TEST_DIR/late; mkdir -p "$run"
{ head -n 3 "$src"
  echo '{"type":"late","i":1,"interval_s":10,"nagents":1,"hists":{"request":{"n":2,"sum":1000,"sumsq":500000,"min":500,"max":500,"b":[500,2]}},"counters":{"http_200":2}}'
  tail -n +4 "$src"; } >"$run/stats.log"
"$BARRAGE" report -q "$run" 2>/dev/null || true
assert_json "$run/summary.json" '.stats.request.count == 72 and .http_status["200"] == 68 and .gaps == []'
run=$TEST_DIR/gap; mkdir -p "$run"
grep -v '"i":1,' "$src" >"$run/stats.log"
"$BARRAGE" report -q "$run" 2>"$TEST_DIR/gap.err" || true
assert_json "$run/summary.json" '.gaps == [1] and .intervals == 3 and .stats.request.count == 30'
grep -q '1 of 3 intervals have no statistics' "$TEST_DIR/gap.err" || fail "no gap notice"
grep -q '10&ndash;20 s' "$run/report.html" || fail "report lists the gap"

# An agent lost after interval 0 (the last record), its statistics missing for intervals 1 and
# 2 (an agent_lost event with "missing"), then a spool collected for interval 1 only: the
# missing intervals are gaps, even past the last record; the bound is reported until a complete
# spool cancels it.
run=$TEST_DIR/lost; mkdir -p "$run"
{ head -n 2 "$src"
  echo '{"type":"event","t":12.0,"agent":"local-2","what":"agent_lost","detail":"silent","missing":[1,2],"uncounted_max":40}'
  tail -n 1 "$src"; } >"$run/stats.log"
"$BARRAGE" report -q "$run" 2>/dev/null || true
assert_json "$run/summary.json" '.gaps == [1,2] and .intervals == 3 and .uncounted.requests_max == 40 and .uncounted.intervals == [1,2]'
grep -q 'data-cell="uncounted"' "$run/report.html" || fail "the report does not mark the uncounted intervals"
{ cat "$run/stats.log"
  sed -n 3p "$src" | sed 's/"type":"interval"/"type":"late"/'
  echo '{"type":"event","t":0,"agent":"local-2","what":"spool_collected","detail":"1 interval","intervals":[1],"complete":false}'; } >"$run/s2"
mv "$run/s2" "$run/stats.log"
"$BARRAGE" report -q "$run" 2>/dev/null || true
assert_json "$run/summary.json" '.gaps == [2] and .uncounted.requests_max == 40 and .stats.request.count == 60'
echo '{"type":"event","t":0,"agent":"local-2","what":"spool_collected","detail":"done","intervals":[],"complete":true}' >>"$run/stats.log"
"$BARRAGE" report -q "$run" 2>/dev/null || true
assert_json "$run/summary.json" '.gaps == [2] | not' 
assert_json "$run/summary.json" '.uncounted.requests_max == 0 and .uncounted.intervals == []'
echo ok
