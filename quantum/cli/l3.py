# SPDX-License-Identifier: Apache-2.0
"""Routers and floating IPs (spec §5.2) with Grizzly's commands and options.

``router-create/list/show/update/delete``, ``router-interface-add/delete ROUTER
SUBNET|subnet=SUBNET|port=PORT``, ``router-gateway-set ROUTER EXTERNAL-NETWORK
[--disable-snat]``, ``router-gateway-clear ROUTER``, ``router-port-list ROUTER``,
``floatingip-create/list/show/delete`` and ``floatingip-associate/disassociate``,
``net-external-list``.
"""

from __future__ import annotations

import argparse
from typing import Any

from cliff.command import Command

from quantum.cli.commands import ListCommand, Spec, client_of
from quantum.cli.specs import (
    NETWORK,
    PORT,
    admin_state_up_option,
    name_option,
    pairs,
    put,
)
from quantum.client import errors, resources
from quantum.client.v2 import Client

# routers


def _router_create_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--admin-state-down",
        "--admin_state_down",
        dest="admin_state",
        action="store_false",
        help="set the administrative state down",
    )
    parser.add_argument("NAME", help="name of the router")


def _router_create(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    del client
    return {"name": args.NAME, "admin_state_up": args.admin_state}


def _router_update_args(parser: argparse.ArgumentParser) -> None:
    name_option(parser)
    admin_state_up_option(parser)
    routes = parser.add_mutually_exclusive_group()
    routes.add_argument(
        "--route",
        action="append",
        type=pairs,
        metavar="destination=CIDR,nexthop=IP_ADDR",
        help="an extra route (repeatable; the list replaces the router's routes)",
    )
    routes.add_argument(
        "--no-routes", action="store_true", help="remove every extra route"
    )


def _router_update(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    del client
    body: dict[str, Any] = {}
    put(body, "name", args.name)
    put(body, "admin_state_up", args.admin_state_up)
    if args.route:
        body["routes"] = args.route
    if args.no_routes:
        body["routes"] = []
    return body


ROUTER = Spec(
    prefix="router",
    kind=resources.ROUTER,
    list_columns=("id", "name", "external_gateway_info"),
    create_args=_router_create_args,
    create_body=_router_create,
    update_args=_router_update_args,
    update_body=_router_update,
)


def _interface(client: Client, text: str) -> dict[str, str]:
    """``SUBNET``, ``subnet=SUBNET`` or ``port=PORT`` (names or ids)."""
    what, sep, value = text.partition("=")
    if not sep:
        what, value = "subnet", text
    if what == "subnet":
        return {"subnet_id": client.subnets.find_id(value)}
    if what == "port":
        return {"port_id": client.ports.find_id(value)}
    raise errors.BadRequest(
        "You must specify either subnet or port for INTERFACE parameter."
    )


class RouterPortList(ListCommand):
    """List the ports of a router (its interfaces and its gateway), as port-list
    shows ports."""

    spec = PORT

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("ROUTER", help="id or name of the router")
        return parser

    def filters(self, parsed_args: argparse.Namespace) -> dict[str, Any]:
        router = client_of(self).routers.find_id(parsed_args.ROUTER)
        return {**super().filters(parsed_args), "device_id": router}


class _RouterInterface(Command):
    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("ROUTER", help="id or name of the router")
        parser.add_argument(
            "INTERFACE",
            help='"SUBNET", "subnet=SUBNET" or "port=PORT" (ids or names)',
        )
        return parser


class RouterInterfaceAdd(_RouterInterface):
    """Add an internal network interface to a router."""

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        client = client_of(self)
        router = client.routers.find_id(parsed_args.ROUTER)
        which = _interface(client, parsed_args.INTERFACE)
        info = client.routers.add_interface(router, **which)
        self.app.stdout.write(
            f"Added interface {info.get('port_id', '')} to router "
            f"{parsed_args.ROUTER}.\n"
        )
        return 0


class RouterInterfaceDelete(_RouterInterface):
    """Remove an internal network interface from a router."""

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        client = client_of(self)
        router = client.routers.find_id(parsed_args.ROUTER)
        which = _interface(client, parsed_args.INTERFACE)
        client.routers.remove_interface(router, **which)
        self.app.stdout.write(f"Removed interface from router {parsed_args.ROUTER}.\n")
        return 0


class RouterGatewaySet(Command):
    """Set the external network gateway for a router."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("ROUTER", help="id or name of the router")
        parser.add_argument(
            "EXTERNAL_NETWORK", help="id or name of the external network"
        )
        parser.add_argument(
            "--disable-snat",
            dest="enable_snat",
            action="store_false",
            help="disable source NAT on the router gateway",
        )
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        client = client_of(self)
        router = client.routers.find_id(parsed_args.ROUTER)
        network = client.networks.find_id(parsed_args.EXTERNAL_NETWORK)
        client.routers.set_gateway(
            router, network, enable_snat=None if parsed_args.enable_snat else False
        )
        self.app.stdout.write(f"Set gateway for router {parsed_args.ROUTER}\n")
        return 0


class RouterGatewayClear(Command):
    """Remove an external network gateway from a router."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("ROUTER", help="id or name of the router")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        client = client_of(self)
        client.routers.clear_gateway(client.routers.find_id(parsed_args.ROUTER))
        self.app.stdout.write(f"Removed gateway from router {parsed_args.ROUTER}\n")
        return 0


# floating IPs


def _fixed_ip_address(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--fixed-ip-address",
        "--fixed_ip_address",
        dest="fixed_ip_address",
        metavar="IP_ADDR",
        help="the port's IP address (needed when the port has several)",
    )


def _floatingip_create_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "FLOATING_NETWORK", help="id or name of the network to allocate it from"
    )
    parser.add_argument(
        "--port-id",
        "--port_id",
        dest="port_id",
        metavar="PORT",
        help="id or name of the port to associate it with",
    )
    _fixed_ip_address(parser)


def _floatingip_create(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    body: dict[str, Any] = {
        "floating_network_id": client.networks.find_id(args.FLOATING_NETWORK)
    }
    if args.port_id:
        body["port_id"] = client.ports.find_id(args.port_id)
    put(body, "fixed_ip_address", args.fixed_ip_address)
    return body


FLOATINGIP = Spec(
    prefix="floatingip",
    kind=resources.FLOATINGIP,
    list_columns=("id", "fixed_ip_address", "floating_ip_address", "port_id"),
    create_args=_floatingip_create_args,
    create_body=_floatingip_create,
    commands=("list", "show", "create", "delete"),
)


class FloatingipAssociate(Command):
    """Associate a floating IP with a port (one of its fixed IPs)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("FLOATINGIP_ID", help="id of the floating IP")
        parser.add_argument("PORT", help="id or name of the port")
        _fixed_ip_address(parser)
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        client = client_of(self)
        client.floatingips.associate(
            parsed_args.FLOATINGIP_ID,
            client.ports.find_id(parsed_args.PORT),
            parsed_args.fixed_ip_address,
        )
        self.app.stdout.write(f"Associated floatingip {parsed_args.FLOATINGIP_ID}\n")
        return 0


class FloatingipDisassociate(Command):
    """Remove a floating IP's association with a port."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("FLOATINGIP_ID", help="id of the floating IP")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        client_of(self).floatingips.disassociate(parsed_args.FLOATINGIP_ID)
        self.app.stdout.write(f"Disassociated floatingip {parsed_args.FLOATINGIP_ID}\n")
        return 0


EXTERNAL_NETWORK = Spec(
    prefix="net-external",
    kind=resources.NETWORK,
    list_columns=NETWORK.list_columns,
    list_filters=(("router:external", True),),
    decorate=NETWORK.decorate,
    commands=("list",),
)

SPECS: tuple[Spec, ...] = (ROUTER, FLOATINGIP, EXTERNAL_NETWORK)

COMMANDS: tuple[tuple[str, type[Command]], ...] = (
    ("router-port-list", RouterPortList),
    ("router-interface-add", RouterInterfaceAdd),
    ("router-interface-delete", RouterInterfaceDelete),
    ("router-gateway-set", RouterGatewaySet),
    ("router-gateway-clear", RouterGatewayClear),
    ("floatingip-associate", FloatingipAssociate),
    ("floatingip-disassociate", FloatingipDisassociate),
)
