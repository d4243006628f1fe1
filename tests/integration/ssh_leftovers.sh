#!/usr/bin/env bash
# timeout: 150
# Remote leftovers and preflight through a real sshd on 127.0.0.1 (issue 16.3, 16.4):
# 1. a 0600 data file arrives 0600 in the per-run directory;
# 2. kill -9 of the controller mid-run: the agents see their link close, stop, and the last one
#    removes the per-run directory (pushed agent, accounts CSV): nothing stays on the host;
# 3. `hosts check` lists a stale run directory (no agent holds its lock, old enough) but not one
#    a running agent holds; `hosts clean` removes the stale one only;
# 4. with no agent installed on the host, `hosts check` fails, `hosts check --push-agent` passes,
#    like `run --push-agent`; `--agent ~/...` is the remote home;
# 5. a host down at start counts against agents.max_lost (16.5) (and a data file named
#    barrage-agent is uploaded beside the pushed agent): with max_lost 1 the run goes on
#    the other host with the load split again (said so, and recorded); with max_lost 0, exit 3.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/sshd-fixture.sh"
command -v flock >/dev/null || skip "SKIP: flock(1) not installed (util-linux)"

K=$TEST_DIR/k
sshd_keys "$K"
rm -f "$K/bin/barrage-agent" # nothing installed: only --push-agent can work
sshd_start s1 "$K" 127.0.0.1
start_server tgt target
cd "$TEST_DIR"
echo "root@127.0.0.1:$s1_PORT agents=2" >hosts.txt
printf 'user,password\n' >accounts.csv
for i in $(seq 1 50); do echo "u$i,secret$i" >>accounts.csv; done
chmod 600 accounts.csv
cat >left.yaml <<YAML
name: it-left
target: http://127.0.0.1:$tgt_PORT
load:
  users: 2
  duration: 30s
data:
  accounts: { file: accounts.csv, order: sequential }
sessions:
  - name: s
    steps:
      - request: { url: "/?status=200&u={{ accounts.user }}" }
      - think: 20ms
report:
  interval: 1s
YAML
ssh_args=(--identity "$K/id_ed25519" --known-hosts "$K/known_hosts")
remote_dirs() { find "$K/tmp" -maxdepth 1 -name 'barrage.*' | sort; }

# 4a. Preflight: nothing installed. Plain check fails; --push-agent checks what run would do.
rc=0; hosts_check hosts.txt "${ssh_args[@]}" --json >nopush.json || rc=$?
assert_eq "$rc" 3 "hosts check without an installed agent"
assert_json nopush.json '.hosts[0].problem | test("not found")'
hosts_check hosts.txt "${ssh_args[@]}" --push-agent --json >push.json || fail "hosts check --push-agent: $(cat push.json)"
assert_json push.json ".hosts[0].ok and .hosts[0].agent_version == \"$(sshd_version_of_tree)\""
[ -z "$(remote_dirs)" ] || fail "hosts check --push-agent left $(remote_dirs)"
# --agent with ~/: the remote home (root's), here a path back to the agent we pushed nowhere:
# the local agent under test, reached through the home directory.
rc=0; hosts_check hosts.txt "${ssh_args[@]}" --agent "~/..$AGENT" --json >tilde.json || rc=$?
assert_eq "$rc" 0 "hosts check --agent ~/..AGENT: $(cat tilde.json)"
echo "ok: preflight matches run --push-agent"

# 1 and 2. A run with the pushed agent; its accounts file keeps its mode; kill -9 of the
# controller leaves nothing behind.
start_run left.yaml run --hosts hosts.txt "${ssh_args[@]}" --push-agent
pid=$RUN_PID
d=$(remote_dirs)
[ "$(echo "$d" | grep -c .)" = 1 ] || fail "expected one remote run directory, got: $d"
assert_eq "$(stat -c %a "$d/accounts.csv")" 600 "mode of the uploaded accounts file"
assert_eq "$(stat -c %a "$d/barrage-agent")" 755 "mode of the pushed agent"
kill -9 "$pid"
for _ in $(seq 1 100); do [ -z "$(remote_dirs)" ] && break; sleep 0.1; done
[ -z "$(remote_dirs)" ] || fail "the remote directory survived the controller's kill -9: $(remote_dirs); $(ls -la "$d")"
a=$(curl -s "http://127.0.0.1:$tgt_PORT/__stats" | jq .requests); sleep 1
b=$(curl -s "http://127.0.0.1:$tgt_PORT/__stats" | jq .requests)
assert_eq "$b" "$a" "requests after the agents cleaned up"
echo "ok: kill -9 of the controller leaves no remote directory, modes kept"

# 3. Stale directories: one old and unlocked, one held by a "running agent" (a shared lock).
mkdir "$K/tmp/barrage.STALE001" "$K/tmp/barrage.INUSE001"
echo "u1,secret" >"$K/tmp/barrage.STALE001/accounts.csv"
: >"$K/tmp/barrage.STALE001/.barrage-lock"
: >"$K/tmp/barrage.INUSE001/.barrage-lock"
touch -d '-10 min' "$K/tmp/barrage.STALE001" "$K/tmp/barrage.INUSE001"
flock -s "$K/tmp/barrage.INUSE001/.barrage-lock" sleep 60 &
holder=$!
_pids+=("$holder")
mkdir "$K/tmp/barrage.YOUNG001" # no lock, just made: a run being prepared
hosts_check hosts.txt "${ssh_args[@]}" --push-agent --json >stale.json || fail "hosts check: $(cat stale.json)"
assert_json stale.json ".hosts[0].stale_dirs == [\"$K/tmp/barrage.STALE001\"]"
hosts_check hosts.txt "${ssh_args[@]}" --push-agent >stale.txt || true
grep -q "1 stale run directory" stale.txt || fail "the table does not mention the stale directory: $(cat stale.txt)"
"$BARRAGE" hosts clean hosts.txt "${ssh_args[@]}" >clean.txt || fail "hosts clean: $(cat clean.txt)"
grep -q "removed $K/tmp/barrage.STALE001" clean.txt || fail "hosts clean output: $(cat clean.txt)"
[ ! -e "$K/tmp/barrage.STALE001" ] || fail "the stale directory is still there"
[ -d "$K/tmp/barrage.INUSE001" ] || fail "hosts clean removed a directory in use"
[ -d "$K/tmp/barrage.YOUNG001" ] || fail "hosts clean removed a directory being prepared"
hosts_check hosts.txt "${ssh_args[@]}" --push-agent --json >after.json || fail "hosts check after clean"
assert_json after.json '.hosts[0].stale_dirs == []'
kill "$holder" 2>/dev/null || true
echo "ok: stale directories listed and cleaned"

# 5. One host down at start.
cp hosts.txt hosts2.txt
echo "root@127.0.0.1:1" >>hosts2.txt
# A data file named like the agent binary is uploaded under another name (16.6), not refused
# nor confused with the pushed agent.
mkdir -p sub
printf 'user\nx1\nx2\n' >sub/barrage-agent
sed -e 's/duration: 30s/duration: 2s/' -e 's/users: 2/users: 6/' \
  -e 's/^data:/data:\n  other: { file: sub\/barrage-agent, order: sequential }/' \
  -e 's/u={{ accounts.user }}/u={{ accounts.user }}\&o={{ other.user }}/' left.yaml >short.yaml
rc=0; "$BARRAGE" run short.yaml --out down1 --hosts hosts2.txt "${ssh_args[@]}" --push-agent \
  --set agents.max_lost=1 >down1.out 2>down1.err || rc=$?
cat down1.err >&2
assert_eq "$rc" 0 "exit code with one host down at start and max_lost 1"
grep -q "split again over the other 2 agents" down1.err || fail "the re-split is not said"
assert_json down1/plan.json '(.agents | length) == 2 and ([.agents[].fraction] | add) > 0.999 and ([.agents[].load.users] | add) == 6'
jq -s -e 'map(select(.type == "event" and .what == "hosts_left_out")) | length == 1' down1/stats.log >/dev/null \
  || fail "no hosts_left_out event"
assert_json down1/summary.json '.end_reason == "completed" and .stats.request.count > 0 and .errors == {}'
rc=0; "$BARRAGE" run short.yaml --out down0 --hosts hosts2.txt "${ssh_args[@]}" --push-agent \
  >down0.out 2>down0.err || rc=$?
assert_eq "$rc" 3 "exit code with one host down at start and max_lost 0"
grep -q "127.0.0.1:1" down0.err || fail "the failed host is not named: $(cat down0.err)"
[ -z "$(remote_dirs | grep -v -e INUSE001 -e YOUNG001)" ] || fail "runs left $(remote_dirs)"
echo ok
