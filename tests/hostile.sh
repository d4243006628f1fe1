# start_hostile NAME: starts tests/hostile.py (a misbehaving HTTP server, see its header) on
# 127.0.0.1 port 0; sets NAME_PORT, and logs its requests to $TEST_DIR/NAME.requests. Source
# after lib.sh.
command -v python3 >/dev/null || skip "python3 not installed"
start_hostile() {
  local name=$1 pf=$TEST_DIR/$1.port
  rm -f "$pf"
  python3 "$TESTS_SRC/hostile.py" "$pf" "$TEST_DIR/$name.requests" 2>"$TEST_DIR/$name.log" &
  _pids+=("$!")
  for _ in $(seq 1 200); do [ -s "$pf" ] && break; sleep 0.05; done
  [ -s "$pf" ] || fail "$name did not start"
  printf -v "${name}_PORT" '%s' "$(cat "$pf")"
}
