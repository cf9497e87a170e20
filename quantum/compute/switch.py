# SPDX-License-Identifier: Apache-2.0
"""The OVSDB side of plugging: an ovsdbapp connection and the few things vif needs.

Imported only when a VIF is plugged or unplugged: the ``ovs`` library imports
eventlet (slow, and it warns on import), which argument checking does not need.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ovsdbapp import exceptions
from ovsdbapp.backend.ovs_idl import connection, idlutils
from ovsdbapp.schema.open_vswitch import impl_idl

from quantum.compute.vif import SwitchUnreachable

TABLES = ("Open_vSwitch", "Bridge", "Port", "Interface")


class _CommitOnly(impl_idl.OvsVsctlTransaction):  # type: ignore[misc]  # NOTE: untyped
    """An ovs-vsctl-style transaction that does not wait for ovs-vswitchd.

    NOTE: ovsdbapp waits for ovs-vswitchd on the same clock as the caller waits
    for the commit, so a stopped vswitchd turns a committed transaction into a
    timeout. :meth:`Switch.wait_for_ofport` waits for what plugging needs instead.
    """

    def do_post_commit(self, txn: Any) -> None:
        return None


@dataclass(frozen=True)
class Switch:
    remote: str
    api: Any
    """ovsdbapp's Open_vSwitch API: commands (``add_port``...) and ``lookup``."""

    def commit(self, *commands: Any) -> None:
        """Run ``commands`` in one transaction; raise if it fails or times out."""
        txn = _CommitOnly(self.api, self.api.ovsdb_connection, check_error=True)
        for command in commands:
            txn.add(command)
        try:
            txn.commit()
        except exceptions.TimeoutException as error:
            raise SwitchUnreachable(
                remote=self.remote, reason=f"no answer within {txn.timeout:g}s"
            ) from error

    def bridge_exists(self, bridge: str) -> bool:
        return bool(self.api.br_exists(bridge).execute(check_error=True))

    def bridge_of(self, port: str) -> str | None:
        """The bridge that has port ``port``, if any."""
        for bridge in self.api.tables["Bridge"].rows.values():
            if any(p.name == port for p in bridge.ports):
                return str(bridge.name)
        return None

    def iface_id(self, interface: str) -> str | None:
        value = self.api.lookup("Interface", interface).external_ids.get("iface-id")
        return None if value is None else str(value)

    def wait_for_ofport(self, interface: str, timeout: float) -> int | None:
        """The ofport ovs-vswitchd gives ``interface`` (-1: it cannot use it), or
        None when it does not answer within ``timeout`` (stopped or busy: it picks
        the port up when it is back)."""
        deadline = time.monotonic() + timeout
        while True:
            row = self.api.lookup("Interface", interface)
            ofport = int(row.ofport[0]) if row.ofport else 0
            if ofport > 0 or (ofport == -1 and row.error):
                return ofport
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.01)

    def interface_error(self, interface: str) -> str:
        row = self.api.lookup("Interface", interface)
        return str(row.error[0]) if row.error else "unknown error"


@contextlib.contextmanager
def open_switch(remote: str, timeout: float) -> Iterator[Switch]:
    """A connection to the Open_vSwitch database at ``remote``, closed on exit."""
    try:
        helper = idlutils.get_schema_helper(remote, "Open_vSwitch")
    except Exception as error:  # NOTE: ovsdbapp raises a bare Exception here
        raise SwitchUnreachable(remote=remote, reason=str(error)) from error
    for table in TABLES:
        helper.register_table(table)
    conn = connection.Connection(
        idl=connection.OvsdbIdl(remote, helper), timeout=timeout
    )
    try:
        api = impl_idl.OvsdbIdl(conn)
    except Exception as error:
        conn.stop()
        raise SwitchUnreachable(remote=remote, reason=str(error)) from error
    try:
        yield Switch(remote, api)
    finally:
        conn.stop()
