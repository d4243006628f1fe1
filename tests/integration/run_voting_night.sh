#!/usr/bin/env bash
# timeout: 90
# Acceptance: the full example scenario (voting-night, docs/scenario-reference.md), copied key for
# key, with only the target (the bundled voting server), the durations and the threshold limits
# (loose, the machine is noisy) changed. `barrage check` accepts it, `barrage run` with no --out writes
# runs/voting-night-YYYYMMDD-HHMMSS/ holding every file a run writes, summary.json has the
# documented core shape exactly, and `barrage report` and `barrage compare` work on the result.
source "$(dirname "$0")/../lib.sh"

start_server vote voting --data-dir "$TEST_DIR/vdata" --accounts 50
cd "$TEST_DIR"
mkdir -p data
{ echo user,password; for i in $(seq 1 50); do echo "user$i,pw-user$i"; done; } >data/accounts.csv

cat >voting.yaml <<YAML
name: voting-night
target: http://127.0.0.1:$vote_PORT          # base URL; request urls may be paths or absolute
http:
  timeout: 10s                          # per request
  connect_timeout: 3s
  keepalive: true
  version: "1.1"                        # "1.1" or "2"
  tls: { verify: false }                # also ca, cert, key, ciphers
  headers: { User-Agent: barrage }
load:                                   # exactly one model:
  phases:                               # open model: users arrive (Poisson) and run one session
    - { duration: 1s, arrival_rate: 20/s }
    - { duration: 1s, arrival_rate: 20/s, ramp_to: 40/s }
  max_users: 100000                     # cap on concurrent users; arrivals over it are counted as dropped
  # users: 200                          # closed model: 200 sessions at all times; when one ends a new
  # duration: 1m                        #   user (new cookies, connections, data row) starts the next
  # request_rate: 20000/s               # constant request rate (wrk2-style), latency from intended send time
data:
  accounts: { file: data/accounts.csv, order: sequential }   # also random, unique; header row names the columns
variables:
  candidates: 5
sessions:
  - name: voter
    weight: 9                           # share of arriving users
    steps:
      - transaction: login              # named timing group; reported as tr_login
        steps:
          - request: { method: POST, url: /login,
                       json: { user: "{{ accounts.user }}", password: "{{ accounts.password }}" } }
            expect: { status: 200 }
            capture: { token: { json: "\$.token" } }
      - request: { url: /candidates }
        capture: { candidate: { json: "\$.candidates[*].id", pick: random } }
      - think: { min: 10ms, max: 30ms }     # also a fixed 2s, or { mean: 2s, distribution: exponential }
      - request: { url: /balance, headers: { Authorization: "Bearer {{ token }}" } }
        capture: { balance: { regex: '"balance":(\d+)' } }
      - if: "balance > 0"
        then:
          - request: { method: POST, url: /vote, json: { candidate: "{{ candidate }}" } }
            expect: { status: 200, body: { contains: '"ok":true' } }
        else:
          - request: { method: POST, url: /credit, json: { amount: 5, txn: "{{ uuid() }}" } }
  - name: browser
    weight: 1
    steps:
      - repeat: 3
        steps:
          - request: { url: "/results?page={{ random_int(1, 10) }}" }
thresholds:                             # CI gates, evaluated on merged stats
  request.p95: "< 30s"
  tr_login.p99: "< 30s"
  errors.rate: "< 1%"
  request.rate: "> 1/s"
agents:                                 # where the load comes from
  local: 2                              # default: one local agent per core, no SSH
  # hosts: [ { host: 10.0.0.5, user: load, port: 22, agents: 4, weight: 2 } ]
  # hosts_file: fleet.txt               # one "user@host[:port] [agents=N] [weight=W]" per line
report:
  interval: 1s                          # stats interval (Tsung's dump interval)
YAML

"$BARRAGE" check voting.yaml >check.out || fail "check rejected the example scenario"
grep -q 'tr_login' check.out || fail "check does not show the transaction"
grep -q 'weight 9' check.out || fail "check does not show the session weights"

set +e
"$BARRAGE" run voting.yaml >run.out 2>run.err
rc=$?
set -e
[ "$rc" = 0 ] || { cat run.err >&2; fail "run exited $rc"; }

# runs/<name>-<YYYYMMDD-HHMMSS>/ when no --out.
dirs=(runs/voting-night-*)
[ "${#dirs[@]}" = 1 ] || fail "expected one run directory, got ${dirs[*]}"
D=${dirs[0]}
[[ "$(basename "$D")" =~ ^voting-night-[0-9]{8}-[0-9]{6}$ ]] || fail "run dir name $D"
for f in scenario.yaml plan.json stats.log tsung.log summary.json report.html junit.xml; do
  [ -s "$D/$f" ] || fail "run dir lacks $f"
done
[ -d "$D/agents" ] || fail "run dir lacks agents/"
[ "$(ls "$D/agents" | wc -l)" -ge 2 ] || fail "agents/ should hold each agent's log"
grep -q 'name: voting-night' "$D/scenario.yaml" || fail "scenario.yaml is not the scenario"
jq -e . "$D/plan.json" >/dev/null || fail "plan.json is not JSON"
# stats.log: one self-describing JSON record per line.
while IFS= read -r line; do echo "$line" | jq -e 'type == "object"' >/dev/null || fail "stats.log line not a JSON object"; done <"$D/stats.log"
grep -q '^stats: request ' "$D/tsung.log" || fail "tsung.log has no request lines"
grep -q '^# stats: dump at ' "$D/tsung.log" || fail "tsung.log has no dump lines"

S=$D/summary.json
# The core shape (docs/summary-json.md), field by field.
assert_json "$S" '.version == 1'
assert_json "$S" '.name == "voting-night"'
assert_json "$S" '.started_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")'
assert_json "$S" '(.duration_s | type) == "number" and .duration_s > 0'
for st in request tr_login; do
  assert_json "$S" "[\"count\",\"rate\",\"mean_ms\",\"stddev_ms\",\"min_ms\",\"max_ms\",\"p50_ms\",\"p90_ms\",\"p95_ms\",\"p99_ms\",\"p999_ms\"] - (.stats.$st | keys) == []" "stats.$st fields"
  assert_json "$S" "[.stats.$st[\"count\",\"rate\",\"mean_ms\",\"stddev_ms\",\"min_ms\",\"max_ms\",\"p50_ms\",\"p90_ms\",\"p95_ms\",\"p99_ms\",\"p999_ms\"] | type == \"number\"] | all"
  assert_json "$S" ".stats.$st | .min_ms <= .p50_ms and .p50_ms <= .p90_ms and .p90_ms <= .p95_ms and .p95_ms <= .p99_ms and .p99_ms <= .p999_ms and .p999_ms <= .max_ms * 1.001"
done
assert_json "$S" '.stats.request.count > 0 and .stats.tr_login.count > 0'
assert_json "$S" '["users_count","finish_users_count","dropped_users","size_rcv","size_sent"] - (.counters | keys) == []' "counters fields"
assert_json "$S" '.counters.users_count > 0 and .counters.finish_users_count == .counters.users_count and .counters.dropped_users == 0'
assert_json "$S" '.counters.size_rcv > 0 and .counters.size_sent > 0'
assert_json "$S" '.http_status["200"] == .stats.request.count' "every request 200"
assert_json "$S" '(.errors | type) == "object" and (.errors | length) == 0'
assert_json "$S" '(.thresholds | length) == 4'
assert_json "$S" '[.thresholds[] | (["metric","condition","value","ok"] - keys == [])] | all'
assert_json "$S" '[.thresholds[] | .ok] | all'
assert_json "$S" '[.thresholds[].metric] == ["request.p95","tr_login.p99","errors.rate","request.rate"]'
assert_json "$S" '.thresholds[0].condition == "< 30s"'
assert_json "$S" '(.agents | length) == 2'
assert_json "$S" '[.agents[] | (["id","host","cpu_max","loop_lag_max_ms","saturated","lost"] - keys == [])] | all'
assert_json "$S" '[.agents[] | .lost == false and (.saturated | type) == "boolean"] | all'
assert_json "$S" '[.agents[].id] | sort == ["local-1","local-2"]'
# All sessions ran: tr_login once per voter; browsers made 3 requests each.
assert_json "$S" '.stats.tr_login.count < .counters.users_count'

# JUnit: one testcase per threshold, none failed.
[ "$(grep -c '<testcase' "$D/junit.xml")" = 4 ] || fail "junit.xml should have 4 testcases"
! grep -q '<failure' "$D/junit.xml" || fail "junit.xml has a failure"
# The report is offline: no http(s) resources.
! grep -Eq '(src|href)="https?://' "$D/report.html" || fail "report.html loads something from the network"
grep -q 'Main Statistics' "$D/report.html" || fail "report.html lacks Main Statistics"

# barrage report rebuilds report.html and junit.xml from stats.log.
rm "$D/report.html" "$D/junit.xml"
"$BARRAGE" report "$D" >report.out || fail "barrage report failed"
[ -s "$D/report.html" ] && [ -s "$D/junit.xml" ] || fail "barrage report did not rebuild the files"

# barrage compare: a run against itself is not a regression.
"$BARRAGE" compare "$D" "$D" --max-regression p95=10%,rate=5% >cmp.out || fail "compare of a run with itself exited $?"
grep -q 'request' cmp.out || fail "compare prints no figures"
echo "voting-night: $(jq -c '{requests: .stats.request.count, users: .counters.users_count}' "$S")"
