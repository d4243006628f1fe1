#!/usr/bin/env bash
# timeout: 90
# Acceptance: the load models and CLI conventions. Closed model (users + duration),
# request_rate (coordinated-omission corrected, service time kept), max_users (arrivals over it
# counted as dropped_users), data order: unique (each row used by exactly one agent), --set,
# --local, -q (nothing on stdout/stderr), a failed threshold (exit 1, junit failure), and
# barrage compare --max-regression (exit 1 past the limit).
source "$(dirname "$0")/../lib.sh"

start_server tgt target --record "$TEST_DIR/rec.jsonl" --listen 127.0.0.1:0 --tls-listen 127.0.0.1:0
cd "$TEST_DIR"
T=http://127.0.0.1:$tgt_PORT

# Closed model with -q: silent, exit 0.
cat >closed.yaml <<YAML
name: closed
target: $T
load:
  users: 2
  duration: 1s
sessions:
  - name: s
    steps:
      - request: { url: /c }
      - think: 10ms
agents: { local: 2 }
report: { interval: 500ms }
YAML
"$BARRAGE" -q run closed.yaml --out closed >q.out 2>q.err || fail "closed run failed: $(cat q.err)"
# -q: no live line and no summary table (warnings, e.g. a saturated agent, may still show).
[ ! -s q.out ] || fail "-q printed a summary: $(cat q.out)"
! grep -q '^\[ *[0-9]*s\]' q.err || fail "-q printed live lines: $(cat q.err)"
assert_json closed/summary.json '.stats.request.count > 2 and .counters.users_count > 2'
assert_json closed/summary.json '(.agents | length) == 2'

# --local and --set override the scenario.
"$BARRAGE" run -q closed.yaml --out closed1 --local 1 --set load.users=1 --set name=renamed >/dev/null \
  || fail "--local/--set run failed"
assert_json closed1/summary.json '(.agents | length) == 1 and .name == "renamed"'
assert_json closed1/summary.json '.stats.request.count > 0'

# request_rate: the count is the rate times the duration; service time kept beside request.
cat >rate.yaml <<YAML
name: rate
target: $T
load: { request_rate: 100/s, duration: 1s }
sessions:
  - name: s
    steps:
      - request: { url: "/r?delay=1ms" }
thresholds:
  request.rate: "> 1000000/s"
agents: { local: 1 }
report: { interval: 500ms }
YAML
set +e
"$BARRAGE" run -q rate.yaml --out rate >rate.out 2>rate.err
rc=$?
set -e
assert_eq "$rc" 1 "a failed threshold must exit 1"
assert_json rate/summary.json '.stats.request.count == 100'
assert_json rate/summary.json '.stats | has("request_service")'
assert_json rate/summary.json '.thresholds[0].ok == false and .thresholds[0].metric == "request.rate"'
grep -q '<failure' rate/junit.xml || fail "junit.xml has no failure for the failed threshold"

# compare: rate halved -> exit 1 with rate=5%; the same run against itself -> exit 0.
"$BARRAGE" run -q rate.yaml --out rate2 --set load.request_rate=50/s >/dev/null || true
set +e
"$BARRAGE" compare rate rate2 --max-regression p95=1000%,rate=5% >cmp.out 2>&1
rc=$?
set -e
assert_eq "$rc" 1 "compare past a regression limit must exit 1"
"$BARRAGE" compare rate rate --max-regression p95=10%,rate=5% >/dev/null || fail "compare with itself"

# max_users: arrivals over the cap are counted as dropped.
cat >cap.yaml <<YAML
name: cap
target: $T
load:
  phases: [ { duration: 1s, arrival_rate: 30/s } ]
  max_users: 2
sessions:
  - name: s
    steps:
      - request: { url: /cap }
      - think: 3s
agents: { local: 1 }
YAML
"$BARRAGE" run -q cap.yaml --out cap >/dev/null || fail "cap run failed"
assert_json cap/summary.json '.counters.users_count == 2 and .counters.dropped_users > 0'

# order: unique: each row used by exactly one user across two agents.
{ echo id; seq 1 40; } >rows.csv
cat >uniq.yaml <<YAML
name: uniq
target: $T
load:
  phases: [ { duration: 1s, arrival_rate: 20/s } ]
data:
  acct: { file: rows.csv, order: unique }
sessions:
  - name: s
    steps:
      - request: { url: "/u?id={{ acct.id }}" }
agents: { local: 2 }
YAML
"$BARRAGE" run -q uniq.yaml --out uniq >/dev/null || fail "unique run failed"
jq -r .url rec.jsonl | grep '^/u?id=' >u.txt || fail "no /u requests"
assert_eq "$(sort u.txt | uniq -d | wc -l)" 0 "a unique row was used twice"
assert_json uniq/plan.json '[.agents[].data[0].part_index] | sort == [0,1]'

# HTTPS with tls.verify false against the self-signed certificate, http.version "2" accepted:
# the tls statistic appears.
cat >tls.yaml <<YAML
name: tls
target: https://127.0.0.1:$tgt_TLS_PORT
http:
  version: "2"
  tls: { verify: false }
  keepalive: false
load: { users: 1, duration: 500ms }
sessions:
  - name: s
    steps:
      - request: { url: /tls }
agents: { local: 1 }
YAML
"$BARRAGE" run -q tls.yaml --out tls >/dev/null || fail "https run failed"
assert_json tls/summary.json '.stats.tls.count > 0 and .stats.connect.count > 0 and .http_status["200"] == .stats.request.count'
assert_json tls/summary.json '(.errors | length) == 0'
echo "models ok"
