#!/usr/bin/env bash
# timeout: 180
# Request smuggling shapes (RFC 9112): each is sent with a second request behind it, over plain
# HTTP and over HTTPS. Both listeners run the same HTTP/1.1 code, so each case must get the same
# answer on both: 400 (or 501 for a lone Transfer-Encoding), Connection: close, the connection
# closed, and the request behind it never executed (the target's /__stats counts nothing).
source "$(dirname "$0")/../lib.sh"

start_server t target --tls-listen 127.0.0.1:0

# send PROTO FILE: the raw bytes of FILE to the server, everything it answers until it closes.
send() {
  if [ "$1" = http ]; then
    timeout 10 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$t_PORT"'; cat "$1" >&3; cat <&3' _ "$2"
  else
    timeout 10 openssl s_client -quiet -ign_eof -connect "127.0.0.1:$t_TLS_PORT" <"$2" 2>/dev/null
  fi
}

behind='GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'
case_no=0
check() { # WANT_STATUS NAME HEAD...: the request head (CRLFs written as \r\n), body "hello"
  local want=$1 name=$2 head=$3 proto out
  case_no=$((case_no + 1))
  printf "${head}\r\n\r\nhello${behind}" >"$TEST_DIR/req.$case_no"
  for proto in http https; do
    out=$(send $proto "$TEST_DIR/req.$case_no" | tr -d '\r')
    echo "$out" >"$TEST_DIR/out.$case_no.$proto"
    [ "$(echo "$out" | grep -c '^HTTP/1')" = 1 ] \
      || fail "$name over $proto: expected exactly one reply, got: $out"
    echo "$out" | head -1 | grep -q "^HTTP/1.1 $want " || fail "$name over $proto: want $want, got: $(echo "$out" | head -1)"
    echo "$out" | grep -qi '^Connection: close' || fail "$name over $proto: no Connection: close"
  done
  # Same body on both.
  cmp -s "$TEST_DIR/out.$case_no.http" "$TEST_DIR/out.$case_no.https" \
    || fail "$name: HTTP and HTTPS answer differently: $(cat "$TEST_DIR/out.$case_no.http") / $(cat "$TEST_DIR/out.$case_no.https")"
}

P='POST /x HTTP/1.1\r\nHost: x'
check 400 "space before the colon (Content-Length)" "$P\r\nContent-Length : 5"
check 400 "space before the colon (Transfer-Encoding)" "$P\r\nContent-Length: 5\r\nTransfer-Encoding : chunked"
check 400 "tab before the colon" "$P\r\nContent-Length\t: 5"
check 400 "two different Content-Length" "$P\r\nContent-Length: 5\r\nContent-Length: 6"
check 400 "a Content-Length list that disagrees" "$P\r\nContent-Length: 5, 6"
check 400 "Content-Length with a plus sign" "$P\r\nContent-Length: +5"
check 400 "Content-Length with a minus sign" "$P\r\nContent-Length: -5"
check 400 "Content-Length in hex" "$P\r\nContent-Length: 0x5"
check 400 "Content-Length and Transfer-Encoding" "$P\r\nContent-Length: 5\r\nTransfer-Encoding: chunked"
check 400 "Transfer-Encoding then Content-Length" "$P\r\nTransfer-Encoding: chunked\r\nContent-Length: 5"
check 400 "obsolete line folding" "$P\r\nContent-Length: 5\r\nX-Folded: a\r\n b"
check 400 "a bare LF in a value" "$P\r\nContent-Length: 5\r\nX-A: a\nContent-Length: 0"
check 400 "two Host headers" "$P\r\nHost: y\r\nContent-Length: 5"
check 400 "Transfer-Encoding in HTTP/1.0" 'POST /x HTTP/1.0\r\nTransfer-Encoding: chunked'
check 501 "a lone Transfer-Encoding" "$P\r\nTransfer-Encoding: chunked"

# Identical duplicates are one value (RFC 9110 8.6): accepted, and the request behind is served.
printf "$P\r\nContent-Length: 5\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhelloGET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" >"$TEST_DIR/dup"
for proto in http https; do
  out=$(send $proto "$TEST_DIR/dup" | tr -d '\r')
  [ "$(echo "$out" | grep -c '^HTTP/1.1 200')" = 2 ] || fail "identical Content-Length over $proto: $out"
done
# A long unknown method: the same answer on both (the target answers any method).
printf 'FOOBARBAZQUUXFOOBARBAZQUUX /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$TEST_DIR/m"
a=$(send http "$TEST_DIR/m" | tr -d '\r' | head -1); b=$(send https "$TEST_DIR/m" | tr -d '\r' | head -1)
assert_eq "$a" "$b" "unknown method, HTTP vs HTTPS"
# Content-Length: +5 does not hang HTTPS (it did under evhttp): answered above, within the timeout.

# Nothing smuggled ran: only the two accepted requests (the POST with identical lengths) and the
# unknown method reached the target's handler, per protocol.
curl -s "http://127.0.0.1:$t_PORT/__stats" >"$TEST_DIR/stats.json"
assert_json "$TEST_DIR/stats.json" '.requests == 4' "requests that reached the handler"
grep -q smuggled "$TEST_DIR"/out.* && fail "a smuggled request was answered"
echo "servers_smuggling: ok"
