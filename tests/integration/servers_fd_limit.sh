#!/usr/bin/env bash
# timeout: 120
# At the open-file limit: with `ulimit -n 64` and 200 half-open clients (connected, silent), the
# server must not spin on accept nor flood its log. It pauses accepting with a backoff, logs at
# most one line a second with a count, keeps serving the connections it has, and accepts again
# once descriptors are free.
source "$(dirname "$0")/../lib.sh"

cat >"$TEST_DIR/limited" <<SH
#!/bin/sh
exec prlimit --nofile=64:64 "$TARGET" "\$@"
SH
chmod +x "$TEST_DIR/limited"
REAL_TARGET=$TARGET
TARGET=$TEST_DIR/limited
start_server t target
TARGET=$REAL_TARGET
assert_eq "$(awk '/Max open files/{print $4}' "/proc/$t_PID/limits")" 64 "the server's descriptor limit"

python3 - "$t_PORT" "$t_PID" "$TEST_DIR" <<'PY'
import socket, sys, time
port, pid, tdir = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
hz = 100  # USER_HZ on Linux

def cpu_s():
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / hz

def get(s):
    s.sendall(b"GET /?size=10 HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while not data.endswith(b"x" * 10):
        chunk = s.recv(4096)
        if not chunk:
            raise SystemExit("FAIL: the open connection was closed")
        data += chunk
    if not data.startswith(b"HTTP/1.1 200"):
        raise SystemExit("FAIL: the open connection got: %r" % data[:80])

old = socket.create_connection(("127.0.0.1", port), timeout=10)
get(old)
idle = []
for _ in range(200):
    s = socket.socket()
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", port))
    idle.append(s)
time.sleep(0.5)  # the server fills its descriptors and starts failing accepts
c0, t0 = cpu_s(), time.time()
served = 0
while time.time() - t0 < 4:
    get(old)  # the connection it already had is still served
    served += 1
    time.sleep(0.1)
cpu = cpu_s() - c0
print(f"4 s at the limit: {cpu:.2f} s of server CPU, {served} requests served on the open connection")
# A server spinning on accept burns a core (several seconds here even on a busy machine).
if cpu > 0.5:
    raise SystemExit(f"FAIL: {cpu:.2f} s of CPU in 4 s at the descriptor limit")
# Free the descriptors: new clients are accepted again (within the 1 s backoff).
for s in idle:
    s.close()
new = socket.create_connection(("127.0.0.1", port), timeout=10)
new.settimeout(10)
get(new)
print("a new client is served once descriptors are free")
PY

lines=$(grep -c 'accept: ' "$TEST_DIR/t.log" || true)
echo "accept log lines: $lines"
[ "$lines" -ge 1 ] || { cat "$TEST_DIR/t.log"; fail "no log line about the failing accepts"; }
# At most one a second (the run spends about 5 s at the limit), with a count.
[ "$lines" -le 8 ] || { head -20 "$TEST_DIR/t.log"; fail "$lines accept log lines"; }
grep -q 'accept: Too many open files ([0-9]* failed accept(s) since the last report)' "$TEST_DIR/t.log" \
  || { cat "$TEST_DIR/t.log"; fail "the log line has no count"; }
kill -0 "$t_PID" || fail "the server died"
echo "servers_fd_limit: ok"
