# SPDX-License-Identifier: Apache-2.0
"""The L3 agent's messages (``/agent/v1/l3/...``): frozen values, and their JSON
shapes. The shared checks, ``MessageError`` and ``Revision`` are in
``quantum.agentapi.messages``. Shapes:

* ``L3Report`` (POST /l3/hosts/{host}): ``{"agent_version": "...",
  "configurations": {...}}``, the registration and heartbeat; ``configurations``
  is what ``/v2.0/agents`` shows: the L3 agent sends ``external_network_bridge``,
  ``gateway_external_network_id``, ``handle_internal_only_routers``, ``routers``,
  ``interfaces``, ``ex_gw_ports``, ``floating_ips`` (the last four: counts of what
  it runs).
* ``RoutersRequest`` (POST /l3/hosts/{host}/state): ``{}``; optionally
  ``{"router_ids": ["..."]}`` (the answer is then limited to those routers).
* ``RouterSet`` (its answer): ``{"host": "net1", "revision": 7,
  "admin_state_up": true, "routers": [Router...]}``, the routers scheduled to the
  host's L3 agent (up or not: a router set down is one the agent removes).
* ``Router``: ``{"id", "admin_state_up", "interfaces": [{"port_id",
  "network_id", "mac_address", "addresses": ["10.1.0.1/24", ...],
  "subnets": [{"id", "cidr", "ipv6_ra_mode", "ipv6_address_mode"}]}],
  "gateway": null | {"port_id", "network_id", "mac_address",
  "address": "172.24.4.10/24", "gateway_ip": "172.24.4.1" | null,
  "enable_snat": true}, "routes": [{"destination": "192.168.7.0/24",
  "nexthop": "10.1.0.9"}], "floating_ips": [{"id", "floating_ip_address",
  "fixed_ip_address", "port_id"}]}``. Each interface address is the port's fixed
  IP with its subnet's prefix; ``floating_ips`` are the associated ones only.

The messages check shapes and address syntax; whether a router hangs together
(overlapping subnets, a next hop on no subnet, ...) is the agent's model's to
refuse (``quantum.agent.l3.model``), router by router.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from ipaddress import (
    IPv4Interface,
    IPv4Network,
    IPv6Interface,
    IPv6Network,
    ip_interface,
    ip_network,
)
from typing import Any

from quantum.agentapi.messages import (
    Json,
    MessageError,
    Revision,
    field,
    ip,
    objects,
    strings,
)
from quantum.core.mac import is_multicast, parse_mac
from quantum.core.subnets import IPAddress

__all__ = [  # NOTE: the L3 kind's callers use the shared ones through this module
    "Json",
    "MessageError",
    "Revision",
]

IPInterface = IPv4Interface | IPv6Interface
IPNetwork = IPv4Network | IPv6Network

CONFIGURATIONS_MAX = 4096
"""Longest ``configurations`` of a report, as JSON."""
VERSION_MAX = 64


def _interface(value: Any, name: str) -> IPInterface:
    if not isinstance(value, str) or "/" not in value:
        raise MessageError(f"{name!r} must hold '<address>/<prefix>' strings")
    try:
        return ip_interface(value)
    except ValueError:
        raise MessageError(f"{name!r}: {value!r} is not '<address>/<prefix>'") from None


def _network(value: Any, name: str) -> IPNetwork:
    if not isinstance(value, str):
        raise MessageError(f"{name!r} has the wrong type")
    try:
        return ip_network(value)
    except ValueError:
        raise MessageError(f"{name!r}: {value!r} is not a CIDR") from None


def _mac(body: Mapping[str, Any]) -> str:
    mac = parse_mac(field(body, "mac_address", str))
    if mac is None or is_multicast(mac):
        raise MessageError("'mac_address' is not a unicast MAC address")
    return mac


def _optional_ip(body: Mapping[str, Any], name: str) -> IPAddress | None:
    value = field(body, name, (str, type(None))) if name in body else None
    return None if value is None else ip(value, name)


@dataclass(frozen=True, slots=True, kw_only=True)
class L3Report:
    """An L3 agent's registration and heartbeat."""

    agent_version: str = ""
    configurations: Mapping[str, Any] = dataclass_field(default_factory=dict)

    def to_json(self) -> Json:
        return {
            "agent_version": self.agent_version,
            "configurations": dict(self.configurations),
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> L3Report:
        version = field(body, "agent_version", str)
        if len(version) > VERSION_MAX:
            raise MessageError(f"'agent_version' is longer than {VERSION_MAX}")
        configurations: Mapping[str, Any] = {}
        if "configurations" in body:
            configurations = field(body, "configurations", Mapping)
            if len(json.dumps(configurations)) > CONFIGURATIONS_MAX:
                raise MessageError(
                    f"'configurations' is longer than {CONFIGURATIONS_MAX} as JSON"
                )
        return cls(agent_version=version, configurations=dict(configurations))


@dataclass(frozen=True, slots=True, kw_only=True)
class RoutersRequest:
    """Which of its routers the agent asks for (``None``: all of them)."""

    router_ids: tuple[str, ...] | None = None

    def to_json(self) -> Json:
        if self.router_ids is None:
            return {}
        return {"router_ids": list(self.router_ids)}

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> RoutersRequest:
        if not isinstance(body, Mapping):
            raise MessageError("the body must be a JSON object")
        if "router_ids" not in body:
            return cls()
        return cls(router_ids=tuple(strings(body, "router_ids")))


IPV6_MODES = frozenset({"slaac", "dhcpv6-stateful", "dhcpv6-stateless"})


def _mode(body: Mapping[str, Any], name: str) -> str | None:
    value = field(body, name, (str, type(None))) if name in body else None
    if value is not None and value not in IPV6_MODES:
        raise MessageError(f"{name!r}: {value!r} is not one of {sorted(IPV6_MODES)}")
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class InterfaceSubnet:
    """A subnet a router interface has an address on, with its IPv6 modes."""

    id: str
    cidr: IPNetwork
    ipv6_ra_mode: str | None = None
    ipv6_address_mode: str | None = None

    def to_json(self) -> Json:
        return {
            "id": self.id,
            "cidr": str(self.cidr),
            "ipv6_ra_mode": self.ipv6_ra_mode,
            "ipv6_address_mode": self.ipv6_address_mode,
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> InterfaceSubnet:
        return cls(
            id=field(body, "id", str),
            cidr=_network(field(body, "cidr", str), "cidr"),
            ipv6_ra_mode=_mode(body, "ipv6_ra_mode"),
            ipv6_address_mode=_mode(body, "ipv6_address_mode"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RouterInterface:
    """A router interface (``network:router_interface`` port) and its addresses."""

    port_id: str
    network_id: str
    mac_address: str
    addresses: tuple[IPInterface, ...]
    subnets: tuple[InterfaceSubnet, ...] = ()

    def to_json(self) -> Json:
        return {
            "port_id": self.port_id,
            "network_id": self.network_id,
            "mac_address": self.mac_address,
            "addresses": [str(a) for a in self.addresses],
            "subnets": [s.to_json() for s in self.subnets],
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> RouterInterface:
        raw = field(body, "addresses", list)
        subnets = (
            tuple(InterfaceSubnet.from_json(s) for s in objects(body, "subnets"))
            if "subnets" in body
            else ()
        )
        return cls(
            port_id=field(body, "port_id", str),
            network_id=field(body, "network_id", str),
            mac_address=_mac(body),
            addresses=tuple(_interface(a, "addresses") for a in raw),
            subnets=subnets,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RouterGateway:
    """The router's port on the external network (``network:router_gateway``)."""

    port_id: str
    network_id: str
    mac_address: str
    address: IPInterface
    """The port's address with the external subnet's prefix: the source of SNAT."""
    gateway_ip: IPAddress | None = None
    """The external subnet's gateway (the router's default route), if any."""
    enable_snat: bool = True

    def to_json(self) -> Json:
        return {
            "port_id": self.port_id,
            "network_id": self.network_id,
            "mac_address": self.mac_address,
            "address": str(self.address),
            "gateway_ip": None if self.gateway_ip is None else str(self.gateway_ip),
            "enable_snat": self.enable_snat,
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> RouterGateway:
        return cls(
            port_id=field(body, "port_id", str),
            network_id=field(body, "network_id", str),
            mac_address=_mac(body),
            address=_interface(field(body, "address", str), "address"),
            gateway_ip=_optional_ip(body, "gateway_ip"),
            enable_snat=field(body, "enable_snat", bool),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtraRoute:
    """An extra route of the router (``routes``, the ``extraroute`` extension)."""

    destination: IPNetwork
    nexthop: IPAddress

    def to_json(self) -> Json:
        return {"destination": str(self.destination), "nexthop": str(self.nexthop)}

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> ExtraRoute:
        return cls(
            destination=_network(field(body, "destination", str), "destination"),
            nexthop=ip(field(body, "nexthop", str), "nexthop"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class FloatingIpState:
    """A floating IP associated with a fixed IP behind the router."""

    id: str
    floating_ip_address: IPAddress
    fixed_ip_address: IPAddress
    port_id: str

    def to_json(self) -> Json:
        return {
            "id": self.id,
            "floating_ip_address": str(self.floating_ip_address),
            "fixed_ip_address": str(self.fixed_ip_address),
            "port_id": self.port_id,
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> FloatingIpState:
        return cls(
            id=field(body, "id", str),
            floating_ip_address=ip(
                field(body, "floating_ip_address", str), "floating_ip_address"
            ),
            fixed_ip_address=ip(
                field(body, "fixed_ip_address", str), "fixed_ip_address"
            ),
            port_id=field(body, "port_id", str),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RouterState:
    """One router as its L3 agent is to run it."""

    id: str
    admin_state_up: bool = True
    interfaces: tuple[RouterInterface, ...] = ()
    gateway: RouterGateway | None = None
    routes: tuple[ExtraRoute, ...] = ()
    floating_ips: tuple[FloatingIpState, ...] = ()

    def to_json(self) -> Json:
        return {
            "id": self.id,
            "admin_state_up": self.admin_state_up,
            "interfaces": [i.to_json() for i in self.interfaces],
            "gateway": None if self.gateway is None else self.gateway.to_json(),
            "routes": [r.to_json() for r in self.routes],
            "floating_ips": [f.to_json() for f in self.floating_ips],
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> RouterState:
        gateway = field(body, "gateway", (Mapping, type(None)))
        return cls(
            id=field(body, "id", str),
            admin_state_up=field(body, "admin_state_up", bool),
            interfaces=tuple(
                RouterInterface.from_json(i) for i in objects(body, "interfaces")
            ),
            gateway=None if gateway is None else RouterGateway.from_json(gateway),
            routes=tuple(ExtraRoute.from_json(r) for r in objects(body, "routes")),
            floating_ips=tuple(
                FloatingIpState.from_json(f) for f in objects(body, "floating_ips")
            ),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RouterSet:
    """The routers scheduled to a host's L3 agent, as of ``revision`` (or later).

    ``admin_state_up`` false: an administrator disabled the agent; it is scheduled
    nothing new and keeps running what it has.
    """

    host: str
    revision: int
    routers: tuple[RouterState, ...] = ()
    admin_state_up: bool = True

    def to_json(self) -> Json:
        return {
            "host": self.host,
            "revision": self.revision,
            "admin_state_up": self.admin_state_up,
            "routers": [r.to_json() for r in self.routers],
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> RouterSet:
        return cls(
            host=field(body, "host", str),
            revision=field(body, "revision", int),
            routers=tuple(RouterState.from_json(r) for r in objects(body, "routers")),
            admin_state_up=(
                field(body, "admin_state_up", bool)
                if "admin_state_up" in body
                else True
            ),
        )
