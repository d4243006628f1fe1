#!/usr/bin/env bash
# timeout: 120
# report.html in a real browser: headless Chromium opens it from file:// with networking off,
# takes a 1280 px wide screenshot (kept as tests/out/report_browser.png), and the page must be
# self-contained: tables and non-empty inline SVG charts, no script, no external resource.
source "$(dirname "$0")/../lib.sh"

"$BARRAGE" report --help >/dev/null 2>&1 || skip "barrage report is not wired in this build"
command -v gnuplot >/dev/null || skip "gnuplot missing (Debian gnuplot-nox): no charts to check"
run=$TEST_DIR/run; mkdir -p "$run"
cp "$TESTS_SRC/fixtures/runs/large/stats.log" "$run/"
"$BARRAGE" report -q "$run" || fail "report: exit $?"
H=$run/report.html

# Static checks first: they need no browser.
nsvg=$(grep -c '<svg' "$H")
[ "$nsvg" -ge 10 ] || fail "only $nsvg charts"
# Every chart has drawn paths (a curve), not just an empty frame.
[ "$(grep -o '<svg' "$H" | wc -l)" -le "$(grep -c '<path' "$H")" ] || fail "charts without paths"
! grep -qiE '<script|<link |<img |<iframe|src=|href="(https?:|//)|@import|url\((https?:|//)' "$H" \
  || fail "report.html references something outside itself"
grep -q '<table' "$H" || fail "no tables"

BROWSER=
for b in chromium chromium-browser google-chrome; do command -v "$b" >/dev/null && { BROWSER=$b; break; }; done
[ -n "$BROWSER" ] || skip "no chromium (Debian package chromium): static checks passed, screenshot skipped"
out=$(cd "$(dirname "$0")/.." && pwd)/out
mkdir -p "$out"
png=$out/report_browser.png
rm -f "$png"
profile=$(mktemp -d)
timeout 90 "$BROWSER" --headless --no-sandbox --disable-gpu --disable-background-networking \
  --disable-component-update --disable-sync --no-first-run --disable-extensions \
  --user-data-dir="$profile" --screenshot="$png" --window-size=1280,2000 \
  "file://$H" >"$TEST_DIR/browser.log" 2>&1 || { cat "$TEST_DIR/browser.log"; fail "browser failed"; }
rm -rf "$profile"
[ -s "$png" ] || fail "no screenshot"
size=$(stat -c %s "$png")
# A blank 1280x2000 page compresses to a few kB; a rendered report is well over 50 kB.
[ "$size" -gt 50000 ] || fail "screenshot of $size bytes looks blank"
# PNG signature and the requested width (IHDR width field, bytes 16-19).
[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || fail "not a PNG"
width=$(od -An -tu1 -j16 -N4 "$png" | awk '{print $1*16777216 + $2*65536 + $3*256 + $4}')
assert_eq "$width" 1280 "screenshot width"
# The browser must not have tried to fetch anything over the network.
! grep -qiE 'net::ERR|Failed to load resource' "$TEST_DIR/browser.log" || { cat "$TEST_DIR/browser.log"; fail "missing resource"; }
echo "screenshot: $png ($size bytes)"
