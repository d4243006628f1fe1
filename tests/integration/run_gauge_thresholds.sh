#!/usr/bin/env bash
# timeout: 60
# Gauge thresholds: users.max and connected.max gate the highest value, users.count and
# connected.count the value when the load ended (not the 0 left after every user stopped). 4
# closed-model users on 2 agents for 3 s: users.count is 4 (before: "measured 0") and
# users.max is accepted (before: refused as a duration). A gate that does not hold fails with
# the measured value; a timing field on a gauge is a scenario error.
source "$(dirname "$0")/../lib.sh"
start_server tgt target
cd "$TEST_DIR"
scenario() {
  cat <<YAML
name: gauges
target: http://127.0.0.1:$tgt_PORT
load: { users: 4, duration: 3s }
sessions:
  - name: s
    steps:
      - request: { url: "/?status=200" }
      - think: 50ms
thresholds:
$1
agents: { local: 2 }
report: { interval: 1s }
YAML
}
scenario '  users.count: "<= 4"
  users.max: "<= 4"
  connected.max: ">= 1"
  connected.count: ">= 1"
  users_count.count: ">= 4"' >ok.yaml
rc=0; "$BARRAGE" run -q ok.yaml --out ok >/dev/null 2>ok.err || rc=$?
[ "$rc" = 0 ] || { cat ok.err; jq -c ".thresholds, .gauges" ok/summary.json 2>/dev/null; fail "gauge gates exit $rc"; }
S=ok/summary.json
assert_json "$S" '[.thresholds[] | [.metric, .value, .ok]] == [["users.count",4,true],["users.max",4,true],["connected.max",4,true],["connected.count",4,true],["users_count.count",.counters.users_count,true]]' "gauge thresholds measured"
assert_json "$S" '.gauges.users | .load_end == 4 and .max == 4 and .last == 0' "users gauge"

scenario '  users.count: "< 4"
  users.max: "< 4"' >fail.yaml
rc=0; "$BARRAGE" run -q fail.yaml --out fail >/dev/null 2>fail.err || rc=$?
assert_eq "$rc" 1 "gates below the real value fail"
assert_json fail/summary.json '[.thresholds[] | [.value, .ok]] == [[4,false],[4,false]]' "measured 4, not 0"

scenario '  users.p95: "< 4s"' >bad.yaml
rc=0; "$BARRAGE" check bad.yaml >/dev/null 2>bad.err || rc=$?
assert_eq "$rc" 2 "timing field on a gauge"
grep -q "bad.yaml:10:3: threshold metric 'users.p95': users is a gauge; use users.max" bad.err ||
  { cat bad.err; fail "no clear error for users.p95"; }
echo "ok: gauge thresholds"
