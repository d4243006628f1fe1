#!/usr/bin/env bash
# timeout: 30
# A plan that reaches the agent without `barrage check` (standalone, hand-written) and names a
# statistic with something the STATS frame cannot carry (a control character, a name over 200
# bytes) is refused before any load, with the scenario position, instead of a frame the
# controller would reject mid-run. A name with spaces, quotes and UTF-8 is fine.
source "$(dirname "$0")/../lib.sh"
start_server tgt target
plan() { # steps-json
  echo "{\"version\": 1, \"target\": \"http://127.0.0.1:$tgt_PORT\", \"source\": \"names.yaml\",
   \"load\": {\"model\": \"closed\", \"users\": 1, \"duration_us\": 500000},
   \"sessions\": [{\"name\": \"s\", \"steps\": [$1]}]}"
}
req='{"kind": "request", "request": {"method": "GET", "url": "/?status=200"}}'
plan "$req, {\"kind\": \"abort\", \"reason\": \"a\\u0001b\", \"line\": 7, \"col\": 9}" >"$TEST_DIR/ctl.json"
rc=0; "$AGENT" --plan "$TEST_DIR/ctl.json" >"$TEST_DIR/ctl.out" 2>"$TEST_DIR/ctl.err" || rc=$?
cat "$TEST_DIR/ctl.err"
assert_eq "$rc" 2 "control character in an abort reason"
grep -q 'names.yaml:7:9: abort reason cannot name a statistic: control character' "$TEST_DIR/ctl.err" ||
  fail "no positioned message"
long=$(printf 'x%.0s' $(seq 1 198))
plan "{\"kind\": \"transaction\", \"name\": \"$long\", \"line\": 3, \"col\": 5, \"steps\": [$req]}" >"$TEST_DIR/long.json"
rc=0; "$AGENT" --plan "$TEST_DIR/long.json" >"$TEST_DIR/long.out" 2>"$TEST_DIR/long.err" || rc=$?
assert_eq "$rc" 2 "transaction name over the limit"
grep -q 'names.yaml:3:5: transaction name cannot name a statistic: name longer than 200 bytes' "$TEST_DIR/long.err" ||
  { cat "$TEST_DIR/long.err"; fail "no positioned message for the long name"; }
plan "$req, {\"kind\": \"abort\", \"reason\": \"no credit \u2014 \\\"x\\\" \u00fc\"}" >"$TEST_DIR/ok.json"
"$AGENT" --plan "$TEST_DIR/ok.json" >"$TEST_DIR/ok.out" 2>"$TEST_DIR/ok.err" || { cat "$TEST_DIR/ok.err"; fail "UTF-8 reason refused"; }
jq -e '.counters["error_abort_no credit — \"x\" ü"] >= 1' "$TEST_DIR/ok.out" >/dev/null ||
  { cat "$TEST_DIR/ok.out"; fail "UTF-8 reason not counted"; }
echo ok
