#!/usr/bin/env bash
# Instructions per keep-alive request (callgrind), for Barrage's two HTTP clients and wrk:
# keep-alive GET, 50 connections, against barrage-target on another core. Each client runs
# twice under callgrind (SHORT and LONG seconds); the difference in instructions over the
# difference in requests (as the target counted them) leaves start-up and teardown out.
# Environment: BIN (bin/), SHORT (2), LONG (5), CLIENT_CPU (0), TARGET_CPU (1).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
SHORT=${SHORT:-2}
LONG=${LONG:-5}
CLIENT_CPU=${CLIENT_CPU:-0}
TARGET_CPU=${TARGET_CPU:-1}
command -v valgrind >/dev/null || { echo "callgrind: valgrind not installed"; exit 1; }
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT
taskset -c "$TARGET_CPU" "$BIN/barrage-target" target --listen 127.0.0.1:0 --threads 1 \
  --port-file "$tmp/ports" >"$tmp/target.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/ports" ] && break; sleep 0.05; done
PORT=$(awk '$1=="http"{print $2}' "$tmp/ports")
URL=http://127.0.0.1:$PORT
served() { curl -s "$URL/__stats" | jq .requests; }
# run NAME SECONDS: prints "instructions requests"
run() {
  local name=$1 secs=$2 before after ir
  before=$(served)
  case $name in
    wrk)
      taskset -c "$CLIENT_CPU" valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" \
        wrk -t1 -c50 -d"${secs}s" "$URL/" >/dev/null 2>"$tmp/vg" ;;
    *)
      sed -e "s/PORT/$PORT/; s/DURATION/$secs/" bench/get.plan.json |
        jq --arg c "$name" '.http.client = $c' >"$tmp/plan.json"
      taskset -c "$CLIENT_CPU" valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" \
        "$BIN/barrage-agent" --plan "$tmp/plan.json" >/dev/null 2>"$tmp/vg" ;;
  esac
  after=$(served)
  ir=$(grep -h '^summary:' "$tmp"/cg* | awk '{s += $2} END {print s}')
  rm -f "$tmp"/cg*
  echo "$ir $((after - before))"
}
printf '%-6s %14s %10s %14s\n' client instructions requests instr/request
for c in curl lean wrk; do
  read -r i1 r1 < <(run "$c" "$SHORT")
  read -r i2 r2 < <(run "$c" "$LONG")
  printf '%-6s %14s %10s %14s\n' "$c" "$((i2 - i1))" "$((r2 - r1))" "$(( (i2 - i1) / (r2 - r1 > 0 ? r2 - r1 : 1) ))"
done
