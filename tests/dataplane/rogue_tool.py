# SPDX-License-Identifier: Apache-2.0
"""A VM playing network services it must not: send DHCP server replies and IPv6
router advertisements, or listen for them.

    rogue_tool.py send DEV --mac M --ip A [--count C]
    rogue_tool.py listen DEV

``send`` broadcasts, C times, a DHCPOFFER (UDP 67 -> 68, from M/A to
255.255.255.255) and a router advertisement (ICMPv6 134, from M's link-local
address to ff02::1, prefix 2001:db8:bad::/64). ``listen`` prints ``listening``
once bound, then ``dhcp-offer <src MAC>`` or ``router-advertisement <src MAC>``
for each one DEV receives, until SIGTERM. Standard library only: it runs under
``ip netns exec``.
"""

from __future__ import annotations

import argparse
import signal
import socket
import struct
import sys
import time
from types import FrameType

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
BROADCAST = b"\xff" * 6
ALL_NODES_MAC = bytes.fromhex("333300000001")
ALL_NODES = socket.inet_pton(socket.AF_INET6, "ff02::1")
MAGIC = b"\x63\x82\x53\x63"


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def link_local(mac: bytes) -> bytes:
    eui = bytes([mac[0] ^ 2]) + mac[1:3] + b"\xff\xfe" + mac[3:]
    return b"\xfe\x80" + b"\0" * 6 + eui


def dhcp_offer(mac: bytes, server: bytes) -> bytes:
    """A DHCPOFFER of 10.99.0.50 to the client ``00:..:01``, from ``server``."""
    client = bytes.fromhex("020000000001")
    bootp = (
        struct.pack("!BBBB", 2, 1, 6, 0)
        + struct.pack("!IHH", 0x51554E54, 0, 0x8000)
        + b"\0" * 4
        + socket.inet_aton("10.99.0.50")
        + server
        + b"\0" * 4
        + client
        + b"\0" * 10
        + b"\0" * 192
        + MAGIC
        + bytes([53, 1, 2, 54, 4])
        + server
        + bytes([51, 4, 0, 0, 0x0E, 0x10, 255])
    )
    udp = struct.pack("!HHHH", 67, 68, 8 + len(bootp), 0) + bootp
    header = struct.pack(
        "!BBHHHBBH4s4s",
        0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0,
        server, socket.inet_aton("255.255.255.255"),
    )  # fmt: skip
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return BROADCAST + mac + b"\x08\x00" + header + udp


def router_advertisement(mac: bytes) -> bytes:
    source = link_local(mac)
    prefix = socket.inet_pton(socket.AF_INET6, "2001:db8:bad::")
    body = (
        struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
        + bytes([1, 1])
        + mac
        + struct.pack("!BBBBIII", 3, 4, 64, 0xC0, 86400, 14400, 0)
        + prefix
    )
    pseudo = source + ALL_NODES + struct.pack("!I3xB", len(body), 58)
    body = body[:2] + struct.pack("!H", checksum(pseudo + body)) + body[4:]
    header = struct.pack("!IHBB", 6 << 28, len(body), 58, 255) + source + ALL_NODES
    return ALL_NODES_MAC + mac + b"\x86\xdd" + header + body


def send(device: str, mac: bytes, ip: bytes, count: int) -> None:
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
        sock.bind((device, 0))
        for _ in range(count):
            sock.send(dhcp_offer(mac, ip))
            sock.send(router_advertisement(mac))
            time.sleep(0.1)
    print(f"sent {2 * count} frames", flush=True)


def kind(frame: bytes) -> str | None:
    ethertype = frame[12:14]
    if ethertype == b"\x08\x00" and frame[23] == 17:
        start = 14 + (frame[14] & 0x0F) * 4
        if frame[start : start + 4] == struct.pack("!HH", 67, 68):
            return "dhcp-offer"
    if ethertype == b"\x86\xdd" and frame[20] == 58 and frame[54] == 134:
        return "router-advertisement"
    return None


def stop(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def listen(device: str) -> None:
    signal.signal(signal.SIGTERM, stop)
    with socket.socket(
        socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL)
    ) as sock:
        sock.bind((device, ETH_P_ALL))
        print("listening", flush=True)
        while True:
            frame, address = sock.recvfrom(65535)
            if address[2] == PACKET_OUTGOING or len(frame) < 60:
                continue
            found = kind(frame)
            if found:
                print(f"{found} {frame[6:12].hex(':')}", flush=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="rogue_tool")
    parser.add_argument("action", choices=("send", "listen"))
    parser.add_argument("device")
    parser.add_argument("--mac")
    parser.add_argument("--ip")
    parser.add_argument("--count", type=int, default=5)
    args = parser.parse_args(argv)
    if args.action == "listen":
        listen(args.device)
        return 0
    if not args.mac or not args.ip:
        parser.error("send needs --mac and --ip")
    send(
        args.device,
        bytes.fromhex(args.mac.replace(":", "")),
        socket.inet_aton(args.ip),
        args.count,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
