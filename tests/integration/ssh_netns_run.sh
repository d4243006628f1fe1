#!/usr/bin/env bash
# timeout: 180
# A scenario across three "hosts" (network namespaces joined to us by veth pairs, each with its
# own sshd), the agent pushed to each: all three agents run and the merged counts equal what the
# target served. Then a second run in which one host's link is cut mid-run: the controller
# notices (heartbeats), reports that agent lost, finishes on the other two (max_lost 1), and
# the cut-off agent stops by itself.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/sshd-fixture.sh"

K=$TEST_DIR/k
sshd_keys "$K"
netns_make 3
cd "$TEST_DIR"
: >hosts
for i in 1 2 3; do
  sshd_start "ns$i" "$K" "${NS_ADDR[$i]}" "${NS_NAME[$i]}"
  echo "root@${NS_ADDR[$i]}" >>hosts
done
# The target listens on our end of the first veth: every namespace routes to it through us.
"$TARGET" target --listen "${NS_GW[1]}:0" --port-file tgt.ports >tgt.log 2>&1 &
_pids+=("$!")
for _ in $(seq 1 200); do [ -s tgt.ports ] && break; sleep 0.05; done
TGT="http://${NS_GW[1]}:$(awk '$1=="http"{print $2}' tgt.ports)"
served() { curl -s "$TGT/__stats"; }
ssh_args=(--hosts hosts --known-hosts "$K/known_hosts" --identity "$K/id_ed25519" --push-agent)
scenario() { # NAME DURATION
  loop_scenario "$1" 6 "$2" target="$TGT" agents="max_lost: 1" >"$1.yaml"
}
agent_pid() { sed -n 's/.*HELLO: .*"pid":\([0-9]*\).*/\1/p' "$1" | head -1; }

# 1. All three hosts: merged counts equal the target's.
scenario three 3s
before=$(served | jq .requests)
rc=0; "$BARRAGE" run three.yaml --out three "${ssh_args[@]}" >three.out 2>three.err || rc=$?
cat three.err >&2
assert_eq "$rc" 0 "run across three namespaces"
want=$(( $(served | jq .requests) - before ))
[ "$want" -gt 0 ] || fail "the target saw no requests"
assert_json three/summary.json ".stats.request.count == $want"
assert_json three/summary.json '(.agents | length) == 3 and all(.agents[]; .lost == false)'
for i in 1 2 3; do
  assert_json three/summary.json "[.agents[].host] | index(\"${NS_ADDR[$i]}\") != null"
done
echo "ok: three hosts, $want requests, counts equal the target's"

# 2. Cut host 2's link mid-run.
scenario cut 12s
start_run cut.yaml cut "${ssh_args[@]}"
pid=$RUN_PID
victim_log=$(ls cut/agents/*"${NS_ADDR[2]}"*.log)
victim=$(agent_pid "$victim_log")
[ -n "$victim" ] && _pids+=("$victim")
ip link set "${NS_VETH[2]}" down
rc=0; wait "$pid" || rc=$?
cat cut.err >&2
assert_eq "$rc" 0 "exit code with one host cut off and max_lost 1"
jq -s -e "map(select(.type == \"event\" and .what == \"agent_lost\" and (.agent | contains(\"${NS_ADDR[2]}\")))) | length == 1" \
  cut/stats.log >/dev/null || fail "no agent_lost event for the cut host"
# Whichever notices first: the link silent for agents.link_timeout, or SSH keepalives unanswered.
grep -Eq "lost: (no answer|nothing on its link)|SSH connection to .* lost" cut.err || fail "the loss reason does not say the host went silent"
tail -1 cut/stats.log | jq -e '.reason == "completed"' >/dev/null || fail "run did not complete"
assert_json cut/summary.json "[.agents[] | select(.lost) | .host] == [\"${NS_ADDR[2]}\"]"
# The cut-off agent stops on its own (sshd drops the silent client, the agent's input closes).
if [ -n "$victim" ]; then
  for _ in $(seq 1 100); do kill -0 "$victim" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$victim" 2>/dev/null && [ "$(ps -o stat= -p "$victim" | cut -c1)" != Z ]; then
    fail "the cut-off agent $victim is still running"
  fi
fi
ip link set "${NS_VETH[2]}" up
echo "ok: cut link detected, run finished on the other hosts"
