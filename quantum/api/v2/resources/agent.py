# SPDX-License-Identifier: Apache-2.0
"""``/v2.0/agents``: spec §5.8, administrators only (403 otherwise, before anything
is read: a non-admin gets 403 for an agent that does not exist too).

Agents are registered by their own heartbeat (the agent API), never through this
resource (``POST`` is 400): list, show, update (``admin_state_up``, ``description``)
and delete. ``alive`` says whether the agent reported within ``agent_down_time``; a
dead agent's host keeps forwarding and its peers keep their tunnels to it.
``admin_state_up: false`` takes the host out of scheduling and tells its agent, which
keeps forwarding as it is told (docs/hypervisor.md). ``configurations`` is what the
agent last reported, plus its tunnel endpoint. Deleting an agent is how an
administrator removes a host: the other agents take their tunnels to it down (its
next heartbeat registers it again).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from quantum.api.v2.attributes import Field, Resource, string, to_bool
from quantum.core import exceptions as exc
from quantum.core.agents import Agent, AgentUpdate
from quantum.core.listing import ListQuery
from quantum.core.scope import Scope
from quantum.plugins.interface import AgentAdmin

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

_STRING = {"type": "string"}
_TIME = {"type": "string", "nullable": True, "description": TIME_FORMAT}


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.strftime(TIME_FORMAT)


def _configurations(agent: Agent, plugin: Any) -> dict[str, Any]:
    host = agent.host
    return {
        **host.configurations,
        "tunneling_ip": None if host.tunnel_ip is None else str(host.tunnel_ip),
        "tunnel_types": sorted(t.value for t in host.tunnel_types),
        "agent_version": host.agent_version,
    }


class AgentService:
    """The agents of an ``AgentAdmin`` plugin, in the uniform service shape."""

    def __init__(self, plugin: AgentAdmin) -> None:
        self.plugin = plugin

    def list(self, scope: Scope, query: ListQuery) -> Sequence[Agent]:
        return self.plugin.list_agents(query)

    def get(self, scope: Scope, agent_id: str) -> Agent:
        return self.plugin.get_agent(agent_id)

    def create(
        self, scope: Scope, items: Sequence[Mapping[str, Any]]
    ) -> Sequence[Agent]:
        raise exc.InvalidInput(reason="agents register themselves by their heartbeat")

    def update(
        self,
        scope: Scope,
        agent_id: str,
        changes: AgentUpdate,
        authorize: Callable[[Agent], None],
    ) -> Agent:
        return self.plugin.update_agent(agent_id, changes, authorize)

    def delete(self, scope: Scope, agent_id: str) -> None:
        self.plugin.delete_agent(agent_id)


AGENT = Resource(
    name="agent",
    collection="agents",
    admin_only=True,
    backend=AgentService,
    update_type=AgentUpdate,
    not_found=lambda i: exc.AgentNotFound(agent_id=i),
    fields=(
        Field(name="id", on_create=False, schema=_STRING),
        Field(name="agent_type", convert=string(), on_create=False, sortable=False),
        Field(
            name="binary",
            render=lambda agent, plugin: agent.binary,
            on_create=False,
            sortable=False,
            schema=_STRING,
        ),
        Field(
            name="topic",
            render=lambda agent, plugin: agent.topic,
            on_create=False,
            sortable=False,
            filterable=False,
            schema=_STRING,
        ),
        Field(
            name="host",
            convert=string(),
            render=lambda agent, plugin: agent.host.host,
            on_create=False,
        ),
        Field(
            name="admin_state_up",
            convert=to_bool,
            on_create=False,
            on_update=True,
            sortable=False,
        ),
        Field(
            name="created_at",
            render=lambda agent, plugin: _time(agent.created_at),
            on_create=False,
            filterable=False,
            schema=_TIME,
        ),
        Field(
            name="started_at",
            render=lambda agent, plugin: _time(agent.created_at),
            on_create=False,
            sortable=False,
            filterable=False,
            schema=_TIME,
        ),
        Field(
            name="heartbeat_timestamp",
            render=lambda agent, plugin: _time(agent.host.last_seen),
            on_create=False,
            filterable=False,
            schema=_TIME,
        ),
        Field(name="alive", convert=to_bool, on_create=False, sortable=False),
        Field(
            name="configurations",
            render=_configurations,
            on_create=False,
            sortable=False,
            filterable=False,
            schema={"type": "object"},
        ),
        Field(
            name="description",
            convert=string(),
            on_create=False,
            on_update=True,
            sortable=False,
            filterable=False,
        ),
    ),
)
