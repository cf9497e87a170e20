# SPDX-License-Identifier: Apache-2.0
"""The agents' hosts: tunnel endpoints and heartbeats, kept in ``agent_hosts``.

One row per agent, keyed by its type and host (one host runs an Open vSwitch agent
and a DHCP agent, say); what concerns forwarding (tunnel peers, a host taken out of
service) reads the Open vSwitch agents' rows.

Functions over a session, run inside the plugin's transactions. Every registered
host with a tunnel endpoint is offered to the other agents as a tunnel peer, alive
or not: a missed heartbeat never tears down forwarding. A host leaves when an admin
deletes its agent (``/v2.0/agents``); its agent's next heartbeat registers it anew.
A host is *alive* while its last heartbeat is newer than ``agent_down_time``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from ipaddress import ip_address
from typing import Any

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.agents import OVS_AGENT_TYPE, Agent, AgentHost, AgentUpdate
from quantum.core.listing import ListQuery
from quantum.core.networks import NetworkType
from quantum.db.models import AgentHostRow
from quantum.plugins.core.listing import Column, page


def _types_column(types: frozenset[NetworkType]) -> str:
    return ",".join(sorted(t.value for t in types))


def _configurations(text: str | None) -> dict[str, Any]:
    value = json.loads(text) if text else {}
    return value if isinstance(value, dict) else {}


def _to_domain(row: AgentHostRow) -> AgentHost:
    return AgentHost(
        host=row.host,
        agent_type=row.agent_type,
        binary=row.binary,
        tunnel_ip=ip_address(row.tunnel_ip) if row.tunnel_ip else None,
        tunnel_types=frozenset(
            NetworkType(t) for t in row.tunnel_types.split(",") if t
        ),
        agent_version=row.agent_version,
        last_seen=row.last_seen,
        configurations=_configurations(row.configurations),
    )


def record(s: Session, host: AgentHost, now: datetime) -> bool:
    """Store the host's endpoint with ``last_seen = now``. Whether other agents'
    view changed: a new host, or a moved endpoint."""
    tunnel_ip = str(host.tunnel_ip) if host.tunnel_ip is not None else None
    types = _types_column(host.tunnel_types)
    configurations = json.dumps(dict(host.configurations), sort_keys=True)
    key = (host.agent_type, host.host)
    row = s.get(AgentHostRow, key, with_for_update=True)
    if row is None:
        try:
            with s.begin_nested():
                s.add(
                    AgentHostRow(
                        agent_type=host.agent_type,
                        host=host.host,
                        binary=host.binary,
                        tunnel_ip=tunnel_ip,
                        tunnel_types=types,
                        agent_version=host.agent_version,
                        last_seen=now,
                        created_at=now,
                        configurations=configurations,
                    )
                )
            return True
        except IntegrityError:
            # NOTE: the same host registered concurrently (two requests of one
            # agent); theirs committed first, so update it like any heartbeat.
            row = s.get(AgentHostRow, key, with_for_update=True, populate_existing=True)
            if row is None:  # NOTE: and an admin deleted it already: next beat
                return False
    changed = row.tunnel_ip != tunnel_ip or row.tunnel_types != types
    row.tunnel_ip = tunnel_ip
    row.tunnel_types = types
    row.agent_version = host.agent_version
    row.binary = host.binary
    row.last_seen = now
    row.configurations = configurations
    return changed


def admin_state_up(s: Session, host: str, agent_type: str = OVS_AGENT_TYPE) -> bool:
    """Whether an administrator leaves the ``agent_type`` agent of ``host`` in
    service (an unknown one is)."""
    value = s.scalar(
        select(AgentHostRow.admin_state_up).where(
            AgentHostRow.agent_type == agent_type, AgentHostRow.host == host
        )
    )
    return value is not False


def peers(s: Session, host: str) -> list[AgentHost]:
    """The other hosts whose Open vSwitch agent has a tunnel endpoint, by name."""
    rows = s.scalars(
        select(AgentHostRow)
        .where(
            AgentHostRow.agent_type == OVS_AGENT_TYPE,
            AgentHostRow.host != host,
            AgentHostRow.tunnel_ip.is_not(None),
        )
        .order_by(AgentHostRow.host)
    )
    return [_to_domain(r) for r in rows]


def _agent(row: AgentHostRow, since: datetime) -> Agent:
    return Agent(
        id=row.id,
        host=_to_domain(row),
        alive=row.last_seen >= since,
        created_at=row.created_at,
        admin_state_up=row.admin_state_up,
        description=row.description,
    )


def _alive_filter(since: datetime) -> Column:
    def matches(values: Sequence[object]) -> ColumnElement[bool]:
        alive = AgentHostRow.last_seen >= since
        wanted = {bool(v) for v in values}
        return or_(*(alive if v else ~alive for v in sorted(wanted)))

    return Column(expr=AgentHostRow.last_seen, sortable=False, matches=matches)


def _columns(since: datetime) -> Mapping[str, Column]:
    return {
        "id": Column(expr=AgentHostRow.id),
        "host": Column(expr=AgentHostRow.host),
        "binary": Column(expr=AgentHostRow.binary, sortable=False),
        "agent_type": Column(expr=AgentHostRow.agent_type, sortable=False),
        "heartbeat_timestamp": Column(expr=AgentHostRow.last_seen),
        "created_at": Column(expr=AgentHostRow.created_at),
        "alive": _alive_filter(since),
        "admin_state_up": Column(expr=AgentHostRow.admin_state_up, sortable=False),
    }


def list_agents(s: Session, query: ListQuery, since: datetime) -> list[Agent]:
    """A page of the agents; ``since``: the oldest heartbeat of a live one."""
    rows = page(s, select(AgentHostRow), _columns(since), AgentHostRow.id, query)
    return [_agent(row, since) for (row,) in rows]


def get_agent(s: Session, agent_id: str, since: datetime) -> Agent:
    """Raises AgentNotFound."""
    row = s.scalars(
        select(AgentHostRow).where(AgentHostRow.id == agent_id)
    ).one_or_none()
    if row is None:
        raise exc.AgentNotFound(agent_id=agent_id)
    return _agent(row, since)


def update_agent(
    s: Session,
    agent_id: str,
    changes: AgentUpdate,
    since: datetime,
    authorize: Callable[[Agent], None],
) -> tuple[Agent, bool]:
    """Change what an administrator may; ``authorize`` sees the agent first. The
    agent, and whether its agent must be told (``admin_state_up`` changed).
    Raises AgentNotFound."""
    row = s.scalars(
        select(AgentHostRow).where(AgentHostRow.id == agent_id).with_for_update()
    ).one_or_none()
    if row is None:
        raise exc.AgentNotFound(agent_id=agent_id)
    authorize(_agent(row, since))
    told = False
    if changes.admin_state_up is not None:
        told = row.admin_state_up != changes.admin_state_up
        row.admin_state_up = changes.admin_state_up
    if changes.description is not None:
        row.description = changes.description
    s.flush()
    return _agent(row, since), told


def delete_agent(s: Session, agent_id: str) -> None:
    """Forget the agent's host and endpoint. Raises AgentNotFound."""
    gone = s.execute(delete(AgentHostRow).where(AgentHostRow.id == agent_id))
    if not gone.rowcount:  # type: ignore[attr-defined]  # NOTE: CursorResult
        raise exc.AgentNotFound(agent_id=agent_id)
