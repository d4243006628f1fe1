#!/usr/bin/env bash
# The queue server over HTTP and HTTPS on 127.0.0.1: every endpoint (enqueue, scheduled
# enqueue, claim with lease, ack, stats, /health, /metrics) and every error case (malformed
# JSON, wrong types, unknown fields, oversize bodies, bad max/lease/not_before, bad queue names,
# unknown routes, wrong methods) gets the right status and a JSON error, and the server stays up.
# timeout: 200
source "$(dirname "$0")/../lib.sh"

start_server q queue --tls-listen 127.0.0.1:0 --data-dir "$TEST_DIR/data"
[ -n "$q_TLS_PORT" ] || fail "no https port in the port file"
out=$TEST_DIR/out.json

# req METHOD URL [BODY]: sets $code, body in $out.
req() {
  local args=(-s -k -o "$out" -w '%{http_code}' -X "$1" "$2" --max-time 10)
  [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
  code=$(curl "${args[@]}") || fail "curl $1 $2 failed"
}
expect() { # STATUS DESCRIPTION: status check, and a JSON error body for every 4xx
  [ "$code" = "$1" ] || fail "$2: status $code, expected $1 (body: $(head -c 300 "$out"))"
  if [ "$1" -ge 400 ]; then
    jq -e '.error | type == "string" and length > 0' "$out" >/dev/null ||
      fail "$2: no JSON error in $(head -c 300 "$out")"
  fi
}

for base in "http://127.0.0.1:$q_PORT" "https://127.0.0.1:$q_TLS_PORT"; do
  qn=sms_${base%%:*}
  # health and metrics
  req GET "$base/health"; expect 200 health
  assert_json "$out" '.ok == true'
  req GET "$base/metrics"; expect 200 metrics
  grep -q '^queue_restart_count 1$' "$out" || fail "metrics: no restart_count 1"

  # enqueue: string, object, scheduled (ISO and unix ms)
  req POST "$base/queues/$qn/messages" '{"body":"hello"}'; expect 201 enqueue
  k1=$(json "$out" .key)
  [[ "$k1" =~ ^n1:[0-9]{8}:1:[0-9]+$ ]] || fail "key format: $k1"
  [ "${k1:3:8}" = "$(date -u +%Y%m%d)" ] || fail "key date: $k1"
  req POST "$base/queues/$qn/messages" '{"body":{"to":"+33600000000","text":"é ✓"}}'
  expect 201 enqueue-object
  k2=$(json "$out" .key)
  [ "${k2##*:}" -eq $(( ${k1##*:} + 1 )) ] || fail "counter did not grow by one: $k1 $k2"
  req POST "$base/queues/$qn/messages" '{"body":"later","not_before":"2099-01-01T00:00:00Z"}'
  expect 201 enqueue-scheduled-iso
  req POST "$base/queues/$qn/messages" '{"body":"later2","not_before":4102444800000}'
  expect 201 enqueue-scheduled-ms
  req POST "$base/queues/$qn/messages" "{\"body\":3,\"not_before\":$(( $(date +%s) * 1000 - 1000 ))}"
  expect 201 enqueue-past

  req GET "$base/queues/$qn"; expect 200 stats
  assert_json "$out" '.ready == 3 and .scheduled == 2 and .leased == 0' "stats after enqueue"

  # claim with lease: due messages only, in order, attempts 1
  req POST "$base/queues/$qn/claim?max=2&lease=30s"; expect 200 claim
  assert_json "$out" '.messages | length == 2'
  assert_json "$out" ".messages[0].key == \"$k1\" and .messages[0].body == \"hello\" and .messages[0].attempts == 1"
  assert_json "$out" '.messages[1].body.text == "é ✓"'
  req GET "$base/queues/$qn"; expect 200 stats
  assert_json "$out" '.ready == 1 and .leased == 2 and .scheduled == 2' "stats after claim"
  req POST "$base/queues/$qn/claim?lease=500ms"; expect 200 claim-default-max
  assert_json "$out" '.messages | length == 1 and .[0].body == 3'
  k3=$(json "$out" '.messages[0].key')

  # lease expiry: the 500ms one comes back with attempts 2
  sleep 1.5
  req POST "$base/queues/$qn/claim?max=10&lease=1m"; expect 200 reclaim
  assert_json "$out" ".messages | length == 1 and .[0].key == \"$k3\" and .[0].attempts == 2"
  req POST "$base/queues/$qn/claim"; expect 200 claim-empty
  assert_json "$out" '.messages == []'
  req GET "$base/queues/$qn"; expect 200 stats
  assert_json "$out" '.ready == 0 and .leased == 3 and .scheduled == 2' "stats after reclaim"

  # ack: known, unknown, duplicate, another queue's
  req POST "$base/queues/$qn/ack" "{\"keys\":[\"$k1\",\"$k1\",\"n1:20200101:1:999999\",\"junk\"]}"
  expect 200 ack
  assert_json "$out" '.acked == 1 and .unknown == ["n1:20200101:1:999999","junk"]'
  req POST "$base/queues/$qn/ack" "{\"keys\":[\"$k1\"]}"; expect 200 ack-again
  assert_json "$out" ".acked == 0 and .unknown == [\"$k1\"]"
  req POST "$base/queues/other/ack" "{\"keys\":[\"$k2\"]}"; expect 200 ack-other-queue
  assert_json "$out" '.acked == 0'
  req POST "$base/queues/$qn/ack" "{\"keys\":[\"$k2\",\"$k3\"]}"; expect 200 ack-two
  assert_json "$out" '.acked == 2 and .unknown == []'
  req POST "$base/queues/$qn/ack" '{"keys":[]}'; expect 200 ack-empty
  req GET "$base/queues/$qn"; expect 200 stats
  assert_json "$out" '.ready == 0 and .leased == 0 and .scheduled == 2 and .acked == 3'
  req GET "$base/queues/never_used"; expect 200 stats-unknown-queue
  assert_json "$out" '.ready == 0 and .leased == 0 and .scheduled == 0'

  # bad input: each a 4xx with a JSON error
  req POST "$base/queues/$qn/messages" '{"body":'; expect 400 truncated-json
  req POST "$base/queues/$qn/messages" 'not json'; expect 400 not-json
  req POST "$base/queues/$qn/messages" '[1,2]'; expect 400 not-an-object
  req POST "$base/queues/$qn/messages" ''; expect 400 empty-body
  req POST "$base/queues/$qn/messages" '{"text":"x"}'; expect 400 unknown-field
  req POST "$base/queues/$qn/messages" '{"not_before":5}'; expect 400 missing-body
  req POST "$base/queues/$qn/messages" '{"body":"x","body":"y"}'; expect 400 duplicate-key
  req POST "$base/queues/$qn/messages" '{"body":"x","not_before":"tomorrow"}'; expect 400 bad-time
  req POST "$base/queues/$qn/messages" '{"body":"x","not_before":-1}'; expect 400 negative-time
  req POST "$base/queues/$qn/messages" '{"body":"x","not_before":true}'; expect 400 bool-time
  req POST "$base/queues/$qn/messages" '{"body":"x","not_before":"2030-01-01T00:00:00"}'
  expect 400 time-without-zone
  big=$(head -c 70000 /dev/zero | tr '\0' a)
  req POST "$base/queues/$qn/messages" "{\"body\":\"$big\"}"; expect 413 oversize-message
  head -c 2000000 /dev/zero | tr '\0' a >"$TEST_DIR/huge"
  code=$(curl -s -k -o "$out" -w '%{http_code}' -X POST --data-binary @"$TEST_DIR/huge" \
    "$base/queues/$qn/messages" --max-time 10) || true
  [ "$code" = 413 ] || fail "oversize request: status $code"
  req POST "$base/queues/$qn/claim?max=0"; expect 400 max-zero
  req POST "$base/queues/$qn/claim?max=1001"; expect 400 max-too-big
  req POST "$base/queues/$qn/claim?max=-3"; expect 400 max-negative
  req POST "$base/queues/$qn/claim?max=abc"; expect 400 max-text
  req POST "$base/queues/$qn/claim?max="; expect 400 max-empty
  req POST "$base/queues/$qn/claim?max"; expect 400 max-no-value
  req POST "$base/queues/$qn/claim?max=$(printf '1%.0s' $(seq 1 100))"; expect 400 max-very-long
  req POST "$base/queues/$qn/claim?lease=$(printf '9%.0s' $(seq 1 100))s"; expect 400 lease-very-long
  req POST "$base/queues/$qn/claim?xmax=5&leasex=1"; expect 200 unrelated-parameters
  req POST "$base/queues/$qn/claim?lease=30"; expect 400 lease-no-unit
  req POST "$base/queues/$qn/claim?lease=0s"; expect 400 lease-zero
  req POST "$base/queues/$qn/claim?lease=2d"; expect 400 lease-unit
  req POST "$base/queues/$qn/claim?lease=13h"; expect 400 lease-too-long
  req POST "$base/queues/$qn/claim?lease=-1s"; expect 400 lease-negative
  req POST "$base/queues/$qn/ack" '{"keys":"n1:1:1:1"}'; expect 400 keys-not-array
  req POST "$base/queues/$qn/ack" '{"keys":[1]}'; expect 400 key-not-string
  req POST "$base/queues/$qn/ack" '{"key":[]}'; expect 400 ack-unknown-field
  req POST "$base/queues/$qn/ack" '{'; expect 400 ack-bad-json
  many=$(jq -cn '[range(1001) | "k\(.)"] | {keys: .}')
  req POST "$base/queues/$qn/ack" "$many"; expect 400 too-many-keys
  req POST "$base/queues/bad%20name/messages" '{"body":1}'; expect 400 bad-queue-name
  req POST "$base/queues/$(head -c 65 /dev/zero | tr '\0' q)/messages" '{"body":1}'
  expect 400 long-queue-name
  req GET "$base/queues/$qn/messages"; expect 405 get-messages
  req DELETE "$base/queues/$qn"; expect 405 delete-queue
  req POST "$base/queues/$qn/purge" '{}'; expect 404 unknown-action
  req GET "$base/nope"; expect 404 unknown-route
  req GET "$base/queues"; expect 404 no-queue-name
  req GET "$base/queues/"; expect 400 empty-queue-name
done

kill -0 "$q_PID" || fail "server died"
req GET "http://127.0.0.1:$q_PORT/metrics"; expect 200 metrics
grep -q '^queue_redelivered 2$' "$out" || fail "metrics: redelivered should be 2"
grep -q '^responses_5xx 0$' "$out" || fail "metrics: a 5xx was answered"
echo "queue_http: ok"
