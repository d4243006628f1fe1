#!/usr/bin/env bash
# timeout: 60
# Wrong input to `barrage report` and `barrage compare` is a clear error (exit 2) naming the
# file, line and problem; never a crash.
source "$(dirname "$0")/../lib.sh"

"$BARRAGE" report --help >/dev/null 2>&1 || skip "barrage report is not wired in this build"
export BARRAGE_GNUPLOT=/nonexistent/gnuplot
src=$TESTS_SRC/fixtures/runs/basic/stats.log

expect_error() { # NAME STATS_LOG_CONTENT PATTERN
  local dir=$TEST_DIR/$1 rc
  mkdir -p "$dir"; printf '%s' "$2" >"$dir/stats.log"
  set +e; "$BARRAGE" report "$dir" >"$dir/out" 2>"$dir/err"; rc=$?; set -e
  [ "$rc" = 2 ] || { cat "$dir/err"; fail "$1: exit $rc, expected 2"; }
  grep -q -- "$3" "$dir/err" || { cat "$dir/err"; fail "$1: message does not match '$3'"; }
  echo "$1: $(cat "$dir/err")"
}
hdr=$(head -n 1 "$src")
expect_error empty '' 'empty: no header record'
expect_error noheader "$(sed -n 2p "$src")"$'\n' 'stats.log:1: the first record must be the header'
expect_error garbage "$hdr"$'\n''not json'$'\n'"$(sed -n 2p "$src")"$'\n' 'stats.log:2:'
expect_error notype "$hdr"$'\n''{"i":0}'$'\n' 'stats.log:2: record has no "type"'
expect_error badidx "$hdr"$'\n''{"type":"interval","i":-3}'$'\n' '"i" must be an interval index'
expect_error hugeidx "$hdr"$'\n''{"type":"interval","i":99999999}'$'\n' '"i" must be an interval index'
expect_error badhist "$hdr"$'\n''{"type":"interval","i":0,"interval_s":10,"hists":{"request":{"n":5,"sum":1,"min":1,"max":1,"b":[1,2]}}}'$'\n' "stats.log:2: interval 0: histogram"
expect_error badinterval '{"type":"header","name":"x","interval_s":0}'$'\n' 'interval_s'
expect_error twoheaders "$hdr"$'\n'"$hdr"$'\n' 'a second header'

set +e
"$BARRAGE" report "$TEST_DIR/does-not-exist" 2>"$TEST_DIR/e1"; rc=$?
set -e
assert_eq "$rc" 2 "missing run directory"
grep -q 'does-not-exist/stats.log: No such file' "$TEST_DIR/e1" || fail "missing dir message"
set +e; "$BARRAGE" report 2>/dev/null; rc=$?; set -e
assert_eq "$rc" 2 "report without RUN_DIR"
set +e; "$BARRAGE" report --bogus x 2>/dev/null; rc=$?; set -e
assert_eq "$rc" 2 "unknown option"

mkdir -p "$TEST_DIR/a"; cp "$src" "$TEST_DIR/a/"
for bad in 'p95' 'p95=10' 'p95=ten%' 'p97=10%' 'p95=-5%' '=5%'; do
  set +e; "$BARRAGE" compare "$TEST_DIR/a" "$TEST_DIR/a" --max-regression "$bad" >/dev/null 2>"$TEST_DIR/e2"; rc=$?; set -e
  assert_eq "$rc" 2 "compare --max-regression '$bad'"
  grep -q -- '--max-regression' "$TEST_DIR/e2" || fail "compare error does not name the option"
done
set +e; "$BARRAGE" compare "$TEST_DIR/a" "$TEST_DIR/nowhere" 2>"$TEST_DIR/e3"; rc=$?; set -e
assert_eq "$rc" 2 "compare with a missing run"
grep -q 'nowhere: no stats.log' "$TEST_DIR/e3" || fail "compare missing-run message"
echo ok
