# SPDX-License-Identifier: Apache-2.0
"""``/v2.0/agents``: spec §5.8, read-only, administrators only (403 otherwise).

Agents are registered by their own heartbeat (the agent API), never through this
resource: list, show and delete only. ``alive`` says whether the agent reported
within ``agent_down_time``; a dead agent's host keeps forwarding and its peers keep
their tunnels to it. Deleting an agent is how an administrator removes a host: the
other agents take their tunnels to it down (its next heartbeat registers it again).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from quantum.api.v2.attributes import Field, Operations, Resource, string, to_bool
from quantum.core import exceptions as exc
from quantum.core.agents import Agent
from quantum.core.scope import Scope
from quantum.plugins.interface import AgentAdmin

BINARY = "quantum-openvswitch-agent"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

_STRING = {"type": "string"}
_TIME = {"type": "string", "nullable": True, "description": TIME_FORMAT}

AGENT = Resource(
    name="agent",
    collection="agents",
    admin_only=True,
    fields=(
        Field(name="id", on_create=False, schema=_STRING),
        Field(name="agent_type", convert=string(), on_create=False, sortable=False),
        Field(
            name="binary",
            on_create=False,
            sortable=False,
            filterable=False,
            schema=_STRING,
        ),
        Field(
            name="topic",
            on_create=False,
            sortable=False,
            filterable=False,
            schema=_STRING,
        ),
        Field(name="host", convert=string(), on_create=False),
        Field(
            name="admin_state_up",
            on_create=False,
            sortable=False,
            filterable=False,
            schema={"type": "boolean"},
        ),
        Field(name="created_at", on_create=False, filterable=False, schema=_TIME),
        Field(
            name="started_at",
            on_create=False,
            sortable=False,
            filterable=False,
            schema=_TIME,
        ),
        Field(
            name="heartbeat_timestamp", on_create=False, filterable=False, schema=_TIME
        ),
        Field(name="alive", convert=to_bool, on_create=False, sortable=False),
        Field(
            name="configurations",
            on_create=False,
            sortable=False,
            filterable=False,
            schema={"type": "object"},
        ),
        Field(
            name="description",
            on_create=False,
            sortable=False,
            filterable=False,
            schema=_STRING,
        ),
    ),
)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.strftime(TIME_FORMAT)


def view(agent: Agent) -> dict[str, Any]:
    host = agent.host
    return {
        "id": agent.id,
        "agent_type": agent.agent_type,
        "binary": BINARY,
        "topic": "N/A",
        "host": host.host,
        "admin_state_up": True,
        "created_at": _time(agent.created_at),
        "started_at": _time(agent.created_at),
        "heartbeat_timestamp": _time(host.last_seen),
        "alive": agent.alive,
        "configurations": {
            "tunneling_ip": None if host.tunnel_ip is None else str(host.tunnel_ip),
            "tunnel_types": sorted(t.value for t in host.tunnel_types),
            "agent_version": host.agent_version,
        },
        "description": "",
    }


def operations(plugin: AgentAdmin) -> Operations:
    def create(scope: Scope, items: Sequence[Mapping[str, Any]]) -> Sequence[Agent]:
        raise exc.InvalidInput(reason="agents register themselves by their heartbeat")

    def update(
        scope: Scope,
        agent_id: str,
        attrs: Mapping[str, Any],
        authorize: Callable[[Agent], None],
    ) -> Agent:
        raise exc.InvalidInput(reason="agents are read-only")

    return Operations(
        list=lambda scope, query: plugin.list_agents(query),
        show=lambda scope, agent_id: plugin.get_agent(agent_id),
        create=create,
        update=update,
        delete=lambda scope, agent_id: plugin.delete_agent(agent_id),
        view=view,
        not_found=lambda i: exc.AgentNotFound(agent_id=i),
    )
