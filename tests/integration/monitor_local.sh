#!/usr/bin/env bash
# timeout: 150
# Target monitoring of the controller's own machine (monitor: hosts: [local]):
#  1. a CPU-burning process (bounded: timeout 3) started once sampling is under way shows up
#     in the watched process's figures: absent in the first samples, busy later; summary.json's
#     monitor section has mean/max per figure; tsung.log has os_mon lines that Tsung's own
#     tsung_stats.pl turns into graphs; report.html has the monitoring section with charts and
#     the bottleneck table; a monitor threshold passes.
#  2. a /proc that lacks diskstats (test hook BARRAGE_MONITOR_ROOT): the run completes, the gap
#     is named (summary.json missing, an event), the disk figures are left out; a failing
#     monitor threshold makes the run exit 1.
source "$(dirname "$0")/../lib.sh"

start_server tgt target
cd "$TEST_DIR"
# The burner has a name of its own (the kernel's comm is the executable's name).
cp "$(command -v dash || command -v sh)" burnmon

scenario() { # NAME DURATION THRESHOLD-LINES
  {
    loop_scenario "$1" 2 "$2" think=50ms agents="local: 1"
    cat <<YAML
monitor:
  hosts: [ local ]
  processes: [ burnmon, barrage-target ]
  interval: 500ms
thresholds:
$3
YAML
  } >"$1.yaml"
}

# 1. The burner while the run goes on.
scenario bad 1s '  monitor.local.cpu.p95: "< 80%"'
"$BARRAGE" check bad.yaml >/dev/null 2>check.err && fail "check accepted a bad monitor threshold"
grep -q "bad.yaml:.*unknown field 'p95' (use max or mean)" check.err || { cat check.err >&2; fail "no clear message for a bad monitor threshold"; }
scenario burn 7s '  monitor.local.cpu.max: "<= 100%"
  monitor.local.mem.mean: "> 1MB"'
"$BARRAGE" check burn.yaml >check.out || fail "check refused the monitor scenario"
grep -q "^monitor (every 500ms)" check.out && grep -q "^  local (this machine, no SSH)" check.out \
  || { cat check.out >&2; fail "check does not show the monitor section"; }
run_bg burn.yaml run -q
rpid=$RUN_PID
wait_records run monitor 3 300 || true
grep -q '"type":"monitor"' run/stats.log || { cat run.err >&2; fail "no monitor record while the run goes"; }
timeout 3 ./burnmon -c 'while :; do :; done' &
_pids+=("$!")
rc=0; wait "$rpid" || rc=$?
cat run.err >&2
assert_eq "$rc" 0 "monitored run"
# Before the burner: no such process; while it ran: busy.
first=$(grep -m1 '"type":"monitor"' run/stats.log)
jq -e '.procs.burnmon.count == 0 and .host == "local" and (.figures.cpu_pct | type) == "number"' <<<"$first" >/dev/null \
  || fail "first sample: $first"
jq -s -e '[.[] | select(.type == "monitor") | .procs.burnmon | select(.count >= 1) | .cpu_pct] | length >= 2 and max > 10' run/stats.log >/dev/null \
  || fail "the burner's CPU did not rise: $(jq -c 'select(.type == "monitor") | .procs.burnmon' run/stats.log | tr '\n' ' ')"
assert_json run/summary.json '.monitor.local.processes.burnmon.cpu_pct.max > 10' "summary: burner CPU"
assert_json run/summary.json '.monitor.local.cpu_pct.max >= .monitor.local.cpu_pct.mean and .monitor.local.cpu_pct.max > 0'
assert_json run/summary.json '.monitor.local.mem_used.mean > 0 and .monitor.local.load1.max >= 0 and .monitor.local.samples >= 8'
assert_json run/summary.json '(.monitor.local.net_rx_bps.max | type) == "number" and .monitor.local.down == [] and .monitor.local.missing == []'
assert_json run/summary.json '[.thresholds[] | select(.metric | startswith("monitor.")) | .ok] == [true, true]'
grep -q 'data-monitor-host="local"' run/report.html || fail "report: no bottleneck table"
grep -q 'data-bottleneck=' run/report.html || fail "report: no bottleneck verdict"
grep -q 'id="m1_' run/report.html || grep -q '<svg' run/report.html || fail "report: no monitoring chart"
grep -q '^stats: {cpu,"os_mon@local"} ' run/tsung.log || fail "tsung.log: no os_mon cpu line"
grep -q '^stats: {freemem,"os_mon@local"} ' run/tsung.log || fail "tsung.log: no os_mon freemem line"
tsp=$(ls /usr/lib/x86_64-linux-gnu/tsung/bin/tsung_stats.pl /usr/lib/tsung/bin/tsung_stats.pl \
  /usr/share/tsung/bin/tsung_stats.pl 2>/dev/null | head -1 || true)
if [ -n "$tsp" ]; then
  mkdir ts && cp run/tsung.log ts/ && (cd ts && timeout 60 perl "$tsp" --stats tsung.log >out.txt 2>&1) \
    || { cat ts/out.txt >&2; fail "tsung_stats.pl failed on our tsung.log"; }
  [ -s "ts/data/cpu:os_mon@local.txt" ] || fail "tsung_stats.pl did not read the os_mon cpu lines"
  ls ts/images/graphes-cpu-mean.* >/dev/null 2>&1 || fail "tsung_stats.pl drew no cpu graph"
  grep -q "os_mon" ts/report.html || fail "tsung_stats.pl's report has no server monitoring"
  echo "ok: tsung_stats.pl graphs our os_mon lines"
else
  echo "note: tsung_stats.pl not installed; os_mon lines checked by shape only"
fi
echo "ok: local monitoring shows the burner"

# 2. A /proc without diskstats: the run goes on, the gap is said; a failing gate exits 1.
mkdir -p root/proc/net
for f in uptime stat meminfo loadavg vmstat; do cat /proc/$f >root/proc/$f; done
cat /proc/net/dev >root/proc/net/dev
cat /proc/net/snmp >root/proc/net/snmp
scenario nodisk 2s '  monitor.local.mem.max: "< 1B"'
rc=0; BARRAGE_MONITOR_ROOT=$TEST_DIR/root "$BARRAGE" run nodisk.yaml --out nodisk >nodisk.out 2>nodisk.err || rc=$?
cat nodisk.err >&2
assert_eq "$rc" 1 "a failed monitor threshold"
grep -q "lacks /proc/diskstats" nodisk.err || fail "no message about the missing file"
grep -q "^monitored hosts (highest):" nodisk.out && grep -q "^  local: .*mem .*(some /proc files missing)" nodisk.out \
  || { cat nodisk.out >&2; fail "the console summary has no monitor line"; }
assert_json nodisk/summary.json '.monitor.local.missing == ["diskstats"]'
assert_json nodisk/summary.json '(.monitor.local | has("disk_read_bps") | not) and .monitor.local.mem_used.max > 0'
assert_json nodisk/summary.json '[.thresholds[] | select(.metric == "monitor.local.mem.max") | .ok] == [false]'
jq -s -e '[.[] | select(.type == "event" and (.detail | test("lacks /proc/diskstats")))] | length == 1' nodisk/stats.log >/dev/null \
  || fail "no event for the missing file"
grep -q 'data-monitor-missing' nodisk/report.html || fail "report does not mark the missing file"
echo "ok: a missing /proc file is named, the run goes on"

# 3. Ctrl-C while waiting for a monitored host that never answers (a TCP listener that says
# nothing): the run ends at once as interrupted before the start, exit 3, no load sent.
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(8); s.settimeout(0.5)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
held, end = [], time.time() + 60
while time.time() < end:
    try: held.append(s.accept()[0])
    except OSError: pass
' "$TEST_DIR/silent.port" &
_pids+=("$!")
for _ in $(seq 1 100); do [ -s silent.port ] && break; sleep 0.05; done
[ -s silent.port ] || fail "test setup: silent listener did not start"
scenario silent 2s '  request.count: ">= 0"'
sed -i "s/hosts: \[ local \]/hosts: [ local, \"u@127.0.0.1:$(cat silent.port)\" ]/" silent.yaml
before=$(curl -s "http://127.0.0.1:$tgt_PORT/__stats" | jq '.requests')
run_bg silent.yaml silent -q
rpid=$RUN_PID
sleep 1.5
kill -INT "$rpid"
rc=0; wait "$rpid" || rc=$?
cat silent.err >&2
assert_eq "$rc" 3 "interrupted while waiting for a monitored host"
grep -q "interrupted (Interrupt) before the run started" silent.err || fail "no interruption message"
tail -1 silent/stats.log | jq -e '.type == "end" and .reason == "interrupted"' >/dev/null || fail "no interrupted end record"
assert_eq "$(curl -s "http://127.0.0.1:$tgt_PORT/__stats" | jq '.requests')" "$before" "requests sent before the monitored hosts answered"
echo "ok: Ctrl-C while a monitored host does not answer"
