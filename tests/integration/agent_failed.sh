#!/usr/bin/env bash
# timeout: 60
# A request that got no complete response is not a fast request: against a refused port, or a
# server that sends a status line and then closes part way through the body, nothing enters
# `request`, `ttfb`, `page`, `req_NAME` or `http_status`; the failures are counted by error name
# (error_connect, error_closed) and timed in `request_failed` only.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/hostile.sh"
start_hostile h
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
cat >"$TEST_DIR/plan.json" <<JSON
{"version": 1, "target": "http://127.0.0.1:$h_PORT", "interval_us": 1000000, "grace_us": 1000000,
 "load": {"model": "closed", "users": 2, "duration_us": 2000000},
 "sessions": [{"name": "s", "steps": [
   {"kind": "request", "request": {"method": "GET", "url": "/ok", "name": "ok"}},
   {"kind": "request", "request": {"method": "GET", "url": "/partial", "name": "partial",
    "expect": {"on_fail": "continue"}}},
   {"kind": "request", "request": {"method": "GET", "url": "http://127.0.0.1:$dead/", "name": "dead"}}
 ]}]}
JSON
"$AGENT" --plan "$TEST_DIR/plan.json" >"$TEST_DIR/out.json" 2>"$TEST_DIR/agent.log" ||
  { cat "$TEST_DIR/agent.log"; fail "agent exited with $?"; }
s=$TEST_DIR/summary.json
tail -1 "$TEST_DIR/out.json" | tee "$s"
ok=$(json "$s" '.hists.req_ok.n')
[ "$ok" -gt 0 ] || fail "no successful request"
assert_json "$s" ".hists.request.n == $ok" "request holds the successful requests only"
assert_json "$s" ".hists.ttfb.n == $ok" "ttfb holds the successful requests only"
assert_json "$s" ".counters.http_200 == $ok" "http_200 counts complete responses only"
assert_json "$s" '.hists.req_partial == null and .hists.req_dead == null' "failed requests have no req_NAME timing"
# (a page may be timed only where the load's end stopped a user right after /ok: one per user)
assert_json "$s" '(.hists.page.n // 0) <= 2' "a page with a failed request has no load time"
assert_json "$s" '.counters.error_closed > 0 and .counters.error_connect > 0' "failures counted by name"
assert_json "$s" '.hists.request_failed.n == .counters.error_closed + .counters.error_connect' "request_failed times them"
assert_json "$s" '.counters.requests == .hists.request.n + .hists.request_failed.n' "requests = answered + failed"
echo ok
