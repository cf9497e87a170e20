# SPDX-License-Identifier: Apache-2.0
"""Ports: a network's attachment points, and what a caller may ask of one.

The v1 API shows ``Port.admin_state_up`` as ``state`` (ACTIVE/DOWN) and ``status``
as ``op-status``; the v2 API shows them under their own names.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from quantum.core.security_groups import AllowedAddressPair
from quantum.core.status import OpStatus
from quantum.core.subnets import FixedIP, IPAddress


class PortState(enum.StrEnum):
    """The v1 administrative state of a port (v2: ``admin_state_up``)."""

    ACTIVE = "ACTIVE"
    DOWN = "DOWN"

    @classmethod
    def from_admin_state_up(cls, up: bool) -> PortState:
        return cls.ACTIVE if up else cls.DOWN


ADMIN_DOWN_REASON = "administratively down"
"""A port's ``status_reason`` while it is administratively down."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Port:
    id: str
    network_id: str
    tenant_id: str
    admin_state_up: bool
    status: OpStatus
    attachment: str | None = None
    name: str = ""
    mac_address: str | None = None
    """None only for a port made through v1 before ports had MAC addresses."""
    device_id: str = ""
    device_owner: str = ""
    binding_host_id: str = ""
    """The host whose agent may wire the port: set by an admin, or recorded by the
    server for the first host whose agent finds the port plugged."""
    binding_profile: Mapping[str, Any] = field(default_factory=dict, hash=False)
    """Free-form (a JSON object) for whoever binds the port; unused by the agents."""
    status_reason: str = ""
    """Why the port is DOWN, as its agent last said ("" when UP or unknown)."""
    fixed_ips: tuple[FixedIP, ...] = ()
    """Its addresses (v2), in allocation order; filled by the v2 store."""
    description: str = ""
    created_at: datetime | None = None
    """None for an item that was never stored."""
    updated_at: datetime | None = None
    """When it last changed (its ``created_at`` until then)."""
    revision_number: int = 0
    """Bumped by every change of the stored item (``quantum.db.models``)."""
    tags: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    """Ids of the security groups the port is in (``security-group``), sorted."""
    port_security_enabled: bool = True
    """Its traffic is filtered: security groups and anti-spoofing
    (``port-security``); off, the port may have no groups nor address pairs."""
    allowed_address_pairs: tuple[AllowedAddressPair, ...] = ()
    """Addresses it may send from besides its fixed IPs, each with its MAC."""

    @property
    def state(self) -> PortState:
        return PortState.from_admin_state_up(self.admin_state_up)


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
"""One ``fixed_ips`` entry of a port create or update, as IPAM is asked for it
(``quantum.ipam.convert.to_fixed_ips`` builds them at the API edge)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PortCreate:
    tenant_id: str
    network_id: str
    name: str = ""
    admin_state_up: bool = True
    mac_address: str | None = None
    """None: generate one from the configured base MAC."""
    device_id: str = ""
    device_owner: str = ""
    binding_host_id: str = ""
    binding_profile: Mapping[str, Any] = field(default_factory=dict, hash=False)
    fixed_ips: Sequence[FixedIPRequest] | None = None
    """None: one address from an IPv4 and one from an IPv6 subnet (spec §4.3)."""
    description: str = ""
    security_groups: Sequence[str] | None = None
    """None: the tenant's ``default`` group (none for a ``network:*`` port or one
    with port security off)."""
    port_security_enabled: bool | None = None
    """None: as its network says."""
    allowed_address_pairs: Sequence[AllowedAddressPair] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class PortUpdate:
    name: str | None = None
    admin_state_up: bool | None = None
    device_id: str | None = None
    device_owner: str | None = None
    binding_host_id: str | None = None
    binding_profile: Mapping[str, Any] | None = None
    fixed_ips: Sequence[FixedIPRequest] | None = None
    """The port's new addresses, replacing the list (spec §4.4)."""
    description: str | None = None
    security_groups: Sequence[str] | None = None
    """Replaces the port's groups (``[]``: none)."""
    port_security_enabled: bool | None = None
    allowed_address_pairs: Sequence[AllowedAddressPair] | None = None
    """Replaces the port's pairs (``[]``: none)."""
