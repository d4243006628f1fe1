#!/usr/bin/env bash
# timeout: 90
# Acceptance: the step kinds, captures, expectations, template functions and conditions of
# the scenario language, checked by what the test target recorded (--record) and by summary.json.
# while (with max), set, foreach over a pick: all list, abort, if with && || ! and strings;
# captures json/regex/header/cookie/status; expect status list/class, body.regex, header;
# on_fail continue/abort/restart; random_int, random_string, uuid, user_id, now_ms.
source "$(dirname "$0")/../lib.sh"

start_server tgt target --record "$TEST_DIR/rec.jsonl"
start_server vote voting --data-dir "$TEST_DIR/vdata" --accounts 20
cd "$TEST_DIR"
T=http://127.0.0.1:$tgt_PORT
{ echo user,password; for i in $(seq 1 20); do echo "user$i,pw-user$i"; done; } >accounts.csv

# Requests per session count: 10 (hdr, login, candidates, 5 foreach, 3 while, yes, cont, nf)
# minus none; /never must never be seen.
cat >steps.yaml <<YAML
name: step-kinds
target: http://127.0.0.1:$vote_PORT
load: { users: 2, duration: 1s }
data:
  accounts: { file: accounts.csv, order: random }
variables: { who: alice }
sessions:
  - name: s
    steps:
      - request: { url: "$T/hdr?header=X-Tok:abc123", name: hdr }
        expect: { header: { X-Tok: abc123 } }
        capture:
          tok: { header: X-Tok }
          st: { status: true }
          word: { regex: 'X-(T)ok' , default: none }
      - request: { method: POST, url: /login, json: { user: "{{ accounts.user }}", password: "{{ accounts.password }}" } }
        expect: { status: [200, 201], header: { Content-Type: application/json } }
        capture: { sid: { cookie: sid }, code: { status: true } }
      - request: { url: /candidates }
        expect: { status: 2xx, body: { regex: '"id":\d+' } }
        capture:
          ids: { json: "\$.candidates[*].id", pick: all }
          first: { json: "\$.candidates[0].name" }
      - foreach: ids
        as: id
        steps:
          - request: { url: "$T/fe?id={{ id }}&sid={{ sid }}&first={{ first }}&code={{ code }}", name: fe }
      - set: { n: 0, s: "{{ random_string(8) }}" }
      - while: "n < 3"
        max: 10
        steps:
          - request: { url: "$T/w?n={{ n }}&r={{ random_int(1, 9) }}&u={{ uuid() }}&id={{ user_id() }}&t={{ now_ms() }}&s={{ s }}", name: w }
          - set: { n: "{{ n + 1 }}" }
      - if: "tok == 'abc123' && (st == 200 || !(n >= 3)) && who != 'bob'"
        then:
          - request: { url: "$T/yes" }
        else:
          - request: { url: "$T/no" }
      - request: { url: "$T/x?status=503", name: cont }
        expect: { status: 200, on_fail: continue }
      - request: { url: "$T/x?status=404", name: nf }
        expect: { status: 4xx }
      - think: 5ms
      - think: { mean: 5ms, distribution: exponential }
      - abort: "done"
      - request: { url: "$T/never" }
agents: { local: 2 }
report: { interval: 1s }
YAML
"$BARRAGE" check steps.yaml >check.out || fail "check rejected the step kinds"
"$BARRAGE" run -q steps.yaml --out r >run.out 2>run.err || { cat run.err >&2; fail "run failed"; }
S=r/summary.json
jq -r .url rec.jsonl >urls.txt
urls() { jq -r .url rec.jsonl | sed 's/?.*//' | sort | uniq -c | awk -v p="$1" '$2==p{print $1}'; }
sessions=$(urls /hdr)
[ "${sessions:-0}" -gt 0 ] || fail "no session ran"
# Sessions still running when the load ends are stopped there: the counts below allow for the
# users cut short (at most one per user slot, 2 here).
finished=$(jq -r .counters.finish_users_count r/summary.json)
between() { [ "${1:-0}" -ge "$2" ] && [ "${1:-0}" -le "$3" ] || fail "$4: ${1:-0} not in [$2, $3]"; }
between "$(urls /fe)" $((finished * 5)) $((sessions * 5)) "foreach ran once per candidate"
between "$(urls /w)" $((finished * 3)) $((sessions * 3)) "while ran 3 times"
between "$(urls /yes)" "$finished" "$sessions" "if took the then branch"
[ $((sessions - finished)) -le 2 ] || fail "$sessions sessions started, $finished finished"
assert_eq "$(urls /no)" "" "if took the else branch"
assert_eq "$(urls /never)" "" "abort did not stop the session"
between "$(urls /x)" $((finished * 2)) $((sessions * 2)) "on_fail continue did not continue"
# Captures reached the templates: cookie, json, status.
grep -Eq '^/fe\?id=[1-5]&sid=[0-9a-f]{16,}&first=Aurora&code=200$' urls.txt \
  || fail "captures not substituted: $(grep -m1 '^/fe' urls.txt)"
# Template functions.
grep -Eq '^/w[?]n=[0-9]&r=[1-9]&u=[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}&id=[0-9]+&t=[0-9]{13}&s=[A-Za-z0-9]{8}$' urls.txt \
  || fail "template functions: $(grep -m1 '^/w' urls.txt)"
# uuid differs per request; user_id differs per user.
assert_eq "$(jq -r .url rec.jsonl | grep '^/w' | sed 's/.*u=\([^&]*\).*/\1/' | sort | uniq -d | wc -l)" 0 "uuid repeated"
assert_eq "$(jq -r .url rec.jsonl | grep '^/w?n=0' | sed 's/.*&id=\([0-9]*\).*/\1/' | sort | uniq -d | wc -l)" 0 "user_id repeated across users"
# Each failure counted by name; the 503 with on_fail: continue is error_expect_status.
assert_json "$S" ".errors.error_expect_status >= $finished and .errors.error_expect_status <= $sessions"
assert_json "$S" '.errors | keys | map(select(startswith("error_abort"))) | length == 1'
assert_json "$S" '.http_status["503"] > 0 and .http_status["404"] > 0'
assert_json "$S" '(.stats | has("req_fe")) and (.stats | has("req_w"))' "request name groups"

# on_fail: abort (the default) ends the session; on_fail: restart starts it over.
cat >fail.yaml <<YAML
name: step-onfail
target: $T
load: { users: 1, duration: 1s }
sessions:
  - name: s
    steps:
      - request: { url: "/a?header=X-Mode:red", name: a }
        expect: { header: { X-Mode: blue } }
      - request: { url: /never2 }
agents: { local: 1 }
YAML
"$BARRAGE" run -q fail.yaml --out f >/dev/null 2>f.err || { cat f.err >&2; fail "abort run failed"; }
assert_eq "$(urls /never2)" "" "on_fail abort (default) did not end the session"
assert_json f/summary.json '.errors.error_expect_header == .stats.request.count'
sed -i 's/X-Mode: blue } }/X-Mode: blue }, on_fail: restart }/; s/never2/never3/; s/step-onfail/step-restart/' fail.yaml
"$BARRAGE" run -q fail.yaml --out g >/dev/null 2>g.err || { cat g.err >&2; fail "restart run failed"; }
assert_eq "$(urls /never3)" "" "on_fail restart went on"
assert_json g/summary.json '.stats.request.count > 1 and .errors.error_expect_header == .stats.request.count'

# Conditions: numbers compare as numbers, strings as strings; && binds tighter than ||.
cat >cond.yaml <<YAML
name: step-cond
target: $T
load: { users: 1, duration: 300ms }
variables: { s1: abc, s2: abd, n1: "10", n2: 9 }
sessions:
  - name: s
    steps:
      - if: 's1 < s2'
        then: [ { request: { url: /c1-yes } } ]
        else: [ { request: { url: /c1-no } } ]
      - if: 'n1 > n2'
        then: [ { request: { url: /c2-yes } } ]
        else: [ { request: { url: /c2-no } } ]
      - if: '!(s1 == "abc") || n2 <= 9 && s2 != s1'
        then: [ { request: { url: /c3-yes } } ]
        else: [ { request: { url: /c3-no } } ]
      - if: '1 == 2 || 2 == 2 && 3 == 4'
        then: [ { request: { url: /c4-yes } } ]
        else: [ { request: { url: /c4-no } } ]
      - if: 's1 >= "abc" && n1 == 10.0'
        then: [ { request: { url: /c5-yes } } ]
        else: [ { request: { url: /c5-no } } ]
      - abort:
agents: { local: 1 }
YAML
"$BARRAGE" run -q cond.yaml --out cond >/dev/null 2>c.err || { cat c.err >&2; fail "cond run failed"; }
jq -r .url rec.jsonl | grep '^/c[0-9]-' | sort -u >conds.txt
assert_eq "$(tr '\n' ' ' <conds.txt)" "/c1-yes /c2-yes /c3-yes /c4-no /c5-yes " "conditions"
assert_json cond/summary.json '.errors | has("error_abort")' "bare abort counts error_abort"
echo "steps: $sessions sessions"
