# SPDX-License-Identifier: Apache-2.0
"""Agents and their hosts: what a host reports, and the desired state it is sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from quantum.core.networks import NetworkSegment, NetworkType
from quantum.core.ports import Port
from quantum.core.security_groups import GroupMembers, SecurityGroup
from quantum.core.subnets import IPAddress

TUNNEL_TYPES = frozenset({NetworkType.GRE, NetworkType.VXLAN})
"""The network types a host's tunnel endpoint may carry."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentHost:
    """A host whose agent reports to the server: its tunnel endpoint and heartbeat.

    ``tunnel_ip`` is ``None`` (and ``tunnel_types`` empty) when the host does not
    tunnel; ``last_seen`` is naive UTC. ``configurations``: what the agent reports
    of its configuration (the OVS agent: bridge mappings, tunnel types, devices),
    shown as it is by ``/v2.0/agents``.
    """

    host: str
    tunnel_ip: IPAddress | None
    tunnel_types: frozenset[NetworkType] = frozenset()
    agent_version: str = ""
    last_seen: datetime | None = None
    configurations: Mapping[str, Any] = field(default_factory=dict)
    agent_type: str = "Open vSwitch agent"
    """Which agent of the host this is: one host runs one agent of each type
    (``agent_hosts`` is keyed by type and host)."""
    binary: str = "quantum-openvswitch-agent"


OVS_AGENT_TYPE = "Open vSwitch agent"
OVS_AGENT_BINARY = "quantum-openvswitch-agent"
DHCP_AGENT_TYPE = "DHCP agent"
DHCP_AGENT_BINARY = "quantum-dhcp-agent"
AGENT_TYPE_MAX = 64
"""Longest ``agent_type`` (and ``binary``) an agent kind may have."""

TOPICS: Mapping[str, str] = {DHCP_AGENT_TYPE: "dhcp_agent", "L3 agent": "l3_agent"}
"""``/v2.0/agents``' ``topic`` of an agent type (spec §5.8); others show ``N/A``."""

HOST_MAX = 255
"""Longest host name an agent may register."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Agent:
    """An agent as ``/v2.0/agents`` shows it (spec §5.8): the last report of its
    host, and whether it is alive (it reported within ``agent_down_time``).

    A dead agent's host keeps forwarding with what it was last told, and its peers
    keep their tunnels to it: liveness is reported, never enforced. Deleting the
    agent removes the host (its tunnel endpoint) until its agent reports again.

    ``admin_state_up`` false: an administrator took the host out of scheduling
    (nothing new is placed there); its agent is told, and keeps forwarding.
    """

    id: str
    host: AgentHost
    alive: bool
    created_at: datetime
    admin_state_up: bool = True
    description: str = ""

    @property
    def agent_type(self) -> str:
        return self.host.agent_type

    @property
    def binary(self) -> str:
        return self.host.binary

    @property
    def topic(self) -> str:
        return TOPICS.get(self.host.agent_type, "N/A")


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentUpdate:
    """What an administrator may change of an agent; ``None``: unchanged."""

    admin_state_up: bool | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BoundPort:
    """A port an agent sees on its host, with where its network lives on the wire,
    and the ingress limit of its QoS policy (through its port profile), if any.
    ``port.fixed_ips`` are filled (the firewall's anti-spoofing needs them)."""

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
    admin_state_up: bool = True
    """The host's agent's ``admin_state_up`` (``/v2.0/agents``)."""
    security_groups: tuple[SecurityGroup, ...] = ()
    """Every group a port of ``ports`` is in, with its rules."""
    group_members: tuple[GroupMembers, ...] = ()
    """The members of every group a rule of those names as its remote group."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MacLocation:
    """A port's MAC on its network, and the host its port is bound to."""

    network_id: str
    mac_address: str
    host: str
