#!/usr/bin/env bash
# timeout: 60
# http.keepalive false: every request goes on a new connection and says so with
# "Connection: close" (RFC 9112, 9.6), with both clients, so the server closes first and the
# TIME-WAIT state stays on its side rather than filling the agent's ports (before, neither
# client sent it: the agent closed first, and each connect then searched ports among its own
# TIME-WAIT sockets). A request's own Connection header is left alone.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/hostile.sh"
for c in curl lean; do
  start_hostile h
  rec=$TEST_DIR/h.requests
  : >"$rec"
  cat >"$TEST_DIR/plan-$c.json" <<JSON
{"version": 1, "target": "http://127.0.0.1:$h_PORT", "interval_us": 1000000, "grace_us": 2000000,
 "http": {"client": "$c", "keepalive": false},
 "load": {"model": "open", "phases": [{"duration_us": 100000, "arrival_rate": 10}], "max_users": 1},
 "sessions": [{"name": "s", "steps": [
   {"kind": "request", "request": {"method": "GET", "url": "/?n=1"}},
   {"kind": "request", "request": {"method": "POST", "url": "/?n=2", "body_kind": "json", "body": "{}"}},
   {"kind": "request", "request": {"method": "GET", "url": "/?n=3",
      "headers": [{"name": "Connection", "value": "keep-alive"}]}}]}]}
JSON
  "$AGENT" --plan "$TEST_DIR/plan-$c.json" >"$TEST_DIR/out-$c.json" 2>"$TEST_DIR/agent-$c.log" ||
    { cat "$TEST_DIR/agent-$c.log"; fail "agent ($c) failed"; }
  tail -1 "$TEST_DIR/out-$c.json" | jq -c '.counters' | tee "$TEST_DIR/counts-$c.json"
  n=$(jq '.requests' "$TEST_DIR/counts-$c.json")
  [ "$n" -ge 3 ] && [ "$(jq '.http_200' "$TEST_DIR/counts-$c.json")" = "$n" ] || fail "$c: not every request answered 200"
  [ "$(wc -l <"$rec")" = "$n" ] || fail "$c: the server logged $(wc -l <"$rec") of $n requests"
  jq -s -e '[.[] | select(.path | test("n=[12]$")) | .connection] | length > 0 and all(. == "close")' \
    "$rec" >/dev/null || { cat "$rec"; fail "$c: a request without Connection: close"; }
  jq -s -e '[.[] | select(.path | test("n=3$")) | .connection] | length > 0 and all(. == "keep-alive")' \
    "$rec" >/dev/null || { cat "$rec"; fail "$c: the request's own Connection header was replaced"; }
done
echo ok
