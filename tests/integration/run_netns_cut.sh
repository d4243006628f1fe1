#!/usr/bin/env bash
# timeout: 150
# Only the SSH path to a host is cut while the host still reaches the target (issue 16.1/16.2).
# Two namespaces; each has its sshd on a second address (its own veth pair), so setting that
# pair down cuts SSH and nothing else. sshd's ClientAlive is off (OpenSSH's default), so only
# Barrage's own heartbeats can notice. The second namespace holds its own copy of the target on
# the same address and port as ours (10.X.1.1 on its loopback), so that target counts exactly
# what the cut-off agent sends. Checks: its load stops within agents.link_timeout of the cut;
# the run goes on to the end on the other host (max_lost 1); the loss is an event with the
# intervals it left missing and an upper bound of the requests that could not be counted, which
# covers what the targets served beyond what was counted; summary.json lists those intervals in
# gaps and in uncounted; the report marks them. Then, the SSH path back, `barrage collect`
# fetches the spool the cut-off agent kept on its host (nothing else is left there): the run's
# counts then equal what the targets served, with no gap and nothing uncounted, and the host is
# clean.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/sshd-fixture.sh"

K=$TEST_DIR/k
sshd_keys "$K"
netns_make 2
cd "$TEST_DIR"
: >hosts
for i in 1 2; do
  netns_ssh_path "$i"
  SSHD_CLIENT_ALIVE=0 sshd_start "ns$i" "$K" "${NS_SSH_ADDR[$i]}" "${NS_NAME[$i]}"
  echo "root@${NS_SSH_ADDR[$i]}" >>hosts
done
taddr=${NS_GW[1]}
"$TARGET" target --listen "$taddr:0" --port-file t1.ports >t1.log 2>&1 &
_pids+=("$!")
for _ in $(seq 1 200); do [ -s t1.ports ] && break; sleep 0.05; done
tport=$(awk '$1=="http"{print $2}' t1.ports)
[ -n "$tport" ] || fail "target did not start: $(cat t1.log)"
ip -n "${NS_NAME[2]}" addr add "$taddr/32" dev lo
ip netns exec "${NS_NAME[2]}" "$TARGET" target --listen "$taddr:$tport" --port-file t2.ports >t2.log 2>&1 &
_pids+=("$!")
for _ in $(seq 1 200); do [ -s t2.ports ] && break; sleep 0.05; done
[ -s t2.ports ] || fail "target in ${NS_NAME[2]} did not start: $(cat t2.log)"
t2() { ip netns exec "${NS_NAME[2]}" curl -s "http://$taddr:$tport/__stats" | jq -r '.requests'; }
t1() { curl -s "http://$taddr:$tport/__stats" | jq -r '.requests'; }

loop_scenario it-cut 4 16s grace=1s target="http://$taddr:$tport" \
  agents="max_lost: 1, link_timeout: 3s" >cut.yaml
"$BARRAGE" run cut.yaml --out run --hosts hosts --identity "$K/id_ed25519" \
  --known-hosts "$K/known_hosts" --push-agent >run.out 2>run.err &
pid=$!
_pids+=("$pid")
intervals() { grep -c '"type":"interval"' run/stats.log 2>/dev/null || true; }
for _ in $(seq 1 400); do
  [ "$(intervals)" -ge 2 ] 2>/dev/null && break
  sleep 0.05
done
[ "$(intervals)" -ge 2 ] 2>/dev/null || { cat run.err >&2; fail "no intervals"; }
before=$(t2)
[ "$before" -gt 0 ] || fail "the second host sent nothing before the cut"
ip link set "${NS_SSH_VETH[2]}" down
# link_timeout (3 s) plus the second between two heartbeats and a margin: by then the cut-off
# agent has stopped, and its target must not count anything more.
sleep 5.5
a=$(t2)
sleep 2
b=$(t2)
assert_eq "$b" "$a" "requests from the cut-off host 5.5 s and 7.5 s after the cut"
set +e; wait "$pid"; rc=$?; set -e
cat run.err >&2
assert_eq "$rc" 0 "exit code with one host cut off and max_lost 1"
tail -1 run/stats.log | jq -e '.reason == "completed"' >/dev/null || fail "the run did not complete"
ev=$(jq -c "select(.type == \"event\" and .what == \"agent_lost\")" run/stats.log)
[ "$(echo "$ev" | grep -c .)" = 1 ] || fail "expected one agent_lost event: $ev"
echo "$ev" | jq -e ".agent | contains(\"${NS_SSH_ADDR[2]}\")" >/dev/null || fail "the wrong agent was lost: $ev"
echo "$ev" | jq -e '(.missing | length) >= 1 and .uncounted_max > 0' >/dev/null || fail "no missing intervals or bound: $ev"
# What the targets served beyond what was counted is covered by the bound.
served=$(( $(t1) + $(t2) ))
counted=$(jq -r '.http_status["200"]' run/summary.json)
bound=$(jq -r '.uncounted.requests_max' run/summary.json)
echo "served $served counted $counted bound $bound"
[ "$counted" -le "$served" ] || fail "counted $counted > served $served"
[ $((served - counted)) -le "$bound" ] || fail "uncounted $((served - counted)) exceeds the bound $bound"
assert_json run/summary.json '(.uncounted.intervals | length) >= 1 and (.uncounted.intervals - .gaps) == []'
first=$(echo "$ev" | jq '.missing[0]')
assert_json run/summary.json "(.gaps | index($first)) != null"
assert_json run/summary.json '[.notices[] | select(test("could not be counted"))] | length >= 1'
grep -q 'data-cell="uncounted"' run/report.html || fail "the report does not mark the uncounted intervals"
grep -q "244, *199, *195" run/report.html || fail "the charts do not shade the interval of the loss"
echo "ok: cut detected, load stopped, loss accounted for"

# The cut-off host kept only its agent's spool (no agent binary, no data).
left=$(find "$K/tmp" -mindepth 1 | sort)
echo "$left" | grep -Eq '^.*/barrage\.[^/]+/spool\.[0-9]+$' || fail "no spool left on the cut-off host: $left"
[ "$(echo "$left" | grep -c .)" = 2 ] || fail "more than the spool left on the host: $left"
ip link set "${NS_SSH_VETH[2]}" up
# hosts check names a directory kept for a spool (once it is old enough to be stale), and hosts
# clean leaves it for collect.
touch -d '-10 min' "$K"/tmp/barrage.*
ssh_opts=(--identity "$K/id_ed25519" --known-hosts "$K/known_hosts")
hosts_check hosts "${ssh_opts[@]}" --json >check.json || true
assert_json check.json '.hosts[1].spool_dirs == 1 and .hosts[1].stale_dirs == [] and (.hosts[1].warning | test("barrage collect"))'
"$BARRAGE" hosts clean hosts "${ssh_opts[@]}" >clean.txt || fail "hosts clean: $(cat clean.txt)"
grep -q "1 kept" clean.txt || fail "hosts clean does not say it kept the spool: $(cat clean.txt)"
[ -n "$(find "$K/tmp" -name 'spool.*')" ] || fail "hosts clean removed the spool"
"$BARRAGE" collect run --identity "$K/id_ed25519" --known-hosts "$K/known_hosts" >collect.out 2>collect.err \
  || { cat collect.out collect.err; fail "barrage collect failed"; }
cat collect.out
grep -q "complete" collect.out || fail "collect did not find a complete spool"
jq -s -e 'map(select(.type == "event" and .what == "spool_collected")) | length == 1' run/stats.log >/dev/null \
  || fail "no spool_collected event"
served=$(( $(t1) + $(t2) ))
assert_json run/summary.json ".http_status[\"200\"] == $served and .uncounted.requests_max == 0 and .gaps == []"
[ -z "$(find "$K/tmp" -mindepth 1)" ] || fail "collect left $(find "$K/tmp" -mindepth 1)"
# Once more: nothing left to do.
"$BARRAGE" collect run --identity "$K/id_ed25519" --known-hosts "$K/known_hosts" -q || fail "second collect failed"
assert_json run/summary.json ".http_status[\"200\"] == $served"
echo ok
