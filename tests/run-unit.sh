#!/usr/bin/env bash
# Runs each cmocka unit-test driver given on the command line, with a timeout, and prints one
# closing line "N passed, N failed" over all of them.
set -u
pass=0 fail=0 failed=()
for t in "$@"; do
  if timeout 300 "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed+=("$t"); fi
done
[ ${#failed[@]} -gt 0 ] && printf 'unit: failed: %s\n' "${failed[@]}"
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
