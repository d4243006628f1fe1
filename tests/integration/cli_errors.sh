#!/usr/bin/env bash
# timeout: 60
# Each error class and its exit code: a missing scenario file and bad YAML exit 2 with
# "barrage: FILE:LINE:COL: ..." on stderr; an unknown key names the closest valid one; an
# unreachable target exits 3 before any run directory is made; --out on a non-empty directory
# exits 2; check on a good scenario exits 0 and sends nothing.
source "$(dirname "$0")/../lib.sh"

expect_rc() { # expect_rc CODE CMD...
  local want=$1; shift
  set +e; "$@" >"$TEST_DIR/out" 2>"$TEST_DIR/err"; local rc=$?; set -e
  [ "$rc" = "$want" ] || { cat "$TEST_DIR/err" >&2; fail "'$*' exited $rc, expected $want"; }
}

cd "$TEST_DIR"
expect_rc 2 "$BARRAGE" run missing.yaml
grep -q "^barrage: .*missing.yaml" err || fail "missing file not named: $(cat err)"
expect_rc 2 "$BARRAGE" check missing.yaml

printf 'name: bad\ntarget: http://127.0.0.1:9\nload: {users: 1, duration: 1s\nsessions: []\n' >bad.yaml
expect_rc 2 "$BARRAGE" run bad.yaml --out run-bad
grep -qE '^barrage: bad\.yaml:[0-9]+:[0-9]+: ' err || fail "bad YAML without file:line:col: $(cat err)"
[ ! -e run-bad ] || fail "a run directory was made for a bad scenario"
expect_rc 2 "$BARRAGE" check bad.yaml
grep -qE '^barrage: bad\.yaml:[0-9]+:[0-9]+: ' err || fail "check: no file:line:col: $(cat err)"

cat >typo.yaml <<YAML
name: typo
target: http://127.0.0.1:9
laod:
  users: 1
  duration: 1s
sessions:
  - name: s
    steps:
      - request: { url: / }
YAML
expect_rc 2 "$BARRAGE" check typo.yaml
grep -qE '^barrage: typo\.yaml:3:1: .*laod' err || fail "unknown key not placed: $(cat err)"
grep -q "load" err || fail "closest key not suggested: $(cat err)"

# A port nobody listens on: bind one, note it, close it.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
cat >down.yaml <<YAML
name: down
target: http://127.0.0.1:$port
load:
  users: 1
  duration: 1s
sessions:
  - name: s
    steps:
      - request: { url: / }
agents:
  local: 1
YAML
expect_rc 0 "$BARRAGE" check down.yaml
[ -s out ] || fail "check printed no plan"
expect_rc 3 "$BARRAGE" run down.yaml --out run-down
grep -q "unreachable" err || fail "unreachable target not explained: $(cat err)"
[ ! -e run-down ] || fail "a run directory was made for an unreachable target"

mkdir -p full && touch full/something
start_server tgt target
sed "s/:$port/:$tgt_PORT/" down.yaml >up.yaml
expect_rc 2 "$BARRAGE" run up.yaml --out full
grep -q "not empty" err || fail "non-empty --out not refused: $(cat err)"
# --set reaches the scenario (a bad value is a scenario error).
expect_rc 2 "$BARRAGE" check up.yaml --set load.duration=fast
echo ok
