#!/usr/bin/env bash
# timeout: 120
# kill -9 of one local agent mid-run: with agents.max_lost 0 the run stops, exits 3, and
# stats.log records the loss and an end record "agents_lost"; with max_lost 1 the run goes on
# to the end on the other agent, exits 0, and still records the event.
source "$(dirname "$0")/../lib.sh"

start_server tgt target
cd "$TEST_DIR"
loop_scenario it-lost 4 6s >lost.yaml

# run_and_kill OUT [ARGS...]: starts a run, waits for its first interval, kills local-2.
run_and_kill() {
  local out=$1; shift
  start_run lost.yaml "$out" "$@"
  local pid=$RUN_PID
  local victim
  victim=$(local_agent_pids "$out" local-2)
  [ -n "$victim" ] || fail "no pid in agents/local-2.log"
  kill -9 "$victim"
  set +e; wait "$pid"; rc=$?; set -e
  cat "$out.err" >&2
}

run_and_kill run0
assert_eq "$rc" 3 "exit code with max_lost 0"
jq -s -e 'map(select(.type == "event" and .what == "agent_lost" and .agent == "local-2")) | length == 1' \
  run0/stats.log >/dev/null || fail "no agent_lost event for local-2"
tail -1 run0/stats.log | jq -e '.type == "end" and .reason == "agents_lost" and .exit_code == 3' >/dev/null \
  || fail "end record does not say agents_lost"
[ -s run0/summary.json ] || fail "no summary.json after a stopped run"
assert_json run0/summary.json '.agents | map(select(.id == "local-2")) | .[0].lost == true'

run_and_kill run1 --set agents.max_lost=1
assert_eq "$rc" 0 "exit code with max_lost 1"
jq -s -e 'map(select(.type == "event" and .what == "agent_lost")) | length == 1' run1/stats.log >/dev/null \
  || fail "no agent_lost event with max_lost 1"
tail -1 run1/stats.log | jq -e '.reason == "completed"' >/dev/null || fail "run with max_lost 1 did not complete"
# The surviving agent kept going to the end: intervals past the loss exist.
n=$(jq -s '[.[] | select(.type == "interval")] | length' run1/stats.log)
[ "$n" -ge 5 ] || fail "only $n intervals after losing one agent of two"
echo ok
