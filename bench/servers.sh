#!/usr/bin/env bash
# Throughput of the reference servers on one core (for `make bench`): durable wallet debits/s
# with --sync batch (group commit: every reply waits for its fsync), votes/s through the voting
# server, and keep-alive GETs/s on the test target. The server is pinned to one core and wrk to
# the other; each figure is printed with the command that measured it and the server's CPU time
# per request. Traffic stays on 127.0.0.1.
#
#   bench/servers.sh [DURATION_S] [CONNECTIONS]       (defaults 10 and 50)
#   BARRAGE_BIN=build/release/bin bench/servers.sh    (default: bin/)
#   BENCH_ONLY=wallet bench/servers.sh                 (one of target, wallet, voting)
#   BENCH_WALLETS=20 bench/servers.sh                  (wallets the debits go to; default 200:
#                                                       fewer means more history folded per s)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${1:-10}
CONNS=${2:-50}
BIN=${BARRAGE_BIN:-bin}
ONLY=${BENCH_ONLY:-}
WALLETS=${BENCH_WALLETS:-200}
want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
TARGET=$BIN/barrage-target
[ -x "$TARGET" ] || { echo "bench/servers.sh: $TARGET missing (run make)" >&2; exit 2; }
if ! command -v wrk >/dev/null; then
  echo "bench/servers.sh: installing wrk" >&2
  apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null; }
fi
NCPU=$(nproc)
SRV_CPU=$(( NCPU > 1 ? 1 : 0 ))
WRK_CPU=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/barrage-bench-servers.XXXXXX")
SPID=
cleanup() { [ -n "$SPID" ] && kill "$SPID" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

start() { # SERVICE ARGS... -> PORT in $PORT, pid in $SPID
  local svc=$1; shift
  rm -f "$WORK/ports"
  taskset -c "$SRV_CPU" "$TARGET" "$svc" --listen 127.0.0.1:0 --port-file "$WORK/ports" -q "$@" &
  SPID=$!
  for _ in $(seq 1 100); do [ -s "$WORK/ports" ] && break; sleep 0.05; done
  PORT=$(awk '$1=="http"{print $2}' "$WORK/ports")
}
stop() { kill "$SPID"; wait "$SPID" 2>/dev/null || true; SPID=; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run_wrk LABEL URL [LUA]: prints requests/s, non-2xx count and server µs of CPU per request.
run_wrk() {
  local label=$1 url=$2 lua=${3:-} t0 t1 out rps total non2xx cmd
  cmd="taskset -c $WRK_CPU wrk -t1 -c$CONNS -d${DUR}s ${lua:+-s $lua} $url"
  t0=$(cpu_ticks "$SPID")
  out=$($cmd 2>&1)
  t1=$(cpu_ticks "$SPID")
  rps=$(awk '/^Requests\/sec/{print $2}' <<<"$out")
  total=$(awk '/requests in/{print $1}' <<<"$out")
  non2xx=$(awk '/Non-2xx/{print $NF}' <<<"$out"); non2xx=${non2xx:-0}
  printf '%-34s %10.0f req/s  %6.1f us server CPU/req  non-2xx %s\n' "$label" "$rps" \
    "$(awk -v a="$t0" -v b="$t1" -v n="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN{print n ? (b - a) * 1e6 / hz / n : 0}')" \
    "$non2xx"
  echo "    $cmd"
}

echo "reference servers, $CONNS connections, ${DUR}s each, server on cpu $SRV_CPU, wrk on cpu $WRK_CPU"

# 1. Test target: keep-alive GET of a small body.
if want target; then
start target
run_wrk "target keep-alive GET (100 B)" "http://127.0.0.1:$PORT/?size=100"
stop
fi

# 2. Wallet: durable debits. 200 wallets are credited far beyond what the run can spend; every
#    request carries a fresh txn id, so each one is a journaled, fsynced debit.
if want wallet; then
start wallet --data-dir "$WORK/wallet" --sync batch
for i in $(seq 0 $((WALLETS - 1))); do
  printf 'url = "http://127.0.0.1:%s/wallets/w%s/credit"\ndata = "{\\"txn\\":\\"seed\\",\\"amount\\":1000000000}"\noutput = "/dev/null"\nnext\n' "$PORT" "$i"
done | sed '$d' >"$WORK/seed.cfg"
curl -s -K "$WORK/seed.cfg"
cat >"$WORK/debit.lua" <<LUA
local id = 0
local counter = 0
local threads = 0
function setup(thread)
  thread:set("id", threads)
  threads = threads + 1
end
function request()
  counter = counter + 1
  local w = counter % $WALLETS
  return wrk.format("POST", "/wallets/w" .. w .. "/debit", { ["Content-Type"] = "application/json" },
    '{"txn":"b' .. id .. '-' .. counter .. '","amount":1}')
end
LUA
run_wrk "wallet debits (--sync batch, $WALLETS wallets)" "http://127.0.0.1:$PORT" "$WORK/debit.lua"
curl -s "http://127.0.0.1:$PORT/audit" | grep -q '"ok":true' || echo "    (audit FAILED after the run)"
curl -s "http://127.0.0.1:$PORT/metrics" | awk '/^(journal_(commits|fsyncs)|wallet_folds|wallet_history_(index_entries|index_bytes|syncs)) /{printf "    %s %s\n", $1, $2}'
stop
fi

# 3. Voting: votes through sessions. 200 users log in first; each request votes with one of the
#    bearer tokens; credits are seeded high so every vote is a successful, journaled debit.
if ! want voting; then exit 0; fi
start voting --data-dir "$WORK/voting" --sync batch --accounts 1000 --initial-credits 100000000
for i in $(seq 1 200); do
  printf 'url = "http://127.0.0.1:%s/login"\ndata = "{\\"user\\":\\"user%s\\",\\"password\\":\\"pw-user%s\\"}"\nnext\n' "$PORT" "$i" "$i"
done | sed '$d' >"$WORK/login.cfg"
curl -s -K "$WORK/login.cfg" | sed -n 's/.*"token":"\([0-9a-f]*\)".*/\1/p' >"$WORK/tokens"
cat >"$WORK/vote.lua" <<LUA
local tokens = {}
for line in io.lines("$WORK/tokens") do tokens[#tokens + 1] = line end
local counter = 0
function request()
  counter = counter + 1
  local t = tokens[(counter % #tokens) + 1]
  return wrk.format("POST", "/vote", { ["Authorization"] = "Bearer " .. t,
    ["Content-Type"] = "application/json" }, '{"candidate":' .. (counter % 5 + 1) .. '}')
end
LUA
run_wrk "votes (--sync batch)" "http://127.0.0.1:$PORT" "$WORK/vote.lua"
curl -s "http://127.0.0.1:$PORT/audit" | grep -q '"ok":true' || echo "    (audit FAILED after the run)"
curl -s "http://127.0.0.1:$PORT/results" | sed -n 's/.*"total":\([0-9]*\).*/    votes counted: \1/p'
stop
