#!/usr/bin/env bash
# timeout: 90
# http.version "2": the requests really travel as HTTP/2. Debian's nginx (our own target speaks
# HTTP/1.1 only) listens on 127.0.0.1 with a certificate made here, and logs each request's
# protocol; every request the run counted must be logged as HTTP/2.0, and a run with "1.1" as
# HTTP/1.1.
source "$(dirname "$0")/../lib.sh"
command -v nginx >/dev/null || skip "SKIP: nginx is not installed (scripts/install-deps.sh installs nginx-light)"
cd "$TEST_DIR"
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 1 \
  -subj /CN=127.0.0.1 >/dev/null 2>&1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null \
  || echo $((20000 + RANDOM % 20000)))
mkdir -p logs
cat >nginx.conf <<CONF
daemon off;
worker_processes 1;
pid $TEST_DIR/nginx.pid;
error_log $TEST_DIR/logs/error.log;
events { worker_connections 256; }
http {
  log_format proto '\$server_protocol \$status \$request_uri';
  access_log $TEST_DIR/logs/access.log proto;
  client_body_temp_path $TEST_DIR/logs;
  proxy_temp_path $TEST_DIR/logs;
  fastcgi_temp_path $TEST_DIR/logs;
  uwsgi_temp_path $TEST_DIR/logs;
  scgi_temp_path $TEST_DIR/logs;
  server {
    listen 127.0.0.1:$port ssl http2;
    ssl_certificate $TEST_DIR/cert.pem;
    ssl_certificate_key $TEST_DIR/key.pem;
    location / { return 200 '{"ok":true}'; }
  }
}
CONF
nginx -c "$TEST_DIR/nginx.conf" -p "$TEST_DIR" &
_pids+=($!)
for _ in $(seq 1 100); do curl -sk "https://127.0.0.1:$port/" >/dev/null 2>&1 && break; sleep 0.05; done
: >logs/access.log

for version in 2 1.1; do
  cat >h2.yaml <<YAML
name: it-http2
target: https://127.0.0.1:$port
http: { version: "$version", tls: { verify: false } }
load: { users: 2, duration: 2s }
sessions:
  - name: s
    steps:
      - request: { url: "/v$version" }
        expect: { status: 200, body: { contains: '"ok":true' } }
      - think: 20ms
agents: { local: 1 }
report: { interval: 1s }
YAML
  "$BARRAGE" run h2.yaml --out "run-$version" -q >/dev/null 2>err.txt || { cat err.txt; fail "run with version $version failed"; }
  sent=$(jq '.http_status["200"] // 0' "run-$version/summary.json")
  [ "$sent" -gt 0 ] || fail "version $version: no 200 responses counted"
  assert_json "run-$version/summary.json" '(.errors | length) == 0' "version $version: errors"
  want=$([ "$version" = 2 ] && echo HTTP/2.0 || echo HTTP/1.1)
  logged=$(grep -c "^$want 200 /v$version\$" logs/access.log || true)
  assert_eq "$logged" "$sent" "requests nginx logged as $want for version $version"
done
echo "ok: HTTP/2 and HTTP/1.1 as asked"
