#!/usr/bin/env bash
# timeout: 60
# order: unique never reuses a row: with 5 accounts split over two agents and a closed model of
# 4 users looping for 2 s, each account logs in exactly once at the target, the users that find
# no row left are counted as dropped_users and error_data_exhausted, and nothing else fails.
source "$(dirname "$0")/../lib.sh"
start_server tgt target --record "$TEST_DIR/record.jsonl"
cd "$TEST_DIR"
printf 'user,password\n' >acc.csv
for i in 1 2 3 4 5; do printf 'u%s,pw-u%s\n' "$i" "$i" >>acc.csv; done
cat >u.yaml <<YAML
name: it-unique
target: http://127.0.0.1:$tgt_PORT
load: { users: 4, duration: 2s }
data:
  acc: { file: acc.csv, order: unique }
sessions:
  - name: s
    steps:
      - request: { method: POST, url: /login, json: { user: "{{ acc.user }}", password: "{{ acc.password }}" } }
        expect: { status: 200 }
      - think: 100ms
agents: { local: 2 }
report: { interval: 1s }
YAML
"$BARRAGE" run u.yaml --out run -q >/dev/null 2>err.txt || { cat err.txt; fail "run failed"; }
logins=$(grep -c '"/login"' record.jsonl || true)
assert_eq "$logins" 5 "logins at the target"
for i in 1 2 3 4 5; do
  n=$(grep -cF "\\\"u$i\\\"" record.jsonl || true)
  assert_eq "$n" 1 "logins of account u$i"
done
assert_json run/summary.json '.counters.users_count == 5'
assert_json run/summary.json '.counters.dropped_users >= 1'
assert_json run/summary.json '.errors.error_data_exhausted >= 1'
assert_json run/summary.json '[.errors | to_entries[] | select(.key != "error_data_exhausted")] | length == 0'
echo "ok: unique rows used once"
