#!/usr/bin/env bash
# timeout: 180
# The dashboard in real headless Chromium (Debian's chromium, driven by playwright-core from npm,
# cached like import_har_chromium.sh does): the page loads from the controller, its figures
# update with each interval, its charts draw; without the token the controls are hidden and a
# POST from the page is refused (403); with it, "rate x3" from the page triples the rate the
# target itself counts (its /__stats), and the change is listed. A screenshot is kept as
# tests/out/dashboard_browser.png.
source "$(dirname "$0")/../lib.sh"

pw_version=1.65.2
cache=${BARRAGE_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/barrage-tests}/playwright-core-$pw_version
command -v node >/dev/null && command -v chromium >/dev/null || skip "node or chromium missing"
if [ ! -d "$cache/node_modules/playwright-core" ] && command -v npm >/dev/null; then
  mkdir -p "$cache"
  timeout 120 npm install --no-audit --no-fund --prefix "$cache" "playwright-core@$pw_version" \
    >"$TEST_DIR/npm.log" 2>&1 || { cat "$TEST_DIR/npm.log"; rm -rf "$cache/node_modules"; }
fi
[ -d "$cache/node_modules/playwright-core" ] || skip "playwright-core unavailable (npm)"

start_server tgt target
cd "$TEST_DIR"
open_scenario it-dash-browser 90s 30 >open.yaml
start_run open.yaml run --dashboard 127.0.0.1:0
url=$(dashboard_url run.err)
[ -n "$url" ] || { cat run.err; fail "no dashboard URL"; }
out=$TESTS_SRC/out
mkdir -p "$out"
png=$out/dashboard_browser.png
rm -f "$png"
CHROMIUM=$(command -v chromium) timeout 150 node "$TESTS_SRC/fixtures/dashboard/drive.js" \
  "$cache/node_modules/playwright-core" "$url" "$tgt_PORT" "$png" >drive.out 2>drive.err \
  || { cat drive.err; fail "driving the dashboard failed"; }
"$BARRAGE" ctl "$url" stop >/dev/null || fail "ctl stop"
wait "$RUN_PID" || fail "run exited $?"
tail -1 drive.out >seen.json
cat seen.json
assert_json seen.json '.readonly_control_hidden == true' "controls shown without the token"
assert_json seen.json '.readonly_post_status == 403' "control from the page without the token"
assert_json seen.json '.interval_updates[1] > .interval_updates[0]' "figures did not update"
assert_json seen.json '.charts >= 6' "charts not drawn"
assert_json seen.json '.msg == "done: rate"' "control from the page"
assert_json seen.json '.rate_before > 10 and .rate_after > 2 * .rate_before' "the target's rate did not follow x3"
assert_json seen.json '.page_errors == []' "script errors on the page"
[ -s "$png" ] || fail "no screenshot"
jq -s '[.[] | select(.type=="event" and .what=="control" and .action=="rate")] | length' run/stats.log | grep -qx 1 || fail "control event"
echo "screenshot: $png ($(stat -c %s "$png") bytes)"
