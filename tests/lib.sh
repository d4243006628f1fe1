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

# json FILE JQ-EXPR: prints the value (jq -r).
json() { jq -r "$2" "$1"; }
# assert_json FILE JQ-BOOLEAN-EXPR [MESSAGE]
assert_json() {
  local v; v=$(jq -r "$2" "$1") || fail "jq failed on $1: $2"
  [ "$v" = true ] || fail "${3:-assertion} ($2 on $1 gave $v)"
}
assert_eq() { [ "$1" = "$2" ] || fail "${3:-values differ}: '$1' != '$2'"; }

# loop_scenario NAME USERS DURATION: prints a scenario of USERS users looping a GET (and a 20 ms
# think) against the test target started as "tgt", on two local agents with 1 s intervals.
loop_scenario() {
  cat <<YAML
name: $1
target: http://127.0.0.1:$tgt_PORT
load:
  users: $2
  duration: $3
sessions:
  - name: s
    steps:
      - request: { url: "/?status=200" }
      - think: 20ms
agents:
  local: 2
report:
  interval: 1s
YAML
}

# start_run SCENARIO OUT [ARGS...]: starts `barrage run SCENARIO --out OUT ARGS` in the
# background (its pid in RUN_PID, output in OUT.out and OUT.err) and waits for the first
# interval record in OUT/stats.log.
start_run() {
  local scenario=$1 out=$2; shift 2
  "$BARRAGE" run "$scenario" --out "$out" "$@" >"$out.out" 2>"$out.err" &
  RUN_PID=$!
  _pids+=("$RUN_PID")
  for _ in $(seq 1 400); do
    grep -q '"type":"interval"' "$out/stats.log" 2>/dev/null && return 0
    sleep 0.05
  done
  cat "$out.err" >&2
  fail "no interval written to $out/stats.log"
}
