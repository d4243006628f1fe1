#!/usr/bin/env bash
# timeout: 120
# SIGINT mid-run: the controller stops every agent, still writes stats.log (end reason
# "interrupted"), summary.json and the report, exits 3, and leaves no agent behind.
source "$(dirname "$0")/../lib.sh"

start_server tgt target
cd "$TEST_DIR"
loop_scenario it-int 2 60s >int.yaml
start_run int.yaml run
pid=$RUN_PID
agents=$(local_agent_pids run)
kill -INT "$pid"
set +e; wait "$pid"; rc=$?; set -e
cat run.err >&2
assert_eq "$rc" 3 "exit code after SIGINT"
tail -1 run/stats.log | jq -e '.type == "end" and .reason == "interrupted"' >/dev/null \
  || fail "end record does not say interrupted"
jq -s -e 'map(select(.type == "event" and .what == "interrupted")) | length == 1' run/stats.log >/dev/null \
  || fail "no interrupted event"
[ -s run/summary.json ] || fail "no summary.json after SIGINT"
[ -s run/report.html ] || fail "no report.html after SIGINT"
assert_json run/summary.json '.stats.request.count > 0'
for a in $agents; do
  ! kill -0 "$a" 2>/dev/null || fail "agent $a still running after the controller exited"
done
echo ok
