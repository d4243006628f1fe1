#!/usr/bin/env bash
# `make fuzz`: builds every tests/fuzz/fuzz_*.c as a real libFuzzer binary with clang (ASan +
# UBSan) into build/fuzz/, and runs each for FUZZ_SECONDS (default 60) on a copy of its corpus.
# New crashes are left in build/fuzz/NAME-crash-*; copy them into tests/fuzz/corpus/NAME/ once
# fixed, so `make test` replays them forever.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${FUZZ_SECONDS:-60}
out=build/fuzz
mkdir -p "$out"
flags="-std=c11 -D_GNU_SOURCE -I. $(pkg-config --cflags jansson libpcre2-8 yaml-0.1 libcurl libevent) -g -O1 -fsanitize=fuzzer,address,undefined"
libs="$(pkg-config --libs libcurl zlib libevent libevent_openssl libevent_pthreads yaml-0.1 libssh2 jansson libpcre2-8 openssl expat) -lhttp_parser -lpthread -lm"
srcs=$(ls common/*.c controller/*.c reports/*.c agent/*.c servers/*.c 2>/dev/null | grep -v '/main.c$')
for f in tests/fuzz/fuzz_*.c; do
  name=$(basename "$f" .c); short=${name#fuzz_}
  echo "building $name"
  clang $flags -o "$out/$name" "$f" $srcs $libs
  mkdir -p "$out/corpus-$short"
  cp -n tests/fuzz/corpus/"$short"/* "$out/corpus-$short/" 2>/dev/null || true
  (cd "$out" && "./$name" -max_total_time="$secs" -artifact_prefix="$short-crash-" "corpus-$short") || echo "$name: crash found (see $out)"
done
