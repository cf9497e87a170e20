# SPDX-License-Identifier: Apache-2.0
"""``l3_agent_scheduler`` (spec §5.9): which L3 agent runs a router, for
administrators (403 for anyone else).

* ``GET /v2.0/routers/<id>/l3-agents``: ``{"agents": [...]}``, the agent hosting
  the router (none or one), as ``/v2.0/agents`` shows it;
* ``GET /v2.0/agents/<id>/l3-routers``: ``{"routers": [...]}``, the routers the
  agent hosts;
* ``POST /v2.0/agents/<id>/l3-routers`` ``{"router_id": "<id>"}``: 201; the router
  must exist (404), the agent be an enabled L3 agent serving the router's external
  network (404 ``InvalidL3Agent``); already hosted by it: 409; hosted by another:
  409 (``RouterSchedulingFailed``: remove it there first);
* ``DELETE /v2.0/agents/<id>/l3-routers/<router id>``: 204; not hosted by it: 409.

Served by the L3 service plugin's ``l3_agents`` service
(``quantum.plugins.l3.hosting``). Moving a router is a DELETE from one agent and
a POST to the other; in between, the next L3 agent to ask may schedule it itself
(disable the old agent first to keep it from taking it back).
"""

from __future__ import annotations

from typing import Any

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import (
    Extend,
    Extension,
    Subpath,
    SubRequest,
    compile_view,
)
from quantum.api.v2.extensions.router import ROUTER
from quantum.api.v2.resources.agent import AGENT
from quantum.core import exceptions as exc
from quantum.plugins.interface import RouterHosting

SERVICE = "l3_agents"


def _hosting(request: SubRequest, action: str) -> RouterHosting:
    if not request.scope.is_admin:
        raise exc.PolicyNotAuthorized(action=action)
    found = request.services.get(SERVICE)
    if not isinstance(found, RouterHosting):
        raise exc.ConfigError(reason="no l3_agents service serves the L3 scheduler")
    return found


def router_agents(request: SubRequest) -> tuple[str, Any]:
    hosting = _hosting(request, "get_l3-agents")
    view = compile_view(AGENT, request.plugin)
    agents = [
        view(request.plugin.get_agent(agent_id))
        for agent_id in hosting.agents_of_router(request.item_id)
    ]
    return "200 OK", {"agents": agents}


def _router_id(body: Any) -> str:
    if not isinstance(body, dict) or not isinstance(body.get("router_id"), str):
        raise exc.InvalidInput(reason="the body must be {'router_id': '<id>'}")
    return str(body["router_id"])


def agent_routers(request: SubRequest) -> tuple[str, Any]:
    if request.key is not None:  # NOTE: DELETE .../l3-routers/<router id>
        hosting = _hosting(request, "delete_l3-router")
        hosting.remove_router_from_agent(request.item_id, request.key)
        return "204 No Content", None
    if request.method == "POST":
        hosting = _hosting(request, "create_l3-router")
        hosting.add_router_to_agent(request.item_id, _router_id(request.body))
        return "201 Created", None
    hosting = _hosting(request, "get_l3-routers")
    routers = request.services.get("routers")
    view = compile_view(ROUTER, request.plugin)
    found = []
    for router_id in hosting.routers_of_agent(request.item_id):
        try:
            found.append(view(routers.get(request.scope, router_id)))  # type: ignore[union-attr]  # NOTE: served beside l3_agents
        except exc.RouterNotFound:
            continue  # NOTE: deleted meanwhile
    return "200 OK", {"routers": found}


EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="l3_agent_scheduler",
        name="L3 Agent Scheduler",
        description="Schedule routers among l3 agents",
        namespace="http://docs.openstack.org/ext/l3_agent_scheduler/api/v1.0",
        updated="2013-02-07T10:00:00-00:00",
    ),
    extends={
        "router": Extend(
            subpaths=(
                Subpath(
                    name="l3-agents",
                    serve=router_agents,
                    methods=("GET",),
                    key_methods=(),
                    doc="The L3 agent hosting the router (administrators).",
                ),
            )
        ),
        "agent": Extend(
            subpaths=(
                Subpath(
                    name="l3-routers",
                    serve=agent_routers,
                    methods=("GET", "POST"),
                    key_methods=("DELETE",),
                    doc="The routers an L3 agent hosts; POST hosts one there, "
                    "DELETE takes one off (administrators).",
                ),
            )
        ),
    },
)
