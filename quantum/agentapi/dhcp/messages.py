# SPDX-License-Identifier: Apache-2.0
"""The DHCP agent's messages (``/agent/v1/dhcp/...``): frozen values, and their JSON
shapes. The shared checks, ``MessageError`` and ``Revision`` are in
``quantum.agentapi.messages``. Shapes:

* ``AgentReport`` (POST /dhcp/hosts/{host}): ``{"agent_version": "1.0",
  "configurations": {...}}``, the registration and heartbeat; ``configurations``
  is what ``/v2.0/agents`` shows (the DHCP agent sends ``networks``, ``subnets``,
  ``ports``, ``dhcp_lease_time``, ``dhcp_driver``, ``use_namespaces``).
* ``Revision`` (its answer): ``{"revision": 7}``.
* ``StateRequest`` (POST /dhcp/hosts/{host}/state): ``{}``.
* ``DhcpState`` (its answer): ``{"host": "h1", "revision": 7, "admin_state_up":
  true, "lease_duration": 120, "networks": [NetworkInfo]}``, the networks
  scheduled to this agent (none while an administrator disabled it), and how long
  its leases last: the server's ``dhcp_lease_duration``, for which a released
  address stays held (absent: the agent's own choice).
  ``NetworkInfo``: ``{"id", "admin_state_up",
  "mtu": 1450 | null, "subnets": [SubnetInfo], "ports": [PortInfo], "dhcp_port":
  PortInfo | null}``, every subnet in creation order (DHCP-enabled or not: dnsmasq
  tags count them all), every port of the network with its addresses (the DHCP
  ports too), and this agent's DHCP port (null while it cannot be made, or when no
  subnet has DHCP). ``SubnetInfo``: ``{"id", "cidr", "gateway_ip": str | null,
  "enable_dhcp", "dns_nameservers": [str], "host_routes": [{"destination",
  "nexthop"}], "ipv6_ra_mode": str | null, "ipv6_address_mode": str | null}``.
  ``PortInfo``: ``{"id", "mac_address", "device_id", "device_owner",
  "admin_state_up", "fixed_ips": [{"subnet_id", "ip_address"}]}``.
* ``ProvisionedReport`` (POST /dhcp/hosts/{host}/provisioned): ``{"ports":
  ["<port id>", ...]}`` (at most ``PROVISIONED_MAX``), ports whose host entries
  this agent's dnsmasq has (the files written, dnsmasq told to re-read them): their
  DHCP provisioning block goes (``plugins.dhcp.provisioning``). 204.
* ``LeaseReport`` (POST /dhcp/hosts/{host}/leases): ``{"leases": [{"network_id",
  "ip_address", "mac_address", "expires_at": <epoch seconds>}]}`` (at most
  ``LEASES_MAX``), IPv4 leases as this agent's dnsmasq recorded them (its leases
  file), new or later than last reported: the server keeps each address's lease end
  and holds a released address until then (``ipam.store.record_leases``). 204.
"""

from __future__ import annotations

import ipaddress
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
from quantum.core.mac import is_multicast, parse_mac

__all__ = [
    "AgentReport",
    "DhcpState",
    "FixedIpInfo",
    "HostRouteInfo",
    "LeaseInfo",
    "LeaseReport",
    "Json",
    "MessageError",
    "NetworkInfo",
    "PortInfo",
    "ProvisionedReport",
    "Revision",
    "StateRequest",
    "SubnetInfo",
]

CONFIGURATIONS_MAX = 4096
"""Longest ``configurations`` of a report, as JSON."""
PROVISIONED_MAX = 1000
"""Most ports in one ``ProvisionedReport`` (the agent sends more in several)."""
LEASES_MAX = 500
"""Most leases in one ``LeaseReport`` (about 70 KB, under the server's body limit)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentReport:
    """A DHCP agent's registration and heartbeat."""

    agent_version: str = ""
    configurations: Mapping[str, Any] = dataclass_field(default_factory=dict)

    def to_json(self) -> Json:
        return {
            "agent_version": self.agent_version,
            "configurations": dict(self.configurations),
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> AgentReport:
        version = field(body, "agent_version", str)
        if len(version) > 64:
            raise MessageError("'agent_version' is longer than 64")
        configurations: Mapping[str, Any] = {}
        if "configurations" in body:
            configurations = field(body, "configurations", Mapping)
            if len(json.dumps(configurations)) > CONFIGURATIONS_MAX:
                raise MessageError(
                    f"'configurations' is longer than {CONFIGURATIONS_MAX} as JSON"
                )
        return cls(agent_version=version, configurations=dict(configurations))


@dataclass(frozen=True, slots=True, kw_only=True)
class StateRequest:
    """A DHCP agent asking for what it serves (nothing to say yet)."""

    def to_json(self) -> Json:
        return {}

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> StateRequest:
        if not isinstance(body, Mapping):
            raise MessageError("the body must be a JSON object")
        return cls()


def _optional_str(body: Mapping[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise MessageError(f"{name!r} has the wrong type")
    return value


def _cidr(value: str, name: str) -> str:
    try:
        return str(ipaddress.ip_network(value))
    except ValueError:
        raise MessageError(f"{name!r} is not a CIDR") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class HostRouteInfo:
    destination: str
    nexthop: str

    def to_json(self) -> Json:
        return {"destination": self.destination, "nexthop": self.nexthop}

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> HostRouteInfo:
        return cls(
            destination=_cidr(field(body, "destination", str), "destination"),
            nexthop=str(ip(field(body, "nexthop", str), "nexthop")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class SubnetInfo:
    id: str
    cidr: str
    gateway_ip: str | None = None
    enable_dhcp: bool = True
    dns_nameservers: tuple[str, ...] = ()
    host_routes: tuple[HostRouteInfo, ...] = ()
    ipv6_ra_mode: str | None = None
    ipv6_address_mode: str | None = None

    def to_json(self) -> Json:
        return {
            "id": self.id,
            "cidr": self.cidr,
            "gateway_ip": self.gateway_ip,
            "enable_dhcp": self.enable_dhcp,
            "dns_nameservers": list(self.dns_nameservers),
            "host_routes": [r.to_json() for r in self.host_routes],
            "ipv6_ra_mode": self.ipv6_ra_mode,
            "ipv6_address_mode": self.ipv6_address_mode,
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> SubnetInfo:
        gateway = field(body, "gateway_ip", (str, type(None)))
        return cls(
            id=field(body, "id", str),
            cidr=_cidr(field(body, "cidr", str), "cidr"),
            gateway_ip=None if gateway is None else str(ip(gateway, "gateway_ip")),
            enable_dhcp=field(body, "enable_dhcp", bool),
            dns_nameservers=tuple(
                str(ip(a, "dns_nameservers")) for a in strings(body, "dns_nameservers")
            ),
            host_routes=tuple(
                HostRouteInfo.from_json(r) for r in objects(body, "host_routes")
            ),
            ipv6_ra_mode=_optional_str(body, "ipv6_ra_mode"),
            ipv6_address_mode=_optional_str(body, "ipv6_address_mode"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FixedIpInfo:
    subnet_id: str
    ip_address: str

    def to_json(self) -> Json:
        return {"subnet_id": self.subnet_id, "ip_address": self.ip_address}

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> FixedIpInfo:
        return cls(
            subnet_id=field(body, "subnet_id", str),
            ip_address=str(ip(field(body, "ip_address", str), "ip_address")),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class PortInfo:
    id: str
    mac_address: str
    fixed_ips: tuple[FixedIpInfo, ...] = ()
    device_id: str = ""
    device_owner: str = ""
    admin_state_up: bool = True

    def to_json(self) -> Json:
        return {
            "id": self.id,
            "mac_address": self.mac_address,
            "device_id": self.device_id,
            "device_owner": self.device_owner,
            "admin_state_up": self.admin_state_up,
            "fixed_ips": [i.to_json() for i in self.fixed_ips],
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> PortInfo:
        mac = parse_mac(field(body, "mac_address", str))
        if mac is None or is_multicast(mac):
            raise MessageError("'mac_address' is not a unicast MAC address")
        return cls(
            id=field(body, "id", str),
            mac_address=mac,
            device_id=field(body, "device_id", str),
            device_owner=field(body, "device_owner", str),
            admin_state_up=field(body, "admin_state_up", bool),
            fixed_ips=tuple(
                FixedIpInfo.from_json(i) for i in objects(body, "fixed_ips")
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkInfo:
    id: str
    subnets: tuple[SubnetInfo, ...]
    ports: tuple[PortInfo, ...]
    dhcp_port: PortInfo | None
    admin_state_up: bool = True
    mtu: int | None = None

    def to_json(self) -> Json:
        return {
            "id": self.id,
            "admin_state_up": self.admin_state_up,
            "mtu": self.mtu,
            "subnets": [s.to_json() for s in self.subnets],
            "ports": [p.to_json() for p in self.ports],
            "dhcp_port": None if self.dhcp_port is None else self.dhcp_port.to_json(),
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> NetworkInfo:
        raw_port = field(body, "dhcp_port", (Mapping, type(None)))
        return cls(
            id=field(body, "id", str),
            admin_state_up=field(body, "admin_state_up", bool),
            mtu=None if body.get("mtu") is None else count(body, "mtu"),
            subnets=tuple(SubnetInfo.from_json(s) for s in objects(body, "subnets")),
            ports=tuple(PortInfo.from_json(p) for p in objects(body, "ports")),
            dhcp_port=None if raw_port is None else PortInfo.from_json(raw_port),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class DhcpState:
    """What the DHCP agent of ``host`` serves, as of ``revision`` (or later)."""

    host: str
    revision: int
    networks: tuple[NetworkInfo, ...] = ()
    admin_state_up: bool = True
    lease_duration: int | None = None

    def to_json(self) -> Json:
        return {
            "host": self.host,
            "revision": self.revision,
            "admin_state_up": self.admin_state_up,
            "lease_duration": self.lease_duration,
            "networks": [n.to_json() for n in self.networks],
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> DhcpState:
        return cls(
            host=field(body, "host", str),
            revision=field(body, "revision", int),
            admin_state_up=field(body, "admin_state_up", bool),
            networks=tuple(NetworkInfo.from_json(n) for n in objects(body, "networks")),
            lease_duration=(
                None
                if body.get("lease_duration") is None
                else count(body, "lease_duration")
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvisionedReport:
    """Ports whose host entries this DHCP agent's dnsmasq has."""

    ports: tuple[str, ...] = ()

    def to_json(self) -> Json:
        return {"ports": list(self.ports)}

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> ProvisionedReport:
        ports = strings(body, "ports", 36)
        if len(ports) > PROVISIONED_MAX:
            raise MessageError(f"'ports' holds more than {PROVISIONED_MAX}")
        return cls(ports=tuple(ports))


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseInfo:
    network_id: str
    ip_address: str
    mac_address: str
    expires_at: int
    """Seconds since the epoch, as dnsmasq writes it."""

    def to_json(self) -> Json:
        return {
            "network_id": self.network_id,
            "ip_address": self.ip_address,
            "mac_address": self.mac_address,
            "expires_at": self.expires_at,
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> LeaseInfo:
        mac = parse_mac(field(body, "mac_address", str))
        if mac is None or is_multicast(mac):
            raise MessageError("'mac_address' is not a unicast MAC address")
        network_id = field(body, "network_id", str)
        if not 0 < len(network_id) <= 36:
            raise MessageError("'network_id' must be 1 to 36 characters")
        expires_at = count(body, "expires_at")
        if expires_at >= 1 << 40:
            raise MessageError("'expires_at' is out of range")
        return cls(
            network_id=network_id,
            ip_address=str(ip(field(body, "ip_address", str), "ip_address")),
            mac_address=mac,
            expires_at=expires_at,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseReport:
    """Leases this DHCP agent's dnsmasq recorded, new or later than reported."""

    leases: tuple[LeaseInfo, ...] = ()

    def to_json(self) -> Json:
        return {"leases": [lease.to_json() for lease in self.leases]}

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> LeaseReport:
        leases = objects(body, "leases")
        if len(leases) > LEASES_MAX:
            raise MessageError(f"'leases' holds more than {LEASES_MAX}")
        return cls(leases=tuple(LeaseInfo.from_json(lease) for lease in leases))
