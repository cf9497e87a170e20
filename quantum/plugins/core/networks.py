# SPDX-License-Identifier: Apache-2.0
"""The networks service over the SQL store (``plugin.networks``).

Every method is one transaction (``Database.run``). Tenancy as in
``quantum.plugins.core.access``. A network gets its segment from the back-end's
mechanism inside the create's transaction (``quantum.plugins.mechanism``).
"""

from __future__ import annotations

import builtins
import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    bindparam,
    delete,
    func,
    insert,
    null,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.lbaas import LOADBALANCER_OWNER
from quantum.core.listing import ListQuery
from quantum.core.mtu import network_mtu
from quantum.core.networks import (
    Network,
    NetworkCreate,
    NetworkSegment,
    NetworkType,
    NetworkUpdate,
)
from quantum.core.ports import Port
from quantum.core.quotas import QuotaResource
from quantum.core.routers import L3_OWNERS, ROUTER_GATEWAY_OWNER
from quantum.core.scope import Scope
from quantum.core.settings import Settings
from quantum.core.status import OpStatus
from quantum.core.workingset import WorkingSet
from quantum.db.conditional import stale
from quantum.db.models import (
    NETWORK_FIELDS,
    PORT_FIELDS,
    NetworkRow,
    NetworkSegmentRow,
    NetworkTagRow,
    PortRow,
    SubnetRow,
    network_of,
    network_values,
    port_of,
    utcnow,
)
from quantum.db.session import Database, execute_core
from quantum.ipam.store import subnet_ids_of
from quantum.plugins.core import access
from quantum.plugins.core.listing import Column, page, row_columns
from quantum.plugins.core.quotas import Quotas
from quantum.plugins.core.security_groups import SecurityGroups
from quantum.plugins.core.tags import tag_columns
from quantum.plugins.mechanism import PROVIDER, Mechanism

_INSERT_NETWORK = insert(NetworkRow)
"""A network's INSERT, every column given (``NetworkStore._create``)."""


@functools.cache
def _tenant_query(with_groups: bool) -> Any:
    """What a network create reads of its tenant, built once: its network limit
    override and (``with_groups``) its default security group (NULL: none)."""
    tenant: BindParameter[str] = bindparam("tenant_id")
    query: Any = select(
        Quotas.override_of(tenant, QuotaResource.NETWORK),
        SecurityGroups.default_of(tenant) if with_groups else null(),
    )
    return query


_NETWORKS = NetworkRow.__table__
_SEGMENTS = NetworkSegmentRow.__table__
_SUBNETS = SubnetRow.__table__
_PORTS = PortRow.__table__

_NETWORK_VALUES = tuple(_NETWORKS.c[name] for name in NETWORK_FIELDS)
"""A network's columns in ``NETWORK_FIELDS`` order (``network_of``)."""
_PORT_VALUES = tuple(_PORTS.c[name] for name in PORT_FIELDS)
"""A port's columns in ``PORT_FIELDS`` order (``port_of``)."""
_SEGMENT_VALUES = (
    _SEGMENTS.c.network_type,
    _SEGMENTS.c.physical_network,
    _SEGMENTS.c.segmentation_id,
)
_WITH_SEGMENT = _NETWORKS.outerjoin(_SEGMENTS, _SEGMENTS.c.network_id == _NETWORKS.c.id)
SEGMENT_AT = len(NETWORK_FIELDS)
"""Where a row of ``_LIST_NETWORKS`` or ``_show_query`` has its segment's
columns (after ``NETWORK_FIELDS``; NULL: no segment)."""

_LIST_NETWORKS = select(*_NETWORK_VALUES, *_SEGMENT_VALUES).select_from(_WITH_SEGMENT)
"""A page of networks with their segments, as tuples (``NETWORK_FIELDS``, then
the segment's type, physical network and id)."""


@functools.cache
def _show_query(door: str) -> Any:
    """One network with its segment and its subnets' ids, oldest first, built once
    per door ("admin": any; "scope": the bind parameter ``owner``'s, shared or
    external): a row per subnet (one, of NULL subnet, without any); no row: not
    found. PERF: one statement, not three (the network, its segment, its subnets)."""
    query: Any = (
        select(*_NETWORK_VALUES, *_SEGMENT_VALUES, _SUBNETS.c.id)
        .select_from(
            _WITH_SEGMENT.outerjoin(_SUBNETS, _SUBNETS.c.network_id == _NETWORKS.c.id)
        )
        .where(_NETWORKS.c.id == bindparam("network_id"))
        .order_by(_SUBNETS.c.created_at, _SUBNETS.c.id)
    )
    if door != "admin":
        query = query.where(access.network_seen(door))
    return query


_OWNED_NETWORKS = (
    select(*_NETWORK_VALUES)
    .where(_NETWORKS.c.tenant_id == bindparam("tenant_id"))
    .order_by(_NETWORKS.c.created_at, _NETWORKS.c.id)
)
"""The v1 door's list: the tenant's networks, oldest first, as tuples."""

_OWNED_PORTS = (
    select(*_PORT_VALUES)
    .select_from(_PORTS.join(_NETWORKS, _PORTS.c.network_id == _NETWORKS.c.id))
    .where(_NETWORKS.c.tenant_id == bindparam("tenant_id"))
    .order_by(_PORTS.c.created_at, _PORTS.c.id)
)
"""The ports on the tenant's networks, oldest first, as tuples (``port_of``)."""

_OWNED_NETWORK = select(*_NETWORK_VALUES).where(
    _NETWORKS.c.id == bindparam("network_id"),
    _NETWORKS.c.tenant_id == bindparam("tenant_id"),
)
"""The v1 door's show: the tenant's own network (no row: not found)."""

_OWNED_NETWORK_PORTS = (
    select(*_NETWORK_VALUES, *_PORT_VALUES)
    .select_from(_NETWORKS.outerjoin(_PORTS, _PORTS.c.network_id == _NETWORKS.c.id))
    .where(
        _NETWORKS.c.id == bindparam("network_id"),
        _NETWORKS.c.tenant_id == bindparam("tenant_id"),
    )
    .order_by(_PORTS.c.created_at, _PORTS.c.id)
)
"""The v1 door's show with ports: the tenant's own network outer-joined to its
ports, oldest first (``NETWORK_FIELDS``, then ``PORT_FIELDS``: NULL for a network
without any); no row: not found."""

PORT_AT = len(NETWORK_FIELDS)
"""Where a row of ``_OWNED_NETWORK_PORTS`` has its port's columns."""


def _make_segment(
    network_id: str,
    network_type: str,
    physical_network: str | None,
    segmentation_id: int | None,
) -> NetworkSegment:
    return NetworkSegment(
        network_id=network_id,
        network_type=NetworkType(network_type),
        physical_network=physical_network,
        segmentation_id=segmentation_id,
    )


_SEGMENT_MEMO: WorkingSet[NetworkSegment] = WorkingSet(_make_segment, arity=4)
"""Segments of stored values, as long as listings read them
(``quantum.core.workingset``: a deleted network's go). PERF: immutable, and read
again and again."""

_segment_of: Callable[[str, str, str | None, int | None], NetworkSegment] = (
    _SEGMENT_MEMO.lookup
)


def _row_segment(row: Sequence[Any]) -> NetworkSegment | None:
    """The segment of a row with ``_SEGMENT_VALUES`` at ``SEGMENT_AT``."""
    network_type = row[SEGMENT_AT]
    if network_type is None:
        return None
    return _segment_of(row[0], network_type, row[SEGMENT_AT + 1], row[SEGMENT_AT + 2])


NETWORK_DELETE_ATTEMPTS = 3
"""How often a network delete looks again for ports committed while it ran."""


_PORTS_ON = PortRow.__table__
_NETWORKS = NetworkRow.__table__
_PORTS_LEFT = (
    select(func.count())
    .select_from(_PORTS_ON)
    .where(_PORTS_ON.c.network_id == bindparam("network"))
)
_DELETE_NETWORK = delete(NetworkRow).where(_NETWORKS.c.id == bindparam("network"))
_DELETE_NETWORK_AT = _DELETE_NETWORK.where(
    _NETWORKS.c.revision_number.in_(bindparam("revisions", expanding=True))
)
_OWNED_FOR_DELETE = select(_NETWORKS.c.id).where(_NETWORKS.c.id == bindparam("network"))
_OWN_OWNED_FOR_DELETE = _OWNED_FOR_DELETE.where(
    _NETWORKS.c.tenant_id == bindparam("owner")
)
"""A network delete's statements, built once (PERF: run as Core; all of a delete
runs inside SQLite's one write lock)."""


def reclaiming(reclaimable: ColumnElement[bool]) -> Any:
    """The DELETE of a network's ports matching ``reclaimable`` (bind parameter
    ``network``), for ``delete_unused_network``: build it once, at import."""
    return delete(PortRow).where(
        _PORTS_ON.c.network_id == bindparam("network"), reclaimable
    )


_RECLAIM_UNPLUGGED = reclaiming(
    # NOTE: a router's, a floating IP's or a VIP's port is not the tenant's to
    # reclaim: it keeps the network (NetworkInUse).
    _PORTS_ON.c.attachment.is_(None)
    & _PORTS_ON.c.device_owner.not_in(sorted(L3_OWNERS | {LOADBALANCER_OWNER}))
)
"""A v1 network delete: the network's unplugged ports go with it."""
RECLAIM_DHCP = reclaiming(_PORTS_ON.c.device_owner == access.DHCP_OWNER)
"""A v2 network delete: the network's DHCP ports go with it."""


def delete_unused_network(
    s: Session,
    network_id: str,
    reclaim: Any,
    in_use: exc.QuantumError,
    revisions: Sequence[int] = (),
) -> None:
    """Delete the network with its ports that ``reclaim`` (``reclaiming``'s
    DELETE) deletes; raise ``in_use`` (the caller's transaction then deletes
    nothing) while any other port is on it. With ``revisions``, only at one of
    them, in the DELETE itself: else RevisionNumberConstraintFailed
    (NetworkNotFound if it went meanwhile).

    The schema refuses to delete a network that has ports (no cascade), so a port
    whose create commits after the count here makes the network's DELETE fail,
    never vanishes with it. Then the count is taken again (a new statement sees the
    new port) and the answer is what a serial order gives: ``in_use``, or the port
    reclaimed with the network. A concurrent create never waits on this; one that
    comes after the DELETE finds no network (NetworkNotFound).

    PERF: prebuilt statements, run as Core.
    """
    params: dict[str, Any] = {"network": network_id}
    if revisions:
        query, query_params = (
            _DELETE_NETWORK_AT,
            {"network": network_id, "revisions": list(revisions)},
        )
    else:
        query, query_params = _DELETE_NETWORK, params
    for _ in range(NETWORK_DELETE_ATTEMPTS):
        execute_core(s, reclaim, params)
        if execute_core(s, _PORTS_LEFT, params).scalar():
            raise in_use
        try:
            # NOTE: on the connection: no ORM state to flush or to expire.
            with s.connection().begin_nested():
                gone = execute_core(s, query, query_params).rowcount
        except IntegrityError:
            continue
        if revisions and not gone:
            raise stale(s, NetworkRow, network_id, revisions) or exc.NetworkNotFound(
                network_id=network_id
            )
        return
    raise in_use


def _segment_filter(
    column: Any,
) -> Callable[[Sequence[object]], ColumnElement[bool]]:
    def matches(values: Sequence[object]) -> ColumnElement[bool]:
        return NetworkRow.id.in_(
            select(NetworkSegmentRow.network_id).where(column.in_(values))
        )

    return matches


NETWORK_COLUMNS = row_columns(
    NetworkRow,
    **tag_columns(NetworkRow.id, NetworkTagRow),
    **{
        f"segment.{name}": Column(
            expr=NetworkRow.id,
            sortable=False,
            matches=_segment_filter(getattr(NetworkSegmentRow, name)),
        )
        for name in ("network_type", "physical_network", "segmentation_id")
    },
)
"""What networks are filtered and sorted on: their row's columns, their tags and
their segment's attributes (``segment.network_type``...)."""


class NetworkStore:
    """``NetworkService`` over the SQL store. ``mechanism`` (None: a plugin
    without a back-end) gives each new network its segment; provider attributes
    are refused unless it offers the ``provider`` extension."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        quotas: Quotas,
        *,
        mechanism: Mechanism | None = None,
        security_groups: SecurityGroups | None = None,
    ) -> None:
        """``security_groups``: a tenant's first network makes its default
        group (spec §5.5); None: no groups."""
        self.db = db
        self.quotas = quotas
        self.groups = security_groups
        self.mechanism = mechanism
        self.provider = mechanism is not None and (
            PROVIDER in mechanism.extension_aliases
        )
        self.physnet_mtu = settings.global_physnet_mtu

    def _network(
        self,
        scope: Scope,
        values: Sequence[Any],
        segment: NetworkSegment | None,
        subnets: Sequence[str],
    ) -> Network:
        """The domain network of its row's values (``NETWORK_FIELDS``), its
        segment (shown to an admin only) and its subnets."""
        mtu = network_mtu(
            self.physnet_mtu, segment.network_type if segment is not None else None
        )
        return network_of(
            values,
            segment=segment if scope.is_admin else None,
            subnets=tuple(subnets),
            mtu=mtu,
        )

    def list(self, scope: Scope, query: ListQuery) -> Sequence[Network]:
        """PERF: the page's rows as tuples (SQLAlchemy Core: no ORM entity, no
        identity map), each with its segment, then their subnets in one more
        query."""

        def work(s: Session) -> list[Network]:
            rows = page(
                s,
                _LIST_NETWORKS,
                NETWORK_COLUMNS,
                NetworkRow.id,
                query,
                access.networks_visible(scope),
                core=True,
            )
            subnets = subnet_ids_of(s, [row[0] for row in rows])
            return [
                self._network(
                    scope, row[:SEGMENT_AT], _row_segment(row), subnets[row[0]]
                )
                for row in rows
            ]

        return self.db.run(work, write=False)

    def get(self, scope: Scope, network_id: str) -> Network:
        def work(s: Session) -> Network:
            if scope.is_admin:
                params = {"network_id": network_id}
                rows = execute_core(s, _show_query("admin"), params).all()
            else:
                params = {"network_id": network_id, "owner": scope.tenant_id or ""}
                rows = execute_core(s, _show_query("scope"), params).all()
            if not rows:
                raise exc.NetworkNotFound(network_id=network_id)
            first = rows[0]
            subnets = [row[-1] for row in rows if row[-1] is not None]
            return self._network(
                scope, first[:SEGMENT_AT], _row_segment(first), subnets
            )

        return self.db.run(work, write=False)

    @staticmethod
    def _segment(s: Session, network_id: str) -> NetworkSegment | None:
        row = s.get(NetworkSegmentRow, network_id)
        return None if row is None else row.to_domain()

    def create(self, scope: Scope, items: Sequence[NetworkCreate]) -> Sequence[Network]:
        """All or nothing, in one transaction. Raises OverQuota, InvalidInput,
        SegmentInUse, NoNetworkAvailable."""
        return self._create(scope, items, [item.name for item in items])

    def _create(
        self,
        scope: Scope,
        items: Sequence[NetworkCreate],
        names: Sequence[str | None],
    ) -> Sequence[Network]:
        """``names``: each item's name as stored (v1 stores an empty name as
        null)."""
        if not self.provider and any(i.segment for i in items):
            raise exc.InvalidInput(
                reason="this core plugin does not support provider networks"
            )

        def work(s: Session) -> list[Network]:
            tenants = sorted({i.tenant_id for i in items})
            overrides: dict[str, int | None] = {}
            missing = []
            for tenant in tenants:
                # NOTE: the tenant's network limit and its default group, one
                # SELECT; the group's primary key still decides a first-use race.
                override, group = execute_core(
                    s, _tenant_query(self.groups is not None), {"tenant_id": tenant}
                ).one()
                overrides[tenant] = None if override is None else int(override)
                if self.groups is not None and group is None:
                    missing.append(tenant)
            self.quotas.check(
                s,
                QuotaResource.NETWORK,
                Counter(i.tenant_id for i in items),
                overrides=overrides,
            )
            if self.groups is not None:
                for tenant in missing:
                    self.groups.make_default(s, tenant)
            created = []
            for item, name in zip(items, names, strict=True):
                network_id = access.new_id()
                values = {
                    "id": network_id,
                    "tenant_id": item.tenant_id,
                    "name": name,
                    "status": OpStatus.UP.value,
                    "admin_state_up": item.admin_state_up,
                    "shared": item.shared,
                    "router_external": item.router_external,
                    "port_security_enabled": item.port_security_enabled,
                    "description": item.description,
                    "created_at": utcnow(),
                    "updated_at": None,
                    # NOTE: what the ORM's version counter starts at (db.models).
                    "revision_number": 1,
                    "tags": None,
                }
                # PERF: one prebuilt INSERT, not the ORM's unit of work.
                execute_core(s, _INSERT_NETWORK, values)
                segment = None
                if self.mechanism is not None:
                    self.mechanism.network_precommit(s, network_id, item.segment)
                    segment = self._segment(s, network_id)
                # PERF: a new network has no subnets yet; no need to read them.
                row = tuple(values[field] for field in NETWORK_FIELDS)
                created.append(self._network(scope, row, segment, ()))
            return created

        return self.db.run(work, write=True)

    def update(
        self,
        scope: Scope,
        network_id: str,
        changes: NetworkUpdate,
        authorize: Callable[[Network], None] | None = None,
    ) -> Network:
        """Raises NetworkNotFound, InvalidSharedSetting, ExternalNetworkInUse; and
        what ``authorize``
        raises, called with the network before the change, in the transaction.

        PERF: the segment and the subnets are read once, for the check and the
        answer (an update changes neither).
        """

        def work(s: Session) -> Network:
            row = access.owned_network(s, scope, network_id)
            segment = self._segment(s, network_id)
            subnets = subnet_ids_of(s, [network_id])[network_id]
            if authorize is not None:
                authorize(self._network(scope, network_values(row), segment, subnets))
            if changes.shared is False and row.shared:
                others = s.scalar(
                    select(func.count())
                    .select_from(PortRow)
                    .where(
                        PortRow.network_id == network_id,
                        PortRow.tenant_id != row.tenant_id,
                    )
                )
                if others:
                    raise exc.InvalidSharedSetting(network_id=network_id)
            if changes.router_external is False and row.router_external:
                self._check_no_gateways(s, network_id)
            if changes.name is not None:
                row.name = changes.name
            if changes.admin_state_up is not None:
                row.admin_state_up = changes.admin_state_up
            if changes.shared is not None:
                row.shared = changes.shared
            if changes.router_external is not None:
                row.router_external = changes.router_external
            if changes.description is not None:
                row.description = changes.description
            if changes.port_security_enabled is not None:
                row.port_security_enabled = changes.port_security_enabled
            s.flush()
            return self._network(scope, network_values(row), segment, subnets)

        return self.db.run(work, write=True)

    @staticmethod
    def _check_no_gateways(s: Session, network_id: str) -> None:
        """Raise ExternalNetworkInUse while a router has its gateway on the
        network. The row lock orders this against a gateway being set, which
        reads the network with a shared lock (``quantum.plugins.l3``): whichever
        commits first, the other sees it."""
        s.execute(
            select(NetworkRow.id).where(NetworkRow.id == network_id).with_for_update()
        )
        gateways = s.scalar(
            select(func.count())
            .select_from(PortRow)
            .where(
                PortRow.network_id == network_id,
                PortRow.device_owner == ROUTER_GATEWAY_OWNER,
            )
        )
        if gateways:
            raise exc.ExternalNetworkInUse(net_id=network_id)

    def delete(
        self, scope: Scope, network_id: str, revisions: Sequence[int] = ()
    ) -> None:
        """Deletes the network's DHCP ports with it. Raises NetworkNotFound, or
        NetworkHasPorts (deleting nothing) while any other port is on it;
        RevisionNumberConstraintFailed unless it is at one of ``revisions`` (if
        given) when deleted."""

        def work(s: Session) -> None:
            # NOTE: ``access.owned_network``'s rule (an owner also sees it), as one
            # prebuilt statement (PERF: all of it runs in SQLite's write lock).
            if scope.is_admin:
                found = execute_core(s, _OWNED_FOR_DELETE, {"network": network_id})
            elif scope.tenant_id is None:
                raise exc.NetworkNotFound(network_id=network_id)
            else:
                found = execute_core(
                    s,
                    _OWN_OWNED_FOR_DELETE,
                    {"network": network_id, "owner": scope.tenant_id},
                )
            if found.first() is None:
                raise exc.NetworkNotFound(network_id=network_id)
            delete_unused_network(
                s,
                network_id,
                RECLAIM_DHCP,
                exc.NetworkHasPorts(network_id=network_id),
                revisions,
            )

        self.db.run(work, write=True)

    # -- the v1 door: the tenant's own networks (never another's, shared or not) --

    def create_owned(self, tenant_id: str, name: str | None) -> Network:
        """A network of the tenant, through ``create`` (quota, segment). Raises
        OverQuota, NoNetworkAvailable."""
        item = NetworkCreate(tenant_id=tenant_id, name=name or "")
        return self._create(Scope(tenant_id=tenant_id), [item], [name])[0]

    def list_owned(
        self, tenant_id: str, *, with_ports: bool = False
    ) -> Sequence[Network]:
        """The tenant's networks, oldest first; ``ports`` filled when asked.

        PERF: prebuilt statements read as tuples (no ORM rows for a read)."""

        def work(s: Session) -> builtins.list[Network]:
            params = {"tenant_id": tenant_id}
            rows = execute_core(s, _OWNED_NETWORKS, params).all()
            if not with_ports:
                return [network_of(row) for row in rows]
            by_net: dict[str, builtins.list[Port]] = defaultdict(builtins.list)
            for values in execute_core(s, _OWNED_PORTS, params):
                port = port_of(values)
                by_net[port.network_id].append(port)
            return [network_of(row, tuple(by_net.get(row[0], ()))) for row in rows]

        return self.db.run(work, write=False)

    def get_owned(
        self, tenant_id: str, network_id: str, *, with_ports: bool = False
    ) -> Network:
        """Raises NetworkNotFound. PERF: one prebuilt statement (with ports: the
        network outer-joined to them), read as tuples."""

        def work(s: Session) -> Network:
            params = {"network_id": network_id, "tenant_id": tenant_id}
            if not with_ports:
                row = execute_core(s, _OWNED_NETWORK, params).one_or_none()
                if row is None:
                    raise exc.NetworkNotFound(network_id=network_id)
                return network_of(row)
            rows = execute_core(s, _OWNED_NETWORK_PORTS, params).all()
            if not rows:
                raise exc.NetworkNotFound(network_id=network_id)
            ports = tuple(
                port_of(row[PORT_AT:]) for row in rows if row[PORT_AT] is not None
            )
            return network_of(rows[0][:PORT_AT], ports)

        return self.db.run(work, write=False)

    def rename_owned(self, tenant_id: str, network_id: str, name: str | None) -> None:
        """Raises NetworkNotFound."""

        def work(s: Session) -> None:
            access.owned_row(s, tenant_id, network_id).name = name

        self.db.run(work, write=True)

    def delete_owned(self, tenant_id: str, network_id: str) -> None:
        """Delete the network with its unplugged ports (their addresses go with
        the network's subnets). Raises NetworkNotFound, or NetworkInUse (deleting
        nothing) when any port has an attachment."""

        def work(s: Session) -> None:
            access.owned_row(s, tenant_id, network_id)
            # NOTE: a plug racing with us either lands first (its port survives, we
            # refuse) or finds its port gone. Reading "no attachments" first would
            # let it slip in.
            delete_unused_network(
                s,
                network_id,
                _RECLAIM_UNPLUGGED,
                exc.NetworkInUse(network_id=network_id),
            )

        self.db.run(work, write=True)
