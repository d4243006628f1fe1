#!/usr/bin/env bash
# timeout: 120
# A torn or corrupted journal tail is cut with a log line saying what was kept and what was cut,
# and the server comes up with every record before it; a file that is not a journal is refused.
source "$(dirname "$0")/../lib.sh"

D=$TEST_DIR/data
J=$D/wallet.journal
start_server w wallet --data-dir "$D"
for i in 1 2 3 4 5; do
  curl -s -X POST -d "{\"txn\":\"t$i\",\"amount\":$i}" "http://127.0.0.1:$w_PORT/wallets/a/credit" >/dev/null
done
kill -TERM "$w_PID"; wait "$w_PID"
size=$(stat -c %s "$J")

# 1. A torn tail: a few bytes of a record that never finished.
printf '\x20\x00\x00\x00\x01\x02' >>"$J"
start_server w wallet --data-dir "$D"
grep -q "recovered 5 records.*cut 6 bytes at offset $size: torn record header" "$TEST_DIR/w.log" \
  || { cat "$TEST_DIR/w.log"; fail "no log line for the torn tail"; }
assert_eq "$(stat -c %s "$J")" "$size" "journal truncated to the last good record"
curl -s "http://127.0.0.1:$w_PORT/wallets/a" >"$TEST_DIR/a.json"
assert_json "$TEST_DIR/a.json" '.balance == 15 and .transactions == 5'
kill -TERM "$w_PID"; wait "$w_PID"

# 2. A corrupted last record (one payload byte flipped): it is cut, the rest stays.
last=$(( size - 1 ))
b=$(dd if="$J" bs=1 skip=$last count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
printf "\\x$(printf %02x $(( b ^ 1 )))" | dd of="$J" bs=1 seek=$last conv=notrunc 2>/dev/null
start_server w wallet --data-dir "$D"
grep -q "recovered 4 records.*CRC mismatch" "$TEST_DIR/w.log" || { cat "$TEST_DIR/w.log"; fail "no CRC line"; }
curl -s "http://127.0.0.1:$w_PORT/wallets/a" >"$TEST_DIR/a.json"
assert_json "$TEST_DIR/a.json" '.balance == 10 and .transactions == 4'
curl -s "http://127.0.0.1:$w_PORT/audit" >"$TEST_DIR/audit.json"
assert_json "$TEST_DIR/audit.json" '.ok == true'
# New writes go after the cut and survive a restart.
curl -s -X POST -d '{"txn":"t9","amount":9}' "http://127.0.0.1:$w_PORT/wallets/a/credit" >/dev/null
kill -TERM "$w_PID"; wait "$w_PID"
start_server w wallet --data-dir "$D"
grep -q "recovered 5 records.*clean tail" "$TEST_DIR/w.log" || { cat "$TEST_DIR/w.log"; fail "not clean after the cut"; }
curl -s "http://127.0.0.1:$w_PORT/wallets/a" >"$TEST_DIR/a.json"
assert_json "$TEST_DIR/a.json" '.balance == 19'
kill -TERM "$w_PID"; wait "$w_PID"

# 3. Not a journal: refused (exit 1) with a message, and the file is left alone.
echo "hello, not a journal" >"$J"
set +e; "$TARGET" wallet --listen 127.0.0.1:0 --data-dir "$D" >"$TEST_DIR/bad.log" 2>&1; rc=$?; set -e
assert_eq "$rc" 1 "exit code on a foreign file"
grep -q "not a Barrage journal" "$TEST_DIR/bad.log" || fail "no message for a foreign file"
assert_eq "$(cat "$J")" "hello, not a journal" "foreign file untouched"
echo "servers_journal_tail: ok"
