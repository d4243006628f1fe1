#!/usr/bin/env bash
# timeout: 60
# Bad input never crashes or hangs the agent: a plan that is not JSON, a plan with a bad regex,
# a missing data file and a ragged CSV each exit 2 with one clear message; an unreachable
# target is counted as error_connect and the run still ends by itself.
source "$(dirname "$0")/../lib.sh"
run_bad() { # name expected-message-regex
  local rc=0
  "$AGENT" --plan "$TEST_DIR/$1.json" >"$TEST_DIR/$1.out" 2>"$TEST_DIR/$1.err" || rc=$?
  cat "$TEST_DIR/$1.err"
  [ "$rc" -eq 2 ] || fail "$1: exit $rc, expected 2"
  grep -Eq "$2" "$TEST_DIR/$1.err" || fail "$1: message does not match /$2/"
}
req='{"kind": "request", "request": {"method": "GET", "url": "/"}}'
base() { # extra-top-level-json steps-json
  echo "{\"version\": 1, \"target\": \"http://127.0.0.1:9\", \"source\": \"bad.yaml\", $1
   \"load\": {\"model\": \"closed\", \"users\": 1, \"duration_us\": 1000000},
   \"sessions\": [{\"name\": \"s\", \"steps\": [$2]}]}"
}
echo '{"version": 1, "target": ' >"$TEST_DIR/notjson.json"
run_bad notjson 'plan'
base '' '{"kind": "request", "request": {"method": "GET", "url": "/",
  "captures": [{"var": "x", "kind": "regex", "expr": "(unclosed", "pick": "first"}]}}' >"$TEST_DIR/regex.json"
run_bad regex 'regex|missing \)|parenthes'
base "\"data\": [{\"name\": \"acc\", \"file\": \"$TEST_DIR/nope.csv\", \"order\": \"sequential\",
  \"columns\": [\"user\"], \"rows\": 1, \"part_index\": 0, \"part_count\": 1}]," "$req" >"$TEST_DIR/nofile.json"
run_bad nofile 'nope.csv'
printf 'user,password\na,b\nc\n' >"$TEST_DIR/ragged.csv"
base "\"data\": [{\"name\": \"acc\", \"file\": \"$TEST_DIR/ragged.csv\", \"order\": \"sequential\",
  \"columns\": [\"user\", \"password\"], \"rows\": 2, \"part_index\": 0, \"part_count\": 1}]," "$req" >"$TEST_DIR/ragged.json"
run_bad ragged 'ragged.csv:3'
run_bad nonexistent-plan 'nonexistent-plan.json'
# Unreachable target (the discard port on 127.0.0.1 is closed): counted, and the run ends.
base '' "$req" >"$TEST_DIR/unreachable.json"
"$AGENT" --plan "$TEST_DIR/unreachable.json" >"$TEST_DIR/unreachable.out" 2>"$TEST_DIR/unreachable.err" ||
  fail "unreachable target: agent exit $?"
cat "$TEST_DIR/unreachable.out"
assert_json "$TEST_DIR/unreachable.out" '.counters.error_connect >= 1 and (.counters.http_200 // 0) == 0' \
  "connection refused counted as error_connect"
assert_json "$TEST_DIR/unreachable.out" '.counters.requests == .counters.error_connect' "every request failed to connect"
echo ok
