# SPDX-License-Identifier: Apache-2.0
"""The load-balancing services (``vips``, ``pools``, ``members``,
``health_monitors``; spec §5.10) over the core plugin's SQL store.

Each call is one transaction. A non-admin scope sees its own objects only; another
tenant's is NotFound, as if it did not exist. A write sets ``status`` to
``PENDING_CREATE`` or ``PENDING_UPDATE`` (what an agent deploys next); an object an
agent is deleting (``PENDING_DELETE``) is refused any change
(LoadBalancerStateInvalid). A VIP's port is made through the core's ports service
in the VIP's transaction and deleted with it; one VIP per pool is the schema's
unique key, so of VIPs made at once for one pool one commits (VipExists for the
others).
"""

from __future__ import annotations

import builtins
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from ipaddress import ip_address
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.lbaas import (
    LOADBALANCER_OWNER,
    HealthMonitor,
    HealthMonitorCreate,
    HealthMonitorUpdate,
    LbMethod,
    LbStatus,
    Member,
    MemberCreate,
    MemberUpdate,
    MonitorType,
    PersistenceType,
    Pool,
    PoolCreate,
    PoolStats,
    PoolUpdate,
    Protocol,
    SessionPersistence,
    Vip,
    VipCreate,
    VipUpdate,
)
from quantum.core.listing import ListQuery
from quantum.core.ports import AnyAddress, PortCreate, SpecificAddress
from quantum.core.quotas import QuotaResource
from quantum.core.scope import Scope
from quantum.core.unset import UNSET
from quantum.db.models import (
    LbHealthMonitorRow,
    LbMemberRow,
    LbPoolMonitorRow,
    LbPoolRow,
    LbPoolStatsRow,
    LbVipRow,
    NetworkRow,
    SubnetRow,
)
from quantum.db.session import Database
from quantum.plugins.core import access
from quantum.plugins.core.listing import Column, page, row_columns
from quantum.plugins.core.ports import PortStore
from quantum.plugins.core.quotas import Quotas

Row = LbVipRow | LbPoolRow | LbMemberRow | LbHealthMonitorRow


def _address(value: object) -> object | None:
    try:
        return str(ip_address(str(value)))
    except ValueError:
        return None


VIP_COLUMNS = row_columns(
    LbVipRow, address=Column(expr=LbVipRow.address, convert=_address)
)
POOL_COLUMNS = row_columns(LbPoolRow)
MEMBER_COLUMNS = row_columns(
    LbMemberRow, address=Column(expr=LbMemberRow.address, convert=_address)
)
MONITOR_COLUMNS = row_columns(LbHealthMonitorRow)


def visible(table: Any, scope: Scope) -> list[ColumnElement[bool]]:
    """A non-admin scope sees its own rows only."""
    if scope.is_admin:
        return []
    return [table.tenant_id == (scope.tenant_id or "")]


def _writable(row: Row) -> None:
    """Refuse a change to an object an agent is deleting."""
    if row.status == LbStatus.PENDING_DELETE:
        raise exc.LoadBalancerStateInvalid(state=row.status, id=row.id)


def _one(
    s: Session,
    table: Any,
    scope: Scope,
    item_id: str,
    missing: Callable[[str], exc.QuantumError],
    *,
    lock: bool = False,
) -> Any:
    query = select(table).where(table.id == item_id, *visible(table, scope))
    if lock:
        query = query.with_for_update()
    row = s.scalars(query).one_or_none()
    if row is None:
        raise missing(item_id)
    return row


def _pool_missing(pool_id: str) -> exc.QuantumError:
    return exc.PoolNotFound(pool_id=pool_id)


def _monitor_missing(monitor_id: str) -> exc.QuantumError:
    return exc.HealthMonitorNotFound(monitor_id=monitor_id)


def _subnet(s: Session, scope: Scope, subnet_id: str) -> SubnetRow:
    """A subnet ``scope`` may use: one on its own or a shared network (any, for
    an admin). Raises SubnetNotFound."""
    query = (
        select(SubnetRow)
        .join(NetworkRow, NetworkRow.id == SubnetRow.network_id)
        .where(SubnetRow.id == subnet_id)
    )
    if not scope.is_admin:
        query = query.where(
            (NetworkRow.tenant_id == (scope.tenant_id or ""))
            | NetworkRow.shared.is_(True)
        )
    row = s.scalars(query).one_or_none()
    if row is None:
        raise exc.SubnetNotFound(subnet_id=subnet_id)
    return row


def _as(scope: Scope, tenant_id: str) -> Scope:
    """What the item's tenant sees: an admin acting for a tenant may join only
    that tenant's objects (another's is not found, whatever the admin sees)."""
    if scope.is_admin and tenant_id:
        return Scope(tenant_id=tenant_id)
    return scope


class _Store:
    def __init__(self, db: Database, ports: PortStore, quotas: Quotas) -> None:
        self.db = db
        self.ports = ports
        self.quotas = quotas


# -- VIPs --------------------------------------------------------------------------


def _vip(row: LbVipRow) -> Vip:
    persistence = None
    if row.persistence_type is not None:
        persistence = SessionPersistence(
            type=PersistenceType(row.persistence_type), cookie_name=row.cookie_name
        )
    return Vip(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        description=row.description,
        subnet_id=row.subnet_id,
        address=ip_address(row.address),
        port_id=row.port_id,
        protocol_port=row.protocol_port,
        protocol=Protocol(row.protocol),
        pool_id=row.pool_id,
        session_persistence=persistence,
        connection_limit=row.connection_limit,
        admin_state_up=row.admin_state_up,
        status=LbStatus(row.status),
        created_at=row.created_at,
    )


def _persist(row: LbVipRow, persistence: SessionPersistence | None) -> None:
    row.persistence_type = None if persistence is None else persistence.type.value
    row.cookie_name = None if persistence is None else persistence.cookie_name


class VipStore(_Store):
    """The ``vips`` service, in the uniform ``Service`` shape."""

    def list(self, scope: Scope, query: ListQuery) -> Sequence[Vip]:
        def work(s: Session) -> builtins.list[Vip]:
            rows = page(
                s,
                select(LbVipRow),
                VIP_COLUMNS,
                LbVipRow.id,
                query,
                visible(LbVipRow, scope),
            )
            return [_vip(row) for (row,) in rows]

        return self.db.run(work, write=False)

    def get(self, scope: Scope, vip_id: str) -> Vip:
        return self.db.run(
            lambda s: _vip(_one(s, LbVipRow, scope, vip_id, self._missing)),
            write=False,
        )

    @staticmethod
    def _missing(vip_id: str) -> exc.QuantumError:
        return exc.VipNotFound(vip_id=vip_id)

    def _pool_for(
        self, s: Session, scope: Scope, tenant_id: str, pool_id: str, protocol: str
    ) -> LbPoolRow:
        """The pool a VIP of ``tenant_id`` sends to, locked until commit: one the
        caller sees (PoolNotFound), of the VIP's tenant (PoolNotOwned), of its
        protocol (ProtocolMismatch), without a VIP (VipExists)."""
        pool: LbPoolRow = _one(s, LbPoolRow, scope, pool_id, _pool_missing, lock=True)
        if pool.tenant_id != tenant_id:
            raise exc.PoolNotOwned(pool_id=pool_id)
        _writable(pool)
        if pool.protocol != protocol:
            raise exc.ProtocolMismatch(vip_proto=protocol, pool_proto=pool.protocol)
        taken = s.scalar(select(LbVipRow.id).where(LbVipRow.pool_id == pool_id))
        if taken is not None:
            raise exc.VipExists(pool_id=pool_id)
        return pool

    @staticmethod
    def _flush(s: Session, row: LbVipRow) -> None:
        """Write the row under a savepoint: a VIP made for the pool since we
        looked is the unique key's refusal."""
        try:
            with s.begin_nested():
                s.add(row)
                s.flush()
        except IntegrityError:
            raise exc.VipExists(pool_id=row.pool_id) from None

    def create(self, scope: Scope, items: Sequence[VipCreate]) -> Sequence[Vip]:
        """All or nothing: the VIPs and their ports. Raises OverQuota,
        SubnetNotFound, PoolNotFound, PoolNotOwned, ProtocolMismatch, VipExists,
        InvalidInput (an address not on the subnet), IpAddressInUse,
        IpAddressGenerationFailure."""

        def work(s: Session) -> builtins.list[Vip]:
            self.quotas.check(s, QuotaResource.VIP, Counter(i.tenant_id for i in items))
            rows = []
            for item in items:
                subnet = _subnet(s, _as(scope, item.tenant_id), item.subnet_id)
                self._pool_for(
                    s, scope, item.tenant_id, item.pool_id, item.protocol.value
                )
                vip_id = access.new_id()
                wanted = (
                    AnyAddress(subnet_id=subnet.id)
                    if item.address is None
                    else SpecificAddress(subnet_id=subnet.id, ip_address=item.address)
                )
                port = self.ports.create_in(
                    s,
                    PortCreate(
                        tenant_id=item.tenant_id,
                        network_id=subnet.network_id,
                        name=f"vip-{vip_id}",
                        fixed_ips=[wanted],
                        device_id=vip_id,
                        device_owner=LOADBALANCER_OWNER,
                        security_groups=(),
                    ),
                )
                row = LbVipRow(
                    id=vip_id,
                    tenant_id=item.tenant_id,
                    name=item.name,
                    description=item.description,
                    subnet_id=subnet.id,
                    address=str(port.fixed_ips[0].ip_address),
                    port_id=port.id,
                    protocol_port=item.protocol_port,
                    protocol=item.protocol.value,
                    pool_id=item.pool_id,
                    connection_limit=item.connection_limit,
                    admin_state_up=item.admin_state_up,
                    status=LbStatus.PENDING_CREATE.value,
                )
                _persist(row, item.session_persistence)
                self._flush(s, row)
                rows.append(row)
            return [_vip(row) for row in rows]

        return self.db.run(work, write=True)

    def update(
        self,
        scope: Scope,
        vip_id: str,
        changes: VipUpdate,
        authorize: Callable[[Vip], None] | None = None,
    ) -> Vip:
        """Raises VipNotFound, LoadBalancerStateInvalid, the pool's errors (a new
        ``pool_id``), and what ``authorize`` raises."""

        def work(s: Session) -> Vip:
            row: LbVipRow = _one(s, LbVipRow, scope, vip_id, self._missing, lock=True)
            if authorize is not None:
                authorize(_vip(row))
            _writable(row)
            if changes.pool_id is not None and changes.pool_id != row.pool_id:
                self._pool_for(s, scope, row.tenant_id, changes.pool_id, row.protocol)
                row.pool_id = changes.pool_id
            if changes.name is not None:
                row.name = changes.name
            if changes.description is not None:
                row.description = changes.description
            if changes.session_persistence is not UNSET:
                _persist(row, changes.session_persistence)
            if changes.connection_limit is not None:
                row.connection_limit = changes.connection_limit
            if changes.admin_state_up is not None:
                row.admin_state_up = changes.admin_state_up
            row.status = LbStatus.PENDING_UPDATE.value
            self._flush(s, row)
            return _vip(row)

        return self.db.run(work, write=True)

    def delete(self, scope: Scope, vip_id: str) -> None:
        """Deletes the VIP and its port (the pool is free for another VIP).
        Raises VipNotFound."""

        def work(s: Session) -> None:
            row: LbVipRow = _one(s, LbVipRow, scope, vip_id, self._missing, lock=True)
            port_id = row.port_id
            s.delete(row)
            s.flush()
            self.ports.delete_in(s, port_id)

        self.db.run(work, write=True)


# -- pools -------------------------------------------------------------------------


class PoolStore(_Store):
    """The ``pools`` service, with the pool's ``stats`` and its monitor
    associations (``associate``, ``disassociate``)."""

    def _pools(self, s: Session, rows: Iterable[LbPoolRow]) -> builtins.list[Pool]:
        """The domain pools of ``rows``, their VIP, members and monitors read in
        three statements whatever their number."""
        rows = builtins.list(rows)
        ids = [r.id for r in rows]
        vips: dict[str, str] = {}
        members: dict[str, builtins.list[str]] = defaultdict(builtins.list)
        monitors: dict[str, builtins.list[str]] = defaultdict(builtins.list)
        if ids:
            vips = {
                pool_id: vip_id
                for vip_id, pool_id in s.execute(
                    select(LbVipRow.id, LbVipRow.pool_id).where(
                        LbVipRow.pool_id.in_(ids)
                    )
                )
            }
            for member_id, pool_id in s.execute(
                select(LbMemberRow.id, LbMemberRow.pool_id)
                .where(LbMemberRow.pool_id.in_(ids))
                .order_by(LbMemberRow.created_at, LbMemberRow.id)
            ):
                members[pool_id].append(member_id)
            for monitor_id, pool_id in s.execute(
                select(LbPoolMonitorRow.monitor_id, LbPoolMonitorRow.pool_id)
                .where(LbPoolMonitorRow.pool_id.in_(ids))
                .order_by(LbPoolMonitorRow.created_at, LbPoolMonitorRow.monitor_id)
            ):
                monitors[pool_id].append(monitor_id)
        return [
            Pool(
                id=r.id,
                tenant_id=r.tenant_id,
                name=r.name,
                description=r.description,
                subnet_id=r.subnet_id,
                protocol=Protocol(r.protocol),
                lb_method=LbMethod(r.lb_method),
                admin_state_up=r.admin_state_up,
                status=LbStatus(r.status),
                vip_id=vips.get(r.id),
                members=tuple(members[r.id]),
                health_monitors=tuple(monitors[r.id]),
                created_at=r.created_at,
            )
            for r in rows
        ]

    def list(self, scope: Scope, query: ListQuery) -> Sequence[Pool]:
        def work(s: Session) -> builtins.list[Pool]:
            rows = page(
                s,
                select(LbPoolRow),
                POOL_COLUMNS,
                LbPoolRow.id,
                query,
                visible(LbPoolRow, scope),
            )
            return self._pools(s, (row for (row,) in rows))

        return self.db.run(work, write=False)

    def get(self, scope: Scope, pool_id: str) -> Pool:
        def work(s: Session) -> Pool:
            (pool,) = self._pools(
                s, [_one(s, LbPoolRow, scope, pool_id, _pool_missing)]
            )
            return pool

        return self.db.run(work, write=False)

    @staticmethod
    def _set_monitors(
        s: Session, scope: Scope, pool: LbPoolRow, monitor_ids: Sequence[str]
    ) -> None:
        """The pool's monitors become exactly ``monitor_ids``: each one the pool's
        tenant has (HealthMonitorNotFound)."""
        tenant = _as(scope, pool.tenant_id)
        for monitor_id in monitor_ids:
            _one(s, LbHealthMonitorRow, tenant, monitor_id, _monitor_missing)
        s.execute(delete(LbPoolMonitorRow).where(LbPoolMonitorRow.pool_id == pool.id))
        for monitor_id in dict.fromkeys(monitor_ids):
            s.add(LbPoolMonitorRow(pool_id=pool.id, monitor_id=monitor_id))
        s.flush()

    def create(self, scope: Scope, items: Sequence[PoolCreate]) -> Sequence[Pool]:
        """All or nothing. Raises OverQuota, SubnetNotFound,
        HealthMonitorNotFound."""

        def work(s: Session) -> builtins.list[Pool]:
            self.quotas.check(
                s, QuotaResource.POOL, Counter(i.tenant_id for i in items)
            )
            rows = []
            for item in items:
                subnet = _subnet(s, _as(scope, item.tenant_id), item.subnet_id)
                row = LbPoolRow(
                    id=access.new_id(),
                    tenant_id=item.tenant_id,
                    name=item.name,
                    description=item.description,
                    subnet_id=subnet.id,
                    protocol=item.protocol.value,
                    lb_method=item.lb_method.value,
                    admin_state_up=item.admin_state_up,
                    status=LbStatus.PENDING_CREATE.value,
                )
                s.add(row)
                s.flush()
                if item.health_monitors:
                    self._set_monitors(s, scope, row, item.health_monitors)
                rows.append(row)
            return self._pools(s, rows)

        return self.db.run(work, write=True)

    def update(
        self,
        scope: Scope,
        pool_id: str,
        changes: PoolUpdate,
        authorize: Callable[[Pool], None] | None = None,
    ) -> Pool:
        """Raises PoolNotFound, LoadBalancerStateInvalid, HealthMonitorNotFound,
        and what ``authorize`` raises."""

        def work(s: Session) -> Pool:
            row: LbPoolRow = _one(
                s, LbPoolRow, scope, pool_id, _pool_missing, lock=True
            )
            if authorize is not None:
                (before,) = self._pools(s, [row])
                authorize(before)
            _writable(row)
            if changes.name is not None:
                row.name = changes.name
            if changes.description is not None:
                row.description = changes.description
            if changes.lb_method is not None:
                row.lb_method = changes.lb_method.value
            if changes.admin_state_up is not None:
                row.admin_state_up = changes.admin_state_up
            if changes.health_monitors is not None:
                self._set_monitors(s, scope, row, changes.health_monitors)
            row.status = LbStatus.PENDING_UPDATE.value
            s.flush()
            (pool,) = self._pools(s, [row])
            return pool

        return self.db.run(work, write=True)

    def delete(self, scope: Scope, pool_id: str) -> None:
        """Deletes the pool, its members and monitor associations. Raises
        PoolNotFound, PoolInUse (a VIP sends to it)."""

        def work(s: Session) -> None:
            row = _one(s, LbPoolRow, scope, pool_id, _pool_missing, lock=True)
            if s.scalar(select(LbVipRow.id).where(LbVipRow.pool_id == pool_id)):
                raise exc.PoolInUse(pool_id=pool_id)
            try:
                with s.begin_nested():
                    s.delete(row)
                    s.flush()
            except IntegrityError:
                # NOTE: a VIP made for it since we looked (the key has no cascade).
                raise exc.PoolInUse(pool_id=pool_id) from None

        self.db.run(work, write=True)

    def stats(self, scope: Scope, pool_id: str) -> PoolStats:
        """What an agent last reported of the pool's traffic (zeros until one
        does). Raises PoolNotFound."""

        def work(s: Session) -> PoolStats:
            _one(s, LbPoolRow, scope, pool_id, _pool_missing)
            row = s.get(LbPoolStatsRow, pool_id)
            if row is None:
                return PoolStats()
            return PoolStats(
                bytes_in=row.bytes_in,
                bytes_out=row.bytes_out,
                active_connections=row.active_connections,
                total_connections=row.total_connections,
            )

        return self.db.run(work, write=False)

    def associate(self, scope: Scope, pool_id: str, monitor_id: str) -> None:
        """Associate a monitor of the pool's tenant with the pool. Raises
        PoolNotFound, HealthMonitorNotFound, PoolMonitorAssociationExists,
        LoadBalancerStateInvalid."""

        def work(s: Session) -> None:
            pool = _one(s, LbPoolRow, scope, pool_id, _pool_missing, lock=True)
            _writable(pool)
            _one(
                s,
                LbHealthMonitorRow,
                _as(scope, pool.tenant_id),
                monitor_id,
                _monitor_missing,
            )
            try:
                with s.begin_nested():
                    s.add(LbPoolMonitorRow(pool_id=pool_id, monitor_id=monitor_id))
                    s.flush()
            except IntegrityError:
                raise exc.PoolMonitorAssociationExists(
                    monitor_id=monitor_id, pool_id=pool_id
                ) from None

        self.db.run(work, write=True)

    def disassociate(self, scope: Scope, pool_id: str, monitor_id: str) -> None:
        """Raises PoolNotFound, PoolMonitorAssociationNotFound,
        LoadBalancerStateInvalid."""

        def work(s: Session) -> None:
            pool = _one(s, LbPoolRow, scope, pool_id, _pool_missing, lock=True)
            _writable(pool)
            gone = s.execute(
                delete(LbPoolMonitorRow).where(
                    LbPoolMonitorRow.pool_id == pool_id,
                    LbPoolMonitorRow.monitor_id == monitor_id,
                )
            ).rowcount  # type: ignore[attr-defined]  # NOTE: CursorResult at runtime
            if not gone:
                raise exc.PoolMonitorAssociationNotFound(
                    monitor_id=monitor_id, pool_id=pool_id
                )

        self.db.run(work, write=True)


# -- members -----------------------------------------------------------------------


def _member(row: LbMemberRow) -> Member:
    return Member(
        id=row.id,
        tenant_id=row.tenant_id,
        pool_id=row.pool_id,
        address=ip_address(row.address),
        protocol_port=row.protocol_port,
        weight=row.weight,
        admin_state_up=row.admin_state_up,
        status=LbStatus(row.status),
        created_at=row.created_at,
    )


class MemberStore(_Store):
    """The ``members`` service."""

    @staticmethod
    def _missing(member_id: str) -> exc.QuantumError:
        return exc.MemberNotFound(member_id=member_id)

    def list(self, scope: Scope, query: ListQuery) -> Sequence[Member]:
        def work(s: Session) -> builtins.list[Member]:
            rows = page(
                s,
                select(LbMemberRow),
                MEMBER_COLUMNS,
                LbMemberRow.id,
                query,
                visible(LbMemberRow, scope),
            )
            return [_member(row) for (row,) in rows]

        return self.db.run(work, write=False)

    def get(self, scope: Scope, member_id: str) -> Member:
        return self.db.run(
            lambda s: _member(_one(s, LbMemberRow, scope, member_id, self._missing)),
            write=False,
        )

    @staticmethod
    def _pool(s: Session, scope: Scope, tenant_id: str, pool_id: str) -> None:
        """A pool of the member's tenant, locked (shared) until commit, not being
        deleted. Raises PoolNotFound, LoadBalancerStateInvalid."""
        query = select(LbPoolRow).where(
            LbPoolRow.id == pool_id, *visible(LbPoolRow, _as(scope, tenant_id))
        )
        pool = s.scalars(query.with_for_update(read=True)).one_or_none()
        if pool is None:
            raise exc.PoolNotFound(pool_id=pool_id)
        _writable(pool)

    def create(self, scope: Scope, items: Sequence[MemberCreate]) -> Sequence[Member]:
        """All or nothing. Raises OverQuota, PoolNotFound."""

        def work(s: Session) -> builtins.list[Member]:
            self.quotas.check(
                s, QuotaResource.MEMBER, Counter(i.tenant_id for i in items)
            )
            rows = []
            for item in items:
                self._pool(s, scope, item.tenant_id, item.pool_id)
                row = LbMemberRow(
                    id=access.new_id(),
                    tenant_id=item.tenant_id,
                    pool_id=item.pool_id,
                    address=str(item.address),
                    protocol_port=item.protocol_port,
                    weight=item.weight,
                    admin_state_up=item.admin_state_up,
                    status=LbStatus.PENDING_CREATE.value,
                )
                s.add(row)
                rows.append(row)
            s.flush()
            return [_member(row) for row in rows]

        return self.db.run(work, write=True)

    def update(
        self,
        scope: Scope,
        member_id: str,
        changes: MemberUpdate,
        authorize: Callable[[Member], None] | None = None,
    ) -> Member:
        """Raises MemberNotFound, PoolNotFound (moved to a pool its tenant has
        not), LoadBalancerStateInvalid, and what ``authorize`` raises."""

        def work(s: Session) -> Member:
            row: LbMemberRow = _one(
                s, LbMemberRow, scope, member_id, self._missing, lock=True
            )
            if authorize is not None:
                authorize(_member(row))
            _writable(row)
            if changes.pool_id is not None and changes.pool_id != row.pool_id:
                self._pool(s, scope, row.tenant_id, changes.pool_id)
                row.pool_id = changes.pool_id
            if changes.weight is not None:
                row.weight = changes.weight
            if changes.admin_state_up is not None:
                row.admin_state_up = changes.admin_state_up
            row.status = LbStatus.PENDING_UPDATE.value
            s.flush()
            return _member(row)

        return self.db.run(work, write=True)

    def delete(self, scope: Scope, member_id: str) -> None:
        def work(s: Session) -> None:
            s.delete(_one(s, LbMemberRow, scope, member_id, self._missing, lock=True))

        self.db.run(work, write=True)


# -- health monitors ---------------------------------------------------------------


def _monitor(row: LbHealthMonitorRow) -> HealthMonitor:
    return HealthMonitor(
        id=row.id,
        tenant_id=row.tenant_id,
        type=MonitorType(row.type),
        delay=row.delay,
        timeout=row.timeout,
        max_retries=row.max_retries,
        http_method=row.http_method,
        url_path=row.url_path,
        expected_codes=row.expected_codes,
        admin_state_up=row.admin_state_up,
        status=LbStatus(row.status),
        created_at=row.created_at,
    )


class HealthMonitorStore(_Store):
    """The ``health_monitors`` service; deleting a monitor ends its
    associations."""

    def list(self, scope: Scope, query: ListQuery) -> Sequence[HealthMonitor]:
        def work(s: Session) -> builtins.list[HealthMonitor]:
            rows = page(
                s,
                select(LbHealthMonitorRow),
                MONITOR_COLUMNS,
                LbHealthMonitorRow.id,
                query,
                visible(LbHealthMonitorRow, scope),
            )
            return [_monitor(row) for (row,) in rows]

        return self.db.run(work, write=False)

    def get(self, scope: Scope, monitor_id: str) -> HealthMonitor:
        return self.db.run(
            lambda s: _monitor(
                _one(s, LbHealthMonitorRow, scope, monitor_id, _monitor_missing)
            ),
            write=False,
        )

    def create(
        self, scope: Scope, items: Sequence[HealthMonitorCreate]
    ) -> Sequence[HealthMonitor]:
        def work(s: Session) -> builtins.list[HealthMonitor]:
            self.quotas.check(
                s, QuotaResource.HEALTH_MONITOR, Counter(i.tenant_id for i in items)
            )
            rows = [
                LbHealthMonitorRow(
                    id=access.new_id(),
                    tenant_id=item.tenant_id,
                    type=item.type.value,
                    delay=item.delay,
                    timeout=item.timeout,
                    max_retries=item.max_retries,
                    http_method=item.http_method,
                    url_path=item.url_path,
                    expected_codes=item.expected_codes,
                    admin_state_up=item.admin_state_up,
                    status=LbStatus.PENDING_CREATE.value,
                )
                for item in items
            ]
            s.add_all(rows)
            s.flush()
            return [_monitor(row) for row in rows]

        return self.db.run(work, write=True)

    def update(
        self,
        scope: Scope,
        monitor_id: str,
        changes: HealthMonitorUpdate,
        authorize: Callable[[HealthMonitor], None] | None = None,
    ) -> HealthMonitor:
        def work(s: Session) -> HealthMonitor:
            row: LbHealthMonitorRow = _one(
                s, LbHealthMonitorRow, scope, monitor_id, _monitor_missing, lock=True
            )
            if authorize is not None:
                authorize(_monitor(row))
            _writable(row)
            for name in (
                "delay",
                "timeout",
                "max_retries",
                "http_method",
                "url_path",
                "expected_codes",
                "admin_state_up",
            ):
                value = getattr(changes, name)
                if value is not None:
                    setattr(row, name, value)
            row.status = LbStatus.PENDING_UPDATE.value
            s.flush()
            return _monitor(row)

        return self.db.run(work, write=True)

    def delete(self, scope: Scope, monitor_id: str) -> None:
        def work(s: Session) -> None:
            row = _one(
                s, LbHealthMonitorRow, scope, monitor_id, _monitor_missing, lock=True
            )
            s.execute(
                delete(LbPoolMonitorRow).where(LbPoolMonitorRow.monitor_id == row.id)
            )
            s.delete(row)

        self.db.run(work, write=True)
