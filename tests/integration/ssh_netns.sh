#!/usr/bin/env bash
# timeout: 120
# Three "hosts": network namespaces with veth links, each its own 10.x address and its own
# sshd. `hosts check` sees all three; then one agent per host runs while we cut one host's
# link (detected by keepalives and closed with a reason) and kill -9 another host's agent
# (closed with the signal); the third stays up until we stop it.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/sshd-fixture.sh"

K=$TEST_DIR/k
sshd_keys "$K"
netns_make 3
: >"$TEST_DIR/hosts"
for i in 1 2 3; do
  sshd_start "ns$i" "$K" "${NS_ADDR[$i]}" "${NS_NAME[$i]}"
  echo "root@${NS_ADDR[$i]} agents=1" >>"$TEST_DIR/hosts"
done

hosts_check "$TEST_DIR/hosts" --known-hosts "$K/known_hosts" -i "$K/id_ed25519" --json >"$TEST_DIR/check.json" \
  || { cat "$TEST_DIR/check.json"; fail "hosts check across three namespaces failed"; }
assert_json "$TEST_DIR/check.json" '.ok and (.hosts | length) == 3 and all(.hosts[]; .ok and .auth)'
for i in 1 2 3; do
  assert_json "$TEST_DIR/check.json" ".hosts[$((i - 1))].host == \"${NS_ADDR[$i]}\""
done
echo "ok: hosts check sees all three"

"$SSH_DRIVER" hold "$TEST_DIR/hosts" "$K/id_ed25519" "$K/known_hosts" 60 >"$TEST_DIR/hold.out" 2>&1 &
driver=$!
_pids+=("$driver")
for _ in $(seq 1 200); do
  [ "$(cat "$K/agents.log" 2>/dev/null | wc -l)" -ge 3 ] && break
  kill -0 "$driver" 2>/dev/null || { cat "$TEST_DIR/hold.out"; fail "driver exited early"; }
  sleep 0.1
done
[ "$(wc -l <"$K/agents.log")" -ge 3 ] || fail "agents did not start: $(cat "$TEST_DIR/hold.out")"
agent_pid() { awk -v a="${NS_ADDR[$1]}" '$4 == a {print $1}' "$K/agents.log" | tail -1; }

wait_line() { # PATTERN: waits (bounded) until hold.out has a line matching it
  for _ in $(seq 1 300); do
    grep -q "$1" "$TEST_DIR/hold.out" && return 0
    sleep 0.1
  done
  cat "$TEST_DIR/hold.out"; fail "no line matching '$1'"
}

# Cut host 2's link: no packet gets through in either direction.
ip link set "${NS_VETH[2]}" down
wait_line "closed ${NS_ADDR[2]} .*SSH connection to root@${NS_ADDR[2]}:22 lost"
grep "closed ${NS_ADDR[2]}" "$TEST_DIR/hold.out"

# kill -9 host 3's agent.
kill -9 "$(agent_pid 3)"
wait_line "closed ${NS_ADDR[3]} .*killed by signal KILL"
grep "closed ${NS_ADDR[3]}" "$TEST_DIR/hold.out"
grep -q "closed ${NS_ADDR[1]}" "$TEST_DIR/hold.out" && fail "host 1 closed although nothing happened to it"

# Host 1 ends normally (its agent exits 0).
kill -TERM "$(agent_pid 1)"
wait_line "closed ${NS_ADDR[1]} "
wait "$driver" || fail "driver failed: $(cat "$TEST_DIR/hold.out")"
echo "ok: link cut and agent kill detected; the healthy host was untouched"
# Host 2 was cut off, so its run directory could not be removed: do it for the test.
ip link set "${NS_VETH[2]}" up
