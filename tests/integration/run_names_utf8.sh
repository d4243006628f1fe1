#!/usr/bin/env bash
# timeout: 90
# Names are any UTF-8 text: an abort reason, a transaction and a request name with spaces,
# quotes, a backslash, a tab, markup characters and non-ASCII letters go through the STATS
# frame (two agents), stats.log, summary.json, thresholds, report.html (escaped, charts still
# valid SVG), junit.xml and tsung.log (escaped as =XX, which Tsung's tsung_stats.pl reads as
# one statistic each). The run completes with exit 0 and counts them. What a name cannot hold
# (a control character) is refused by `barrage check` with file:line:col.
source "$(dirname "$0")/../lib.sh"

start_server tgt target
cd "$TEST_DIR"

# The reason and names as YAML double-quoted scalars, and as the text they stand for.
cat >names.yaml <<YAML
name: names
target: http://127.0.0.1:$tgt_PORT
load:
  users: 2
  duration: 2s
sessions:
  - name: s
    steps:
      - transaction: "Log in <&> 'q' \"dq\" \\\\ tab\there ü/x,y:z@w %20c = v1.2"
        steps:
          - request: { url: "/?status=200", name: "home — ü" }
      - think: 20ms
      - abort: "no credit — \"x\" ü"
thresholds:
  "tr_Log in <&> 'q' \"dq\" \\\\ tab\there ü/x,y:z@w %20c = v1.2.p95": "< 10s"
  "error_abort_no credit — \"x\" ü.count": "> 0"
agents:
  local: 2
report:
  interval: 1s
YAML
reason='error_abort_no credit — "x" ü'
tr=$'tr_Log in <&> \'q\' "dq" \\ tab\there ü/x,y:z@w %20c = v1.2'
req='req_home — ü'

"$BARRAGE" check names.yaml >/dev/null || fail "check refused the names"
rc=0
"$BARRAGE" run -q names.yaml --out run >run.out 2>run.err || rc=$?
[ "$rc" = 0 ] || { cat run.err >&2; fail "run with UTF-8 names exited $rc"; }
S=run/summary.json
jq -e --arg r "$reason" '.errors[$r] > 0' "$S" >/dev/null || fail "abort reason counted under its name"
jq -e --arg r "$reason" '.errors | keys == [$r]' "$S" >/dev/null || fail "no other error"
jq -e --arg t "$tr" '.stats[$t].count > 0' "$S" >/dev/null || fail "transaction timed under its name"
jq -e --arg t "$req" '.stats[$t].count > 0' "$S" >/dev/null || fail "named request timed under its name"
assert_json "$S" '[.thresholds[] | .ok] == [true, true]' "both thresholds measured and passing"
assert_json "$S" '.agents | length == 2' "two agents"
grep -q '"type":"event".*agent_lost' run/stats.log && fail "an agent was lost"

# The console table prints whole names (never cut inside a character).
"$BARRAGE" report run >report.txt 2>&1 || true
grep -qxF "$tr" report.txt || { cat report.txt; fail "console table cut the transaction name"; }
grep -q "^req_home — ü  *[0-9]" report.txt || { cat report.txt; fail "console table lost the request name"; }

# report.html: the names appear HTML-escaped and every chart is well-formed SVG.
grep -qF 'tr_Log in &lt;&amp;&gt; &#39;q&#39; &quot;dq&quot; \ tab' run/report.html ||
  fail "transaction name not in report.html"
grep -qF 'error_abort_no credit — &quot;x&quot; ü' run/report.html || fail "reason not in report.html"
if command -v python3 >/dev/null; then
  python3 - run/report.html <<'PY' || fail "a chart in report.html is not well-formed SVG"
import re, sys, xml.dom.minidom
h = open(sys.argv[1], encoding="utf-8").read()
for s in re.findall(r"<svg.*?</svg>", h, re.S):
    xml.dom.minidom.parseString(s)
PY
fi
if command -v xmllint >/dev/null; then xmllint --noout run/junit.xml || fail "junit.xml is not XML"; fi

# tsung.log: one token per name, escaped as =XX, UTF-8 kept.
grep -q '^stats: error_abort_no=20credit=20—=20=22x=22=20ü [0-9]* [0-9]*$' run/tsung.log ||
  fail "abort reason not escaped in tsung.log"
grep -q '^stats: tr_Log=20in=20=3C=26=3E=20=27q=27=20=22dq=22=20=5C=20tab=09here=20ü=2Fx=2Cy=3Az=40w=20=2520c=20=3D=20v1.2 ' run/tsung.log ||
  fail "transaction not escaped in tsung.log"
awk '/^stats: / && NF != 4 && NF != 9 { bad = 1 } END { exit bad }' run/tsung.log ||
  fail "a tsung.log line does not split into name and figures"
TSUNG_STATS=
for c in /usr/lib/x86_64-linux-gnu/tsung/bin/tsung_stats.pl /usr/lib/tsung/bin/tsung_stats.pl; do
  [ -z "$TSUNG_STATS" ] && [ -f "$c" ] && TSUNG_STATS=$c
done
if [ -n "$TSUNG_STATS" ] && perl -MTemplate -e1 2>/dev/null; then
  mkdir ts && cp run/tsung.log ts/
  (cd ts && perl "$TSUNG_STATS" --noplot >out.txt 2>&1) || { cat ts/out.txt; fail "tsung_stats.pl failed"; }
  [ -f 'ts/data/error_abort_no=20credit=20—=20=22x=22=20ü.txt' ] || fail "tsung_stats.pl lost the reason"
  grep -q '<td class="stats">tr_Log=20in' ts/report.html || fail "tsung_stats.pl lost the transaction"
fi

# What a name cannot carry is refused before any load, at the character.
sed 's/      - abort: .*/      - abort: "bad\\x01one"/' names.yaml >ctl.yaml
rc=0
"$BARRAGE" check ctl.yaml >/dev/null 2>ctl.err || rc=$?
assert_eq "$rc" 2 "check of a control character"
grep -q '^barrage: ctl.yaml:13:20: abort reason holds a control character (byte 0x01)' ctl.err ||
  { cat ctl.err; fail "control character not refused at file:line:col"; }
long=$(printf 'y%.0s' $(seq 1 189))
sed "s/      - abort: .*/      - abort: $long/" names.yaml >long.yaml
rc=0
"$BARRAGE" check long.yaml >/dev/null 2>long.err || rc=$?
assert_eq "$rc" 2 "check of a 189-byte reason"
grep -q '^barrage: long.yaml:13:16: abort reason is 189 bytes long; at most 188 fit' long.err ||
  { cat long.err; fail "long reason not refused"; }
echo "names survive"
