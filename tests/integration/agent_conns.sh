#!/usr/bin/env bash
# timeout: 60
# A user's connections close when its session ends, as a browser tab's do: in the open model the
# target holds no connection of users that finished while the load goes on, and in the closed
# model the `connected` gauge falls to 0 with `users` when the load stops.
source "$(dirname "$0")/../lib.sh"
command -v ss >/dev/null || skip "ss (iproute2) not installed"
start_server tg target
# Open model: 4 arrivals/s for 6 s, each user one request (about a millisecond), so between
# arrivals no user is in a session; sampled 20 times from 2 s to 4 s in, the agent's connections
# to the target must drop to none at least once (before: the last finished user's keep-alive
# connection stayed). The long window keeps a loaded machine, where a stalled agent finishes
# several users late at once, from hiding the moments between sessions.
cat >"$TEST_DIR/open.json" <<JSON
{"version": 1, "target": "http://127.0.0.1:$tg_PORT", "interval_us": 1000000, "grace_us": 1000000,
 "load": {"model": "open", "phases": [{"duration_us": 6000000, "arrival_rate": 4}]},
 "sessions": [{"name": "s", "steps": [{"kind": "request", "request": {"method": "GET", "url": "/"}}]}]}
JSON
"$AGENT" --plan "$TEST_DIR/open.json" --stats-json >"$TEST_DIR/open.out" 2>"$TEST_DIR/open.log" &
apid=$!; _pids+=("$apid")
sleep 2
min=999
for _ in $(seq 20); do
  n=$(ss -Htn state established "( dport = :$tg_PORT )" | wc -l)
  [ "$n" -lt "$min" ] && min=$n
  sleep 0.1
done
wait "$apid" || { cat "$TEST_DIR/open.log"; fail "agent failed"; }
tail -1 "$TEST_DIR/open.out" | tee "$TEST_DIR/open.summary.json"
assert_json "$TEST_DIR/open.summary.json" '.counters.finish_users_count > 3' "users came and went"
assert_eq "$min" 0 "connections of finished open-model users"

# Closed model: 3 users looping a request and a 100 ms think for 2 s.
cat >"$TEST_DIR/closed.json" <<JSON
{"version": 1, "target": "http://127.0.0.1:$tg_PORT", "interval_us": 1000000, "grace_us": 1000000,
 "load": {"model": "closed", "users": 3, "duration_us": 2000000},
 "sessions": [{"name": "s", "steps": [
   {"kind": "request", "request": {"method": "GET", "url": "/"}},
   {"kind": "think", "think": {"kind": "fixed", "value_us": 100000}}]}]}
JSON
"$AGENT" --plan "$TEST_DIR/closed.json" --stats-json >"$TEST_DIR/closed.out" 2>"$TEST_DIR/closed.log" ||
  { cat "$TEST_DIR/closed.log"; fail "agent failed"; }
jq -s '[.[] | select(.type == "interval")] | last' "$TEST_DIR/closed.out" | tee "$TEST_DIR/last.json"
assert_json "$TEST_DIR/last.json" '.gauges.connected[1] >= 3' "3 connections were open"
assert_json "$TEST_DIR/last.json" '.gauges.users[0] == 0' "no user at the end"
assert_json "$TEST_DIR/last.json" '.gauges.connected[0] == 0' "connected falls to 0 when the load stops"
echo ok
