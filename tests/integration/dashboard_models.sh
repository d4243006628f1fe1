#!/usr/bin/env bash
# timeout: 150
# tsan: yes
# Runtime control of the closed and rate models through `barrage ctl` (docs/dashboard.md):
# closed: "users 10" brings the users gauge to 10, "pause" to 0 with no requests, "resume" back
# to 10, "rate x0.5" (the closed model's rate follows its users) to 5; rate model: "rate x2"
# doubles the requests per interval with the same users. Each change is a control event.
source "$(dirname "$0")/../lib.sh"

start_server tgt target
cd "$TEST_DIR"

# wait_intervals RUN N: wait until N more interval records are in RUN/stats.log.
wait_intervals() {
  local want=$(( $(grep -c '"type":"interval"' "$1/stats.log") + $2 ))
  for _ in $(seq 1 300); do
    [ "$(grep -c '"type":"interval"' "$1/stats.log")" -ge "$want" ] && return 0; sleep 0.1
  done
  fail "$1: no $2 more intervals"
}
last() { grep '"type":"interval"' "$1/stats.log" | tail -1; }
users_now() { last "$1" | jq '.gauges.users[0]'; }
requests_now() { last "$1" | jq '.hists.request.n // 0'; }

loop_scenario it-closed-ctl 4 60s think=50ms >closed.yaml
start_run closed.yaml closed --dashboard 127.0.0.1:0
url=$(dashboard_url closed.err)
assert_eq "$(users_now closed)" 4 "users at the start"
"$BARRAGE" ctl "$url" users 10 >/dev/null || fail "ctl users 10"
wait_intervals closed 3
assert_eq "$(users_now closed)" 10 "users after 'users 10'"
"$BARRAGE" ctl "$url" pause >/dev/null || fail "ctl pause"
wait_intervals closed 3
assert_eq "$(users_now closed)" 0 "users while paused"
assert_eq "$(requests_now closed)" 0 "requests while paused"
curl -s "${url%%'/?'*}/api/status" | jq -e '.phase == "paused" and .control.paused' >/dev/null \
  || fail "status does not say paused"
"$BARRAGE" ctl "$url" resume >/dev/null || fail "ctl resume"
wait_intervals closed 3
assert_eq "$(users_now closed)" 10 "users after resume"
"$BARRAGE" ctl "$url" rate x0.5 >/dev/null || fail "ctl rate x0.5"
wait_intervals closed 3
assert_eq "$(users_now closed)" 5 "users after 'rate x0.5'"
"$BARRAGE" ctl "$url" stop >/dev/null || fail "ctl stop"
wait "$RUN_PID" || fail "closed run exited $?"
assert_eq "$(jq -s '[.[] | select(.type=="event" and .what=="control")] | length' closed/stats.log)" 5 "control events"
jq -s '[.[] | select(.type=="event" and .what=="control")][0]' closed/stats.log | jq -e '.users == 10 and .action == "users"' >/dev/null \
  || fail "first control event does not record users 10"

cat >rate.yaml <<YAML
name: it-rate-ctl
target: http://127.0.0.1:$tgt_PORT
load:
  users: 4
  request_rate: 40
  duration: 60s
sessions:
  - name: s
    steps:
      - request: { url: "/?status=200" }
agents:
  local: 2
report:
  interval: 1s
YAML
start_run rate.yaml rate --dashboard 127.0.0.1:0
url=$(dashboard_url rate.err)
wait_intervals rate 2
before=$(requests_now rate)
"$BARRAGE" ctl "$url" rate x2 >ctl.out || fail "ctl rate x2"
jq -e '.load.request_rate == 80' ctl.out >/dev/null || fail "ctl answer: $(cat ctl.out)"
wait_intervals rate 3
after=$(requests_now rate)
echo "rate model: $before -> $after requests per interval"
[ "$before" -ge 35 ] && [ "$before" -le 45 ] || fail "before the change: $before requests in 1 s, expected 40"
[ "$after" -ge 75 ] && [ "$after" -le 85 ] || fail "after rate x2: $after requests in 1 s, expected 80"
assert_eq "$(users_now rate)" 4 "rate model users unchanged by rate x2"
"$BARRAGE" ctl "$url" stop >/dev/null || fail "ctl stop"
wait "$RUN_PID" || fail "rate run exited $?"

# More worker threads than users: the workers that got none from the plan have left; users
# added at runtime go to those that run (all 8 of them, not 8/4 on the one live worker).
loop_scenario it-threads-ctl 1 60s think=50ms agents="local: 1, threads: 4" >threads.yaml
start_run threads.yaml threads --dashboard 127.0.0.1:0
url=$(dashboard_url threads.err)
"$BARRAGE" ctl "$url" users 8 >/dev/null || fail "ctl users 8"
wait_intervals threads 3
assert_eq "$(users_now threads)" 8 "users after 'users 8' with 4 threads and 1 planned user"
"$BARRAGE" ctl "$url" stop >/dev/null || fail "ctl stop"
wait "$RUN_PID" || fail "threads run exited $?"
