#!/usr/bin/env bash
# timeout: 60
# Compressed answers: by default every request says `Accept-Encoding: gzip, deflate`, a gzip
# JSON answer is decoded before captures and expectations read it, and size_rcv counts the
# bytes on the wire (the 20 kB body compresses to about 100 bytes). `http.compression: false`
# asks for nothing, and the plain answer is counted at its size.
source "$(dirname "$0")/../lib.sh"
source "$TESTS_SRC/hostile.sh"
start_hostile h
scenario() { # NAME EXTRA-HTTP-LINE
  short_scenario "$1" "http://127.0.0.1:$h_PORT" 1 $'http:\n  timeout: 5s\n  '"$2" <<YAML
  - name: s
    steps:
      - request: { url: "/json", name: json }
        expect: { status: 200, body: { contains: "abc123" } }
        capture: { token: { json: "$.token" } }
      - request: { url: "/echo/{{ token }}", name: echo }
      - think: 100ms
YAML
}
scenario gz "compression: true" >"$TEST_DIR/gz.yaml"
run_ok "$TEST_DIR/gz.yaml" "$TEST_DIR/gz"
s=$TEST_DIR/gz/summary.json
jq -c '.counters, .errors, .http_status' "$s"
n=$(json "$s" '.stats.req_json.count')
[ "$n" -gt 0 ] || fail "no /json request"
assert_json "$s" '.errors == {}' "captured and expected without errors"
assert_json "$s" ".stats.req_echo.count == $n" "every session got to /echo"
assert_eq "$(jq -s "[.[] | select(.path == \"/echo/abc123\")] | length" "$TEST_DIR/h.requests")" "$n" \
  "the token was captured from the gzip answer"
assert_eq "$(jq -s '[.[] | select(.accept_encoding != "gzip, deflate")] | length' "$TEST_DIR/h.requests")" 0 \
  "Accept-Encoding: gzip, deflate on every request"
assert_json "$s" ".counters.size_rcv < $n * 2000" "size_rcv counts compressed bytes"

: >"$TEST_DIR/h.requests"
scenario plain "compression: false" >"$TEST_DIR/plain.yaml"
run_ok "$TEST_DIR/plain.yaml" "$TEST_DIR/plain"
s=$TEST_DIR/plain/summary.json
n=$(json "$s" '.stats.req_json.count')
assert_json "$s" '.errors == {}' "plain answers captured too"
assert_eq "$(jq -s '[.[] | select(.accept_encoding != null)] | length' "$TEST_DIR/h.requests")" 0 \
  "no Accept-Encoding with compression: false"
assert_json "$s" ".counters.size_rcv > $n * 20000" "size_rcv counts the plain bytes"
echo ok
