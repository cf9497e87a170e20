# SPDX-License-Identifier: Apache-2.0
"""The resources the ``quantum`` command knows, with Grizzly's options.

Each ``Spec`` gives the list columns and how create/update options become a body;
``quantum.cli.commands`` turns it into ``{prefix}-list/show/create/update/delete``.
"""

from __future__ import annotations

import argparse
from typing import Any

from quantum.cli.commands import Spec
from quantum.client import errors, resources
from quantum.client.v2 import Client, Record

BOOL = {"true": True, "false": False}


def boolean(text: str) -> bool:
    try:
        return BOOL[text.lower()]
    except KeyError:
        raise argparse.ArgumentTypeError(
            f"expected True or False, not {text!r}"
        ) from None


def pairs(text: str) -> dict[str, str]:
    """``key=value,key=value`` (``--fixed-ip subnet_id=X,ip_address=Y``)."""
    found: dict[str, str] = {}
    for part in text.split(","):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise argparse.ArgumentTypeError(f"expected key=value[,...], not {text!r}")
        found[key.strip()] = value.strip()
    return found


def put(body: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        body[key] = value


def name_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", help="a new name")


def admin_state_up_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--admin-state-up",
        "--admin_state_up",
        dest="admin_state_up",
        type=boolean,
        metavar="{True,False}",
    )


# networks


def _net_create_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--admin-state-down",
        dest="admin_state",
        action="store_false",
        help="set the administrative state down",
    )
    parser.add_argument("--shared", action="store_true", help="share with all tenants")
    _external(parser)
    parser.add_argument("NAME", help="name of the network")


def _external(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--router:external",
        dest="router_external",
        nargs="?",
        const=True,
        type=boolean,
        metavar="{True,False}",
        help="an external network, for router gateways and floating IPs (admins)",
    )


def _net_create(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    del client
    body: dict[str, Any] = {"name": args.NAME, "admin_state_up": args.admin_state}
    if args.shared:
        body["shared"] = True
    put(body, "router:external", args.router_external)
    return body


def _net_update_args(parser: argparse.ArgumentParser) -> None:
    name_option(parser)
    admin_state_up_option(parser)
    parser.add_argument("--shared", type=boolean, metavar="{True,False}")
    _external(parser)


def _net_update(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    del client
    body: dict[str, Any] = {}
    put(body, "name", args.name)
    put(body, "admin_state_up", args.admin_state_up)
    put(body, "shared", args.shared)
    put(body, "router:external", args.router_external)
    return body


def _net_subnets(
    records: list[Record], client: Client, args: argparse.Namespace | None = None
) -> None:
    """Each network's subnets as ``<id> <cidr>``, as the Grizzly CLI listed them."""
    del args
    if not any(r.get("subnets") for r in records):
        return
    cidrs = {s["id"]: s["cidr"] for s in client.subnets.list(fields=("id", "cidr"))}
    for record in records:
        if record.get("subnets"):
            record["subnets"] = [
                f"{s} {cidrs.get(s, '')}".strip() for s in record["subnets"]
            ]


NETWORK = Spec(
    prefix="net",
    kind=resources.NETWORK,
    list_columns=("id", "name", "subnets"),
    create_args=_net_create_args,
    create_body=_net_create,
    update_args=_net_update_args,
    update_body=_net_update,
    decorate=_net_subnets,
    countable=True,
)


# subnets


def _subnet_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gateway", metavar="GATEWAY_IP")
    parser.add_argument("--no-gateway", action="store_true", help="no gateway")
    parser.add_argument(
        "--host-route",
        action="append",
        type=pairs,
        metavar="destination=CIDR,nexthop=IP_ADDR",
    )
    parser.add_argument("--dns-nameserver", action="append", metavar="DNS_NAMESERVER")


def _subnet_create_args(parser: argparse.ArgumentParser) -> None:
    name_option(parser)
    parser.add_argument("--ip-version", type=int, default=4, choices=(4, 6))
    _subnet_common(parser)
    parser.add_argument(
        "--allocation-pool",
        action="append",
        type=pairs,
        metavar="start=IP_ADDR,end=IP_ADDR",
    )
    parser.add_argument("--disable-dhcp", action="store_true")
    parser.add_argument("NETWORK", help="id or name of the network")
    parser.add_argument("CIDR", help="the subnet's addresses, e.g. 10.0.0.0/24")


def _subnet_fields(args: argparse.Namespace, body: dict[str, Any]) -> None:
    if args.gateway and args.no_gateway:
        raise errors.BadRequest("--gateway and --no-gateway cannot be used together")
    put(body, "name", args.name)
    put(body, "gateway_ip", args.gateway)
    if args.no_gateway:
        body["gateway_ip"] = None
    put(body, "host_routes", args.host_route)
    put(body, "dns_nameservers", args.dns_nameserver)


def _subnet_create(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    body: dict[str, Any] = {
        "network_id": client.networks.find_id(args.NETWORK),
        "cidr": args.CIDR,
        "ip_version": args.ip_version,
    }
    _subnet_fields(args, body)
    put(body, "allocation_pools", args.allocation_pool)
    if args.disable_dhcp:
        body["enable_dhcp"] = False
    return body


def _subnet_update_args(parser: argparse.ArgumentParser) -> None:
    name_option(parser)
    _subnet_common(parser)
    parser.add_argument(
        "--enable-dhcp", "--enable_dhcp", type=boolean, metavar="{True,False}"
    )


def _subnet_update(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    del client
    body: dict[str, Any] = {}
    _subnet_fields(args, body)
    put(body, "enable_dhcp", args.enable_dhcp)
    return body


SUBNET = Spec(
    prefix="subnet",
    kind=resources.SUBNET,
    list_columns=("id", "name", "cidr", "allocation_pools"),
    create_args=_subnet_create_args,
    create_body=_subnet_create,
    update_args=_subnet_update_args,
    update_body=_subnet_update,
)


# ports


def _port_common(parser: argparse.ArgumentParser) -> None:
    name_option(parser)
    parser.add_argument("--device-id", metavar="DEVICE_ID")
    parser.add_argument("--device-owner", metavar="DEVICE_OWNER")
    parser.add_argument(
        "--fixed-ip",
        action="append",
        type=pairs,
        metavar="subnet_id=SUBNET,ip_address=IP_ADDR",
        help="subnet by id or name; repeatable",
    )
    parser.add_argument(
        "--security-group",
        dest="security_groups",
        action="append",
        metavar="SECURITY_GROUP",
        help="a security group of the port, by id or name; repeatable",
    )


def _port_fields(
    args: argparse.Namespace, client: Client, body: dict[str, Any]
) -> None:
    put(body, "name", args.name)
    put(body, "device_id", args.device_id)
    put(body, "device_owner", args.device_owner)
    if args.fixed_ip:
        ips = []
        for wanted in args.fixed_ip:
            ip = dict(wanted)
            if "subnet_id" in ip:
                ip["subnet_id"] = client.subnets.find_id(ip["subnet_id"])
            ips.append(ip)
        body["fixed_ips"] = ips
    if args.security_groups:
        groups = client.security_groups
        body["security_groups"] = [groups.find_id(g) for g in args.security_groups]


def _port_create_args(parser: argparse.ArgumentParser) -> None:
    _port_common(parser)
    parser.add_argument("--admin-state-down", dest="admin_state", action="store_false")
    parser.add_argument("--mac-address", metavar="MAC_ADDRESS")
    parser.add_argument("NETWORK", help="id or name of the network")


def _port_create(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    body: dict[str, Any] = {
        "network_id": client.networks.find_id(args.NETWORK),
        "admin_state_up": args.admin_state,
    }
    _port_fields(args, client, body)
    put(body, "mac_address", args.mac_address)
    return body


def _port_update_args(parser: argparse.ArgumentParser) -> None:
    _port_common(parser)
    admin_state_up_option(parser)
    parser.add_argument(
        "--no-security-groups",
        action="store_true",
        help="take every security group off the port",
    )


def _port_update(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    if args.security_groups and args.no_security_groups:
        raise errors.BadRequest(
            "--security-group and --no-security-groups cannot be used together"
        )
    body: dict[str, Any] = {}
    _port_fields(args, client, body)
    put(body, "admin_state_up", args.admin_state_up)
    if args.no_security_groups:
        body["security_groups"] = []
    return body


PORT = Spec(
    prefix="port",
    kind=resources.PORT,
    list_columns=("id", "name", "mac_address", "fixed_ips"),
    create_args=_port_create_args,
    create_body=_port_create,
    update_args=_port_update_args,
    update_body=_port_update,
)

EXTENSION = Spec(
    prefix="ext",
    kind=resources.EXTENSION,
    list_columns=("alias", "name"),
    commands=("list", "show"),
)


def _agent_update_args(parser: argparse.ArgumentParser) -> None:
    admin_state_up_option(parser)
    parser.add_argument("--description", help="a new description")


def _agent_update(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    del client
    body: dict[str, Any] = {}
    put(body, "admin_state_up", args.admin_state_up)
    put(body, "description", args.description)
    return body


AGENT = Spec(
    prefix="agent",
    kind=resources.AGENT,
    list_columns=("id", "agent_type", "host", "alive", "admin_state_up"),
    update_args=_agent_update_args,
    update_body=_agent_update,
    commands=("list", "show", "update", "delete"),
)

SPECS: tuple[Spec, ...] = (NETWORK, SUBNET, PORT, EXTENSION, AGENT)
