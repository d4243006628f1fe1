#!/usr/bin/env bash
# timeout: 120
# A gnuplot that dies (or is missing) must not take the command down with it: `barrage report`
# and `barrage compare` survive a closed pipe (SIGPIPE is ignored, the write fails with EPIPE
# and is checked), warn "gnuplot failed: ...; report written without charts", write every file
# and exit 0.
#
# Deterministic, not timing luck: the fake gnuplot exits without reading, and the run has so
# many intervals that one chart script is several times the largest pipe buffer, so the writer
# surely blocks on a full pipe until the reader is gone, then gets EPIPE. Likewise compare's
# stdout is a pipe whose read end is closed before compare starts.
source "$(dirname "$0")/../lib.sh"

src=$TESTS_SRC/fixtures/runs/passing/stats.log
run=$TEST_DIR/run
mkdir -p "$run"
# 6000 copies of the fixture's first interval; interval_s stays 10 s. No thresholds: the exit
# code is about the charts only.
{
  head -n 1 "$src" | sed 's/"thresholds":\[[^]]*\]/"thresholds":[]/'
  line=$(sed -n 2p "$src")
  for i in $(seq 0 5999); do printf '%s\n' "${line/\"i\":0,/\"i\":$i,}"; done
  tail -n 1 "$src" | sed 's/"duration_s":30.0/"duration_s":60000.0/'
} >"$run/stats.log"

# A gnuplot that exits at once without reading a byte.
printf '#!/bin/sh\nexit 0\n' >"$TEST_DIR/gp-quit"
chmod +x "$TEST_DIR/gp-quit"
rm -f "$run/report.html" "$run/summary.json"
set +e
BARRAGE_GNUPLOT=$TEST_DIR/gp-quit "$BARRAGE" report "$run" >"$TEST_DIR/report.out" 2>"$TEST_DIR/report.err"
rc=$?
set -e
cat "$TEST_DIR/report.err"
assert_eq "$rc" 0 "barrage report with a gnuplot that does not read (141 is SIGPIPE)"
grep -q 'warning: gnuplot failed: .*gp-quit did not read the whole chart script: Broken pipe; report written without charts' \
  "$TEST_DIR/report.err" || fail "no 'gnuplot failed' warning naming the broken pipe"
for f in report.html summary.json tsung.log; do [ -s "$run/$f" ] || fail "$f not written"; done
grep -q 'Charts are missing' "$run/report.html" || fail "report.html has no note about the charts"
grep -q 'duration' "$TEST_DIR/report.out" || fail "report printed no summary"

# The premise that makes it deterministic: the chart script written into the pipe is over four
# times the capacity of popen's pipe (64 KiB on Linux: 16 pages, fewer when a user has too many
# pipes; only F_SETPIPE_SZ, which popen does not use, makes one larger).
cat >"$TEST_DIR/gp-capture" <<SH
#!/bin/sh
cat >"$TEST_DIR/script.gp"
exit 1
SH
chmod +x "$TEST_DIR/gp-capture"
BARRAGE_GNUPLOT=$TEST_DIR/gp-capture "$BARRAGE" report -q "$run" 2>"$TEST_DIR/capture.err" \
  || { cat "$TEST_DIR/capture.err"; fail "report with a failing gnuplot exited non-zero"; }
size=$(stat -c %s "$TEST_DIR/script.gp")
echo "first chart script: $size bytes"
[ "$size" -gt 262144 ] || fail "chart script of $size bytes is too small to fill the pipe surely"
grep -q 'warning: gnuplot failed: .*gp-capture exited with status 1; report written without charts' \
  "$TEST_DIR/capture.err" || { cat "$TEST_DIR/capture.err"; fail "no warning for a failing gnuplot"; }

# A missing gnuplot: the same warning, with the reason.
set +e
BARRAGE_GNUPLOT=/nonexistent/gnuplot "$BARRAGE" report -q "$run" 2>"$TEST_DIR/missing.err"
rc=$?
set -e
assert_eq "$rc" 0 "barrage report without gnuplot"
grep -q 'warning: gnuplot failed: cannot run /nonexistent/gnuplot (is gnuplot installed?); report written without charts' \
  "$TEST_DIR/missing.err" || { cat "$TEST_DIR/missing.err"; fail "missing gnuplot warning"; }

# Commands whose stdout reader is already gone: the output is lost, the work is not.
closed_stdout() { # OUT_RC_FILE COMMAND...
  python3 - "$@" <<'PY'
import os, subprocess, sys
r, w = os.pipe()
os.close(r)  # nobody will ever read: the first write gets EPIPE (or SIGPIPE)
p = subprocess.run(sys.argv[2:], stdout=w, stderr=subprocess.DEVNULL)
os.close(w)
open(sys.argv[1], "w").write("%d\n" % p.returncode)
PY
}
mkdir -p "$TEST_DIR/base"; cp "$src" "$TEST_DIR/base/"
rm -f "$run/compare.html"
BARRAGE_GNUPLOT=$TEST_DIR/gp-quit closed_stdout "$TEST_DIR/compare.rc" \
  "$BARRAGE" compare "$TEST_DIR/base" "$run" --max-regression p95=1000%
assert_eq "$(cat "$TEST_DIR/compare.rc")" 0 "barrage compare into a closed pipe (-13 is SIGPIPE)"
[ -s "$run/compare.html" ] || fail "compare.html not written"
rm -f "$run/report.html"
BARRAGE_GNUPLOT=/nonexistent/gnuplot closed_stdout "$TEST_DIR/report.rc" "$BARRAGE" report "$run"
assert_eq "$(cat "$TEST_DIR/report.rc")" 0 "barrage report into a closed pipe (-13 is SIGPIPE)"
[ -s "$run/report.html" ] || fail "report.html not written"
echo ok
