# SPDX-License-Identifier: Apache-2.0
"""Security groups and their rules (spec §5.5) with Grizzly's commands and options.

``security-group-create/list/show/update/delete`` and
``security-group-rule-create/list/show/delete``; the rule list shows the groups by
name (``security_group``, ``remote_group`` columns) unless ``--no-nameconv``.
"""

from __future__ import annotations

import argparse
from typing import Any

from quantum.cli.commands import Spec
from quantum.cli.specs import put
from quantum.client import resources
from quantum.client.v2 import Client, Record


def _group_create_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("NAME", help="name of the security group")
    parser.add_argument("--description", help="description of the security group")


def _group_create(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    del client
    body: dict[str, Any] = {"name": args.NAME}
    put(body, "description", args.description)
    return body


def _group_update_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--name", help="a new name")
    parser.add_argument("--description", help="a new description")


def _group_update(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    del client
    body: dict[str, Any] = {}
    put(body, "name", args.name)
    put(body, "description", args.description)
    return body


SECURITY_GROUP = Spec(
    prefix="security-group",
    kind=resources.SECURITY_GROUP,
    list_columns=("id", "name", "description"),
    create_args=_group_create_args,
    create_body=_group_create,
    update_args=_group_update_args,
    update_body=_group_update,
)


def _port(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a port number, not {text!r}"
        ) from None


def _rule_create_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "SECURITY_GROUP", help="id or name of the security group to add the rule to"
    )
    parser.add_argument(
        "--direction",
        default="ingress",
        choices=("ingress", "egress"),
        help="direction of traffic (default: ingress)",
    )
    parser.add_argument("--ethertype", default="IPv4", help="IPv4 (default) or IPv6")
    parser.add_argument("--protocol", help="tcp, udp or icmp (default: any)")
    for side in ("min", "max"):
        parser.add_argument(
            f"--port-range-{side}",
            f"--port_range_{side}",
            dest=f"port_range_{side}",
            type=_port,
            metavar="PORT",
            help=f"the {'first' if side == 'min' else 'last'} port of the range",
        )
    parser.add_argument(
        "--remote-ip-prefix",
        "--remote_ip_prefix",
        dest="remote_ip_prefix",
        metavar="CIDR",
        help="the addresses the rule matches",
    )
    parser.add_argument(
        "--remote-group-id",
        "--remote_group_id",
        dest="remote_group_id",
        metavar="REMOTE_GROUP",
        help="id or name of the group whose ports the rule matches",
    )


def _rule_create(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    groups = client.security_groups
    body: dict[str, Any] = {
        "security_group_id": groups.find_id(args.SECURITY_GROUP),
        "direction": args.direction,
        "ethertype": args.ethertype,
    }
    put(body, "protocol", args.protocol)
    put(body, "port_range_min", args.port_range_min)
    put(body, "port_range_max", args.port_range_max)
    put(body, "remote_ip_prefix", args.remote_ip_prefix)
    if args.remote_group_id:
        body["remote_group_id"] = groups.find_id(args.remote_group_id)
    return body


NAMED = {"security_group_id": "security_group", "remote_group_id": "remote_group"}
"""The rule list's id columns and the name columns Grizzly showed instead."""
RULE_COLUMNS = (
    "id",
    "security_group_id",
    "direction",
    "protocol",
    "remote_ip_prefix",
    "remote_group_id",
)


def _rule_list_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-nameconv",
        action="store_true",
        help="show the security groups' ids, not their names",
    )


def _rule_columns(args: argparse.Namespace) -> tuple[str, ...]:
    if args.no_nameconv:
        return RULE_COLUMNS
    return tuple(NAMED.get(c, c) for c in RULE_COLUMNS)


def _group_names(
    records: list[Record], client: Client, args: argparse.Namespace
) -> None:
    """``security_group``/``remote_group``: the group's name, or its id if unnamed."""
    if args.no_nameconv:
        return
    ids = {r.get(k) for r in records for k in NAMED} - {None, ""}
    names: dict[str, str] = {}
    if ids:
        listed = client.security_groups.list(fields=("id", "name"), id=sorted(ids))
        names = {g["id"]: g["name"] for g in listed if g.get("name")}
    for record in records:
        for key, shown in NAMED.items():
            value = record.get(key)
            record[shown] = names.get(value, value) if value else value


SECURITY_GROUP_RULE = Spec(
    prefix="security-group-rule",
    kind=resources.SECURITY_GROUP_RULE,
    list_columns=RULE_COLUMNS,
    list_args=_rule_list_args,
    columns=_rule_columns,
    decorate=_group_names,
    create_args=_rule_create_args,
    create_body=_rule_create,
    commands=("list", "show", "create", "delete"),
)

SPECS: tuple[Spec, ...] = (SECURITY_GROUP, SECURITY_GROUP_RULE)
