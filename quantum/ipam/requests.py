# SPDX-License-Identifier: Apache-2.0
"""What a client may ask IPAM for, as types built at the API edge.

Each ``fixed_ips`` entry becomes one of three request types
(``quantum.ipam.convert.to_fixed_ips``); a subnet create becomes a ``SubnetRequest``
that ``quantum.ipam.allocate.plan_subnet`` turns into a checked ``Subnet``.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from quantum.core.models import AllocationPool, HostRoute, IPAddress


class Unset(enum.Enum):
    """A field the client left out (distinct from an explicit ``null``): the one
    "not given" marker, also of the v2 API's attribute defaults."""

    UNSET = "UNSET"


UNSET = Unset.UNSET


@dataclass(frozen=True, slots=True, kw_only=True)
class AnyAddress:
    """The next free address of the subnet."""

    subnet_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SpecificAddress:
    """Exactly this address of the subnet (it may lie outside the pools)."""

    subnet_id: str
    ip_address: IPAddress


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressOnNetwork:
    """Exactly this address, on whichever subnet of the port's network holds it."""

    ip_address: IPAddress


FixedIPRequest = AnyAddress | SpecificAddress | AddressOnNetwork


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


@dataclass(frozen=True, slots=True, kw_only=True)
class SubnetUpdate:
    """What a subnet update may change; ``UNSET`` leaves a field as it is."""

    name: str | Unset = UNSET
    gateway_ip: IPAddress | None | Unset = UNSET
    dns_nameservers: Sequence[IPAddress] | Unset = UNSET
    host_routes: Sequence[HostRoute] | Unset = UNSET
    enable_dhcp: bool | Unset = UNSET
