#!/usr/bin/env bash
# timeout: 120
# A whole run with two local agents against the test target: the run directory holds every
# file a run writes; summary.json's counts per status code equal what the target served; the
# stats.log has a header, intervals in order, and an end record saying "completed".
source "$(dirname "$0")/../lib.sh"

start_server tgt target
cd "$TEST_DIR"
cat >basic.yaml <<YAML
name: it-basic
target: http://127.0.0.1:$tgt_PORT
load:
  users: 4
  duration: 3s
sessions:
  - name: s
    steps:
      - request: { url: "/?status=200" }
      - request: { url: "/?status=404" }
      - request: { url: "/?status=201&delay=5ms" }
      - think: 50ms
thresholds:
  request.count: "> 0"
agents:
  local: 2
report:
  interval: 1s
YAML
set +e
"$BARRAGE" run basic.yaml --out run >out.txt 2>err.txt
rc=$?
set -e
cat err.txt >&2
[ "$rc" = 0 ] || fail "run exited $rc"
for f in scenario.yaml plan.json stats.log tsung.log summary.json report.html junit.xml \
         agents/local-1.log agents/local-2.log; do
  [ -s "run/$f" ] || fail "run/$f missing or empty"
done
curl -s "http://127.0.0.1:$tgt_PORT/__stats" >served.json
cat served.json
assert_json run/summary.json '.version == 1'
assert_json run/summary.json '.name == "it-basic"'
for code in 200 404 201; do
  want=$(jq -r ".status[\"$code\"] // 0" served.json)
  got=$(jq -r ".http_status[\"$code\"] // 0" run/summary.json)
  [ "$want" -gt 0 ] || fail "target served no $code"
  assert_eq "$got" "$want" "http_status $code in summary.json vs the target"
done
assert_json run/summary.json "[.http_status[]] | add == $(jq '.requests' served.json)"
assert_json run/summary.json ".stats.request.count == $(jq '.requests' served.json)"
assert_json run/plan.json '(.agents | length) == 2 and ([.agents[].load.users] | add) == 4'
assert_json run/plan.json '[.agents[].id] == ["local-1","local-2"]'
# stats.log: header first, end last, intervals in index order, nothing lost or late.
head -1 run/stats.log | jq -e '.type == "header" and .version == 1 and (.agents | length) == 2' >/dev/null \
  || fail "first line is not the header"
tail -1 run/stats.log | jq -e '.type == "end" and .reason == "completed" and .exit_code == 0' >/dev/null \
  || fail "last line is not a completed end record"
jq -s '[.[] | select(.type == "interval") | .i] | . == (sort | unique) and length >= 3' run/stats.log \
  | grep -q true || fail "interval indexes not increasing"
! jq -r '.type' run/stats.log | grep -qx event || fail "unexpected event in a clean run"
# Intervals add up to the summary: the merge lost nothing.
sum=$(jq -s '[.[] | select(.type == "interval" or .type == "late") | .counters.http_200 // 0] | add' run/stats.log)
assert_eq "$sum" "$(jq -r '.status["200"]' served.json)" "http_200 summed over stats.log intervals"
# The scenario copy is the file as run.
cmp -s basic.yaml run/scenario.yaml || fail "scenario.yaml is not the scenario"
# Default run directory: runs/NAME-YYYYMMDD-HHMMSS under the working folder.
"$BARRAGE" -q run basic.yaml --set load.duration=1s >/dev/null 2>err2.txt || { cat err2.txt >&2; fail "second run failed"; }
ls -d runs/it-basic-[0-9]*-[0-9]* >/dev/null 2>&1 || fail "no runs/it-basic-YYYYMMDD-HHMMSS directory"
d=$(ls -d runs/it-basic-* | head -1)
head -2 "$d/scenario.yaml" | grep -q -- '--set load.duration=1s' || fail "overrides not recorded in scenario.yaml"
echo ok
