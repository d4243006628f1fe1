#!/usr/bin/env bash
# timeout: 90
# An abort_on_fail threshold that fails mid-run stops the run early: stats.log records a
# threshold_abort event and an end record with that reason, and the exit code is 1.
source "$(dirname "$0")/../lib.sh"

start_server tgt target
cd "$TEST_DIR"
cat >abort.yaml <<YAML
name: it-abort
target: http://127.0.0.1:$tgt_PORT
load:
  users: 2
  duration: 60s
  grace: 1s
sessions:
  - name: s
    steps:
      - request: { url: "/?status=200" }
      - request: { url: "/?status=500" }
      - think: 20ms
thresholds:
  http_500.count: { condition: "== 0", abort_on_fail: true, delay: 1s }
agents:
  local: 1
report:
  interval: 1s
YAML
set +e
"$BARRAGE" run abort.yaml --out run >out.txt 2>err.txt
rc=$?
set -e
cat err.txt >&2
assert_eq "$rc" 1 "exit code after an abort_on_fail threshold failed"
jq -s -e 'map(select(.type == "event" and .what == "threshold_abort")) | length == 1' run/stats.log >/dev/null \
  || fail "no threshold_abort event"
tail -1 run/stats.log | jq -e '.type == "end" and .reason == "threshold_abort"' >/dev/null \
  || fail "end record does not say threshold_abort"
# Stopped long before the 60 s: a handful of intervals.
n=$(jq -s '[.[] | select(.type == "interval")] | length' run/stats.log)
[ "$n" -lt 20 ] || fail "$n intervals: the run was not stopped"
assert_json run/summary.json '.thresholds | map(select(.metric == "http_500.count")) | .[0].ok == false'
echo ok
