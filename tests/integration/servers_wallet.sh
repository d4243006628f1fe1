#!/usr/bin/env bash
# timeout: 240
# The wallet over HTTP and HTTPS: credit, debit, idempotent replays, overdraft 409, history
# paging, folding into checkpoints, audit, journal compaction, restart with replay, and every
# bad input (4xx JSON error).
source "$(dirname "$0")/../lib.sh"

D=$TEST_DIR/data
start_server w wallet --tls-listen 127.0.0.1:0 --data-dir "$D" --compact-min 300
H=http://127.0.0.1:$w_PORT
S=https://127.0.0.1:$w_TLS_PORT

req() { # METHOD URL [BODY] -> status; body in $TEST_DIR/body
  local m=$1 u=$2; shift 2
  curl -sk -o "$TEST_DIR/body" -w '%{http_code}' -X "$m" ${1:+-d "$1"} "$u"
}

for base in "$H" "$S"; do
  id=w-$RANDOM-${base:0:5}
  assert_eq "$(req POST "$base/wallets/$id/credit" '{"txn":"c1","amount":10}')" 200 credit
  assert_json "$TEST_DIR/body" '.ok and .balance == 10 and .amount == 10 and .replayed == false'
  assert_eq "$(req POST "$base/wallets/$id/credit" '{"txn":"c1","amount":10}')" 200 "credit replay"
  assert_json "$TEST_DIR/body" '.balance == 10 and .replayed == true'
  assert_eq "$(req POST "$base/wallets/$id/debit" '{"txn":"d1","amount":4}')" 200 debit
  assert_json "$TEST_DIR/body" '.balance == 6 and .amount == 4'
  assert_eq "$(req POST "$base/wallets/$id/debit" '{"txn":"d1","amount":4}')" 200 "debit replay"
  assert_json "$TEST_DIR/body" '.balance == 6 and .replayed == true'
  assert_eq "$(req POST "$base/wallets/$id/debit" '{"txn":"d2","amount":7}')" 409 overdraft
  assert_json "$TEST_DIR/body" '.balance == 6 and (.error | length > 0)'
  assert_eq "$(req POST "$base/wallets/$id/debit" '{"txn":"c1","amount":10}')" 409 "txn reused for a debit"
  assert_eq "$(req POST "$base/wallets/$id/debit" '{"txn":"d3","amount":6}')" 200 "debit to zero"
  assert_json "$TEST_DIR/body" '.balance == 0'
  assert_eq "$(req GET "$base/wallets/$id")" 200 "get wallet"
  assert_json "$TEST_DIR/body" '.balance == 0 and .transactions == 3'
  assert_eq "$(req GET "$base/wallets/$id/transactions?offset=1&limit=1")" 200 history
  assert_json "$TEST_DIR/body" '.total == 3 and (.transactions | length) == 1 and .transactions[0].txn == "d1" and .transactions[0].amount == -4'
  assert_eq "$(req GET "$base/wallets/nobody-here")" 404 "unknown wallet"
  assert_eq "$(req POST "$base/wallets/nobody-here/debit" '{"txn":"x","amount":1}')" 409 "debit unknown wallet"
  # Bad inputs.
  for b in '' '{' '[]' '{"txn":"a"}' '{"amount":1}' '{"txn":1,"amount":1}' '{"txn":"a","amount":"1"}' \
           '{"txn":"a","amount":0}' '{"txn":"a","amount":-5}' '{"txn":"a","amount":1.5}' \
           '{"txn":"has space","amount":1}' '{"txn":"","amount":1}' '{"txn":"a","amount":1e20}' \
           '{"txn":"a","txn":"b","amount":1}'; do
    c=$(req POST "$base/wallets/$id/credit" "$b")
    assert_eq "$c" 400 "bad body <$b>"
    assert_json "$TEST_DIR/body" '.error | length > 0' "error text for <$b>"
  done
  assert_eq "$(req POST "$base/wallets/bad%20id/credit" '{"txn":"a","amount":1}')" 400 "bad wallet id"
  assert_eq "$(req GET "$base/wallets/$id/credit")" 405 "GET credit"
  assert_eq "$(req POST "$base/wallets/$id")" 405 "POST wallet"
  assert_eq "$(req GET "$base/wallets/$id/nope")" 404 "unknown sub-route"
  assert_eq "$(req GET "$base/nope")" 404 "unknown route"
  assert_json "$TEST_DIR/body" '.error | test("no route")'
  assert_eq "$(req GET "$base/wallets/$id/transactions?limit=5000")" 400 "limit too big"
  assert_eq "$(req GET "$base/wallets/$id/transactions?offset=-1")" 400 "negative offset"
  assert_eq "$(req GET "$base/audit")" 200 audit
  assert_json "$TEST_DIR/body" '.ok == true'
done

# Folding: 1200 transactions on one wallet fold the oldest into its checkpoint; the history
# keeps counting them, /audit still holds, and compaction (--compact-min 300) has happened.
for i in $(seq 1 1200); do echo "url = \"$H/wallets/big/credit\""; echo "data = \"{\\\"txn\\\":\\\"t$i\\\",\\\"amount\\\":1}\""; echo "next"; done \
  | sed '$d' >"$TEST_DIR/many.cfg"
curl -s -K "$TEST_DIR/many.cfg" -o /dev/null
req GET "$H/wallets/big" >/dev/null
assert_json "$TEST_DIR/body" '.balance == 1200 and .transactions == 1200'
req GET "$H/wallets/big/transactions?offset=0&limit=2" >/dev/null
assert_json "$TEST_DIR/body" '.total == 1200 and .checkpoint.transactions >= 256 and .checkpoint.balance == .checkpoint.transactions and .transactions[0].index == 0 and .transactions[0].txn == "t1"'
req GET "$H/wallets/big/transactions?offset=1199&limit=10" >/dev/null
assert_json "$TEST_DIR/body" '(.transactions | length) == 1 and .transactions[0].txn == "t1200" and .transactions[0].balance == 1200'
# A recent txn is still idempotent.
assert_eq "$(req POST "$H/wallets/big/credit" '{"txn":"t1199","amount":1}')" 200 "recent replay"
assert_json "$TEST_DIR/body" '.replayed == true and .balance == 1199'
req GET "$H/audit" >/dev/null
assert_json "$TEST_DIR/body" '.ok == true and .transactions >= 1206'
curl -s "$H/metrics" >"$TEST_DIR/metrics"
grep -q '^journal_compactions [1-9]' "$TEST_DIR/metrics" || { cat "$TEST_DIR/metrics"; fail "no compaction happened"; }
grep -q '^wallet_folds [1-9]' "$TEST_DIR/metrics" || fail "no fold happened"
req GET "$H/audit" >/dev/null; cp "$TEST_DIR/body" "$TEST_DIR/audit1.json"

# Restart on the same data dir: same audit, same balances.
kill -TERM "$w_PID"; wait "$w_PID" || fail "wallet exit code after SIGTERM"
start_server w wallet --data-dir "$D" --compact-min 300
H=http://127.0.0.1:$w_PORT
grep -q "recovered" "$TEST_DIR/w.log" || fail "no recovery line"
req GET "$H/audit" >/dev/null
assert_eq "$(jq -c . "$TEST_DIR/body")" "$(jq -c . "$TEST_DIR/audit1.json")" "audit after restart"
req GET "$H/wallets/big" >/dev/null
assert_json "$TEST_DIR/body" '.balance == 1200 and .transactions == 1200'
assert_eq "$(req POST "$H/wallets/big/credit" '{"txn":"t1200","amount":1}')" 200 "replay after restart"
assert_json "$TEST_DIR/body" '.replayed == true'

# --sync always and none work too.
for mode in always none; do
  start_server s$mode wallet --data-dir "$TEST_DIR/$mode" --sync $mode
  eval p=\$s${mode}_PORT
  assert_eq "$(req POST "http://127.0.0.1:$p/wallets/a/credit" '{"txn":"x","amount":3}')" 200 "credit sync $mode"
  grep -q "sync $mode" "$TEST_DIR/s$mode.log" || fail "sync mode not logged"
done
echo "servers_wallet: ok"
