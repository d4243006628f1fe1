#!/usr/bin/env bash
# timeout: 90
# http.tls.session_reuse: with a new connection per request (keepalive off), each user's second
# and later TLS handshakes resume the session of its first, with both clients; off, none does.
# The server is `openssl s_server -www` on 127.0.0.1, whose status page counts the sessions it
# resumed ("session cache hits"). A new session of a user (a new user, as with a browser) starts
# without one: each session of 4 requests resumes 3 times.
source "$(dirname "$0")/../lib.sh"
command -v openssl >/dev/null || skip "SKIP: openssl is not installed"
cd "$TEST_DIR"
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 \
  -subj /CN=127.0.0.1 >/dev/null 2>&1 || fail "cannot make a certificate"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Started directly (not under timeout(1)), so the pid is the server's and lib.sh's cleanup ends it.
openssl s_server -accept "127.0.0.1:$port" -cert cert.pem -key key.pem -www -quiet \
  >s_server.log 2>&1 &
_pids+=($!)
hits() { curl -sk "https://127.0.0.1:$port/" | awk '/ session cache hits/{print $1}'; }
for _ in $(seq 1 100); do [ -n "$(hits)" ] && break; sleep 0.1; done
[ -n "$(hits)" ] || { cat s_server.log; fail "s_server did not start"; }
for c in curl lean; do
  for reuse in true false; do
    cat >"plan-$c-$reuse.json" <<JSON
{"version": 1, "target": "https://127.0.0.1:$port", "interval_us": 1000000, "grace_us": 20000000,
 "http": {"client": "$c", "tls_verify": false, "keepalive": false, "tls_session_reuse": $reuse},
 "load": {"model": "open", "phases": [{"duration_us": 1000000, "arrival_rate": 10}], "max_users": 20},
 "sessions": [{"name": "s", "steps": [{"kind": "repeat", "count": 4, "steps": [
   {"kind": "request", "request": {"method": "GET", "url": "/"}}]}]}]}
JSON
    before=$(hits)
    "$AGENT" --plan "plan-$c-$reuse.json" >"out-$c-$reuse.json" 2>"agent-$c-$reuse.log" ||
      { cat "agent-$c-$reuse.log"; fail "agent ($c) failed"; }
    after=$(hits)
    s=out-$c-$reuse.json
    tail -1 "$s" >"sum-$c-$reuse.json"
    s=sum-$c-$reuse.json
    n=$(json "$s" '.counters.requests')
    users=$(json "$s" '.counters.users_count')
    echo "$c reuse=$reuse: $n requests, $users sessions, $((after - before)) resumed"
    [ "$users" -ge 1 ] || fail "$c: no user arrived"
    assert_eq "$n" "$((4 * users))" "$c: every session made its 4 requests"
    assert_json "$s" ".counters.http_200 == $n and .hists.tls.n == $n" "$c: one handshake per request"
    if [ "$reuse" = true ]; then
      assert_eq "$((after - before))" "$((3 * users))" "$c: resumed handshakes (all but each session's first)"
    else
      assert_eq "$((after - before))" 0 "$c: no session resumed with session_reuse off"
    fi
  done
done
echo ok
