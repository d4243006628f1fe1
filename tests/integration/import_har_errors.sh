#!/usr/bin/env bash
# timeout: 120
# Broken and hostile HAR files give one clear error each and exit 2, with bounded memory:
# truncated JSON (many cuts of a real file), wrong types, nothing left to import, and a 100 MB
# HAR generated here (refused by size by default; with --max-size raised, imported in memory
# close to its size).
source "$(dirname "$0")/../lib.sh"
cd "$TEST_DIR"
har=$TESTS_SRC/fixtures/import/shop.har
err() { # err FILE EXPECTED-LINE [ARGS...]: the import fails with exit 2 and exactly that line
  local f=$1 want=$2 rc; shift 2
  set +e; "$BARRAGE" import har "$f" "$@" >out.yaml 2>e.txt; rc=$?; set -e
  assert_eq "$rc" 2 "exit code for $f"
  grep -qxF -- "$want" e.txt || { cat e.txt; fail "$f: expected: $want"; }
  [ ! -s out.yaml ] || fail "$f: wrote a scenario anyway"
}
# Truncated: every 97th prefix, each a positioned JSON error.
size=$(wc -c <"$har")
for cut in $(seq 1 97 "$((size - 2))"); do
  head -c "$cut" "$har" >cut.har
  set +e; "$BARRAGE" import har cut.har >/dev/null 2>e.txt; rc=$?; set -e
  assert_eq "$rc" 2 "truncated at $cut"
  grep -Eq '^barrage: cut.har:[0-9-]+:[0-9-]+: not a HAR file: ' e.txt || { cat e.txt; fail "truncated at $cut: unclear error"; }
done
head -c 500 "$har" >cut.har
err cut.har 'barrage: cut.har:7:34: not a HAR file: premature end of input near '"'"'"he'"'"''
# Wrong types.
echo '[1, 2]' >t1.har; err t1.har 'barrage: t1.har: not a HAR file: expected an object with a "log" object'
echo '{"log": {"entries": {}}}' >t2.har; err t2.har 'barrage: t2.har: not a HAR file: log.entries must be an array'
echo '{"log": {"entries": [7]}}' >t3.har
err t3.har 'barrage: t3.har: log.entries[0]: expected an object with a "request" object'
echo '{"log": {"entries": [{"request": {"method": "GET", "url": 5}}]}}' >t4.har
err t4.har 'barrage: t4.har: log.entries[0]: request.url and request.method must be strings'
echo '{"log": {"entries": [{"request": {"method": "GET", "url": "http://h/"}, "response": {"status": "200"}}]}}' >t5.har
err t5.har 'barrage: t5.har: log.entries[0]: response.status must be a number'
echo '{"log": {"entries": [{"request": {"method": "GET", "url": "http://h/"}, "response": []}]}}' >t6.har
err t6.har 'barrage: t6.har: log.entries[0]: response must be an object'
echo '{"log": {"entries": [{"startedDateTime": 3, "request": {"method": "GET", "url": "http://h/"}, "response": {"status": 200}}]}}' >t7.har
err t7.har 'barrage: t7.har: log.entries[0]: startedDateTime must be a string'
echo '{"log": {"entries": [{"request": {"method": "GET", "url": "data:,x"}, "response": {"status": 200}}]}}' >t8.har
err t8.har 'barrage: t8.har: no request left to import (1 entries: 0 static, 0 cancelled, 1 not HTTP, 0 filtered by host)'
: >t9.har; err t9.har 'barrage: t9.har: empty file, not a HAR'
echo '{"log": ' >t10.har; err t10.har "barrage: t10.har:2:0: not a HAR file: unexpected token near end of file"
err missing.har 'barrage: missing.har: No such file or directory'
err "$har" "barrage: import: --think-min '5': duration '5' needs a unit (us, ms, s, m, h), e.g. '5s'" --think-min 5
# Usage errors name the option.
err "$har" "barrage: import: unknown option '--bogus'" --bogus
err "$har" "barrage: import: option '--think-min' needs a value" --think-min

# A 100 MB HAR: 100 entries with a 1 MiB response body each.
{ printf '{"log":{"version":"1.2","creator":{"name":"gen"},"entries":['
  for i in $(seq 1 100); do
    [ "$i" -gt 1 ] && printf ','
    printf '{"startedDateTime":"2026-01-01T00:%02d:%02d.000Z","time":1,"request":{"method":"GET","url":"http://127.0.0.1:1/p%d","headers":[]},' $((i / 60)) $((i % 60)) "$i"
    printf '"response":{"status":200,"headers":[],"content":{"mimeType":"text/plain","text":"'
    head -c 1048576 /dev/zero | tr '\0' 'a'
    printf '"}}}'
  done
  printf ']}}'
} >big.har
[ "$(wc -c <big.har)" -ge 100000000 ] || fail "big.har is not 100 MB"
set +e; /usr/bin/time -f '%M' -o big.rss "$BARRAGE" import har big.har >/dev/null 2>e.txt; rc=$?; set -e
assert_eq "$rc" 2 "100 MB HAR exit code"
grep -qxF 'barrage: big.har: 100.0 MiB is more than the 64 MiB an import reads (--max-size raises it; a HAR exported without response bodies is much smaller)' e.txt ||
  { cat e.txt; fail "100 MB message"; }
[ "$(tail -1 big.rss)" -lt 100000 ] || fail "refusing the 100 MB HAR used $(tail -1 big.rss) kB"
# Raised limit: imported, peak memory under three times the file (ASan's overhead included).
/usr/bin/time -f '%M' -o big2.rss "$BARRAGE" import har big.har --max-size 200MB -o big.yaml 2>e.txt ||
  { cat e.txt; fail "100 MB HAR with --max-size"; }
grep -q '100 of 100 entries kept' e.txt || fail "100 MB HAR entries"
echo "peak RSS importing 100 MB: $(tail -1 big2.rss) kB"
[ "$(tail -1 big2.rss)" -lt 300000 ] || fail "importing the 100 MB HAR used $(tail -1 big2.rss) kB"
echo ok
