#!/usr/bin/env bash
# timeout: 90
# Smaller truths: a 1 MiB response header is error_header_too_large (not "Out of memory"), with
# libcurl's reason in the agent's log, as error_tls has its reason (and both in summary.json's
# error_reasons and the report's error table); a raw `body:` is sent with no
# form Content-Type unless the scenario sets one; a failing condition's warning names its
# line:col; a `while` stopped by its `max` is counted in while_max; the agent raises its open-file
# soft limit to the hard limit and says up front when its users would not fit.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/hostile.sh"
start_hostile h
cd "$TEST_DIR"
short_scenario small "http://127.0.0.1:$h_PORT" 1 >small.yaml <<YAML
  - name: s
    steps:
      - request: { method: POST, url: "/raw", body: "a=1" }
      - request: { method: POST, url: "/typed", body: "{}", headers: { Content-Type: application/json } }
      - request: { method: POST, url: "/form", form: { a: "1" } }
      - set: { n: "0" }
      - while: "n < 10"
        max: 3
        steps:
          - set: { n: "{{ n + 1 }}" }
      - if: "1 / random_int(0, 0) > 0"
        then:
          - think: 1ms
      - think: 100ms
  - name: big
    steps:
      - request: { url: "/bigheader" }
      - think: 100ms
YAML
run_ok small.yaml run -vv
s=run/summary.json
jq -c '.errors, .counters' "$s"
assert_eq "$(jq -s '[.[] | select(.path == "/raw" and .content_type != null)] | length' h.requests)" 0 \
  "a raw body has no Content-Type"
[ "$(jq -s '[.[] | select(.path == "/raw")] | length' h.requests)" -gt 0 ] || fail "no raw request"
assert_eq "$(jq -s '[.[] | select(.path == "/typed" and .content_type != "application/json")] | length' h.requests)" 0 \
  "a raw body keeps the scenario's Content-Type"
assert_eq "$(jq -s '[.[] | select(.path == "/form" and .content_type != "application/x-www-form-urlencoded")] | length' h.requests)" 0 \
  "a form body is labelled as a form"
assert_json "$s" '.counters.while_max > 0 and .counters.while_max == .errors.error_eval' "while stopped by max counted (once per session)"
grep -q 'small.yaml:18:9: if condition "1 / random_int(0, 0) > 0": division by zero (counted as error_eval)' run.out ||
  fail "error_eval warning with line:col"
big=$(json "$s" '.counters.requests - ([.http_status[]] | add)')
assert_json "$s" ".errors.error_header_too_large > 0 and .errors.error_header_too_large == $big" "1 MiB header is error_header_too_large"
assert_json "$s" '.errors.error_other == null' "not error_other"
grep -q 'request GET /bigheader failed: .*header.* (counted as error_header_too_large)' run.out || fail "reason in the log"
! grep -qi 'failed: out of memory' run.out || fail "not described as 'Out of memory'"

# TLS to a plain HTTP port: error_tls, and libcurl's reason in the log.
cat >tls.yaml <<YAML
name: tls
target: https://127.0.0.1:$h_PORT
http: { tls: { verify: false } }
load: { users: 1, duration: 1s, grace: 1s }
sessions:
  - name: s
    steps:
      - request: "/"
agents:
  local: 1
YAML
run_ok tls.yaml tls -vv
assert_json tls/summary.json '.errors.error_tls > 0' "error_tls"
grep -q 'tls.yaml:8:9: request GET / failed: [^(]*[a-z].* (counted as error_tls)' tls.out || { cat tls.out; fail "TLS reason in the log"; }
# ... and beside the count in summary.json and the report's error table.
assert_json tls/summary.json '.error_reasons.error_tls | test("^tls.yaml:8:9: request GET / failed: .*[a-z]")' "reason in summary.json"
grep -q 'data-cell="error_tls.reason">tls.yaml:8:9: request GET / failed: ' tls/report.html || fail "reason in the report's error table"
assert_json run/summary.json '.error_reasons.error_header_too_large | test("small.yaml:24:9: request GET /bigheader failed: response headers over")' "header reason"

# Open files: with a soft limit of 100 and a hard one of 150, the agent raises the soft one (so
# well over 100 - 64 of its 200 users get a connection) and warns before the load.
start_server tg target
cat >nofile.json <<JSON
{"version": 1, "target": "http://127.0.0.1:$tg_PORT", "interval_us": 1000000, "grace_us": 1000000,
 "load": {"model": "closed", "users": 200, "duration_us": 500000},
 "sessions": [{"name": "s", "steps": [{"kind": "request", "request": {"method": "GET", "url": "/"}},
   {"kind": "think", "think": {"kind": "fixed", "value_us": 1000000}}]}]}
JSON
( ulimit -Sn 100 && ulimit -Hn 150 && exec "$AGENT" --plan nofile.json ) >nofile.out 2>nofile.log ||
  { cat nofile.log; fail "agent failed"; }
cat nofile.log
tail -1 nofile.out | jq -c .counters
grep -q "this agent may run 200 users at once, each with its own connection, but its open-file limit is 150 (the hard limit)" nofile.log ||
  fail "warning up front"
tail -1 nofile.out | jq -e '.counters.http_200 > 100' >/dev/null || fail "soft limit raised to the hard one"
echo ok
