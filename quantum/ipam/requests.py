# SPDX-License-Identifier: Apache-2.0
"""What a client may ask IPAM for, as types built at the API edge.

Each ``fixed_ips`` entry becomes a ``quantum.core.ports.FixedIPRequest``
(``quantum.ipam.convert.to_fixed_ips``); a subnet create becomes a ``SubnetRequest``
that ``quantum.ipam.allocate.plan_subnet`` turns into a checked ``Subnet``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quantum.core.subnets import AllocationPool, HostRoute, IPAddress
from quantum.core.unset import UNSET, Unset


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """The configured caps (``quantum.conf``) the checks apply."""

    max_dns_nameservers: int = 5
    max_subnet_host_routes: int = 20
    max_fixed_ips_per_port: int = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class SubnetRequest:
    """A subnet create, converted but not yet checked against itself."""

    tenant_id: str
    network_id: str
    ip_version: int
    cidr: str
    name: str = ""
    gateway_ip: IPAddress | None | Unset = UNSET
    allocation_pools: Sequence[AllocationPool] | Unset = UNSET
    dns_nameservers: Sequence[IPAddress] = ()
    host_routes: Sequence[HostRoute] = ()
    enable_dhcp: bool = True
    ipv6_ra_mode: str | None = None
    ipv6_address_mode: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SubnetUpdate:
    """What a subnet update may change; ``UNSET`` leaves a field as it is."""

    name: str | Unset = UNSET
    gateway_ip: IPAddress | None | Unset = UNSET
    dns_nameservers: Sequence[IPAddress] | Unset = UNSET
    host_routes: Sequence[HostRoute] | Unset = UNSET
    enable_dhcp: bool | Unset = UNSET
    description: str | Unset = UNSET
