#!/usr/bin/env bash
# timeout: 90
# kill -9 of the controller mid-run: its agents see their stdin close and stop on their own;
# no barrage-agent process is left 5 s later, and stats.log keeps every completed interval.
source "$(dirname "$0")/../lib.sh"

start_server tgt target
cd "$TEST_DIR"
loop_scenario it-orphan 2 60s >orphan.yaml
start_run orphan.yaml run
pid=$RUN_PID
agents=$(local_agent_pids run)
[ -n "$agents" ] || fail "no agent pids in the agent logs"
# shellcheck disable=SC2086 # one pid a word
kill_controller "$pid" agent $agents
# What ran is on disk: every line a whole record, and no end record.
jq -c . run/stats.log >/dev/null || fail "stats.log has a broken line"
! grep -q '"type":"end"' run/stats.log || fail "an end record from a killed controller"
# The target stops seeing requests.
a=$(curl -s "http://127.0.0.1:$tgt_PORT/__stats" | jq .requests)
sleep 1
b=$(curl -s "http://127.0.0.1:$tgt_PORT/__stats" | jq .requests)
assert_eq "$b" "$a" "requests still arriving after the agents should have stopped"
echo ok
