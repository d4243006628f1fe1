#!/usr/bin/env bash
# timeout: 60
# errors.rate is failed attempts over attempted requests (successful responses + failed
# attempts), never above 100%, and users dropped before they started (no unique row left) are
# reported beside it (dropped_users), not inside it. Before: every error_* over request.count,
# so two failed captures per response made 200% and a dropped user counted as an error.
source "$(dirname "$0")/../lib.sh"
start_server tgt target
cd "$TEST_DIR"

# Each response fails two captures: 1 success + 2 failures per session = 2/3.
cat >cap.yaml <<YAML
name: cap
target: http://127.0.0.1:$tgt_PORT
load: { users: 1, duration: 1s }
sessions:
  - name: s
    steps:
      - request: { url: "/?status=200" }
        capture:
          a: { regex: 'no-such-(\d)' }
          b: { regex: 'nor-this-(\d)' }
      - think: 50ms
thresholds:
  errors.rate: "<= 100%"
agents: { local: 1 }
report: { interval: 1s }
YAML
rc=0; "$BARRAGE" run -q cap.yaml --out cap >/dev/null 2>cap.err || rc=$?
assert_eq "$rc" 0 "errors.rate <= 100% holds"
S=cap/summary.json
assert_json "$S" '.http_status["200"] > 0 and .errors.error_capture_a == .http_status["200"] and .errors.error_capture_b == .http_status["200"]' "two capture failures per response"
assert_json "$S" '.failed_attempts == 2 * .http_status["200"] and .attempts == 3 * .http_status["200"]' "attempts = responses + failures"
assert_json "$S" '.error_rate == 0.667' "rate 2/3"
assert_json "$S" '.thresholds[0].value == 0.667' "threshold measures the same rate"

# Two unique rows for one user slot: two sessions, then the slot's next user is dropped.
printf 'user\nu1\nu2\n' >acc.csv
cat >drop.yaml <<YAML
name: drop
target: http://127.0.0.1:$tgt_PORT
load: { users: 1, duration: 1s }
data:
  acc: { file: acc.csv, order: unique }
sessions:
  - name: s
    steps:
      - request: { url: "/?status=200&u={{ acc.user }}" }
thresholds:
  errors.rate: "== 0%"
  errors.count: "== 0"
agents: { local: 1 }
report: { interval: 1s }
YAML
rc=0; "$BARRAGE" run -q drop.yaml --out drop >/dev/null 2>drop.err || rc=$?
assert_eq "$rc" 0 "no failed attempt: errors gates pass"
S=drop/summary.json
assert_json "$S" '.http_status["200"] == 2 and .attempts == 2 and .failed_attempts == 0 and .error_rate == 0' "two clean attempts"
assert_json "$S" '.dropped_users >= 1 and .counters.dropped_users == .dropped_users' "the dropped user beside the rate"
assert_json "$S" '.errors.error_data_exhausted >= 1' "still counted by name"
echo "ok: errors.rate over attempts"
