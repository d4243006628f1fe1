#!/usr/bin/env bash
# Queue throughput: enqueue + claim + ack per second through barrage-target queue on ONE core,
# durable (--sync batch: group commit, fsync before every reply), driven by wrk with a Lua
# script that cycles enqueue -> claim (max=1) -> ack of a key it claimed. The server is pinned
# to CPU 0 and wrk to CPU 1 (when the machine has two), data on the worktree's disk, not tmpfs.
# Prints the requests/s of each round, the median, and the command that measured them.
#
# The modelled platform did 2,000 queue requests/s across three servers; one core should beat it.
# Environment: BARRAGE_BIN (folder with barrage-target; default ./bin), ROUNDS (3), SECS (10),
# CONNS (128: group commit batches what arrives while an fsync runs, so the figure follows
# connections x 1/fsync time until the CPU is the limit).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BIN=${BARRAGE_BIN:-$ROOT/bin}
ROUNDS=${ROUNDS:-3}
SECS=${SECS:-10}
CONNS=${CONNS:-128}
command -v wrk >/dev/null || { echo "bench/queue.sh: wrk is not installed (apt-get install wrk)" >&2; exit 77; }
[ -x "$BIN/barrage-target" ] || make -C "$ROOT" -j2 VARIANT=release bin/barrage-target >/dev/null
work=$(mktemp -d "$ROOT/build/bench-queue.XXXXXX")
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

cpu_server=0 cpu_client=1
[ "$(nproc)" -ge 2 ] || cpu_client=0

cat >"$work/queue.lua" <<'LUA'
-- enqueue -> claim -> ack, per thread; keys claimed wait in a list until an ack takes them.
local keys = {}
local step = 0
local enq_req, claim_req
n_enq, n_claim, n_ack, n_claimed, n_acked, n_bad = 0, 0, 0, 0, 0, 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local h = { ["Content-Type"] = "application/json" }
  enq_req = wrk.format("POST", "/queues/bench/messages", h,
                       '{"body":{"to":"+33600000000","text":"Your code is 123456"}}')
  claim_req = wrk.format("POST", "/queues/bench/claim?max=1&lease=60s", nil, "")
end

function request()
  step = step % 3 + 1
  if step == 3 then
    local k = table.remove(keys)
    if k then
      n_ack = n_ack + 1
      return wrk.format("POST", "/queues/bench/ack", { ["Content-Type"] = "application/json" },
                        '{"keys":["' .. k .. '"]}')
    end
    step = 1 -- nothing claimed yet: enqueue instead
  end
  if step == 1 then
    n_enq = n_enq + 1
    return enq_req
  end
  n_claim = n_claim + 1
  return claim_req
end

function response(status, headers, body)
  if status >= 300 then
    n_bad = n_bad + 1
    return
  end
  local k = body:match('"key":"([^"]+)","body"')
  if k then
    n_claimed = n_claimed + 1
    keys[#keys + 1] = k
  elseif body:find('"acked":1', 1, true) then
    n_acked = n_acked + 1
  end
end

function done(summary, latency, requests)
  local t = { enq = 0, claim = 0, ack = 0, claimed = 0, acked = 0, bad = 0 }
  for _, th in ipairs(threads) do
    t.enq = t.enq + th:get("n_enq")
    t.claim = t.claim + th:get("n_claim")
    t.ack = t.ack + th:get("n_ack")
    t.claimed = t.claimed + th:get("n_claimed")
    t.acked = t.acked + th:get("n_acked")
    t.bad = t.bad + th:get("n_bad")
  end
  local s = summary.duration / 1e6
  io.write(string.format("MIX enqueue %d claim %d ack %d claimed %d acked %d non2xx %d " ..
                         "errors %d acked_per_s %.0f p99_ms %.2f\n",
                         t.enq, t.claim, t.ack, t.claimed, t.acked, t.bad,
                         summary.errors.connect + summary.errors.read + summary.errors.write +
                         summary.errors.timeout, t.acked / s, latency:percentile(99) / 1000))
end
LUA

rates=() caps=()
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for r in $(seq 1 "$ROUNDS"); do
  rm -rf "$work/data" "$work/ports"
  taskset -c "$cpu_server" "$BIN/barrage-target" queue --listen 127.0.0.1:0 --port-file "$work/ports" \
    --data-dir "$work/data" --sync "${SYNC:-batch}" -q 2>"$work/server.log" &
  pid=$!
  for _ in $(seq 1 100); do [ -s "$work/ports" ] && break; sleep 0.05; done
  port=$(awk '$1=="http"{print $2}' "$work/ports")
  t0=$(cpu_ticks "$pid")
  cmd="taskset -c $cpu_client wrk -t1 -c$CONNS -d${SECS}s -s queue.lua http://127.0.0.1:$port"
  out=$(cd "$work" && $cmd)
  t1=$(cpu_ticks "$pid")
  curl -s "http://127.0.0.1:$port/metrics" >"$work/metrics" || true
  kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  rps=$(awk '/^Requests\/sec/{printf "%.0f", $2}' <<<"$out")
  total=$(awk '/requests in/{print $1}' <<<"$out")
  mix=$(grep '^MIX' <<<"$out" | cut -c5-)
  fsyncs=$(awk '$1=="journal_fsyncs"{print $2}' "$work/metrics")
  # Server CPU per request (user + system), from /proc: what one core can do when it is not
  # shared, whatever else the machine is running.
  cpu_us=$(awk -v t=$(( t1 - t0 )) -v hz="$(getconf CLK_TCK)" -v n="$total" \
    'BEGIN{printf "%.1f", t * 1e6 / hz / n}')
  cap=$(awk -v c="$cpu_us" 'BEGIN{printf "%.0f", 1e6 / c}')
  echo "round $r: $rps requests/s; server CPU $cpu_us us/request (= $cap requests/s per core);" \
    "$fsyncs fsyncs; $mix"
  rates+=("$rps")
  caps+=("$cap")
done
median=$(printf '%s\n' "${rates[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
cmed=$(printf '%s\n' "${caps[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
echo "queue: median $median requests/s measured (enqueue+claim+ack, --sync ${SYNC:-batch}, server pinned to one core);"
echo "       median CPU capacity $cmed requests/s per core (server CPU time per request)"
echo "command: barrage-target queue --sync ${SYNC:-batch} (taskset -c $cpu_server) + taskset -c $cpu_client wrk -t1 -c$CONNS -d${SECS}s -s queue.lua"
echo "target to beat: 2,000 queue requests/s across three servers"
