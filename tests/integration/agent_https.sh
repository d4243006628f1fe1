#!/usr/bin/env bash
# timeout: 60
# HTTPS: against the target's TLS listener (self-signed, so tls_verify off) each user opens one
# TLS connection (connect and tls timed once per user), keeps it alive, and the counts match
# the target's; with verification on, the self-signed certificate fails as error_tls.
source "$(dirname "$0")/../lib.sh"
start_server tg target --tls-listen 127.0.0.1:0
[ -n "$tg_TLS_PORT" ] || fail "no https port"
plan() { # $1: tls_verify
cat <<JSON
{"version": 1, "target": "https://127.0.0.1:$tg_TLS_PORT", "interval_us": 1000000,
 "http": {"tls_verify": $1},
 "load": {"model": "closed", "users": 3, "duration_us": 1500000},
 "sessions": [{"name": "s", "steps": [{"kind": "repeat", "count": 1000000, "steps": [
   {"kind": "request", "request": {"method": "GET", "url": "/?size=100"}}]}]}]}
JSON
}
plan false >"$TEST_DIR/plan.json"
"$AGENT" --plan "$TEST_DIR/plan.json" >"$TEST_DIR/out.json" 2>"$TEST_DIR/agent.log" ||
  { cat "$TEST_DIR/agent.log"; fail "agent failed"; }
cat "$TEST_DIR/out.json"
s=$TEST_DIR/out.json
n=$(json "$s" '.counters.requests')
[ "$n" -gt 10 ] || fail "only $n requests"
assert_eq "$(curl -s "http://127.0.0.1:$tg_PORT/__stats" | jq .requests)" "$n" "requests: agent vs target"
assert_json "$s" '.hists.tls.n == 3 and .hists.connect.n == 3' "one TLS handshake per user"
assert_json "$s" ".counters.http_200 == $n" "all 200"
plan true >"$TEST_DIR/plan-verify.json"
"$AGENT" --plan "$TEST_DIR/plan-verify.json" >"$TEST_DIR/out2.json" 2>"$TEST_DIR/agent2.log" || fail "agent failed"
cat "$TEST_DIR/out2.json"
assert_json "$TEST_DIR/out2.json" '.counters.error_tls >= 1 and (.counters.http_200 // 0) == 0' \
  "verification refuses the self-signed certificate"
echo ok
