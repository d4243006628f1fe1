#!/usr/bin/env bash
# timeout: 60
# order: sequential is one order across agents: agent i of n takes rows i, i+n, ... With 4 rows,
# 2 agents and 4 users that each send one request and then think past the end of the run, the
# target sees each row exactly once (before, both agents started at row 1: u1 and u2 twice).
source "$(dirname "$0")/../lib.sh"
start_server tgt target --record "$TEST_DIR/record.jsonl"
cd "$TEST_DIR"
printf 'user\n' >acc.csv
for i in 1 2 3 4; do printf 'u%s\n' "$i" >>acc.csv; done
cat >s.yaml <<YAML
name: seq
target: http://127.0.0.1:$tgt_PORT
load: { users: 4, duration: 1s }
data:
  acc: { file: acc.csv, order: sequential }
sessions:
  - name: s
    steps:
      - request: { url: "/?user={{ acc.user }}" }
      - think: 30s
agents: { local: 2 }
report: { interval: 1s }
YAML
"$BARRAGE" run s.yaml --out run -q >/dev/null 2>err.txt || { cat err.txt; fail "run failed"; }
assert_json run/summary.json '.counters.users_count == 4'
for i in 1 2 3 4; do
  n=$(grep -c "user=u$i\"" record.jsonl || true)
  assert_eq "$n" 1 "requests with row u$i"
done
echo "ok: sequential rows in one order across agents"
