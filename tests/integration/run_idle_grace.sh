#!/usr/bin/env bash
# timeout: 120
# An idle grace tail is not load: after the load's end, intervals in which no request completed
# (users only wait on a slow target, then are torn down at the hard stop) must never flag an
# agent as saturated, however much CPU the teardown takes or however short the last, partial
# interval is (issue 14: run_basic saw "CPU 0.64-0.99" in a grace interval of 0 users and 0
# requests, and an agent_saturated event in stats.log).
#
# The rule that makes this hold whatever the timing is in agent/health.c (saturation needs
# load in the interval; the last CPU window ends when the load ended, before the teardown);
# tests/unit/test_health.c checks it on given figures. Here the product runs for real: 200
# users, each with a request the target answers after 30 s, so every request is still in
# flight when the grace ends and the hard stop tears them all down.
source "$(dirname "$0")/../lib.sh"

start_server tgt target
cd "$TEST_DIR"
cat >grace.yaml <<YAML
name: it-idle-grace
target: http://127.0.0.1:$tgt_PORT
load:
  users: 200
  duration: 1s
  grace: 500ms
sessions:
  - name: s
    steps:
      - request: { url: "/?delay=30s", timeout: 60s }
agents:
  local: 1
report:
  interval: 500ms
YAML
set +e
"$BARRAGE" run grace.yaml --out run >out.txt 2>err.txt
rc=$?
set -e
cat err.txt >&2
# Requests cut by the hard stop are errors, not a failed run.
[ "$rc" = 0 ] || fail "run exited $rc"
jq -c 'select(.type == "interval") | {i, requests: (.hists.request.n // 0),
       agents: [.agents[]? | {id, cpu, saturated}]}' run/stats.log
# The premise: at least one interval starts at or after the load's end (1 s) with no request.
post='select(.type == "interval" and .i * .interval_s >= 1)'
idle=$(jq -s "[.[] | $post | select((.hists.request.n // 0) == 0)] | length" run/stats.log)
[ "$idle" -ge 1 ] || fail "no idle grace interval in stats.log: the test proves nothing"
jq -e -s "[.[] | $post | select((.hists.request.n // 0) == 0) | .agents[]? | select(.saturated)]
          | length == 0" run/stats.log >/dev/null \
  || fail "an agent was flagged saturated in an idle grace interval"
# While the load runs the flag may be true (a loop really late on a busy machine): then the
# agent_saturated event must come from such an interval, never from the grace.
jq -e -s '([.[] | select(.type == "interval" and .i * .interval_s < 1) | .agents[]? |
            select(.saturated) | .id] | unique) as $loaded
          | [.[] | select(.type == "event" and .what == "agent_saturated") | .agent]
          | all(. as $a | $loaded | index($a) != null)' run/stats.log >/dev/null \
  || fail "agent_saturated event without a saturated interval during the load"
echo ok
