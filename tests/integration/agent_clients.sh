#!/usr/bin/env bash
# timeout: 300
# Differential test of the two HTTP clients (http.client: curl and lean, issue 10):
#  1. one session that uses every feature the clients must agree on (JSON body and capture,
#     cookies set by the target and sent back, header and cookie captures, header
#     expectations, templated URLs, HEAD, PUT with a raw body, chunked and close-delimited
#     answers, gzip decoded for a capture, redirects with cookies on each hop) runs once with
#     each client, with the same seed: the target-side records (every request's method, URL,
#     headers and body) and the counts (requests, statuses, errors, users, sizes received) must
#     be identical;
#  2. the agent tests that compare Barrage with what the target recorded run again with
#     http.client: lean (tests/lib.sh, BARRAGE_TEST_CLIENT) and must pass as they do with curl.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/hostile.sh"
start_hostile h
plan() {
cat <<JSON
{"version": 1, "source": "clients.yaml", "target": "http://127.0.0.1:$tg_PORT", "interval_us": 1000000,
 "grace_us": 5000000, "http": {"client": "$1"},
 "load": {"model": "open", "phases": [{"duration_us": 1000000, "arrival_rate": 12}], "max_users": 100},
 "sessions": [{"name": "s", "steps": [
   {"kind": "request", "request": {"method": "POST", "url": "/login", "body_kind": "json",
      "body": "{\"user\":\"u{{ 7 }}\",\"password\":\"pw-u{{ 7 }}\"}",
      "captures": [{"var": "token", "kind": "json", "expr": "$.token", "pick": "first"},
                   {"var": "ctype", "kind": "header", "expr": "content-type", "pick": "first"},
                   {"var": "sid", "kind": "cookie", "expr": "sid", "pick": "first"}],
      "expect": {"status": [[200, 200]], "headers": [{"name": "Content-Type", "value": "json"}]}}},
   {"kind": "request", "request": {"method": "GET", "url": "/items",
      "headers": [{"name": "Authorization", "value": "Bearer {{ token }}"}, {"name": "X-Sid", "value": "{{ sid }}"}],
      "captures": [{"var": "ids", "kind": "json", "expr": "$.items[*].id", "pick": "all"}]}},
   {"kind": "foreach", "list_var": "ids", "item_var": "id", "steps": [
     {"kind": "request", "request": {"method": "GET", "url": "/items?id={{ id }}&ct={{ urlencode(ctype) }}"}}]},
   {"kind": "request", "request": {"method": "HEAD", "url": "/?size=100"}},
   {"kind": "request", "request": {"method": "PUT", "url": "/?status=201", "body_kind": "raw", "body": "raw {{ token }}"}},
   {"kind": "request", "request": {"method": "GET", "url": "/?chunked=1&size=3000",
      "expect": {"body_regex": "^x{3000}$"}}},
   {"kind": "request", "request": {"method": "GET", "url": "/?close=1&size=10"}},
   {"kind": "request", "request": {"method": "GET", "url": "/?status=404"}},
   {"kind": "request", "request": {"method": "GET", "url": "http://127.0.0.1:$h_PORT/json",
      "captures": [{"var": "htoken", "kind": "json", "expr": "$.token", "pick": "first"}]}},
   {"kind": "request", "request": {"method": "GET", "url": "http://127.0.0.1:$h_PORT/redirect/3",
      "headers": [{"name": "X-T", "value": "{{ htoken }}"}],
      "follow_redirects": 5, "expect": {"status": [[200, 200]], "body_contains": "hop3=1"}}},
   {"kind": "request", "request": {"method": "POST", "url": "/write", "body_kind": "json",
      "body": "{\"user\":\"{{ htoken }}\"}", "headers": [{"name": "Authorization", "value": "Bearer {{ token }}"}]}}
 ]}]}
JSON
}
# What must agree: the counts, not the timings; size_sent is left out (libcurl counts a POST
# body twice in it, REQUEST_SIZE + SIZE_UPLOAD).
counts='.counters | del(.size_sent)'
# Tokens are the target's own (a counter and random bits): they are compared as TOKEN.
norm='s/tok-[0-9]*-[0-9a-f]*/TOKEN/g'
for c in curl lean; do
  # a fresh target for each client, so both start from the same state
  start_server tg target --record "$TEST_DIR/record-$c.jsonl"
  : >"$TEST_DIR/h.requests"
  plan $c >"$TEST_DIR/plan-$c.json"
  "$BARRAGE_BIN/barrage-agent" -v --plan "$TEST_DIR/plan-$c.json" >"$TEST_DIR/out-$c.json" 2>"$TEST_DIR/agent-$c.log" ||
    { cat "$TEST_DIR/agent-$c.log"; fail "agent ($c) failed"; }
  grep -q "http client: $([ $c = curl ] && echo libcurl || echo lean)" "$TEST_DIR/agent-$c.log" ||
    fail "the agent did not use the $c client"
  tail -1 "$TEST_DIR/out-$c.json" | jq -c "$counts" | tee "$TEST_DIR/counts-$c.json"
  jq -cS 'del(.headers.host)' "$TEST_DIR/record-$c.jsonl" | sed "$norm" | sort >"$TEST_DIR/record-$c.sorted"
  jq -cS '.' "$TEST_DIR/h.requests" | sed "$norm" | sort >"$TEST_DIR/hostile-$c.sorted"
  kill "$tg_PID"
done
users=$(jq '.users_count' "$TEST_DIR/counts-curl.json")
[ "$users" -ge 5 ] || fail "only $users users"
assert_json "$TEST_DIR/counts-curl.json" '(keys | map(select(startswith("error_"))) | length) == 0' "no errors (curl)"
assert_json "$TEST_DIR/counts-curl.json" ".finish_users_count == $users" "every session finished"
[ "$(wc -l <"$TEST_DIR/record-curl.sorted")" -gt $((users * 8)) ] || fail "too few requests recorded"
# (this caught the libcurl path sending GET for a HEAD step)
assert_eq "$(grep -c '"method":"HEAD"' "$TEST_DIR/record-curl.sorted")" "$users" "HEAD sent as HEAD"
diff "$TEST_DIR/counts-curl.json" "$TEST_DIR/counts-lean.json" || fail "counts differ between curl and lean"
diff "$TEST_DIR/record-curl.sorted" "$TEST_DIR/record-lean.sorted" || fail "target records differ between curl and lean"
diff "$TEST_DIR/hostile-curl.sorted" "$TEST_DIR/hostile-lean.sorted" || fail "hostile-server records differ between curl and lean"
echo "part 1 ok: $users users, $(wc -l <"$TEST_DIR/record-lean.sorted") target requests, identical"

# 2. The agent's own tests again, with the lean client.
for t in agent_session agent_counts agent_steps agent_gzip agent_redirect agent_failed agent_cut \
         agent_url agent_form agent_latency agent_backoff agent_https agent_small; do
  d=$TEST_DIR/$t
  mkdir -p "$d"
  TEST_DIR=$d BARRAGE_TEST_CLIENT=lean bash "$TESTS_SRC/integration/$t.sh" >"$d.log" 2>&1 ||
    { tail -20 "$d.log"; fail "$t with http.client: lean"; }
  echo "lean: $t ok"
done
echo ok
