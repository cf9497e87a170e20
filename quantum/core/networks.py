# SPDX-License-Identifier: Apache-2.0
"""Networks, and where one lives on the wire (its segment)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime

from quantum.core.ports import Port
from quantum.core.status import OpStatus


@dataclass(frozen=True, slots=True, kw_only=True)
class Network:
    id: str
    tenant_id: str
    name: str | None
    status: OpStatus
    admin_state_up: bool = True
    ports: tuple[Port, ...] | None = field(default=None, compare=False)
    """The network's ports, filled only when the caller asked for them."""
    shared: bool = False
    """Visible to (and usable by) every tenant."""
    router_external: bool = False
    """Reachable as an external network by routers; visible to every tenant."""
    segment: NetworkSegment | None = field(default=None, compare=False)
    """Where the network lives on the wire, filled by plugins that have segments
    when the caller may see it (an admin)."""
    subnets: tuple[str, ...] = ()
    """Ids of the network's subnets, oldest first (v2)."""
    mtu: int | None = None
    """The largest packet its VMs may send (``core.mtu``), filled by the v2 store."""
    description: str = ""
    created_at: datetime | None = None
    """None for an item that was never stored."""
    updated_at: datetime | None = None
    """When it last changed (its ``created_at`` until then)."""
    revision_number: int = 0
    """Bumped by every change of the stored item (``quantum.db.models``)."""
    tags: tuple[str, ...] = ()
    port_security_enabled: bool = True
    """What a new port on it has when its create does not say
    (``port-security``)."""


class NetworkType(enum.StrEnum):
    """How a network is realised between hosts."""

    LOCAL = "local"
    """Only on one host: no id, nothing leaves the host."""
    FLAT = "flat"
    """Untagged on a named physical network (provider networks only): one network
    per physical network."""
    VLAN = "vlan"
    """An 802.1Q tag on a named physical network."""
    GRE = "gre"
    """A GRE key between the hosts' tunnel endpoints."""
    VXLAN = "vxlan"
    """A VXLAN network identifier between the hosts' tunnel endpoints."""

    @property
    def is_tunnel(self) -> bool:
        """Carried between the hosts' tunnel endpoints (gre, vxlan)."""
        return self in (NetworkType.GRE, NetworkType.VXLAN)


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkSegment:
    """Where a network lives on the wire; what an agent needs to bind its ports.

    ``physical_network`` is set for ``vlan`` only; ``segmentation_id`` is the VLAN id
    (``vlan``) or the tunnel key (``gre``, ``vxlan``), and ``None`` for ``local``.
    """

    network_id: str
    network_type: NetworkType
    physical_network: str | None = None
    segmentation_id: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkCreate:
    """A v2 network to create; provider fields set only by an admin."""

    tenant_id: str
    name: str = ""
    admin_state_up: bool = True
    shared: bool = False
    router_external: bool = False
    segment: NetworkSegment | None = None
    """The requested provider segment (its ``network_id`` is ignored)."""
    description: str = ""
    port_security_enabled: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkUpdate:
    """Attributes to change; None leaves one as it is."""

    name: str | None = None
    admin_state_up: bool | None = None
    shared: bool | None = None
    router_external: bool | None = None
    description: str | None = None
    port_security_enabled: bool | None = None
