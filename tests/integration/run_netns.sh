#!/usr/bin/env bash
# timeout: 180
# One scenario across three "hosts": network namespaces with veth links, each its own address
# and sshd, one agent each, all aiming at one test target on the host side of the first link.
# The run completes, every agent reports in every interval, and the merged counts per status
# code equal what the target served.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/sshd-fixture.sh"

K=$TEST_DIR/k
sshd_keys "$K"
V=$(sshd_version_of_tree)
printf '#!/bin/sh\n[ "$1" = --version ] && { echo %s; exit 0; }\nexec %s "$@"\n' "$V" "$AGENT" >"$K/bin/barrage-agent"
chmod 755 "$K/bin/barrage-agent"
netns_make 3
tag=$(echo "${NS_ADDR[1]}" | cut -d. -f2)
taddr=10.$tag.1.1
: >"$TEST_DIR/hosts"
for i in 1 2 3; do
  sshd_start "ns$i" "$K" "${NS_ADDR[$i]}" "${NS_NAME[$i]}"
  echo "root@${NS_ADDR[$i]} agents=1" >>"$TEST_DIR/hosts"
  # Every namespace reaches the target's address through its own link.
  ip -n "${NS_NAME[$i]}" route add "10.$tag.0.0/16" via "10.$tag.$i.1" 2>/dev/null || true
done

# The target listens on the host side of the first link (a namespace address of this test).
"$TARGET" target --listen "$taddr:0" --port-file "$TEST_DIR/t.ports" >"$TEST_DIR/t.log" 2>&1 &
_pids+=("$!")
for _ in $(seq 1 200); do [ -s "$TEST_DIR/t.ports" ] && break; sleep 0.05; done
tport=$(awk '$1=="http"{print $2}' "$TEST_DIR/t.ports")
[ -n "$tport" ] || fail "target did not start: $(cat "$TEST_DIR/t.log")"

cd "$TEST_DIR"
cat >fleet.yaml <<YAML
name: it-fleet
target: http://$taddr:$tport
load:
  users: 6
  duration: 4s
  grace: 1s
sessions:
  - name: s
    steps:
      - request: { url: "/?status=200" }
      - request: { url: "/?status=203" }
      - think: 20ms
report:
  interval: 1s
YAML
set +e
"$BARRAGE" run fleet.yaml --out run --hosts hosts --identity "$K/id_ed25519" \
  --known-hosts "$K/known_hosts" >out.txt 2>err.txt
rc=$?
set -e
cat err.txt >&2
assert_eq "$rc" 0 "exit code of the three-host run"
assert_json run/plan.json '(.agents | length) == 3 and ([.agents[].load.users] | add) == 6'
# Each agent's health is in the intervals: all three took part.
n=$(jq -s '[.[] | select(.type == "interval") | .agents[]?.id] | unique | length' run/stats.log)
assert_eq "$n" 3 "agents reporting in stats.log"
curl -s "http://$taddr:$tport/__stats" >served.json
assert_served run/summary.json served.json 200 203
echo "ok: three hosts"

# Cut the third host's link mid-run: its agent is reported lost (its link silent for
# agents.link_timeout, or the SSH keepalive gives up), and with max_lost 1 the run goes on to the end on the others.
sed -i 's/duration: 4s/duration: 8s/' fleet.yaml
start_run fleet.yaml cut --hosts hosts --identity "$K/id_ed25519" --known-hosts "$K/known_hosts" \
  --set agents.max_lost=1
pid=$RUN_PID
ip link set "${NS_VETH[3]}" down
set +e; wait "$pid"; rc=$?; set -e
cat cut.err >&2
assert_eq "$rc" 0 "exit code with one host cut off and max_lost 1"
jq -s -e "map(select(.type == \"event\" and .what == \"agent_lost\" and (.agent | contains(\"${NS_ADDR[3]}\")))) | length == 1" \
  cut/stats.log >/dev/null || fail "no agent_lost event for the cut host"
tail -1 cut/stats.log | jq -e '.reason == "completed"' >/dev/null || fail "the run did not complete"
last=$(jq -s '[.[] | select(.type == "interval") | .i] | max' cut/stats.log)
[ "$last" -ge 7 ] || fail "the run stopped at interval $last"
echo ok
