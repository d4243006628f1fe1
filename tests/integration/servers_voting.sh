#!/usr/bin/env bash
# timeout: 240
# The voting server over HTTP and HTTPS: login (cookie and bearer), candidates, balance, votes
# until credit runs out (409), buying credits (idempotent), unknown candidate (404), missing,
# unknown and expired sessions (401), results, audit, restart with replay, bad inputs.
source "$(dirname "$0")/../lib.sh"

D=$TEST_DIR/data
start_server v voting --tls-listen 127.0.0.1:0 --data-dir "$D" --accounts 50 --initial-credits 2 \
  --candidates 3
H=http://127.0.0.1:$v_PORT
S=https://127.0.0.1:$v_TLS_PORT

req() { # METHOD URL [BODY] [curl args...] -> status; body in $TEST_DIR/body
  local m=$1 u=$2 b=${3:-}; shift 2; [ $# -gt 0 ] && shift
  curl -sk -o "$TEST_DIR/body" -D "$TEST_DIR/hdr" -w '%{http_code}' -X "$m" ${b:+-d "$b"} "$@" "$u"
}

n=0
for base in "$H" "$S"; do
  n=$((n + 1))
  user=user$n
  assert_eq "$(req POST "$base/login" "{\"user\":\"$user\",\"password\":\"pw-$user\"}")" 200 login
  assert_json "$TEST_DIR/body" '.ok == true and (.token | length == 32)'
  tok=$(json "$TEST_DIR/body" .token)
  grep -qi "^set-cookie: sid=$tok" "$TEST_DIR/hdr" || fail "login without the session cookie"
  assert_eq "$(req GET "$base/candidates")" 200 candidates
  assert_json "$TEST_DIR/body" '[.candidates[].id] == [1,2,3] and (.candidates[0].name | length > 0)'
  assert_eq "$(req GET "$base/balance" "" -H "Authorization: Bearer $tok")" 200 "balance (bearer)"
  assert_json "$TEST_DIR/body" ".balance == 2 and .user == \"$user\""
  assert_eq "$(req GET "$base/balance" "" -b "sid=$tok")" 200 "balance (cookie)"
  assert_eq "$(req POST "$base/vote" '{"candidate":1}' -b "sid=$tok")" 200 "vote (number)"
  assert_json "$TEST_DIR/body" '.ok == true and .balance == 1'
  assert_eq "$(req POST "$base/vote" '{"candidate":"2"}' -H "Authorization: Bearer $tok")" 200 "vote (string)"
  assert_json "$TEST_DIR/body" '.ok == true and .balance == 0'
  assert_eq "$(req POST "$base/vote" '{"candidate":2}' -b "sid=$tok")" 409 "vote without credit"
  assert_json "$TEST_DIR/body" '.ok == false and .balance == 0'
  assert_eq "$(req POST "$base/vote" '{"candidate":4}' -b "sid=$tok")" 404 "unknown candidate"
  assert_eq "$(req POST "$base/vote" '{"candidate":0}' -b "sid=$tok")" 404 "candidate 0"
  assert_eq "$(req POST "$base/credit" "{\"amount\":5,\"txn\":\"buy-$n\"}" -b "sid=$tok")" 200 credit
  assert_json "$TEST_DIR/body" '.balance == 5 and .replayed == false'
  assert_eq "$(req POST "$base/credit" "{\"amount\":5,\"txn\":\"buy-$n\"}" -b "sid=$tok")" 200 "credit replay"
  assert_json "$TEST_DIR/body" '.balance == 5 and .replayed == true'
  assert_eq "$(req POST "$base/credit" "{\"amount\":6,\"txn\":\"buy-$n\"}" -b "sid=$tok")" 409 "credit txn conflict"
  assert_eq "$(req POST "$base/vote" '{"candidate":3}' -b "sid=$tok")" 200 "vote after credit"
  # Sessions and auth.
  assert_eq "$(req GET "$base/balance")" 401 "no session"
  assert_json "$TEST_DIR/body" '.error | length > 0'
  assert_eq "$(req POST "$base/vote" '{"candidate":1}')" 401 "vote without session"
  assert_eq "$(req POST "$base/credit" '{"amount":1,"txn":"q"}')" 401 "credit without session"
  assert_eq "$(req GET "$base/balance" "" -b "sid=0123456789abcdef0123456789abcdef")" 401 "unknown session"
  assert_eq "$(req GET "$base/balance" "" -H "Authorization: Bearer nonsense")" 401 "bad bearer"
  for b in '{"user":"user1","password":"pw-user2"}' '{"user":"user51","password":"pw-user51"}' \
           '{"user":"user0","password":"pw-user0"}' '{"user":"admin","password":"pw-admin"}'; do
    assert_eq "$(req POST "$base/login" "$b")" 401 "bad login $b"
  done
  for b in '' '{' '[]' '{"user":1,"password":"x"}' '{"user":"user1"}'; do
    assert_eq "$(req POST "$base/login" "$b")" 400 "malformed login <$b>"
    assert_json "$TEST_DIR/body" '.error | length > 0'
  done
  for b in '' '{' '{}' '{"candidate":"x"}' '{"candidate":[1]}' '{"candidate":null}' '{"candidate":"1x"}'; do
    assert_eq "$(req POST "$base/vote" "$b" -b "sid=$tok")" 400 "bad vote <$b>"
  done
  for b in '{}' '{"amount":5}' '{"txn":"a"}' '{"amount":0,"txn":"a"}' '{"amount":-1,"txn":"a"}' \
           '{"amount":"5","txn":"a"}' '{"amount":5,"txn":"vote-1"}' '{"amount":5,"txn":"a b"}'; do
    assert_eq "$(req POST "$base/credit" "$b" -b "sid=$tok")" 400 "bad credit <$b>"
  done
  assert_eq "$(req GET "$base/vote")" 405 "GET /vote"
  assert_eq "$(req GET "$base/login")" 405 "GET /login"
  assert_eq "$(req GET "$base/nowhere")" 404 "unknown route"
  assert_eq "$(req GET "$base/results?page=3")" 200 "results with page"
  assert_eq "$(req GET "$base/health")" 200 health
done

req GET "$H/results" >/dev/null
assert_json "$TEST_DIR/body" '.total == 6 and ([.results[].votes] == [2,2,2])'
cp "$TEST_DIR/body" "$TEST_DIR/results1.json"
req GET "$H/audit" >/dev/null
assert_json "$TEST_DIR/body" '.ok == true and .votes == 6'

# Sessions expire (--session-ttl 1s); waiting longer is a lower bound, safe on a slow machine.
start_server e voting --data-dir "$TEST_DIR/e" --session-ttl 1s
E=http://127.0.0.1:$e_PORT
req POST "$E/login" '{"user":"user9","password":"pw-user9"}' >/dev/null
tok=$(json "$TEST_DIR/body" .token)
sleep 1.5
assert_eq "$(req GET "$E/balance" "" -b "sid=$tok")" 401 "expired session"
assert_json "$TEST_DIR/body" '.error | test("expired")'

# Restart: votes and balances come back from the journal; sessions do not.
kill -TERM "$v_PID"; wait "$v_PID" || fail "voting exit code after SIGTERM"
start_server v voting --data-dir "$D" --accounts 50 --initial-credits 2 --candidates 3
H=http://127.0.0.1:$v_PORT
req GET "$H/results" >/dev/null
assert_eq "$(jq -c . "$TEST_DIR/body")" "$(jq -c . "$TEST_DIR/results1.json")" "results after restart"
req POST "$H/login" '{"user":"user1","password":"pw-user1"}' >/dev/null
tok=$(json "$TEST_DIR/body" .token)
req GET "$H/balance" "" -b "sid=$tok" >/dev/null
assert_json "$TEST_DIR/body" '.balance == 4'
req GET "$H/audit" >/dev/null
assert_json "$TEST_DIR/body" '.ok == true and .votes == 6'

# A journal written with more candidates is refused with a clear message, not a crash.
kill -TERM "$v_PID"; wait "$v_PID" || true
set +e; "$TARGET" voting --listen 127.0.0.1:0 --data-dir "$D" --candidates 1 --initial-credits 2 \
  >"$TEST_DIR/refuse.log" 2>&1; rc=$?; set -e
assert_eq "$rc" 1 "exit code with a mismatched --candidates"
grep -q "candidates" "$TEST_DIR/refuse.log" || fail "no message naming --candidates"
echo "servers_voting: ok"
