# SPDX-License-Identifier: Apache-2.0
"""Port counters: agents report what they read from the switch; tenants read them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from quantum.core.agents import PortCounters
from quantum.db.extension_models import PortStatisticsRow
from quantum.db.models import PortRow, utcnow
from quantum.db.session import Database
from quantum.plugins.sql import SqlPlugin

COUNTERS = (
    "rx_packets",
    "rx_bytes",
    "rx_errors",
    "tx_packets",
    "tx_bytes",
    "tx_errors",
)


class PortStatsStore:
    def __init__(self, sql: SqlPlugin) -> None:
        self.sql = sql
        self.db: Database = sql.db

    def get(self, tenant_id: str, network_id: str, port_id: str) -> PortCounters:
        """The counters last reported (zeros before the first report).
        Raises NetworkNotFound, PortNotFound."""
        self.sql.ports.get_on_network(tenant_id, network_id, port_id)
        row = self.db.run(lambda s: s.get(PortStatisticsRow, port_id), write=False)
        if row is None:
            return PortCounters(port_id=port_id)
        return PortCounters(
            port_id=port_id, **{name: getattr(row, name) for name in COUNTERS}
        )

    def record(self, host: str, counters: Sequence[PortCounters]) -> None:
        """Store a host's report; unknown ports are ignored. Changes no desired
        state, so the revision stays."""

        def work(s: Session) -> None:
            # NOTE: the agent API refuses a report holding NUL (core/text.py).
            wanted = {c.port_id: c for c in counters}
            if not wanted:
                return
            known = set(s.scalars(select(PortRow.id).where(PortRow.id.in_(wanted))))
            now = utcnow()
            for port_id in sorted(known):
                c = wanted[port_id]
                values = {name: getattr(c, name) for name in COUNTERS}
                row = s.get(PortStatisticsRow, port_id, with_for_update=True)
                if row is None:
                    s.add(
                        PortStatisticsRow(
                            port_id=port_id, host=host, updated_at=now, **values
                        )
                    )
                else:
                    row.host = host
                    row.updated_at = now
                    for name, value in values.items():
                        setattr(row, name, value)

        self.db.run(work, write=True, bump_revision=False)
