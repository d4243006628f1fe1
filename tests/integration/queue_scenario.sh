#!/usr/bin/env bash
# scenarios/queue.yaml runs against the queue server (shortened to a few seconds): no request
# fails, and the server's counters agree with the client's — every 201 is an enqueued message,
# every ack request acknowledged exactly one (give or take requests cut off at the end). Thresholds are wall-clock figures and the machine
# is shared, so exit 1 (thresholds failed) is accepted; the counts are what is checked.
# timeout: 120
source "$(dirname "$0")/../lib.sh"

[ -x "$BARRAGE" ] || skip "no barrage binary"
start_server q queue --data-dir "$TEST_DIR/data"
set +e
"$BARRAGE" -q run "$TESTS_SRC/../scenarios/queue.yaml" --out "$TEST_DIR/run" \
  --set "target=http://127.0.0.1:$q_PORT" --set load.duration=4s --set load.users=8 \
  >"$TEST_DIR/run.out" 2>&1
rc=$?
set -e
[ "$rc" -le 1 ] || { cat "$TEST_DIR/run.out"; fail "barrage run exited $rc"; }
s=$TEST_DIR/run/summary.json
assert_json "$s" '.errors == {} or .errors == null' "no request errors"
assert_json "$s" '(.http_status["201"] // 0) > 0 and (.http_status["200"] // 0) > 0' "enqueues and claims"
curl -s "http://127.0.0.1:$q_PORT/metrics" >"$TEST_DIR/metrics"
enq=$(awk '$1=="queue_enqueued"{print $2}' "$TEST_DIR/metrics")
acked=$(awk '$1=="queue_acked"{print $2}' "$TEST_DIR/metrics")
# A request cut off when the run ends may count on the server but not on the client: at most
# one per user.
c201=$(json "$s" '.http_status["201"]')
cack=$(json "$s" '.stats.req_ack.count // 0')
[ "$enq" -ge "$c201" ] && [ "$enq" -le $(( c201 + 8 )) ] || fail "server enqueued $enq, client saw $c201 201s"
[ "$acked" -ge "$cack" ] && [ "$acked" -le $(( cack + 8 )) ] || fail "server acked $acked, client sent $cack acks"
echo "queue_scenario: ok ($enq enqueued, $acked acked)"
