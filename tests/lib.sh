# Helpers for integration tests (source it). Every test gets TEST_DIR (a fresh temp folder) and
# BARRAGE_BIN from tests/run-integration.sh; everything it starts is killed on exit.
set -euo pipefail
: "${TEST_DIR:=$(mktemp -d)}"
: "${BARRAGE_BIN:?}"
BARRAGE=$BARRAGE_BIN/barrage
AGENT=$BARRAGE_BIN/barrage-agent
TARGET=$BARRAGE_BIN/barrage-target
TESTS_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# BARRAGE_TEST_CLIENT=lean|curl|auto runs a test with that http.client (tests/integration/
# agent_clients.sh runs the agent tests under each): barrage run/check get
# --set http.client=..., and the agent's --plan file gets "http": {"client": ...} written in.
if [ -n "${BARRAGE_TEST_CLIENT:-}" ]; then
  _wrap=$TEST_DIR/.client-wrap
  mkdir -p "$_wrap"
  cat >"$_wrap/barrage" <<EOF
#!/usr/bin/env bash
case "\${1:-}" in
  run|check) cmd=\$1; shift; exec "$BARRAGE" "\$cmd" --set http.client=$BARRAGE_TEST_CLIENT "\$@" ;;
  *) exec "$BARRAGE" "\$@" ;;
esac
EOF
  cat >"$_wrap/barrage-agent" <<EOF
#!/usr/bin/env bash
args=("\$@")
for ((i = 0; i + 1 < \${#args[@]}; i++)); do
  if [ "\${args[i]}" = --plan ] && [ -f "\${args[i+1]}" ]; then
    jq -c '.http = ((.http // {}) + {client: "$BARRAGE_TEST_CLIENT"})' "\${args[i+1]}" >"\${args[i+1]}.client" &&
      mv "\${args[i+1]}.client" "\${args[i+1]}"
  fi
done
exec "$AGENT" "\$@"
EOF
  chmod +x "$_wrap/barrage" "$_wrap/barrage-agent"
  BARRAGE=$_wrap/barrage
  AGENT=$_wrap/barrage-agent
fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
_pids=()
cleanup() { for p in "${_pids[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() { echo "$*" >&2; exit 77; }

# start_server NAME SERVICE [ARGS...]: starts barrage-target SERVICE on 127.0.0.1 port 0 and
# waits for its port file. Sets NAME_PORT (and NAME_TLS_PORT when --tls-listen is given) and
# NAME_PID. Logs go to $TEST_DIR/NAME.log.
start_server() {
  local name=$1 service=$2; shift 2
  local pf=$TEST_DIR/$name.ports
  rm -f "$pf"
  "$TARGET" "$service" --listen 127.0.0.1:0 --port-file "$pf" "$@" >"$TEST_DIR/$name.log" 2>&1 &
  local pid=$!
  _pids+=("$pid")
  for _ in $(seq 1 200); do
    [ -s "$pf" ] && break
    kill -0 "$pid" 2>/dev/null || { cat "$TEST_DIR/$name.log" >&2; fail "$name did not start"; }
    sleep 0.05
  done
  [ -s "$pf" ] || fail "$name wrote no port file"
  # Port file lines: "http PORT" and optionally "https PORT".
  printf -v "${name}_PORT" '%s' "$(awk '$1=="http"{print $2}' "$pf")"
  printf -v "${name}_TLS_PORT" '%s' "$(awk '$1=="https"{print $2}' "$pf")"
  printf -v "${name}_PID" '%s' "$pid"
}

# assert_served SUMMARY SERVED CODE...: the run's summary.json counts of each status CODE and of
# requests equal what the target served (SERVED: a file holding the target's /__stats), and the
# run made at least one request.
assert_served() {
  local summary=$1 served=$2 code
  shift 2
  for code in "$@"; do
    assert_eq "$(jq -r ".http_status[\"$code\"] // 0" "$summary")" "$(jq -r ".status[\"$code\"] // 0" "$served")" \
      "http_status $code vs the target"
  done
  assert_json "$summary" ".stats.request.count == $(jq .requests "$served") and .stats.request.count > 0"
}

# json FILE JQ-EXPR: prints the value (jq -r).
json() { jq -r "$2" "$1"; }
# assert_json FILE JQ-BOOLEAN-EXPR [MESSAGE]
assert_json() {
  local v; v=$(jq -r "$2" "$1") || fail "jq failed on $1: $2"
  [ "$v" = true ] || fail "${3:-assertion} ($2 on $1 gave $v)"
}
assert_eq() { [ "$1" = "$2" ] || fail "${3:-values differ}: '$1' != '$2'"; }

# loop_scenario NAME USERS DURATION [SETTING=VALUE...]: prints a scenario of USERS users looping
# a GET /?status=200 and a think against the test target started as "tgt", with 1 s intervals.
# Settings: think (20ms), grace (none), agents (the entries of agents:, "local: 2"), interval
# (1s), target (http://127.0.0.1:$tgt_PORT). Other top-level sections can follow it.
loop_scenario() {
  local name=$1 users=$2 duration=$3 kv grace_line=
  local think=20ms grace= agents="local: 2" interval=1s target="http://127.0.0.1:${tgt_PORT:-}"
  shift 3
  for kv in "$@"; do
    case ${kv%%=*} in
      think | grace | agents | interval | target) local "$kv" ;;
      *) fail "loop_scenario: unknown setting '$kv'" ;;
    esac
  done
  [ -z "$grace" ] || grace_line=$'\n'"  grace: $grace"
  cat <<YAML
name: $name
target: $target
load:
  users: $users
  duration: $duration$grace_line
sessions:
  - name: s
    steps:
      - request: { url: "/?status=200" }
      - think: $think
agents: { $agents }
report:
  interval: $interval
YAML
}

# short_scenario NAME TARGET USERS [LINES]: prints a scenario of USERS users for 1 s (grace 2 s)
# on one local agent with 1 s intervals; the entries of its sessions: list come from stdin, and
# LINES (top-level YAML, e.g. an http: section) go between target and load.
short_scenario() {
  local sessions extra=
  sessions=$(cat)
  [ -z "${4:-}" ] || extra="$4"$'\n'
  cat <<YAML
name: $1
target: $2
${extra}load:
  users: $3
  duration: 1s
  grace: 2s
sessions:
$sessions
agents:
  local: 1
report:
  interval: 1s
YAML
}

# run_ok SCENARIO OUT [ARGS...]: `barrage run SCENARIO --out OUT ARGS` with its stdout and stderr
# in OUT.out; fails the test, showing them, unless the run exits 0.
run_ok() {
  local scenario=$1 out=$2
  shift 2
  "$BARRAGE" run "$scenario" --out "$out" "$@" >"$out.out" 2>&1 || { cat "$out.out"; fail "run of $scenario failed"; }
}

# open_scenario NAME DURATION RATE: prints an open-model scenario (RATE arrivals per second for
# DURATION, one GET /?status=200 each) against the test target "tgt", on two local agents with
# 1 s intervals and a loose p99 threshold.
open_scenario() {
  cat <<YAML
name: $1
target: http://127.0.0.1:$tgt_PORT
load:
  phases:
    - { duration: $2, arrival_rate: $3 }
sessions:
  - name: s
    steps:
      - request: { url: "/?status=200" }
thresholds:
  request.p99: "< 5s"
agents:
  local: 2
report:
  interval: 1s
YAML
}

# dashboard_url ERRFILE: the dashboard's URL (with its control token) that `barrage run
# --dashboard` printed to ERRFILE.
dashboard_url() { grep -o 'http://127.0.0.1:[0-9]*/?token=[0-9a-f]*' "$1" | head -1; }

# local_agent_pids OUT [AGENT]: the pids of the local agents of the run in OUT (or of agent AGENT
# only, e.g. local-2), from "started barrage-agent, pid N" in their logs.
local_agent_pids() {
  if [ -n "${2:-}" ]; then
    awk '/started barrage-agent, pid/ {print $NF; exit}' "$1/agents/$2.log"
  else
    awk '/started barrage-agent, pid/ {print $NF}' "$1"/agents/*.log
  fi
}

# kill_controller PID WHO AGENT-PID...: kill -9 the controller PID, then fail unless every one
# of its agents has stopped by itself (or is a zombie) 5 s later; WHO names them in the message.
kill_controller() {
  local pid=$1 who=$2 a
  shift 2
  for a in "$@"; do _pids+=("$a"); done
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  sleep 5
  for a in "$@"; do
    if kill -0 "$a" 2>/dev/null && [ "$(ps -o stat= -p "$a" | cut -c1)" != Z ]; then
      fail "$who $a still running 5 s after the controller was killed"
    fi
  done
}

# run_bg SCENARIO OUT [ARGS...]: starts `barrage run SCENARIO --out OUT ARGS` in the background:
# its pid in RUN_PID, its output in OUT.out and OUT.err.
run_bg() {
  local scenario=$1 out=$2; shift 2
  "$BARRAGE" run "$scenario" --out "$out" "$@" >"$out.out" 2>"$out.err" &
  RUN_PID=$!
  _pids+=("$RUN_PID")
}

# wait_records OUT TYPE N [STEPS]: waits (STEPS times 50 ms, 400 unless given) until OUT/stats.log
# holds N records of TYPE ("interval", "monitor", ...); returns 1 if it never does.
wait_records() {
  local n
  for _ in $(seq 1 "${4:-400}"); do
    n=$(grep -c "\"type\":\"$2\"" "$1/stats.log" 2>/dev/null || true)
    [ "${n:-0}" -ge "$3" ] && return 0
    sleep 0.05
  done
  return 1
}

# start_run SCENARIO OUT [ARGS...]: run_bg, then waits (up to 30 s) for the first interval
# record in OUT/stats.log.
start_run() {
  run_bg "$@"
  wait_records "$2" interval 1 600 && return 0
  cat "$2.err" >&2
  fail "no interval written to $2/stats.log"
}
