# A real OpenSSH server for the SSH tests (source it after tests/lib.sh).
#
# sshd_keys DIR          generates into DIR a user key (DIR/id_ed25519), its authorized_keys,
#                        and a stub barrage-agent in DIR/bin (prints BARRAGE_VERSION for
#                        --version; otherwise appends "PID SSH_CONNECTION" to DIR/agents.log
#                        and execs $SSH_STUB_AGENT_EXEC if set, else `cat`).
# sshd_start NAME DIR ADDR [NETNS]
#                        starts Debian's /usr/sbin/sshd (-D -e, config in DIR/NAME) on ADDR
#                        with its own ed25519 host key, on a free port (port 22 inside a
#                        namespace), sets NAME_PORT and NAME_PID, appends the host key to
#                        DIR/known_hosts, and kills it on exit. Sessions get DIR/bin first on
#                        PATH (sshd_config SetEnv), so the stub agent is found remotely, and
#                        TMPDIR=DIR/tmp, so the per-run remote directories land there.
#                        SSHD_MAX_SESSIONS and SSHD_MAX_STARTUPS set sshd's MaxSessions and
#                        MaxStartups (default 64 and 100 here).
# netns_make N           builds N network namespaces, each with a veth pair: 10.X.i.1 on our
#                        side, 10.X.i.2 inside (X picked per test run); sets NS_NAME[i],
#                        NS_ADDR[i], NS_VETH[i] (our end, to cut the link), NS_GW[i] (our
#                        address on it) for i in 1..N.
#                        Everything is removed on exit. Skips the test (77) with a clear
#                        message when namespaces are refused.
#
# Only root can run sshd on its own host key and switch to another user, so these helpers
# skip the test when not root. Traffic stays on 127.0.0.1 and inside the namespaces created
# here.

SSHD=${SSHD:-/usr/sbin/sshd}
_fixture_cleanup_cmds=()
_fixture_cleanup() {
  local i
  for ((i = ${#_fixture_cleanup_cmds[@]} - 1; i >= 0; i--)); do
    eval "${_fixture_cleanup_cmds[$i]}" >/dev/null 2>&1 || true
  done
  cleanup
}
trap _fixture_cleanup EXIT

sshd_require() {
  [ -x "$SSHD" ] || skip "SKIP: $SSHD not installed (apt-get install openssh-server)"
  [ "$(id -u)" = 0 ] || skip "SKIP: the sshd fixture needs root (sshd must read its host key and log users in)"
  mkdir -p /run/sshd 2>/dev/null || true
}

sshd_version_of_tree() {
  sed -n 's/^#define BARRAGE_VERSION "\(.*\)"/\1/p' "$TESTS_SRC/../common/version.h"
}

sshd_keys() {
  local dir=$1
  sshd_require
  mkdir -p "$dir/bin" "$dir/tmp"
  chmod 755 "$dir" "$dir/bin"
  ssh-keygen -q -t ed25519 -N '' -C barrage-test-user -f "$dir/id_ed25519"
  cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
  chmod 644 "$dir/authorized_keys"
  : >"$dir/known_hosts"
  local v; v=$(sshd_version_of_tree)
  cat >"$dir/bin/barrage-agent" <<EOF
#!/bin/sh
# Stub agent for the SSH tests: the real one (branch agent) replaces it when present.
if [ "\${1:-}" = --version ]; then echo "$v"; exit 0; fi
echo "\$\$ \${SSH_CONNECTION:-}" >>"$dir/agents.log"
if [ -n "\${SSH_STUB_AGENT_EXEC:-}" ]; then exec \$SSH_STUB_AGENT_EXEC; fi
exec cat
EOF
  chmod 755 "$dir/bin/barrage-agent"
}

# _free_port ADDR: a TCP port nobody listens on at ADDR (in the current namespace).
_free_port() {
  local p
  for _ in $(seq 1 50); do
    # Below the ephemeral range (32768 and up): a port there may be the local end of some
    # outgoing connection, which a connect test does not see but bind() refuses.
    p=$((20000 + RANDOM % 12000))
    if ! (exec 3<>"/dev/tcp/$1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  fail "no free port found"
}

sshd_start() {
  local name=$1 dir=$2 addr=$3 ns=${4:-} port
  local cfg=$dir/$name
  sshd_require
  mkdir -p "$cfg"
  ssh-keygen -q -t ed25519 -N '' -C "$name-host" -f "$cfg/host_ed25519"
  if [ -n "$ns" ]; then port=22; else port=$(_free_port "$addr"); fi
  cat >"$cfg/sshd_config" <<EOF
Port $port
ListenAddress $addr
HostKey $cfg/host_ed25519
PidFile $cfg/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
UseDNS no
Subsystem sftp internal-sftp
# SHLVL=1 keeps bash from sourcing ~/.bashrc for ssh commands (slow on dev machines).
SetEnv PATH=$dir/bin:/usr/local/bin:/usr/bin:/bin SHLVL=1 TMPDIR=$dir/tmp
LogLevel ERROR
MaxSessions ${SSHD_MAX_SESSIONS:-64}
# A client that vanishes is dropped after ~3 s, so its agents see stdin EOF.
ClientAliveInterval 1
ClientAliveCountMax 3
MaxStartups ${SSHD_MAX_STARTUPS:-100}
EOF
  local run=()
  [ -n "$ns" ] && run=(ip netns exec "$ns")
  "${run[@]}" "$SSHD" -D -e -f "$cfg/sshd_config" >"$cfg/sshd.log" 2>&1 &
  local pid=$!
  _pids+=("$pid")
  _fixture_cleanup_cmds+=("kill -9 $pid")
  local up=
  for _ in $(seq 1 100); do
    if "${run[@]}" bash -c "exec 3<>/dev/tcp/$addr/$port" 2>/dev/null; then up=1; break; fi
    kill -0 "$pid" 2>/dev/null || { cat "$cfg/sshd.log" >&2; fail "sshd $name did not start"; }
    sleep 0.05
  done
  [ -n "$up" ] || { cat "$cfg/sshd.log" >&2; fail "sshd $name is not listening on $addr:$port"; }
  local kname=$addr
  [ "$port" != 22 ] && kname="[$addr]:$port"
  echo "$kname $(cut -d' ' -f1,2 "$cfg/host_ed25519.pub")" >>"$dir/known_hosts"
  printf -v "${name}_PORT" '%s' "$port"
  printf -v "${name}_PID" '%s' "$pid"
}

netns_make() {
  local n=$1 i tag ns veth
  [ "$(id -u)" = 0 ] || skip "SKIP: network namespaces need root"
  command -v ip >/dev/null || skip "SKIP: iproute2 (ip) not installed"
  tag=$(( ($$ % 200) + 20 ))
  NS_NAME=() NS_ADDR=() NS_VETH=() NS_GW=()
  for ((i = 1; i <= n; i++)); do
    ns="brg$$-$i"
    veth="brg$$h$i"
    if ! ip netns add "$ns" 2>"$TEST_DIR/netns.err"; then
      skip "SKIP: 'ip netns add' was refused ($(cat "$TEST_DIR/netns.err")); the multi-host SSH test needs network namespaces (root, CAP_SYS_ADMIN)"
    fi
    _fixture_cleanup_cmds+=("ip netns del $ns")
    ip link add "$veth" type veth peer name "brg$$n$i" || fail "ip link add veth failed"
    _fixture_cleanup_cmds+=("ip link del $veth")
    ip link set "brg$$n$i" netns "$ns"
    ip addr add "10.$tag.$i.1/30" dev "$veth"
    ip link set "$veth" up
    ip -n "$ns" addr add "10.$tag.$i.2/30" dev "brg$$n$i"
    ip -n "$ns" link set "brg$$n$i" up
    ip -n "$ns" link set lo up
    # Back to us for everything else: the namespace reaches our end of every veth (a target
    # bound to 10.X.1.1 serves all namespaces) and nothing beyond, as we do not forward.
    ip -n "$ns" route add default via "10.$tag.$i.1"
    NS_NAME[$i]=$ns
    NS_ADDR[$i]=10.$tag.$i.2
    NS_VETH[$i]=$veth
    NS_GW[$i]=10.$tag.$i.1
  done
}

# The program that runs `hosts check` and the link tests: `barrage` once its main dispatches
# `hosts check`, else the test driver built with the unit tests (tests/unit/test_ssh.c).
ssh_driver() {
  local d
  for d in "$BARRAGE_BIN/../tests" "$TESTS_SRC/../build/asan/tests" "$TESTS_SRC/../build/release/tests"; do
    [ -x "$d/test_ssh" ] && { echo "$d/test_ssh"; return; }
  done
  skip "SKIP: tests/unit/test_ssh is not built (make VARIANT=asan unit)"
}
SSH_DRIVER=$(ssh_driver)
hosts_check() {
  if [ -x "$BARRAGE" ] && "$BARRAGE" hosts check --help >/dev/null 2>&1; then
    "$BARRAGE" hosts check "$@"
  else
    "$SSH_DRIVER" hosts check "$@"
  fi
}

