#!/usr/bin/env bash
# timeout: 120
# A controller that is itself stopped (SIGSTOP for 8 s, longer than agents.link_timeout) does
# not lose its healthy local agents: they keep the load going (their parent is still there),
# their heartbeats and intervals wait in the pipes, and after SIGCONT the controller reads them
# before judging anyone silent. The run completes with both agents, no gap, no agent_lost, a
# duration that matches the scenario's, and counts equal to what the target served.
source "$(dirname "$0")/../lib.sh"

start_server tgt target
cd "$TEST_DIR"
loop_scenario it-paused 4 14s >paused.yaml
start_run paused.yaml run
pid=$RUN_PID
kill -STOP "$pid"
sleep 8
kill -CONT "$pid"
set +e; wait "$pid"; rc=$?; set -e
cat run.err >&2
assert_eq "$rc" 0 "exit code after an 8 s pause of the controller"
! jq -r 'select(.type == "event") | .what' run/stats.log | grep -qx agent_lost || fail "an agent was declared lost"
assert_json run/summary.json '.gaps == [] and .end_reason == "completed"'
assert_json run/summary.json '[.agents[] | select(.lost)] | length == 0'
# Both agents reported in every interval of the load (14 of them).
for id in local-1 local-2; do
  n=$(jq -s "[.[] | select(.type == \"interval\" or .type == \"late\") | .agents[]? | select(.id == \"$id\")] | length" run/stats.log)
  [ "$n" -ge 14 ] || fail "$id reported $n intervals"
done
# Duration and rates: the load ran its 14 s (plus the stop), not a fraction of it.
assert_json run/summary.json '.duration_s >= 14 and .duration_s < 25'
served=$(curl -s "http://127.0.0.1:$tgt_PORT/__stats" | jq -r '.status["200"]')
assert_json run/summary.json ".http_status[\"200\"] == $served"
assert_json run/summary.json ".stats.request.rate > 0.6 * ($served / 14)"
echo ok
