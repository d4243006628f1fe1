#!/usr/bin/env bash
# timeout: 300
# Crash test: under concurrent credits and debits, kill -9 the wallet server at a random moment,
# restart it on the same data dir, and prove that every acknowledged credit/debit is present
# (re-sending it is answered as a replay of the original), that no balance is negative, and that
# /audit passes. Two rounds, so a restarted server is crashed again.
source "$(dirname "$0")/../lib.sh"

D=$TEST_DIR/data
LOOPS=4
PER_LOOP=300
WALLETS=5

# One curl process per loop sends PER_LOOP writes over a kept-alive connection (a process per
# request would be the bottleneck on a loaded machine). The query string only tags each
# transfer, so -w can report which write got which status.
make_loop_cfg() { # ID PORT
  local id=$1 port=$2 k w op amt
  for k in $(seq 1 $PER_LOOP); do
    w=w$((RANDOM % WALLETS))
    if [ $((RANDOM % 10)) -lt 6 ]; then op=credit; else op=debit; fi
    amt=$((RANDOM % 5 + 1))
    printf 'url = "http://127.0.0.1:%s/wallets/%s/%s?tag=%s+%s+r%s-l%s-%s+%s"\n' \
      "$port" "$w" "$op" "$w" "$op" "$ROUND" "$id" "$k" "$amt"
    printf 'data = "{\\"txn\\":\\"r%s-l%s-%s\\",\\"amount\\":%s}"\n' "$ROUND" "$id" "$k" "$amt"
    printf 'output = "/dev/null"\nwrite-out = "%%{http_code} %%{url_effective}\\n"\nmax-time = 10\nnext\n'
  done | sed '$d'
}

for ROUND in 1 2; do
  start_server w wallet --data-dir "$D"
  if [ "$ROUND" = 2 ]; then
    grep -q "journal .*wallet.journal: recovered" "$TEST_DIR/w.log" || fail "no recovery line"
  fi
  pids=()
  for i in $(seq 1 $LOOPS); do
    make_loop_cfg "$i" "$w_PORT" >"$TEST_DIR/loop$i.cfg"
  done
  for i in $(seq 1 $LOOPS); do
    curl -s -K "$TEST_DIR/loop$i.cfg" >"$TEST_DIR/out.$ROUND.$i" 2>/dev/null &
    pids+=($!)
  done
  sleep "$(awk -v r=$RANDOM 'BEGIN{printf "%.2f", 0.8 + (r % 150) / 100}')"
  kill -9 "$w_PID"
  for p in "${pids[@]}"; do wait "$p" || true; done
  # 200: acknowledged; 409: a refused overdraft (nothing applied); 000: the server was gone.
  cat "$TEST_DIR"/out.$ROUND.* | awk '$1 != 200 && $1 != 409 && $1 != "000"' >"$TEST_DIR/errors"
  [ ! -s "$TEST_DIR/errors" ] || { head "$TEST_DIR/errors"; fail "unexpected statuses under load"; }
  cat "$TEST_DIR"/out.$ROUND.* | awk '$1 == 200' | sed 's/.*tag=//; s/+/ /g' >>"$TEST_DIR/acked"

  # Restart and check.
  start_server w wallet --data-dir "$D"
  H=http://127.0.0.1:$w_PORT
  cp "$TEST_DIR/acked" "$TEST_DIR/all_acked"
  acked=$(wc -l <"$TEST_DIR/all_acked")
  echo "round $ROUND: $acked acknowledged writes before the kill"
  [ "$acked" -gt 0 ] || fail "no write was acknowledged before the kill (round $ROUND)"
  : >"$TEST_DIR/replay.cfg"
  while read -r w op txn amt; do
    printf 'url = "%s/wallets/%s/%s"\ndata = "{\\"txn\\":\\"%s\\",\\"amount\\":%s}"\nnext\n' \
      "$H" "$w" "$op" "$txn" "$amt" >>"$TEST_DIR/replay.cfg"
  done <"$TEST_DIR/all_acked"
  sed -i '$d' "$TEST_DIR/replay.cfg"
  curl -s -K "$TEST_DIR/replay.cfg" >"$TEST_DIR/replayed.jsonl"
  got=$(grep -c '"replayed":true' "$TEST_DIR/replayed.jsonl" || true)
  assert_eq "$got" "$acked" "acknowledged writes present after kill -9 (round $ROUND)"
  for i in $(seq 0 $((WALLETS - 1))); do
    c=$(curl -s -o "$TEST_DIR/wb.json" -w '%{http_code}' "$H/wallets/w$i")
    [ "$c" = 404 ] && continue
    assert_json "$TEST_DIR/wb.json" '.balance >= 0' "wallet w$i balance"
  done
  curl -s "$H/audit" >"$TEST_DIR/audit.json"
  assert_json "$TEST_DIR/audit.json" '.ok == true' "audit after kill -9"
  kill -TERM "$w_PID"; wait "$w_PID" || fail "clean stop after the check"
done
echo "servers_crash: ok"
