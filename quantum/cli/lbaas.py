# SPDX-License-Identifier: Apache-2.0
"""Load balancing (``lbaas``, spec §5.10) with Grizzly's commands and options.

``lb-vip-create POOL --name --protocol-port --protocol --subnet-id [--address]
[--connection-limit] [--description] [--admin-state-down]``,
``lb-pool-create --name --lb-method --protocol --subnet-id [--description]
[--admin-state-down]``, ``lb-member-create POOL --address --protocol-port
[--weight] [--admin-state-down]``, ``lb-healthmonitor-create --type --delay
--timeout --max-retries [--http-method] [--url-path] [--expected-codes]
[--admin-state-down]``; their ``-list/-show/-update/-delete``; ``lb-pool-stats
POOL``; ``lb-healthmonitor-associate/disassociate HEALTH_MONITOR_ID POOL``.

Grizzly's update commands took any ``--attribute value``; these take the
attributes the server lets change, as options of the same names (``--lb-method``
or ``--lb_method``...).
"""

from __future__ import annotations

import argparse
from typing import Any

from cliff.command import Command
from cliff.show import ShowOne

from quantum.cli import columns as cols
from quantum.cli.commands import Spec, client_of
from quantum.cli.specs import admin_state_up_option, pairs, put
from quantum.client import resources
from quantum.client.v2 import Client


def _option(
    parser: argparse.ArgumentParser, name: str, *, required: bool = False, **kw: Any
) -> None:
    """``--a-b`` and ``--a_b`` (Grizzly's create options have hyphens, its update
    attributes underscores)."""
    dashed = name.replace("_", "-")
    flags = [f"--{dashed}"] + ([f"--{name}"] if dashed != name else [])
    parser.add_argument(*flags, dest=name, required=required, **kw)


def _admin_state_down(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--admin-state-down",
        dest="admin_state",
        action="store_false",
        help="set admin state up to false",
    )


def _put_all(body: dict[str, Any], args: argparse.Namespace, *names: str) -> None:
    for name in names:
        put(body, name, getattr(args, name))


# VIPs


def _vip_create_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "pool_id", metavar="POOL", help="id or name of the pool the vip sends to"
    )
    parser.add_argument("--address", help="IP address of the vip")
    _admin_state_down(parser)
    _option(
        parser,
        "connection_limit",
        type=int,
        help="the maximum number of connections the vip allows (-1: unlimited)",
    )
    parser.add_argument("--description", help="description of the vip")
    parser.add_argument("--name", required=True, help="name of the vip")
    _option(
        parser,
        "protocol_port",
        required=True,
        type=int,
        help="TCP port on which to listen for client traffic",
    )
    parser.add_argument(
        "--protocol", required=True, help="protocol for balancing: TCP, HTTP, HTTPS"
    )
    _option(
        parser,
        "subnet_id",
        required=True,
        metavar="SUBNET",
        help="id or name of the subnet on which to allocate the vip address",
    )


def _vip_create(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    body: dict[str, Any] = {
        "pool_id": client.pools.find_id(args.pool_id),
        "subnet_id": client.subnets.find_id(args.subnet_id),
        "admin_state_up": args.admin_state,
    }
    _put_all(
        body,
        args,
        "address",
        "connection_limit",
        "description",
        "name",
        "protocol_port",
        "protocol",
    )
    return body


def _vip_update_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", help="a new name")
    parser.add_argument("--description", help="a new description")
    _option(parser, "pool_id", metavar="POOL", help="id or name of another pool")
    _option(parser, "connection_limit", type=int)
    admin_state_up_option(parser)
    persistence = parser.add_mutually_exclusive_group()
    persistence.add_argument(
        "--session-persistence",
        "--session_persistence",
        dest="session_persistence",
        type=pairs,
        metavar="type=TYPE[,cookie_name=NAME]",
        help="APP_COOKIE (with cookie_name), HTTP_COOKIE or SOURCE_IP",
    )
    persistence.add_argument(
        "--no-session-persistence",
        action="store_true",
        help="remove the session persistence",
    )


def _vip_update(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    body: dict[str, Any] = {}
    _put_all(body, args, "name", "description", "connection_limit", "admin_state_up")
    if args.pool_id is not None:
        body["pool_id"] = client.pools.find_id(args.pool_id)
    put(body, "session_persistence", args.session_persistence)
    if args.no_session_persistence:
        body["session_persistence"] = None
    return body


VIP = Spec(
    prefix="lb-vip",
    kind=resources.VIP,
    list_columns=("id", "name", "address", "protocol", "admin_state_up", "status"),
    create_args=_vip_create_args,
    create_body=_vip_create,
    update_args=_vip_update_args,
    update_body=_vip_update,
)

# pools


def _pool_create_args(parser: argparse.ArgumentParser) -> None:
    _admin_state_down(parser)
    parser.add_argument("--description", help="description of the pool")
    _option(
        parser,
        "lb_method",
        required=True,
        help="ROUND_ROBIN, LEAST_CONNECTIONS or SOURCE_IP",
    )
    parser.add_argument("--name", required=True, help="the name of the pool")
    parser.add_argument(
        "--protocol", required=True, help="protocol for balancing: TCP, HTTP, HTTPS"
    )
    _option(
        parser,
        "subnet_id",
        required=True,
        metavar="SUBNET",
        help="id or name of the subnet on which the members of the pool are",
    )


def _pool_create(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    body: dict[str, Any] = {
        "subnet_id": client.subnets.find_id(args.subnet_id),
        "admin_state_up": args.admin_state,
    }
    _put_all(body, args, "description", "lb_method", "name", "protocol")
    return body


def _pool_update_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", help="a new name")
    parser.add_argument("--description", help="a new description")
    _option(parser, "lb_method", help="ROUND_ROBIN, LEAST_CONNECTIONS or SOURCE_IP")
    admin_state_up_option(parser)
    monitors = parser.add_mutually_exclusive_group()
    monitors.add_argument(
        "--health-monitor",
        dest="health_monitors",
        action="append",
        metavar="HEALTH_MONITOR_ID",
        help="a health monitor of the pool (repeatable; the list replaces the "
        "pool's monitors)",
    )
    monitors.add_argument(
        "--no-health-monitors",
        action="store_true",
        help="remove every health monitor from the pool",
    )


def _pool_update(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    del client
    body: dict[str, Any] = {}
    _put_all(body, args, "name", "description", "lb_method", "admin_state_up")
    put(body, "health_monitors", args.health_monitors)
    if args.no_health_monitors:
        body["health_monitors"] = []
    return body


POOL = Spec(
    prefix="lb-pool",
    kind=resources.POOL,
    list_columns=("id", "name", "lb_method", "protocol", "admin_state_up", "status"),
    create_args=_pool_create_args,
    create_body=_pool_create,
    update_args=_pool_update_args,
    update_body=_pool_update,
)

# members


def _member_create_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "pool_id", metavar="POOL", help="id or name of the pool the member is in"
    )
    _admin_state_down(parser)
    parser.add_argument(
        "--weight", type=int, help="weight of the member in the pool (0-256)"
    )
    parser.add_argument(
        "--address", required=True, help="IP address of the member on the pool network"
    )
    _option(
        parser,
        "protocol_port",
        required=True,
        type=int,
        help="port on which the member listens",
    )


def _member_create(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    body: dict[str, Any] = {
        "pool_id": client.pools.find_id(args.pool_id),
        "admin_state_up": args.admin_state,
    }
    _put_all(body, args, "weight", "address", "protocol_port")
    return body


def _member_update_args(parser: argparse.ArgumentParser) -> None:
    _option(parser, "pool_id", metavar="POOL", help="id or name of another pool")
    parser.add_argument("--weight", type=int, help="a new weight (0-256)")
    admin_state_up_option(parser)


def _member_update(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    body: dict[str, Any] = {}
    _put_all(body, args, "weight", "admin_state_up")
    if args.pool_id is not None:
        body["pool_id"] = client.pools.find_id(args.pool_id)
    return body


MEMBER = Spec(
    prefix="lb-member",
    kind=resources.MEMBER,
    list_columns=("id", "address", "protocol_port", "admin_state_up", "status"),
    create_args=_member_create_args,
    create_body=_member_create,
    update_args=_member_update_args,
    update_body=_member_update,
)

# health monitors


def _monitor_options(parser: argparse.ArgumentParser, *, create: bool) -> None:
    _option(
        parser,
        "expected_codes",
        help="HTTP codes that mean healthy: one, several separated by commas, or a "
        'range ("200-299"); default 200',
    )
    _option(parser, "http_method", help="the HTTP method of an HTTP monitor (GET)")
    _option(parser, "url_path", help="the path an HTTP monitor asks for (/)")
    parser.add_argument(
        "--delay",
        required=create,
        type=int,
        help="seconds between two probes of a member",
    )
    _option(
        parser,
        "max_retries",
        required=create,
        type=int,
        help="failed probes before a member is INACTIVE (1-10)",
    )
    parser.add_argument(
        "--timeout",
        required=create,
        type=int,
        help="seconds a probe waits for an answer",
    )


def _monitor_create_args(parser: argparse.ArgumentParser) -> None:
    _admin_state_down(parser)
    _monitor_options(parser, create=True)
    parser.add_argument("--type", required=True, help="PING, TCP, HTTP or HTTPS")


MONITOR_ATTRIBUTES = (
    "expected_codes",
    "http_method",
    "url_path",
    "delay",
    "max_retries",
    "timeout",
)


def _monitor_create(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    del client
    body: dict[str, Any] = {"type": args.type, "admin_state_up": args.admin_state}
    _put_all(body, args, *MONITOR_ATTRIBUTES)
    return body


def _monitor_update_args(parser: argparse.ArgumentParser) -> None:
    _monitor_options(parser, create=False)
    admin_state_up_option(parser)


def _monitor_update(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    del client
    body: dict[str, Any] = {}
    _put_all(body, args, *MONITOR_ATTRIBUTES, "admin_state_up")
    return body


HEALTH_MONITOR = Spec(
    prefix="lb-healthmonitor",
    kind=resources.HEALTH_MONITOR,
    list_columns=("id", "type", "admin_state_up", "status"),
    create_args=_monitor_create_args,
    create_body=_monitor_create,
    update_args=_monitor_update_args,
    update_body=_monitor_update,
)


class PoolStats(ShowOne):
    """Retrieve stats for a given pool."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("POOL", help="id or name of the pool")
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> Any:
        client = client_of(self)
        stats = client.pools.stats(client.pools.find_id(parsed_args.POOL))
        shown = tuple(sorted(stats))
        return shown, cols.row(stats, shown)


class _Association(Command):
    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument("health_monitor_id", metavar="HEALTH_MONITOR_ID")
        parser.add_argument("pool_id", metavar="POOL", help="id or name of the pool")
        return parser


class HealthMonitorAssociate(_Association):
    """Create a mapping between a health monitor and a pool."""

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        client = client_of(self)
        pool = client.pools.find_id(parsed_args.pool_id)
        client.pools.associate_health_monitor(pool, parsed_args.health_monitor_id)
        self.app.stdout.write(
            f"Associated health monitor {parsed_args.health_monitor_id}\n"
        )
        return 0


class HealthMonitorDisassociate(_Association):
    """Remove a mapping from a health monitor to a pool."""

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        client = client_of(self)
        pool = client.pools.find_id(parsed_args.pool_id)
        client.pools.disassociate_health_monitor(pool, parsed_args.health_monitor_id)
        self.app.stdout.write(
            f"Disassociated health monitor {parsed_args.health_monitor_id}\n"
        )
        return 0


SPECS: tuple[Spec, ...] = (VIP, POOL, MEMBER, HEALTH_MONITOR)

COMMANDS: tuple[tuple[str, type[Command]], ...] = (
    ("lb-pool-stats", PoolStats),
    ("lb-healthmonitor-associate", HealthMonitorAssociate),
    ("lb-healthmonitor-disassociate", HealthMonitorDisassociate),
)
