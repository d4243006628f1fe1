#!/usr/bin/env bash
# timeout: 300
# `barrage check` over the scenario fixtures, as a user runs it: every good fixture (and the
# bundled smoke scenario) exits 0 and prints the plan; every bad fixture exits 2 with exactly
# one "barrage: FILE:..." line on stderr, no crash, no sanitizer report; and a scenario cut at
# every 97th byte either checks or exits 2, never anything else (the unit tests try every
# prefix in-process; this is the same through the real binary).
source "$(dirname "$0")/../lib.sh"

cd "$TESTS_SRC/.."
for f in tests/fixtures/scenarios/good/*.yaml scenarios/smoke.yaml; do
  set +e; "$BARRAGE" check "$f" >"$TEST_DIR/out" 2>"$TEST_DIR/err"; rc=$?; set -e
  [ "$rc" = 0 ] || { cat "$TEST_DIR/err" >&2; fail "$f: exit $rc, expected 0"; }
  grep -q '^sessions$' "$TEST_DIR/out" || fail "$f: no plan printed"
done

n=0
for f in tests/fixtures/scenarios/bad/*.yaml; do
  set +e; "$BARRAGE" check "$f" >"$TEST_DIR/out" 2>"$TEST_DIR/err"; rc=$?; set -e
  [ "$rc" = 2 ] || { cat "$TEST_DIR/err" >&2; fail "$f: exit $rc, expected 2"; }
  [ "$(wc -l <"$TEST_DIR/err")" = 1 ] || { cat "$TEST_DIR/err" >&2; fail "$f: not one message"; }
  grep -q "^barrage: $f" "$TEST_DIR/err" || fail "$f: message does not name the file: $(cat "$TEST_DIR/err")"
  [ ! -s "$TEST_DIR/out" ] || fail "$f: printed a plan"
  n=$((n + 1))
done
[ "$n" -ge 50 ] || fail "only $n bad fixtures"

src=tests/fixtures/scenarios/good/brief.yaml
size=$(wc -c <"$src")
mkdir -p "$TEST_DIR/cut/data"
cp tests/fixtures/scenarios/good/data/accounts.csv "$TEST_DIR/cut/data/"
for ((i = 0; i < size; i += 97)); do
  head -c "$i" "$src" >"$TEST_DIR/cut/s.yaml"
  set +e; "$BARRAGE" check "$TEST_DIR/cut/s.yaml" >/dev/null 2>"$TEST_DIR/err"; rc=$?; set -e
  case $rc in
    0) ;;
    2) grep -q "^barrage: $TEST_DIR/cut/s.yaml" "$TEST_DIR/err" || fail "cut at $i: $(cat "$TEST_DIR/err")";;
    *) cat "$TEST_DIR/err" >&2; fail "cut at $i: exit $rc";;
  esac
done
echo "checked $n bad fixtures and $(( (size + 96) / 97 )) truncations"
