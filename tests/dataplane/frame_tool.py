# SPDX-License-Identifier: Apache-2.0
"""Send hand-made Ethernet frames from a VM namespace, optionally 802.1Q-tagged.

    frame_tool.py DEV --src-mac M --src-ip A --dst-ip B [--dst-mac D] [--vlan N]
                  [--count C]

sends, C times, an ARP request for B (broadcast) and an ICMP echo request to B
(to D, ``ff:ff:ff:ff:ff:ff`` if not given), from M/A, tagged with VLAN N if given.
The kernel of the test machine has no 8021q module, so a VLAN device cannot be
made; a packet socket sends any frame. Standard library only: it runs under
``ip netns exec``.
"""

from __future__ import annotations

import argparse
import socket
import struct
import sys
import time

BROADCAST = b"\xff" * 6


def mac(text: str) -> bytes:
    return bytes.fromhex(text.replace(":", ""))


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def ethernet(dst: bytes, src: bytes, ethertype: int, vlan: int | None) -> bytes:
    head = dst + src
    if vlan is not None:
        head += struct.pack("!HH", 0x8100, vlan & 0xFFF)
    return head + struct.pack("!H", ethertype)


def arp_request(src_mac: bytes, src_ip: bytes, dst_ip: bytes) -> bytes:
    return (
        struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1)
        + src_mac
        + src_ip
        + b"\0" * 6
        + dst_ip
    )


def icmp_echo(src_ip: bytes, dst_ip: bytes, sequence: int) -> bytes:
    icmp = struct.pack("!BBHHH", 8, 0, 0, 0x5154, sequence) + b"quantum" * 4
    icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), sequence, 0, 64, 1, 0, src_ip, dst_ip
    )
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + icmp


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="frame_tool")
    parser.add_argument("device")
    parser.add_argument("--src-mac", required=True)
    parser.add_argument("--src-ip", required=True)
    parser.add_argument("--dst-ip", required=True)
    parser.add_argument("--dst-mac")
    parser.add_argument("--vlan", type=int)
    parser.add_argument("--count", type=int, default=3)
    args = parser.parse_args(argv)
    src_mac = mac(args.src_mac)
    src_ip, dst_ip = socket.inet_aton(args.src_ip), socket.inet_aton(args.dst_ip)
    dst_mac = mac(args.dst_mac) if args.dst_mac else BROADCAST
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
        sock.bind((args.device, 0))
        for sequence in range(1, args.count + 1):
            sock.send(
                ethernet(BROADCAST, src_mac, 0x0806, args.vlan)
                + arp_request(src_mac, src_ip, dst_ip)
            )
            sock.send(
                ethernet(dst_mac, src_mac, 0x0800, args.vlan)
                + icmp_echo(src_ip, dst_ip, sequence)
            )
            time.sleep(0.1)
    print(f"sent {2 * args.count} frames")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
