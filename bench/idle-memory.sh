#!/usr/bin/env bash
# Memory per idle keep-alive user, for Barrage's two HTTP clients: barrage-agent's peak RSS
# (/usr/bin/time %M) with SMALL users and with LARGE users, each user making one GET on its
# keep-alive connection and then thinking for the rest of the run (the connection open and
# idle). Per user = (peak(LARGE) - peak(SMALL)) / (LARGE - SMALL), which leaves the agent's fixed
# cost (threads, read buffers, libraries) out; the SMALL run's peak RSS is printed too.
# Every user must have been answered (http_200 == users), or the figure is refused.
# Environment: BIN (bin/), SMALL (100), LARGE (2100), SECS (5).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
SMALL=${SMALL:-100}
LARGE=${LARGE:-2100}
SECS=${SECS:-5}
command -v /usr/bin/time >/dev/null || { echo "idle-memory: /usr/bin/time not installed"; exit 1; }
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]:-}"; do kill -9 "$p" 2>/dev/null && { wait "$p" 2>/dev/null || true; }; done; rm -rf "$tmp"; }
trap cleanup EXIT
"$BIN/barrage-target" target --listen 127.0.0.1:0 --port-file "$tmp/ports" >"$tmp/target.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$tmp/ports" ] && break; sleep 0.05; done
PORT=$(awk '$1=="http"{print $2}' "$tmp/ports")
[ -n "$PORT" ] || { echo "idle-memory: the target did not start"; exit 1; }
# peak CLIENT USERS: prints the agent's peak RSS in KiB
peak() {
  cat >"$tmp/plan.json" <<JSON
{"version": 1, "name": "bench-idle", "target": "http://127.0.0.1:$PORT", "interval_us": 1000000,
 "http": {"client": "$1"},
 "load": {"model": "closed", "users": $2, "duration_us": ${SECS}000000},
 "sessions": [{"name": "idle", "steps": [
   {"kind": "request", "request": {"method": "GET", "url": "/"}},
   {"kind": "think", "think": {"kind": "fixed", "value_us": 3600000000}}]}]}
JSON
  /usr/bin/time -f '%M' -o "$tmp/rss" "$BIN/barrage-agent" --plan "$tmp/plan.json" -q >"$tmp/out.json" 2>"$tmp/err" ||
    { cat "$tmp/err" >&2; echo "idle-memory: the agent failed" >&2; exit 1; }
  local ok
  ok=$(tail -1 "$tmp/out.json" | jq ".counters.http_200 == $2 and .counters.users_count == $2")
  [ "$ok" = true ] || { tail -1 "$tmp/out.json" >&2; echo "idle-memory: not every user was answered" >&2; exit 1; }
  tail -1 "$tmp/rss"
}
echo "Memory per idle keep-alive user (peak RSS, $SMALL and $LARGE users, one GET then idle)"
printf '%-6s %16s %16s %18s\n' client "peak RSS $SMALL" "peak RSS $LARGE" "KB per idle user"
for c in lean curl; do
  a=$(peak "$c" "$SMALL")
  b=$(peak "$c" "$LARGE")
  printf '%-6s %13s KiB %13s KiB %18s\n' "$c" "$a" "$b" \
    "$(awk -v a="$a" -v b="$b" -v n=$((LARGE - SMALL)) 'BEGIN { printf "%.1f", (b - a) * 1.024 / n }')"
done
echo "(target: <= 8 KB per idle keep-alive plain-HTTP user)"
