#!/usr/bin/env bash
# timeout: 90
# Acceptance: the mistakes a user makes get one clear message "barrage: file:line:col: what is
# wrong" on stderr and the documented exit code: 2 for usage or scenario errors (typo with the
# closest key, duration without units, wrong type, missing data file, ragged CSV, unknown
# template function, bad flags), 3 when the run cannot complete (target unreachable at start,
# SSH failure), and --help on every command exits 0.
source "$(dirname "$0")/../lib.sh"

cd "$TEST_DIR"
base() {
  cat <<YAML
name: bad
target: http://127.0.0.1:9
load: { users: 1, duration: 1s }
agents: { local: 1 }
sessions:
  - name: s
    steps:
      - request: { url: / }
YAML
}
# expect_err RC PATTERN CMD...: runs CMD, wants exit RC and a stderr line matching PATTERN.
expect_err() {
  local want=$1 pat=$2; shift 2
  set +e
  timeout 30 "$@" >err.out 2>err.txt
  local rc=$?
  set -e
  [ "$rc" = "$want" ] || fail "$* exited $rc, want $want: $(cat err.txt)"
  grep -Eq -- "$pat" err.txt || fail "$*: stderr does not match '$pat': $(cat err.txt)"
  ! grep -Eqi 'AddressSanitizer|runtime error|Segmentation' err.txt || fail "$*: crashed"
}

# A typo in a threshold's statistic is a scenario error with the closest name.
{ base; printf 'thresholds:\n  reqest.p95: "< 1s"\n'; } >t1.yaml
expect_err 2 "^barrage: t1.yaml:[0-9]+:3: .*'reqest'.*'request'" "$BARRAGE" check t1.yaml
# More agents than users: check says so, as run would (and --local on the command line wins).
base | sed 's/local: 1/local: 3/' >t2.yaml
expect_err 2 "^barrage: t2.yaml:[0-9]+:[0-9]+: 3 agents but load.users is" "$BARRAGE" check t2.yaml
# Several problems: every line reads as an error of barrage.
base | sed 's/duration: 1s/duration: 1/; s#request: { url: / }#request: { url: /, timout: 1s }#' >t3.yaml
set +e; "$BARRAGE" check t3.yaml >/dev/null 2>t3.err; set -e
[ "$(wc -l <t3.err)" -ge 2 ] || fail "t3: expected two problems: $(cat t3.err)"
! grep -v '^barrage: ' t3.err || fail "t3: a line without the barrage: prefix"

base | sed 's/^sessions:/sesions:/' >b1.yaml
expect_err 2 "^barrage: b1.yaml:5:1: .*'sesions'.*'sessions'" "$BARRAGE" check b1.yaml
base | sed 's#request: { url: / }#request: { url: /, timout: 1s }#' >b2.yaml
expect_err 2 "^barrage: b2.yaml:8:[0-9]+: .*'timout'.*'timeout'" "$BARRAGE" check b2.yaml
base | sed 's/duration: 1s/duration: 1/' >b3.yaml
expect_err 2 '^barrage: b3.yaml:3:[0-9]+: .*unit' "$BARRAGE" check b3.yaml
base | sed 's/users: 1,/users: lots,/' >b4.yaml
expect_err 2 "^barrage: b4.yaml:3:[0-9]+: .*lots" "$BARRAGE" check b4.yaml
{ base; echo 'data: { accounts: { file: nope.csv } }'; } >b5.yaml
expect_err 2 '^barrage: b5.yaml:9:[0-9]+: .*nope.csv' "$BARRAGE" check b5.yaml
printf 'user,password\na,b\nc\n' >ragged.csv
{ base; echo 'data: { accounts: { file: ragged.csv } }'; } >b6.yaml
expect_err 2 '^barrage: b6.yaml:9:[0-9]+: .*ragged.csv:3' "$BARRAGE" check b6.yaml
base | sed 's#url: /#url: "/{{ randint(1, 2) }}"#' >b7.yaml
expect_err 2 "^barrage: b7.yaml:8:[0-9]+: .*'randint'" "$BARRAGE" check b7.yaml
base | sed 's#- request: { url: / }#- think: 2#' >b8.yaml
expect_err 2 '^barrage: b8.yaml:8:[0-9]+: .*unit' "$BARRAGE" check b8.yaml
printf 'name: x\n  target: [\n' >b9.yaml
expect_err 2 '^barrage: b9.yaml:[0-9]+:[0-9]+: ' "$BARRAGE" check b9.yaml
# run checks the same way before sending anything.
expect_err 2 "^barrage: b1.yaml:5:1: " "$BARRAGE" run -q b1.yaml --out never
[ ! -e never/summary.json ] || fail "a bad scenario produced a run"

# Bad flags and arguments.
expect_err 2 'frobnicate' "$BARRAGE" run --frobnicate b1.yaml
expect_err 2 'frob' "$BARRAGE" frob
expect_err 2 '.' "$BARRAGE" run
expect_err 2 'nosuch.yaml' "$BARRAGE" check nosuch.yaml
base >ok.yaml
expect_err 2 'userz' "$BARRAGE" check ok.yaml --set load.userz=3
expect_err 2 'zero' "$BARRAGE" run ok.yaml --local zero
expect_err 2 'ten' "$BARRAGE" compare . . --max-regression p95=ten
expect_err 2 'nosuch' "$BARRAGE" report nosuch

# --help on every command; version.
for c in run check report compare version "hosts check"; do
  # shellcheck disable=SC2086
  "$BARRAGE" $c --help >help.out 2>&1 || fail "$c --help exited $?"
  grep -qi usage help.out || fail "$c --help prints no usage"
done
"$BARRAGE" --help >/dev/null || fail "--help"
"$BARRAGE" version | grep -Eq '^barrage [0-9]+\.[0-9]+' || fail "version"

# Exit 3: target unreachable at start (port 9 on loopback: nothing listens there in tests).
expect_err 3 'unreachable' "$BARRAGE" run -q ok.yaml --out unreach

# hosts check: refused SSH is a problem per host, --json is machine-readable, exit 3.
printf '# fleet\nload@127.0.0.1:1 agents=2 weight=2\nload@127.0.0.1:9\n' >fleet.txt
set +e
timeout 30 "$BARRAGE" hosts check fleet.txt --json >hosts.json 2>hosts.err
rc=$?
set -e
assert_eq "$rc" 3 "hosts check with unreachable hosts"
assert_json hosts.json '.ok == false and (.hosts | length) == 2'
assert_json hosts.json '[.hosts[] | .ok == false and .reachable == false and (.problem | type) == "string"] | all'
assert_json hosts.json '[.hosts[].port] == [1, 9]'
printf 'load@127.0.0.1 agents=x\n' >badfleet.txt
expect_err 2 '^barrage: badfleet.txt:1:[0-9]+: ' "$BARRAGE" hosts check badfleet.txt

# agents.hosts_file in the scenario: SSH failure at start exits 3.
{ base | sed 's/agents: { local: 1 }/agents: { hosts_file: fleet.txt }/; s/users: 1,/users: 10,/'; } >fleet.yaml
"$BARRAGE" check fleet.yaml >fleetcheck.txt || fail "check rejected agents.hosts_file"
# check reads the hosts file as run will, and says how many agents it means.
n=$(awk 'NF && $1 !~ /^#/ {a = 1; for (i = 2; i <= NF; i++) if ($i ~ /^agents=/) a = substr($i, 8); s += a} END {print s}' fleet.txt)
grep -q " agents* in all" fleetcheck.txt || fail "check does not count the agents: $(cat fleetcheck.txt)"
grep -q ", $n agents* in all" fleetcheck.txt || fail "check counts the agents wrong (want $n): $(cat fleetcheck.txt)"
expect_err 3 '127.0.0.1:1' "$BARRAGE" run -q fleet.yaml --out fleet
echo "errors ok"
