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
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
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
from quantum.core.status import ReportedStatus
from quantum.core.subnets import IPAddress

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

    def to_json(self) -> Json:
        return {
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

    def to_json(self) -> Json:
        return {
            "host": self.host,
            "revision": self.revision,
            "ports": [p.to_json() for p in self.ports],
            "endpoints": [e.to_json() for e in self.endpoints],
            "macs": [m.to_json() for m in self.macs],
            "admin_state_up": self.admin_state_up,
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> HostState:
        # NOTE: "macs" is optional: a server without it makes the agent flood.
        macs = objects(body, "macs") if "macs" in body else []
        return cls(
            host=field(body, "host", str),
            revision=field(body, "revision", int),
            ports=tuple(PortState.from_json(p) for p in objects(body, "ports")),
            endpoints=tuple(Endpoint.from_json(e) for e in objects(body, "endpoints")),
            macs=tuple(MacLocation.from_json(m) for m in macs),
            admin_state_up=(
                field(body, "admin_state_up", bool)
                if "admin_state_up" in body
                else True
            ),
        )


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
