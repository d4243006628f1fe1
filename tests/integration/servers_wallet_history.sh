#!/usr/bin/env bash
# timeout: 240
# The wallet keeps its complete history: after thousands of credits and debits on a few wallets
# (so most transactions are folded out of memory into the history segments, and the journal is
# compacted), every transaction is listed by /transactions paging, replaying any txn id ever
# applied is answered as a replay with its original result (and changes nothing), a balance
# rebuilt from the listed history alone equals the live balance, and /audit rebuilds every
# balance from the history on disk. All of it again after a restart.
source "$(dirname "$0")/../lib.sh"

D=$TEST_DIR/data
N=3000
start_server w wallet --data-dir "$D" --compact-min 500
H=http://127.0.0.1:$w_PORT

# N writes over three wallets, one kept-alive connection: credits of 1..9, every fourth a debit
# of 1 (never an overdraft: each wallet is credited first).
for i in $(seq 1 $N); do
  w=w$((i % 3))
  if [ $((i % 4)) = 0 ]; then op=debit; amt=1; else op=credit; amt=$((i % 9 + 1)); fi
  echo "$w $op t$i $amt" >>"$TEST_DIR/sent"
  printf 'url = "BASE/wallets/%s/%s"\ndata = "{\\"txn\\":\\"t%s\\",\\"amount\\":%s}"\nnext\n' "$w" "$op" "$i" "$amt"
done | sed '$d' >"$TEST_DIR/writes.tmpl"
writes() { sed "s|BASE|$H|" "$TEST_DIR/writes.tmpl" | curl -s -K -; }
writes >"$TEST_DIR/first.jsonl"
assert_eq "$(grep -c '"replayed":false' "$TEST_DIR/first.jsonl")" "$N" "every write applied once"
curl -s "$H/metrics" >"$TEST_DIR/metrics"
grep -q '^wallet_folds [1-9]' "$TEST_DIR/metrics" || fail "nothing was folded"
grep -q '^journal_compactions [1-9]' "$TEST_DIR/metrics" || fail "no compaction happened"

check() { # ROUND
  local round=$1 w total bal
  # 1. Every transaction listed, in order, by paging 1000 at a time.
  : >"$TEST_DIR/listed.$round"
  for w in w0 w1 w2; do
    total=$(curl -s "$H/wallets/$w" | jq .transactions)
    for off in $(seq 0 1000 $((total - 1))); do
      curl -s "$H/wallets/$w/transactions?offset=$off&limit=1000" >"$TEST_DIR/page.json"
      jq -r --arg w "$w" '.transactions[] | "\($w) \(.index) \(.txn) \(.amount) \(.balance)"' "$TEST_DIR/page.json" >>"$TEST_DIR/listed.$round"
    done
    # 2. The balance rebuilt from the listed history alone: the sum of the amounts, and every
    #    running balance is the sum so far.
    bal=$(curl -s "$H/wallets/$w" | jq .balance)
    awk -v w=$w -v want="$bal" '
      $1 == w { if ($2 != n) { print "index " $2 " at position " n; bad = 1 } n++; sum += $4
                if (sum != $5) { print "running balance " $5 " at " $2 ", rebuilt " sum; bad = 1 } }
      END { if (sum != want) { print "rebuilt " sum ", live " want; bad = 1 } exit bad }' \
      "$TEST_DIR/listed.$round" || fail "round $round: $w does not rebuild from its history"
  done
  assert_eq "$(wc -l <"$TEST_DIR/listed.$round")" "$N" "round $round: every transaction listed"
  awk '{print $3}' "$TEST_DIR/listed.$round" | sort >"$TEST_DIR/ids.listed"
  awk '{print $3}' "$TEST_DIR/sent" | sort >"$TEST_DIR/ids.sent"
  cmp -s "$TEST_DIR/ids.listed" "$TEST_DIR/ids.sent" || fail "round $round: listed txn ids differ from the ones sent"
  # 3. Replaying every txn id ever applied: a replay with the original balance, nothing changes.
  for w in w0 w1 w2; do curl -s "$H/wallets/$w" | jq -c '[.balance, .transactions]'; done >"$TEST_DIR/before"
  writes >"$TEST_DIR/replay.jsonl"
  assert_eq "$(grep -c '"replayed":true' "$TEST_DIR/replay.jsonl")" "$N" "round $round: every txn id replayed"
  jq -r '"\(.wallet) \(.index) \(.txn) \(.balance)"' "$TEST_DIR/replay.jsonl" | sort >"$TEST_DIR/replay.sorted"
  awk '{print $1, $2, $3, $5}' "$TEST_DIR/listed.$round" | sort >"$TEST_DIR/listed.sorted"
  cmp -s "$TEST_DIR/replay.sorted" "$TEST_DIR/listed.sorted" || fail "round $round: a replay did not return its original result"
  for w in w0 w1 w2; do curl -s "$H/wallets/$w" | jq -c '[.balance, .transactions]'; done >"$TEST_DIR/after"
  cmp -s "$TEST_DIR/before" "$TEST_DIR/after" || fail "round $round: replays changed a wallet"
  # The same txn id with another amount is a conflict, however old.
  assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{"txn":"t1","amount":7}' "$H/wallets/w1/credit")" 409 "old txn, other amount"
  # 4. /audit rebuilds every balance from the history on disk.
  curl -s "$H/audit" >"$TEST_DIR/audit.json"
  assert_json "$TEST_DIR/audit.json" ".ok == true and .transactions == $N and .rebuilt_from_history == true and .history_bytes_read > 0"
}
check 1
kill -TERM "$w_PID"; wait "$w_PID" || fail "clean stop"
start_server w wallet --data-dir "$D" --compact-min 500
H=http://127.0.0.1:$w_PORT
check 2
echo "servers_wallet_history: ok"
