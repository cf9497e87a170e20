# SPDX-License-Identifier: Apache-2.0
"""The five generic commands (list, show, create, update, delete), each driven by
a ``Spec`` row of ``quantum.cli.specs``: a new resource needs a row, not classes.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

from cliff.command import Command
from cliff.lister import Lister
from cliff.show import ShowOne

from quantum.cli import columns as cols
from quantum.cli.progress import track
from quantum.client import errors
from quantum.client.resources import Kind
from quantum.client.v2 import Client, Collection, Record

AddArgs = Callable[[argparse.ArgumentParser], None]
Body = Callable[[argparse.Namespace, Client], dict[str, Any]]
Decorate = Callable[[list[Record], Client, argparse.Namespace], None]
Columns = Callable[[argparse.Namespace], tuple[str, ...]]


def _no_args(parser: argparse.ArgumentParser) -> None:
    del parser


def _no_body(args: argparse.Namespace, client: Client) -> dict[str, Any]:
    del args, client
    return {}


def _as_is(records: list[Record], client: Client, args: argparse.Namespace) -> None:
    del records, client, args


@dataclass(frozen=True, slots=True, kw_only=True)
class Spec:
    """The commands of one resource: ``{prefix}-list``, ``{prefix}-show``..."""

    prefix: str
    kind: Kind
    list_columns: tuple[str, ...]
    list_args: AddArgs = _no_args
    """list's own options (security-group-rule-list's ``--no-nameconv``)."""
    columns: Columns | None = None
    """The default list columns for these options, when not ``list_columns``."""
    list_filters: tuple[tuple[str, Any], ...] = ()
    """Filters every list sends (net-external-list: ``router:external=True``)."""
    create_args: AddArgs = _no_args
    create_body: Body = _no_body
    update_args: AddArgs = _no_args
    update_body: Body = _no_body
    decorate: Decorate = _as_is
    """Turns listed records into what the table shows (net-list's subnets)."""
    countable: bool = False
    """create takes ``--count N`` (N members, the name suffixed ``-1``...)."""
    commands: tuple[str, ...] = field(
        default=("list", "show", "create", "update", "delete")
    )


class HasClient(Protocol):
    @property
    def client(self) -> Client: ...


def client_of(command: Command) -> Client:
    """The client of the application running ``command``."""
    return cast(HasClient, command.app).client


_client = client_of


def _collection(command: Command, spec: Spec) -> Collection:
    return _client(command).collection(spec.kind)


def _add_fields(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-D",
        "--show-details",
        action="store_true",
        help="show every attribute",
    )
    parser.add_argument(
        "-F",
        "--field",
        "--fields",
        dest="fields",
        action="append",
        default=[],
        metavar="FIELD",
        help="ask the server for this attribute only (repeatable)",
    )


class ListCommand(Lister):
    spec: Spec

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        _add_fields(parser)
        parser.add_argument(
            "-P",
            "--page-size",
            type=int,
            metavar="SIZE",
            help="fetch the list SIZE members a request (all are shown)",
        )
        parser.add_argument("--sort-key", action="append", default=[])
        parser.add_argument(
            "--sort-dir", action="append", default=[], choices=("asc", "desc")
        )
        self.spec.list_args(parser)
        return parser

    def filters(self, parsed_args: argparse.Namespace) -> dict[str, Any]:
        """What the server is asked to filter on."""
        del parsed_args
        return dict(self.spec.list_filters)

    def take_action(self, parsed_args: argparse.Namespace) -> Any:
        spec = self.spec
        filters = self.filters(parsed_args)
        if parsed_args.sort_key:
            filters["sort_key"] = parsed_args.sort_key
        if parsed_args.sort_dir:
            filters["sort_dir"] = parsed_args.sort_dir
        fields = tuple(parsed_args.fields)
        records = list(
            _collection(self, spec).list(
                fields=fields, page_size=parsed_args.page_size, **filters
            )
        )
        spec.decorate(records, _client(self), parsed_args)
        if fields:
            shown: Sequence[str] = fields
        elif parsed_args.show_details:
            shown = cols.all_columns(records) or spec.list_columns
        elif spec.columns is not None:
            shown = spec.columns(parsed_args)
        else:
            shown = spec.list_columns
        return shown, (cols.row(r, shown) for r in records)


class ShowCommand(ShowOne):
    spec: Spec

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        _add_fields(parser)
        parser.add_argument(
            self.spec.kind.singular.upper(),
            help=f"id or name of the {self.spec.kind.singular} to show",
        )
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> Any:
        which = getattr(parsed_args, self.spec.kind.singular.upper())
        record = _collection(self, self.spec).find(which, tuple(parsed_args.fields))
        return _one(record)


def _one(record: Record) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    shown = tuple(sorted(record))
    return shown, cols.row(record, shown)


def _many(records: list[Record]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """Several made at once, shown as one: each attribute lists every value."""
    shown = cols.all_columns(records)
    return shown, tuple(cols.Listed([r.get(c, "") for r in records]) for c in shown)


class CreateCommand(ShowOne):
    spec: Spec

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument(
            "--tenant-id", metavar="TENANT_ID", help="the owner's tenant id"
        )
        if self.spec.countable:
            parser.add_argument(
                "--count",
                type=int,
                default=1,
                metavar="N",
                help="make N of them, named NAME-1 ... NAME-N",
            )
        self.spec.create_args(parser)
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> Any:
        client = _client(self)
        body = self.spec.create_body(parsed_args, client)
        if parsed_args.tenant_id:
            body["tenant_id"] = parsed_args.tenant_id
        count = getattr(parsed_args, "count", 1)
        if count < 1:
            raise errors.BadRequest(f"--count must be 1 or more, not {count}")
        collection = client.collection(self.spec.kind)
        singular = self.spec.kind.singular
        if count == 1:
            record = collection.create(**body)
            if parsed_args.formatter == "table":
                self.app.stdout.write(f"Created a new {singular}:\n")
            return _one(record)
        made = []
        name = body.get("name") or singular
        for i in track(range(1, count + 1), count, f"{singular}s", self.app.stderr):
            made.append(collection.create(**{**body, "name": f"{name}-{i}"}))
        if parsed_args.formatter == "table":
            self.app.stdout.write(f"Created {count} new {self.spec.kind.collection}:\n")
        return _many(made)


class UpdateCommand(Command):
    spec: Spec

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument(
            self.spec.kind.singular.upper(),
            help=f"id or name of the {self.spec.kind.singular} to update",
        )
        self.spec.update_args(parser)
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        client = _client(self)
        collection = client.collection(self.spec.kind)
        which = getattr(parsed_args, self.spec.kind.singular.upper())
        member = collection.find_id(which)
        body = self.spec.update_body(parsed_args, client)
        if not body:
            raise errors.BadRequest("Must specify new values to update")
        collection.update(member, **body)
        self.app.stdout.write(f"Updated {self.spec.kind.singular}: {which}\n")
        return 0


class DeleteCommand(Command):
    spec: Spec

    def get_parser(self, prog_name: str) -> argparse.ArgumentParser:
        parser = super().get_parser(prog_name)
        parser.add_argument(
            self.spec.kind.singular.upper(),
            nargs="+",
            help=f"id or name of the {self.spec.kind.singular} to delete "
            "(several: each is tried, and the command fails if one did)",
        )
        return parser

    def take_action(self, parsed_args: argparse.Namespace) -> int:
        collection = _collection(self, self.spec)
        singular = self.spec.kind.singular
        which: list[str] = getattr(parsed_args, singular.upper())
        failed: list[str] = []
        for name in track(which, len(which), f"deleting {singular}s", self.app.stderr):
            try:
                collection.delete(collection.find_id(name))
            except errors.ClientError as error:
                if len(which) == 1:
                    raise
                failed.append(f"{name}: {error}")
                continue
            self.app.stdout.write(f"Deleted {singular}: {name}\n")
            self.app.stdout.flush()  # NOTE: each line as it happens, even in a pipe
        if failed:
            raise errors.ClientError(
                f"Failed to delete {len(failed)} of {len(which)} {singular}s:\n"
                + "\n".join(failed)
            )
        return 0


BASES: dict[str, type[Command]] = {
    "list": ListCommand,
    "show": ShowCommand,
    "create": CreateCommand,
    "update": UpdateCommand,
    "delete": DeleteCommand,
}


def commands(specs: Iterable[Spec]) -> Iterable[tuple[str, type[Command]]]:
    """(name, class) of every command the specs declare, for the command manager."""
    for spec in specs:
        for verb in spec.commands:
            base = BASES[verb]
            doc = f"{verb.capitalize()} {spec.kind.singular.replace('_', ' ')}s."
            if verb != "list":
                doc = f"{verb.capitalize()} a {spec.kind.singular.replace('_', ' ')}."
            title = "".join(p.capitalize() for p in (spec.prefix, verb))
            made = type(title, (base,), {"spec": spec, "__doc__": doc})
            yield f"{spec.prefix}-{verb}", made
