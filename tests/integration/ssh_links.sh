#!/usr/bin/env bash
# timeout: 90
# Agent links over a real sshd: ssh_fleet_open uploads a file by SFTP into a per-run remote
# directory, ssh_fleet_start_agent runs the (stub) agent there, and 1 MiB written to the link
# comes back intact through a remote `cat`; exit status, kill -9 and stderr lines are reported;
# kill closes the link; the remote directory is gone after ssh_fleet_close. Then --push-agent
# uploads the local agent and runs it, and refuses one of another version.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/sshd-fixture.sh"

K=$TEST_DIR/k
sshd_keys "$K"
sshd_start s1 "$K" 127.0.0.1
echo "root@127.0.0.1:$s1_PORT" >"$TEST_DIR/hosts"
"$SSH_DRIVER" links "$TEST_DIR/hosts" "$K/id_ed25519" "$K/known_hosts" >"$TEST_DIR/links.out" 2>&1 \
  || { cat "$TEST_DIR/links.out"; fail "link test failed"; }
cat "$TEST_DIR/links.out"
grep -q "echo 1048578 bytes ok" "$TEST_DIR/links.out" || fail "echo test did not report"
[ -z "$(ls -A "$K/tmp")" ] || fail "remote run directory left behind: $(ls "$K/tmp")"
echo "ok: links"

# --push-agent: the local agent is uploaded (SFTP, mode 755) and run instead of the one on PATH.
V=$(sshd_version_of_tree)
printf '#!/bin/sh\n[ "$1" = --version ] && { echo %s; exit 0; }\necho pushed\nexec cat\n' "$V" >"$TEST_DIR/agent.sh"
"$SSH_DRIVER" push "$TEST_DIR/hosts" "$K/id_ed25519" "$K/known_hosts" "$TEST_DIR/agent.sh" >"$TEST_DIR/push.out" 2>&1 \
  || { cat "$TEST_DIR/push.out"; fail "push test failed"; }
assert_eq "$(cat "$TEST_DIR/push.out")" "$(printf 'pushed\nhello')" "pushed agent output"
# A pushed agent of another version is refused, naming both versions.
printf '#!/bin/sh\necho 0.0.9\n' >"$TEST_DIR/old.sh"
rc=0; "$SSH_DRIVER" push "$TEST_DIR/hosts" "$K/id_ed25519" "$K/known_hosts" "$TEST_DIR/old.sh" >"$TEST_DIR/old.out" 2>&1 || rc=$?
assert_eq "$rc" 3 "a wrong agent version must fail the open"
grep -q "version '0.0.9' but this controller is $V" "$TEST_DIR/old.out" || fail "version message: $(cat "$TEST_DIR/old.out")"
[ -z "$(ls -A "$K/tmp")" ] || fail "remote run directory left behind after a refused agent"
echo "ok: push"

# 90 agents on one host whose sshd has OpenSSH's defaults, MaxSessions 10 and MaxStartups
# 10:30:100: the fleet opens 12 connections, logging them in one after another, and every
# agent echoes its own line.
SSHD_MAX_SESSIONS=10 SSHD_MAX_STARTUPS=10:30:100 sshd_start s2 "$K" 127.0.0.1
echo "root@127.0.0.1:$s2_PORT agents=90" >"$TEST_DIR/many"
"$SSH_DRIVER" many "$TEST_DIR/many" "$K/id_ed25519" "$K/known_hosts" >"$TEST_DIR/many.out" 2>&1 \
  || { cat "$TEST_DIR/many.out"; fail "90 agents on one host failed"; }
grep -q "90 agents ok" "$TEST_DIR/many.out" || fail "many: $(cat "$TEST_DIR/many.out")"
echo "ok: 90 agents on one host with sshd's default limits"
