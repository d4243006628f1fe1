#!/usr/bin/env bash
# A torn or corrupted journal tail: the queue server detects it on start, truncates it with a
# log line (not a crash), and serves exactly the messages of the good records before it.
# timeout: 90
source "$(dirname "$0")/../lib.sh"

data=$TEST_DIR/data
j=$data/queue.journal
enq() { curl -s -X POST -d "{\"body\":\"$2\"}" "http://127.0.0.1:$1/queues/t/messages" | jq -r .key; }

start_server a queue --data-dir "$data"
for i in 1 2 3 4 5; do enq "$a_PORT" "m$i" >/dev/null; done
kill -9 "$a_PID"; sleep 0.2
good=$(stat -c %s "$j")

# 1. A torn tail: half a record header and a few payload bytes, as a crash mid-write leaves.
printf '\x30\x00\x00\x00\x12\x34' >>"$j"
start_server b queue --data-dir "$data"
grep -q "cut 6 bytes at offset $good" "$TEST_DIR/b.log" || fail "no truncation line: $(cat "$TEST_DIR/b.log")"
grep -q 'restart_count 2' "$TEST_DIR/b.log" || fail "restart_count: $(cat "$TEST_DIR/b.log")"
curl -s "http://127.0.0.1:$b_PORT/queues/t" >"$TEST_DIR/s.json"
assert_json "$TEST_DIR/s.json" '.ready == 5' "five messages after a torn tail"
k6=$(enq "$b_PORT" m6)
# The cut bytes could have held counters: the counter resumes past all of them.
[[ "$k6" == *":2:"* ]] && [ "${k6##*:}" -gt 5 ] || fail "key after restart: $k6"
kill -9 "$b_PID"; sleep 0.2

# 2. A corrupted last record: flip the last byte (inside m6's body), so its CRC fails.
size=$(stat -c %s "$j")
last=$(tail -c 1 "$j" | od -An -tu1 | tr -d ' ')
printf "$(printf '\\%03o' $(( last ^ 0x55 )))" | dd of="$j" bs=1 seek=$(( size - 1 )) conv=notrunc 2>/dev/null
start_server c queue --data-dir "$data"
grep -q 'cut .* bytes at offset' "$TEST_DIR/c.log" || fail "no truncation line: $(cat "$TEST_DIR/c.log")"
curl -s -X POST "http://127.0.0.1:$c_PORT/queues/t/claim?max=100" >"$TEST_DIR/c.json"
assert_json "$TEST_DIR/c.json" '[.messages[].body] == ["m1","m2","m3","m4","m5"]' "good records kept, bad one cut"
k7=$(enq "$c_PORT" m7)
# m6's record was cut, but its key was handed out: its counter is never handed out again.
[[ "$k7" == *":3:"* ]] && [ "${k7##*:}" -gt "${k6##*:}" ] || fail "key after second restart: $k7 (m6 had $k6)"
kill -0 "$c_PID" || fail "server died"

# 3. Garbage instead of a journal: refused with an error naming the file, not a crash.
kill "$c_PID"; sleep 0.3
printf 'not a journal at all' >"$TEST_DIR/bad.journal"
mkdir -p "$TEST_DIR/bad" && cp "$TEST_DIR/bad.journal" "$TEST_DIR/bad/queue.journal"
set +e
"$TARGET" queue --listen 127.0.0.1:0 --data-dir "$TEST_DIR/bad" >"$TEST_DIR/bad.log" 2>&1
rc=$?
set -e
[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] || fail "bad journal: exit $rc"
grep -q 'queue.journal' "$TEST_DIR/bad.log" || fail "bad journal message: $(cat "$TEST_DIR/bad.log")"
echo "queue_torn: ok"
