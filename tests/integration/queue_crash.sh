#!/usr/bin/env bash
# Crash test of the queue: producers and consumers (bounded loops) run against the server while
# it is killed with SIGKILL at a random moment; a new server on the same data dir must then hold
# exactly what the clients were promised:
#   - every enqueue answered 201 is either still in the queue or was acknowledged (acked);
#   - no message whose ack was answered 200 is ever delivered again;
#   - no message was handed to two consumers while its lease ran (leases are 60s here);
#   - restart_count grew by one (keys of new messages carry it), and recovery walked the keys
#     forward from the last counter checkpoint (1000 messages are enqueued first, so one exists).
# Then a clean restart after draining finds the queue empty and restart_count grown again.
# timeout: 240
source "$(dirname "$0")/../lib.sh"

data=$TEST_DIR/data
start_server q queue --data-dir "$data" --sync batch
base=http://127.0.0.1:$q_PORT
w=$TEST_DIR/work
mkdir -p "$w"

# Preload: one curl, 1000 enqueues over up to 50 parallel connections (so group commit can
# batch them), so the counter passes a checkpoint.
urls=()
for _ in $(seq 1 1000); do urls+=("$base/queues/sms/messages"); done
echo "$(date +%T) preload"
curl -s -Z --parallel-max 50 --max-time 100 -H 'Content-Type: application/json' -d '{"body":"pre"}' "${urls[@]}" |
  grep -o '"key":"[^"]*"' | cut -d'"' -f4 >"$w/enq.pre"
[ "$(wc -l <"$w/enq.pre")" -eq 1000 ] || fail "preload: $(wc -l <"$w/enq.pre") of 1000 acknowledged"

producer() { # ID: 40 batches of 10 enqueues; records each key answered with 201
  local id=$1 b i u=()
  for i in $(seq 1 10); do u+=("$base/queues/sms/messages"); done
  for b in $(seq 1 40); do
    [ -e "$w/stop" ] && break
    curl -s --max-time 10 -H 'Content-Type: application/json' -d "{\"body\":{\"p\":$id,\"b\":$b}}" \
      "${u[@]}" 2>/dev/null | grep -o '"key":"[^"]*"' | cut -d'"' -f4 >>"$w/enq.$id" || true
  done
}

consumer() { # ID: 150 rounds of claim + ack
  local id=$1 r keys body resp
  for r in $(seq 1 150); do
    [ -e "$w/stop" ] && break
    curl -s --max-time 10 -X POST "$base/queues/sms/claim?max=20&lease=60s" >"$w/claim.$id" \
      2>/dev/null || { sleep 0.05; continue; }
    keys=$(jq -r '.messages[].key' "$w/claim.$id" 2>/dev/null) || continue
    [ -n "$keys" ] || { sleep 0.02; continue; }
    echo "$keys" >>"$w/delivered.$id"
    echo "$keys" >>"$w/acking.$id"
    body=$(jq -c '{keys: [.messages[].key]}' "$w/claim.$id")
    resp=$(curl -s --max-time 10 -X POST -H 'Content-Type: application/json' -d "$body" \
      "$base/queues/sms/ack" 2>/dev/null) || continue
    if jq -e '.unknown == []' <<<"$resp" >/dev/null 2>&1; then
      echo "$keys" >>"$w/acked.$id"
    elif jq -e '.acked' <<<"$resp" >/dev/null 2>&1; then
      echo "consumer $id: ack of claimed keys reported unknown: $resp" >>"$w/errors"
    fi
  done
}

echo "$(date +%T) load"
jobs_=()
for id in 1 2 3; do producer "$id" & jobs_+=($!); done
for id in 1 2; do consumer "$id" & jobs_+=($!); done
# The kill: at a random moment once the load is under way (some acks confirmed, so there is
# something to check on both sides; at most 20 s of waiting on a slow machine), then 0-1.5 s.
for _ in $(seq 1 200); do
  [ "$(cat "$w"/acked.* 2>/dev/null | wc -l)" -ge 40 ] && break
  sleep 0.1
done
sleep "$(( RANDOM % 2 )).$(( RANDOM % 10 ))"
kill -9 "$q_PID"
echo "$(date +%T) killed the server at a random moment"
touch "$w/stop" # clients finish what they were doing (and record it) and stop
wait "${jobs_[@]}" 2>/dev/null || true
echo "$(date +%T) clients done"
[ ! -s "$w/errors" ] || fail "$(cat "$w/errors")"

cat "$w"/enq.* | sort >"$w/E"
cat "$w"/acked.* 2>/dev/null | sort >"$w/A" || true
cat "$w"/acking.* 2>/dev/null | sort >"$w/AA" || true
cat "$w"/delivered.* 2>/dev/null | sort >"$w/D" || true
echo "acknowledged enqueues: $(wc -l <"$w/E"); delivered: $(wc -l <"$w/D");" \
  "acks confirmed: $(wc -l <"$w/A")"
dups=$(uniq -d "$w/D" | head -3)
[ -z "$dups" ] || fail "delivered twice under a running lease: $dups"

# Restart on the same data dir.
start_server q2 queue --data-dir "$data" --sync batch
base=http://127.0.0.1:$q2_PORT
grep -q 'restart_count 2' "$TEST_DIR/q2.log" || fail "restart_count did not grow: $(cat "$TEST_DIR/q2.log")"
curl -s "$base/metrics" >"$w/metrics"
ckpt=$(awk '$1=="queue_checkpoint_counter"{print $2}' "$w/metrics")
walked=$(awk '$1=="queue_walked_keys"{print $2}' "$w/metrics")
counter=$(awk '$1=="queue_counter"{print $2}' "$w/metrics")
[ "$ckpt" -ge 1000 ] || fail "no counter checkpoint recovered (checkpoint $ckpt)"
[ "$(( ckpt + walked ))" -eq "$counter" ] || fail "walk: checkpoint $ckpt + walked $walked != counter $counter"
echo "recovery: checkpoint $ckpt, walked $walked keys to counter $counter"

echo "$(date +%T) drain"
# Drain everything that survived, acking as we go.
: >"$w/R"
for _ in $(seq 1 100); do
  curl -s -X POST "$base/queues/sms/claim?max=1000&lease=10m" >"$w/drain.json"
  n=$(jq '.messages | length' "$w/drain.json")
  [ "$n" -gt 0 ] || break
  jq -r '.messages[].key' "$w/drain.json" >>"$w/R"
  curl -s -X POST -d "$(jq -c '{keys: [.messages[].key]}' "$w/drain.json")" "$base/queues/sms/ack" \
    >"$w/ack.json"
  assert_json "$w/ack.json" ".acked == $n" "drain ack"
done
sort -o "$w/R" "$w/R"
[ -z "$(uniq -d "$w/R")" ] || fail "drain delivered a message twice"

# No acknowledged message is delivered again.
again=$(comm -12 "$w/A" "$w/R" | head -3)
[ -z "$again" ] || fail "acknowledged messages delivered again after restart: $again"
# No acknowledged enqueue is missing: each is still queued or was (at least) being acked.
sort -u "$w/R" "$w/AA" >"$w/have"
missing=$(comm -23 "$w/E" "$w/have" | head -3)
[ -z "$missing" ] || fail "acknowledged enqueues lost: $missing ($(comm -23 "$w/E" "$w/have" | wc -l) in all)"
echo "after restart: $(wc -l <"$w/R") messages were still queued; none lost, none acked redelivered"

# New keys carry restart_count 2; the counter continues past the recovered one.
k=$(curl -s -X POST -d '{"body":"after"}' "$base/queues/sms/messages" | jq -r .key)
[[ "$k" == *":2:$(( counter + 1 ))" ]] || fail "key after restart: $k (counter was $counter)"
curl -s -X POST -d "{\"keys\":[\"$k\"]}" "$base/queues/sms/ack" >"$w/ack.json"
assert_json "$w/ack.json" '.acked == 1'

# A clean stop and a third start: empty queue, restart_count 3.
kill "$q2_PID"
for _ in $(seq 1 100); do kill -0 "$q2_PID" 2>/dev/null || break; sleep 0.05; done
start_server q3 queue --data-dir "$data" --sync batch
grep -q 'restart_count 3' "$TEST_DIR/q3.log" || fail "third start: $(cat "$TEST_DIR/q3.log")"
curl -s "http://127.0.0.1:$q3_PORT/queues/sms" >"$w/stats.json"
assert_json "$w/stats.json" '.ready == 0 and .leased == 0 and .scheduled == 0' "queue empty after drain"
echo "queue_crash: ok"
