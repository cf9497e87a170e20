# SPDX-License-Identifier: Apache-2.0
"""Load balancing v1 (spec §5.10): what the LBaaS service plugin keeps and, later,
what a load-balancer agent (HAProxy) will be told.

A pool is a set of members (address and port) balanced by ``lb_method``; a VIP is
an address on a subnet (its own port, owned ``quantum:LOADBALANCER``) that sends
its ``protocol_port`` to one pool; health monitors probe a pool's members, joined
to pools by association. Every object has a ``status`` that the server sets to
``PENDING_CREATE`` or ``PENDING_UPDATE`` on a write and that an agent will report
(``ACTIVE``, ``INACTIVE``, ``ERROR``) once it has deployed it; an object in
``PENDING_DELETE`` may not be changed.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from quantum.core.subnets import IPAddress
from quantum.core.unset import UNSET, Unset

LOADBALANCER_OWNER = "quantum:LOADBALANCER"
"""The ``device_owner`` of a VIP's port (as the original's): made and deleted with
the VIP, never through ``/ports``."""


class LbStatus(enum.StrEnum):
    """The status of a VIP, pool, member or health monitor."""

    PENDING_CREATE = "PENDING_CREATE"
    PENDING_UPDATE = "PENDING_UPDATE"
    PENDING_DELETE = "PENDING_DELETE"
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    ERROR = "ERROR"


class Protocol(enum.StrEnum):
    TCP = "TCP"
    HTTP = "HTTP"
    HTTPS = "HTTPS"


class LbMethod(enum.StrEnum):
    ROUND_ROBIN = "ROUND_ROBIN"
    LEAST_CONNECTIONS = "LEAST_CONNECTIONS"
    SOURCE_IP = "SOURCE_IP"


class PersistenceType(enum.StrEnum):
    APP_COOKIE = "APP_COOKIE"
    HTTP_COOKIE = "HTTP_COOKIE"
    SOURCE_IP = "SOURCE_IP"


class MonitorType(enum.StrEnum):
    PING = "PING"
    TCP = "TCP"
    HTTP = "HTTP"
    HTTPS = "HTTPS"


HTTP_MONITORS = frozenset({MonitorType.HTTP, MonitorType.HTTPS})
"""Monitors that have (and show) ``http_method``, ``url_path``, ``expected_codes``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionPersistence:
    """How a VIP keeps a client on one member: ``cookie_name`` is given for
    ``APP_COOKIE`` and only for it."""

    type: PersistenceType
    cookie_name: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Vip:
    id: str
    tenant_id: str
    name: str
    description: str
    subnet_id: str
    address: IPAddress
    port_id: str
    protocol_port: int
    protocol: Protocol
    pool_id: str
    session_persistence: SessionPersistence | None
    connection_limit: int
    admin_state_up: bool
    status: LbStatus
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VipCreate:
    tenant_id: str
    subnet_id: str
    protocol_port: int
    protocol: Protocol
    pool_id: str
    name: str = ""
    description: str = ""
    address: IPAddress | None = None
    """None: the next free address of the subnet."""
    session_persistence: SessionPersistence | None = None
    connection_limit: int = -1
    admin_state_up: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class VipUpdate:
    """None leaves an attribute as it is (``UNSET`` for the session persistence,
    whose None removes it: PUT ``null`` or ``{}``)."""

    name: str | None = None
    description: str | None = None
    pool_id: str | None = None
    session_persistence: SessionPersistence | None | Unset = UNSET
    connection_limit: int | None = None
    admin_state_up: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Pool:
    id: str
    tenant_id: str
    name: str
    description: str
    subnet_id: str
    protocol: Protocol
    lb_method: LbMethod
    admin_state_up: bool
    status: LbStatus
    vip_id: str | None = None
    members: tuple[str, ...] = ()
    health_monitors: tuple[str, ...] = ()
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolCreate:
    tenant_id: str
    subnet_id: str
    protocol: Protocol
    lb_method: LbMethod
    name: str = ""
    description: str = ""
    health_monitors: tuple[str, ...] = ()
    admin_state_up: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolUpdate:
    """None leaves an attribute as it is; ``health_monitors`` is the whole list of
    the pool's monitors (``[]`` removes every association)."""

    name: str | None = None
    description: str | None = None
    lb_method: LbMethod | None = None
    health_monitors: tuple[str, ...] | None = None
    admin_state_up: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolStats:
    """What an agent reports of a pool's traffic (zero until one does)."""

    bytes_in: int = 0
    bytes_out: int = 0
    active_connections: int = 0
    total_connections: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Member:
    id: str
    tenant_id: str
    pool_id: str
    address: IPAddress
    protocol_port: int
    weight: int
    admin_state_up: bool
    status: LbStatus
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberCreate:
    tenant_id: str
    pool_id: str
    address: IPAddress
    protocol_port: int
    weight: int = 1
    admin_state_up: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberUpdate:
    pool_id: str | None = None
    """Moves the member to another pool (of its tenant)."""
    weight: int | None = None
    admin_state_up: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthMonitor:
    id: str
    tenant_id: str
    type: MonitorType
    delay: int
    timeout: int
    max_retries: int
    http_method: str
    url_path: str
    expected_codes: str
    admin_state_up: bool
    status: LbStatus
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthMonitorCreate:
    tenant_id: str
    type: MonitorType
    delay: int
    timeout: int
    max_retries: int
    http_method: str = "GET"
    url_path: str = "/"
    expected_codes: str = "200"
    admin_state_up: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthMonitorUpdate:
    delay: int | None = None
    timeout: int | None = None
    max_retries: int | None = None
    http_method: str | None = None
    url_path: str | None = None
    expected_codes: str | None = None
    admin_state_up: bool | None = None


def stats_wire(stats: PoolStats) -> Mapping[str, int]:
    return {
        "bytes_in": stats.bytes_in,
        "bytes_out": stats.bytes_out,
        "active_connections": stats.active_connections,
        "total_connections": stats.total_connections,
    }
