# SPDX-License-Identifier: Apache-2.0
"""Report the frames a VM namespace's device receives from given MAC addresses.

    frame_listen.py DEV --from M [--from M ...]

prints ``listening`` once the packet socket is bound, then one line
``<source MAC> <ethertype>`` for each frame received on DEV (not sent) whose source
is one of the M, until SIGTERM. 802.1Q-tagged frames count too (the kernel has
taken the tag off by then). Standard library only: it runs under ``ip netns exec``.
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from types import FrameType

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="frame_listen")
    parser.add_argument("device")
    parser.add_argument("--from", dest="sources", action="append", required=True)
    args = parser.parse_args(argv)
    sources = {bytes.fromhex(m.replace(":", "")) for m in args.sources}
    signal.signal(signal.SIGTERM, stop)
    with socket.socket(
        socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL)
    ) as sock:
        sock.bind((args.device, ETH_P_ALL))
        print("listening", flush=True)
        while True:
            frame, address = sock.recvfrom(65535)
            if address[2] != PACKET_OUTGOING and frame[6:12] in sources:
                ethertype = int.from_bytes(frame[12:14], "big")
                print(f"{frame[6:12].hex(':')} {ethertype:#06x}", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
