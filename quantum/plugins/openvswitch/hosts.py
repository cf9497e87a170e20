# SPDX-License-Identifier: Apache-2.0
"""The agents' hosts: tunnel endpoints and heartbeats, kept in ``agent_hosts``.

Functions over a session, run inside the plugin's transactions. A host is *live*
while its last heartbeat is newer than ``agent_down_time``; only live hosts are
offered to other agents as tunnel peers.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from ipaddress import ip_address

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quantum.core.models import AgentHost, NetworkType
from quantum.db.models import AgentHostRow


def _types_column(types: frozenset[NetworkType]) -> str:
    return ",".join(sorted(t.value for t in types))


def _to_domain(row: AgentHostRow) -> AgentHost:
    return AgentHost(
        host=row.host,
        tunnel_ip=ip_address(row.tunnel_ip) if row.tunnel_ip else None,
        tunnel_types=frozenset(
            NetworkType(t) for t in row.tunnel_types.split(",") if t
        ),
        agent_version=row.agent_version,
        last_seen=row.last_seen,
    )


def record(s: Session, host: AgentHost, now: datetime, down_time: timedelta) -> bool:
    """Store the host's endpoint with ``last_seen = now``. Whether other agents'
    view changed: a new host, one back from the dead, or a moved endpoint."""
    tunnel_ip = str(host.tunnel_ip) if host.tunnel_ip is not None else None
    types = _types_column(host.tunnel_types)
    row = s.get(AgentHostRow, host.host, with_for_update=True)
    if row is None:
        try:
            with s.begin_nested():
                s.add(
                    AgentHostRow(
                        host=host.host,
                        tunnel_ip=tunnel_ip,
                        tunnel_types=types,
                        agent_version=host.agent_version,
                        last_seen=now,
                    )
                )
            return True
        except IntegrityError:
            # NOTE: the same host registered concurrently (two requests of one
            # agent); theirs committed first, so update it like any heartbeat.
            row = s.get(
                AgentHostRow, host.host, with_for_update=True, populate_existing=True
            )
            assert row is not None  # noqa: S101  # NOTE: hosts are never deleted
    changed = (
        row.tunnel_ip != tunnel_ip
        or row.tunnel_types != types
        or row.last_seen < now - down_time
    )
    row.tunnel_ip = tunnel_ip
    row.tunnel_types = types
    row.agent_version = host.agent_version
    row.last_seen = now
    return changed


def live_peers(s: Session, host: str, since: datetime) -> list[AgentHost]:
    """The other hosts seen after ``since`` that have a tunnel endpoint, by name."""
    rows = s.scalars(
        select(AgentHostRow)
        .where(
            AgentHostRow.last_seen >= since,
            AgentHostRow.host != host,
            AgentHostRow.tunnel_ip.is_not(None),
        )
        .order_by(AgentHostRow.host)
    )
    return [_to_domain(r) for r in rows]
