#!/usr/bin/env bash
# Runs the unit drivers, the fuzz-corpus replays and the integration scripts ROUNDS times (the
# build under test is BARRAGE_BIN) and prints, at the end, every test that failed at least once
# with how many times and in which rounds. A test that fails now and then is a defect to find,
# in the product or in the test: each failure's output is kept under
# tests/out/repeat/ROUND/ (unit-NAME.log, fuzz-NAME.log, NAME.log for integration scripts).
#
#   tests/run-repeat.sh ROUNDS "UNIT_BINS" "FUZZ_REPLAY_BINS"     (make test-repeat N=5)
#
# TESTS=pattern narrows the integration scripts as in run-integration.sh; UNIT=0 and FUZZ=0
# skip those suites. Exit 0 when nothing failed in any round.
set -u
cd "$(dirname "$0")/.."
rounds=${1:?usage: run-repeat.sh ROUNDS "UNIT_BINS" "FUZZ_REPLAY_BINS"}
read -r -a unit_bins <<<"${2:-}"
read -r -a fuzz_bins <<<"${3:-}"
: "${BARRAGE_BIN:?BARRAGE_BIN must name the folder with the binaries}"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "run-repeat: N must be a positive number" >&2; exit 2; }

declare -A fails=() where=()
total=0
note_fail() { # NAME ROUND
  fails[$1]=$(( ${fails[$1]:-0} + 1 ))
  where[$1]="${where[$1]:-}${where[$1]:+,}$2"
}

top=tests/out/repeat
rm -rf "$top"
start=$(date +%s)
for r in $(seq 1 "$rounds"); do
  out=$top/$r
  mkdir -p "$out"
  echo "=== round $r of $rounds"
  if [ "${UNIT:-1}" != 0 ]; then
    for t in "${unit_bins[@]}"; do
      name=unit:$(basename "$t")
      total=$((total + 1))
      if ! timeout 300 "$t" >"$out/unit-$(basename "$t").log" 2>&1; then
        echo "FAIL  $name (log: $out/unit-$(basename "$t").log)"
        note_fail "$name" "$r"
      fi
    done
  fi
  if [ "${FUZZ:-1}" != 0 ]; then
    for t in "${fuzz_bins[@]}"; do
      n=$(basename "$t"); n=${n#replay_fuzz_}
      total=$((total + 1))
      if ! timeout 300 "$t" "tests/fuzz/corpus/$n" >"$out/fuzz-$n.log" 2>&1; then
        echo "FAIL  fuzz:$n (log: $out/fuzz-$n.log)"
        note_fail "fuzz:$n" "$r"
      fi
    done
  fi
  TEST_OUT=$out tests/run-integration.sh >"$out/integration.txt" 2>&1
  while read -r status name _; do
    case $status in
      ok) total=$((total + 1)) ;;
      FAIL) total=$((total + 1)); echo "FAIL  $name (log: $out/$name.log)"; note_fail "$name" "$r" ;;
    esac
  done <"$out/integration.txt"
  tail -1 "$out/integration.txt"
done

echo
echo "test-repeat: $rounds rounds, $total test runs, $(( $(date +%s) - start ))s"
if [ ${#fails[@]} -eq 0 ]; then
  echo "test-repeat: no test failed in any round"
  exit 0
fi
echo "test-repeat: tests that failed at least once:"
for name in $(printf '%s\n' "${!fails[@]}" | sort); do
  printf '  %-32s failed %d of %d (rounds %s)\n' "$name" "${fails[$name]}" "$rounds" "${where[$name]}"
done
exit 1
