#!/usr/bin/env bash
# Journal compaction: with a small --compact-slack the queue rewrites its journal as the live
# state (a counter checkpoint plus one record per unacked message) at a checkpoint; a kill -9
# and restart then recovers exactly the same messages, in the same order, from the compacted
# file, and the counter and restart_count carry on.
# (--sync none keeps it quick: a kill -9 loses nothing already written; fsync is queue_crash.sh's subject.)
# timeout: 120
source "$(dirname "$0")/../lib.sh"

data=$TEST_DIR/data
m() { curl -s "http://127.0.0.1:$1/metrics" | awk -v k="$2" '$1==k{print $2}'; }
enqueue() { # PORT N FIRST: N messages with bodies FIRST, FIRST+1, ...
  local u=() i
  for i in $(seq "$3" $(( $3 + $2 - 1 ))); do u+=(-d "{\"body\":$i}" "http://127.0.0.1:$1/queues/c/messages" --next); done
  unset 'u[${#u[@]}-1]' # the last --next
  curl -s --max-time 60 "${u[@]}" | grep -c '"key"'
}
claim_ack() { # PORT N
  curl -s -X POST "http://127.0.0.1:$1/queues/c/claim?max=$2&lease=10m" >"$TEST_DIR/c.json"
  curl -s -X POST -d "$(jq -c '{keys: [.messages[].key]}' "$TEST_DIR/c.json")" \
    "http://127.0.0.1:$1/queues/c/ack" | jq -r .acked
}

start_server a queue --data-dir "$data" --sync none --compact-slack 100
[ "$(enqueue "$a_PORT" 1500 1)" = 1500 ] || fail "enqueue 1..1500"
[ "$(claim_ack "$a_PORT" 1000)" = 1000 ] || fail "ack 1000"
[ "$(claim_ack "$a_PORT" 400)" = 400 ] || fail "ack 400"
[ "$(m "$a_PORT" journal_compactions)" = 0 ] || fail "compacted too early"
[ "$(enqueue "$a_PORT" 1000 1501)" = 1000 ] || fail "enqueue 1501..2500"
[ "$(m "$a_PORT" journal_compactions)" -ge 1 ] || fail "no compaction at the checkpoint"
recs=$(m "$a_PORT" journal_file_records)
[ "$recs" -lt 1200 ] || fail "journal still holds $recs records after compaction"
[ "$(m "$a_PORT" queue_live)" = 1100 ] || fail "live before the kill"
kill -9 "$a_PID"; sleep 0.2

start_server b queue --data-dir "$data" --sync none --compact-slack 100
grep -q 'restart_count 2' "$TEST_DIR/b.log" || fail "restart_count: $(cat "$TEST_DIR/b.log")"
[ "$(m "$b_PORT" queue_live)" = 1100 ] || fail "live after restart: $(m "$b_PORT" queue_live)"
[ "$(m "$b_PORT" queue_counter)" = 2500 ] || fail "counter after restart: $(m "$b_PORT" queue_counter)"
curl -s -X POST "http://127.0.0.1:$b_PORT/queues/c/claim?max=1000&lease=10m" >"$TEST_DIR/all.json"
assert_json "$TEST_DIR/all.json" '[.messages[].body] == [range(1401;2401)]' "order kept through compaction"
k=$(curl -s -X POST -d '{"body":"new"}' "http://127.0.0.1:$b_PORT/queues/c/messages" | jq -r .key)
[[ "$k" == *":2:2501" ]] || fail "key after restart: $k"
echo "queue_compact: ok"
