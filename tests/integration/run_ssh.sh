#!/usr/bin/env bash
# timeout: 150
# barrage run --hosts through a real sshd on 127.0.0.1 (two agents on the host, the local
# barrage-agent under test on the host's PATH, a CSV data file uploaded): the run completes, each
# agent has its log, plan.json gives each its share, summary.json's counts per status code equal
# what the target served; then kill -9 of one remote agent mid-run is reported as agent_lost and,
# with max_lost 0, stops the run with exit 3.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/sshd-fixture.sh"

K=$TEST_DIR/k
sshd_keys "$K"
# The agent on the host's PATH: answers --version with the bare version as hosts expect, and
# otherwise runs the barrage-agent under test. (--push-agent is covered by ssh_links.sh.)
V=$(sshd_version_of_tree)
printf '#!/bin/sh\n[ "$1" = --version ] && { echo %s; exit 0; }\nexec %s "$@"\n' "$V" "$AGENT" >"$K/bin/barrage-agent"
chmod 755 "$K/bin/barrage-agent"
sshd_start s1 "$K" 127.0.0.1
start_server tgt target
cd "$TEST_DIR"
echo "root@127.0.0.1:$s1_PORT agents=2" >hosts.txt
printf 'user,password\n' >accounts.csv
for i in $(seq 1 20); do echo "u$i,p$i" >>accounts.csv; done
cat >ssh.yaml <<YAML
name: it-ssh
target: http://127.0.0.1:$tgt_PORT
load:
  users: 4
  duration: 3s
  grace: 1s
data:
  accounts: { file: accounts.csv, order: unique }
sessions:
  - name: s
    steps:
      - request: { url: "/?status=200&u={{ accounts.user }}" }
      - request: { url: "/?status=202" }
      - think: 20ms
report:
  interval: 1s
YAML
ssh_args=(--hosts hosts.txt --identity "$K/id_ed25519" --known-hosts "$K/known_hosts")
set +e
"$BARRAGE" run ssh.yaml --out run "${ssh_args[@]}" >out.txt 2>err.txt
rc=$?
set -e
cat err.txt >&2
assert_eq "$rc" 0 "exit code of the SSH run"
id1="root@127.0.0.1:$s1_PORT#1"
id2="root@127.0.0.1:$s1_PORT#2"
assert_json run/plan.json "[.agents[].id] == [\"$id1\",\"$id2\"]"
assert_json run/plan.json '[.agents[].data[0].part_count] == [2,2] and [.agents[].data[0].part_index] == [0,1]'
[ -s "run/agents/$id1.log" ] && [ -s "run/agents/$id2.log" ] || fail "agent logs missing: $(ls run/agents)"
curl -s "http://127.0.0.1:$tgt_PORT/__stats" >served.json
assert_served run/summary.json served.json 200 202
tail -1 run/stats.log | jq -e '.reason == "completed"' >/dev/null || fail "SSH run did not complete"

# A remote agent killed mid-run.
sed -i 's/duration: 3s/duration: 30s/' ssh.yaml
start_run ssh.yaml run2 "${ssh_args[@]}"
pid=$RUN_PID
# Only this test's agents (their --run-dir is under TEST_DIR): other runs of the same build may
# be going on beside it.
victim=$(pgrep -f "^$AGENT --run-dir $TEST_DIR/" | head -1 || true)
[ -n "$victim" ] || fail "no remote agent process found"
kill -9 "$victim"
set +e; wait "$pid"; rc=$?; set -e
cat run2.err >&2
assert_eq "$rc" 3 "exit code after losing a remote agent with max_lost 0"
jq -s -e 'map(select(.type == "event" and .what == "agent_lost")) | length >= 1' run2/stats.log >/dev/null \
  || fail "no agent_lost event"
tail -1 run2/stats.log | jq -e '.reason == "agents_lost"' >/dev/null || fail "end reason is not agents_lost"
echo ok
