#!/usr/bin/env bash
# timeout: 120
# A late agent's interval is merged when it arrives, not dropped: one of two agents is frozen
# (SIGSTOP) for longer than the controller waits before writing an interval, but for less than
# agents.link_timeout (10 s here; a frozen process sends no heartbeat, so it would be lost then). The interval goes out without it, its numbers follow as
# a "late" record with the same index, nothing is lost, and the counts over interval and late
# records equal what the target served.
source "$(dirname "$0")/../lib.sh"

start_server tgt target
cd "$TEST_DIR"
loop_scenario it-late 2 12s grace=1s think=50ms agents="local: 2, link_timeout: 10s" interval=4s \
  >late.yaml
start_run late.yaml run
pid=$RUN_PID
victim=$(local_agent_pids run local-2)
[ -n "$victim" ] || fail "no pid in agents/local-2.log"
# Interval 1 ends about 4 s from now and is written 2 s after that without local-2; local-2
# would be lost after 10 s of silence. Frozen for 7 s, it comes back in between.
kill -STOP "$victim"
sleep 7
kill -CONT "$victim"
set +e; wait "$pid"; rc=$?; set -e
cat run.err >&2
assert_eq "$rc" 0 "exit code"
! jq -r 'select(.type == "event") | .what' run/stats.log | grep -qx agent_lost || fail "the frozen agent was declared lost"
n=$(jq -s '[.[] | select(.type == "late")] | length' run/stats.log)
[ "$n" -ge 1 ] || fail "no late record"
jq -s -e '[.[] | select(.type == "late") | .i] as $l | [.[] | select(.type == "interval") | .i] as $i
          | all($l[]; . as $x | $i | index($x) != null)' run/stats.log >/dev/null \
  || fail "a late record has no interval record with its index"
sum=$(jq -s '[.[] | select(.type == "interval" or .type == "late") | .counters.http_200 // 0] | add' run/stats.log)
served=$(curl -s "http://127.0.0.1:$tgt_PORT/__stats" | jq -r '.status["200"]')
assert_eq "$sum" "$served" "http_200 over interval and late records vs the target"
assert_json run/summary.json ".http_status[\"200\"] == $served"
echo ok
