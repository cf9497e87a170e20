# SPDX-License-Identifier: Apache-2.0
"""One long-lived TCP connection, probed again and again; runs inside a namespace
(standard library only).

    session_tool.py serve --port P     prints "ready", then echoes every byte of
                                       every connection back
    session_tool.py hold HOST --port P [--interval S]
                                       connects (prints "connected"), then every S
                                       seconds sends one byte and prints "ok" when
                                       it comes back within 1 s, "lost" when not
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
import threading
import time


def _echo(conn: socket.socket) -> None:
    with conn:
        while data := conn.recv(256):
            conn.sendall(data)


def serve(port: int) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    listener = socket.create_server(("0.0.0.0", port))  # noqa: S104
    print("ready", flush=True)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=_echo, args=(conn,), daemon=True).start()


def hold(host: str, port: int, interval: float) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    conn = socket.create_connection((host, port), timeout=5)
    print("connected", flush=True)
    conn.settimeout(1.0)
    pending = 0
    while True:
        conn.sendall(b"x")
        pending += 1
        try:
            got = conn.recv(256)
        except TimeoutError:
            print("lost", flush=True)
        else:
            if not got:
                print("closed", flush=True)
                return 1
            pending -= len(got)
            print("ok", flush=True)
        time.sleep(interval)


def main() -> int:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    server = sub.add_parser("serve")
    server.add_argument("--port", type=int, required=True)
    holder = sub.add_parser("hold")
    holder.add_argument("host")
    holder.add_argument("--port", type=int, required=True)
    holder.add_argument("--interval", type=float, default=0.2)
    args = parser.parse_args()
    if args.command == "serve":
        return serve(args.port)
    return hold(args.host, args.port, args.interval)


if __name__ == "__main__":
    sys.exit(main())
