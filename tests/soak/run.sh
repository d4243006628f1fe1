#!/usr/bin/env bash
# `make soak`: long runs that do not belong in `make test`. Bounded: SOAK_DURATION (default 10m)
# of the voting scenario against the voting server on 127.0.0.1, then the server's own audit
# must pass and the run must have lost no agent. Then 12,000 think-time users on one local agent
# against the bundled target (bench/scale.sh: every request answered, no error, the agent never
# lost), and with SOAK_100K=1 the 100,000-user run (bench/scale-100k.sh, docs/scale.md).
# Everything stops by itself.
set -euo pipefail
cd "$(dirname "$0")/../.."
dur=${SOAK_DURATION:-10m}
work=$(mktemp -d "${TMPDIR:-/tmp}/barrage-soak.XXXXXX")
bin/barrage-target voting --listen 127.0.0.1:0 --port-file "$work/ports" --data-dir "$work/data" \
  --accounts 1000 2>"$work/voting.log" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$work/ports" ] && break; sleep 0.1; done
port=$(awk '$1=="http"{print $2}' "$work/ports")
rc=0
bin/barrage run scenarios/voting.yaml --out "$work/run" -q \
  --set "target=http://127.0.0.1:$port" \
  --set "load.phases=[{duration: $dur, arrival_rate: 50/s}]" || rc=$?
audit=$(curl -s "http://127.0.0.1:$port/audit")
echo "audit: $audit"
echo "$audit" | jq -e '.ok == true' >/dev/null || { echo "soak: audit failed"; exit 1; }
jq -e '[.agents[] | select(.lost)] | length == 0' "$work/run/summary.json" >/dev/null \
  || { echo "soak: an agent was lost"; exit 1; }
echo "soak: voting ok (run exit $rc; report $work/run/report.html)"
USERS=${SOAK_USERS:-12000} bench/scale.sh
if [ "${SOAK_100K:-0}" = 1 ]; then bench/scale-100k.sh; fi
echo "soak: ok"
