# SPDX-License-Identifier: Apache-2.0
"""What the L3 agent routes, as plain frozen values.

A :class:`Router` carries everything its namespace needs: the interfaces on
tenant subnets (port id, MAC, ``<ip>/<prefix>`` addresses), the gateway on the
external network (port, address, the external subnet's gateway, whether the
internal subnets are SNATed to it), extra routes and floating IPs (floating
address -> fixed address). The agent builds it from the server's answer; the
renderers (``render``) and the planner (``plan``) only read it.

The constructors refuse what the server's rules (spec §5.2, §5.3) already refuse,
so a router that reaches the host is consistent: no two interfaces on
overlapping subnets, extra routes through a next hop on a subnet of the router,
floating IPs only with a gateway and only for fixed addresses behind an
interface.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cached_property

from quantum.agent.dhcp.model import Ipv6Mode, check_id, check_ip, check_mac

DEVICE_CHARS = 11
"""Device names keep this much of a port id (``qr-``/``qg-``/``tap`` + 11 < 16)."""

Network_ = ipaddress.IPv4Network | ipaddress.IPv6Network


def check_interface(value: str) -> str:
    """An address with its prefix (``10.1.0.1/24``), normalized."""
    interface = ipaddress.ip_interface(value)  # NOTE: raises ValueError
    if str(interface) != value or "/" not in value:
        raise ValueError(f"{value!r} is not a normalized <address>/<prefix>")
    if interface.ip == interface.network.network_address and (
        interface.network.num_addresses > 2
    ):
        raise ValueError(f"{value!r} is its subnet's network address")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Advertised:
    """An IPv6 subnet of an interface whose ``ipv6_ra_mode`` has the router send
    the router advertisements, and how hosts there get their address."""

    cidr: str
    """A normalized IPv6 CIDR, the subnet of one of the interface's addresses."""
    mode: Ipv6Mode
    """The subnet's ``ipv6_ra_mode``: ``slaac`` (prefix for autoconfiguration),
    ``dhcpv6-stateful`` ("managed": addresses by DHCPv6), ``dhcpv6-stateless``
    (prefix for autoconfiguration, "other configuration" by DHCPv6)."""

    def __post_init__(self) -> None:
        network = ipaddress.ip_network(self.cidr)  # NOTE: raises ValueError
        if str(network) != self.cidr or network.version != 6:
            raise ValueError(f"{self.cidr!r} is not a normalized IPv6 CIDR")
        Ipv6Mode(self.mode)  # NOTE: raises ValueError
        if self.autonomous and network.prefixlen != 64:
            raise ValueError(f"{self.cidr}: {self.mode} needs a /64")

    @property
    def autonomous(self) -> bool:
        """Hosts form their address from the prefix (the A flag)."""
        return self.mode in (Ipv6Mode.SLAAC, Ipv6Mode.DHCPV6_STATELESS)


@dataclass(frozen=True, slots=True, kw_only=True)
class Interface:
    """A router interface (``network:router_interface`` port) on tenant subnets."""

    port_id: str
    mac_address: str
    addresses: tuple[str, ...]
    """``<ip>/<prefixlen>`` on each subnet of the port (IPAM gave the IPs)."""
    advertise: tuple[Advertised, ...] = ()
    """The IPv6 subnets of :attr:`addresses` the router advertises."""

    def __post_init__(self) -> None:
        check_id(self.port_id, "port id")
        check_mac(self.mac_address)
        if not self.addresses:
            raise ValueError(f"interface {self.port_id} has no address")
        for address in self.addresses:
            check_interface(address)
        networks = {str(n) for n in self.networks}
        cidrs = [a.cidr for a in self.advertise]
        if len(set(cidrs)) != len(cidrs):
            raise ValueError(f"interface {self.port_id}: a subnet advertised twice")
        for cidr in cidrs:
            if cidr not in networks:
                raise ValueError(
                    f"interface {self.port_id}: advertises {cidr}, which it has no "
                    "address on"
                )

    @property
    def networks(self) -> tuple[Network_, ...]:
        return tuple(ipaddress.ip_interface(a).network for a in self.addresses)


@dataclass(frozen=True, slots=True, kw_only=True)
class Gateway:
    """The router's port on the external network (``network:router_gateway``)."""

    port_id: str
    mac_address: str
    address: str
    """``<ip>/<prefixlen>`` on the external subnet: the source of SNAT."""
    gateway_ip: str | None = None
    """The external subnet's gateway: the router's default route (None: none)."""
    enable_snat: bool = True
    """SNAT the internal subnets to :attr:`address` (floating IPs work anyway)."""

    def __post_init__(self) -> None:
        check_id(self.port_id, "port id")
        check_mac(self.mac_address)
        check_interface(self.address)
        if ipaddress.ip_interface(self.address).version != 4:
            raise ValueError(f"gateway {self.port_id}: NAT needs an IPv4 address")
        if self.gateway_ip is not None:
            check_ip(self.gateway_ip)
            if ipaddress.ip_address(self.gateway_ip) not in self.network:
                raise ValueError(
                    f"gateway {self.port_id}: {self.gateway_ip} is not on "
                    f"{self.network}"
                )

    @property
    def ip(self) -> str:
        return str(ipaddress.ip_interface(self.address).ip)

    @property
    def network(self) -> Network_:
        return ipaddress.ip_interface(self.address).network


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """An extra route (``routes`` of the router, spec §5.3)."""

    destination: str
    """A normalized CIDR."""
    nexthop: str

    def __post_init__(self) -> None:
        network = ipaddress.ip_network(self.destination)  # NOTE: raises ValueError
        if str(network) != self.destination:
            raise ValueError(f"route destination {self.destination!r} not normalized")
        check_ip(self.nexthop)
        if ipaddress.ip_address(self.nexthop).version != network.version:
            raise ValueError(f"route {self.destination} via {self.nexthop}: versions")


@dataclass(frozen=True, slots=True, kw_only=True)
class FloatingIp:
    """A floating IP associated with a port of a subnet behind the router."""

    floating_ip_address: str
    fixed_ip_address: str

    def __post_init__(self) -> None:
        for value in (self.floating_ip_address, self.fixed_ip_address):
            check_ip(value)
            if ipaddress.ip_address(value).version != 4:
                raise ValueError(f"floating IP {value}: IPv4 only (NAT)")


@dataclass(frozen=True, kw_only=True)
class Router:
    """Everything this agent does for one router."""

    id: str
    interfaces: tuple[Interface, ...] = ()
    gateway: Gateway | None = None
    routes: tuple[Route, ...] = ()
    floating_ips: tuple[FloatingIp, ...] = ()
    admin_state_up: bool = True
    metadata_port: int | None = None
    """Where the namespace's metadata proxy listens (None: no metadata rules)."""

    def __post_init__(self) -> None:
        check_id(self.id, "router id")
        self._check_ports()
        self._check_subnets()
        self._check_routes()
        self._check_floating_ips()
        if self.metadata_port is not None and not 0 < self.metadata_port < 65536:
            raise ValueError(f"router {self.id}: metadata port out of range")

    def _check_ports(self) -> None:
        ports = [i.port_id for i in self.interfaces]
        if self.gateway is not None:
            ports.append(self.gateway.port_id)
        if len(set(ports)) != len(ports):
            raise ValueError(f"router {self.id}: a port is plugged twice")
        # NOTE: devices keep 11 characters of the port id (IFNAMSIZ)
        if len({port[:DEVICE_CHARS] for port in ports}) != len(ports):
            raise ValueError(
                f"router {self.id}: two ports share the first {DEVICE_CHARS} "
                "characters of their id (their devices would collide)"
            )

    def _check_subnets(self) -> None:
        networks = self.internal_networks
        for n, one in enumerate(networks):
            for other in networks[n + 1 :]:
                if one.version == other.version and one.overlaps(other):
                    raise ValueError(f"router {self.id}: {one} overlaps {other}")
        if self.gateway is not None:
            for network in networks:
                if network.version == 4 and network.overlaps(self.gateway.network):
                    raise ValueError(
                        f"router {self.id}: {network} overlaps the external subnet"
                    )

    def _check_routes(self) -> None:
        reachable = [*self.internal_networks]
        if self.gateway is not None:
            reachable.append(self.gateway.network)
        seen: set[tuple[str, str]] = set()
        for route in self.routes:
            key = (route.destination, route.nexthop)
            if key in seen:
                raise ValueError(f"router {self.id}: route {key} twice")
            seen.add(key)
            hop = ipaddress.ip_address(route.nexthop)
            if not any(hop in network for network in reachable):
                raise ValueError(
                    f"router {self.id}: next hop {route.nexthop} is on no subnet "
                    "of the router"
                )

    def _check_floating_ips(self) -> None:
        if self.floating_ips and self.gateway is None:
            raise ValueError(f"router {self.id}: floating IPs need a gateway")
        floating = [f.floating_ip_address for f in self.floating_ips]
        fixed = [f.fixed_ip_address for f in self.floating_ips]
        if len(set(floating)) != len(floating) or len(set(fixed)) != len(fixed):
            raise ValueError(f"router {self.id}: a floating or fixed IP twice")
        for fip in self.floating_ips:
            address = ipaddress.ip_address(fip.fixed_ip_address)
            if not any(address in network for network in self.internal_networks):
                raise ValueError(
                    f"router {self.id}: {fip.fixed_ip_address} is behind no interface"
                )

    @cached_property
    def internal_networks(self) -> tuple[Network_, ...]:
        """The subnets of the router's interfaces, in interface order."""
        return tuple(n for i in self.interfaces for n in i.networks)
