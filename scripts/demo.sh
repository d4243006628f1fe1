#!/usr/bin/env bash
# The newcomer's first command: install what is missing, build, start the bundled voting server
# on 127.0.0.1, run scenarios/voting.yaml against it with local agents, stop the server, and say
# where the report is.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
make -j"$(nproc)"
data=$(mktemp -d "${TMPDIR:-/tmp}/barrage-demo.XXXXXX")
bin/barrage-target voting --listen 127.0.0.1:8080 --data-dir "$data" --port-file "$data/ports" \
  2>"$data/voting.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do [ -s "$data/ports" ] && break; sleep 0.1; done
[ -s "$data/ports" ] || { echo "the voting server did not start:"; cat "$data/voting.log"; exit 1; }
out=runs/voting-demo-$(date +%Y%m%d-%H%M%S)
rc=0
bin/barrage run scenarios/voting.yaml --out "$out" "$@" || rc=$?
echo
echo "report: $out/report.html   (summary: $out/summary.json)"
exit $rc
