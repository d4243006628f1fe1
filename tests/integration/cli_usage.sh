#!/usr/bin/env bash
# timeout: 60
# The command line: --help on every command exits 0 with usage on stdout; bad flags, unknown
# commands and missing arguments exit 2 with the usage on stderr; version prints the version.
source "$(dirname "$0")/../lib.sh"

expect_rc() { # expect_rc CODE CMD...
  local want=$1; shift
  set +e; "$@" >"$TEST_DIR/out" 2>"$TEST_DIR/err"; local rc=$?; set -e
  [ "$rc" = "$want" ] || { cat "$TEST_DIR/err" >&2; fail "'$*' exited $rc, expected $want"; }
}

for cmd in run check report compare version; do
  expect_rc 0 "$BARRAGE" "$cmd" --help
  grep -q "usage: barrage $cmd" "$TEST_DIR/out" || fail "$cmd --help printed no usage"
done
expect_rc 0 "$BARRAGE" --help
grep -q "usage: barrage" "$TEST_DIR/out" || fail "--help printed no usage"
expect_rc 0 "$BARRAGE" hosts --help
expect_rc 0 "$BARRAGE" version
grep -qE '^barrage [0-9]+\.[0-9]+\.[0-9]+' "$TEST_DIR/out" || fail "version printed $(cat "$TEST_DIR/out")"
expect_rc 0 "$BARRAGE" --version

# Usage errors: exit 2, the problem and the usage on stderr, nothing on stdout.
expect_rc 2 "$BARRAGE"
expect_rc 2 "$BARRAGE" frobnicate
grep -q "unknown command 'frobnicate'" "$TEST_DIR/err" || fail "no message for an unknown command"
expect_rc 2 "$BARRAGE" --bogus
expect_rc 2 "$BARRAGE" run
grep -q "usage: barrage run" "$TEST_DIR/err" || fail "run without a scenario printed no usage"
expect_rc 2 "$BARRAGE" run x.yaml --no-such-flag
grep -q "unknown option '--no-such-flag'" "$TEST_DIR/err" || fail "bad flag not named"
[ ! -s "$TEST_DIR/out" ] || fail "usage error wrote to stdout"
expect_rc 2 "$BARRAGE" run x.yaml --local
grep -q "needs a value" "$TEST_DIR/err" || fail "missing option value not reported"
expect_rc 2 "$BARRAGE" run x.yaml --local zero
expect_rc 2 "$BARRAGE" run x.yaml --local 0
expect_rc 2 "$BARRAGE" run x.yaml --set novalue
grep -q "KEY=VALUE" "$TEST_DIR/err" || fail "--set without = not explained"
expect_rc 2 "$BARRAGE" run x.yaml --ready-timeout 5
expect_rc 2 "$BARRAGE" run a.yaml b.yaml
expect_rc 2 "$BARRAGE" check
expect_rc 2 "$BARRAGE" check x.yaml -z
expect_rc 2 "$BARRAGE" hosts
expect_rc 2 "$BARRAGE" hosts frob
expect_rc 2 "$BARRAGE" version extra
echo ok
