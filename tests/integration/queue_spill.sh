#!/usr/bin/env bash
# Paging past the memory bound: with --max-memory-messages 5, bodies beyond five go to the
# spill file and come back intact and in order when claimed, also after a kill -9 and
# recovery; once nothing paged out is alive the spill file is emptied.
# (--sync none keeps it quick: a kill -9 loses nothing already written; fsync is queue_crash.sh's subject.)
# timeout: 90
source "$(dirname "$0")/../lib.sh"

data=$TEST_DIR/data
m() { curl -s "http://127.0.0.1:$1/metrics" | awk -v k="$2" '$1==k{print $2}'; }

start_server a queue --data-dir "$data" --sync none --max-memory-messages 5
for i in $(seq 1 50); do
  curl -s -X POST -d "{\"body\":{\"n\":$i,\"text\":\"message number $i\"}}" \
    "http://127.0.0.1:$a_PORT/queues/p/messages" >/dev/null
done
[ "$(m "$a_PORT" queue_in_memory)" = 5 ] || fail "in memory: $(m "$a_PORT" queue_in_memory)"
[ "$(m "$a_PORT" queue_spilled)" = 45 ] || fail "spilled: $(m "$a_PORT" queue_spilled)"
[ "$(m "$a_PORT" queue_spill_bytes)" -gt 0 ] || fail "spill file empty"
curl -s -X POST "http://127.0.0.1:$a_PORT/queues/p/claim?max=20&lease=10m" >"$TEST_DIR/c1.json"
assert_json "$TEST_DIR/c1.json" '[.messages[].body.n] == [range(1;21)]' "first 20 in order"
assert_json "$TEST_DIR/c1.json" 'all(.messages[]; .body.text == "message number \(.body.n)")' "bodies intact"
curl -s -X POST -d "$(jq -c '{keys: [.messages[].key]}' "$TEST_DIR/c1.json")" \
  "http://127.0.0.1:$a_PORT/queues/p/ack" >"$TEST_DIR/a1.json"
assert_json "$TEST_DIR/a1.json" '.acked == 20'
kill -9 "$a_PID"; sleep 0.2

start_server b queue --data-dir "$data" --sync none --max-memory-messages 5
[ "$(m "$b_PORT" queue_live)" = 30 ] || fail "live after restart: $(m "$b_PORT" queue_live)"
[ "$(m "$b_PORT" queue_in_memory)" -le 5 ] || fail "recovery kept more than 5 bodies in memory"
[ "$(m "$b_PORT" queue_spilled)" -ge 30 ] || fail "recovery did not page out"
curl -s -X POST "http://127.0.0.1:$b_PORT/queues/p/claim?max=100&lease=10m" >"$TEST_DIR/c2.json"
assert_json "$TEST_DIR/c2.json" '[.messages[].body.n] == [range(21;51)]' "the other 30 in order"
assert_json "$TEST_DIR/c2.json" 'all(.messages[]; .body.text == "message number \(.body.n)")' "bodies intact after recovery"
curl -s -X POST -d "$(jq -c '{keys: [.messages[].key]}' "$TEST_DIR/c2.json")" \
  "http://127.0.0.1:$b_PORT/queues/p/ack" >"$TEST_DIR/a2.json"
assert_json "$TEST_DIR/a2.json" '.acked == 30'
[ "$(m "$b_PORT" queue_spill_bytes)" = 0 ] || fail "spill file not emptied"
[ "$(m "$b_PORT" queue_spill_reads)" -gt 0 ] || fail "no body was read back"
echo "queue_spill: ok"
