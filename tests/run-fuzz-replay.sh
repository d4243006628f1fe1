#!/usr/bin/env bash
# Replays each fuzz target's corpus (tests/fuzz/corpus/NAME/) through its replay binary. Every
# crash ever found is kept in the corpus, so this is the regression suite for the decoders.
set -u
pass=0 fail=0
for bin in "$@"; do
  name=$(basename "$bin"); name=${name#replay_fuzz_}
  dir=tests/fuzz/corpus/$name
  if [ ! -d "$dir" ]; then echo "fuzz-replay: no corpus for $name ($dir)"; fail=$((fail + 1)); continue; fi
  if timeout 300 "$bin" "$dir"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "fuzz-replay: $name FAILED"; fi
done
echo "fuzz-replay: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
