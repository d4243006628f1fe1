#!/usr/bin/env bash
# timeout: 300
# Crash test: under concurrent credits and debits, kill -9 the wallet server at a random moment,
# restart it on the same data dir, and prove that every acknowledged credit/debit is present
# (each wallet's balance is exactly its acknowledged writes plus some of the few that were in
# flight at the kill; re-sending an acknowledged write is answered as a replay of the original),
# that no balance is negative, and that /audit passes. Two rounds, so a restarted server is
# crashed again.
#
# Idempotency is checked for what the wallet promises (docs/servers.md): a re-sent txn is
# recognised while it is among the last WINDOW transactions applied to its wallet. How many
# writes land before the kill depends on the machine's speed, so the re-sent set is not "every
# acknowledged write" (past the window that failed by timing, issue 14) but those that are in
# the window whatever the timing: see select_resends. FULL_HISTORY_IDEMPOTENCY=1 (the default
# since the wallet keeps its complete history and every txn id ever applied, issue 8) re-sends
# every acknowledged write; FULL_HISTORY_IDEMPOTENCY=0 only those surely in the window.
source "$(dirname "$0")/../lib.sh"

D=$TEST_DIR/data
LOOPS=4
PER_LOOP=300
WALLETS=4  # PER_LOOP / WALLETS writes per loop and wallet: see select_resends
WINDOW=256 # the wallet remembers at least the last 256 txns per wallet (WALLET_RECENT_FOLD)
FULL_HISTORY_IDEMPOTENCY=${FULL_HISTORY_IDEMPOTENCY:-1}

# One curl process per loop sends PER_LOOP writes over a kept-alive connection (a process per
# request would be the bottleneck on a loaded machine). The query string only tags each
# transfer, so -w can report which write got which status.
make_loop_cfg() { # ID PORT
  local id=$1 port=$2 k w op amt
  for k in $(seq 1 $PER_LOOP); do
    # Round robin, so each loop sends exactly PER_LOOP / WALLETS writes to each wallet (the
    # bound select_resends relies on); operations and amounts stay random.
    w=w$(((k + id) % WALLETS))
    if [ $((RANDOM % 10)) -lt 6 ]; then op=credit; else op=debit; fi
    amt=$((RANDOM % 5 + 1))
    printf 'url = "http://127.0.0.1:%s/wallets/%s/%s?tag=%s+%s+r%s-l%s-%s+%s"\n' \
      "$port" "$w" "$op" "$w" "$op" "$ROUND" "$id" "$k" "$amt"
    printf 'data = "{\\"txn\\":\\"r%s-l%s-%s\\",\\"amount\\":%s}"\n' "$ROUND" "$id" "$k" "$amt"
    printf 'output = "/dev/null"\nwrite-out = "%%{http_code} %%{url_effective}\\n"\nmax-time = 10\nnext\n'
  done | sed '$d'
}

# Print the acknowledged writes (lines "WALLET OP TXN AMOUNT", txn "rROUND-lLOOP-K") that are
# surely among the last WINDOW transactions applied to their wallet, whatever the interleaving:
# those applied after one are at most, on its wallet, the acknowledged writes of later rounds,
# of the other loops of its round and of its own loop after it, plus the writes of its round
# and later ones that may have been applied unanswered (maybe_applied). With
# FULL_HISTORY_IDEMPOTENCY=1, all of them. all_acked holds each loop's lines in sending order.
select_resends() {
  awk -v win=$WINDOW -v now=$ROUND -v full=$FULL_HISTORY_IDEMPOTENCY '
    function round_of(txn) { split(txn, p, "-"); return substr(p[1], 2) + 0 }
    FILENAME ~ /maybe_applied$/ { u[$1, round_of($3)]++; next }
    { split($3, p, "-"); r[++N] = substr(p[1], 2) + 0; l[N] = substr(p[2], 2) + 0
      w[N] = $1; line[N] = $0; n[$1, r[N]]++; nl[$1, r[N], l[N]]++ }
    END {
      for (i = N; i >= 1; i--) {      # backwards: later[] counts the same loop after line i
        b = n[w[i], r[i]] - nl[w[i], r[i], l[i]] + u[w[i], r[i]] + later[w[i], r[i], l[i]]++
        for (q = r[i] + 1; q <= now; q++) b += n[w[i], q] + u[w[i], q]
        keep[i] = full || b < win
      }
      for (i = 1; i <= N; i++) if (keep[i]) print line[i]
    }' "$TEST_DIR/maybe_applied" "$TEST_DIR/all_acked"
}

: >"$TEST_DIR/maybe_applied"
for ROUND in 1 2; do
  start_server w wallet --data-dir "$D"
  if [ "$ROUND" = 2 ]; then
    grep -q "journal .*wallet.journal: recovered" "$TEST_DIR/w.log" || fail "no recovery line"
  fi
  pids=()
  for i in $(seq 1 $LOOPS); do
    make_loop_cfg "$i" "$w_PORT" >"$TEST_DIR/loop$i.cfg"
  done
  base=$(curl -s "http://127.0.0.1:$w_PORT/audit" | jq -r '.transactions')
  for i in $(seq 1 $LOOPS); do
    curl -s -K "$TEST_DIR/loop$i.cfg" >"$TEST_DIR/out.$ROUND.$i" 2>/dev/null &
    pids+=($!)
  done
  # Kill at a random moment of the load, chosen as a number of applied writes rather than a
  # time (a fast machine would finish every loop before any fixed delay): once that many were
  # applied, or the loops are over. Always after LOOPS + 1: some loop then had two, and a loop
  # sends a write only after the answer to the previous one, so the round surely has an
  # acknowledged write to check.
  target=$((base + LOOPS + 1 + RANDOM % (LOOPS * PER_LOOP * 3 / 4)))
  for _ in $(seq 1 1500); do
    applied=$(curl -s "http://127.0.0.1:$w_PORT/audit" | jq -r '.transactions')
    [ "$applied" -ge "$target" ] && break
    running=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && running=1; done
    [ "$running" = 1 ] || break
    sleep 0.02
  done
  [ "$applied" -gt $((base + LOOPS)) ] || fail "round $ROUND: only $((applied - base)) writes applied"
  echo "round $ROUND: kill -9 once $((applied - base)) writes were applied (aimed at $((target - base)))"
  kill -9 "$w_PID"
  for p in "${pids[@]}"; do wait "$p" || true; done
  # 200: acknowledged; 409: a refused overdraft (nothing applied); 000: the server was gone.
  cat "$TEST_DIR"/out.$ROUND.* | awk '$1 != 200 && $1 != 409 && $1 != "000"' >"$TEST_DIR/errors"
  [ ! -s "$TEST_DIR/errors" ] || { head "$TEST_DIR/errors"; fail "unexpected statuses under load"; }
  cat "$TEST_DIR"/out.$ROUND.* | awk '$1 == 200' | sed 's/.*tag=//; s/+/ /g' >>"$TEST_DIR/acked"
  # Writes that may have been applied without an answer: in each loop, a 000 before its last
  # answered write (a failure while the server lived), and the first 000 after it (the write
  # in flight at the kill). Later ones met a dead server.
  for f in "$TEST_DIR"/out.$ROUND.*; do
    awk '{ code[NR] = $1; tag[NR] = $2 } $1 == 200 || $1 == 409 { last = NR }
         END { for (i = 1; i <= NR; i++)
                 if (code[i] == "000" && (i < last || (i > last && !after++))) print tag[i] }' \
      "$f" | sed 's/.*tag=//; s/+/ /g' >>"$TEST_DIR/maybe_applied"
  done

  # Restart and check.
  start_server w wallet --data-dir "$D"
  H=http://127.0.0.1:$w_PORT
  cp "$TEST_DIR/acked" "$TEST_DIR/all_acked"
  acked=$(wc -l <"$TEST_DIR/all_acked")
  echo "round $ROUND: $acked acknowledged writes before the kill"
  [ "$acked" -gt 0 ] || fail "no write was acknowledged before the kill (round $ROUND)"
  # Durability, whatever the window: each balance is its acknowledged writes plus a subset of
  # the writes that may have been applied unanswered (checked before any re-send).
  for i in $(seq 0 $((WALLETS - 1))); do
    c=$(curl -s -o "$TEST_DIR/wb.json" -w '%{http_code}' "$H/wallets/w$i")
    if [ "$c" = 404 ]; then bal=0; else bal=$(jq -r .balance "$TEST_DIR/wb.json"); fi
    awk -v w="w$i" -v bal="$bal" '
      function signed(op, amt) { return op == "credit" ? amt : -amt }
      FILENAME ~ /all_acked$/ && $1 == w { base += signed($2, $4) }
      FILENAME ~ /maybe_applied$/ && $1 == w { m[++n] = signed($2, $4) }
      END {
        reach[0] = 1                      # sums of subsets of the unanswered writes
        for (j = 1; j <= n; j++) {
          split("", next_); for (s in reach) { next_[s] = 1; next_[s + m[j]] = 1 }
          split("", reach); for (s in next_) reach[s] = 1
        }
        if (!((bal - base) in reach)) {
          printf "wallet %s: balance %d, acknowledged writes sum to %d, and no subset of the %d unanswered ones makes up %d\n", w, bal, base, n, bal - base
          exit 1
        }
      }' "$TEST_DIR/all_acked" "$TEST_DIR/maybe_applied" || fail "acknowledged writes lost after kill -9 (round $ROUND)"
  done

  select_resends >"$TEST_DIR/resend"
  sent=$(wc -l <"$TEST_DIR/resend")
  now=$(grep -c " r$ROUND-" "$TEST_DIR/resend" || true)
  echo "round $ROUND: re-sending $sent acknowledged writes ($now of this round)"
  # The last acknowledged write of every loop is in the window by construction (the bound in
  # select_resends stays under WINDOW), so this round is always checked.
  [ "$now" -gt 0 ] || fail "no write of round $ROUND to re-send"
  : >"$TEST_DIR/replay.cfg"
  while read -r w op txn amt; do
    printf 'url = "%s/wallets/%s/%s"\ndata = "{\\"txn\\":\\"%s\\",\\"amount\\":%s}"\nnext\n' \
      "$H" "$w" "$op" "$txn" "$amt" >>"$TEST_DIR/replay.cfg"
  done <"$TEST_DIR/resend"
  sed -i '$d' "$TEST_DIR/replay.cfg"
  curl -s -K "$TEST_DIR/replay.cfg" >"$TEST_DIR/replayed.jsonl"
  got=$(grep -c '"replayed":true' "$TEST_DIR/replayed.jsonl" || true)
  assert_eq "$got" "$sent" "re-sent acknowledged writes answered as replays (round $ROUND)"
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
