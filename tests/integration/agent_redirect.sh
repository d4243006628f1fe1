#!/usr/bin/env bash
# timeout: 60
# Redirects: with http.follow_redirects a request goes on to each Location, and every hop is a
# request of its own in the statistics (requests, request, http_302...) while req_NAME times the
# step's own URL; cookies set on a hop are sent on the next ones; a POST answered 302 goes on as
# a GET; a request's own follow_redirects overrides the default, and past it the 3xx is the
# answer.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/hostile.sh"
start_hostile h
short_scenario redirects "http://127.0.0.1:$h_PORT" 2 $'http:\n  follow_redirects: 5' >"$TEST_DIR/r.yaml" <<YAML
  - name: s
    steps:
      - request: { url: "/redirect/3", name: r }
        expect: { status: 200, body: { contains: "hop3=1" } }
      - request: { method: POST, url: "/redirect/2", body: "x", follow_redirects: 1 }
        expect: { status: 302 }
      - think: 100ms
YAML
run_ok "$TEST_DIR/r.yaml" "$TEST_DIR/run"
s=$TEST_DIR/run/summary.json
log=$TEST_DIR/h.requests
jq -c '.counters, .errors, .http_status' "$s"
first=$(jq -s '[.[] | select(.path == "/redirect/3")] | length' "$log")
[ "$first" -gt 0 ] || fail "no redirected request"
assert_json "$s" '.errors == {}' "no errors"
assert_json "$s" ".counters.requests == $(wc -l <"$log")" "every hop is a request"
assert_json "$s" ".stats.request.count == $(wc -l <"$log")" "every hop is timed"
assert_json "$s" ".http_status[\"302\"] == $(jq -s '[.[] | select(.path != "/redirect/0")] | length' "$log")" "http_302 per hop"
assert_json "$s" ".http_status[\"200\"] == $(jq -s '[.[] | select(.path == "/redirect/0")] | length' "$log")" "http_200 for the last hop"
assert_json "$s" ".stats.req_r.count == $first" "req_NAME times the step's own URL"
assert_eq "$(jq -s '[.[] | select(.path == "/redirect/0" and ((.cookie // "") | (contains("hop1=1") and contains("hop2=1") and contains("hop3=1")) | not))] | length' "$log")" 0 \
  "cookies set on hops are kept"
assert_eq "$(jq -s '[.[] | select(.path == "/redirect/1" and .method != "GET")] | length' "$log")" 0 "POST + 302 goes on as GET"
[ "$(jq -s '[.[] | select(.path == "/redirect/2" and .method == "POST")] | length' "$log")" -gt 0 ] || fail "no POST sent"
assert_eq "$(jq -s '[.[] | select(.path == "/redirect/0")] | length' "$log")" "$first" \
  "only the first step reaches /redirect/0: the POST's follow_redirects: 1 stops at its second 302"
echo ok
