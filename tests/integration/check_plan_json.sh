#!/usr/bin/env bash
# timeout: 120
# `barrage check --plan-json` writes the plan exactly as the agents receive it. For every good
# scenario fixture and every bundled scenario it must equal, byte for byte, the golden copy in
# tests/fixtures/plans/ — so a change to how the plan is read, validated or encoded that alters
# the wire form is caught. After a deliberate change to the plan, regenerate the copies with
#   UPDATE_GOLDEN=1 BARRAGE_BIN=bin TESTS=check_plan_json tests/run-integration.sh
# and review the diff. Also: a bad --plan-json path is exit 3 with the path named.
source "$(dirname "$0")/../lib.sh"

cd "$TESTS_SRC/.."
golden=tests/fixtures/plans
n=0
for f in tests/fixtures/scenarios/good/*.yaml scenarios/*.yaml; do
  name=$(echo "$f" | tr '/' '_')
  name=${name%.yaml}.json
  set +e; "$BARRAGE" -q check "$f" --plan-json "$TEST_DIR/$name" 2>"$TEST_DIR/err"; rc=$?; set -e
  [ "$rc" = 0 ] || { cat "$TEST_DIR/err" >&2; fail "$f: exit $rc"; }
  if [ "${UPDATE_GOLDEN:-0}" = 1 ]; then
    cp "$TEST_DIR/$name" "$golden/$name"
  fi
  [ -f "$golden/$name" ] || fail "$f: no golden plan $golden/$name (UPDATE_GOLDEN=1 writes it)"
  cmp -s "$golden/$name" "$TEST_DIR/$name" || {
    diff <(tr ',' '\n' <"$golden/$name") <(tr ',' '\n' <"$TEST_DIR/$name") | head -20 >&2
    fail "$f: plan differs from $golden/$name"
  }
  n=$((n + 1))
done
[ "$n" -ge 15 ] || fail "only $n scenarios"
# Every golden file has its scenario (none left behind by a renamed fixture).
[ "$(ls "$golden" | wc -l)" = "$n" ] || fail "$golden has $(ls "$golden" | wc -l) files for $n scenarios"

set +e; "$BARRAGE" -q check scenarios/smoke.yaml --plan-json "$TEST_DIR/no/such/dir/p.json" 2>"$TEST_DIR/err"; rc=$?; set -e
[ "$rc" = 3 ] || fail "unwritable --plan-json: exit $rc, expected 3"
grep -q "no/such/dir/p.json" "$TEST_DIR/err" || fail "unwritable --plan-json: path not named: $(cat "$TEST_DIR/err")"
echo ok
