#!/usr/bin/env bash
# Runs every tests/integration/*.sh (each a standalone bash script that exits 0 on pass, 77 to
# skip with a reason on stderr) with a timeout, and prints "N passed, N failed, N skipped".
# Environment: BARRAGE_BIN is the folder holding barrage, barrage-agent and barrage-target of
# the build under test. TESTS_ONLY=tsan runs only the scripts whose name contains "tsan" or
# that declare "# tsan: yes" (the agent's threading under ThreadSanitizer). TESTS=pattern
# selects scripts by name.
set -u
cd "$(dirname "$0")/.."
: "${BARRAGE_BIN:?BARRAGE_BIN must name the folder with the binaries}"
export BARRAGE_BIN
out=${TEST_OUT:-tests/out}
mkdir -p "$out"
pass=0 fail=0 skip=0 failed=()
for t in tests/integration/*.sh; do
  [ -e "$t" ] || continue
  name=$(basename "$t" .sh)
  if [ "${TESTS_ONLY:-}" = tsan ] && ! grep -q '^# tsan: yes' "$t"; then continue; fi
  if [ -n "${TESTS:-}" ] && [[ "$name" != *${TESTS}* ]]; then continue; fi
  limit=$(sed -n 's/^# timeout: *\([0-9]*\).*/\1/p' "$t" | head -1)
  start=$(date +%s)
  TEST_DIR=$(mktemp -d "${TMPDIR:-/tmp}/barrage-$name.XXXXXX") \
    timeout -k 5 "${limit:-120}" bash "$t" >"$out/$name.log" 2>&1
  rc=$?
  secs=$(( $(date +%s) - start ))
  case $rc in
    0) pass=$((pass + 1)); echo "ok    $name (${secs}s)";;
    77) skip=$((skip + 1)); echo "skip  $name: $(tail -1 "$out/$name.log")";;
    *) fail=$((fail + 1)); failed+=("$name"); echo "FAIL  $name (exit $rc, ${secs}s; log: $out/$name.log)"
       tail -20 "$out/$name.log" | sed 's/^/      /';;
  esac
done
echo "integration: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
