#!/usr/bin/env bash
# timeout: 60
# Step kinds and failure handling, counted at the target: a bounded while, think time splitting
# pages, an expectation that fails with on_fail continue (counted, session goes on) and with
# on_fail abort, an abort step with a reason; and the open model's max_users cap (arrivals over
# it are counted as dropped_users, never started).
source "$(dirname "$0")/../lib.sh"
start_server tg target
cat >"$TEST_DIR/plan.json" <<JSON
{"version": 1, "target": "http://127.0.0.1:$tg_PORT", "interval_us": 1000000,
 "load": {"model": "closed", "users": 2, "duration_us": 1500000},
 "sessions": [{"name": "s", "steps": [
   {"kind": "set", "set": [{"name": "n", "value": "0"}]},
   {"kind": "while", "cond": "n < 100", "count": 3, "steps": [
     {"kind": "request", "request": {"method": "GET", "url": "/?w={{ n }}"}},
     {"kind": "set", "set": [{"name": "n", "value": "{{ n + 1 }}"}]}]},
   {"kind": "think", "think": {"kind": "fixed", "value_us": 200000}},
   {"kind": "request", "request": {"method": "GET", "url": "/?status=500",
      "expect": {"status": [[200, 299]], "on_fail": "continue"}}},
   {"kind": "request", "request": {"method": "GET", "url": "/?status=404",
      "expect": {"status": [[200, 299]], "on_fail": "abort"}}},
   {"kind": "request", "request": {"method": "GET", "url": "/never"}}
 ]}]}
JSON
"$AGENT" --plan "$TEST_DIR/plan.json" >"$TEST_DIR/out.json" 2>"$TEST_DIR/agent.log" ||
  { cat "$TEST_DIR/agent.log"; fail "agent failed"; }
cat "$TEST_DIR/out.json"
s=$TEST_DIR/out.json
curl -s "http://127.0.0.1:$tg_PORT/__stats" >"$TEST_DIR/target.json"
fin=$(json "$s" '.counters.finish_users_count')
[ "$fin" -ge 2 ] || fail "only $fin sessions finished"
# Every finished session: 3 while iterations, then the 500 (continue) and the 404 (abort).
assert_json "$s" ".counters.http_500 >= $fin and .counters.http_404 == $fin" "continue went on, abort stopped"
assert_json "$s" '.counters.error_expect_status == .counters.http_500 + .counters.http_404' "failures counted"
assert_json "$s" ".counters.http_200 >= 3 * $fin" "bounded while: 3 requests per session"
assert_json "$s" '.hists.page.n >= 2 * .counters.finish_users_count' "think time splits pages"
assert_json "$s" '.hists.session.min_us >= 200000' "sessions include the think time"
assert_eq "$(json "$TEST_DIR/target.json" '.requests')" "$(json "$s" '.counters.requests')" "requests: agent vs target"
grep -q '"/never"' "$TEST_DIR/target.json" && fail "a step after an abort was sent"
# Open model with a cap: 40 users/s for 1 s, each thinking 1 s, at most 3 at a time.
cat >"$TEST_DIR/open.json" <<JSON
{"version": 1, "target": "http://127.0.0.1:$tg_PORT", "interval_us": 1000000,
 "load": {"model": "open", "phases": [{"duration_us": 1000000, "arrival_rate": 40}], "max_users": 3},
 "sessions": [{"name": "s", "steps": [
   {"kind": "request", "request": {"method": "GET", "url": "/"}},
   {"kind": "think", "think": {"kind": "fixed", "value_us": 1000000}},
   {"kind": "abort", "reason": "done_here"}]}]}
JSON
"$AGENT" --plan "$TEST_DIR/open.json" --stats-json >"$TEST_DIR/open.out" 2>"$TEST_DIR/open.log" ||
  { cat "$TEST_DIR/open.log"; fail "agent failed (open)"; }
tail -1 "$TEST_DIR/open.out"
o=$TEST_DIR/open.json.summary; tail -1 "$TEST_DIR/open.out" >"$o"
assert_json "$o" '.counters.dropped_users >= 10' "arrivals over max_users dropped"
assert_json "$o" '.counters.users_count <= 6' "no more users than the cap allows"
jq -s -e 'all(.[] | select(.type=="interval"); .gauges.users[1] <= 3)' "$TEST_DIR/open.out" >/dev/null ||
  fail "more than 3 users at once"
assert_json "$o" '.counters.error_abort_done_here == .counters.users_count' "abort reason counted"
echo ok
