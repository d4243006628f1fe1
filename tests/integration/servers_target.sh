#!/usr/bin/env bash
# timeout: 240
# The test target over HTTP and HTTPS: every query parameter, the session API, /__stats and
# /__reset, --record, --freeze, --threads, and its bad inputs (4xx JSON errors, bad options).
source "$(dirname "$0")/../lib.sh"

start_server t target --tls-listen 127.0.0.1:0 --record "$TEST_DIR/rec.jsonl"
H=http://127.0.0.1:$t_PORT
S=https://127.0.0.1:$t_TLS_PORT
[ -n "$t_TLS_PORT" ] || fail "no https port in the port file"

code() { curl -sk -o "$TEST_DIR/body" -D "$TEST_DIR/hdr" -w '%{http_code}' "$@"; }

for base in "$H" "$S"; do
  assert_eq "$(code "$base/anything")" 200 "plain GET"
  assert_eq "$(stat -c %s "$TEST_DIR/body")" 0 "default body is empty"
  assert_eq "$(code "$base/x?status=503")" 503 "status="
  assert_eq "$(code "$base/x?size=1234")" 200 "size="
  assert_eq "$(stat -c %s "$TEST_DIR/body")" 1234 "size= body length"
  code "$base/x?size=3M" >/dev/null
  assert_eq "$(stat -c %s "$TEST_DIR/body")" $((3 << 20)) "size=3M (over the static payload)"
  code "$base/x?size=20000&chunked=1" >/dev/null
  grep -qi '^transfer-encoding: chunked' "$TEST_DIR/hdr" || fail "chunked=1 not chunked"
  assert_eq "$(stat -c %s "$TEST_DIR/body")" 20000 "chunked body length"
  code "$base/x?close=1" >/dev/null
  grep -qi '^connection: close' "$TEST_DIR/hdr" || fail "close=1 without Connection: close"
  code "$base/x?header=X-Test:hello%20there" >/dev/null
  grep -qi '^x-test: hello there' "$TEST_DIR/hdr" || fail "header= not sent"
  # Delays are lower bounds: a reply can be late on a busy machine, never early.
  t=$(curl -sk -o /dev/null -w '%{time_total}' "$base/x?delay=200ms")
  awk -v t="$t" 'BEGIN{exit !(t >= 0.2)}' || fail "delay=200ms answered after $t s"
  t=$(curl -sk -o /dev/null -w '%{time_total}' "$base/x?delay=100ms-150ms")
  awk -v t="$t" 'BEGIN{exit !(t >= 0.1)}' || fail "delay=100ms-150ms answered after $t s"
  # The session API.
  assert_eq "$(code -X POST -d '{"user":"u1","password":"pw-u1"}' "$base/login")" 200 "login"
  assert_json "$TEST_DIR/body" '.ok == true and (.token | length > 0)'
  grep -qi '^set-cookie: sid=' "$TEST_DIR/hdr" || fail "login without Set-Cookie"
  assert_eq "$(code -X POST -d '{"user":"u1","password":"nope"}' "$base/login")" 401 "bad login"
  assert_eq "$(code -X POST -d '{"user":1}' "$base/login")" 400 "login wrong types"
  assert_json "$TEST_DIR/body" '.error | test("user")'
  assert_eq "$(code -X POST -d '{bad' "$base/login")" 400 "login malformed"
  assert_json "$TEST_DIR/body" '.error | test("malformed JSON")'
  assert_eq "$(code "$base/items")" 200 items
  assert_json "$TEST_DIR/body" '[.items[].id] == [1,2,3]'
  code "$base/balance" >/dev/null; assert_json "$TEST_DIR/body" '.balance == 3'
  code "$base/balance?balance=0" >/dev/null; assert_json "$TEST_DIR/body" '.balance == 0'
  assert_eq "$(code "$base/balance?balance=x")" 400 "bad balance="
  assert_eq "$(code -X POST -d '{}' "$base/write")" 200 write
  assert_json "$TEST_DIR/body" '.ok == true'
  # Bad parameters: a 4xx with a JSON error, never a crash.
  for q in status=99 status=abc status=600 size=-1 size=1G delay=5 delay=50ms-10ms delay=xs header=NoColon header=:v; do
    c=$(code "$base/x?$q")
    assert_eq "$c" 400 "bad parameter $q"
    assert_json "$TEST_DIR/body" '.error | length > 0' "$q error"
  done
  assert_eq "$(code "$base/health")" 200 health
  assert_json "$TEST_DIR/body" '.ok == true and .service == "target"'
  assert_eq "$(code "$base/metrics")" 200 metrics
  grep -q '^requests [0-9]' "$TEST_DIR/body" || fail "metrics without requests"
done

# /__stats counts what was served (not itself), /__reset zeroes it.
curl -s -X POST "$H/__reset" >/dev/null
for i in 1 2 3; do curl -s "$H/a?status=200" >/dev/null; done
curl -s "$H/a?status=404" >/dev/null; curl -s "$H/a?status=404" >/dev/null
curl -s "$H/__stats" >"$TEST_DIR/stats.json"
assert_json "$TEST_DIR/stats.json" '.requests == 5 and .status["200"] == 3 and .status["404"] == 2'
assert_eq "$(code "$H/__reset")" 405 "GET /__reset"
curl -s -X POST "$H/__reset" >/dev/null
curl -s "$H/__stats" >"$TEST_DIR/stats.json"
assert_json "$TEST_DIR/stats.json" '.requests == 0 and (.status | length == 0)'

# The record file has one JSON line per request with method, url, headers and body.
curl -s -X POST -H 'X-Trace: abc' -d '{"k":1}' "$H/rec/me?q=1" >/dev/null
tail -1 "$TEST_DIR/rec.jsonl" >"$TEST_DIR/last.json"
assert_json "$TEST_DIR/last.json" '.method == "POST" and .url == "/rec/me?q=1" and .headers["x-trace"] == "abc" and .body == "{\"k\":1}"'
jq -e . "$TEST_DIR/rec.jsonl" >/dev/null || fail "record file is not JSON lines"

# Raw HTTP/1.1: pipelined requests are answered in order (HEAD without a body), HTTP/1.0
# closes after its reply, a malformed request line gets 400, a chunked request body 501, and
# Expect: 100-continue is honoured.
raw() { # BYTES -> the server's answer until it closes (bounded by timeout)
  exec 3<>"/dev/tcp/127.0.0.1/$t_PORT"
  printf "$1" >&3
  timeout 5 cat <&3 || true
  exec 3<&-
}
raw 'GET /a?size=3 HTTP/1.1\r\nHost: x\r\n\r\nGET /b?status=404 HTTP/1.1\r\nHost: x\r\n\r\nHEAD /c?size=10 HTTP/1.1\r\nHost: x\r\n\r\nGET /d HTTP/1.0\r\n\r\n' >"$TEST_DIR/pipe.txt"
grep -ao 'HTTP/1.1 [0-9]*' "$TEST_DIR/pipe.txt" | awk '{print $2}' | paste -sd, >"$TEST_DIR/codes"
assert_eq "$(cat "$TEST_DIR/codes")" "200,404,200,200" "pipelined statuses in order"
grep -q 'xxxHTTP/1.1 404' "$TEST_DIR/pipe.txt" || fail "pipelined bodies not framed as expected"
grep -q 'Connection: close' "$TEST_DIR/pipe.txt" || fail "HTTP/1.0 reply without Connection: close"
raw 'BAD\r\n\r\n' | grep -q '^HTTP/1.1 400' || fail "malformed request line"
raw 'POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n' | grep -q '^HTTP/1.1 501' || fail "chunked request body"
raw 'GET /x HTTP/1.1\r\nContent-Length: abc\r\n\r\n' | grep -q '^HTTP/1.1 400' || fail "bad Content-Length"
raw 'GET /x HTTP/1.1\r\nno colon here\r\n\r\n' | grep -q '^HTTP/1.1 400' || fail "bad header line"
head -c 5000 /dev/zero | tr '\0' y >"$TEST_DIR/body5k"
curl -s -v -X POST -H 'Expect: 100-continue' --data-binary @"$TEST_DIR/body5k" "$H/write" 2>"$TEST_DIR/expect.err" >/dev/null
grep -q '< HTTP/1.1 100 Continue' "$TEST_DIR/expect.err" || fail "no 100 Continue"
grep -q '< HTTP/1.1 200' "$TEST_DIR/expect.err" || fail "no reply after 100 Continue"

# Oversized body: 413.
head -c 2000000 /dev/zero | tr '\0' x >"$TEST_DIR/big"
c=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary @"$TEST_DIR/big" "$H/write")
assert_eq "$c" 413 "oversized body"

# SIGTERM stops it cleanly.
kill -TERM "$t_PID"; wait "$t_PID" || fail "target exit code $? after SIGTERM"
grep -q 'stopped' "$TEST_DIR/t.log" || fail "no stop line"

# --freeze: during 1 s of every 2 s nothing is answered; over a few sequential requests across
# a whole period, one must have waited (at least 0.3 s, a lower bound).
start_server f target --freeze 1s/2s
maxt=0
for i in $(seq 1 30); do
  t=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$f_PORT/")
  maxt=$(awk -v a="$maxt" -v b="$t" 'BEGIN{print (b > a) ? b : a}')
  sleep 0.1
done
awk -v t="$maxt" 'BEGIN{exit !(t >= 0.3)}' || fail "no request waited for the freeze (max $maxt s)"

# --threads: several loops, one port.
start_server m target --threads 3
for i in $(seq 1 20); do curl -s "http://127.0.0.1:$m_PORT/?status=201" >/dev/null; done
curl -s "http://127.0.0.1:$m_PORT/__stats" >"$TEST_DIR/m.json"
assert_json "$TEST_DIR/m.json" '.status["201"] == 20'

# Bad command lines: exit 2 with a message naming the problem.
bad() {
  local want=$1; shift
  set +e; "$TARGET" "$@" >"$TEST_DIR/bad.out" 2>&1; local rc=$?; set -e
  assert_eq "$rc" 2 "exit code of: $*"
  grep -q -- "$want" "$TEST_DIR/bad.out" || { cat "$TEST_DIR/bad.out"; fail "message of '$*' lacks '$want'"; }
}
bad "unknown service" nosuch
bad "freeze" target --freeze 5s/1s
bad "freeze" target --freeze abc
bad "unknown option" target --bogus
bad "needs a value" target --listen
bad "threads" target --threads 0
bad "threads" wallet --threads 2
bad "sync" wallet --sync sometimes
bad "accounts" voting --accounts -3
"$TARGET" --help | grep -q "usage: barrage-target" || fail "--help"
"$TARGET" voting --help | grep -q -- "--accounts" || fail "voting --help"
set +e; "$TARGET" target --listen 300.1.1.1:0 --port-file "$TEST_DIR/x" 2>"$TEST_DIR/bad.out"; rc=$?; set -e
assert_eq "$rc" 1 "bad listen address"
grep -q "bad IPv4" "$TEST_DIR/bad.out" || fail "bad listen message"
echo "servers_target: ok"
