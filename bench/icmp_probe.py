# SPDX-License-Identifier: Apache-2.0
"""ICMP echo prober for bench/convergence.py; runs inside a VM's namespace (root).

    icmp_probe.py [--interval S] [--timeout S] [--each] ADDRESS...

Sends echo requests round-robin to the addresses, one every ``interval`` seconds
overall, prints ``ready`` once the first has left, then one line
``<address> <time.time()>`` per reply (with ``--each``: only the first reply of
each address, which is then no longer probed). Exits 0 once every address has
answered (``--each``), 1 after ``timeout`` seconds; stdout is flushed per line.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import socket
import struct
import sys
import time

ECHO_REQUEST = 8
ECHO_REPLY = 0


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return int(~total & 0xFFFF)


def echo_request(ident: int, seq: int) -> bytes:
    header = struct.pack("!BBHHH", ECHO_REQUEST, 0, 0, ident, seq)
    payload = b"quantum-convergence-probe"
    cksum = checksum(header + payload)
    return struct.pack("!BBHHH", ECHO_REQUEST, 0, cksum, ident, seq) + payload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="icmp_probe")
    parser.add_argument("--interval", type=float, default=0.005)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--each", action="store_true")
    parser.add_argument("addresses", nargs="+")
    args = parser.parse_args(argv)

    ident = os.getpid() & 0xFFFF
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    sock.setblocking(False)
    pending = list(dict.fromkeys(args.addresses))
    out = sys.stdout
    deadline = time.monotonic() + args.timeout
    next_send = time.monotonic()
    seq = 0
    turn = 0
    ready = False
    while pending:
        now = time.monotonic()
        if now >= deadline:
            return 1
        if now >= next_send:
            target = pending[turn % len(pending)]
            turn += 1
            seq = (seq + 1) & 0xFFFF
            with contextlib.suppress(OSError):  # NOTE: the next round retries
                sock.sendto(echo_request(ident, seq), (target, 0))
            next_send += args.interval
            if not ready:
                out.write("ready\n")
                out.flush()
                ready = True
            continue
        readable, _, _ = select.select([sock], [], [], max(0.0, next_send - now))
        while readable:
            try:
                packet, (source, _) = sock.recvfrom(2048)
            except BlockingIOError:
                break
            arrived = time.time()
            header = (packet[0] & 0x0F) * 4
            kind, _, _, their_ident, _ = struct.unpack(
                "!BBHHH", packet[header : header + 8]
            )
            if kind != ECHO_REPLY or their_ident != ident:
                continue
            if source not in pending:
                continue
            out.write(f"{source} {arrived:.6f}\n")
            out.flush()
            if args.each:
                pending.remove(source)
                if not pending:
                    break
    return 0


if __name__ == "__main__":
    sys.exit(main())
