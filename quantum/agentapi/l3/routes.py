# SPDX-License-Identifier: Apache-2.0
"""The L3 agent's host routes (server side), over the L3 service plugin's
``l3_agents`` service (``plugins.interface.RouterHosting``); 404 without it.

* ``POST /l3/hosts/{host}``: ``L3Report`` -> ``Revision``. Registration and
  heartbeat, as agent type ``L3 agent`` of the host.
* ``POST /l3/hosts/{host}/state``: ``RoutersRequest`` -> ``RouterSet``: the
  routers scheduled to the host's L3 agent (scheduling those no agent hosts).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quantum.agentapi.kind import Handler, Kind
from quantum.agentapi.l3 import messages as msg
from quantum.core.agents import AgentHost
from quantum.core.feed import Topic
from quantum.core.l3_agents import (
    L3_AGENT_BINARY,
    L3_AGENT_TYPE,
    HostedRouter,
    L3HostState,
)
from quantum.plugins.interface import RouterHosting

SERVICE = "l3_agents"
"""The service (of the L3 service plugin) the routes are given."""


def router_message(router: HostedRouter) -> msg.RouterState:
    gateway = router.gateway
    return msg.RouterState(
        id=router.id,
        admin_state_up=router.admin_state_up,
        interfaces=tuple(
            msg.RouterInterface(
                port_id=i.port_id,
                network_id=i.network_id,
                mac_address=i.mac_address,
                addresses=i.addresses,
                subnets=tuple(
                    msg.InterfaceSubnet(
                        id=s.id,
                        cidr=s.cidr,
                        ipv6_ra_mode=s.ipv6_ra_mode,
                        ipv6_address_mode=s.ipv6_address_mode,
                    )
                    for s in i.subnets
                ),
            )
            for i in router.interfaces
        ),
        gateway=None
        if gateway is None
        else msg.RouterGateway(
            port_id=gateway.port_id,
            network_id=gateway.network_id,
            mac_address=gateway.mac_address,
            address=gateway.address,
            gateway_ip=gateway.gateway_ip,
            enable_snat=gateway.enable_snat,
        ),
        routes=tuple(
            msg.ExtraRoute(destination=r.destination, nexthop=r.nexthop)
            for r in router.routes
        ),
        floating_ips=tuple(
            msg.FloatingIpState(
                id=f.id,
                floating_ip_address=f.floating_ip_address,
                fixed_ip_address=f.fixed_ip_address,
                port_id=f.port_id,
            )
            for f in router.floating_ips
        ),
    )


def state_message(state: L3HostState) -> msg.RouterSet:
    return msg.RouterSet(
        host=state.host,
        revision=state.revision,
        routers=tuple(router_message(r) for r in state.routers),
        admin_state_up=state.admin_state_up,
    )


def routes(service: object) -> Mapping[str, Handler] | None:
    if not isinstance(service, RouterHosting):
        return None
    hosting: RouterHosting = service

    def register(host: str, body: Any) -> msg.Json:
        report = msg.L3Report.from_json(body)
        rev = hosting.report_l3_agent(
            AgentHost(
                host=host,
                agent_type=L3_AGENT_TYPE,
                binary=L3_AGENT_BINARY,
                tunnel_ip=None,
                agent_version=report.agent_version,
                configurations=report.configurations,
            )
        )
        return msg.Revision(revision=rev).to_json()

    def state(host: str, body: Any) -> msg.Json:
        wanted = msg.RoutersRequest.from_json(body)
        return state_message(hosting.l3_host_state(host, wanted.router_ids)).to_json()

    return {"": register, "state": state}


KIND = Kind(
    name="l3",
    agent_type=L3_AGENT_TYPE,
    binary=L3_AGENT_BINARY,
    # NOTE: ports and subnets: an interface's address, a gateway's subnet gateway;
    # hosts: an agent disabled, or a new one (scheduling)
    topics=frozenset({Topic.ROUTERS, Topic.PORTS, Topic.SUBNETS, Topic.HOSTS}),
    routes=routes,
    service=SERVICE,
)
