#!/usr/bin/env bash
# timeout: 60
# form: bodies are application/x-www-form-urlencoded as a whole: literal names and values are
# percent-encoded like the values templates render, so "x y&z=1" stays one field.
source "$(dirname "$0")/../lib.sh"
start_server tgt target --record "$TEST_DIR/record.jsonl"
cd "$TEST_DIR"
cat >f.yaml <<YAML
name: it-form
target: http://127.0.0.1:$tgt_PORT
load: { users: 1, duration: 1s }
variables: { v: "x y&z=1" }
sessions:
  - name: s
    steps:
      - request: { method: POST, url: /f, form: { "a b": "1 2", b: "{{ v }}", c: "é&{{ v }}" } }
      - abort: done
agents: { local: 1 }
report: { interval: 1s }
YAML
"$BARRAGE" run f.yaml --out run -q >/dev/null 2>err.txt || { cat err.txt; fail "run failed"; }
body=$(grep -m1 '"/f"' record.jsonl | jq -r .body)
assert_eq "$body" 'a%20b=1%202&b=x%20y%26z%3D1&c=%C3%A9%26x%20y%26z%3D1' "form body"
ctype=$(grep -m1 '"/f"' record.jsonl | jq -r '.headers["content-type"]')
assert_eq "$ctype" "application/x-www-form-urlencoded" "form content type"

# A request whose template cannot render is counted as error_render, and the agent's log says
# once which step and why — a count alone would leave the user guessing.
cat >r.yaml <<YAML
name: it-render
target: http://127.0.0.1:$tgt_PORT
load: { users: 1, duration: 1s }
sessions:
  - name: s
    steps:
      - request: { url: "/ri?v={{ random_int(10, 1) }}" }
      - think: 50ms
agents: { local: 1 }
report: { interval: 1s }
YAML
"$BARRAGE" run r.yaml --out rr -q >/dev/null 2>err.txt || { cat err.txt; fail "render run failed"; }
assert_json rr/summary.json '.errors.error_render >= 1'
grep -q 'r.yaml:7:[0-9]*: request GET /ri?v=.* could not be built' rr/agents/local-1.log ||
  fail "the agent log does not explain the render failure: $(cat rr/agents/local-1.log)"
[ "$(grep -c 'could not be built' rr/agents/local-1.log)" = 1 ] || fail "explained more than once"
echo ok
