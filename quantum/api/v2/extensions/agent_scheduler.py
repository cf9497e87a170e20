# SPDX-License-Identifier: Apache-2.0
"""``agent_scheduler`` (spec §5.9): which DHCP agents serve which network, for
administrators only (403 otherwise), over a plugin with DHCP agents
(``plugins.interface.DhcpAgentScheduler``).

* ``GET /v2.0/agents/<agent id>/dhcp-networks``: ``{"networks": [...]}``, the
  networks the agent serves.
* ``POST`` there, ``{"network_id": "<id>"}``: schedule the network to the agent
  (201, no body). The agent must be an enabled DHCP agent (404 InvalidDHCPAgent),
  the network must exist (404), and not be served by it already (409).
* ``DELETE /v2.0/agents/<agent id>/dhcp-networks/<network id>``: take it off
  (204; 409 when the agent does not serve it). The scheduler then gives a
  network that needs DHCP another agent, if there is one.
* ``GET /v2.0/networks/<network id>/dhcp-agents``: ``{"agents": [...]}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import (
    Extend,
    Extension,
    Subpath,
    SubRequest,
    compile_view,
)
from quantum.api.v2.resources.agent import AGENT
from quantum.api.v2.resources.network import NETWORK
from quantum.core import exceptions as exc
from quantum.core.scope import Scope
from quantum.plugins.interface import DhcpAgentScheduler

ADMIN = Scope(tenant_id=None, is_admin=True)


def _scheduler(request: SubRequest, action: str) -> DhcpAgentScheduler:
    if not request.scope.is_admin:
        raise exc.PolicyNotAuthorized(action=action)
    plugin = request.plugin
    if not isinstance(plugin, DhcpAgentScheduler):
        raise exc.ResourceNotFound(resource="dhcp-agent", resource_id=request.item_id)
    return plugin


def serve_networks(request: SubRequest) -> tuple[str, Any]:
    agent_id = request.item_id
    if request.method == "GET":
        plugin = _scheduler(request, "get_dhcp-networks")
        view = compile_view(NETWORK, plugin)
        ids = plugin.dhcp_networks_of_agent(agent_id)
        networks = [view(plugin.networks.get(ADMIN, i)) for i in ids]  # type: ignore[attr-defined]  # NOTE: a core plugin's service
        return "200 OK", {"networks": networks}
    if request.method == "POST":
        plugin = _scheduler(request, "create_dhcp-network")
        body = request.body
        network_id = body.get("network_id") if isinstance(body, Mapping) else None
        if not isinstance(network_id, str) or not network_id:
            raise exc.InvalidInput(reason='the body is {"network_id": "<id>"}')
        plugin.add_network_to_dhcp_agent(agent_id, network_id)
        return "201 Created", None
    plugin = _scheduler(request, "delete_dhcp-network")
    plugin.remove_network_from_dhcp_agent(agent_id, request.key or "")
    return "204 No Content", None


def serve_agents(request: SubRequest) -> tuple[str, Any]:
    plugin = _scheduler(request, "get_dhcp-agents")
    view = compile_view(AGENT, plugin)
    ids = plugin.dhcp_agents_of_network(request.item_id)
    agents = [view(plugin.get_agent(i)) for i in ids]  # type: ignore[attr-defined]  # NOTE: an AgentAdmin
    return "200 OK", {"agents": agents}


DHCP_NETWORKS = Subpath(
    name="dhcp-networks",
    serve=serve_networks,
    methods=("GET", "POST"),
    key_methods=("DELETE",),
    doc="The networks a DHCP agent serves (agent_scheduler, admin only): GET "
    "{networks}; POST {network_id} schedules one (201); DELETE /{network id} "
    "takes it off (204, 409 if not served by the agent).",
)

DHCP_AGENTS = Subpath(
    name="dhcp-agents",
    serve=serve_agents,
    methods=("GET",),
    key_methods=(),
    doc="The DHCP agents serving the network (agent_scheduler, admin only): "
    "GET {agents}.",
)

EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="agent_scheduler",
        name="Agent Schedulers",
        description="Schedule resources among agents",
        namespace="http://docs.openstack.org/ext/agent_scheduler/api/v1.0",
        updated="2013-02-03T10:00:00-00:00",
    ),
    extends={
        "agent": Extend(subpaths=(DHCP_NETWORKS,)),
        "network": Extend(subpaths=(DHCP_AGENTS,)),
    },
)
