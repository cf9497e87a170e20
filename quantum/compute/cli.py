# SPDX-License-Identifier: Apache-2.0
"""``quantum-vif``: plug or unplug a VIF on this hypervisor's integration bridge.

    quantum-vif plug --iface-id ID --mac MAC --instance-id ID (--netns NS | --tap)
    quantum-vif unplug (--iface-id ID | --dev NAME)

Exit status: 0 done, 1 the switch or the device refused, 2 bad arguments.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

from quantum.compute import vif
from quantum.compute.devices import Devices, check_name, check_netns
from quantum.core.exceptions import QuantumError

PROG = "quantum-vif"
FAILED = 1
USAGE = 2

T = TypeVar("T")


def _checked(check: Callable[[str], T]) -> Callable[[str], T]:
    """Adapt a validator raising ValueError to an argparse ``type``."""

    def convert(value: str) -> T:
        try:
            return check(value)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    convert.__name__ = check.__name__
    return convert


def _positive(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = 0.0
    if not 0 < number < float("inf"):
        raise ValueError(f"{value!r} is not a positive number of seconds")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Plug or unplug a VIF on an Open vSwitch bridge, as the "
        "compute service's OVS driver does.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--ovsdb",
        type=_checked(vif.check_ovsdb),
        default=vif.DEFAULT_OVSDB,
        help="OVSDB connection (default: %(default)s)",
    )
    common.add_argument(
        "--bridge",
        type=_checked(check_name),
        default=vif.DEFAULT_BRIDGE,
        help="integration bridge (default: %(default)s)",
    )
    common.add_argument(
        "--dev",
        type=_checked(check_name),
        help="host-side device name (default: tap + the iface id's first 11 chars)",
    )
    common.add_argument(
        "--timeout",
        type=_checked(_positive),
        default=10.0,
        help="seconds to wait for OVSDB and ovs-vswitchd (default: %(default)s)",
    )
    common.add_argument(
        "--host-netns",
        type=_checked(check_netns),
        help="namespace holding the host-side device (default: this process's)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    plug = sub.add_parser("plug", parents=[common], help="create and plug a VIF")
    plug.add_argument(
        "--iface-id",
        required=True,
        type=_checked(lambda v: vif.check_id(v, "iface id")),
        help="what the agent knows the VIF by: a v1 attachment id or a v2 port id",
    )
    plug.add_argument(
        "--mac", required=True, type=_checked(vif.normalize_mac), help="VM's MAC"
    )
    plug.add_argument(
        "--instance-id",
        required=True,
        type=_checked(lambda v: vif.check_id(v, "instance id")),
        help="the VM the VIF belongs to (external_ids:vm-uuid)",
    )
    kind = plug.add_mutually_exclusive_group(required=True)
    kind.add_argument(
        "--netns",
        type=_checked(check_netns),
        help="make a veth pair whose peer goes into this namespace",
    )
    kind.add_argument("--tap", action="store_true", help="make a tap device")
    plug.add_argument(
        "--peer",
        type=_checked(check_name),
        default="eth0",
        help="name of the veth peer in --netns (default: %(default)s)",
    )

    unplug = sub.add_parser(
        "unplug", parents=[common], help="unplug a VIF and delete its device"
    )
    unplug.add_argument(
        "--iface-id",
        type=_checked(lambda v: vif.check_id(v, "iface id")),
        help="derive the device name from this id (or give --dev)",
    )
    return parser


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.dev is None:
        if args.iface_id is None:
            parser.error("unplug needs --iface-id or --dev")
        try:
            args.dev = vif.device_name(args.iface_id)
        except ValueError as error:
            parser.error(str(error))
    if args.command == "plug" and args.netns is None and args.peer != "eth0":
        parser.error("--peer only applies with --netns")
    return args


def vif_from(args: argparse.Namespace) -> vif.Vif:
    return vif.Vif(
        iface_id=args.iface_id,
        mac=args.mac,
        instance_id=args.instance_id,
        device=args.dev,
        netns=args.netns,
        peer=args.peer,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format=f"{PROG}: %(message)s")
    devices = Devices(host_netns=args.host_netns)
    try:
        if args.command == "plug":
            done = vif.plug(
                vif_from(args),
                ovsdb=args.ovsdb,
                bridge=args.bridge,
                timeout=args.timeout,
                devices=devices,
            )
            ofport = "pending" if done.ofport is None else done.ofport
            print(f"plugged {done.device} into {done.bridge} (ofport {ofport})")
        else:
            removed = vif.unplug(
                args.dev,
                ovsdb=args.ovsdb,
                bridge=args.bridge,
                timeout=args.timeout,
                devices=devices,
            )
            print(f"unplugged {args.dev}" if removed else f"{args.dev} was not plugged")
    except QuantumError as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return FAILED
    return 0


if __name__ == "__main__":
    sys.exit(main())
