#!/usr/bin/env bash
# timeout: 180
# --export prometheus-rw=URL against Debian's real Prometheus (remote-write receiver on
# 127.0.0.1, storage in the test's folder): after the run, Prometheus's HTTP API says
# barrage_requests_total equals summary.json's request.count, and every interval's
# barrage_duration_seconds{stat="request",quantile="0.99"} equals the p99 of that interval's
# stats.log record (decoded here from its buckets, as common/hist.c computes it). The scenario's
# export: key does the same as the option.
source "$(dirname "$0")/../lib.sh"

command -v prometheus >/dev/null || skip "prometheus missing (Debian package prometheus; scripts/install-deps.sh)"
start_server tgt target
cd "$TEST_DIR"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
printf 'global:\n  scrape_interval: 1h\n' >prom.yml
prometheus --config.file=prom.yml --storage.tsdb.path=promdata --web.listen-address=127.0.0.1:$port \
  --web.enable-remote-write-receiver >prom.log 2>&1 &
_pids+=($!)
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null || { tail prom.log; fail "prometheus did not start"; }

cat >exp.yaml <<YAML
name: it-export
target: http://127.0.0.1:$tgt_PORT
load:
  users: 6
  duration: 5s
sessions:
  - name: s
    steps:
      - request: { url: "/?status=200&delay=2ms" }
      - request: { url: "/?status=404" }
      - think: 20ms
agents:
  local: 2
report:
  interval: 1s
YAML
"$BARRAGE" run exp.yaml --out run1 --export "prometheus-rw=http://127.0.0.1:$port/api/v1/write" >run1.out 2>run1.err \
  || { cat run1.err; fail "run exited $?"; }
grep -q 'prometheus remote write: [0-9]* requests sent.* 0 dropped' run1.err || { cat run1.err; fail "exporter summary"; }

# The scenario's export: key instead of the option.
sed "s|^report:|export:\n  prometheus_rw: http://127.0.0.1:$port/api/v1/write\nreport:|" exp.yaml >exp2.yaml
"$BARRAGE" run exp2.yaml --out run2 >run2.out 2>run2.err || { cat run2.err; fail "run2 exited $?"; }

q() { curl -sf "http://127.0.0.1:$port/api/v1/query" --data-urlencode "query=$1"; }
for run in run1 run2; do
  want=$(jq '.stats.request.count' $run/summary.json)
  [ "$want" -gt 0 ] || fail "$run: no requests"
  got=$(q "barrage_requests_total{run=\"$run\",scenario=\"it-export\"}" | jq -r '.data.result[0].value[1]')
  assert_eq "$got" "$want" "$run: barrage_requests_total vs summary.json request.count"
  got=$(q "barrage_http_404_total{run=\"$run\"}" | jq -r '.data.result[0].value[1]')
  assert_eq "$got" "$(jq '.http_status["404"]' $run/summary.json)" "$run: barrage_http_404_total"
done
# Agent health carries the agent label.
q 'barrage_agent_cpu_ratio{run="run1"}' | jq -e '[.data.result[].metric.agent] | sort == ["local-1","local-2"]' >/dev/null \
  || fail "agent health series"
# The _count of a summary is the cumulative count.
got=$(q 'barrage_duration_seconds_count{run="run1",stat="request"}' | jq -r '.data.result[0].value[1]')
assert_eq "$got" "$(jq '.stats.request.count' run1/summary.json)" "barrage_duration_seconds_count"

# p99 per interval: Prometheus's samples against stats.log's buckets.
q 'barrage_duration_seconds{run="run1",stat="request",quantile="0.99"}[1h]' >p99.json
python3 - run1/stats.log p99.json <<'PY'
import json, math, sys
HALF, SUB = 1024, 2048
def lo(i):
    if i < SUB: return i
    b = i // HALF - 1
    return (i % HALF + HALF) << b
def hi(i):
    if i < SUB: return i
    return lo(i) + (1 << (i // HALF - 1)) - 1
def pct(h, p):
    idx, counts, k = 0, [], 0
    b = h["b"]
    for j in range(0, len(b), 2):
        idx = idx + b[j]
        counts.append((idx, b[j + 1]))
    rank = max(1, math.ceil(p / 100.0 * h["n"] - 1e-9))
    seen = 0
    for i, c in counts:
        seen += c
        if seen >= rank:
            v = lo(i) + (hi(i) - lo(i)) // 2
            return min(max(v, h["min"]), h["max"])
    return h["max"]
recs = [json.loads(l) for l in open(sys.argv[1])]
start = recs[0]["start_unix_ms"]
want = {r["i"]: pct(r["hists"]["request"], 99) / 1e6 for r in recs
        if r["type"] == "interval" and "request" in r["hists"] and r["hists"]["request"]["n"] > 0}
res = json.load(open(sys.argv[2]))["data"]["result"]
assert len(res) == 1, res
got = {}
for ts, v in res[0]["values"]:
    # Stamped at the interval's end, or at the end of the run for a last, shorter interval.
    i = (round(float(ts) * 1000) - start + 999) // 1000 - 1
    got[i] = float(v)
print("p99 per interval (s): stats.log", want, "prometheus", got)
assert set(got) == set(want), (sorted(got), sorted(want))
for i in want:
    assert abs(got[i] - want[i]) < 1e-9, (i, got[i], want[i])
PY
