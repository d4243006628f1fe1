#!/usr/bin/env bash
# timeout: 60
# tsan: yes
# Counts are exact: every request the agent reports, per status code, is one the test target
# served (and the other way round), with two worker threads so the per-interval hand-off and the
# merge are exercised (this is the script the TSan build runs).
source "$(dirname "$0")/../lib.sh"
start_server tg target
cat >"$TEST_DIR/plan.json" <<JSON
{"version": 1, "target": "http://127.0.0.1:$tg_PORT", "interval_us": 500000, "grace_us": 3000000,
 "agents": {"threads": 2},
 "load": {"model": "closed", "users": 6, "duration_us": 2000000},
 "sessions": [{"name": "s", "steps": [{"kind": "repeat", "count": 1000000, "steps": [
   {"kind": "request", "request": {"method": "GET", "url": "/?status=200"}},
   {"kind": "request", "request": {"method": "GET", "url": "/?status=404"}},
   {"kind": "request", "request": {"method": "POST", "url": "/?status=503", "body_kind": "raw", "body": "x"}}
 ]}]}]}
JSON
"$AGENT" --plan "$TEST_DIR/plan.json" --stats-json >"$TEST_DIR/out.json" 2>"$TEST_DIR/agent.log" ||
  { cat "$TEST_DIR/agent.log"; fail "agent exited with $?"; }
curl -s "http://127.0.0.1:$tg_PORT/__stats" >"$TEST_DIR/target.json"
tail -1 "$TEST_DIR/out.json" >"$TEST_DIR/summary.json"
cat "$TEST_DIR/summary.json" "$TEST_DIR/target.json"
n=$(json "$TEST_DIR/summary.json" '.counters.requests')
[ "$n" -gt 30 ] || fail "only $n requests"
assert_eq "$n" "$(json "$TEST_DIR/target.json" '.requests')" "requests: agent vs target"
for code in 200 404 503; do
  assert_eq "$(json "$TEST_DIR/summary.json" ".counters.http_$code // 0")" \
    "$(json "$TEST_DIR/target.json" ".status[\"$code\"] // 0")" "http_$code: agent vs target"
done
assert_eq "$(json "$TEST_DIR/summary.json" '.hists.request.n')" "$n" "request.count == requests"
# The interval lines add up to the summary, and every interval came from two workers' merge.
assert_eq "$(jq -s '[.[] | select(.type=="interval") | .counters.requests // 0] | add' "$TEST_DIR/out.json")" "$n" \
  "intervals add up"
assert_json "$TEST_DIR/summary.json" '.counters.users_count == 6' "6 users started"
assert_json "$TEST_DIR/summary.json" '(.counters | keys | map(select(startswith("error_"))) | length) == 0' "no errors"
echo ok
