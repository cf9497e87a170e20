# SPDX-License-Identifier: Apache-2.0
"""The DHCP agent's host routes (server side), over a plugin that serves them
(``plugins.interface.AgentStateSource``).

* ``POST /dhcp/hosts/{host}``: ``AgentReport`` -> ``Revision``. Registration and
  heartbeat, as agent type ``DHCP agent`` of the host.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quantum.agentapi.dhcp import messages as msg
from quantum.agentapi.kind import Handler, Kind
from quantum.core.agents import DHCP_AGENT_BINARY, DHCP_AGENT_TYPE, AgentHost
from quantum.core.feed import Topic
from quantum.plugins.interface import AgentStateSource


def routes(plugin: object) -> Mapping[str, Handler] | None:
    if not isinstance(plugin, AgentStateSource):
        return None
    source: AgentStateSource = plugin

    def register(host: str, body: Any) -> msg.Json:
        report = msg.AgentReport.from_json(body)
        rev = source.report_host(
            AgentHost(
                host=host,
                agent_type=DHCP_AGENT_TYPE,
                binary=DHCP_AGENT_BINARY,
                tunnel_ip=None,
                agent_version=report.agent_version,
                configurations=report.configurations,
            )
        )
        return msg.Revision(revision=rev).to_json()

    return {"": register}


KIND = Kind(
    name="dhcp",
    agent_type=DHCP_AGENT_TYPE,
    binary=DHCP_AGENT_BINARY,
    topics=frozenset({Topic.NETWORKS, Topic.SUBNETS, Topic.PORTS, Topic.HOSTS}),
    routes=routes,
)
