# SPDX-License-Identifier: Apache-2.0
"""The DHCP agent's host routes (server side), over a plugin that serves them
(``plugins.interface.AgentStateSource``).

* ``POST /dhcp/hosts/{host}``: ``AgentReport`` -> ``Revision``. Registration and
  heartbeat, as agent type ``DHCP agent`` of the host.
* ``POST /dhcp/hosts/{host}/state``: ``StateRequest`` -> ``DhcpState``: the
  networks scheduled to the agent, with their subnets, ports and the agent's DHCP
  port, which the server creates, mends or deletes first
  (``plugins.interface.DhcpStateSource``; 404 under a plugin without it).
* ``POST /dhcp/hosts/{host}/provisioned``: ``ProvisionedReport`` -> 204: the ports
  whose host entries the agent's dnsmasq has; their DHCP provisioning block goes.
* ``POST /dhcp/hosts/{host}/leases``: ``LeaseReport`` -> 204: leases its dnsmasq
  recorded; they set how long released addresses stay held.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from quantum.agentapi.dhcp import messages as msg
from quantum.agentapi.kind import Handler, Kind
from quantum.core.agents import DHCP_AGENT_BINARY, DHCP_AGENT_TYPE, AgentHost
from quantum.core.dhcp import DhcpHostState, DhcpLease, DhcpNetwork
from quantum.core.feed import Topic
from quantum.core.ports import Port
from quantum.core.subnets import Subnet
from quantum.plugins.interface import AgentStateSource, DhcpStateSource


def _subnet(subnet: Subnet) -> msg.SubnetInfo:
    return msg.SubnetInfo(
        id=subnet.id,
        cidr=str(subnet.cidr),
        gateway_ip=None if subnet.gateway_ip is None else str(subnet.gateway_ip),
        enable_dhcp=subnet.enable_dhcp,
        dns_nameservers=tuple(str(a) for a in subnet.dns_nameservers),
        host_routes=tuple(
            msg.HostRouteInfo(destination=str(r.destination), nexthop=str(r.nexthop))
            for r in subnet.host_routes
        ),
        ipv6_ra_mode=subnet.ipv6_ra_mode,
        ipv6_address_mode=subnet.ipv6_address_mode,
    )


def _port(port: Port) -> msg.PortInfo:
    return msg.PortInfo(
        id=port.id,
        mac_address=port.mac_address or "",
        device_id=port.device_id,
        device_owner=port.device_owner,
        admin_state_up=port.admin_state_up,
        fixed_ips=tuple(
            msg.FixedIpInfo(subnet_id=i.subnet_id, ip_address=str(i.ip_address))
            for i in port.fixed_ips
        ),
    )


def _network(served: DhcpNetwork) -> msg.NetworkInfo:
    return msg.NetworkInfo(
        id=served.network.id,
        admin_state_up=served.network.admin_state_up,
        mtu=served.mtu,
        subnets=tuple(_subnet(s) for s in served.subnets),
        ports=tuple(_port(p) for p in served.ports if p.mac_address),
        dhcp_port=None if served.dhcp_port is None else _port(served.dhcp_port),
    )


def dhcp_state_message(state: DhcpHostState) -> msg.DhcpState:
    return msg.DhcpState(
        host=state.host,
        revision=state.revision,
        admin_state_up=state.admin_state_up,
        networks=tuple(_network(n) for n in state.networks),
        lease_duration=state.lease_duration,
    )


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

    if not isinstance(plugin, DhcpStateSource):
        return {"": register}
    dhcp: DhcpStateSource = plugin

    def state(host: str, body: Any) -> msg.Json:
        msg.StateRequest.from_json(body)
        return dhcp_state_message(dhcp.dhcp_state(host)).to_json()

    def provisioned(host: str, body: Any) -> None:
        report = msg.ProvisionedReport.from_json(body)
        dhcp.dhcp_ports_provisioned(host, report.ports)

    def leases(host: str, body: Any) -> None:
        report = msg.LeaseReport.from_json(body)
        dhcp.dhcp_leases(
            host,
            [
                DhcpLease(
                    network_id=lease.network_id,
                    ip_address=lease.ip_address,
                    mac_address=lease.mac_address,
                    expires_at=datetime.fromtimestamp(lease.expires_at, UTC).replace(
                        tzinfo=None
                    ),
                )
                for lease in report.leases
            ],
        )

    return {
        "": register,
        "state": state,
        "provisioned": provisioned,
        "leases": leases,
    }


KIND = Kind(
    name="dhcp",
    agent_type=DHCP_AGENT_TYPE,
    binary=DHCP_AGENT_BINARY,
    topics=frozenset({Topic.NETWORKS, Topic.SUBNETS, Topic.PORTS, Topic.HOSTS}),
    routes=routes,
)
