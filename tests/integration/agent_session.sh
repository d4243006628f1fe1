#!/usr/bin/env bash
# timeout: 60
# Sessions work: a scenario with CSV unique data, a transaction, a JSON capture (token), a
# capture of a list (pick: all) walked by foreach, a regex capture, an if/else on it, a set and
# a cookie: the target's --record log holds exactly the requests each user should have sent,
# each user with its own cookie jar and its own data row.
source "$(dirname "$0")/../lib.sh"
start_server tg target --record "$TEST_DIR/record.jsonl"
{ echo "user,password"; for i in $(seq 1 40); do echo "u$i,pw-u$i"; done; } >"$TEST_DIR/accounts.csv"
cat >"$TEST_DIR/plan.json" <<JSON
{"version": 1, "source": "session.yaml", "target": "http://127.0.0.1:$tg_PORT", "interval_us": 1000000,
 "load": {"model": "open", "phases": [{"duration_us": 2000000, "arrival_rate": 6}], "max_users": 100},
 "data": [{"name": "accounts", "file": "$TEST_DIR/accounts.csv", "order": "unique",
           "columns": ["user", "password"], "rows": 40, "part_index": 0, "part_count": 1}],
 "variables": [{"name": "limit", "value": "2"}],
 "sessions": [{"name": "s", "steps": [
   {"kind": "transaction", "name": "login", "steps": [
     {"kind": "request", "request": {"method": "POST", "url": "/login", "body_kind": "json",
        "body": "{\"user\":\"{{ accounts.user }}\",\"password\":\"{{ accounts.password }}\"}",
        "captures": [{"var": "token", "kind": "json", "expr": "$.token", "pick": "first"}],
        "expect": {"status": [[200, 200]], "on_fail": "abort"}}}]},
   {"kind": "request", "request": {"method": "GET", "url": "/items",
      "headers": [{"name": "Authorization", "value": "Bearer {{ token }}"}],
      "captures": [{"var": "ids", "kind": "json", "expr": "$.items[*].id", "pick": "all"}]}},
   {"kind": "foreach", "list_var": "ids", "item_var": "id", "steps": [
     {"kind": "if", "cond": "id <= limit", "steps": [
        {"kind": "request", "request": {"method": "GET", "url": "/items?id={{ id }}",
           "headers": [{"name": "Authorization", "value": "Bearer {{ token }}"}]}}],
      "else": [{"kind": "set", "set": [{"name": "skipped", "value": "{{ id }}"}]}]}]},
   {"kind": "request", "request": {"method": "GET", "url": "/balance?balance=2",
      "headers": [{"name": "Authorization", "value": "Bearer {{ token }}"}],
      "captures": [{"var": "balance", "kind": "regex", "expr": "\"balance\":(\\\\d+)", "pick": "first"}]}},
   {"kind": "if", "cond": "balance > 0", "steps": [
     {"kind": "request", "request": {"method": "POST", "url": "/write", "body_kind": "json",
        "body": "{\"skipped\":\"{{ skipped }}\",\"user\":\"{{ accounts.user }}\"}",
        "headers": [{"name": "Authorization", "value": "Bearer {{ token }}"}],
        "expect": {"status": [[200, 299]], "body_contains": "\"ok\":true"}}}],
    "else": [{"kind": "abort", "reason": "no_credit"}]}
 ]}]}
JSON
"$AGENT" --plan "$TEST_DIR/plan.json" >"$TEST_DIR/out.json" 2>"$TEST_DIR/agent.log" ||
  { cat "$TEST_DIR/agent.log"; fail "agent failed"; }
cat "$TEST_DIR/out.json"
s=$TEST_DIR/out.json
r=$TEST_DIR/record.jsonl
users=$(json "$s" '.counters.users_count')
[ "$users" -ge 2 ] || fail "only $users users arrived"
[ "$users" -le 40 ] || skip "more arrivals ($users) than data rows: unlikely, rerun"
assert_json "$s" ".counters.finish_users_count == $users" "every session finished"
assert_json "$s" ".hists.tr_login.n == $users" "one login transaction per user"
assert_json "$s" ".hists.session.n == $users" "one session per user"
assert_json "$s" '(.counters | keys | map(select(startswith("error_"))) | length) == 0' "no errors"
# Exactly six requests per user at the target, nothing else.
assert_eq "$(wc -l <"$r" | tr -d ' ')" "$((users * 6))" "requests recorded"
assert_eq "$(json "$s" '.counters.requests')" "$((users * 6))" "requests counted"
# Logins: one per data row, rows used once each (unique), passwords from the same row.
jq -s -e --argjson n "$users" '
  [.[] | select(.url == "/login") | .body | fromjson] as $l
  | ($l | length) == $n and ($l | map(.user) | unique | length) == $n
  and all($l[]; .password == "pw-" + .user)
  and (($l | map(.user | ltrimstr("u") | tonumber) | sort) == [range(1; $n + 1)])' "$r" >/dev/null ||
  fail "logins are not one per data row"
# Per token: the same sequence, with that user's own cookie (sid=token) on every request.
jq -s -e --argjson n "$users" '
  [.[] | select(.url != "/login")] | group_by(.headers.authorization)
  | length == $n and all(.[];
      (map(.method + " " + .url) == ["GET /items", "GET /items?id=1", "GET /items?id=2",
                                      "GET /balance?balance=2", "POST /write"])
      and all(.[]; .headers.cookie == "sid=" + (.headers.authorization | ltrimstr("Bearer "))))' "$r" >/dev/null ||
  fail "per-user request sequences differ from the scenario"
# The write carries the value set in the else branch and the user's own row.
jq -s -e '[.[] | select(.url == "/write") | .body | fromjson] | all(.[]; .skipped == "3")' "$r" >/dev/null ||
  fail "set in the else branch did not reach the write"
echo ok
