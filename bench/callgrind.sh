#!/usr/bin/env bash
# Instructions per request (callgrind), for Barrage's two HTTP clients and wrk, 50 connections
# against barrage-target on another core: keep-alive GET, a new connection per request
# (Barrage: http.keepalive false; wrk: Connection: close) and HTTPS keep-alive GET (Barrage's
# lean client: http.client lean). Each client runs twice under callgrind (SHORT and LONG
# seconds; TLS_SHORT and TLS_LONG for HTTPS, whose 50 handshakes take seconds under callgrind);
# the difference in instructions over the difference in requests (as the target counted them)
# leaves start-up, handshakes and teardown out.
# Environment: BIN (bin/), SHORT (2), LONG (5), TLS_SHORT (8), TLS_LONG (16), CLIENT_CPU (0),
# TARGET_CPU (1), WORKLOADS ("get close https", any of them).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
SHORT=${SHORT:-2}
LONG=${LONG:-5}
TLS_SHORT=${TLS_SHORT:-8}
TLS_LONG=${TLS_LONG:-16}
CLIENT_CPU=${CLIENT_CPU:-0}
TARGET_CPU=${TARGET_CPU:-1}
WORKLOADS=${WORKLOADS:-get close https}
command -v valgrind >/dev/null || { echo "callgrind: valgrind not installed"; exit 1; }
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill -9 "$p" 2>/dev/null && { wait "$p" 2>/dev/null || true; }; done; rm -rf "$tmp"; }
trap cleanup EXIT
taskset -c "$TARGET_CPU" "$BIN/barrage-target" target --listen 127.0.0.1:0 --tls-listen 127.0.0.1:0 \
  --threads 1 --port-file "$tmp/ports" >"$tmp/target.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/ports" ] && break; sleep 0.05; done
PORT=$(awk '$1=="http"{print $2}' "$tmp/ports")
TLS_PORT=$(awk '$1=="https"{print $2}' "$tmp/ports")
URL=http://127.0.0.1:$PORT
TLS_URL=https://127.0.0.1:$TLS_PORT
served() { curl -s "$URL/__stats" | jq .requests; }
# run WORKLOAD CLIENT SECONDS: prints "instructions requests"
run() {
  local w=$1 name=$2 secs=$3 before after ir
  local cg=(taskset -c "$CLIENT_CPU" valgrind --tool=callgrind --callgrind-out-file="$tmp/cg")
  before=$(served)
  case $name.$w in
    wrk.get) "${cg[@]}" wrk -t1 -c50 -d"${secs}s" "$URL/" >/dev/null 2>"$tmp/vg" ;;
    wrk.close) "${cg[@]}" wrk -t1 -c50 -d"${secs}s" -H "Connection: close" "$URL/" >/dev/null 2>"$tmp/vg" ;;
    wrk.https) "${cg[@]}" wrk -t1 -c50 -d"${secs}s" "$TLS_URL/" >/dev/null 2>"$tmp/vg" ;;
    *)
      sed -e "s/PORT/$PORT/; s/DURATION/$secs/" bench/get.plan.json |
        jq --arg c "$name" --arg w "$w" --arg t "$TLS_URL" '.http.client = $c |
          if $w == "close" then .http.keepalive = false
          elif $w == "https" then .target = $t | .http.tls_verify = false else . end' >"$tmp/plan.json"
      "${cg[@]}" "$BIN/barrage-agent" --plan "$tmp/plan.json" >/dev/null 2>"$tmp/vg" ;;
  esac
  after=$(served)
  ir=$(grep -h '^summary:' "$tmp"/cg* | awk '{s += $2} END {print s}')
  rm -f "$tmp"/cg*
  echo "$ir $((after - before))"
}
printf '%-26s %-6s %14s %10s %14s %10s\n' workload client instructions requests instr/request "vs wrk"
for w in $WORKLOADS; do
  case $w in
    get) label="keep-alive GET" ;;
    close) label="new connection per request" ;;
    https) label="HTTPS keep-alive GET" ;;
  esac
  declare -A per=()
  for c in wrk curl lean; do
    read -r i1 r1 < <(run "$w" "$c" "$([ "$w" = https ] && echo "$TLS_SHORT" || echo "$SHORT")")
    read -r i2 r2 < <(run "$w" "$c" "$([ "$w" = https ] && echo "$TLS_LONG" || echo "$LONG")")
    per[$c]=$(( (i2 - i1) / (r2 - r1 > 0 ? r2 - r1 : 1) ))
    printf '%-26s %-6s %14s %10s %14s %10s\n' "$label" "$c" "$((i2 - i1))" "$((r2 - r1))" "${per[$c]}" \
      "$(awk -v a="${per[$c]}" -v b="${per[wrk]}" 'BEGIN { printf (b > 0 ? "%.2fx" : "-"), a / b }')"
  done
  unset per
done
echo "(target: the lean client <= 1.5x wrk's instructions per keep-alive request)"
