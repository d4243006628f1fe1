#!/usr/bin/env bash
# timeout: 120
# `barrage hosts check` against a real sshd on 127.0.0.1: a good host; a changed host key
# (refused, naming host and both fingerprints, as a possible attack); an unknown key (refused,
# then recorded with --accept-new-host-keys); a wrong user key; a closed port; a hosts file
# error; keys from ssh-agent and encrypted key files. Then, inside a network namespace of its own: no route, a black hole (connect timeout)
# and a DNS failure.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/sshd-fixture.sh"

K=$TEST_DIR/k
sshd_keys "$K"
sshd_start s1 "$K" 127.0.0.1
VERSION=$(sshd_version_of_tree)
H=$TEST_DIR/hosts
echo "root@127.0.0.1:$s1_PORT agents=2" >"$H"
FP=$(ssh-keygen -lf "$K/s1/host_ed25519.pub" | awk '{print $2}')
check() { hosts_check "$@" -i "$K/id_ed25519" --connect-timeout 5s; }

# 1. A good host: every fact gathered, exit 0.
check "$H" --known-hosts "$K/known_hosts" --json >"$TEST_DIR/ok.json" || fail "hosts check failed: $(cat "$TEST_DIR/ok.json")"
assert_json "$TEST_DIR/ok.json" '.version == 1 and .ok == true and (.hosts | length) == 1'
assert_json "$TEST_DIR/ok.json" ".hosts[0].reachable and .hosts[0].auth and .hosts[0].agent_version == \"$VERSION\""
assert_json "$TEST_DIR/ok.json" '.hosts[0].cpus >= 1 and .hosts[0].nofile > 0 and (.hosts[0].clock_offset_ms | type) == "number"'
assert_json "$TEST_DIR/ok.json" '.hosts[0].problem == null and .hosts[0].system != null'
# Same clock on both ends: the estimate's error is bounded by half the probe's round trip.
assert_json "$TEST_DIR/ok.json" '(.hosts[0].clock_offset_ms | fabs) <= .hosts[0].rtt_ms / 2 + 0.5'
check "$H" --known-hosts "$K/known_hosts" >"$TEST_DIR/ok.txt" || fail "table form failed"
grep -q "root@127.0.0.1:$s1_PORT .* ok .* $VERSION" "$TEST_DIR/ok.txt" || fail "table: $(cat "$TEST_DIR/ok.txt")"
# A hashed known_hosts (HashKnownHosts yes, Ubuntu's default) works the same.
cp "$K/known_hosts" "$TEST_DIR/kh_hashed"
ssh-keygen -q -H -f "$TEST_DIR/kh_hashed" 2>/dev/null
grep -q '^|1|' "$TEST_DIR/kh_hashed" || fail "ssh-keygen -H did not hash"
check "$H" --known-hosts "$TEST_DIR/kh_hashed" >/dev/null || fail "hashed known_hosts not understood"
echo "ok: good host"

# 2. The host key changed: refused, naming the host, both fingerprints, and the risk.
ssh-keygen -q -t ed25519 -N '' -f "$TEST_DIR/other_host"
OTHER_FP=$(ssh-keygen -lf "$TEST_DIR/other_host.pub" | awk '{print $2}')
echo "[127.0.0.1]:$s1_PORT $(cut -d' ' -f1,2 "$TEST_DIR/other_host.pub")" >"$TEST_DIR/kh_wrong"
rc=0; check "$H" --known-hosts "$TEST_DIR/kh_wrong" >"$TEST_DIR/wrong.txt" 2>&1 || rc=$?
assert_eq "$rc" 3 "a host key mismatch must exit 3"
grep -q "HOST KEY MISMATCH for \[127.0.0.1\]:$s1_PORT" "$TEST_DIR/wrong.txt" || fail "no mismatch message: $(cat "$TEST_DIR/wrong.txt")"
grep -qF "$FP" "$TEST_DIR/wrong.txt" || fail "offered fingerprint $FP not shown"
grep -qF "$OTHER_FP" "$TEST_DIR/wrong.txt" || fail "recorded fingerprint $OTHER_FP not shown"
grep -q "attack" "$TEST_DIR/wrong.txt" || fail "the message must say it may be an attack"
# --accept-new-host-keys never overrides a mismatch.
rc=0; check "$H" --known-hosts "$TEST_DIR/kh_wrong" --accept-new-host-keys >/dev/null 2>&1 || rc=$?
assert_eq "$rc" 3 "--accept-new-host-keys must not accept a changed key"
echo "ok: changed host key refused"

# 3. An unknown host: refused without the flag, recorded with it, then known.
: >"$TEST_DIR/kh_new"
rc=0; check "$H" --known-hosts "$TEST_DIR/kh_new" --json >"$TEST_DIR/new.json" 2>&1 || rc=$?
assert_eq "$rc" 3 "an unknown host key must exit 3"
assert_json "$TEST_DIR/new.json" '.hosts[0].problem | test("unknown host key")'
assert_json "$TEST_DIR/new.json" ".hosts[0].problem | contains(\"$FP\")"
[ ! -s "$TEST_DIR/kh_new" ] || fail "known_hosts written without --accept-new-host-keys"
check "$H" --known-hosts "$TEST_DIR/kh_new" --accept-new-host-keys >"$TEST_DIR/accept.txt" 2>&1 || fail "accept failed: $(cat "$TEST_DIR/accept.txt")"
grep -q "^\[127.0.0.1\]:$s1_PORT ssh-ed25519 " "$TEST_DIR/kh_new" || fail "key not recorded: $(cat "$TEST_DIR/kh_new")"
[ "$(ssh-keygen -lf "$TEST_DIR/kh_new" | awk '{print $2}')" = "$FP" ] || fail "recorded the wrong key"
check "$H" --known-hosts "$TEST_DIR/kh_new" >/dev/null || fail "recorded key not accepted afterwards"
# A key recorded for the same address on port 22 says nothing about this port (OpenSSH's
# "[host]:port" rule): unknown, not a mismatch.
echo "127.0.0.1 $(cut -d' ' -f1,2 "$TEST_DIR/other_host.pub")" >"$TEST_DIR/kh_port22"
rc=0; check "$H" --known-hosts "$TEST_DIR/kh_port22" --json >"$TEST_DIR/p22.json" 2>&1 || rc=$?
assert_eq "$rc" 3 "a port-22 entry only: exit 3"
assert_json "$TEST_DIR/p22.json" '.hosts[0].problem | test("unknown host key")'
check "$H" --known-hosts "$TEST_DIR/kh_port22" --accept-new-host-keys >/dev/null 2>&1 || fail "a port-22 entry blocked recording this port's key"
echo "ok: unknown key refused, then recorded"

# 4. A user key the host does not know: an authentication error naming user and key.
ssh-keygen -q -t ed25519 -N '' -f "$TEST_DIR/stranger"
rc=0; hosts_check "$H" --known-hosts "$K/known_hosts" -i "$TEST_DIR/stranger" >"$TEST_DIR/auth.txt" 2>&1 || rc=$?
assert_eq "$rc" 3 "auth failure must exit 3"
grep -q "authentication failed for user 'root'.*stranger" "$TEST_DIR/auth.txt" || fail "auth message: $(cat "$TEST_DIR/auth.txt")"
echo "ok: wrong user key"

# 5. A closed port next to the good host: both reported, exit 3.
CLOSED=$(_free_port 127.0.0.1)
printf 'root@127.0.0.1:%s\nroot@127.0.0.1:%s\n' "$s1_PORT" "$CLOSED" >"$TEST_DIR/two"
rc=0; check "$TEST_DIR/two" --known-hosts "$K/known_hosts" --json >"$TEST_DIR/two.json" || rc=$?
assert_eq "$rc" 3 "a refused host must exit 3"
assert_json "$TEST_DIR/two.json" '.hosts[0].ok == true and .hosts[1].ok == false and .hosts[1].reachable == false'
assert_json "$TEST_DIR/two.json" '.hosts[1].problem | test("connection refused")'
echo "ok: closed port"

# 6. A hosts file mistake: exit 2, file:line:col.
printf 'root@127.0.0.1:%s\nroot@127.0.0.1:99999\n' "$s1_PORT" >"$TEST_DIR/bad"
rc=0; check "$TEST_DIR/bad" --known-hosts "$K/known_hosts" 2>"$TEST_DIR/bad.err" || rc=$?
assert_eq "$rc" 2 "a bad hosts file must exit 2"
grep -q "$TEST_DIR/bad:2:16: bad port '99999'" "$TEST_DIR/bad.err" || fail "hosts file error: $(cat "$TEST_DIR/bad.err")"
echo "ok: hosts file error"

# 7. Other ways to hold the key: ssh-agent (no -i, no default key files: HOME is empty), an
# encrypted key file with no terminal (refused with advice), and on a terminal (asked for).
eval "$(ssh-agent -s -a "$TEST_DIR/agent.sock")" >/dev/null
_fixture_cleanup_cmds+=("kill -9 $SSH_AGENT_PID")
ssh-add -q "$K/id_ed25519"
mkdir -p "$TEST_DIR/home"
HOME=$TEST_DIR/home hosts_check "$H" --known-hosts "$K/known_hosts" >"$TEST_DIR/agent.txt" 2>&1 \
  || fail "authentication through ssh-agent failed: $(cat "$TEST_DIR/agent.txt")"
ssh-keygen -q -t ed25519 -N 'open sesame' -f "$TEST_DIR/enc"
cat "$TEST_DIR/enc.pub" >>"$K/authorized_keys"
rc=0; SSH_AUTH_SOCK= setsid -w "$SSH_DRIVER" hosts check "$H" --known-hosts "$K/known_hosts" -i "$TEST_DIR/enc" </dev/null >"$TEST_DIR/enc.txt" 2>&1 || rc=$?
assert_eq "$rc" 2 "an encrypted key without a terminal"
grep -q "enc: the key is encrypted and there is no terminal.*ssh-add" "$TEST_DIR/enc.txt" || fail "encrypted key message: $(cat "$TEST_DIR/enc.txt")"
if command -v script >/dev/null; then
  printf 'open sesame\n' | SSH_AUTH_SOCK= script -qec "$SSH_DRIVER hosts check $H --known-hosts $K/known_hosts -i $TEST_DIR/enc" /dev/null >"$TEST_DIR/tty.txt" 2>&1 \
    || fail "passphrase on a terminal: $(cat "$TEST_DIR/tty.txt")"
  grep -q "Enter passphrase for key '$TEST_DIR/enc'" "$TEST_DIR/tty.txt" || fail "no passphrase prompt"
  grep -q " ok " "$TEST_DIR/tty.txt" || fail "encrypted key not used: $(cat "$TEST_DIR/tty.txt")"
fi
unset SSH_AUTH_SOCK
echo "ok: ssh-agent, encrypted key with and without a terminal"

# 8. Unreachable hosts, from inside a namespace of our own (only lo, plus a veth pair that
# swallows packets): no route, a black hole bounded by the connect timeout, a DNS failure.
ns="brg$$-x"
if ! ip netns add "$ns" 2>"$TEST_DIR/netns.err"; then
  echo "SKIP part 7: 'ip netns add' refused: $(cat "$TEST_DIR/netns.err")"
  exit 0
fi
_fixture_cleanup_cmds+=("ip netns del $ns")
ip -n "$ns" link set lo up
# A veth pair inside the namespace with a static neighbour: SYNs go out of hole0 and are
# dropped by its peer, which has no address; nothing ever answers.
ip -n "$ns" link add hole0 type veth peer name hole1
ip -n "$ns" link set hole0 up
ip -n "$ns" link set hole1 up
ip -n "$ns" route add 10.254.0.0/16 dev hole0
ip -n "$ns" neigh add 10.254.0.1 lladdr 02:00:00:00:00:01 dev hole0 nud permanent
printf 'root@10.253.0.1\nroot@10.254.0.1\nroot@no-such-host.invalid\n' >"$TEST_DIR/unreach"
start=$(date +%s)
rc=0; ip netns exec "$ns" "$SSH_DRIVER" hosts check "$TEST_DIR/unreach" --known-hosts "$K/known_hosts" \
  -i "$K/id_ed25519" --connect-timeout 1s --json >"$TEST_DIR/unreach.json" || rc=$?
secs=$(( $(date +%s) - start ))
assert_eq "$rc" 3 "unreachable hosts must exit 3"
cat "$TEST_DIR/unreach.json"
assert_json "$TEST_DIR/unreach.json" '.hosts[0].problem | test("unreachable|no route")'
assert_json "$TEST_DIR/unreach.json" '.hosts[1].problem | test("connect timed out after 1000 ms")'
assert_json "$TEST_DIR/unreach.json" '.hosts[2].problem | test("resolve|DNS")'
# Bounded by the connect timeout (1 s), not by TCP's own minutes; generous for a busy machine.
[ "$secs" -le 20 ] || fail "unreachable hosts took ${secs}s"
echo "ok: unreachable, black hole and DNS failure (${secs}s)"
