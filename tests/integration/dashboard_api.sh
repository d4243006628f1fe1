#!/usr/bin/env bash
# timeout: 150
# The live dashboard of `barrage run --dashboard 127.0.0.1:0` (docs/dashboard.md): the page,
# dygraphs and the API are served from the binary; /api/status carries the latest interval in
# the stats.log shape; /api/stream sends one event per merged interval; control is refused
# without the token (403), from another origin (403), with a bad body (400), an oversized one
# (413) or the wrong method (405); a non-loopback address needs --dashboard-public.
# `barrage ctl ... rate x3` triples the open model's arrival rate (the target counts it), the
# change is a "control" event in stats.log and in report.html, and `ctl stop` ends the run.
source "$(dirname "$0")/../lib.sh"

start_server tgt target
cd "$TEST_DIR"
open_scenario it-dash 60s 30 >open.yaml

# A non-loopback address without --dashboard-public is a usage error, before any load.
set +e
"$BARRAGE" run open.yaml --out refused --dashboard 0.0.0.0:0 >/dev/null 2>refused.err
rc=$?
set -e
assert_eq "$rc" 2 "exit code of a public dashboard without --dashboard-public"
grep -q 'dashboard-public' refused.err || { cat refused.err; fail "no hint at --dashboard-public"; }
set +e
"$BARRAGE" run open.yaml --out bad --dashboard 127.0.0.1:99999 >/dev/null 2>bad.err
rc=$?
set -e
assert_eq "$rc" 2 "exit code of a bad dashboard port"

start_run open.yaml run --dashboard 127.0.0.1:0 --dashboard-linger 60s
url=$(dashboard_url run.err)
[ -n "$url" ] || { cat run.err; fail "no dashboard URL printed"; }
hp=${url#http://}; hp=${hp%%/*}
tok=${url##*token=}
[ ${#tok} = 32 ] || fail "token '$tok' is not 128 bits of hex"
base=http://$hp

# The page and its scripts, from the binary; the page allows nothing but this server.
curl -s -D page.h -o page.html "$base/"
grep -qi '^content-security-policy:.*script-src .self.' page.h || fail "no CSP on the page"
grep -q '<script src="/dygraph.min.js">' page.html || fail "page does not load dygraphs"
curl -s -o dy.js "$base/dygraph.min.js"
cmp -s dy.js /usr/share/javascript/dygraphs/dygraph.min.js || fail "dygraph.min.js differs from Debian's"
curl -s "$base/dashboard.js" | grep -q EventSource || fail "dashboard.js missing"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$base/nope")" 404 "unknown path"
# DNS rebinding: a request for another name is refused, even to read.
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -H 'Host: rebind.example:8091' "$base/api/status")" 403 "foreign Host"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Host: localhost:${hp##*:}" "$base/api/status")" 200 "Host localhost"

# Status: the latest interval in the same shape as a stats.log line.
curl -s "$base/api/status" >status.json
assert_json status.json '.version == 1 and .run.name == "it-dash" and .run.model == "open"'
assert_json status.json '.interval.type == "interval" and (.interval.hists.request.n >= 0)'
assert_json status.json '.agents.total == 2 and (.thresholds | length) == 1'
i=$(jq '.interval.i' status.json)
grep "\"type\":\"interval\",\"i\":$i," run/stats.log | jq -S 'del(.type)' >line.json
jq -S '.interval | del(.type)' status.json >st_line.json
cmp -s line.json st_line.json || { diff line.json st_line.json | head; fail "status interval differs from stats.log"; }

# The stream: an event per merged interval.
timeout 4 curl -s -N "$base/api/stream" >stream.txt || true
n=$(grep -c '^event: interval' stream.txt || true)
[ "$n" -ge 2 ] || { cat stream.txt | head -c 500; fail "only $n interval events in 4 s"; }
awk '/^event: interval/{getline; sub(/^data: /, ""); print; exit}' stream.txt | jq -e '.summary.i >= 0 and .interval.type == "interval"' >/dev/null \
  || fail "stream event is not {summary, interval}"

# Control refused: no token, wrong token, another origin, bad bodies, wrong method.
post() { # post EXPECTED_STATUS BODY [CURL ARGS...]
  local want=$1 body=$2; shift 2
  local got; got=$(curl -s -o post.out -w '%{http_code}' -X POST --data-binary "$body" "$@" "$base/api/control")
  [ "$got" = "$want" ] || { cat post.out; fail "POST $body ($*): HTTP $got, expected $want"; }
}
auth=(-H "Authorization: Bearer $tok")
post 403 '{"action":"rate","factor":2}'
post 403 '{"action":"rate","factor":2}' -H "Authorization: Bearer 0123456789abcdef0123456789abcdef"
post 403 '{"action":"rate","factor":2}' -H "Authorization: Bearer $tok" -H "Origin: http://evil.example"
post 400 '{"action":"explode"}' "${auth[@]}"
grep -q "unknown action 'explode'" post.out || fail "unknown action not named: $(cat post.out)"
post 400 '{"action":"rate","factor":-1}' "${auth[@]}"
post 400 '{"action":"rate","factor":0}' "${auth[@]}"
post 400 '{"action":"rate"}' "${auth[@]}"
post 400 '{"action":"rate","factor":2' "${auth[@]}"
grep -q 'malformed JSON' post.out || fail "malformed JSON not said: $(cat post.out)"
post 400 '[1,2]' "${auth[@]}"
post 400 '{"action":"users","users":10}' "${auth[@]}"   # the open model has no fixed users
grep -q 'open model' post.out || fail "users on the open model not explained"
big=$(head -c 8000 /dev/zero | tr '\0' 'x')
post 413 "{\"action\":\"stop\",\"pad\":\"$big\"}" "${auth[@]}"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "$base/api/control")" 405 "GET /api/control"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d x "$base/api/status")" 405 "POST /api/status"
# Same origin from the page is fine (a harmless change: x1).
post 200 '{"action":"rate","factor":1}' "${auth[@]}" -H "Origin: http://$hp"
# The token in the query works as well as the header.
curl -s -o post.out -w '%{http_code}' -X POST -d '{"action":"rate","factor":1}' "$base/api/control?token=$tok" | grep -q 200 \
  || fail "?token= refused"
grep -c '"what":"control"' run/stats.log | grep -q '^2$' || fail "two x1 changes should be two control events"

# barrage ctl: bad words are usage errors; a wrong token is refused.
set +e
"$BARRAGE" ctl "$hp" --token "$tok" rate >/dev/null 2>ctl.err; rc1=$?
"$BARRAGE" ctl "$hp" --token "$tok" jump >/dev/null 2>>ctl.err; rc2=$?
"$BARRAGE" ctl "$hp" --token nottheone rate x2 >/dev/null 2>>ctl.err; rc3=$?
"$BARRAGE" ctl "$hp" --token "$tok" rate x-2 >/dev/null 2>>ctl.err; rc4=$?
set -e
assert_eq "$rc1 $rc2 $rc3 $rc4" "2 2 3 3" "ctl exit codes (missing value, unknown action, wrong token, negative factor)"
grep -q 'HTTP 403' ctl.err || fail "ctl with a wrong token: $(cat ctl.err)"

# Rate x3: intervals after the change carry about three times the requests of those before.
sleep 2
before_i=$(grep -c '"type":"interval"' run/stats.log)
"$BARRAGE" ctl "$url" rate x3 >ctl.out || fail "ctl rate x3 failed"
jq -e '.ok and .load.rate_scale == 3' ctl.out >/dev/null || fail "ctl answer: $(cat ctl.out)"
for _ in $(seq 1 200); do
  [ "$(grep -c '"type":"interval"' run/stats.log)" -ge $((before_i + 5)) ] && break; sleep 0.1
done
"$BARRAGE" ctl "$hp" --token "$tok" stop >/dev/null || fail "ctl stop failed"
# --dashboard-linger: the page stays up after the reports, saying the run is over; Ctrl-C ends it.
for _ in $(seq 1 300); do
  [ "$(curl -s "$base/api/status" | jq -r .phase)" = over ] && break; sleep 0.1
done
assert_eq "$(curl -s "$base/api/status" | jq -r .phase)" over "phase while lingering"
[ -s run/summary.json ] || fail "reports not written before lingering"
assert_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: Bearer $tok" -d '{"action":"pause"}' "$base/api/control")" 409 "control after the run"
kill -INT "$RUN_PID"
set +e
wait "$RUN_PID"; rc=$?
set -e
assert_eq "$rc" 0 "exit code of a run stopped by control"
assert_json run/summary.json '.version == 1'
jq -s '[.[] | select(.type == "end")][0].reason' run/stats.log | grep -q '"stopped"' || fail "end reason is not stopped"
# Requests per interval: the two whole intervals before the change and the intervals from the
# second after it until the stop.
change_t=$(jq -s '[.[] | select(.type=="event" and .what=="control" and .rate_scale==3)][0].t' run/stats.log)
jq -s --argjson t "$change_t" '
  [.[] | select(.type=="interval")] as $iv
  | ([$iv[] | select((.i + 1) <= $t and .i >= 1) | .hists.request.n] | add / length) as $before
  | ([$iv[] | select(.i >= ($t + 1) and .i < ($iv | length) - 1) | .hists.request.n]) as $after
  | {before: $before, after: (($after | add) / ($after | length)), n_after: ($after | length)}' run/stats.log >rates.json
cat rates.json
assert_json rates.json '.n_after >= 2' "intervals after the change"
assert_json rates.json '.after > 2 * .before and .after < 4.5 * .before' "rate x3 took effect"
# What the target served is what the run counted.
served=$(curl -s "http://127.0.0.1:$tgt_PORT/__stats" | jq '.requests')
assert_eq "$(jq '.stats.request.count' run/summary.json)" "$served" "summary request.count vs the target"
grep -q 'rate x3' run/report.html || fail "report.html does not show the runtime change"
# ... and its time charts mark it with a dashed blue line (reports/charts.c).
if command -v gnuplot >/dev/null; then
  grep -q "stroke='rgb( 31,  79, 216)' stroke-dasharray" run/report.html || fail "no change marker on the charts"
fi
