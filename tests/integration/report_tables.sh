#!/usr/bin/env bash
# timeout: 60
# `barrage report` on a known synthetic run (tests/fixtures/runs/basic, written by gen.py):
# every figure of summary.json, every cell of report.html's tables, junit.xml and tsung.log
# against values computed by hand below.
#
# The fixture: 3 intervals of 10 s, 2 agents, end record at 30 s. Times (us) per interval:
#   request  i0: 500x10 1000x10   i1: 1000x20 2000x20   i2: 500x5 1500x5
#            -> 70 values: 500x15 1000x30 1500x5 2000x20; sum 85000 us; mean 1.214 ms
#               sumsq 125e6 -> stddev sqrt(125e6/70 - 1214.2857^2) = 557.9 us
#               nearest rank: p50 = 35th = 1000, p90 = 63rd = 2000, p95/p99/p99.9 = 2000
#               interval means 0.75 1.5 1.0 ms; rates 2 4 1 /s -> Tsung: highest 10sec mean
#               1.50 msec, lowest 0.750 msec, Highest Rate 4, Mean Rate 7/3 = 2.33
#   page     i0: 1500x10  i2: 1800x5 -> 15, mean 1.6, p50 = 8th = 1.5, p90 = 14th = 1.8,
#            rates 1 0 0.5 -> Mean Rate 0.5
#   connect  i1: 100x4 -> first interval i1: rates 0.4 0 -> Mean Rate 0.2
#   session  i2: 1900x2 ; tr_login i0: 1200x10 i1: 1600x10 -> mean 1.4, rates 1 1 0 -> 0.67
#   counters http_200 18 38 10 (66), http_500 2 2 0 (4), error_timeout 0 3 0 (3),
#            size_rcv 10240 20480 5120 (35840 B), size_sent 1000 2000 500 (3500 B),
#            users_count 10 5 0, finish_users_count 3 5 7, dropped_users 0 0 2
#   gauges   users [7,8] [7,9] [0,7] (max 9), connected [5,6] [6,7] [0,6] (max 7)
#   agents   local-1 cpu 0.5 0.9 0.3, lag 1 25 2 ms, saturated in i1, dropped 2
source "$(dirname "$0")/../lib.sh"

"$BARRAGE" report --help >/dev/null 2>&1 || skip "barrage report is not wired in this build"
run=$TEST_DIR/run
mkdir -p "$run"
cp "$TESTS_SRC/fixtures/runs/basic/stats.log" "$run/"

set +e
"$BARRAGE" report "$run" >"$TEST_DIR/out.txt" 2>"$TEST_DIR/err.txt"
rc=$?
set -e
cat "$TEST_DIR/out.txt" "$TEST_DIR/err.txt"
assert_eq "$rc" 1 "two thresholds fail: exit 1"
for f in summary.json tsung.log report.html junit.xml; do [ -s "$run/$f" ] || fail "no $f"; done
grep -q 'threshold FAIL errors.rate < 1% (measured 4.11%)' "$TEST_DIR/out.txt" || fail "verdict line"
grep -q 'threshold ok   request.p95 < 5ms (measured 2.00 ms)' "$TEST_DIR/out.txt" || fail "verdict line"
grep -q 'saturated' "$TEST_DIR/err.txt" || fail "no saturation warning on stderr"

# ---- summary.json ----
S=$run/summary.json
assert_json "$S" '.version == 1 and .name == "fixture-basic" and .started_at == "2026-11-22T14:00:00Z"'
assert_json "$S" '.duration_s == 30 and .intervals == 3 and .truncated == false and .saturated == true'
assert_json "$S" '.stats.request | .count == 70 and .rate == 2.333 and .mean_ms == 1.214 and .stddev_ms == 0.558'
assert_json "$S" '.stats.request | .min_ms == 0.5 and .max_ms == 2 and .p50_ms == 1 and .p90_ms == 2 and .p95_ms == 2 and .p99_ms == 2 and .p999_ms == 2'
assert_json "$S" '.stats.request.tsung | .highest_10sec_mean_ms == 1.5 and .lowest_10sec_mean_ms == 0.75 and .highest_rate == 4 and .mean_rate == 2.333'
assert_json "$S" '.stats.page | .count == 15 and .mean_ms == 1.6 and .p50_ms == 1.5 and .p90_ms == 1.8 and .max_ms == 1.8'
assert_json "$S" '.stats.page.tsung | .highest_10sec_mean_ms == 1.8 and .lowest_10sec_mean_ms == 1.5 and .highest_rate == 1 and .mean_rate == 0.5'
assert_json "$S" '.stats.connect | .count == 4 and .mean_ms == 0.1 and .tsung.mean_rate == 0.2 and .tsung.highest_rate == 0.4'
assert_json "$S" '.stats.session | .count == 2 and .mean_ms == 1.9 and .tsung.mean_rate == 0.2'
assert_json "$S" '.stats.tr_login | .count == 20 and .mean_ms == 1.4 and .p50_ms == 1.2 and .p99_ms == 1.6 and .tsung.mean_rate == 0.667'
assert_json "$S" '.counters == {"dropped_users":2,"finish_users_count":15,"size_rcv":35840,"size_sent":3500,"users_count":15}'
assert_json "$S" '.http_status == {"200":66,"500":4} and .errors == {"error_timeout":3}'
# errors.rate: failed attempts over attempted requests (66 + 4 responses + 3 timeouts = 73);
# the 2 dropped users are beside it, not inside it.
assert_json "$S" '.errors_total == 3 and .error_rate == 0.041 and .failed_attempts == 3 and .attempts == 73 and .dropped_users == 2'
grep -q '^error rate 4.11% (3 failed of 73 attempts); dropped users 2$' "$TEST_DIR/out.txt" || fail "error rate line" 
assert_json "$S" '.gauges.users.max == 9 and .gauges.users.last == 0 and .gauges.connected.max == 7'
assert_json "$S" '[.thresholds[] | [.metric, .value, .ok]] == [["request.p95",2,true],["errors.rate",0.041,false],["request.count",70,true],["tr_login.p99",1.6,false]]'
assert_json "$S" '.thresholds_failed == 2'
assert_json "$S" '.agents[0] | .id == "local-1" and .host == "localhost" and .cpu_max == 0.9 and .loop_lag_max_ms == 25 and .saturated == true and .lost == false and .dropped == 2 and .cpu_mean == 0.567'
assert_json "$S" '.agents[1] | .id == "local-2" and .cpu_max == 0.5 and .saturated == false'
assert_json "$S" '[.events[].what] == ["agent_saturated"] and .gaps == []'

# ---- report.html: every table cell ----
H=$run/report.html
cell() { grep -o "data-cell=\"$1\">[^<]*" "$H" | head -1 | sed 's/^[^>]*>//'; }
check() { local got; got=$(cell "$1"); [ "$got" = "$2" ] || fail "report cell $1: '$got', expected '$2'"; }
# Main Statistics (Tsung's columns, then percentiles)
check request.highest_10sec_mean "1.50 msec"; check request.lowest_10sec_mean "0.750 msec"
check request.highest_rate "4.00 / sec";      check request.mean_rate "2.33 / sec"
check request.mean "1.21 msec";               check request.count 70
check request.p50 "1.00 ms"; check request.p90 "2.00 ms"; check request.p95 "2.00 ms"
check request.p99 "2.00 ms"; check request.p999 "2.00 ms"; check request.max "2.00 ms"
check page.highest_10sec_mean "1.80 msec"; check page.lowest_10sec_mean "1.50 msec"
check page.highest_rate "1.00 / sec"; check page.mean_rate "0.50 / sec"; check page.mean "1.60 msec"
check page.count 15; check page.p50 "1.50 ms"; check page.p90 "1.80 ms"; check page.max "1.80 ms"
check connect.highest_10sec_mean "0.100 msec"; check connect.lowest_10sec_mean "0.100 msec"
check connect.highest_rate "0.40 / sec"; check connect.mean_rate "0.20 / sec"; check connect.count 4
check connect.p99 "0.100 ms"
check session.mean "1.90 msec"; check session.count 2; check session.mean_rate "0.20 / sec"
# Transactions
check tr_login.highest_10sec_mean "1.60 msec"; check tr_login.lowest_10sec_mean "1.20 msec"
check tr_login.highest_rate "1.00 / sec"; check tr_login.mean_rate "0.67 / sec"
check tr_login.mean "1.40 msec"; check tr_login.count 20; check tr_login.p50 "1.20 ms"; check tr_login.p95 "1.60 ms"
# Network Throughput: bits/s like Tsung (2048 B/s * 8 = 16 Kbits), totals in bytes
check size_rcv.highest_rate "16.00 Kbits/sec"; check size_rcv.mean_rate "9.33 Kbits/sec"
check size_rcv.total "35.00 KB"; check size_sent.highest_rate "1.56 Kbits/sec"; check size_sent.total "3.42 KB"
# Counters
check users_count.highest_rate "1.00 / sec"; check users_count.mean_rate "0.50 / sec"; check users_count.total 15
check finish_users_count.highest_rate "0.70 / sec"; check finish_users_count.mean_rate "0.50 / sec"
check dropped_users.total 2; check dropped_users.mean_rate "0.20 / sec"
check users.max 9; check connected.max 7
# HTTP return code
check http_200.highest_rate "3.80 / sec"; check http_200.mean_rate "2.20 / sec"; check http_200.total 66
check http_200.share "94.29%"; check http_500.highest_rate "0.20 / sec"; check http_500.mean_rate "0.13 / sec"
check http_500.total 4
# Errors
check error_timeout.highest_rate "0.30 / sec"; check error_timeout.mean_rate "0.15 / sec"; check error_timeout.total 3
# Thresholds
check request.p95.measured "2.00 ms"; check errors.rate.measured "4.11%"; check request.count.measured 70
check tr_login.p99.measured "1.60 ms"
grep -q 'data-cell="request.p95.result"><span class="badge pass">PASS' "$H" || fail "p95 threshold not PASS"
grep -q 'data-cell="errors.rate.result"><span class="badge fail">FAIL' "$H" || fail "errors.rate not FAIL"
grep -q 'data-cell="verdict">THRESHOLDS FAILED' "$H" || fail "verdict badge"
# Agents
check local-1.cpu_max 0.90; check local-1.cpu_mean 0.57; check local-1.lag_max "25.00 ms"
check local-1.dropped 2; check local-1.intervals 3; check local-1.share "50%"; check local-2.cpu_max 0.50
grep -q 'data-cell="local-1.status"><span class="badge warnb">SATURATED (1)' "$H" || fail "local-1 not marked saturated"
grep -q 'data-cell="local-2.status"><span class="badge pass">OK' "$H" || fail "local-2 not OK"
grep -q 'data-cell="saturation"' "$H" || fail "no saturation warning in the report"
# Tiles
check tile.requests 70; check tile.p95 "2.00 ms"; check tile.errors "3 (4.11%)"; check tile.dropped_users 2; check tile.users_max 9
# Settings
grep -q 'open model; phase 1: 30s at 1.5 users/s' "$H" || fail "load settings"
# Charts: inline SVG, no script, nothing external
[ "$(grep -c '<svg' "$H")" -ge 8 ] || fail "fewer than 8 charts"
! grep -qiE '<script|src="http|href="http|@import|url\(http' "$H" || fail "external reference or script"

# ---- junit.xml ----
J=$run/junit.xml
grep -q 'tests="4" failures="2"' "$J" || fail "junit counts"
[ "$(grep -c '<testcase' "$J")" = 4 ] || fail "junit: one test case per threshold"
[ "$(grep -c '<failure' "$J")" = 2 ] || fail "junit: two failures"
grep -q 'name="errors.rate &lt; 1%"' "$J" || fail "junit escapes the condition"
grep -q 'message="tr_login.p99 = 1.6 ms, expected &lt; 1ms"' "$J" || fail "junit failure message"
if command -v xmllint >/dev/null; then xmllint --noout "$J" || fail "junit.xml is not well-formed"; fi

# ---- tsung.log ----
T=$run/tsung.log
assert_eq "$(grep -c '^# stats: dump at' "$T")" 4 "an empty opening dump and one per interval"
grep -qx 'stats: request 40 1.500000 0.500000 2.000 0.500 0.750000 20' "$T" || fail "tsung.log interval line"
grep -qx 'stats: page 0 0.000000 0.000000 1.500 1.500 1.500000 10' "$T" || fail "tsung.log zero interval"
grep -qx 'stats: request 10 1.000000 0.500000 2.000 0.500 1.214286 70' "$T" || fail "closing dump totals"
grep -qx 'stats: 200 10 66' "$T" || fail "status counter"
grep -qx 'stats: users 7 9' "$T" || fail "users gauge"
echo "all cells match"
