#!/usr/bin/env bash
# timeout: 240
# The Prometheus exporter never holds or fails the run: against a port that refuses, a server
# that accepts and never answers, one that answers 500 and one that answers 400, the run
# exits 0 with every interval and the end record in stats.log, and an `export` event says what
# was dropped. 500 and refused connections are retried with backoff; 400 never is (the fake
# server counts one request per push).
source "$(dirname "$0")/../lib.sh"

start_server tgt target
cd "$TEST_DIR"
cat >fake.py <<'PY'
import http.server, socketserver, sys, time, threading
mode, portfile, hits = sys.argv[1], sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        with open(hits, "a") as f:
            f.write("%s %s %d\n" % (self.headers.get("Content-Encoding"), self.headers.get("Content-Type"), n))
        if mode == "hang":
            time.sleep(3600)
        self.send_response(500 if mode == "500" else 400)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *a): pass
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
open(portfile + ".tmp", "w").write(str(s.server_address[1]))
import os; os.rename(portfile + ".tmp", portfile)
s.serve_forever()
PY
fake() { # fake MODE -> sets FAKE_PORT
  rm -f "$1.port" "$1.hits"; touch "$1.hits"
  python3 fake.py "$1" "$1.port" "$1.hits" >"$1.log" 2>&1 &
  _pids+=($!)
  for _ in $(seq 1 100); do [ -s "$1.port" ] && break; sleep 0.05; done
  FAKE_PORT=$(cat "$1.port")
}
refused=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
loop_scenario it-export-faults 4 3s >s.yaml

check_run() { # check_run NAME URL
  local name=$1 url=$2 rc
  set +e
  "$BARRAGE" run s.yaml --out "$name" --export "prometheus-rw=$url" >"$name.out" 2>"$name.err"
  rc=$?
  set -e
  assert_eq "$rc" 0 "$name: exit code"
  n=$(grep -c '"type":"interval"' "$name/stats.log")
  [ "$n" -ge 3 ] || fail "$name: only $n intervals in stats.log"
  tail -1 "$name/stats.log" | jq -e '.type == "end" and .reason == "completed"' >/dev/null || fail "$name: no end record"
  jq -s '[.[] | select(.type=="event" and .what=="export")][0]' "$name/stats.log" >"$name.export.json"
  assert_json "$name.export.json" '.dropped > 0 and .sent == 0' "$name: export event"
  grep -q 'warning: prometheus remote write: .* dropped' "$name.err" || fail "$name: no warning about dropped data"
  assert_json "$name/summary.json" ".stats.request.count > 0"
}
check_run refused "http://127.0.0.1:$refused/api/v1/write"
assert_json refused.export.json '.retries > 0' "connection refused is retried"

fake 500
check_run err500 "http://127.0.0.1:$FAKE_PORT/api/v1/write"
assert_json err500.export.json '.retries > 0' "500 is retried"
[ "$(wc -l <500.hits)" -gt "$(jq '.dropped' err500.export.json)" ] || fail "500: no more attempts than pushes"
grep -q '^snappy application/x-protobuf ' 500.hits || fail "remote write headers missing: $(head -1 500.hits)"

fake 400
check_run err400 "http://127.0.0.1:$FAKE_PORT/api/v1/write"
assert_json err400.export.json '.retries == 0' "400 is not retried"
assert_eq "$(wc -l <400.hits | tr -d ' ')" "$(jq '.dropped' err400.export.json)" "400: one request per push"

fake hang
check_run hang "http://127.0.0.1:$FAKE_PORT/api/v1/write"
