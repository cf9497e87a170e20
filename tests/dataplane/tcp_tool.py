# SPDX-License-Identifier: Apache-2.0
"""A TCP sink and sender for data-plane tests; runs inside a VM namespace.

    tcp_tool.py serve --port P             prints "ready", then for each connection
                                           replies "<bytes> <sha256>" after EOF
    tcp_tool.py send HOST --port P --size N [--timeout S]
                                           sends N random bytes, checks the reply,
                                           prints {"bytes": N, "seconds": S}

Standalone on purpose (standard library only): it runs under ``ip netns exec``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import signal
import socket
import sys
import time

CHUNK = 64 * 1024


def serve(port: int) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = socket.create_server(("0.0.0.0", port), reuse_port=False)  # noqa: S104
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        with conn:
            digest, count = hashlib.sha256(), 0
            while chunk := conn.recv(CHUNK):
                digest.update(chunk)
                count += len(chunk)
            conn.sendall(f"{count} {digest.hexdigest()}\n".encode())


def send(host: str, port: int, size: int, timeout: float) -> int:
    payload = os.urandom(size)
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=timeout) as conn:
        conn.sendall(payload)
        conn.shutdown(socket.SHUT_WR)
        reply = b""
        while chunk := conn.recv(CHUNK):
            reply += chunk
    seconds = time.monotonic() - started
    expected = f"{size} {hashlib.sha256(payload).hexdigest()}"
    got = reply.decode().strip()
    if got != expected:
        print(f"sink got {got!r}, sent {expected!r}", file=sys.stderr)
        return 1
    print(json.dumps({"bytes": size, "seconds": round(seconds, 6)}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    server = sub.add_parser("serve")
    server.add_argument("--port", type=int, required=True)
    sender = sub.add_parser("send")
    sender.add_argument("host")
    sender.add_argument("--port", type=int, required=True)
    sender.add_argument("--size", type=int, required=True)
    sender.add_argument("--timeout", type=float, default=20.0)
    args = parser.parse_args()
    if args.command == "serve":
        return serve(args.port)
    return send(args.host, args.port, args.size, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
