# SPDX-License-Identifier: Apache-2.0
"""L3 agents: the agent type, and the routers an L3 agent is told to run.

A router is scheduled to one L3 agent (``router_l3_agent_bindings``); that agent
is sent it whole: its interfaces (ports on tenant subnets, each address with its
subnet's prefix, and those subnets with their IPv6 modes), its gateway (the port
on the external network, the external subnet's gateway, ``enable_snat``), its
extra routes and its associated floating IPs. The agent's device layer
(``quantum.agent.l3``) makes a namespace of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Interface, IPv6Interface

from quantum.core.subnets import IPAddress, IPNetwork

L3_AGENT_TYPE = "L3 agent"
L3_AGENT_BINARY = "quantum-l3-agent"

IPInterface = IPv4Interface | IPv6Interface


@dataclass(frozen=True, slots=True, kw_only=True)
class HostedSubnet:
    """A subnet a router interface has an address on, with its IPv6 modes (the
    agent advertises the subnets whose ``ipv6_ra_mode`` is set)."""

    id: str
    cidr: IPNetwork
    ipv6_ra_mode: str | None = None
    ipv6_address_mode: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HostedInterface:
    """A router interface port: its addresses, each with its subnet's prefix,
    and those subnets."""

    port_id: str
    network_id: str
    mac_address: str
    addresses: tuple[IPInterface, ...]
    subnets: tuple[HostedSubnet, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class HostedGateway:
    """A router's gateway port on the external network."""

    port_id: str
    network_id: str
    mac_address: str
    address: IPInterface
    gateway_ip: IPAddress | None
    enable_snat: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class HostedRoute:
    destination: IPNetwork
    nexthop: IPAddress


@dataclass(frozen=True, slots=True, kw_only=True)
class HostedFloatingIp:
    """A floating IP associated with a fixed IP behind the router."""

    id: str
    floating_ip_address: IPAddress
    fixed_ip_address: IPAddress
    port_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HostedRouter:
    id: str
    admin_state_up: bool = True
    interfaces: tuple[HostedInterface, ...] = ()
    gateway: HostedGateway | None = None
    routes: tuple[HostedRoute, ...] = ()
    floating_ips: tuple[HostedFloatingIp, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class L3HostState:
    """The routers scheduled to the L3 agent of ``host``, as of ``revision`` (or
    later). ``admin_state_up`` false: an administrator disabled that agent (it is
    scheduled nothing new)."""

    host: str
    revision: int
    routers: tuple[HostedRouter, ...] = ()
    admin_state_up: bool = True
