#!/usr/bin/env bash
# timeout: 60
# http.source_addresses (Tsung's IP aliases): each new connection is bound to the next address
# of the pool, with either HTTP client, so the target sees the agent's connections come from
# every address of the pool and from no other. A pool with no address of the target's family
# fails each connection as error_connect. `barrage check` refuses an entry that is not an IP.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/hostile.sh"
start_hostile h
for c in curl lean; do
  : >"$TEST_DIR/h.requests"
  cat >"$TEST_DIR/plan.json" <<JSON
{"version": 1, "target": "http://127.0.0.1:$h_PORT", "interval_us": 1000000,
 "http": {"client": "$c", "keepalive": false, "source_addresses": "127.0.0.2,127.0.0.3"},
 "load": {"model": "closed", "users": 2, "duration_us": 1000000},
 "sessions": [{"name": "s", "steps": [
   {"kind": "request", "request": {"method": "GET", "url": "/ok"}},
   {"kind": "think", "think": {"kind": "fixed", "value_us": 20000}}]}]}
JSON
  "$BARRAGE_BIN/barrage-agent" --plan "$TEST_DIR/plan.json" >"$TEST_DIR/out.json" 2>"$TEST_DIR/agent.log" ||
    { cat "$TEST_DIR/agent.log"; fail "agent ($c) failed"; }
  s=$TEST_DIR/summary-$c.json
  tail -1 "$TEST_DIR/out.json" >"$s"
  jq -c .counters "$s"
  assert_json "$s" '(.counters | keys | map(select(startswith("error_"))) | length) == 0' "$c: no errors"
  peers=$(jq -r .peer "$TEST_DIR/h.requests" | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
  echo "$c: $peers"
  assert_eq "$(jq -r .peer "$TEST_DIR/h.requests" | sort -u | tr '\n' ' ')" "127.0.0.2 127.0.0.3 " "$c: peers"
  # Round robin: the two addresses share the connections about evenly.
  n2=$(grep -c '"peer": "127.0.0.2"' "$TEST_DIR/h.requests"); n3=$(grep -c '"peer": "127.0.0.3"' "$TEST_DIR/h.requests")
  [ $((n2 - n3)) -le 2 ] && [ $((n3 - n2)) -le 2 ] || fail "$c: uneven ($n2 vs $n3)"
  # IPv6-only pool against an IPv4 target: every connection fails as error_connect.
  jq -c '.http.source_addresses = "::1" | .load.duration_us = 300000' "$TEST_DIR/plan.json" >"$TEST_DIR/plan6.json"
  "$BARRAGE_BIN/barrage-agent" --plan "$TEST_DIR/plan6.json" >"$TEST_DIR/out6.json" 2>&1 || fail "agent ($c, ::1) failed"
  assert_json <(tail -1 "$TEST_DIR/out6.json") '.counters.error_connect > 0 and .counters.error_connect == .counters.requests' "$c: no address of the family"
done
cat >"$TEST_DIR/bad.yaml" <<YAML
target: http://127.0.0.1:$h_PORT
http:
  source_addresses: [127.0.0.2, nowhere]
load: { users: 1, duration: 1s }
sessions:
  - name: s
    steps:
      - request: { url: / }
YAML
! "$BARRAGE_BIN/barrage" check "$TEST_DIR/bad.yaml" >"$TEST_DIR/check.out" 2>&1 || fail "check accepted a bad address"
grep -q "bad.yaml:3:33: source_addresses: 'nowhere' is not an IPv4 or IPv6 address" "$TEST_DIR/check.out" ||
  { cat "$TEST_DIR/check.out"; fail "check's message"; }
echo ok
