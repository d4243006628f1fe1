#!/usr/bin/env bash
# timeout: 120
# Hostile servers, with each HTTP client (http.client: curl and lean): a 1 MiB response header
# and 60,000 headers (error_header_too_large), a garbage status line (error_other), a server
# that never answers and one whose chunked body never ends (error_timeout at the request's
# timeout), a short body then a close and a reset part way through the body (error_closed).
# Every failure is counted under the same name by both clients, the session goes on, the run
# ends by itself, and the agent's memory stays bounded while it reads the endless body (its
# peak RSS stays far below what keeping that body would take).
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/hostile.sh"
command -v /usr/bin/time >/dev/null || skip "/usr/bin/time not installed"
start_hostile h
for c in curl lean; do
  cat >"$TEST_DIR/plan-$c.json" <<JSON
{"version": 1, "target": "http://127.0.0.1:$h_PORT", "interval_us": 1000000, "grace_us": 20000000,
 "http": {"client": "$c", "timeout_us": 1000000, "max_body": 65536},
 "load": {"model": "open", "phases": [{"duration_us": 1000000, "arrival_rate": 2}], "max_users": 10},
 "sessions": [{"name": "s", "steps": [
   {"kind": "request", "request": {"method": "GET", "url": "/bigheader", "expect": {"on_fail": "continue"}}},
   {"kind": "request", "request": {"method": "GET", "url": "/manyheaders", "expect": {"on_fail": "continue"}}},
   {"kind": "request", "request": {"method": "GET", "url": "/garbage", "expect": {"on_fail": "continue"}}},
   {"kind": "request", "request": {"method": "GET", "url": "/hang", "expect": {"on_fail": "continue"}}},
   {"kind": "request", "request": {"method": "GET", "url": "/infinite", "expect": {"on_fail": "continue", "body_contains": "y"}}},
   {"kind": "request", "request": {"method": "GET", "url": "/partial", "expect": {"on_fail": "continue"}}},
   {"kind": "request", "request": {"method": "GET", "url": "/reset", "expect": {"on_fail": "continue"}}},
   {"kind": "request", "request": {"method": "GET", "url": "/ok", "name": "ok"}}
 ]}]}
JSON
  /usr/bin/time -f '%M' -o "$TEST_DIR/rss-$c" "$BARRAGE_BIN/barrage-agent" --plan "$TEST_DIR/plan-$c.json" \
    >"$TEST_DIR/out-$c.json" 2>"$TEST_DIR/agent-$c.log" || { cat "$TEST_DIR/agent-$c.log"; fail "agent ($c) failed"; }
  s=$TEST_DIR/summary-$c.json
  tail -1 "$TEST_DIR/out-$c.json" >"$s"
  jq -c '.counters' "$s"
  echo "$c: peak RSS $(tail -1 "$TEST_DIR/rss-$c") KiB"
  u=$(json "$s" '.counters.users_count')
  [ "$u" -ge 1 ] || fail "$c: no user arrived"
  assert_json "$s" ".counters.finish_users_count == $u" "$c: every session went on to its end"
  assert_json "$s" ".counters.error_header_too_large == 2 * $u" "$c: 1 MiB header and 60,000 headers are error_header_too_large"
  assert_json "$s" ".counters.error_other == $u" "$c: a garbage status line is error_other"
  assert_json "$s" ".counters.error_timeout == 2 * $u" "$c: no answer and an endless body are error_timeout"
  assert_json "$s" ".counters.error_closed == 2 * $u" "$c: a short body then a close, and a reset, are error_closed"
  assert_json "$s" ".counters.http_200 == $u and .hists.req_ok.n == $u" "$c: the last step is answered"
  assert_json "$s" ".counters.requests == 8 * $u" "$c: every step counted once"
  # The endless body went on for a second at loopback speed (hundreds of MiB); keeping it would
  # show here. 400 MiB leaves room for the sanitizers' own memory.
  [ "$(tail -1 "$TEST_DIR/rss-$c")" -lt 409600 ] || fail "$c: peak RSS $(tail -1 "$TEST_DIR/rss-$c") KiB"
done
echo ok
