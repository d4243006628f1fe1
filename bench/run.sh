#!/usr/bin/env bash
# make bench: Barrage against wrk and Tsung, same machine, same target, one run.
#
# Workloads: (a) keep-alive GET, 50 connections; (b) a session (login capturing a token, two
# reads with it, a write when the captured balance is positive; no think time), 50 users each
# looping it on its keep-alive connection; (c) a new connection per request, 50 connections
# (Barrage: http.keepalive false; wrk: Connection: close); (d) HTTPS keep-alive GET, 50
# connections (Barrage: http.client lean or curl; the target's TLS listener). Tsung runs (a)
# and (b). The target (barrage-target target) is pinned to one core and the load generator to
# the other (taskset). Each tool runs ROUNDS times for DURATION seconds; the figures are the
# median of the rounds. Then memory per idle keep-alive user (bench/idle-memory.sh) and
# instructions per request (bench/callgrind.sh).
#
# What is measured, in a steady-state window (from 1 s after the target sees the first request,
# for WINDOW seconds), identically for every tool: requests/s as counted by the target, and the
# client's CPU (user + system of the whole process tree, from /proc) per request. Start-up
# (Erlang's VM for Tsung, plan compilation for Barrage) is outside the window.
#
# Barrage runs as its engine alone (barrage-agent --plan, the plans bench/*.plan.json), or with
# BARRAGE_VIA=run as a user runs it (barrage run bench/*.yaml --local 1: controller and agent,
# both counted in the client's CPU).
#
# Environment: ROUNDS (3), DURATION (7 s), WINDOW (3 s), BIN (bin/), CLIENT_CPU (0),
# TARGET_CPU (1), BENCH_OUT (bench/out), BARRAGE_VIA (agent or run), WORKLOADS ("get session
# close https", any of them).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
WORKLOADS=${WORKLOADS:-get session close https}
DURATION=${DURATION:-7}
WINDOW=${WINDOW:-3}
BIN=${BIN:-bin}
CLIENT_CPU=${CLIENT_CPU:-0}
TARGET_CPU=${TARGET_CPU:-1}
OUT=${BENCH_OUT:-bench/out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
HZ=$(getconf CLK_TCK)

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v tsung >/dev/null || need+=(tsung)
if [ ${#need[@]} -gt 0 ]; then
  sudo=; [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "bench: installing ${need[*]}"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi
[ -x "$BIN/barrage-agent" ] && [ -x "$BIN/barrage-target" ] || { echo "bench: build first (make)"; exit 1; }

pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -9 -- "-$p" "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# The target, on its own core.
rm -f "$OUT/target.ports"
setsid taskset -c "$TARGET_CPU" "$BIN/barrage-target" target --listen 127.0.0.1:0 \
  --tls-listen 127.0.0.1:0 --port-file "$OUT/target.ports" >"$OUT/target.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$OUT/target.ports" ] && break; sleep 0.05; done
PORT=$(awk '$1=="http"{print $2}' "$OUT/target.ports")
[ -n "$PORT" ] || { echo "bench: target did not start"; exit 1; }
TLS_PORT=$(awk '$1=="https"{print $2}' "$OUT/target.ports")
URL=http://127.0.0.1:$PORT
TLS_URL=https://127.0.0.1:$TLS_PORT
for _ in $(seq 100); do curl -sf "$URL/__stats" >/dev/null && break; sleep 0.05; done

served() { curl -s "$URL/__stats" | jq .requests || echo 0; }

# A process and all its descendants (found once the tool is running, so reading their CPU
# later is one quick pass over /proc).
tree_pids() {
  local all=("$1") frontier=("$1") next p c
  while [ ${#frontier[@]} -gt 0 ]; do
    next=()
    for p in "${frontier[@]}"; do
      for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do next+=("$c"); done
    done
    all+=("${next[@]}")
    frontier=("${next[@]}")
  done
  echo "${all[@]}"
}

# CPU ticks (user + system) of those processes.
ticks() {
  local f=()
  for p in "$@"; do f+=("/proc/$p/stat"); done
  cat "${f[@]}" 2>/dev/null | sed 's/^.*) //' | awk '{ s += $12 + $13 } END { print s + 0 }'
}

# measure NAME CMD...: one round; prints "rps us_per_request".
measure() {
  local name=$1; shift
  curl -s -X POST "$URL/__reset" >/dev/null || { echo "bench: the target is gone ($?, $URL)" >&2; cat "$OUT/target.log" >&2; ps aux | grep barrage-target >&2; exit 1; }
  setsid taskset -c "$CLIENT_CPU" "$@" >"$OUT/$name.out" 2>"$OUT/$name.err" &
  local pid=$!
  pids+=("$pid")
  local waited=0
  while [ "$(served)" -eq 0 ]; do
    sleep 0.1; waited=$((waited + 1))
    if [ $waited -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
      echo "bench: $name sent nothing (see $OUT/$name.err)" >&2; echo "0 0"; return
    fi
  done
  sleep 1
  local r0 c0 t0 r1 c1 t1 tree
  tree=$(tree_pids "$pid")
  c0=$(ticks $tree); r0=$(served); t0=$(date +%s.%N)
  sleep "$WINDOW"
  c1=$(ticks $tree); r1=$(served); t1=$(date +%s.%N)
  echo "bench: $name: window $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b - a}') s, requests $r0..$r1, CPU ticks $c0..$c1 (pids $tree)" >"$OUT/$name.window"
  # Let the tool end by itself (bounded), then make sure nothing is left.
  for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 -- "-$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  awk -v r="$((r1 - r0))" -v c="$((c1 - c0))" -v t0="$t0" -v t1="$t1" -v hz="$HZ" \
    'BEGIN { if (r <= 0) { print "0 0"; exit } printf "%.0f %.2f\n", r / (t1 - t0), c * 1e6 / hz / r }'
}

median() { sort -n | awk '{v[NR]=$1} END {print (NR ? v[int((NR + 1) / 2)] : 0)}'; }

fill() { sed -e "s/PORT/$PORT/g" -e "s/DURATION/$DURATION/g" "$1" >"$2"; }
fill bench/get.plan.json "$OUT/get.plan.json"
fill bench/session.plan.json "$OUT/session.plan.json"
# (c) and (d) are (a) with a new connection per request, and over TLS with the lean client
# (auto would take libcurl for https).
jq -c '.name = "bench-close" | .http.keepalive = false' "$OUT/get.plan.json" >"$OUT/close.plan.json"
jq -c --arg t "$TLS_URL" '.name = "bench-https" | .target = $t | .http.tls_verify = false |
  .http.client = "lean"' "$OUT/get.plan.json" >"$OUT/https.plan.json"
# Barrage with each HTTP client: the default (http.client: auto, the lean client for plain
# HTTP/1.1) and libcurl.
for w in get session close https; do
  jq -c '.http.client = "curl"' "$OUT/$w.plan.json" >"$OUT/$w.curl.plan.json"
done
fill bench/get.xml "$OUT/get.xml"
fill bench/session.xml "$OUT/session.xml"
TSUNG_DURATION=$((DURATION + 4)) # Erlang's start-up comes before the load
sed -i "s/duration=\"$DURATION\" unit=\"second\">/duration=\"$TSUNG_DURATION\" unit=\"second\">/" \
  "$OUT/get.xml" "$OUT/session.xml"

run_tool() { # workload tool -> "rps us"
  local w=$1 tool=$2
  case $tool in
    barrage)
      if [ "${BARRAGE_VIA:-agent}" = run ]; then
        rm -rf "$OUT/run-$w"
        measure "barrage-$w" "$BIN/barrage" run "bench/$w.yaml" --local 1 -q --out "$OUT/run-$w" \
          --set "target=$URL" --set "load.duration=${DURATION}s"
      else
        measure "barrage-$w" "$BIN/barrage-agent" --plan "$OUT/$w.plan.json" -q
      fi ;;
    barrage-curl)
      if [ "${BARRAGE_VIA:-agent}" = run ]; then
        rm -rf "$OUT/run-curl-$w"
        measure "barrage-curl-$w" "$BIN/barrage" run "bench/$w.yaml" --local 1 -q --out "$OUT/run-curl-$w" \
          --set "target=$URL" --set "load.duration=${DURATION}s" --set http.client=curl
      else
        measure "barrage-curl-$w" "$BIN/barrage-agent" --plan "$OUT/$w.curl.plan.json" -q
      fi ;;
    wrk)
      case $w in
        get) measure "wrk-$w" wrk -t1 -c50 -d"${DURATION}s" "$URL/" ;;
        close) measure "wrk-$w" wrk -t1 -c50 -d"${DURATION}s" -H "Connection: close" "$URL/" ;;
        https) measure "wrk-$w" wrk -t1 -c50 -d"${DURATION}s" "$TLS_URL/" ;;
        *) measure "wrk-$w" wrk -t1 -c50 -d"${DURATION}s" -s bench/session.lua "$URL/" ;;
      esac ;;
    tsung)
      rm -rf "$OUT/tsung-$w"; mkdir -p "$OUT/tsung-$w"
      measure "tsung-$w" tsung -f "$OUT/$w.xml" -l "$OUT/tsung-$w" start ;;
  esac
}

# Rounds are interleaved (barrage, wrk, tsung, barrage, ...) so that a busy neighbour on a
# shared machine weighs on every tool alike.
tools() { case $1 in get | session) echo barrage barrage-curl wrk tsung ;; *) echo barrage barrage-curl wrk ;; esac; }
declare -A RPS US ALL_RPS ALL_US
for w in $WORKLOADS; do
  for r in $(seq "$ROUNDS"); do
    for tool in $(tools "$w"); do
      read -r a b < <(run_tool "$w" "$tool")
      ALL_RPS[$w.$tool]+="$a "; ALL_US[$w.$tool]+="$b "
      echo "  $w $tool round $r: $a req/s, $b us/request" >&2
    done
  done
  for tool in $(tools "$w"); do
    RPS[$w.$tool]=$(printf '%s\n' ${ALL_RPS[$w.$tool]} | median)
    US[$w.$tool]=$(printf '%s\n' ${ALL_US[$w.$tool]} | median)
  done
done

echo
echo "Barrage vs wrk vs Tsung — client pinned to CPU $CLIENT_CPU, target to CPU $TARGET_CPU,"
echo "median of $ROUNDS rounds, ${WINDOW}s steady-state window (client CPU per request, lower is better)"
printf '%-34s %12s %12s %14s %14s\n' workload tool req/s "CPU us/req" "barrage ratio"
for w in $WORKLOADS; do
  case $w in
    get) label="(a) keep-alive GET, 50 conns" ;;
    session) label="(b) session, 50 users" ;;
    close) label="(c) new conn per request, 50" ;;
    https) label="(d) HTTPS keep-alive, 50 conns" ;;
  esac
  for tool in $(tools "$w"); do
    ratio=$(awk -v b="${US[$w.barrage]}" -v t="${US[$w.$tool]}" 'BEGIN { printf (t > 0 ? "%.2fx" : "-"), b / t }')
    printf '%-34s %12s %12s %14s %14s\n' "$label" "$tool" "${RPS[$w.$tool]}" "${US[$w.$tool]}" \
      "$([ $tool = barrage ] && echo - || echo "$ratio")"
  done
done
echo "(barrage ratio: Barrage's CPU per request / the tool's; targets: <= 1.2x wrk on (a), (c)"
echo " and (d), <= 1x wrk+Lua on (b), < 0.5x Tsung)"
echo "(barrage: the lean client (http.client auto, lean on (d)); barrage-curl: http.client: curl)"

# Memory per idle keep-alive user, both clients.
echo
BIN=$BIN bench/idle-memory.sh

# Instructions per request (callgrind) for both clients and wrk.
if command -v valgrind >/dev/null; then
  echo
  BIN=$BIN CLIENT_CPU=$CLIENT_CPU TARGET_CPU=$TARGET_CPU bench/callgrind.sh
fi
