# SPDX-License-Identifier: Apache-2.0
"""Who talks to whom, seen from both ends of a TCP connection; runs inside a
namespace (standard library only).

    peer_tool.py serve --port P     prints "ready", then answers each connection
                                    with the address it came from, and closes
    peer_tool.py ask HOST --port P [--timeout S]
                                    connects to HOST:P and prints
                                    {"seen_as": <what the server saw>,
                                     "answered_by": <the address that answered>}
"""

from __future__ import annotations

import argparse
import json
import signal
import socket
import sys


def serve(port: int) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = socket.create_server(("0.0.0.0", port))  # noqa: S104
    print("ready", flush=True)
    while True:
        conn, (address, _) = listener.accept()
        with conn:
            conn.sendall(f"{address}\n".encode())


def ask(host: str, port: int, timeout: float) -> int:
    with socket.create_connection((host, port), timeout=timeout) as conn:
        answered_by = conn.getpeername()[0]
        reply = b""
        while chunk := conn.recv(256):
            reply += chunk
    print(json.dumps({"seen_as": reply.decode().strip(), "answered_by": answered_by}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    server = sub.add_parser("serve")
    server.add_argument("--port", type=int, required=True)
    asker = sub.add_parser("ask")
    asker.add_argument("host")
    asker.add_argument("--port", type=int, required=True)
    asker.add_argument("--timeout", type=float, default=5.0)
    args = parser.parse_args()
    if args.command == "serve":
        return serve(args.port)
    return ask(args.host, args.port, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
