#!/usr/bin/env bash
# timeout: 60
# The agent's side of the wire protocol (docs/wire-protocol.md), driven by a small Python peer:
# HELLO first; a bad PLAN gets READY {"error"}; PLAN -> READY {}; PING -> PONG; START -> STATS
# frames; STOP -> the load stops, a final STATS and DONE, exit 0. Then: stdin EOF stops the load
# within 2 s; no START within the readiness timeout exits by itself; a corrupt frame gets ERROR.
# Heartbeats: the agent sends one every second; a controller silent for the plan's
# agents.link_timeout (2 s here) makes it stop its load at once and exit 3 ("silent"), unless
# the controller is its parent (--controller-is-parent) and still there: then it was paused, and
# the load goes on ("paused").
source "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || skip "python3 not installed"
start_server tg target
cat >"$TEST_DIR/plan.json" <<JSON
{"version": 1, "target": "http://127.0.0.1:$tg_PORT", "interval_us": 300000,
 "agents": {"link_timeout_us": 2000000},
 "share": {"agent_id": "local-1", "index": 0, "count": 1, "fraction": 1, "seed": 7, "user_id_base": 0},
 "load": {"model": "closed", "users": 3, "duration_us": 30000000},
 "sessions": [{"name": "s", "steps": [{"kind": "repeat", "count": 1000000, "steps": [
   {"kind": "request", "request": {"method": "GET", "url": "/?delay=5ms"}}]}]}]}
JSON
cat >"$TEST_DIR/peer.py" <<'PY'
import json, os, struct, subprocess, sys, time
agent, plan_path, mode = sys.argv[1], sys.argv[2], sys.argv[3]
NAMES = {1: "HELLO", 3: "READY", 5: "STATS", 7: "PONG", 9: "DONE", 10: "ERROR", 11: "LOG",
         12: "HEARTBEAT"}
args = [agent] + (["--ready-timeout", "1"] if mode == "noready" else [])
args += ["--controller-is-parent"] if mode == "paused" else []
beats = 0
p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
def send(t, payload):
    if isinstance(payload, (dict, list)):
        payload = json.dumps(payload).encode()
    p.stdin.write(struct.pack(">BBBBI", 0x42, 3, t, 0, len(payload)) + payload)
    p.stdin.flush()
def read_exact(n):
    b = b""
    while len(b) < n:
        c = p.stdout.read(n - len(b))
        if not c:
            raise EOFError("agent closed stdout")
        b += c
    return b
def recv():
    magic, ver, t, res, n = struct.unpack(">BBBBI", read_exact(8))
    assert magic == 0x42 and ver == 3 and res == 0, "bad frame header"
    body = read_exact(n)
    return NAMES.get(t, str(t)), (body if t == 5 else json.loads(body))
def expect(name):
    global beats
    while True:
        got, body = recv()
        if got == "HEARTBEAT":
            beats += 1
            assert body["t"] > 0, body
            continue
        if got == "LOG":
            continue
        assert got == name, f"expected {name}, got {got} {body}"
        return body
def fail(msg):
    print("FAIL:", msg); p.kill(); sys.exit(1)
hello = expect("HELLO")
assert hello["wire"] == 3 and hello["pid"] == p.pid and hello["cpus"] >= 1 and hello["nofile"] > 0, hello
if mode == "noready":
    t0 = time.time()
    rc = p.wait(timeout=10)
    assert rc == 3, f"exit {rc} after the readiness timeout"
    print("noready ok", round(time.time() - t0, 2)); sys.exit(0)
if mode == "corrupt":
    p.stdin.write(b"XXXXXXXXXXXX"); p.stdin.flush()
    err = expect("ERROR")
    assert "magic" in err["message"].lower() or "corrupt" in err["message"].lower(), err
    rc = p.wait(timeout=10)
    assert rc == 2, f"exit {rc}"
    print("corrupt ok:", err["message"]); sys.exit(0)
send(2, b'{"version": 1, "target": "http://127.0.0.1:1", "sessions": "nope"}')
r = expect("READY")
assert "error" in r and r["error"].startswith("plan: "), r
plan = open(plan_path).read().encode()
send(2, plan)
assert expect("READY") == {}, "READY with an error for a good plan"
send(6, {"t": 12345})
pong = expect("PONG")
assert pong["t"] == 12345 and pong["agent_t"] > 1.7e12, pong
send(4, {"delay_ms": 100})
stats = [expect("STATS") for _ in range(3)]
if mode == "silent":
    # No frame from us from now on (the last was START): by link_timeout the agent gives up
    # and exits 3, whatever it still had to send.
    t0 = time.time()
    while True:
        try:
            recv()
        except EOFError:
            break
    rc = p.wait(timeout=10)
    assert rc == 3, f"exit {rc} after a silent controller"
    print("silent ok: exit 3 after", round(time.time() - t0, 2), "s, heartbeats", beats)
    sys.exit(0)
if mode == "paused":
    # Silent for twice the link timeout, but the agent's parent is still there: the load goes
    # on (intervals keep coming), and then a STOP ends the run normally.
    t0 = time.time()
    n0 = 0
    while time.time() - t0 < 4.5:
        expect("STATS"); n0 += 1
    assert p.poll() is None, "the agent exited while its parent was only silent"
    assert beats >= 3, f"only {beats} heartbeats in 4.5 s"
    stats += [None] * n0
t0 = time.time()
if mode in ("stop", "paused"):
    send(8, {"reason": "test"})
else:
    p.stdin.close()
n = len(stats)
while True:
    got, body = recv()
    if got == "STATS":
        n += 1; continue
    if got in ("LOG", "HEARTBEAT"):
        continue
    assert got == "DONE", got
    assert body["intervals"] == n, (body, n)
    break
rc = p.wait(timeout=10)
took = time.time() - t0
assert rc == 0, f"exit {rc}"
assert took < 2.5, f"took {took:.2f} s to stop"
print(mode, "ok: intervals", n, "stopped in", round(took, 2), "s")
PY
for mode in stop eof noready corrupt silent paused; do
  python3 "$TEST_DIR/peer.py" "$AGENT" "$TEST_DIR/plan.json" "$mode" 2>"$TEST_DIR/agent-$mode.log" ||
    { cat "$TEST_DIR/agent-$mode.log"; fail "mode $mode"; }
done
grep -q "the link is lost, stopping the load" "$TEST_DIR/agent-silent.log" || fail "no link-lost line in the agent log"
grep -q "still running (paused?)" "$TEST_DIR/agent-paused.log" || fail "no pause line in the agent log"
# The target saw the load stop: nothing arrives after the agents exited.
a=$(curl -s "http://127.0.0.1:$tg_PORT/__stats" | jq .requests); sleep 0.5
b=$(curl -s "http://127.0.0.1:$tg_PORT/__stats" | jq .requests)
assert_eq "$a" "$b" "requests after the agents exited"
echo ok
