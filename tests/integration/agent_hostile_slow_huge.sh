#!/usr/bin/env bash
# timeout: 180
# Two more hostile servers, with each HTTP client (http.client: curl and lean):
#  - one that sends its answer one byte a second (a 100,000-byte body: a day's answer): the
#    request's timeout (1 s) is a deadline for the whole answer, not an idle timer the trickle
#    keeps resetting, so it ends as error_timeout and the run ends by itself (this test's own
#    timeout bounds it);
#  - a 200 MiB body read through an expectation with max_body 64 KiB: the answer is a 200, the
#    expectation reads the kept part, size_rcv counts every byte of both answers (headers and
#    body, as libcurl counts them), and the agent's peak RSS stays far below the body's size
#    (it is not kept beyond the cap).
# max_users 1 and a phase far shorter than a session: one user at a time. On a fast machine the
# 200 MiB session can end inside the 200 ms phase and a second user arrives, so the figures are
# asserted per user (every user's session runs to its end).
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/hostile.sh"
command -v /usr/bin/time >/dev/null || skip "/usr/bin/time not installed"
start_hostile h
plan() { # $1 client, $2 http timeout (µs), $3 max_body, $4 steps
  cat <<JSON
{"version": 1, "target": "http://127.0.0.1:$h_PORT", "interval_us": 1000000, "grace_us": 120000000,
 "http": {"client": "$1", "timeout_us": $2, "max_body": $3},
 "load": {"model": "open", "phases": [{"duration_us": 200000, "arrival_rate": 100}], "max_users": 1},
 "sessions": [{"name": "s", "steps": [$4]}]}
JSON
}
run() { # $1 name: runs plan-$1.json, leaves sum-$1.json and rss-$1
  /usr/bin/time -f '%M' -o "$TEST_DIR/rss-$1" "$BARRAGE_BIN/barrage-agent" --plan "$TEST_DIR/plan-$1.json" \
    >"$TEST_DIR/out-$1.json" 2>"$TEST_DIR/agent-$1.log" || { cat "$TEST_DIR/agent-$1.log"; fail "agent ($1) failed"; }
  tail -1 "$TEST_DIR/out-$1.json" >"$TEST_DIR/sum-$1.json"
  jq -c '.counters' "$TEST_DIR/sum-$1.json"
  echo "$1: peak RSS $(tail -1 "$TEST_DIR/rss-$1") KiB"
  assert_json "$TEST_DIR/sum-$1.json" '.counters.users_count >= 1 and .counters.finish_users_count == .counters.users_count' \
    "$1: every user's session went on to its end"
}
huge_head=$(printf 'HTTP/1.1 200 OK\r\nContent-Length: 209715200\r\n\r\n' | wc -c)
ok_answer=$(printf 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok' | wc -c)
for c in curl lean; do
  plan "$c" 1000000 65536 '
   {"kind": "request", "request": {"method": "GET", "url": "/trickle", "expect": {"on_fail": "continue"}}}' \
    >"$TEST_DIR/plan-trickle-$c.json"
  run "trickle-$c"
  s=$TEST_DIR/sum-trickle-$c.json
  assert_json "$s" '.counters.requests == 1 and .counters.error_timeout == 1' \
    "$c: one byte a second ends at the request's timeout as error_timeout"

  plan "$c" 60000000 65536 '
   {"kind": "request", "request": {"method": "GET", "url": "/huge", "expect": {"body_contains": "xxxx"}}},
   {"kind": "request", "request": {"method": "GET", "url": "/ok", "name": "ok"}}' \
    >"$TEST_DIR/plan-huge-$c.json"
  run "huge-$c"
  s=$TEST_DIR/sum-huge-$c.json
  n=$(jq '.counters.users_count' "$s")
  assert_json "$s" ".counters.requests == 2 * $n and .counters.http_200 == 2 * $n and "'(.counters | keys | map(select(startswith("error_") or startswith("expect_"))) | length) == 0' \
    "$c: the 200 MiB answer and the next are 200s, the expectation passes on the kept part"
  assert_json "$s" ".counters.size_rcv == $n * ($huge_head + 209715200 + $ok_answer)" "$c: size_rcv counts every byte"
  # Keeping the body would add 200 MiB; the agent (with the sanitizers' own memory) stays far below.
  [ "$(tail -1 "$TEST_DIR/rss-huge-$c")" -lt 153600 ] || fail "$c: peak RSS $(tail -1 "$TEST_DIR/rss-huge-$c") KiB"
done
echo ok
