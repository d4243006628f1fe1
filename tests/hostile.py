#!/usr/bin/env python3
"""A small misbehaving HTTP/1.1 server for integration tests (127.0.0.1 only).

    python3 tests/hostile.py PORT_FILE [LOG_FILE]

Listens on 127.0.0.1, port 0, writes the port to PORT_FILE, and answers by path:

  /hang            reads the request and never answers (the connection stays open)
  /partial         a 200 status line promising 100 bytes, then 3 bytes and a close
  /bigheader       a 200 with one 1 MiB response header
  /manyheaders     a 200 with 60,000 small response headers
  /garbage         a line that is not a status line, then a close
  /infinite        a chunked 200 whose body never ends (64 KiB chunks as fast as they go)
  /reset           a 200 promising 100 bytes, 3 of them, then a TCP reset
  /trickle         a 200 with a 100,000-byte body, sent one byte a second (a day's answer)
  /huge            a 200 with a 200 MiB body (Content-Length: 209715200), as fast as it goes
  /json            {"token":"abc123","n":7,"pad":"xxx..."} (20,000 x), gzip- or deflate-encoded when the request's
                   Accept-Encoding allows it (gzip preferred), else plain
  /redirect/N      302 to /redirect/N-1 with Set-Cookie hopN=1; /redirect/0 answers 200 with
                   the Cookie header it received as its body
  /anything else   200 "ok"

A TLS ClientHello gets a plain-text 400 and a close (a TLS handshake failure for the client).

Every request is appended to LOG_FILE as one JSON line {"method": ..., "path": ...,
"accept_encoding": ..., "content_type": ..., "cookie": ..., "peer": the client's IP address}. Keep-alive is honoured; each connection has its own thread.
"""
import gzip
import json
import socket
import sys
import threading
import time
import zlib

BODY = b'{"token":"abc123","n":7,"pad":"' + b'x' * 20000 + b'"}'
log_lock = threading.Lock()


def log(method, path, headers, peer):
    if len(sys.argv) < 3:
        return
    with log_lock, open(sys.argv[2], "a") as f:
        f.write(json.dumps({"method": method, "path": path, "peer": peer,
                            "accept_encoding": headers.get("accept-encoding"),
                            "content_type": headers.get("content-type"),
                            "cookie": headers.get("cookie"),
                            "connection": headers.get("connection")}) + "\n")


def answer(status, headers, body):
    head = "HTTP/1.1 %s\r\n" % status
    for k, v in headers:
        head += "%s: %s\r\n" % (k, v)
    head += "Content-Length: %d\r\n\r\n" % len(body)
    return head.encode() + body


def serve(c):
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                d = c.recv(65536)
                if not d:
                    return
                buf += d
                if buf[:1] == b"\x16":  # a TLS ClientHello: answer in plain text
                    c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                    return
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {}
            for l in lines[1:]:
                k, _, v = l.partition(":")
                headers[k.strip().lower()] = v.strip()
            n = int(headers.get("content-length", "0"))
            while len(buf) < n:
                d = c.recv(65536)
                if not d:
                    return
                buf += d
            buf = buf[n:]
            log(lines[0].split(" ")[0], path, headers, c.getpeername()[0])
            if path.startswith("/hang"):
                while c.recv(65536):
                    pass
                return
            if path.startswith("/partial"):
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
                return
            if path.startswith("/manyheaders"):
                c.sendall(answer("200 OK", [("X-%d" % i, "v") for i in range(60000)], b"ok"))
                continue
            if path.startswith("/garbage"):
                c.sendall(b"garbage that is no status line\r\n\r\n")
                return
            if path.startswith("/infinite"):
                c.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                chunk = b"10000\r\n" + b"x" * 65536 + b"\r\n"
                while True:
                    c.sendall(chunk)
            if path.startswith("/reset"):
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc")
                import struct
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                return
            if path.startswith("/trickle"):
                for b in answer("200 OK", [], b"x" * 100000):
                    c.sendall(bytes([b]))
                    time.sleep(1)
                return
            if path.startswith("/huge"):
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (200 << 20))
                chunk = b"x" * (1 << 20)
                for _ in range(200):
                    c.sendall(chunk)
                continue
            if path.startswith("/bigheader"):
                c.sendall(answer("200 OK", [("X-Big", "a" * (1 << 20))], b"ok"))
                continue
            if path.startswith("/json"):
                ae = headers.get("accept-encoding", "")
                if "gzip" in ae:
                    c.sendall(answer("200 OK", [("Content-Type", "application/json"),
                                                ("Content-Encoding", "gzip")],
                                     gzip.compress(BODY)))
                elif "deflate" in ae:
                    c.sendall(answer("200 OK", [("Content-Type", "application/json"),
                                                ("Content-Encoding", "deflate")],
                                     zlib.compress(BODY)))
                else:
                    c.sendall(answer("200 OK", [("Content-Type", "application/json")], BODY))
                continue
            if path.startswith("/redirect/"):
                k = int(path.split("/")[2])
                if k > 0:
                    c.sendall(answer("302 Found", [("Location", "/redirect/%d" % (k - 1)),
                                                   ("Set-Cookie", "hop%d=1; Path=/" % k)], b""))
                else:
                    c.sendall(answer("200 OK", [], headers.get("cookie", "").encode()))
                continue
            c.sendall(answer("200 OK", [], b"ok"))
    except (OSError, ValueError, IndexError):
        return
    finally:
        c.close()


def main():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(512)
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    import os
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
