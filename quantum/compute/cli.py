# SPDX-License-Identifier: Apache-2.0
"""``quantum-vif``: the compute service's side on this hypervisor.

    quantum-vif plug --iface-id ID --mac MAC --instance-id ID (--netns NS | --tap)
        [--vif-type bridge --network-id NET [--mtu N]]
    quantum-vif unplug (--iface-id ID | --dev NAME) [--vif-type bridge]
    quantum-vif boot --netns NS --project-id P --nic net-id=N[,v4-fixed-ip=IP] ...
    quantum-vif delete --instance-id ID [--netns NS]

``plug``/``unplug`` make a port of the Open vSwitch integration bridge (``--vif-type
ovs``, the default) or of the network's Linux bridge (``--vif-type bridge``:
``quantum.compute.linuxbridge``); they ask no server. ``boot`` and ``delete`` plug
and unplug as each port's ``binding:vif_type`` says; they read this host's agent
configuration (``--agent-config``: the server, the agent secret, the host name, OVSDB
and the integration bridge) and talk to the v2.0 API at ``--os-url`` (default: the
agent's ``server_url``) with ``--os-token`` or, for a noauth server, as its admin.

Exit status: 0 done, 1 the server, the switch or a device refused (a failed boot
leaves nothing behind), 2 bad arguments.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from ipaddress import ip_address
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from quantum.compute import linuxbridge, vif
from quantum.compute.devices import Devices, check_name, check_netns
from quantum.core.families import QuantumError

if TYPE_CHECKING:
    from quantum.compute.network import ComputeNetwork

PROG = "quantum-vif"
FAILED = 1
USAGE = 2
VIF_TYPES = ("ovs", "bridge")

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


def _mtu(value: str) -> int:
    if not value.isdigit() or not 68 <= int(value) <= 65535:
        raise ValueError(f"MTU {value!r} must be a number from 68 to 65535")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Plug or unplug a VIF on an Open vSwitch bridge or a Linux "
        "bridge, as the compute service's VIF drivers do.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--ovsdb",
        type=_checked(vif.check_ovsdb),
        default=vif.DEFAULT_OVSDB,
        help="OVSDB connection (default: %(default)s)",
    )
    common.add_argument(
        "--vif-type",
        choices=VIF_TYPES,
        default="ovs",
        help="ovs: a port of the Open vSwitch integration bridge; bridge: a port of "
        "the network's Linux bridge (default: %(default)s)",
    )
    common.add_argument(
        "--bridge",
        type=_checked(check_name),
        help=f"the bridge (default: {vif.DEFAULT_BRIDGE}; with --vif-type bridge: "
        "brq + the --network-id's first 11 chars)",
    )
    common.add_argument(
        "--network-id",
        type=_checked(lambda v: vif.check_id(v, "network id")),
        help="--vif-type bridge: the port's network, which names its bridge",
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
    plug.add_argument(
        "--mtu",
        type=_checked(_mtu),
        help="--vif-type bridge: the network's MTU, for the device, the VM's NIC "
        "and a new bridge (default: the kernel's)",
    )

    unplug = sub.add_parser(
        "unplug", parents=[common], help="unplug a VIF and delete its device"
    )
    unplug.add_argument(
        "--iface-id",
        type=_checked(lambda v: vif.check_id(v, "iface id")),
        help="derive the device name from this id (or give --dev)",
    )
    _add_flow_commands(sub)
    return parser


DEFAULT_AGENT_INI = Path("/etc/quantum/plugins/openvswitch/ovs_quantum_plugin.ini")
"""The OVS agent's default ``--config-file`` (``quantum.agent.ovs.main``)."""


@dataclass(frozen=True, slots=True)
class NicRequest:
    network_id: str
    fixed_ip: str | None = None


def _nic(value: str) -> NicRequest:
    """``net-id=ID[,v4-fixed-ip=IP|v6-fixed-ip=IP]`` (nova boot's ``--nic``)."""
    fields: dict[str, str] = {}
    for item in value.split(","):
        key, sep, text = item.partition("=")
        if not sep or key not in ("net-id", "v4-fixed-ip", "v6-fixed-ip"):
            raise ValueError(
                f"{value!r}: expected net-id=ID[,v4-fixed-ip=IP|v6-fixed-ip=IP]"
            )
        if key in fields or ("fixed-ip" in key and any("fixed" in k for k in fields)):
            raise ValueError(f"{value!r}: {key} given twice")
        fields[key] = text
    if "net-id" not in fields:
        raise ValueError(f"{value!r}: net-id is required")
    fixed = fields.get("v4-fixed-ip") or fields.get("v6-fixed-ip")
    try:
        vif.check_id(fields["net-id"], "net-id")
        version = ip_address(fixed).version if fixed is not None else None
    except ValueError as error:
        raise ValueError(f"{value!r}: {error}") from None
    wanted = 4 if "v4-fixed-ip" in fields else 6
    if version is not None and version != wanted:
        raise ValueError(f"{value!r}: {fixed} is not an IPv{wanted} address")
    return NicRequest(fields["net-id"], fixed)


def _add_flow_commands(sub: Any) -> None:
    flow = argparse.ArgumentParser(add_help=False)
    flow.add_argument(
        "--agent-config",
        type=Path,
        default=DEFAULT_AGENT_INI,
        help="this host's OVS agent ini ([AGENT]: server_url, agent_secret, host, "
        "ovsdb_connection, integration_bridge); default: %(default)s",
    )
    flow.add_argument(
        "--os-url",
        default=os.environ.get("OS_URL") or None,
        help="the server, for the v2.0 API and the agent API (default: env "
        "OS_URL, else the agent's server_url)",
    )
    flow.add_argument(
        "--os-token",
        default=os.environ.get("OS_TOKEN") or None,
        help="an admin token (env OS_TOKEN); none: a noauth server's admin",
    )
    flow.add_argument(
        "--host-netns",
        type=_checked(check_netns),
        help="namespace holding the host-side devices (default: this process's)",
    )
    flow.add_argument(
        "--timeout",
        type=_checked(_positive),
        default=10.0,
        help="seconds to wait for OVSDB and ovs-vswitchd (default: %(default)s)",
    )
    boot = sub.add_parser(
        "boot",
        parents=[flow],
        help="allocate, plug and configure an instance's NICs in a namespace; "
        "return once its ports are ACTIVE",
    )
    boot.add_argument(
        "--netns",
        required=True,
        type=_checked(check_netns),
        help="the guest's namespace (made if missing)",
    )
    boot.add_argument(
        "--nic",
        action="append",
        required=True,
        type=_checked(_nic),
        help="net-id=ID[,v4-fixed-ip=IP]; once per NIC (eth0, eth1...)",
    )
    boot.add_argument(
        "--project-id",
        default=os.environ.get("OS_PROJECT_ID") or None,
        type=_checked(lambda v: vif.check_id(v, "project id")),
        help="the project the ports belong to (env OS_PROJECT_ID)",
    )
    boot.add_argument(
        "--instance-id",
        type=_checked(lambda v: vif.check_id(v, "instance id")),
        help="the ports' device_id (default: a new UUID)",
    )
    boot.add_argument(
        "--zone", default="nova", help="device_owner compute:ZONE (default: nova)"
    )
    boot.add_argument(
        "--security-group",
        action="append",
        dest="security_groups",
        metavar="NAME_OR_ID",
        help="a security group of the project for every NIC; once per group "
        "(default: the project's default group)",
    )
    boot.add_argument(
        "--wait",
        type=_checked(_positive),
        default=60.0,
        help="seconds to wait for the ports to be ACTIVE (default: %(default)s)",
    )
    boot.add_argument(
        "--guest-config",
        choices=("auto", "dhcp", "static"),
        default="auto",
        help="how the guest gets its IPv4 addresses: by DHCP (busybox udhcpc in the "
        "namespace, once the ports are ACTIVE), statically from the network info, "
        "or auto: by DHCP on subnets that have it (default: %(default)s)",
    )
    boot.add_argument(
        "--json", action="store_true", help="print the network info as JSON"
    )
    delete = sub.add_parser(
        "delete",
        parents=[flow],
        help="unplug and delete an instance's ports, then its namespace",
    )
    delete.add_argument(
        "--instance-id",
        required=True,
        type=_checked(lambda v: vif.check_id(v, "instance id")),
    )
    delete.add_argument(
        "--netns", type=_checked(check_netns), help="the guest's namespace to delete"
    )
    delete.add_argument(
        "--json", action="store_true", help="print the deleted ports as JSON"
    )


def _compute(args: argparse.Namespace) -> ComputeNetwork:
    # NOTE: here, not at the top: ``plug`` needs none of it (start-up time).
    from quantum.agent.ovs.main import load_options
    from quantum.agentapi.client import AgentClient
    from quantum.client import transport, v2
    from quantum.compute import network

    options = load_options(args.agent_config)
    url = args.os_url or options.server_url
    made = (
        transport.by_token(url, args.os_token)
        if args.os_token
        else transport.without_auth(url)
    )
    # NOTE: the agent API is served with the v2.0 API: one server URL for both.
    events = AgentClient(url, host=options.host, secret=options.agent_secret)
    hypervisor = network.Hypervisor(
        host=options.host,
        ovsdb=options.ovsdb_connection,
        bridge=options.integration_bridge,
        host_netns=args.host_netns,
        timeout=args.timeout,
    )
    return network.ComputeNetwork(v2.Client(made), events, hypervisor)


def _flow(args: argparse.Namespace) -> int:
    from quantum.agent.config import AgentConfigError
    from quantum.client import errors
    from quantum.compute import boot, network

    try:
        net = _compute(args)
    except (AgentConfigError, ValueError) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return USAGE
    try:
        if args.command == "delete":
            timings: dict[str, float] = {}
            deleted = boot.delete(
                net, args.instance_id, netns=args.netns, timings=timings
            )
            if args.json:
                print(json.dumps({"deleted": deleted, "timings": timings}, indent=2))
            else:
                print(f"deleted {len(deleted)} port(s) of instance {args.instance_id}")
            return 0
        instance = network.Instance(
            args.instance_id or str(uuid.uuid4()),
            args.project_id,
            args.zone,
            tuple(args.security_groups) if args.security_groups else None,
        )
        nics = [network.Nic(n.network_id, n.fixed_ip) for n in args.nic]
        timings = {}
        began = time.monotonic()
        vifs = boot.boot(
            net,
            instance,
            nics,
            netns=args.netns,
            timeout=args.wait,
            timings=timings,
            guest=args.guest_config,
        )
        took = time.monotonic() - began
    except (QuantumError, errors.ClientError) as error:
        print(f"{PROG}: {error}", file=sys.stderr)
        return FAILED
    if args.json:
        body = {
            "instance_id": instance.id,
            "netns": args.netns,
            "seconds": took,
            "timings": timings,
        }
        print(json.dumps({**body, "vifs": [v.to_json() for v in vifs]}, indent=2))
        return 0
    print(f"instance {instance.id} booted in {args.netns}: ACTIVE in {took:.2f} s")
    for index, v in enumerate(vifs):
        addresses = " ".join(f.interface for f in v.fixed_ips) or "no address"
        gateway = f" gateway {v.gateway}" if v.gateway else ""
        mtu = f" mtu {v.mtu}" if v.mtu else ""
        how = " (DHCP)" if boot.by_dhcp(v, args.guest_config) else ""
        print(
            f"  {boot.nic_name(index)} {v.mac} {addresses}{how}{gateway}{mtu} "
            f"port {v.port_id} dev {v.device}"
        )
    return 0


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command in ("boot", "delete"):
        if args.command == "boot" and not args.project_id:
            parser.error("boot needs --project-id (or OS_PROJECT_ID)")
        return args
    if args.dev is None:
        if args.iface_id is None:
            parser.error("unplug needs --iface-id or --dev")
        try:
            args.dev = vif.device_name(args.iface_id)
        except ValueError as error:
            parser.error(str(error))
    if args.command == "plug" and args.netns is None and args.peer != "eth0":
        parser.error("--peer only applies with --netns")
    if args.vif_type == "ovs":
        if args.network_id is not None or getattr(args, "mtu", None) is not None:
            parser.error("--network-id and --mtu only apply with --vif-type bridge")
        args.bridge = args.bridge or vif.DEFAULT_BRIDGE
    elif args.bridge is None and args.network_id is not None:
        try:
            args.bridge = linuxbridge.bridge_name(args.network_id)
        except ValueError as error:
            parser.error(str(error))
    elif args.bridge is None and args.command == "plug":
        parser.error("plug --vif-type bridge needs --network-id (or --bridge)")
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


def _bridge(args: argparse.Namespace, devices: Devices) -> None:
    if args.command == "plug":
        done = linuxbridge.plug(
            vif_from(args), bridge=args.bridge, mtu=args.mtu, devices=devices
        )
        print(f"plugged {done.device} into {done.bridge}")
        return
    gone = linuxbridge.unplug(args.dev, bridge=args.bridge, devices=devices)
    print(f"unplugged {args.dev}" if gone.removed else f"{args.dev} was not plugged")
    if gone.bridge_deleted:
        print(f"deleted bridge {gone.bridge} (no interface left)")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format=f"{PROG}: %(message)s")
    if args.command in ("boot", "delete"):
        return _flow(args)
    devices = Devices(host_netns=args.host_netns)
    try:
        if args.vif_type == "bridge":
            _bridge(args, devices)
        elif args.command == "plug":
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
