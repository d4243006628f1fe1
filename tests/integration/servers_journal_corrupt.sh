#!/usr/bin/env bash
# timeout: 180
# One flipped byte in the middle of a journal: the server refuses to start, names the record,
# its offset and what follows, and leaves the file byte-identical; `barrage-target fsck` reports
# the same, and with --repair moves the bad record to a side file and keeps every valid record
# after it. Then the queue: after a repair its counters move past every counter the lost bytes
# could have held, so no key is handed out twice.
source "$(dirname "$0")/../lib.sh"

D=$TEST_DIR/data
J=$D/wallet.journal
start_server w wallet --data-dir "$D"
for i in $(seq 1 60); do
  curl -s -X POST -d "{\"txn\":\"t$i\",\"amount\":$i}" "http://127.0.0.1:$w_PORT/wallets/w$((i % 3))/credit" >/dev/null
done
kill -TERM "$w_PID"; wait "$w_PID"

# The offset of record 20: walk the record headers (u32 length, u32 crc, u8 type, payload).
rec_off() {
  python3 - "$1" "$2" <<'PY'
import struct, sys
data = open(sys.argv[1], 'rb').read()
off, n = 8, 1
while n < int(sys.argv[2]):
    off += 9 + struct.unpack_from('<I', data, off)[0]; n += 1
print(off)
PY
}
off=$(rec_off "$J" 20)
flip=$(( off + 12 ))
b=$(dd if="$J" bs=1 skip=$flip count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
printf "\\x$(printf %02x $(( b ^ 0x10 )))" | dd of="$J" bs=1 seek=$flip conv=notrunc 2>/dev/null
cp "$J" "$TEST_DIR/corrupt.copy"

# 1. Refused: exit 1, a message naming record 20, its offset and the 40 records after it.
set +e; timeout 20 "$TARGET" wallet --listen 127.0.0.1:0 --data-dir "$D" >"$TEST_DIR/refused.log" 2>&1; rc=$?; set -e
assert_eq "$rc" 1 "exit code on mid-file corruption"
grep -q "record 20 at offset $off is corrupt (CRC mismatch)" "$TEST_DIR/refused.log" \
  || { cat "$TEST_DIR/refused.log"; fail "no record/offset in the refusal"; }
grep -q "40 valid record(s)" "$TEST_DIR/refused.log" || { cat "$TEST_DIR/refused.log"; fail "what follows not named"; }
grep -q "fsck wallet --data-dir $D" "$TEST_DIR/refused.log" || fail "refusal does not say what to run"
cmp -s "$J" "$TEST_DIR/corrupt.copy" || fail "the refused journal was modified"

# 2. fsck without --repair: reports, exit 1, file untouched.
set +e; "$TARGET" fsck wallet --data-dir "$D" >"$TEST_DIR/fsck.out" 2>&1; rc=$?; set -e
assert_eq "$rc" 1 "fsck exit code with damage"
grep -q "59 good records" "$TEST_DIR/fsck.out" || { cat "$TEST_DIR/fsck.out"; fail "fsck count"; }
grep -q "record 20 at offset $off: CRC mismatch" "$TEST_DIR/fsck.out" || { cat "$TEST_DIR/fsck.out"; fail "fsck region"; }
grep -q "then 40 valid record(s)" "$TEST_DIR/fsck.out" || { cat "$TEST_DIR/fsck.out"; fail "fsck follow"; }
cmp -s "$J" "$TEST_DIR/corrupt.copy" || fail "fsck without --repair modified the journal"

# 3. fsck --repair: the bad record goes to a side file, every other record stays.
"$TARGET" fsck wallet --data-dir "$D" --repair >"$TEST_DIR/repair.out" 2>&1 || { cat "$TEST_DIR/repair.out"; fail "repair failed"; }
grep -q "repaired: .* moved to $J.corrupt.1" "$TEST_DIR/repair.out" || { cat "$TEST_DIR/repair.out"; fail "repair line"; }
len=$(( $(python3 -c "import struct;d=open('$TEST_DIR/corrupt.copy','rb').read();print(struct.unpack_from('<I',d,$off)[0])") + 9 ))
assert_eq "$(stat -c %s "$J.corrupt.1")" "$len" "side file holds exactly the bad record"
"$TARGET" fsck wallet --data-dir "$D" >"$TEST_DIR/fsck2.out" 2>&1 || { cat "$TEST_DIR/fsck2.out"; fail "not clean after repair"; }
grep -q "60 good records.*1 gap marker" "$TEST_DIR/fsck2.out" || { cat "$TEST_DIR/fsck2.out"; fail "after repair"; }

# The server starts on the repaired journal with the 59 transactions left (t20 is the lost one).
start_server w wallet --data-dir "$D"
total=0
for k in 0 1 2; do
  curl -s "http://127.0.0.1:$w_PORT/wallets/w$k" >"$TEST_DIR/w$k.json"
  total=$(( total + $(jq .transactions "$TEST_DIR/w$k.json") ))
done
assert_eq "$total" 59 "every valid record after the bad one kept"
# t60 (the last record) is there: replaying it is a replay, not a new credit.
curl -s -X POST -d '{"txn":"t60","amount":60}' "http://127.0.0.1:$w_PORT/wallets/w0/credit" >"$TEST_DIR/r.json"
assert_json "$TEST_DIR/r.json" '.replayed == true'
curl -s "http://127.0.0.1:$w_PORT/audit" >"$TEST_DIR/audit.json"
assert_json "$TEST_DIR/audit.json" '.ok == true'
kill -TERM "$w_PID"; wait "$w_PID"

# 4. The queue: corrupt a record in the middle, repair, and check no key is reused.
Q=$TEST_DIR/q
start_server q queue --data-dir "$Q"
for i in $(seq 1 30); do
  curl -s -X POST -d "{\"body\":\"m$i\"}" "http://127.0.0.1:$q_PORT/queues/t/messages" | jq -r .key >>"$TEST_DIR/keys"
done
kill -9 "$q_PID"; wait "$q_PID" 2>/dev/null || true
# Corrupt m29's record, the one before last: m30's record after it is valid.
qoff=$(python3 - "$Q/queue.journal" <<'PY'
import struct, sys
d = open(sys.argv[1], 'rb').read()
offs, off = [], 8
while off < len(d):
    offs.append(off); off += 9 + struct.unpack_from('<I', d, off)[0]
print(offs[-2])
PY
)
b=$(dd if="$Q/queue.journal" bs=1 skip=$(( qoff + 20 )) count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
printf "\\x$(printf %02x $(( b ^ 0x01 )))" | dd of="$Q/queue.journal" bs=1 seek=$(( qoff + 20 )) conv=notrunc 2>/dev/null
cp "$Q/queue.journal" "$TEST_DIR/q.copy"
set +e; timeout 20 "$TARGET" queue --listen 127.0.0.1:0 --data-dir "$Q" >"$TEST_DIR/qref.log" 2>&1; rc=$?; set -e
assert_eq "$rc" 1 "queue refuses mid-file corruption"
cmp -s "$Q/queue.journal" "$TEST_DIR/q.copy" || fail "refused queue journal modified"
"$TARGET" fsck queue --data-dir "$Q" --repair >"$TEST_DIR/qrep.out" 2>&1 || { cat "$TEST_DIR/qrep.out"; fail "queue repair"; }
start_server q2 queue --data-dir "$Q"
curl -s -X POST "http://127.0.0.1:$q2_PORT/queues/t/claim?max=100" >"$TEST_DIR/claim.json"
assert_json "$TEST_DIR/claim.json" '[.messages[].body] | length == 29 and (index("m30") != null) and (index("m29") == null)'
k=$(curl -s -X POST -d '{"body":"new"}' "http://127.0.0.1:$q2_PORT/queues/t/messages" | jq -r .key)
c=${k##*:}
[ "$c" -gt 30 ] || fail "counter reused after recovery: $k"
r=$(echo "$k" | cut -d: -f3)
[ "$r" -ge 3 ] || fail "restart_count did not move past the set-aside incarnation: $k"
grep -qx "$k" "$TEST_DIR/keys" && fail "key reused: $k"
kill -TERM "$q2_PID"; wait "$q2_PID" || true

# 5. Voting: 20 users vote once each; the 10th vote's record is damaged. Refused untouched,
#    repaired, and the other 19 votes stay counted, with the tally adding up.
V=$TEST_DIR/v
start_server v voting --data-dir "$V"
for i in $(seq 1 20); do
  tok=$(curl -s -X POST -d "{\"user\":\"user$i\",\"password\":\"pw-user$i\"}" "http://127.0.0.1:$v_PORT/login" | jq -r .token)
  curl -s -o /dev/null -X POST -H "Authorization: Bearer $tok" -d "{\"candidate\":$(( i % 3 + 1 ))}" "http://127.0.0.1:$v_PORT/vote"
done
kill -TERM "$v_PID"; wait "$v_PID"
voff=$(rec_off "$V/voting.journal" 10)
b=$(dd if="$V/voting.journal" bs=1 skip=$(( voff + 14 )) count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
printf "\\x$(printf %02x $(( b ^ 0x08 )))" | dd of="$V/voting.journal" bs=1 seek=$(( voff + 14 )) conv=notrunc 2>/dev/null
cp "$V/voting.journal" "$TEST_DIR/v.copy"
set +e; timeout 20 "$TARGET" voting --listen 127.0.0.1:0 --data-dir "$V" >"$TEST_DIR/vref.log" 2>&1; rc=$?; set -e
assert_eq "$rc" 1 "voting refuses mid-file corruption"
grep -q "record 10 at offset $voff is corrupt" "$TEST_DIR/vref.log" || { cat "$TEST_DIR/vref.log"; fail "voting refusal"; }
cmp -s "$V/voting.journal" "$TEST_DIR/v.copy" || fail "refused voting journal modified"
"$TARGET" fsck voting --data-dir "$V" --repair >"$TEST_DIR/vrep.out" 2>&1 || { cat "$TEST_DIR/vrep.out"; fail "voting repair"; }
start_server v2 voting --data-dir "$V"
curl -s "http://127.0.0.1:$v2_PORT/results" >"$TEST_DIR/results.json"
assert_json "$TEST_DIR/results.json" '.total == 19' "votes after the repair"
curl -s "http://127.0.0.1:$v2_PORT/audit" >"$TEST_DIR/vaudit.json"
assert_json "$TEST_DIR/vaudit.json" '.ok == true'
echo "servers_journal_corrupt: ok"
