#!/usr/bin/env bash
# timeout: 60
# URLs: urlencode() puts any value in a URL (space, '#', '&' percent-encoded); a rendered URL
# with a character that is not valid in a URL is never sent truncated or split: it is counted
# as error_bad_url and the agent's log names the step and suggests urlencode(); such a
# character in the URL's own text is refused by `barrage check` at its line:col.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/hostile.sh"
start_hostile h
cd "$TEST_DIR"
short_scenario url "http://127.0.0.1:$h_PORT" 1 >url.yaml <<YAML
  - name: s
    steps:
      - set: { q: "a b#c&d=1" }
      - request: { url: "/enc?q={{ urlencode(q) }}&n={{ urlencode(5) }}", name: enc }
      - request: "/bad?q={{ q }}"
      - think: 100ms
YAML
run_ok url.yaml run -vv
s=run/summary.json
jq -c '.errors, .counters' "$s"
n=$(json "$s" '.stats.req_enc.count')
[ "$n" -gt 0 ] || fail "no request"
# (the load's end may stop the last session between its two requests)
assert_json "$s" ".errors.error_bad_url >= $n - 1 and .errors.error_bad_url <= $n" "each bad URL counted, none sent"
assert_eq "$(jq -s '[.[] | select(.path != "/enc?q=a%20b%23c%26d%3D1&n=5")] | length' h.requests)" 0 \
  "urlencoded values sent whole; nothing sent truncated at '#' or split at '&'"
grep -q 'url.yaml:12:9: request GET /bad?q={{ q }}: the rendered URL ".*/bad?q=a b#c&d=1" has a space at byte [0-9]*, which is not valid in a URL; put values in URLs with urlencode(), e.g. {{ urlencode(q) }} (counted as error_bad_url)' run.out ||
  { cat run.out; fail "agent log names the step and suggests urlencode()"; }

# The URL's own text: refused at check time where it was written.
cat >bad.yaml <<YAML
name: bad
target: http://127.0.0.1:$h_PORT
load: { users: 1, duration: 1s }
sessions:
  - name: s
    steps:
      - request: "/bad?q=a b"
      - request: { url: "/x?a={{ user_id() }}|b" }
YAML
set +e; "$BARRAGE" check bad.yaml >check.out 2>&1; rc=$?; set -e
cat check.out
assert_eq "$rc" 2 "check refuses"
grep -q '^barrage: bad.yaml:7:27: url: a space is not valid in a URL: write %20, or put values in with urlencode(), e.g. {{ urlencode(q) }}$' check.out || fail "space message"
grep -q "^barrage: bad.yaml:8:46: url: byte 0x7c ('|') is not valid in a URL: percent-encode it (%7C)" check.out || fail "'|' message"
echo ok
