#!/usr/bin/env bash
# timeout: 240
# A HAR recorded by real headless Chromium (Debian's chromium driven by playwright-core from
# npm, installed into a cache folder on first use) browsing a page that logs in to the voting
# server, lists the candidates, reads the balance and votes. The import correlates the login
# token (JSON field) into the Authorization headers; the scenario then runs against a fresh
# voting server, where the recorded token means nothing, and every request succeeds. The same
# scenario with the recorded token put back gets 401s: the correlation is what makes it work.
# The page comes from the recording script's own port and Chromium runs with
# --disable-web-security so it may call the voting API on another port (the voting server sends
# no CORS headers); the page's own entry is dropped with --exclude-host. Without node, npm or
# chromium, the HAR that Chromium recorded for this test earlier
# (tests/fixtures/import/voting-chromium.har) is used instead, and the log says so.
source "$(dirname "$0")/../lib.sh"
cd "$TEST_DIR"
start_server rec voting --data-dir "$TEST_DIR/rec-data" --initial-credits 1000
har=$TEST_DIR/voting.har
pw_version=1.65.2
cache=${BARRAGE_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/barrage-tests}/playwright-core-$pw_version
recorded=no
if command -v node >/dev/null && command -v chromium >/dev/null; then
  if [ ! -d "$cache/node_modules/playwright-core" ] && command -v npm >/dev/null; then
    mkdir -p "$cache"
    timeout 120 npm install --no-audit --no-fund --prefix "$cache" "playwright-core@$pw_version" \
      >npm.log 2>&1 || { cat npm.log; rm -rf "$cache/node_modules"; }
  fi
  if [ -d "$cache/node_modules/playwright-core" ]; then
    CHROMIUM=$(command -v chromium) timeout 120 node "$TESTS_SRC/fixtures/import/record-har.js" \
      "$cache/node_modules/playwright-core" "$rec_PORT" "$har" >record.out 2>&1 ||
      { cat record.out; fail "recording with Chromium failed"; }
    cat record.out
    grep -q '^done voted 200' record.out || fail "the page did not vote"
    recorded=yes
  fi
fi
if [ $recorded = no ]; then
  echo "node, npm, chromium or playwright-core unavailable: using the HAR Chromium recorded earlier"
  cp "$TESTS_SRC/fixtures/import/voting-chromium.har" "$har"
fi
jq -e '.log.creator.name == "Playwright"' "$har" >/dev/null || fail "not a browser-recorded HAR"
page=$(jq -r '.log.entries[] | select(.request.url | endswith("/login") | not) | .request.url' "$har" | head -1)
page_host=$(echo "$page" | sed 's|^http://||; s|/.*||')
api=$(jq -r '.log.entries[] | select(.request.url | endswith("/login")) | .request.url' "$har" | sed 's|/login$||')
old_token=$(jq -r '.log.entries[] | select(.request.url | endswith("/login")) | .response.content.text | fromjson | .token' "$har")
[ -n "$old_token" ] || fail "no token in the recorded login"

"$BARRAGE" import har "$har" --exclude-host "$page_host" -o voting.yaml 2>import.err ||
  { cat import.err; fail "import"; }
cat voting.yaml import.err
grep -q "^barrage: import: correlated token: JSON field \$.token of entry 1 (POST $api/login), first sent by entry 2$" import.err ||
  fail "the token was not correlated"
grep -q 'token: { json: "$.token" }' voting.yaml || fail "no token capture"
assert_eq "$(grep -c '"Authorization": "Bearer {{ token }}"' voting.yaml)" 3 "templated Authorization headers"
! grep -v '^ *#' voting.yaml | grep -q "$old_token" || fail "the recorded token is still sent"
grep -q "target: \"$api\"" voting.yaml || fail "target is not the API origin"
grep -q '^ *- think: [0-9]' voting.yaml || fail "the pause before /balance is not a think"
! grep -q "$page_host" voting.yaml || fail "the excluded page host is still there"
grep -q 'json: {"user":"user7","password":"pw-user7"}' voting.yaml || fail "login body"
"$BARRAGE" -q check voting.yaml || fail "check refuses the import"

# Replay against a fresh voting server: the recorded token is unknown there.
kill -9 "$rec_PID"
start_server fresh voting --data-dir "$TEST_DIR/fresh-data" --initial-credits 1000
run() {
  "$BARRAGE" -q run "$1" --out "$2" --local 1 --set "target=http://127.0.0.1:$fresh_PORT" \
    --set load.phases.0.duration=2s --set load.phases.0.arrival_rate=5/s \
    --set report.interval=1s >"$2.out" 2>&1
}
run voting.yaml fresh || { cat fresh.out; fail "the imported scenario failed"; }
s=fresh/summary.json
users=$(json "$s" '.counters.users_count')
[ "$users" -ge 2 ] || fail "only $users users"
assert_json "$s" ".counters.finish_users_count == $users" "every session finished"
assert_json "$s" ".counters.requests == $users * 4" "four requests per user"
assert_json "$s" ".http_status == {\"200\": ($users * 4)}" "every request got 200"
assert_json "$s" '(.errors | length) == 0' "no errors"
assert_json "$s" ".stats.tr_page_1.count == $users" "the page is a transaction"
# The control: the recorded token instead of the capture gets 401 from the fresh server.
sed -e "s/{{ token }}/$old_token/" -e '/capture:/,/token: { json/d' voting.yaml >stale.yaml
"$BARRAGE" -q check stale.yaml || fail "stale control does not check"
run stale.yaml stale || true
assert_json stale/summary.json '(.http_status["401"] // 0) > 0' "a stale token is refused (the control)"
echo "recorded by Chromium in this run: $recorded"
echo ok
