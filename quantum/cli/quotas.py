# SPDX-License-Identifier: Apache-2.0
"""``quota-list/show/update/delete``: per-tenant limits (admins), Grizzly's options.

Without ``--tenant-id`` they act on the caller's own project (the Keystone
token's, or ``--os-project-id``).
"""

from __future__ import annotations

import argparse
from typing import Any, Protocol, cast

from cliff.command import Command
from cliff.lister import Lister
from cliff.show import ShowOne

from quantum.cli import columns as cols
from quantum.client import errors
from quantum.client.v2 import Client

LIMITS = (
    "network",
    "subnet",
    "port",
    "router",
    "floatingip",
    "security_group",
    "security_group_rule",
)
"""Grizzly's quota-update options (``--security-group-rule``...); a resource the
server does not count is its error (400)."""


class HasProject(Protocol):
    @property
    def client(self) -> Client: ...

    @property
    def project_id(self) -> str | None: ...


def _tenant_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tenant-id",
        "--tenant_id",
        dest="tenant_id",
        metavar="TENANT_ID",
        help="the tenant (default: your own project)",
    )


def _tenant(command: Command, args: argparse.Namespace) -> str:
    app = cast(HasProject, command.app)
    tenant = args.tenant_id or app.project_id
    if not tenant:
        raise errors.BadRequest(
            "Tenant not known: give --tenant-id (or --os-project-id)"
        )
    return str(tenant)


class QuotaList(Lister):
    """List the tenants whose quotas are not the defaults."""

    def take_action(self, parsed_args: argparse.Namespace) -> Any:
        app = cast(HasProject, self.app)
        records = list(app.client.quotas.list())
        shown = (
            "tenant_id",
            *(c for c in cols.all_columns(records) if c != "tenant_id"),
        )
        return shown, (cols.row(r, shown) for r in records)


class QuotaShow(ShowOne):
    """Show a tenant's quotas."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        _tenant_arg(parser)
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> Any:
        app = cast(HasProject, self.app)
        quota = app.client.quotas.show(_tenant(self, parsed_args))
        shown = tuple(sorted(quota))
        return shown, cols.row(quota, shown)


class QuotaUpdate(ShowOne):
    """Change a tenant's quotas (-1: unlimited)."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        _tenant_arg(parser)
        for limit in LIMITS:
            parser.add_argument(
                f"--{limit.replace('_', '-')}",
                dest=limit,
                type=int,
                metavar=limit.upper() + "S",
                help=f"the limit of {limit}s",
            )
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> Any:
        app = cast(HasProject, self.app)
        limits = {
            k: getattr(parsed_args, k)
            for k in LIMITS
            if getattr(parsed_args, k) is not None
        }
        if not limits:
            raise errors.BadRequest("Must specify new values to update quota")
        quota = app.client.quotas.update(_tenant(self, parsed_args), **limits)
        shown = tuple(sorted(quota))
        return shown, cols.row(quota, shown)


class QuotaDelete(Command):
    """Reset a tenant's quotas to the defaults."""

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        _tenant_arg(parser)
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        app = cast(HasProject, self.app)
        tenant = _tenant(self, parsed_args)
        app.client.quotas.delete(tenant)
        self.app.stdout.write(f"Deleted quota: {tenant}\n")
        return 0


COMMANDS: tuple[tuple[str, type[Command]], ...] = (
    ("quota-list", QuotaList),
    ("quota-show", QuotaShow),
    ("quota-update", QuotaUpdate),
    ("quota-delete", QuotaDelete),
)
