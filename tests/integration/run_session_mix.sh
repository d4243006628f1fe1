#!/usr/bin/env bash
# timeout: 90
# Closed model: sessions are given to user slots by weight exactly (smooth weighted round-robin
# over the fleet's slot numbers), not drawn at random. Each session sends one request with its
# own status code and then thinks past the end of the run, so every slot runs its session once
# and http_NNN counts how many slots each session got: 4 users over 4 equal sessions on 2 agents
# run all 4 once; 10 users over weights 3:1:1 on 3 agents (4+3+3 users) run 6, 2 and 2; and a
# slot's later sessions walk on through the sequence, so 1 user over 2 sessions runs both.
source "$(dirname "$0")/../lib.sh"

start_server tgt target
cd "$TEST_DIR"

# mix NAME USERS AGENTS WEIGHT...: a scenario with one session per weight; session k answers
# with status 200 + k.
mix() {
  local name=$1 users=$2 agents=$3 k=0; shift 3
  cat <<YAML
name: $name
target: http://127.0.0.1:$tgt_PORT
load:
  users: $users
  duration: 1s
sessions:
YAML
  for wt in "$@"; do
    cat <<YAML
  - name: s$k
    weight: $wt
    steps:
      - request: { url: "/?status=$((200 + k))" }
      - think: 30s
YAML
    k=$((k + 1))
  done
  cat <<YAML
agents:
  local: $agents
report:
  interval: 1s
YAML
}

mix equal 4 2 1 1 1 1 >equal.yaml
# barrage check prints the exact split the run will have.
"$BARRAGE" check equal.yaml >check.txt
assert_eq "$(grep -c 'weight 1, 1 of 4 users at the start, 1 request per session' check.txt)" 4 "check: 1 of 4 users each"
mix three 3 1 1 1 1 1 >three.yaml
"$BARRAGE" check three.yaml >check3.txt
grep -q '^  s3 (weight 1, 0 of 3 users at the start: runs as users take slots over, 1 request per session)$' check3.txt ||
  { cat check3.txt; fail "check does not say a session starts later"; }
"$BARRAGE" run -q equal.yaml --out equal || fail "equal mix run failed"
assert_json equal/summary.json '.http_status == {"200":1,"201":1,"202":1,"203":1}' \
  "4 users over 4 equal sessions run each once"
assert_json equal/summary.json '.counters.users_count == 4' "4 users started"

mix weighted 10 3 3 1 1 >weighted.yaml
"$BARRAGE" check weighted.yaml >checkw.txt
grep -q '^  s0 (weight 3, 6 of 10 users at the start, ' checkw.txt || { cat checkw.txt; fail "check: s0 6 of 10"; }
grep -q '^  s2 (weight 1, 2 of 10 users at the start, ' checkw.txt || { cat checkw.txt; fail "check: s2 2 of 10"; }
"$BARRAGE" run -q weighted.yaml --out weighted || fail "weighted mix run failed"
assert_json weighted/summary.json '.http_status == {"200":6,"201":2,"202":2}' \
  "10 users over weights 3:1:1 on 3 agents run 6, 2, 2"

# Over time each slot walks the whole sequence: 1 user over 2 equal sessions runs both,
# alternately (a slot bound to one session forever would never run the second).
cat >alternate.yaml <<YAML
name: alternate
target: http://127.0.0.1:$tgt_PORT
load:
  users: 1
  duration: 2s
sessions:
  - name: a
    steps:
      - request: { url: "/?status=200" }
      - think: 50ms
  - name: b
    steps:
      - request: { url: "/?status=201" }
      - think: 50ms
agents:
  local: 1
report:
  interval: 1s
YAML
"$BARRAGE" run -q alternate.yaml --out alternate || fail "alternate run failed"
assert_json alternate/summary.json '(.http_status["200"] // 0) > 2 and (.http_status["201"] // 0) > 2' \
  "1 user over 2 sessions runs both"
assert_json alternate/summary.json '((.http_status["200"] // 0) - (.http_status["201"] // 0)) | fabs <= 1' \
  "1 user over 2 equal sessions alternates them"
echo "session mix exact"
