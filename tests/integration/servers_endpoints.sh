#!/usr/bin/env bash
# timeout: 60
# Acceptance: the reference servers' documented behaviours, through their HTTP endpoints.
# voting: login sets a session cookie, candidates, balance, vote debits one credit, credit is
# idempotent on txn, results count the vote once, 401 without a session, 409 without credit.
# wallet: credits/debits idempotent on txn, 409 on overdraw (nothing applied), audit ok.
# queue: enqueue -> key node:date:restart_count:counter, claim, ack, scheduled delivery.
# Also HTTPS with a self-signed certificate.
source "$(dirname "$0")/../lib.sh"
command -v curl >/dev/null || skip "curl not installed"

start_server vote voting --data-dir "$TEST_DIR/v" --accounts 5 --initial-credits 1 --tls-listen 127.0.0.1:0
start_server wal wallet --data-dir "$TEST_DIR/w"
start_server q queue --data-dir "$TEST_DIR/q" --node n7
cd "$TEST_DIR"
V=http://127.0.0.1:$vote_PORT
c() { curl -sS --max-time 5 "$@"; }
code() { curl -sS --max-time 5 -o /dev/null -w '%{http_code}' "$@"; }

# --- voting
assert_eq "$(code -X POST "$V/login" -d '{"user":"user1","password":"wrong"}')" 401 "bad login"
c -c jar -X POST "$V/login" -H 'Content-Type: application/json' -d '{"user":"user1","password":"pw-user1"}' >login.json
assert_json login.json '.ok == true and (.token | length) > 0'
grep -q 'sid' jar || fail "login set no session cookie"
assert_eq "$(code "$V/balance")" 401 "balance without a session"
c -b jar "$V/candidates" >cand.json
assert_json cand.json '(.candidates | length) == 5 and .candidates[0].id == 1'
c -b jar "$V/balance" >bal.json
assert_json bal.json '.balance == 1'
c -H "Authorization: Bearer $(jq -r .token login.json)" "$V/balance" >bal2.json
assert_json bal2.json '.balance == 1' "Bearer token session"
c -b jar -X POST "$V/vote" -d '{"candidate": 3}' >vote.json
assert_json vote.json '.ok == true and .balance == 0'
assert_eq "$(code -b jar -X POST "$V/vote" -d '{"candidate": 3}')" 409 "vote without credit"
c -b jar -X POST "$V/credit" -d '{"amount": 5, "txn": "t-1"}' >cr1.json
c -b jar -X POST "$V/credit" -d '{"amount": 5, "txn": "t-1"}' >cr2.json
assert_json cr1.json '.ok == true and .balance == 5 and .replayed == false'
assert_json cr2.json '.balance == 5 and .replayed == true'
c "$V/results?page=2" >res.json
assert_json res.json '.total == 1 and ([.results[] | select(.id == 3) | .votes] == [1])'
# HTTPS with the generated self-signed certificate.
c -k "https://127.0.0.1:$vote_TLS_PORT/candidates" >tls.json
assert_json tls.json '(.candidates | length) == 5'

# --- wallet
W=http://127.0.0.1:$wal_PORT
c -X POST "$W/wallets/alice/credit" -d '{"txn":"c1","amount":3}' >w1.json
c -X POST "$W/wallets/alice/credit" -d '{"txn":"c1","amount":3}' >w2.json
assert_json w1.json '.balance == 3 and .replayed == false'
assert_json w2.json '.balance == 3 and .replayed == true'
assert_eq "$(code -X POST "$W/wallets/alice/debit" -d '{"txn":"d1","amount":4}')" 409 "overdraw"
c -X POST "$W/wallets/alice/debit" -d '{"txn":"d2","amount":2}' >w3.json
c -X POST "$W/wallets/alice/debit" -d '{"txn":"d2","amount":2}' >w4.json
assert_json w3.json '.balance == 1 and .replayed == false'
assert_json w4.json '.balance == 1 and .replayed == true'
c "$W/wallets/alice" >w5.json
assert_json w5.json '.balance == 1 and .transactions == 2' "the refused debit was recorded"
c "$W/audit" >audit.json
assert_json audit.json '.ok == true and .wallets == 1'

# --- queue
Q=http://127.0.0.1:$q_PORT
assert_eq "$(code -X POST "$Q/queues/sms/messages" -d '{"body":"hello"}')" 201 "enqueue"
c -X POST "$Q/queues/sms/messages" -d '{"body":"later","not_before":9999999999999}' >later.json
jq -r .key later.json | grep -Eq '^n7:[0-9]{8}:[0-9]+:[0-9]+$' || fail "queue key shape: $(cat later.json)"
c -X POST "$Q/queues/sms/claim?max=10&lease=30s" >claim.json
assert_json claim.json '(.messages | length) == 1 and .messages[0].body == "hello"' "scheduled message delivered early"
key=$(jq -r '.messages[0].key' claim.json)
echo "$key" | grep -Eq '^n7:[0-9]{8}:[0-9]+:[0-9]+$' || fail "queue key shape: $key"
c -X POST "$Q/queues/sms/ack" -d "{\"keys\":[\"$key\"]}" >ack.json
assert_json ack.json '.acked == 1'
c "$Q/queues/sms" >qs.json
assert_json qs.json '.acked == 1 and .scheduled == 1 and .ready == 0'

# Under load from barrage: every credit becomes exactly one vote, the rest are 409, and the audit
# (wallet balance = history, tally = debits) holds.
start_server v2 voting --data-dir "$TEST_DIR/v2" --accounts 10 --initial-credits 3
{ echo user,password; for i in $(seq 1 10); do echo "user$i,pw-user$i"; done; } >a10.csv
cat >votes.yaml <<YAML
name: servers-votes
target: http://127.0.0.1:$v2_PORT
load: { users: 4, duration: 1s }
data: { accounts: { file: a10.csv, order: random } }
sessions:
  - name: v
    steps:
      - request: { method: POST, url: /login, json: { user: "{{ accounts.user }}", password: "{{ accounts.password }}" } }
        expect: { status: 200 }
      - repeat: 2
        steps:
          - request: { method: POST, url: /vote, json: { candidate: "{{ random_int(1, 5) }}" }, name: vote }
            expect: { status: [200, 409], on_fail: continue }
agents: { local: 2 }
YAML
"$BARRAGE" run -q votes.yaml --out votes >/dev/null 2>votes.err || { cat votes.err >&2; fail "vote run failed"; }
c "http://127.0.0.1:$v2_PORT/results" >res2.json
c "http://127.0.0.1:$v2_PORT/audit" >audit2.json
assert_json res2.json '.total == 30' "30 credits must give exactly 30 votes"
assert_json audit2.json '.ok == true and .votes == 30'
assert_json votes/summary.json '.stats.req_vote.count == 30 + .http_status["409"]'
assert_json votes/summary.json '(.errors | length) == 0'
echo "servers ok"
