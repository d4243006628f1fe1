#!/usr/bin/env bash
# timeout: 240
# Target monitoring over SSH against real sshd servers (tests/sshd-fixture.sh):
#  1. a host on loopback watched with the fleet's strict known_hosts and key: a CPU burner on
#     the "target" (bounded: timeout 3) shows in its figures; `--monitor FILE` adds a second
#     host (in a network namespace when the machine allows it);
#  2. a host whose key does not match known_hosts: the run refuses to start (exit 3, the
#     message names the host key); with --monitor-optional it starts without that host, which
#     is marked down from t = 0;
#  3. a host that dies mid-run (its sshd session killed): marked down with the time and the
#     reason, an event is written, the run completes (exit 0) and reports the gap.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/sshd-fixture.sh"

K=$TEST_DIR/k
sshd_keys "$K"
sshd_start s1 "$K" 127.0.0.1
sshd_start s2 "$K" 127.0.0.1
start_server tgt target
cd "$TEST_DIR"
cp "$(command -v dash || command -v sh)" burnmon
H1="root@127.0.0.1:$s1_PORT"
H2="root@127.0.0.1:$s2_PORT"
ssh_args=(--known-hosts "$K/known_hosts" --identity "$K/id_ed25519")

scenario() { # NAME DURATION HOST...
  local name=$1 dur=$2; shift 2
  local hosts="" h
  for h in "$@"; do hosts+="\"$h\", "; done
  {
    loop_scenario "$name" 2 "$dur" think=50ms agents="local: 1"
    cat <<YAML
monitor:
  hosts: [ ${hosts%, } ]
  processes: [ burnmon ]
  interval: 500ms
YAML
  } >"$name.yaml"
}
monitor_records() { n=$(grep -c '"type":"monitor"' "$1/stats.log" 2>/dev/null || true); echo "${n:-0}"; }

# 1. Loopback host, burner on it; the second host from --monitor FILE (a namespace if we can
# make one, else the second loopback sshd).
second=$H2
if (ip netns add "brgprobe$$" && ip netns del "brgprobe$$") 2>/dev/null; then
  netns_make 1
  sshd_start n1 "$K" "${NS_ADDR[1]}" "${NS_NAME[1]}"
  second="root@${NS_ADDR[1]}:22"
fi
echo "$second" >mon-hosts
scenario burn 7s "$H1"
run_bg burn.yaml run -q "${ssh_args[@]}" --monitor mon-hosts
rpid=$RUN_PID
wait_records run monitor 6 || true
[ "$(monitor_records run)" -ge 1 ] || { cat run.err >&2; fail "no monitor record over SSH"; }
timeout 3 ./burnmon -c 'while :; do :; done' &
_pids+=("$!")
rc=0; wait "$rpid" || rc=$?
cat run.err >&2
assert_eq "$rc" 0 "run monitored over SSH"
assert_json run/summary.json ".monitor[\"$H1\"].processes.burnmon.cpu_pct.max > 10" "the burner's CPU over SSH"
assert_json run/summary.json ".monitor[\"$H1\"].cpu_pct.max > 0 and .monitor[\"$H1\"].samples >= 8"
assert_json run/summary.json ".monitor[\"$H1\"].down == [] and (.monitor[\"$H1\"].mem_available.mean > 0)"
assert_json run/summary.json ".monitor[\"$second\"].samples >= 8 and .monitor[\"$second\"].down == []" "the --monitor FILE host"
jq -s -e "[.[] | select(.type == \"monitor\" and .host == \"$H1\") | .procs.burnmon.count] | (.[0] == 0 and max >= 1)" run/stats.log >/dev/null \
  || fail "burner not absent first and present later"
grep -q "os_mon@root=40127.0.0.1=3A$s1_PORT" run/tsung.log || fail "tsung.log: no os_mon line for $H1"
echo "ok: SSH monitoring of $H1 and $second"

# 2. Host key mismatch: refused, clearly; optional: left out and marked.
sed "s|^\[127.0.0.1\]:$s2_PORT .*|[127.0.0.1]:$s2_PORT $(cut -d' ' -f1,2 "$K/s1/host_ed25519.pub")|" "$K/known_hosts" >bad_known_hosts
grep -q "^\[127.0.0.1\]:$s2_PORT " bad_known_hosts || fail "test setup: no known_hosts line for s2"
scenario keys 2s "$H1" "$H2"
rc=0; "$BARRAGE" run keys.yaml --out keys -q --known-hosts bad_known_hosts --identity "$K/id_ed25519" >keys.out 2>keys.err || rc=$?
cat keys.err >&2
assert_eq "$rc" 3 "a host key mismatch stops the run before load"
grep -q "monitor: 1 of 2 hosts did not answer" keys.err || fail "no count of failed monitor hosts"
grep -qi "$H2: host key mismatch" keys.err || fail "the message does not name the host key problem"
before=$(curl -s "http://127.0.0.1:$tgt_PORT/__stats" | jq '.requests')
rc=0; "$BARRAGE" run keys.yaml --out keys2 -q --known-hosts bad_known_hosts --identity "$K/id_ed25519" --monitor-optional >keys2.out 2>keys2.err || rc=$?
cat keys2.err >&2
assert_eq "$rc" 0 "--monitor-optional runs without the refused host"
grep -q "warning: monitor: 1 of 2 hosts left out" keys2.err || fail "no warning about the left-out host"
assert_json keys2/summary.json ".monitor[\"$H2\"].down[0].t == 0 and (.monitor[\"$H2\"].down[0].why | test(\"host key\"; \"i\"))"
assert_json keys2/summary.json ".monitor[\"$H1\"].samples >= 2"
after=$(curl -s "http://127.0.0.1:$tgt_PORT/__stats" | jq '.requests')
[ "$after" -gt "$before" ] || fail "the optional run sent no load"
echo "ok: host key mismatch refused; optional run goes on without the host"

# 3. A host that dies mid-run: its sshd session is killed.
scenario dies 6s "$H1" "$H2"
run_bg dies.yaml dies -q "${ssh_args[@]}"
rpid=$RUN_PID
wait_records dies monitor 4 || true
[ "$(monitor_records dies)" -ge 4 ] || { cat dies.err >&2; fail "monitoring did not start"; }
# s2's listener forks one process per connection: the monitor's session is its child.
pkill -9 -P "$s2_PID" || fail "no session on s2 to kill"
rc=0; wait "$rpid" || rc=$?
cat dies.err >&2
assert_eq "$rc" 0 "a monitored host dying does not fail the run"
assert_json dies/summary.json ".monitor[\"$H2\"].down | length == 1 and .[0].t > 0"
assert_json dies/summary.json ".monitor[\"$H1\"].down == [] and .monitor[\"$H1\"].samples > .monitor[\"$H2\"].samples"
jq -s -e "[.[] | select(.type == \"event\" and .what == \"monitor_lost\" and (.detail | contains(\"$H2\")))] | length == 1" dies/stats.log >/dev/null \
  || fail "no monitor_lost event"
# No sample of the dead host after it was marked down.
jq -s -e "([.[] | select(.type == \"monitor\" and .host == \"$H2\" and .down == true) | .t][0]) as \$d | [.[] | select(.type == \"monitor\" and .host == \"$H2\" and .figures and .t > \$d)] | length == 0" dies/stats.log >/dev/null \
  || fail "samples after the host was down"
grep -q "data-monitor-down" dies/report.html || fail "report does not mark the host down"
tail -1 dies/stats.log | jq -e '.type == "end" and .reason == "completed"' >/dev/null || fail "run did not complete"
echo "ok: a host that dies mid-run is marked, the run completes"

# 4. A host cut off the network (no FIN, no RST: its link goes down): silent, so its SSH
# keepalives go unanswered and it is marked down after the dead time; the run completes.
if [ "$second" != "$H2" ]; then
  scenario cut 12s "$H1" "$second"
  run_bg cut.yaml cut -q "${ssh_args[@]}"
  rpid=$RUN_PID
  wait_records cut monitor 4 || true
  ip link set "${NS_VETH[1]}" down
  rc=0; wait "$rpid" || rc=$?
  ip link set "${NS_VETH[1]}" up
  cat cut.err >&2
  assert_eq "$rc" 0 "a host cut off the network does not fail the run"
  assert_json cut/summary.json ".monitor[\"$second\"].down | length == 1 and (.[0].why | test(\"no answer\"))"
  assert_json cut/summary.json ".monitor[\"$H1\"].down == [] and .monitor[\"$H1\"].samples >= 16"
  echo "ok: a host cut off the network is marked down, the run completes"
else
  echo "note: no network namespace: the network-cut case was not run"
fi
