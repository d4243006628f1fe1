#!/usr/bin/env bash
# timeout: 60
# Requests cut at the end are counted: against a target that accepts and never answers (with a
# 60 s request timeout), every request still in flight when duration + grace is over counts once
# in `requests` and as `error_cut`, so an errors.rate gate fails (exit 1) instead of passing on
# a run that "measured nothing"; in the rate model the intended sends that never went out are
# counted as requests_missed.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/hostile.sh"
start_hostile h
cat >"$TEST_DIR/hung.yaml" <<YAML
name: hung
target: http://127.0.0.1:$h_PORT
http:
  timeout: 60s
load:
  users: 3
  duration: 2s
  grace: 1s
sessions:
  - name: s
    steps:
      - request: { url: "/hang" }
report:
  interval: 1s
thresholds:
  errors.rate: "< 1%"
  error_timeout.count: "== 0"
YAML
set +e; "$BARRAGE" run "$TEST_DIR/hung.yaml" --out "$TEST_DIR/run" >"$TEST_DIR/run.out" 2>&1; rc=$?; set -e
cat "$TEST_DIR/run.out"
assert_eq "$rc" 1 "a hung target fails the errors.rate gate"
s=$TEST_DIR/run/summary.json
assert_json "$s" '.errors.error_cut == 3' "3 cut requests"
assert_json "$s" '.counters.requests == 3' "cut requests are attempted requests"
assert_json "$s" '.stats.request == null' "no request latency recorded"
assert_json "$s" '.http_status == {}' "no status"
assert_json "$s" '[.thresholds[] | select(.metric == "errors.rate") | .ok] == [false]' "errors.rate failed"

# Rate model: 4 users paced to 10 requests/s for 2 s intend exactly 20 sends (each user's 5
# intended times fall within the 2 s whatever its phase); one each goes out and hangs.
cat >"$TEST_DIR/plan.json" <<JSON
{"version": 1, "target": "http://127.0.0.1:$h_PORT", "interval_us": 1000000, "grace_us": 1000000,
 "http": {"timeout_us": 60000000},
 "load": {"model": "rate", "users": 4, "request_rate": 10, "duration_us": 2000000},
 "sessions": [{"name": "s", "steps": [{"kind": "request", "request": {"method": "GET", "url": "/hang"}}]}]}
JSON
"$AGENT" --plan "$TEST_DIR/plan.json" >"$TEST_DIR/out.json" 2>"$TEST_DIR/agent.log" ||
  { cat "$TEST_DIR/agent.log"; fail "agent exited with $?"; }
tail -1 "$TEST_DIR/out.json" | tee "$TEST_DIR/agent-summary.json"
assert_json "$TEST_DIR/agent-summary.json" '.counters.error_cut == 4' "4 cut"
assert_json "$TEST_DIR/agent-summary.json" '.counters.requests_missed == 16' "16 intended sends missed"
assert_json "$TEST_DIR/agent-summary.json" '.counters.requests == 4' "4 attempted"
echo ok
