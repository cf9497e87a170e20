# SPDX-License-Identifier: Apache-2.0
"""The OVSDB side of plugging: direct OVSDB transactions (RFC 7047) over one
JSON-RPC connection of the ``ovs`` library.

PERF: ``quantum-vif`` is run once per VIF, so its cost is start-up. An IDL
(ovsdbapp) fetches the schema and then a copy of every Bridge, Port and Interface
row before the first command, and ovsdbapp imports pbr and importlib.metadata; a
plug needs three small transactions instead: read what is there, write the port,
wait (inside ovsdb-server) for ovs-vswitchd's ofport. Imported only when a VIF is
plugged or unplugged.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ovs.jsonrpc
import ovs.poller
import ovs.stream
import ovs.timeval

from quantum.compute.errors import SwitchUnreachable
from quantum.core.families import QuantumError

DATABASE = "Open_vSwitch"
EMPTY = ["set", []]
"""An empty OVSDB set (an optional column without a value)."""

Row = dict[str, Any]


class TransactionFailed(QuantumError):
    template = "OVSDB refused the transaction: {reason}"

    reason: str


class WaitTimedOut(TransactionFailed):
    """A ``wait`` operation's condition did not come true in time."""


def _where(column: str, value: Any) -> list[list[Any]]:
    return [[column, "==", value]]


def uuid_set(uuids: Sequence[str], kind: str = "uuid") -> list[Any]:
    return ["set", [[kind, u] for u in uuids]]


def ovs_map(values: Mapping[str, str]) -> list[Any]:
    return ["map", [[k, v] for k, v in sorted(values.items())]]


def set_values(value: Any) -> list[Any]:
    """An OVSDB set column's value (a lone element is sent bare) as a list."""
    if isinstance(value, list) and value and value[0] == "set":
        return list(value[1])
    return [value]


def map_values(value: Any) -> dict[str, Any]:
    return {k: v for k, v in value[1]} if value else {}


@dataclass
class Switch:
    """One JSON-RPC connection to ``remote``; each call is one transaction."""

    remote: str
    rpc: Any
    timeout: float

    def transact(self, *operations: Row, timeout: float | None = None) -> list[Row]:
        """Run ``operations`` as one transaction; return their results.

        Raise :class:`SwitchUnreachable` if ovsdb-server does not answer within
        ``timeout`` (the switch's by default), :class:`WaitTimedOut` if a ``wait``
        operation timed out, :class:`TransactionFailed` for any other error.
        """
        request = ovs.jsonrpc.Message.create_request(
            "transact", [DATABASE, *operations]
        )
        reply = self._call(request, self.timeout if timeout is None else timeout)
        if reply.error is not None:
            raise TransactionFailed(reason=str(reply.error))
        results: list[Row] = list(reply.result)
        for result in results:
            if result is not None and "error" in result:
                reason = f"{result['error']}: {result.get('details', '')}".rstrip(": ")
                if result["error"] == "timed out":
                    raise WaitTimedOut(reason=reason)
                raise TransactionFailed(reason=reason)
        if len(results) > len(operations):  # NOTE: the commit's own error
            raise TransactionFailed(reason=str(results[-1]))
        return results

    def _call(self, request: Any, timeout: float) -> Any:
        deadline = ovs.timeval.msec() + int(timeout * 1000)
        error = self.rpc.send(request)
        while not error:
            error, message = self.rpc.recv()
            if error == errno.EAGAIN:
                remaining = deadline - ovs.timeval.msec()
                if remaining <= 0:
                    raise SwitchUnreachable(
                        remote=self.remote, reason=f"no answer within {timeout:g}s"
                    )
                self.rpc.run()
                poller = ovs.poller.Poller()
                self.rpc.wait(poller)
                self.rpc.recv_wait(poller)
                poller.timer_wait(remaining)
                poller.block()
                error = 0
                continue
            if error:
                break
            if (
                message.type == ovs.jsonrpc.Message.T_REQUEST
                and message.method == "echo"
            ):
                self.rpc.send(
                    ovs.jsonrpc.Message.create_reply(message.params, message.id)
                )
            elif message.id == request.id:
                return message
        raise SwitchUnreachable(remote=self.remote, reason=_strerror(error))

    # -- what plugging needs ----------------------------------------------------------

    def look(self, bridge: str, device: str) -> tuple[bool, str | None, Row | None]:
        """(``bridge`` exists, the bridge that has port ``device``, the
        Interface row named ``device`` (``_uuid``, ``external_ids``)); one read."""
        bridges, ports, interfaces = self.transact(
            {
                "op": "select",
                "table": "Bridge",
                "where": [],
                "columns": ["name", "ports"],
            },
            {
                "op": "select",
                "table": "Port",
                "where": _where("name", device),
                "columns": ["_uuid"],
            },
            {
                "op": "select",
                "table": "Interface",
                "where": _where("name", device),
                "columns": ["_uuid", "external_ids"],
            },
        )
        names = {row["name"] for row in bridges["rows"]}
        port_uuids = {row["_uuid"][1] for row in ports["rows"]}
        holder = next(
            (
                str(row["name"])
                for row in bridges["rows"]
                if port_uuids & {u[1] for u in set_values(row["ports"])}
            ),
            None,
        )
        rows = interfaces["rows"]
        return bridge in names, holder, (rows[0] if rows else None)

    def add_port(
        self,
        bridge: str,
        device: str,
        external_ids: Mapping[str, str],
        tag: int | None,
    ) -> None:
        """Add port ``device`` (one interface of that name, ``external_ids``) to
        ``bridge`` as an access port of VLAN ``tag`` (None: untagged); fail if a
        port of that name appeared meanwhile."""
        port: Row = {"name": device, "interfaces": ["named-uuid", "iface"]}
        if tag is not None:
            port["tag"] = tag
        (_, _, _, mutated) = self.transact(
            {
                "op": "wait",
                "timeout": 0,
                "table": "Port",
                "where": _where("name", device),
                "columns": ["name"],
                "until": "==",
                "rows": [],
            },
            {
                "op": "insert",
                "table": "Interface",
                "row": {"name": device, "external_ids": ovs_map(external_ids)},
                "uuid-name": "iface",
            },
            {
                "op": "insert",
                "table": "Port",
                "row": port,
                "uuid-name": "port",
            },
            {
                "op": "mutate",
                "table": "Bridge",
                "where": _where("name", bridge),
                "mutations": [["ports", "insert", uuid_set(["port"], "named-uuid")]],
            },
        )
        if mutated.get("count") != 1:
            raise TransactionFailed(reason=f"bridge {bridge} is gone")

    def set_external_ids(
        self,
        interface_uuid: str,
        values: Mapping[str, str],
        untag: str | None = None,
    ) -> None:
        """Set these keys of an Interface's ``external_ids``, keeping the others;
        in the same transaction clear port ``untag``'s VLAN tag, if given."""
        where = _where("_uuid", ["uuid", interface_uuid])
        operations: list[Row] = [
            {
                "op": "mutate",
                "table": "Interface",
                "where": where,
                "mutations": [
                    ["external_ids", "delete", ["set", sorted(values)]],
                    ["external_ids", "insert", ovs_map(values)],
                ],
            }
        ]
        if untag is not None:
            operations.append(
                {
                    "op": "update",
                    "table": "Port",
                    "where": _where("name", untag),
                    "row": {"tag": EMPTY},
                }
            )
        self.transact(*operations)

    def wait_for_ofport(self, device: str, timeout: float) -> tuple[int, str] | None:
        """(ofport, error) once ovs-vswitchd has given ``device`` an ofport (-1: it
        cannot use it, ``error`` says why), or None when it does not within
        ``timeout`` (stopped or busy: it picks the port up when it is back)."""
        try:
            _, selected = self.transact(
                {
                    "op": "wait",
                    "timeout": int(timeout * 1000),
                    "table": "Interface",
                    "where": _where("name", device),
                    "columns": ["ofport"],
                    "until": "!=",
                    "rows": [{"ofport": EMPTY}],
                },
                {
                    "op": "select",
                    "table": "Interface",
                    "where": _where("name", device),
                    "columns": ["ofport", "error"],
                },
                timeout=self.timeout + timeout,
            )
        except WaitTimedOut:
            return None
        rows = selected["rows"]
        ofports = set_values(rows[0]["ofport"]) if rows else []
        if not ofports:
            return None
        errors = set_values(rows[0]["error"])
        return int(ofports[0]), str(errors[0]) if errors else "unknown error"

    def del_port(self, bridge: str, device: str) -> None:
        """Remove port ``device`` from ``bridge`` (its Port and Interface rows go
        with it: only the bridge refers to them)."""
        (port,) = self.transact(
            {
                "op": "select",
                "table": "Port",
                "where": _where("name", device),
                "columns": ["_uuid"],
            }
        )
        uuids = [row["_uuid"][1] for row in port["rows"]]
        if uuids:
            self.transact(
                {
                    "op": "mutate",
                    "table": "Bridge",
                    "where": _where("name", bridge),
                    "mutations": [["ports", "delete", uuid_set(uuids)]],
                }
            )


def _strerror(error: int) -> str:
    return "connection closed" if error == ovs.jsonrpc.EOF else os.strerror(error)


@contextlib.contextmanager
def open_switch(remote: str, timeout: float) -> Iterator[Switch]:
    """A connection to the Open_vSwitch database at ``remote``, closed on exit."""
    error, stream = ovs.stream.Stream.open_block(
        ovs.stream.Stream.open(remote), int(timeout * 1000)
    )
    if error:
        raise SwitchUnreachable(remote=remote, reason=_strerror(error))
    rpc = ovs.jsonrpc.Connection(stream)
    try:
        yield Switch(remote, rpc, timeout)
    finally:
        rpc.close()
