#!/usr/bin/env bash
# timeout: 60
# Coordinated omission: the target freezes for 1 s every 5 s. In request_rate mode latency is
# measured from each request's intended send time, so the freeze shows (p99 >= 500 ms) however
# few connections there are; the uncorrected service time is kept as request_service.
source "$(dirname "$0")/../lib.sh"
start_server tg target --freeze 1s/5s
cat >"$TEST_DIR/plan.json" <<JSON
{"version": 1, "target": "http://127.0.0.1:$tg_PORT", "interval_us": 1000000,
 "load": {"model": "rate", "users": 4, "request_rate": 100, "duration_us": 6000000},
 "sessions": [{"name": "s", "steps": [{"kind": "repeat", "count": 1000000, "steps": [
   {"kind": "request", "request": {"method": "GET", "url": "/"}}]}]}]}
JSON
"$AGENT" --plan "$TEST_DIR/plan.json" >"$TEST_DIR/out.json" 2>"$TEST_DIR/agent.log" ||
  { cat "$TEST_DIR/agent.log"; fail "agent failed"; }
cat "$TEST_DIR/out.json"
s=$TEST_DIR/out.json
assert_json "$s" '.hists.request.p99_us >= 500000' "the freeze shows in request p99"
assert_json "$s" '.hists.request_service.n == .hists.request.n' "service time kept for every request"
assert_json "$s" '.hists.request_service.p50_us < .hists.request.p99_us' "service time is uncorrected"
# Paced: about 100/s over 6 s, the frozen second caught up rather than skipped.
assert_json "$s" '.hists.request.n >= 450 and .hists.request.n <= 620' "the rate was kept"
echo ok
