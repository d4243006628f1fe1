#!/usr/bin/env bash
# Many think-time users on this machine, through `barrage run` (controller and local agents, so
# an agent that falls behind on its heartbeats is declared lost as in a real run):
#
#   bench/scale.sh                          12,000 users, one agent, the bundled target
#   USERS=100000 AGENTS=6 SOURCES=8 TARGET=nginx bench/scale.sh  (bench/scale-100k.sh)
#
# Each user loops: GET / on its keep-alive connection, then thinks THINK (every user answered
# once per THINK at steady state). Users start spread over RAMP; the run lasts DURATION. With
# SOURCES=N the agents bind their connections round robin to 127.0.0.2 .. 127.0.0.(N+1)
# (http.source_addresses), so more than ~28,000 connections go to the one target port. TARGET:
# `barrage` (barrage-target target, one process) or `nginx` (Debian's nginx-light, NGINX_WORKERS
# processes sharing the port with reuseport, so no process needs more descriptors than
# `ulimit -Hn` allows). Traffic stays on 127.0.0.0/8 and everything stops by itself.
#
# Measured: every agent's peak RSS (VmHWM, sampled each second), the target's established
# connections on its port (ss, sampled each second: the most seen), the run's counters. Pass:
# no error_* counter, no agent lost, at least USERS connections seen established at the target.
# Environment: USERS (12000), AGENTS (1), THREADS (1), SOURCES (0), TARGET (barrage),
# NGINX_WORKERS (8), THINK (10s), RAMP (30s), DURATION (90s), BIN (bin/), OUT (a new temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
USERS=${USERS:-12000}
AGENTS=${AGENTS:-1}
THREADS=${THREADS:-1}
SOURCES=${SOURCES:-0}
TARGET=${TARGET:-barrage}
NGINX_WORKERS=${NGINX_WORKERS:-8}
THINK=${THINK:-10s}
RAMP=${RAMP:-30s}
DURATION=${DURATION:-90s}
BIN=${BIN:-bin}
OUT=${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/barrage-scale.XXXXXX")}
mkdir -p "$OUT"
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null && { wait "$p" 2>/dev/null || true; }; done
  [ -s "$OUT/nginx.pid" ] && kill "$(cat "$OUT/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT
echo "scale: $USERS users, $AGENTS agent(s) x $THREADS thread(s), source addresses: $SOURCES, target: $TARGET"
echo "scale: ulimit -n $(ulimit -n) (hard $(ulimit -Hn)); load before: $(cut -d' ' -f1-3 /proc/loadavg); output in $OUT"
per_agent=$(( (USERS + AGENTS - 1) / AGENTS ))
[ "$per_agent" -lt "$(( $(ulimit -n) - 100 ))" ] ||
  { echo "scale: $per_agent users per agent need more descriptors than ulimit -n ($(ulimit -n)): add agents"; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
case $TARGET in
  barrage)
    [ "$USERS" -lt "$(( $(ulimit -n) - 100 ))" ] ||
      { echo "scale: barrage-target is one process: $USERS connections need more than ulimit -n; use TARGET=nginx"; exit 1; }
    "$BIN/barrage-target" target --listen "127.0.0.1:$port" --port-file "$OUT/target.ports" \
      >"$OUT/target.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do [ -s "$OUT/target.ports" ] && break; sleep 0.05; done ;;
  nginx)
    command -v nginx >/dev/null || { echo "scale: nginx not installed (scripts/install-deps.sh)"; exit 1; }
    # reuseport spreads connections by hash: leave each worker a fifth more than its share.
    wc=$(( USERS / NGINX_WORKERS + USERS / NGINX_WORKERS / 5 + 500 ))
    [ "$wc" -lt "$(( $(ulimit -Hn) - 100 ))" ] ||
      { echo "scale: $wc connections per nginx worker need more than ulimit -Hn: raise NGINX_WORKERS"; exit 1; }
    mkdir -p "$OUT/nginx"
    cat >"$OUT/nginx.conf" <<CONF
daemon off;
worker_processes $NGINX_WORKERS;
worker_rlimit_nofile $(( $(ulimit -Hn) - 10 ));
pid $OUT/nginx.pid;
error_log $OUT/nginx/error.log warn;
events { worker_connections $wc; }
http {
  access_log off;
  keepalive_timeout 600s;
  keepalive_requests 1000000;
  client_body_temp_path $OUT/nginx; proxy_temp_path $OUT/nginx; fastcgi_temp_path $OUT/nginx;
  uwsgi_temp_path $OUT/nginx; scgi_temp_path $OUT/nginx;
  server {
    listen 127.0.0.1:$port reuseport backlog=4096;
    location / { return 200 "ok\n"; }
  }
}
CONF
    nginx -c "$OUT/nginx.conf" -p "$OUT/nginx" >"$OUT/target.log" 2>&1 &
    pids+=($!) ;;
  *) echo "scale: TARGET must be barrage or nginx"; exit 1 ;;
esac
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
curl -sf -o /dev/null "http://127.0.0.1:$port/" || { cat "$OUT/target.log"; echo "scale: the target did not start"; exit 1; }

src=
if [ "$SOURCES" -gt 0 ]; then
  src="http: { source_addresses: [$(seq -s, -f '127.0.0.%g' 2 $((SOURCES + 1)))] }"
fi
cat >"$OUT/scale.yaml" <<YAML
name: scale-$USERS
target: http://127.0.0.1:$port
$src
load:
  users: $USERS
  ramp_up: $RAMP
  duration: $DURATION
sessions:
  - name: think
    steps:
      - repeat: 1000000
        steps:
          - request: { url: / }
          - think: $THINK
report:
  interval: 5s
agents:
  local: $AGENTS
  threads: $THREADS
YAML
"$BIN/barrage" check -q "$OUT/scale.yaml" || { echo "scale: the scenario does not check"; exit 1; }

"$BIN/barrage" run "$OUT/scale.yaml" -q --out "$OUT/run" >"$OUT/run.log" 2>&1 &
ctl=$!
pids+=("$ctl")
declare -A hwm=()
est_max=0 load_max=0
while kill -0 "$ctl" 2>/dev/null; do
  for a in $(pgrep -P "$ctl" -x barrage-agent 2>/dev/null); do
    v=$(awk '/^VmHWM/{print $2}' "/proc/$a/status" 2>/dev/null || echo 0)
    [ -n "$v" ] && [ "$v" -gt "${hwm[$a]:-0}" ] && hwm[$a]=$v
  done
  e=$(ss -Htn state established "( sport = :$port )" 2>/dev/null | wc -l)
  if [ "$e" -gt "$est_max" ]; then est_max=$e; ss -s >"$OUT/ss-s.txt"; fi
  l=$(cut -d' ' -f1 /proc/loadavg)
  awk -v a="$l" -v b="$load_max" 'BEGIN { exit !(a > b) }' && load_max=$l
  sleep 1
done
rc=0
wait "$ctl" || rc=$?
s=$OUT/run/summary.json
[ -s "$s" ] || { cat "$OUT/run.log"; echo "scale: no summary (run exit $rc)"; exit 1; }
echo "scale: run exit $rc, end $(jq -r .end_reason "$s"); load max $load_max, after $(cut -d' ' -f1-3 /proc/loadavg)"
jq -c '{users: .counters.users_count, requests: .stats.request.count, http_status, errors, errors_total,
        agents: [.agents[] | {id, lost, saturated, cpu_max, conns_max}]}' "$s"
total=0
for a in "${!hwm[@]}"; do
  echo "scale: agent pid $a peak RSS ${hwm[$a]} KiB ($(( hwm[$a] * 1024 / (USERS / AGENTS) )) bytes per user)"
  total=$((total + hwm[$a]))
done
echo "scale: agents' peak RSS in all $total KiB; target's established connections at most $est_max"
echo "scale: ss -s at that moment:"; sed 's/^/  /' "$OUT/ss-s.txt"
ok=true
[ "$(jq '.errors_total' "$s")" = 0 ] || { echo "scale: FAIL: errors"; ok=false; }
[ "$(jq '[.agents[] | select(.lost)] | length' "$s")" = 0 ] || { echo "scale: FAIL: an agent was lost"; ok=false; }
[ "$(jq '.stats.request.count // 0' "$s")" -ge "$USERS" ] || { echo "scale: FAIL: fewer requests than users"; ok=false; }
[ "$est_max" -ge "$USERS" ] || { echo "scale: FAIL: the target saw at most $est_max of $USERS connections"; ok=false; }
$ok && echo "scale: ok" || exit 1
