# SPDX-License-Identifier: Apache-2.0
"""Subnets: a network's IP blocks, their pools and routes, and the addresses
ports hold on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

IPAddress = IPv4Address | IPv6Address


IPNetwork = IPv4Network | IPv6Network


@dataclass(frozen=True, slots=True, kw_only=True)
class AllocationPool:
    """An inclusive range of a subnet's addresses that allocation hands out."""

    start: IPAddress
    end: IPAddress

    def __contains__(self, address: object) -> bool:
        return (
            isinstance(address, IPv4Address | IPv6Address)
            and address.version == self.start.version
            and int(self.start) <= int(address) <= int(self.end)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class HostRoute:
    """A static route DHCP hands out with the subnet's addresses."""

    destination: IPNetwork
    nexthop: IPAddress


SLAAC = "slaac"
DHCPV6_STATEFUL = "dhcpv6-stateful"
DHCPV6_STATELESS = "dhcpv6-stateless"
IPV6_MODES = (SLAAC, DHCPV6_STATEFUL, DHCPV6_STATELESS)
"""The values of ``ipv6_ra_mode`` and ``ipv6_address_mode``."""
AUTOCONFIGURED = (SLAAC, DHCPV6_STATELESS)
"""Address modes in which hosts form their address from the prefix and their MAC
(EUI-64), so IPAM gives a port exactly that address."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Subnet:
    """An IP block of a network. ``gateway_ip`` is ``None`` for "no gateway"."""

    id: str
    tenant_id: str
    network_id: str
    name: str
    cidr: IPNetwork
    gateway_ip: IPAddress | None
    allocation_pools: tuple[AllocationPool, ...]
    dns_nameservers: tuple[IPAddress, ...] = ()
    host_routes: tuple[HostRoute, ...] = ()
    enable_dhcp: bool = True
    ipv6_ra_mode: str | None = None
    """IPv6: who sends router advertisements and how (``IPV6_MODES``; None: not the
    DHCP namespace)."""
    ipv6_address_mode: str | None = None
    """IPv6: how hosts get their address (``IPV6_MODES``; None: DHCPv6-stateful)."""
    shared: bool = field(default=False, compare=False)
    """Mirrors the network's ``shared`` (read by the v2 policy)."""
    description: str = ""
    created_at: datetime | None = None
    """None for an item that was never stored."""
    updated_at: datetime | None = None
    """When it last changed (its ``created_at`` until then)."""
    revision_number: int = 0
    """Bumped by every change of the stored item (``quantum.db.models``)."""
    tags: tuple[str, ...] = ()

    @property
    def ip_version(self) -> int:
        return self.cidr.version

    @property
    def autoconfigured(self) -> bool:
        """Whether hosts form their own address (SLAAC): a port gets its EUI-64."""
        return (self.ipv6_address_mode or self.ipv6_ra_mode) in AUTOCONFIGURED


@dataclass(frozen=True, slots=True, kw_only=True)
class FixedIP:
    """An address a port holds on one of its network's subnets."""

    subnet_id: str
    ip_address: IPAddress
