# SPDX-License-Identifier: Apache-2.0
"""Routers and floating IPs (spec §5.2, §5.3): what the L3 service plugin keeps and
what an L3 agent is told.

A router joins subnets (its interfaces, one port each on the subnet's network, owned
``network:router_interface``) and may have a gateway on an external network (a
port owned ``network:router_gateway``, tenant ``""``); the agent routes between the
interfaces and, unless ``enable_snat`` is off, SNATs them to the gateway address.
A floating IP is an address on an external network (a port owned
``network:floatingip``) that, associated to a port's fixed IP, is DNAT'd to it by
the router joining that port's subnet to that external network.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from quantum.core.subnets import IPAddress, IPNetwork
from quantum.core.unset import UNSET, Unset

ROUTER_INTERFACE_OWNER = "network:router_interface"
ROUTER_GATEWAY_OWNER = "network:router_gateway"
FLOATINGIP_OWNER = "network:floatingip"
L3_OWNERS = frozenset({ROUTER_INTERFACE_OWNER, ROUTER_GATEWAY_OWNER, FLOATINGIP_OWNER})
"""The ``device_owner`` of the ports the router and floating-IP APIs manage: not
deleted through ``/ports`` (spec §3.3, §5.2), nor with their network by v1."""

DEFAULT_MAX_ROUTES = 30
"""``max_routes``: extra routes a router may have (spec §5.3)."""


class RouterStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    """Always, as in the original (an agent ignores a router that is admin-down)."""


class PortType(enum.StrEnum):
    """What a router's port is to it (``router_ports.port_type``)."""

    INTERFACE = ROUTER_INTERFACE_OWNER
    GATEWAY = ROUTER_GATEWAY_OWNER


@dataclass(frozen=True, slots=True, kw_only=True)
class ExternalGatewayInfo:
    """A router's way out: its gateway port's network, and whether the agent SNATs
    the router's subnets to the gateway address (``ext-gw-mode``)."""

    network_id: str
    enable_snat: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Route:
    """An extra route of a router (``extraroute``): ``destination`` via ``nexthop``,
    an address on one of the router's subnets."""

    destination: IPNetwork
    nexthop: IPAddress


@dataclass(frozen=True, slots=True, kw_only=True)
class Router:
    id: str
    tenant_id: str
    name: str
    status: RouterStatus = RouterStatus.ACTIVE
    admin_state_up: bool = True
    external_gateway_info: ExternalGatewayInfo | None = None
    gw_port_id: str | None = None
    """The gateway port (not shown on the wire; what an L3 agent plumbs as
    ``qg-``)."""
    routes: tuple[Route, ...] = ()
    description: str = ""
    created_at: datetime | None = None
    """None for an item that was never stored."""
    updated_at: datetime | None = None
    """When it last changed (its ``created_at`` until then)."""
    revision_number: int = 0
    """Bumped by every change of the stored item (``quantum.db.models``)."""
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RouterCreate:
    tenant_id: str
    name: str = ""
    admin_state_up: bool = True
    external_gateway_info: ExternalGatewayInfo | None = None
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RouterUpdate:
    """Attributes to change; None (``UNSET`` for the gateway, whose ``None``
    removes it) leaves one as it is."""

    name: str | None = None
    admin_state_up: bool | None = None
    external_gateway_info: ExternalGatewayInfo | None | Unset = UNSET
    routes: tuple[Route, ...] | None = None
    """The whole list (``[]`` clears it)."""
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RouterInterface:
    """One interface of a router: its port and that port's subnet (the answer of
    ``add_router_interface`` and ``remove_router_interface``, spec §5.2)."""

    port_id: str
    subnet_id: str


@dataclass(frozen=True, slots=True, kw_only=True)
class InterfaceRequest:
    """What ``add_router_interface``/``remove_router_interface`` name: a subnet
    or a port (remove: both, the subnet then checked against the port's)."""

    subnet_id: str | None = None
    port_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FloatingIP:
    id: str
    tenant_id: str
    floating_network_id: str
    floating_ip_address: IPAddress
    floating_port_id: str
    """The address's own port on the external network (not shown on the wire)."""
    port_id: str | None = None
    """The associated port, or None."""
    fixed_ip_address: IPAddress | None = None
    router_id: str | None = None
    """The router joining the associated port's subnet to the external network."""
    description: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    revision_number: int = 0
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class FloatingIPCreate:
    tenant_id: str
    floating_network_id: str
    port_id: str | None = None
    fixed_ip_address: IPAddress | None = None
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class FloatingIPUpdate:
    """``port_id`` None disassociates; ``UNSET`` leaves the association as it is
    (then ``fixed_ip_address`` alone is refused, as on create)."""

    port_id: str | None | Unset = UNSET
    fixed_ip_address: IPAddress | None | Unset = UNSET
    description: str | None = None
