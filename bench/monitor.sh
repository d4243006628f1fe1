#!/usr/bin/env bash
# The controller's cost of target monitoring (docs/monitor.md): the same light run twice, once
# without monitoring and once watching N hosts (default 50) over SSH at a 1 s interval, and the
# controller's own CPU time during the run (user + system, from /proc/PID/stat when the end
# record is written: the report step after it is not monitoring).
#
# The N "hosts" are one real sshd (Debian's openssh-server, as in the tests) listening on
# 127.0.0.2 .. 127.0.0.(N+1), so each is a separate SSH connection with its own host-key check,
# authentication and monitor loop, exactly as N machines would be; only the remote shells'
# work lands on this machine too, which is the targets' cost, not the controller's.
#
#   sudo bench/monitor.sh [N] [SECONDS]      (needs root for sshd; uses bin/ from `make`)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-50}
SECS=${2:-30}
BIN=${BARRAGE_BIN:-$PWD/bin}
[ "$(id -u)" = 0 ] || { echo "bench/monitor.sh: needs root (sshd)"; exit 77; }
W=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$W"' EXIT

ssh-keygen -q -t ed25519 -N '' -f "$W/id" && cp "$W/id.pub" "$W/authorized_keys"
ssh-keygen -q -t ed25519 -N '' -f "$W/host"
port=$((30000 + RANDOM % 20000))
# sshd listens on at most 16 addresses: one server per 16 hosts.
mkdir -p /run/sshd
for ((first = 2; first <= N + 1; first += 16)); do
  last=$((first + 15 > N + 1 ? N + 1 : first + 15))
  {
    echo "Port $port"
    for i in $(seq "$first" "$last"); do echo "ListenAddress 127.0.0.$i"; done
    cat <<EOF
HostKey $W/host
AuthorizedKeysFile $W/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
UseDNS no
MaxStartups 200
LogLevel ERROR
EOF
  } >"$W/sshd_config.$first"
  /usr/sbin/sshd -D -e -f "$W/sshd_config.$first" 2>"$W/sshd.$first.log" &
  pids+=("$!")
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.$last/$port") 2>/dev/null && break
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$W/sshd.$first.log" >&2; exit 1; }
    sleep 0.05
  done
done
: >"$W/known_hosts"
: >"$W/hosts"
for i in $(seq 2 $((N + 1))); do
  echo "[127.0.0.$i]:$port $(cut -d' ' -f1,2 "$W/host.pub")" >>"$W/known_hosts"
  echo "root@127.0.0.$i:$port" >>"$W/hosts"
done

"$BIN/barrage-target" target --listen 127.0.0.1:0 --port-file "$W/tgt.port" >/dev/null 2>&1 &
pids+=("$!")
for _ in $(seq 1 100); do [ -s "$W/tgt.port" ] && break; sleep 0.05; done
tport=$(awk '$1=="http"{print $2}' "$W/tgt.port")
cat >"$W/s.yaml" <<YAML
name: bench-monitor
target: http://127.0.0.1:$tport
load:
  users: 1
  duration: ${SECS}s
sessions:
  - name: s
    steps:
      - request: { url: "/" }
      - think: 100ms
agents:
  local: 1
report:
  interval: 1s
YAML
{ cat "$W/s.yaml"; printf 'monitor:\n  hosts_file: %s\n  interval: 1s\n' "$W/hosts"; } >"$W/m.yaml"

# cpu_of OUT CMD...: runs CMD (a `barrage run --out OUT`) and prints the controller's own CPU
# seconds (user + system of that process alone, from /proc/PID/stat) when the run's end record
# is written: the local agent and the report step (gnuplot) are children and left out.
cpu_of() {
  local out=$1 pid tck t; shift
  tck=$(getconf CLK_TCK)
  "$@" >/dev/null 2>"$W/err" &
  pid=$!
  for _ in $(seq 1 6000); do
    grep -q '"type":"end"' "$out/stats.log" 2>/dev/null && break
    t=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || break
    sleep 0.05
  done
  t=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  wait "$pid" || { cat "$W/err" >&2; return 1; }
  awk -v t="$t" -v k="$tck" 'BEGIN { printf "%.2f", t / k }'
}
base=$(cpu_of "$W/run0" "$BIN/barrage" run "$W/s.yaml" --out "$W/run0" -q)
mon=$(cpu_of "$W/run1" "$BIN/barrage" run "$W/m.yaml" --out "$W/run1" -q --known-hosts "$W/known_hosts" --identity "$W/id")
hosts=$(jq '.monitor | length' "$W/run1/summary.json")
samples=$(jq '[.monitor[].samples] | add' "$W/run1/summary.json")
echo "controller CPU over a ${SECS} s run: without monitoring ${base} s; monitoring $hosts hosts at 1 s: ${mon} s ($samples samples)"
awk -v b="$base" -v m="$mon" -v s="$SECS" -v n="$hosts" -v k="$samples" 'BEGIN {
  printf "monitoring cost: %.1f%% of one core for %d hosts (%.2f ms of CPU per sample)\n",
    100 * (m - b) / s, n, (k > 0 ? 1000 * (m - b) / k : 0) }'
