# SPDX-License-Identifier: Apache-2.0
"""Who sees which rows: the lookups every core service shares.

A ``Scope`` that is not admin sees its own rows, plus networks that are shared or
external (read-only: changing one it does not own is NetworkNotFound, as for a
network that does not exist). The v1 door looks up with ``owned_row`` and
``port_on_network``: v1 never showed another tenant's network, shared or not.
"""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from sqlalchemy import ColumnElement, bindparam, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.scope import Scope
from quantum.core.subnets import FixedIP
from quantum.db.models import PORT_FIELDS, IpAllocationRow, NetworkRow, PortRow
from quantum.db.session import execute_core
from quantum.ipam import store as ipam

DHCP_OWNER = "network:dhcp"


def new_id() -> str:
    return str(uuid.uuid4())


def networks_visible(scope: Scope) -> list[ColumnElement[bool]]:
    if scope.is_admin:
        return []
    return [
        or_(
            NetworkRow.tenant_id == (scope.tenant_id or ""),
            NetworkRow.shared.is_(True),
            NetworkRow.router_external.is_(True),
        )
    ]


def network_seen(door: str) -> ColumnElement[bool]:
    """``networks_visible`` (``door`` "scope", non-admin) or ``owned_row``'s rule
    (``door`` "owned") with the tenant as the bind parameter ``owner``, for a
    statement built once (PERF: building a statement costs more than running it
    on SQLite)."""
    owner = NetworkRow.tenant_id == bindparam("owner")
    if door == "owned":
        return owner
    return or_(owner, NetworkRow.shared.is_(True), NetworkRow.router_external.is_(True))


def ports_visible(scope: Scope) -> list[ColumnElement[bool]]:
    if scope.is_admin:
        return []
    return [PortRow.tenant_id == (scope.tenant_id or "")]


PORTS_SCOPE = (PortRow.tenant_id,)
"""What ``ports_visible`` compares, for a statement prepared once
(``quantum.plugins.core.listing.PreparedPage``): equal to ``ports_scope``'s
values."""


def ports_scope(scope: Scope) -> tuple[str, ...]:
    """``ports_visible`` as the values of ``PORTS_SCOPE`` (none: every port)."""
    if scope.is_admin:
        return ()
    return (scope.tenant_id or "",)


def network_row(s: Session, scope: Scope, network_id: str) -> NetworkRow:
    """A network the scope may see; NetworkNotFound otherwise."""
    row = s.scalars(
        select(NetworkRow).where(NetworkRow.id == network_id, *networks_visible(scope))
    ).one_or_none()
    if row is None:
        raise exc.NetworkNotFound(network_id=network_id)
    return row


def owned_network(s: Session, scope: Scope, network_id: str) -> NetworkRow:
    """A network the scope may change: its own (any, for an admin)."""
    row = network_row(s, scope, network_id)
    if not scope.owns(row.tenant_id):
        raise exc.NetworkNotFound(network_id=network_id)
    return row


def owned_row(s: Session, tenant_id: str, network_id: str) -> NetworkRow:
    """The v1 door's lookup: the tenant's own network, never another's (shared or
    not). Raises NetworkNotFound."""
    row = s.scalars(
        select(NetworkRow).where(
            NetworkRow.id == network_id, NetworkRow.tenant_id == tenant_id
        )
    ).one_or_none()
    if row is None:
        raise exc.NetworkNotFound(network_id=network_id)
    return row


def port_on_network(
    s: Session, tenant_id: str, network_id: str, port_id: str
) -> PortRow:
    """The v1 door's lookup: a port on the tenant's own network (whoever's port it
    is). Raises NetworkNotFound first, then PortNotFound."""
    # PERF: one statement for both checks (the network is the tenant's, the port is
    # on it); every port call, and every statement inside SQLite's write lock, counts.
    return _port_on_network(s, tenant_id, network_id, port_id, with_ips=False)[0]


class PortKey(Protocol):
    """What a delete reads of a port (``PortRow`` has it too)."""

    @property
    def id(self) -> str: ...
    @property
    def device_owner(self) -> str: ...
    @property
    def attachment(self) -> str | None: ...


def port_on_network_holding(
    s: Session, tenant_id: str, network_id: str, port_id: str
) -> tuple[PortKey, bool]:
    """``port_on_network``'s checks, what a delete needs of the port and whether
    it holds any address, in one prebuilt statement run as Core (PERF: a v1
    delete reads nothing more for a port without one, and loads no object)."""
    found = execute_core(
        s,
        _HOLDING,
        {"tenant_id": tenant_id, "network_id": network_id, "port_id": port_id},
    ).one_or_none()
    if found is None:
        raise exc.NetworkNotFound(network_id=network_id)
    if found.id is None:
        raise exc.PortNotFoundOnNetwork(network_id=network_id, port_id=port_id)
    return found, bool(found.holds)


_HOLDING = (
    select(
        NetworkRow.id.label("network_id"),
        PortRow.id,
        PortRow.device_owner,
        PortRow.attachment,
        select(IpAllocationRow.port_id)
        .where(IpAllocationRow.port_id == PortRow.id)
        .exists()
        .label("holds"),
    )
    .outerjoin(
        PortRow,
        (PortRow.network_id == NetworkRow.id) & (PortRow.id == bindparam("port_id")),
    )
    .where(
        NetworkRow.id == bindparam("network_id"),
        NetworkRow.tenant_id == bindparam("tenant_id"),
    )
)


def _port_on_network(
    s: Session, tenant_id: str, network_id: str, port_id: str, *, with_ips: bool
) -> tuple[PortRow, bool]:
    columns: list[Any] = [NetworkRow.id, PortRow]
    if with_ips:
        columns.append(
            select(IpAllocationRow.port_id)
            .where(IpAllocationRow.port_id == PortRow.id)
            .exists()
        )
    found = s.execute(
        select(*columns)
        .outerjoin(
            PortRow, (PortRow.network_id == NetworkRow.id) & (PortRow.id == port_id)
        )
        .where(NetworkRow.id == network_id, NetworkRow.tenant_id == tenant_id)
    ).one_or_none()
    if found is None:
        raise exc.NetworkNotFound(network_id=network_id)
    if found[1] is None:
        raise exc.PortNotFoundOnNetwork(network_id=network_id, port_id=port_id)
    row: PortRow = found[1]
    return row, bool(found[2]) if with_ips else True


def port_row(s: Session, scope: Scope, port_id: str) -> PortRow:
    row = s.scalars(
        select(PortRow).where(PortRow.id == port_id, *ports_visible(scope))
    ).one_or_none()
    if row is None:
        raise exc.PortNotFound(port_id=port_id)
    return row


_PORT_KEY = select(
    PortRow.__table__.c.id,
    PortRow.__table__.c.device_owner,
    PortRow.__table__.c.attachment,
).where(PortRow.__table__.c.id == bindparam("port_id"))
"""What a delete reads of a port, built once."""
_OWN_PORT_KEY = _PORT_KEY.where(PortRow.__table__.c.tenant_id == bindparam("owner"))


def port_key(s: Session, scope: Scope, port_id: str) -> PortKey:
    """``port_row``'s checks and what a delete needs of the port, one prebuilt
    statement run as Core (PERF: no ORM entity)."""
    if scope.is_admin:
        found = execute_core(s, _PORT_KEY, {"port_id": port_id}).one_or_none()
    else:
        found = execute_core(
            s, _OWN_PORT_KEY, {"port_id": port_id, "owner": scope.tenant_id or ""}
        ).one_or_none()
    if found is None:
        raise exc.PortNotFound(port_id=port_id)
    return found  # type: ignore[no-any-return]  # NOTE: a Row of PortKey's columns


_PORTS = PortRow.__table__
_ALLOCATIONS = IpAllocationRow.__table__
_PORT_WITH_IPS = (
    select(
        *(_PORTS.c[name] for name in PORT_FIELDS),
        _ALLOCATIONS.c.subnet_id,
        _ALLOCATIONS.c.ip_address,
    )
    .select_from(_PORTS.outerjoin(_ALLOCATIONS, _ALLOCATIONS.c.port_id == _PORTS.c.id))
    .where(_PORTS.c.id == bindparam("port_id"))
    .order_by(_ALLOCATIONS.c.position)
)
"""A port's columns (``PORT_FIELDS``) with each of its addresses (NULL: none),
in their order; built once."""
_OWN_PORT_WITH_IPS = _PORT_WITH_IPS.where(_PORTS.c.tenant_id == bindparam("owner"))
"""``_PORT_WITH_IPS`` if the port is the tenant's (``ports_visible``)."""
_PORT_AT = len(PORT_FIELDS)


def port_values_with_ips(
    s: Session | Connection, scope: Scope, port_id: str
) -> tuple[tuple[Any, ...], tuple[FixedIP, ...]]:
    """The port's values in ``PORT_FIELDS`` order (``port_of``) and its fixed IPs,
    in a session's transaction or on a ``Database.read``'s connection.

    PERF: one statement built once (the port outer-joined with its allocations),
    run as Core: no ORM entity for a read.
    """
    if scope.is_admin:
        statement, params = _PORT_WITH_IPS, {"port_id": port_id}
    else:
        statement = _OWN_PORT_WITH_IPS
        params = {"port_id": port_id, "owner": scope.tenant_id or ""}
    if isinstance(s, Session):
        found = execute_core(s, statement, params).all()
    else:
        found = s.execute(statement, params).all()
    if not found:
        raise exc.PortNotFound(port_id=port_id)
    ips = tuple(
        FixedIP(subnet_id=row[_PORT_AT], ip_address=ipam.stored_address(row[-1]))
        for row in found
        if row[-1] is not None
    )
    return tuple(found[0][:_PORT_AT]), ips


def port_with_ips(
    s: Session, scope: Scope, port_id: str
) -> tuple[PortRow, tuple[FixedIP, ...]]:
    """The port (as ``port_row``) and its fixed IPs.

    PERF: one statement (the port outer-joined with its allocations), not two:
    show and update are a round trip shorter on PostgreSQL and MariaDB.
    """
    found = s.execute(
        select(PortRow, IpAllocationRow.subnet_id, IpAllocationRow.ip_address)
        .outerjoin(IpAllocationRow, IpAllocationRow.port_id == PortRow.id)
        .where(PortRow.id == port_id, *ports_visible(scope))
        .order_by(IpAllocationRow.position)
    ).all()
    if not found:
        raise exc.PortNotFound(port_id=port_id)
    ips = tuple(
        FixedIP(subnet_id=subnet_id, ip_address=ipam.stored_address(text))
        for _, subnet_id, text in found
        if text is not None
    )
    return found[0][0], ips
