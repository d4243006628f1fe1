#!/usr/bin/env bash
# timeout: 180
# End to end through a real sshd on 127.0.0.1: `barrage run --hosts` with the agent pushed
# over SFTP; the merged counts equal what the target served. Then kill -9 one remote agent
# mid-run (agents.max_lost 1: the run goes on, the loss is recorded), and kill -9 the
# controller mid-run: no remote agent survives 5 s later.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/sshd-fixture.sh"

K=$TEST_DIR/k
sshd_keys "$K"
sshd_start s1 "$K" 127.0.0.1
start_server tgt target
cd "$TEST_DIR"
echo "root@127.0.0.1:$s1_PORT agents=2" >hosts
ssh_args=(--hosts hosts --known-hosts "$K/known_hosts" --identity "$K/id_ed25519" --push-agent)
scenario() { # NAME DURATION
  cat >"$1.yaml" <<YAML
name: $1
target: http://127.0.0.1:$tgt_PORT
load:
  users: 4
  duration: $2
sessions:
  - name: s
    steps:
      - request: { url: "/?status=200" }
      - request: { url: "/?status=201" }
      - think: 20ms
agents:
  max_lost: 1
report:
  interval: 1s
YAML
}
served() { curl -s "http://127.0.0.1:$tgt_PORT/__stats"; }
# agent_pids RUN: the remote agents' pids, from their HELLO in the agent logs (same machine,
# same pid space).
agent_pids() { cat "$1"/agents/*.log 2>/dev/null | sed -n 's/.*HELLO: .*"pid":\([0-9]*\).*/\1/p'; }

# 1. A clean run over SSH: merged counts equal the target's.
scenario e2e 3s
before=$(served)
rc=0; "$BARRAGE" run e2e.yaml --out run "${ssh_args[@]}" >run.out 2>run.err || rc=$?
cat run.err >&2
assert_eq "$rc" 0 "run over SSH"
after=$(served)
for code in 200 201; do
  want=$(( $(jq -r ".status[\"$code\"] // 0" <<<"$after") - $(jq -r ".status[\"$code\"] // 0" <<<"$before") ))
  [ "$want" -gt 0 ] || fail "target served no $code"
  assert_eq "$(jq -r ".http_status[\"$code\"] // 0" run/summary.json)" "$want" "http_status $code vs the target"
done
assert_json run/summary.json '(.agents | length) == 2 and all(.agents[]; .lost == false and (.host == "127.0.0.1"))'
assert_json run/plan.json '(.agents | length) == 2'
for f in run/agents/*.log; do grep -q "HELLO" "$f" || fail "$f has no agent log"; done
[ -z "$(ls -A "$K/tmp")" ] || fail "remote run directory left behind: $(ls "$K/tmp")"
echo "ok: run over SSH, counts equal the target's"

# 2. kill -9 one remote agent mid-run: reported, the run completes on the other (max_lost 1).
scenario lost 6s
start_run lost.yaml lost "${ssh_args[@]}"
pid=$RUN_PID
victim=$(agent_pids lost | head -1)
[ -n "$victim" ] || fail "no agent pid in lost/agents/*.log"
kill -9 "$victim"
rc=0; wait "$pid" || rc=$?
cat lost.err >&2
assert_eq "$rc" 0 "exit code with max_lost 1"
jq -s -e 'map(select(.type == "event" and .what == "agent_lost")) | length == 1' lost/stats.log >/dev/null \
  || fail "no agent_lost event"
tail -1 lost/stats.log | jq -e '.reason == "completed"' >/dev/null || fail "run did not complete"
assert_json lost/summary.json '[.agents[] | select(.lost)] | length == 1'
echo "ok: remote agent killed, run continued"

# 3. kill -9 the controller: every remote agent stops by itself within 5 s.
scenario orphan 60s
start_run orphan.yaml orphan "${ssh_args[@]}"
pid=$RUN_PID
agents=$(agent_pids orphan)
[ "$(echo "$agents" | wc -w)" = 2 ] || fail "expected 2 agent pids, got: $agents"
# shellcheck disable=SC2086 # one pid a word
kill_controller "$pid" "remote agent" $agents
a=$(served | jq .requests); sleep 1; b=$(served | jq .requests)
assert_eq "$b" "$a" "requests still arriving after the controller died"
echo "ok: no remote agent survives the controller"
