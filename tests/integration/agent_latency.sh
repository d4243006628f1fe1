#!/usr/bin/env bash
# timeout: 90
# Latency is true: against the target with a fixed 50 ms delay and light load (10 users), the
# reported request p50 is within 50-52 ms and p90 within 50-60 ms.
#
# Why p90 and not p99 for the tail: one stall of the machine (a busy neighbour holding both
# cores for 30 ms) delays every request in flight at that moment, up to 10 of the ~570 here
# (1.8%): more than the 1% above p99, so p99 measured the neighbours (64-88 ms in `make test`
# beside other CPU-heavy processes, load average 13 on 2 cores, while p50 stayed at 51 ms and
# p90 at 56 ms). An engine that adds its own latency shifts p50 and p90 on every run.
#
# The machine running the tests is shared: a busy neighbour delays the target's timers and
# both processes' wake-ups, which only ever adds latency (wrk measures the same p50 as the
# agent here when that happens). So a run that misses the window is repeated, up to three
# times; an engine that adds its own latency misses it every time. Bounds that a noisy machine
# cannot break (p50 never below 50 ms, the counts) are checked on every run.
source "$(dirname "$0")/../lib.sh"
start_server tg target
cat >"$TEST_DIR/plan.json" <<JSON
{"version": 1, "target": "http://127.0.0.1:$tg_PORT", "interval_us": 1000000,
 "load": {"model": "closed", "users": 10, "duration_us": 3000000},
 "sessions": [{"name": "s", "steps": [{"kind": "repeat", "count": 1000000, "steps": [
   {"kind": "request", "request": {"method": "GET", "url": "/?delay=50ms"}}]}]}]}
JSON
s=$TEST_DIR/out.json
for attempt in 1 2 3; do
  "$AGENT" --plan "$TEST_DIR/plan.json" >"$s" 2>"$TEST_DIR/agent.log" ||
    { cat "$TEST_DIR/agent.log"; fail "agent failed"; }
  cat "$s"
  assert_json "$s" '.hists.request.n >= 200' "enough requests"
  assert_json "$s" '.hists.request.p50_us >= 50000' "p50 is never below the server's delay"
  assert_json "$s" '.hists.ttfb.p50_us >= 50000' "ttfb includes the server's delay"
  assert_json "$s" '.hists.connect.n == 10' "one connection per user"
  assert_json "$s" '.counters.http_200 == .hists.request.n' "every request answered 200"
  if jq -e '.hists.request.p50_us <= 52000 and .hists.request.p90_us >= 50000 and
            .hists.request.p90_us <= 60000' "$s" >/dev/null; then
    echo "ok (attempt $attempt)"
    exit 0
  fi
  echo "attempt $attempt: outside 50-52 ms p50 / 50-60 ms p90, trying again" >&2
done
# Three misses: is it the machine? wrk, when installed, measures the same target under the
# same load; if it misses the window on the same percentile too and the agent is no worse
# there (within 1 ms + 5%: a sanitizer build is slower than wrk), skip (not pass).
p50=$(json "$s" '.hists.request.p50_us')
p90=$(json "$s" '.hists.request.p90_us')
if command -v wrk >/dev/null; then
  wrk -t1 -c10 -d3s --latency "http://127.0.0.1:$tg_PORT/?delay=50ms" >"$TEST_DIR/wrk.txt" || true
  wrk_us() { # PERCENTILE: wrk's latency at "NN%" in microseconds
    awk -v k="$1%" '$1==k{v=$2; if (v ~ /ms$/) {sub("ms","",v); print int(v*1000)} else if (v ~ /us$/) {sub("us","",v); print int(v)} else {sub("s","",v); print int(v*1000000)}}' "$TEST_DIR/wrk.txt"
  }
  wp50=$(wrk_us 50); wp90=$(wrk_us 90)
  echo "wrk p50: ${wp50:-?} us, p90: ${wp90:-?} us; agent p50: $p50 us, p90: $p90 us"
  no_worse() { [ "$1" -le $(( $2 + $2 / 20 + 1000 )) ]; } # AGENT WRK
  explained=1
  if [ "$p50" -gt 52000 ]; then
    [ -n "$wp50" ] && [ "$wp50" -gt 52000 ] && no_worse "$p50" "$wp50" || explained=0
  fi
  if [ "$p90" -gt 60000 ]; then
    [ -n "$wp90" ] && [ "$wp90" -gt 60000 ] && no_worse "$p90" "$wp90" || explained=0
  fi
  if [ "$explained" = 1 ]; then
    skip "machine too noisy for the 50-52 ms / 50-60 ms window: wrk measures p50 ${wp50} us, p90 ${wp90} us; the agent ${p50} us, ${p90} us"
  fi
fi
fail "request p50 not within 50-52 ms or p90 not within 50-60 ms in three runs"
