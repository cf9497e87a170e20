# SPDX-License-Identifier: Apache-2.0
"""What the OVS agent wants (desired state) and what it sees on the host (actual).

Desired state comes from the server over the agent API plus the agent's own
configuration; actual state is what OVSDB and the OpenFlow dumps report. Both are
plain frozen values, so ``plan.plan(desired, actual)`` is a pure function.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from quantum.agent.ovs.flows import InstalledFlow
from quantum.core.networks import NetworkSegment, NetworkType


def _frozen_map() -> Mapping[Any, Any]:
    return MappingProxyType({})


class TunnelType(enum.StrEnum):
    GRE = "gre"
    VXLAN = "vxlan"


@dataclass(frozen=True, slots=True, kw_only=True)
class Segment:
    """Where a network's traffic leaves the host.

    ``physical_network`` is set for flat and vlan; ``segmentation_id`` is the VLAN
    id for vlan and the tunnel key for gre/vxlan.
    """

    type: NetworkType
    physical_network: str | None = None
    segmentation_id: int | None = None


def segment_from_server(segment: NetworkSegment) -> Segment:
    """The agent's view of a segment the server allocated."""
    return Segment(
        type=segment.network_type,
        physical_network=segment.physical_network,
        segmentation_id=segment.segmentation_id,
    )


class Direction(enum.StrEnum):
    INGRESS = "ingress"
    EGRESS = "egress"


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityRule:
    """One rule of a security group: what it lets in (ingress) or out (egress).

    ``protocol`` is the IP protocol number (``None``: any); for TCP, UDP and SCTP
    ``port_min``/``port_max`` bound the destination port, for ICMP and ICMPv6
    they are the type and code (``None``: any). ``remote_ip_prefix`` and
    ``remote_group_id`` name the other end (neither: anyone).
    """

    direction: Direction
    ethertype: int
    """4 (IPv4) or 6 (IPv6)."""
    protocol: int | None = None
    port_min: int | None = None
    port_max: int | None = None
    remote_ip_prefix: str | None = None
    remote_group_id: str | None = None
    rule_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressPair:
    """An allowed address pair: ``ip_address`` (an address or a CIDR) may be used
    by the port with ``mac_address``."""

    ip_address: str
    mac_address: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PortSecurity:
    """What a port with port security may send and receive.

    Only ``mac_address`` with ``fixed_ips`` (and the ``allowed_address_pairs``)
    may leave the port; what the rules of ``security_groups`` allow, statefully,
    may pass.
    """

    mac_address: str
    fixed_ips: tuple[str, ...] = ()
    allowed_address_pairs: tuple[AddressPair, ...] = ()
    security_groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class DesiredPort:
    """A port plugged on this host, as the server knows it.

    ``iface_id`` is what the hypervisor writes into the OVS interface's
    ``external_ids:iface-id`` (the v1 attachment id, or the v2 port id).
    """

    port_id: str
    iface_id: str
    network_id: str
    segment: Segment
    admin_state_up: bool = True
    qos: tuple[int, int] | None = None
    """Ingress limit of what the VM sends: (rate kbit/s, burst kbit); None: none."""
    binding_host: str = ""
    """The host the port is bound to; another than this one: never wired here."""
    port_security: PortSecurity | None = None
    """``None``: port security off (or an older server): the port passes everything."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TunnelEndpoint:
    """Another host's tunnel endpoint, as registered with the server."""

    host: str
    ip: str
    type: TunnelType


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteMac:
    """A MAC on one of the host's networks whose port is bound to another host."""

    network_id: str
    mac: str
    host: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DesiredState:
    """The server's view of this host, and the agent's configuration.

    ``bridge_mappings`` maps physical network -> physical bridge name;
    ``tunnel_types`` empty means tunnelling is off.
    """

    host: str
    ports: tuple[DesiredPort, ...] = ()
    endpoints: tuple[TunnelEndpoint, ...] = ()
    local_ip: str | None = None
    tunnel_types: frozenset[TunnelType] = frozenset()
    integration_bridge: str = "br-int"
    bridge_mappings: Mapping[str, str] = field(default_factory=_frozen_map)
    remote_macs: tuple[RemoteMac, ...] = ()
    """Where known unicast goes: to the tunnel of the MAC's host, not every peer."""
    group_rules: Mapping[str, tuple[SecurityRule, ...]] = field(
        default_factory=_frozen_map
    )
    """Security group id -> its rules, for every group of a port on the host."""
    group_members: Mapping[str, tuple[str, ...]] = field(default_factory=_frozen_map)
    """Security group id -> its members' addresses (addresses or CIDRs), for every
    group a rule names as its remote group."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Interface:
    """An interface on the integration bridge, as OVSDB shows it.

    ``ofport`` <= 0 means OVS could not (yet) plug it; ``tag`` is the port's access
    VLAN (``Port.tag``), ``None`` when unset.
    """

    name: str
    ofport: int
    iface_id: str | None = None
    attached_mac: str | None = None
    tag: int | None = None
    policing: tuple[int, int] = (0, 0)
    """``ingress_policing_rate`` (kbit/s) and ``_burst`` (kbit); (0, 0): none."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TunnelPort:
    """A tunnel port on br-tun; ``ofport`` as OVS reports it (or as requested)."""

    name: str
    type: TunnelType
    remote_ip: str
    ofport: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PatchLink:
    """The two ends of a link between br-int and another bridge (patch or veth)."""

    bridge: str
    int_ofport: int
    peer_ofport: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ActualState:
    """What the agent sees on the host.

    ``local_vlans`` is the agent's current network -> local VLAN map (kept in
    memory, or recovered from port tags after a restart with
    ``plan.recover_local_vlans``). ``tunnel_link`` is ``None`` while br-tun and its
    patch ports are missing; ``physical_links`` is keyed by physical network.
    ``flows`` holds each bridge's dumped flows, keyed by bridge name.
    """

    interfaces: tuple[Interface, ...] = ()
    local_vlans: Mapping[str, int] = field(default_factory=_frozen_map)
    tunnel_ports: tuple[TunnelPort, ...] = ()
    tunnel_link: PatchLink | None = None
    physical_links: Mapping[str, PatchLink] = field(default_factory=_frozen_map)
    flows: Mapping[str, frozenset[InstalledFlow]] = field(default_factory=_frozen_map)
    meters: Mapping[int, tuple[int, int]] = field(default_factory=_frozen_map)
    """br-int's meters: id -> (rate kbit/s, burst kbit)."""
