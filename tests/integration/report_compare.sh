#!/usr/bin/env bash
# timeout: 60
# `barrage compare`: a run against itself is within any limit (exit 0); the basic fixture
# against a baseline whose times are all 0.8x is a 25% latency regression: p95=10% is
# exceeded (exit 1), p95=30% is not. Rates and counts shrinking count as regressions too. A
# baseline kept as summary.json alone (no stats.log) works the same.
source "$(dirname "$0")/../lib.sh"

"$BARRAGE" report --help >/dev/null 2>&1 || skip "barrage report is not wired in this build"
export BARRAGE_GNUPLOT=/nonexistent/gnuplot
base=$TEST_DIR/base new=$TEST_DIR/new
mkdir -p "$base" "$new"
cp "$TESTS_SRC/fixtures/runs/baseline/stats.log" "$base/"
cp "$TESTS_SRC/fixtures/runs/basic/stats.log" "$new/"

"$BARRAGE" compare "$new" "$new" --max-regression p95=10%,rate=5%,errors=1% >"$TEST_DIR/same.txt" \
  || { cat "$TEST_DIR/same.txt"; fail "self-compare: exit $?"; }
grep -q 'within the regression limits' "$TEST_DIR/same.txt" || fail "self-compare verdict"
[ -s "$new/compare.html" ] || fail "no compare.html"

set +e
"$BARRAGE" compare "$base" "$new" --max-regression p95=10%,rate=5% >"$TEST_DIR/reg.txt"; rc=$?
set -e
cat "$TEST_DIR/reg.txt"
assert_eq "$rc" 1 "a 25% p95 regression over a 10% limit"
grep -q 'limit EXCEEDED  request.p95_ms 10%: request.p95_ms 1.6 -> 2 (up 25.0%, limit 10%)' "$TEST_DIR/reg.txt" || fail "regression line"
grep -q 'limit ok        request.rate 5%' "$TEST_DIR/reg.txt" || fail "rate unchanged is ok"
grep -qE '^request\.p95 +1\.6 ms +2 ms +\+0\.4 ms +\+25\.0%' "$TEST_DIR/reg.txt" || fail "side-by-side row"
grep -qE '^http_200 +66 +66 +\+0 +\+0\.0%' "$TEST_DIR/reg.txt" || fail "status code row"
grep -q 'data-cell="limit.request.p95_ms"><span class="badge fail">EXCEEDED' "$new/compare.html" || fail "compare.html verdict"

"$BARRAGE" compare "$base" "$new" --max-regression p95=30%,tr_login.p99=30%,count=1% --out "$TEST_DIR/c.html" >/dev/null \
  || fail "25% is within a 30% limit: exit $?"
[ -s "$TEST_DIR/c.html" ] || fail "--out ignored"

# The other direction: latencies improve, which is no regression.
set +e
"$BARRAGE" compare "$new" "$base" --max-regression p99=1% >/dev/null; rc=$?
set -e
assert_eq "$rc" 0 "faster is not a regression"

# A baseline stored as summary.json only.
"$BARRAGE" report -q "$base" >/dev/null 2>&1 || true
mkdir -p "$TEST_DIR/stored"; cp "$base/summary.json" "$TEST_DIR/stored/"
set +e
"$BARRAGE" compare "$TEST_DIR/stored" "$new" --max-regression p95=10% >/dev/null; rc=$?
set -e
assert_eq "$rc" 1 "summary.json-only baseline"
echo ok
