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
from ipaddress import ip_network
from typing import Any

from quantum.agentapi.kind import Handler, Kind
from quantum.agentapi.ovs import messages as msg
from quantum.core.agents import (
    OVS_AGENT_BINARY,
    OVS_AGENT_TYPE,
    AgentHost,
    BoundPort,
    HostState,
)
from quantum.core.feed import Topic
from quantum.core.ports import Port
from quantum.core.security_groups import (
    SecurityGroup,
    SecurityGroupRule,
    protocol_number,
)
from quantum.core.status import ReportedStatus
from quantum.plugins.interface import AgentStateSource

LOG = logging.getLogger(__name__)


def _trusted(port: Port) -> bool:
    """The network's own ports (DHCP, routers): the service's, never filtered."""
    return port.device_owner.startswith("network:")


def port_security(port: Port) -> msg.PortSecurity | None:
    """What the port's firewall is made of (None: a v1 port older than MACs,
    which cannot be checked)."""
    if port.mac_address is None:
        return None
    return msg.PortSecurity(
        enabled=port.port_security_enabled and not _trusted(port),
        mac_address=port.mac_address,
        fixed_ips=tuple(f.ip_address for f in port.fixed_ips),
        allowed_address_pairs=tuple(
            msg.AddressPair(
                ip_address=ip_network(p.ip_address, strict=False),
                mac_address=p.mac_address or port.mac_address,
            )
            for p in port.allowed_address_pairs
        ),
        security_groups=port.security_groups,
    )


def _rule(rule: SecurityGroupRule) -> msg.GroupRule:
    return msg.GroupRule(
        id=rule.id,
        direction=rule.direction,
        ethertype=rule.ethertype,
        protocol=protocol_number(rule.protocol, rule.ethertype),
        port_range_min=rule.port_range_min,
        port_range_max=rule.port_range_max,
        remote_ip_prefix=(
            None if rule.remote_ip_prefix is None else ip_network(rule.remote_ip_prefix)
        ),
        remote_group_id=rule.remote_group_id,
    )


def _group(group: SecurityGroup) -> msg.GroupState:
    return msg.GroupState(id=group.id, rules=tuple(_rule(r) for r in group.rules))


def _port(bound: BoundPort) -> msg.PortState:
    return msg.PortState(
        port_id=bound.port.id,
        iface_id=bound.port.attachment or bound.port.id,
        network_id=bound.port.network_id,
        admin_state_up=bound.port.admin_state_up,
        segment=bound.segment,
        qos=bound.qos,
        mtu=bound.mtu,
        binding_host=bound.port.binding_host_id,
        port_security=port_security(bound.port),
    )


def host_state_message(state: HostState) -> msg.HostState:
    ports = tuple(_port(b) for b in state.ports)
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
        security_groups=tuple(_group(g) for g in state.security_groups),
        group_members=tuple(
            msg.GroupMembers(
                id=m.id, addresses=tuple(ip_network(a) for a in m.addresses)
            )
            for m in state.group_members
        ),
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
    topics=frozenset(
        {Topic.NETWORKS, Topic.PORTS, Topic.HOSTS, Topic.QOS, Topic.SECURITY_GROUPS}
    ),
    routes=routes,
)
