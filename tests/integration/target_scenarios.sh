#!/usr/bin/env bash
# timeout: 240
# The bundled scenarios against the reference servers, end to end through barrage run (short
# phases): voting.yaml against voting, wallet.yaml against wallet. Asserts on summary.json and
# on the servers' own audit: no failed expectation (the servers answer as the scenarios expect:
# votes succeed when there is credit, retries are replays), every vote the engine saw is counted
# by the server, and both audits pass. Thresholds are latency gates and may fail on a loaded
# machine, so exit 1 is accepted; 2, 3 and 4 are not.
source "$(dirname "$0")/../lib.sh"
[ -x "$BARRAGE" ] || skip "no barrage binary"
SCN=$TESTS_SRC/../scenarios

start_server v voting --data-dir "$TEST_DIR/voting"
set +e
"$BARRAGE" run "$SCN/voting.yaml" -q --out "$TEST_DIR/vrun" --local 1 \
  --set "target=http://127.0.0.1:$v_PORT" --set load.phases.0.duration=3s \
  --set load.phases.1.duration=3s --set 'sessions.0.steps.2.think={ min: 10ms, max: 50ms }' \
  >"$TEST_DIR/vrun.out" 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || [ "$rc" = 1 ] || { cat "$TEST_DIR/vrun.out"; fail "barrage run voting.yaml exit $rc"; }
S=$TEST_DIR/vrun/summary.json
assert_json "$S" '(.errors // {}) | keys | map(select(startswith("error_expect") or startswith("error_capture"))) | length == 0' \
  "failed expectations against the voting server"
assert_json "$S" '[.http_status | keys[] | select(startswith("5"))] | length == 0' "5xx from voting"
assert_json "$S" '.stats.tr_login.count > 0 and .stats.tr_vote.count > 0'
curl -s "http://127.0.0.1:$v_PORT/audit" >"$TEST_DIR/vaudit.json"
assert_json "$TEST_DIR/vaudit.json" '.ok == true'
votes=$(json "$TEST_DIR/vaudit.json" .votes)
seen=$(json "$S" .stats.tr_vote.count)
[ "$votes" -ge "$seen" ] || fail "server counted $votes votes, the engine saw $seen succeed"

start_server w wallet --data-dir "$TEST_DIR/wallet"
set +e
"$BARRAGE" run "$SCN/wallet.yaml" -q --out "$TEST_DIR/wrun" --local 1 \
  --set "target=http://127.0.0.1:$w_PORT" --set load.duration=4s --set load.users=10 \
  >"$TEST_DIR/wrun.out" 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || [ "$rc" = 1 ] || { cat "$TEST_DIR/wrun.out"; fail "barrage run wallet.yaml exit $rc"; }
S=$TEST_DIR/wrun/summary.json
assert_json "$S" '(.errors // {}) | keys | map(select(startswith("error_expect") or startswith("error_capture") or startswith("error_abort"))) | length == 0' \
  "failed expectations against the wallet server"
assert_json "$S" '.stats.tr_credit_retry.count > 0 and .stats.tr_debit.count > 0'
curl -s "http://127.0.0.1:$w_PORT/audit" >"$TEST_DIR/waudit.json"
assert_json "$TEST_DIR/waudit.json" '.ok == true and .transactions > 0'
echo "target_scenarios: ok"
