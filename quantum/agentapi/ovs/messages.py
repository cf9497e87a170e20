# SPDX-License-Identifier: Apache-2.0
"""The OVS agent's messages (``/agent/v1/ovs/...``): frozen values, and their JSON
shapes. The shared checks, ``MessageError`` and ``Revision`` are in
``quantum.agentapi.messages``. Shapes:

* ``HostReport`` (POST /hosts/{host}): ``{"tunnel_ip": "192.0.2.1" | null,
  "tunnel_types": ["gre", "vxlan"], "agent_version": "1.0", "configurations": {...}}``;
  ``configurations`` (optional) is what ``/v2.0/agents`` shows: the OVS agent sends
  ``bridge_mappings``, ``tunnel_types``, ``integration_bridge``, ``devices``.
* ``StateRequest`` (POST /hosts/{host}/state): ``{"iface_ids": ["vif-1", ...]}``,
  the interface ids the agent sees on its host (v1: port attachments).
* ``HostState`` (its answer): ``{"host": "h1", "revision": 7, "ports": [{"port_id",
  "iface_id", "network_id", "admin_state_up", "segment": {"network_type",
  "physical_network", "segmentation_id"}}], "endpoints": [{"host", "ip",
  "tunnel_types"}], "macs": [{"network_id", "mac_address", "host"}]}``;
  ``endpoints`` are the other registered hosts, alive or not; ``macs`` where the
  other ports of the host's networks are bound (absent: unknown, flood);
  ``"admin_state_up": false`` (absent: true) when an administrator disabled the
  host's agent (``/v2.0/agents``).
* ``Revision`` (answer of POST /hosts/{host}): ``{"revision": 7}``.
* ``StatusReport`` (POST /hosts/{host}/status): ``{"ports": [{"port_id",
  "status": "UP" | "DOWN", "reason": "..."}]}``.
* ``CountersReport`` (POST /hosts/{host}/counters): ``{"ports": [{"port_id",
  "rx_packets", "rx_bytes", "rx_errors", "tx_packets", "tx_bytes", "tx_errors"}]}``,
  the interface counters the agent read from the switch (non-negative integers).

A port of ``HostState`` may carry ``"qos": {"rate_kbps": N, "burst_kb": N}`` (null or
absent: no limit), the ingress policing the agent sets on its interface, and
``"mtu": N`` (null or absent: unknown), its network's MTU, which guests must use.

Security groups (issue 15; absent everywhere: a server older than them, nothing is
filtered). A port may carry ``"port_security": {"enabled": true, "mac_address":
"fa:16:3e:..", "fixed_ips": ["10.0.0.3", "fd00::3"], "allowed_address_pairs":
[{"ip_address": "10.0.0.9" | "10.0.1.0/24", "mac_address": "fa:16:3e:.."}],
"security_groups": ["<group id>", ...]}``: with ``enabled`` true, only the MAC and
addresses (fixed IPs, and each pair's address with its MAC) may leave the port, and
only what a rule of its groups allows (stateful) passes; absent, or ``enabled``
false: the port passes everything. ``HostState`` then carries
``"security_groups": [{"id", "rules": [{"id", "direction": "ingress" | "egress",
"ethertype": "IPv4" | "IPv6", "protocol": 0-255 | null, "port_range_min",
"port_range_max", "remote_ip_prefix": "10.0.0.0/8" | null, "remote_group_id":
"<id>" | null}]}]``, every group a port of the host is in (``protocol`` a number,
null: any; ``icmp`` in an IPv6 rule is 58; for ICMP(v6) the range is the type and
the code, each may be null; for TCP, UDP, SCTP, DCCP, UDP-Lite both ends or neither;
other protocols none), and ``"group_members": [{"id", "addresses": ["10.0.0.3",
"10.0.1.0/24", ...]}]``, for every group a rule names as ``remote_group_id``: the
fixed IPs and allowed-pair addresses of its ports, on any host. Every group a port
names is in ``security_groups`` and every remote group in ``group_members``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from ipaddress import ip_network
from typing import Any

from quantum.agentapi.messages import (
    Json,
    MessageError,
    Revision,
    count,
    field,
    ip,
    objects,
    strings,
)
from quantum.core.agents import TUNNEL_TYPES, PortCounters, QosLimit
from quantum.core.mac import is_multicast, parse_mac
from quantum.core.networks import NetworkSegment, NetworkType
from quantum.core.security_groups import (
    ICMP_PROTOCOLS,
    PORT_PROTOCOLS,
    Direction,
    EtherType,
)
from quantum.core.status import ReportedStatus
from quantum.core.subnets import IPAddress, IPNetwork

__all__ = [  # NOTE: the OVS kind's callers use the shared ones through this module
    "Json",
    "MessageError",
    "ReportedStatus",
    "Revision",
]

REASON_MAX = 255
"""Longest reason kept from a status report."""
CONFIGURATIONS_MAX = 4096
"""Longest ``configurations`` of a host report, as JSON."""


def _tunnel_types(body: Mapping[str, Any]) -> frozenset[NetworkType]:
    names = strings(body, "tunnel_types")
    allowed = sorted(t.value for t in TUNNEL_TYPES)
    if not set(names) <= set(allowed):
        raise MessageError(f"'tunnel_types' may hold only {allowed}")
    return frozenset(NetworkType(n) for n in names)


@dataclass(frozen=True, slots=True, kw_only=True)
class HostReport:
    """An agent's registration and heartbeat: its host's tunnel endpoint."""

    tunnel_ip: IPAddress | None
    tunnel_types: frozenset[NetworkType] = frozenset()
    agent_version: str = ""
    configurations: Mapping[str, Any] = dataclass_field(default_factory=dict)

    def to_json(self) -> Json:
        return {
            "tunnel_ip": str(self.tunnel_ip) if self.tunnel_ip else None,
            "tunnel_types": sorted(t.value for t in self.tunnel_types),
            "agent_version": self.agent_version,
            "configurations": dict(self.configurations),
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> HostReport:
        raw_ip = field(body, "tunnel_ip", (str, type(None)))
        version = field(body, "agent_version", str)
        if len(version) > 64:
            raise MessageError("'agent_version' is longer than 64")
        types = _tunnel_types(body)
        tunnel_ip = None if raw_ip is None else ip(raw_ip, "tunnel_ip")
        if types and tunnel_ip is None:
            raise MessageError("'tunnel_types' needs a 'tunnel_ip'")
        configurations: Mapping[str, Any] = {}
        if "configurations" in body:
            configurations = field(body, "configurations", Mapping)
            if len(json.dumps(configurations)) > CONFIGURATIONS_MAX:
                raise MessageError(
                    f"'configurations' is longer than {CONFIGURATIONS_MAX} as JSON"
                )
        return cls(
            tunnel_ip=tunnel_ip,
            tunnel_types=types,
            agent_version=version,
            configurations=dict(configurations),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class StateRequest:
    """The interface ids an agent sees on its host."""

    iface_ids: tuple[str, ...] = ()

    def to_json(self) -> Json:
        return {"iface_ids": list(self.iface_ids)}

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> StateRequest:
        return cls(iface_ids=tuple(strings(body, "iface_ids")))


def _segment_json(segment: NetworkSegment) -> Json:
    return {
        "network_type": segment.network_type.value,
        "physical_network": segment.physical_network,
        "segmentation_id": segment.segmentation_id,
    }


def _segment(network_id: str, body: Mapping[str, Any]) -> NetworkSegment:
    try:
        kind = NetworkType(field(body, "network_type", str))
    except ValueError:
        raise MessageError("'network_type' is unknown") from None
    return NetworkSegment(
        network_id=network_id,
        network_type=kind,
        physical_network=field(body, "physical_network", (str, type(None))),
        segmentation_id=field(body, "segmentation_id", (int, type(None))),
    )


def _mac(body: Mapping[str, Any], name: str = "mac_address") -> str:
    mac = parse_mac(field(body, name, str))
    if mac is None or is_multicast(mac):
        raise MessageError(f"{name!r} is not a unicast MAC address")
    return mac


def _network(value: Any, name: str) -> IPNetwork:
    """An address (``10.0.0.9``) or a CIDR (``10.0.1.0/24``, host bits clear)."""
    if not isinstance(value, str):
        raise MessageError(f"{name!r} has the wrong type")
    try:
        return ip_network(value)
    except ValueError:
        raise MessageError(f"{name!r} is not an IP address or a CIDR") from None


def _network_json(network: IPNetwork) -> str:
    """A one-address network as the address, any other as its CIDR."""
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def _optional_int(body: Mapping[str, Any], name: str) -> int | None:
    return None if body.get(name) is None else field(body, name, int)


def _optional_str(body: Mapping[str, Any], name: str) -> str | None:
    return None if body.get(name) is None else field(body, name, str)


@dataclass(frozen=True, slots=True, kw_only=True)
class AddressPair:
    """An address (or a CIDR) a port may send from besides its fixed IPs, with the
    MAC it may use for it."""

    ip_address: IPNetwork
    mac_address: str

    def to_json(self) -> Json:
        return {
            "ip_address": _network_json(self.ip_address),
            "mac_address": self.mac_address,
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> AddressPair:
        return cls(
            ip_address=_network(field(body, "ip_address", str), "ip_address"),
            mac_address=_mac(body),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PortSecurity:
    """A port's filter: anti-spoofing (its MAC, fixed IPs and address pairs) and
    its security groups. ``enabled`` false: the port passes everything."""

    enabled: bool
    mac_address: str
    fixed_ips: tuple[IPAddress, ...] = ()
    allowed_address_pairs: tuple[AddressPair, ...] = ()
    security_groups: tuple[str, ...] = ()
    """Ids of ``HostState.security_groups`` entries."""

    def to_json(self) -> Json:
        return {
            "enabled": self.enabled,
            "mac_address": self.mac_address,
            "fixed_ips": [str(a) for a in self.fixed_ips],
            "allowed_address_pairs": [p.to_json() for p in self.allowed_address_pairs],
            "security_groups": list(self.security_groups),
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> PortSecurity:
        fixed = field(body, "fixed_ips", list)
        return cls(
            enabled=field(body, "enabled", bool),
            mac_address=_mac(body),
            fixed_ips=tuple(ip(a, "fixed_ips") for a in fixed),
            allowed_address_pairs=tuple(
                AddressPair.from_json(p) for p in objects(body, "allowed_address_pairs")
            ),
            security_groups=tuple(strings(body, "security_groups")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupRule:
    """One rule of a security group, as the firewall applies it.

    ``protocol``: the IP protocol number (None: any). For ICMP and ICMPv6 (1, 58)
    ``port_range_min`` is the type and ``port_range_max`` the code (None: any); for
    TCP, UDP, SCTP, DCCP and UDP-Lite they are the destination port range (both or
    neither); for other protocols both None. ``remote_ip_prefix`` (of the rule's
    family) or ``remote_group_id`` (its members' addresses,
    ``HostState.group_members``) limit the other end; neither: anywhere.
    """

    id: str
    direction: Direction
    ethertype: EtherType
    protocol: int | None = None
    port_range_min: int | None = None
    port_range_max: int | None = None
    remote_ip_prefix: IPNetwork | None = None
    remote_group_id: str | None = None

    def to_json(self) -> Json:
        return {
            "id": self.id,
            "direction": self.direction.value,
            "ethertype": self.ethertype.value,
            "protocol": self.protocol,
            "port_range_min": self.port_range_min,
            "port_range_max": self.port_range_max,
            "remote_ip_prefix": (
                None if self.remote_ip_prefix is None else str(self.remote_ip_prefix)
            ),
            "remote_group_id": self.remote_group_id,
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> GroupRule:
        try:
            direction = Direction(field(body, "direction", str))
        except ValueError:
            raise MessageError("'direction' must be ingress or egress") from None
        try:
            ethertype = EtherType(field(body, "ethertype", str))
        except ValueError:
            raise MessageError("'ethertype' must be IPv4 or IPv6") from None
        protocol = _optional_int(body, "protocol")
        if protocol is not None and not 0 <= protocol <= 255:
            raise MessageError("'protocol' must be 0-255 or null")
        low = _optional_int(body, "port_range_min")
        high = _optional_int(body, "port_range_max")
        _check_range(protocol, low, high)
        prefix = None
        raw_prefix = _optional_str(body, "remote_ip_prefix")
        if raw_prefix is not None:
            prefix = _network(raw_prefix, "remote_ip_prefix")
            if prefix.version != ethertype.version:
                raise MessageError("'remote_ip_prefix' is not of the rule's ethertype")
        remote_group = _optional_str(body, "remote_group_id")
        if prefix is not None and remote_group is not None:
            raise MessageError("'remote_ip_prefix' and 'remote_group_id' are exclusive")
        return cls(
            id=field(body, "id", str),
            direction=direction,
            ethertype=ethertype,
            protocol=protocol,
            port_range_min=low,
            port_range_max=high,
            remote_ip_prefix=prefix,
            remote_group_id=remote_group,
        )


def _check_range(protocol: int | None, low: int | None, high: int | None) -> None:
    if protocol in ICMP_PROTOCOLS:
        if any(v is not None and not 0 <= v <= 255 for v in (low, high)):
            raise MessageError("an ICMP type and code must be 0-255")
        if low is None and high is not None:
            raise MessageError("an ICMP code needs a type")
    elif protocol in PORT_PROTOCOLS:
        if (low is None) != (high is None):
            raise MessageError("a port range needs both ends")
        if low is not None and high is not None and not 1 <= low <= high <= 65535:
            raise MessageError("a port range must be 1-65535, min <= max")
    elif low is not None or high is not None:
        raise MessageError(f"protocol {protocol} has no port range")


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupState:
    """A security group a port of the host is in, with its rules."""

    id: str
    rules: tuple[GroupRule, ...] = ()

    def to_json(self) -> Json:
        return {"id": self.id, "rules": [r.to_json() for r in self.rules]}

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> GroupState:
        return cls(
            id=field(body, "id", str),
            rules=tuple(GroupRule.from_json(r) for r in objects(body, "rules")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupMembers:
    """The addresses of a group's ports (fixed IPs and allowed-pair addresses, on
    any host): what a rule naming it as ``remote_group_id`` matches."""

    id: str
    addresses: tuple[IPNetwork, ...] = ()

    def to_json(self) -> Json:
        return {"id": self.id, "addresses": [_network_json(a) for a in self.addresses]}

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> GroupMembers:
        return cls(
            id=field(body, "id", str),
            addresses=tuple(
                _network(a, "addresses") for a in field(body, "addresses", list)
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PortState:
    """A port plugged on the host, as the server knows it.

    ``binding_host``: the host that may wire it; any other host keeps the port
    isolated. "" from a server that does not bind ports (older than the field).
    """

    port_id: str
    iface_id: str
    network_id: str
    admin_state_up: bool
    segment: NetworkSegment
    qos: QosLimit | None = None
    mtu: int | None = None
    binding_host: str = ""
    port_security: PortSecurity | None = None
    """None: from a server older than security groups; nothing is filtered."""

    def to_json(self) -> Json:
        body: Json = {
            "port_id": self.port_id,
            "iface_id": self.iface_id,
            "network_id": self.network_id,
            "admin_state_up": self.admin_state_up,
            "segment": _segment_json(self.segment),
            "binding_host": self.binding_host,
            "qos": None
            if self.qos is None
            else {"rate_kbps": self.qos.rate_kbps, "burst_kb": self.qos.burst_kb},
            "mtu": self.mtu,
        }
        if self.port_security is not None:
            body["port_security"] = self.port_security.to_json()
        return body

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> PortState:
        network_id = field(body, "network_id", str)
        raw_qos = body.get("qos") if isinstance(body, Mapping) else None
        qos = None
        if raw_qos is not None:
            qos = QosLimit(
                rate_kbps=count(raw_qos, "rate_kbps"),
                burst_kb=count(raw_qos, "burst_kb"),
            )
        mtu = None
        if body.get("mtu") is not None:
            mtu = count(body, "mtu")
        security = None
        if body.get("port_security") is not None:
            security = PortSecurity.from_json(field(body, "port_security", Mapping))
        return cls(
            port_id=field(body, "port_id", str),
            iface_id=field(body, "iface_id", str),
            network_id=network_id,
            admin_state_up=field(body, "admin_state_up", bool),
            segment=_segment(network_id, field(body, "segment", Mapping)),
            qos=qos,
            mtu=mtu,
            binding_host=(
                field(body, "binding_host", str) if "binding_host" in body else ""
            ),
            port_security=security,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Endpoint:
    """Another registered host's tunnel endpoint (its agent may be dead)."""

    host: str
    ip: IPAddress
    tunnel_types: frozenset[NetworkType]

    def to_json(self) -> Json:
        return {
            "host": self.host,
            "ip": str(self.ip),
            "tunnel_types": sorted(t.value for t in self.tunnel_types),
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Endpoint:
        return cls(
            host=field(body, "host", str),
            ip=ip(field(body, "ip", str), "ip"),
            tunnel_types=_tunnel_types(body),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MacLocation:
    """A MAC of one of the host's networks, on another host (where its port is
    bound): known unicast to it goes to that host's tunnel only."""

    network_id: str
    mac_address: str
    host: str

    def to_json(self) -> Json:
        return {
            "network_id": self.network_id,
            "mac_address": self.mac_address,
            "host": self.host,
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> MacLocation:
        mac = parse_mac(field(body, "mac_address", str))
        if mac is None or is_multicast(mac):
            raise MessageError("'mac_address' is not a unicast MAC address")
        return cls(
            network_id=field(body, "network_id", str),
            mac_address=mac,
            host=field(body, "host", str),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class HostState:
    """The desired state of one host, as of ``revision`` (or a little later)."""

    host: str
    revision: int
    ports: tuple[PortState, ...] = ()
    endpoints: tuple[Endpoint, ...] = ()
    macs: tuple[MacLocation, ...] = ()
    admin_state_up: bool = True
    security_groups: tuple[GroupState, ...] = ()
    """Every group a port of the host is in (``PortSecurity.security_groups``)."""
    group_members: tuple[GroupMembers, ...] = ()
    """Every group a rule of those names as its remote group."""

    def to_json(self) -> Json:
        return {
            "host": self.host,
            "revision": self.revision,
            "ports": [p.to_json() for p in self.ports],
            "endpoints": [e.to_json() for e in self.endpoints],
            "macs": [m.to_json() for m in self.macs],
            "admin_state_up": self.admin_state_up,
            "security_groups": [g.to_json() for g in self.security_groups],
            "group_members": [g.to_json() for g in self.group_members],
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> HostState:
        # NOTE: "macs" is optional: a server without it makes the agent flood.
        macs = objects(body, "macs") if "macs" in body else []
        # NOTE: so are the groups: a server older than them filters nothing.
        groups = tuple(
            GroupState.from_json(g)
            for g in (
                objects(body, "security_groups") if "security_groups" in body else []
            )
        )
        members = tuple(
            GroupMembers.from_json(g)
            for g in (objects(body, "group_members") if "group_members" in body else [])
        )
        ports = tuple(PortState.from_json(p) for p in objects(body, "ports"))
        _check_groups(ports, groups, members)
        return cls(
            host=field(body, "host", str),
            revision=field(body, "revision", int),
            ports=ports,
            endpoints=tuple(Endpoint.from_json(e) for e in objects(body, "endpoints")),
            macs=tuple(MacLocation.from_json(m) for m in macs),
            admin_state_up=(
                field(body, "admin_state_up", bool)
                if "admin_state_up" in body
                else True
            ),
            security_groups=groups,
            group_members=members,
        )


def _check_groups(
    ports: tuple[PortState, ...],
    groups: tuple[GroupState, ...],
    members: tuple[GroupMembers, ...],
) -> None:
    """Every group a port names is sent, and the members of every remote group,
    each once: a filter missing a group would drop what it allows."""
    group_ids = [g.id for g in groups]
    member_ids = [m.id for m in members]
    if len(set(group_ids)) != len(group_ids):
        raise MessageError("'security_groups' names a group twice")
    if len(set(member_ids)) != len(member_ids):
        raise MessageError("'group_members' names a group twice")
    named = {
        g for p in ports if p.port_security for g in p.port_security.security_groups
    }
    if not named <= set(group_ids):
        raise MessageError(f"'security_groups' lacks {sorted(named - set(group_ids))}")
    remote = {r.remote_group_id for g in groups for r in g.rules if r.remote_group_id}
    if not remote <= set(member_ids):
        raise MessageError(f"'group_members' lacks {sorted(remote - set(member_ids))}")


@dataclass(frozen=True, slots=True, kw_only=True)
class PortStatus:
    port_id: str
    status: ReportedStatus
    reason: str = ""

    def to_json(self) -> Json:
        return {
            "port_id": self.port_id,
            "status": self.status.value,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> PortStatus:
        try:
            status = ReportedStatus(field(body, "status", str))
        except ValueError:
            raise MessageError("'status' must be UP or DOWN") from None
        reason = body.get("reason", "")
        if not isinstance(reason, str):
            raise MessageError("'reason' has the wrong type")
        return cls(
            port_id=field(body, "port_id", str),
            status=status,
            reason=reason[:REASON_MAX],
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusReport:
    """Op-status of some ports of the host."""

    ports: tuple[PortStatus, ...] = ()

    def to_json(self) -> Json:
        return {"ports": [p.to_json() for p in self.ports]}

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> StatusReport:
        return cls(ports=tuple(PortStatus.from_json(p) for p in objects(body, "ports")))


COUNTER_NAMES = (
    "rx_packets",
    "rx_bytes",
    "rx_errors",
    "tx_packets",
    "tx_bytes",
    "tx_errors",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class CountersReport:
    """Interface counters of some ports of the host."""

    ports: tuple[PortCounters, ...] = ()

    def to_json(self) -> Json:
        return {
            "ports": [
                {"port_id": c.port_id, **{n: getattr(c, n) for n in COUNTER_NAMES}}
                for c in self.ports
            ]
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> CountersReport:
        return cls(
            ports=tuple(
                PortCounters(
                    port_id=field(p, "port_id", str),
                    **{n: count(p, n) for n in COUNTER_NAMES},
                )
                for p in objects(body, "ports")
            )
        )
