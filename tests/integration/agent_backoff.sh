#!/usr/bin/env bash
# timeout: 60
# Instant failures do not spin: a session that fails before any response (a refused port, a URL
# template that cannot render, on_fail: restart against a refused port) makes its user wait
# 10 ms, doubling to 1 s, before trying again, counted in users_backoff. 2 users for 3 s then make
# at most about 11 attempts each (10+20+...+640 ms, then 1 s waits), not tens of thousands.
source "$(dirname "$0")/../lib.sh"
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
run_plan() { # NAME STEPS-JSON
  cat >"$TEST_DIR/$1.json" <<JSON
{"version": 1, "target": "http://127.0.0.1:$dead", "interval_us": 1000000, "grace_us": 1000000,
 "load": {"model": "closed", "users": 2, "duration_us": 3000000},
 "sessions": [{"name": "s", "steps": [$2]}]}
JSON
  "$AGENT" --plan "$TEST_DIR/$1.json" >"$TEST_DIR/$1.out" 2>"$TEST_DIR/$1.log" ||
    { cat "$TEST_DIR/$1.log"; fail "agent exited with $?"; }
  tail -1 "$TEST_DIR/$1.out" | tee "$TEST_DIR/$1.summary.json"
}
run_plan refused '{"kind": "request", "request": {"method": "GET", "url": "/"}}'
s=$TEST_DIR/refused.summary.json
assert_json "$s" '.counters.error_connect >= 2 and .counters.error_connect <= 30' "bounded connect errors"
assert_json "$s" '.counters.users_backoff >= .counters.error_connect - 2' "each failed session backs off"
assert_json "$s" '.hists.request == null' "no request latency"

run_plan render '{"kind": "request", "request": {"method": "GET", "url": "/{{ 1 / random_int(0, 0) }}"}}'
s=$TEST_DIR/render.summary.json
assert_json "$s" '.counters.error_render >= 2 and .counters.error_render <= 30' "bounded render errors"
assert_json "$s" '.counters.users_backoff > 0' "render failures back off"

run_plan restart '{"kind": "request", "request": {"method": "GET", "url": "/", "expect": {"on_fail": "restart"}}}'
s=$TEST_DIR/restart.summary.json
assert_json "$s" '.counters.error_connect >= 2 and .counters.error_connect <= 30' "restart backs off too"
assert_json "$s" '.counters.users_count == 2' "restart keeps the user"

# Through the controller: the live line and the report say in words that most attempts failed.
source "$TESTS_SRC/hostile.sh"
start_hostile h
cat >"$TEST_DIR/dead.yaml" <<YAML
name: dead
target: http://127.0.0.1:$h_PORT
load:
  users: 2
  duration: 2s
  grace: 1s
sessions:
  - name: s
    steps:
      - request: { url: "http://127.0.0.1:$dead/x" }
report:
  interval: 1s
YAML
"$BARRAGE" run "$TEST_DIR/dead.yaml" --out "$TEST_DIR/run" >"$TEST_DIR/run.out" 2>&1 ||
  { cat "$TEST_DIR/run.out"; fail "run failed"; }
cat "$TEST_DIR/run.out"
grep -q '! target refused 100% of connections' "$TEST_DIR/run.out" || fail "live line says the target refused"
assert_json "$TEST_DIR/run/summary.json" \
  '[.notices[] | select(startswith("most requests failed: target refused 100% of connections"))] | length == 1' \
  "report notice"
assert_json "$TEST_DIR/run/summary.json" '.counters.users_backoff > 0 and .stats.request == null' "run counters"
echo ok
