# SPDX-License-Identifier: Apache-2.0
"""Typed values that cross layers: API <-> plugin <-> store.

These are views of the one logical model. The v1 API shows ``Port.admin_state_up`` as
``state`` (ACTIVE/DOWN) and ``status`` as ``op-status``; the v2 API will show them
under their own names.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quantum.ipam.requests import FixedIPRequest

NAME_MAX = 255
"""Longest name, tenant id or attachment id the store accepts (column width)."""


class OpStatus(enum.StrEnum):
    """Operational status, as reported by the plugin or its agents."""

    UP = "UP"
    DOWN = "DOWN"
    PROVISIONING = "PROVISIONING"
    UNKNOWN = "UNKNOWN"


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

    @property
    def state(self) -> PortState:
        return PortState.from_admin_state_up(self.admin_state_up)


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


# -- agents ---------------------------------------------------------------------------

TUNNEL_TYPES = frozenset({NetworkType.GRE, NetworkType.VXLAN})
"""The network types a host's tunnel endpoint may carry."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentHost:
    """A host whose agent reports to the server: its tunnel endpoint and heartbeat.

    ``tunnel_ip`` is ``None`` (and ``tunnel_types`` empty) when the host does not
    tunnel; ``last_seen`` is naive UTC.
    """

    host: str
    tunnel_ip: IPv4Address | IPv6Address | None
    tunnel_types: frozenset[NetworkType] = frozenset()
    agent_version: str = ""
    last_seen: datetime | None = None


OVS_AGENT_TYPE = "Open vSwitch agent"


@dataclass(frozen=True, slots=True, kw_only=True)
class Agent:
    """An agent as ``/v2.0/agents`` shows it (spec §5.8): the last report of its
    host, and whether it is alive (it reported within ``agent_down_time``).

    A dead agent's host keeps forwarding with what it was last told, and its peers
    keep their tunnels to it: liveness is reported, never enforced. Deleting the
    agent removes the host (its tunnel endpoint) until its agent reports again.
    """

    id: str
    host: AgentHost
    alive: bool
    created_at: datetime
    agent_type: str = OVS_AGENT_TYPE


@dataclass(frozen=True, slots=True, kw_only=True)
class BoundPort:
    """A port an agent sees on its host, with where its network lives on the wire,
    and the ingress limit of its QoS policy (through its port profile), if any."""

    port: Port
    segment: NetworkSegment
    qos: QosLimit | None = None
    mtu: int | None = None
    """Its network's MTU (``core.mtu``), for what configures the guest (DHCP)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class QosLimit:
    """Ingress policing of a port's interface (traffic the VM sends): ``rate_kbps``
    kbit/s with bursts of ``burst_kb`` kbit (0: Open vSwitch's default burst)."""

    rate_kbps: int
    burst_kb: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class PortCounters:
    """A port's interface counters as its agent last read them from the switch."""

    port_id: str
    rx_packets: int = 0
    rx_bytes: int = 0
    rx_errors: int = 0
    tx_packets: int = 0
    tx_bytes: int = 0
    tx_errors: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class HostState:
    """The desired state of one host, as of ``revision`` (or later).

    ``peers`` are the other registered hosts (alive or not) with a tunnel endpoint.
    """

    host: str
    revision: int
    ports: tuple[BoundPort, ...] = ()
    peers: tuple[AgentHost, ...] = ()
    macs: tuple[MacLocation, ...] = ()
    """Where the MACs of the other ports of the host's networks are: their bound
    host's, so the agent sends known unicast to that host only."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MacLocation:
    """A port's MAC on its network, and the host its port is bound to."""

    network_id: str
    mac_address: str
    host: str


# -- the v2 view of the store -----------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    """Whose view of the store a v2 call works in.

    ``tenant_id`` is None for a caller without a tenant (an admin with no project);
    an admin sees and may change every tenant's resources, anybody else their own
    (plus what is shared with them, read-only).
    """

    tenant_id: str | None
    is_admin: bool = False

    def owns(self, tenant_id: str) -> bool:
        return self.is_admin or (
            self.tenant_id is not None and self.tenant_id == tenant_id
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SortKey:
    attribute: str
    ascending: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ListQuery:
    """One page of a collection, as the store computes it (keyset pagination).

    ``filters`` maps an attribute to the values it may take (OR); different
    attributes AND. Items come in ``sorts`` order with ``id`` ascending appended as
    the tie-breaker; ``marker`` is the id of the item the page starts after (before,
    with ``page_reverse``); ``limit`` None means every item.
    """

    filters: Mapping[str, tuple[object, ...]] = field(default_factory=dict)
    sorts: tuple[SortKey, ...] = ()
    limit: int | None = None
    marker: str | None = None
    page_reverse: bool = False


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


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkUpdate:
    """Attributes to change; None leaves one as it is."""

    name: str | None = None
    admin_state_up: bool | None = None
    shared: bool | None = None
    router_external: bool | None = None


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


class QuotaResource(enum.StrEnum):
    """What per-tenant quotas limit."""

    NETWORK = "network"
    SUBNET = "subnet"
    PORT = "port"


V2_STATUS = {
    OpStatus.UP: "ACTIVE",
    OpStatus.DOWN: "DOWN",
    OpStatus.PROVISIONING: "BUILD",
    OpStatus.UNKNOWN: "ERROR",
}
"""The v2 name of each operational status."""
FROM_V2_STATUS = {v: k for k, v in V2_STATUS.items()}


# -- subnets and IP address management (v2) -------------------------------------------

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
    shared: bool = field(default=False, compare=False)
    """Mirrors the network's ``shared`` (read by the v2 policy)."""

    @property
    def ip_version(self) -> int:
        return self.cidr.version


@dataclass(frozen=True, slots=True, kw_only=True)
class FixedIP:
    """An address a port holds on one of its network's subnets."""

    subnet_id: str
    ip_address: IPAddress
