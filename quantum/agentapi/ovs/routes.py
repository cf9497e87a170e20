# SPDX-License-Identifier: Apache-2.0
"""The OVS agent's host routes (server side), over a plugin that serves them
(``plugins.interface.AgentStateSource``).

* ``POST /hosts/{host}``: ``HostReport`` -> ``Revision``. Registration and heartbeat.
* ``POST /hosts/{host}/state``: ``StateRequest`` -> ``HostState``.
* ``POST /hosts/{host}/status``: ``StatusReport`` -> 204.
* ``POST /hosts/{host}/counters``: ``CountersReport`` -> 204.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from quantum.agentapi.kind import Handler, Kind
from quantum.agentapi.ovs import messages as msg
from quantum.core.agents import OVS_AGENT_BINARY, OVS_AGENT_TYPE, AgentHost, HostState
from quantum.core.feed import Topic
from quantum.core.status import ReportedStatus
from quantum.plugins.interface import AgentStateSource

LOG = logging.getLogger(__name__)


def host_state_message(state: HostState) -> msg.HostState:
    ports = tuple(
        msg.PortState(
            port_id=b.port.id,
            iface_id=b.port.attachment or b.port.id,
            network_id=b.port.network_id,
            admin_state_up=b.port.admin_state_up,
            segment=b.segment,
            qos=b.qos,
            mtu=b.mtu,
            binding_host=b.port.binding_host_id,
        )
        for b in state.ports
    )
    endpoints = tuple(
        msg.Endpoint(host=h.host, ip=h.tunnel_ip, tunnel_types=h.tunnel_types)
        for h in state.peers
        if h.tunnel_ip is not None
    )
    macs = tuple(
        msg.MacLocation(network_id=m.network_id, mac_address=m.mac_address, host=m.host)
        for m in state.macs
    )
    return msg.HostState(
        host=state.host,
        revision=state.revision,
        ports=ports,
        endpoints=endpoints,
        macs=macs,
        admin_state_up=state.admin_state_up,
    )


def routes(plugin: object) -> Mapping[str, Handler] | None:
    if not isinstance(plugin, AgentStateSource):
        return None
    source: AgentStateSource = plugin

    def register(host: str, body: Any) -> msg.Json:
        report = msg.HostReport.from_json(body)
        rev = source.report_host(
            AgentHost(
                host=host,
                agent_type=OVS_AGENT_TYPE,
                binary=OVS_AGENT_BINARY,
                tunnel_ip=report.tunnel_ip,
                tunnel_types=report.tunnel_types,
                agent_version=report.agent_version,
                configurations=report.configurations,
            )
        )
        return msg.Revision(revision=rev).to_json()

    def state(host: str, body: Any) -> msg.Json:
        wanted = msg.StateRequest.from_json(body)
        return host_state_message(source.host_state(host, wanted.iface_ids)).to_json()

    def status(host: str, body: Any) -> None:
        report = msg.StatusReport.from_json(body)
        for port in report.ports:
            if port.status is ReportedStatus.DOWN:
                LOG.info("port %s on %s is DOWN: %s", port.port_id, host, port.reason)
            source.set_port_status(
                port.port_id,
                port.status.op_status,
                host=host,
                reason=port.reason,
            )

    def counters(host: str, body: Any) -> None:
        report = msg.CountersReport.from_json(body)
        source.record_port_counters(host, report.ports)

    return {"": register, "state": state, "status": status, "counters": counters}


KIND = Kind(
    name="ovs",
    agent_type=OVS_AGENT_TYPE,
    binary=OVS_AGENT_BINARY,
    # NOTE: not subnets: the OVS agent is told no address
    topics=frozenset({Topic.NETWORKS, Topic.PORTS, Topic.HOSTS, Topic.QOS}),
    routes=routes,
)
