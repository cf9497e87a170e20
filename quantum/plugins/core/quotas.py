# SPDX-License-Identifier: Apache-2.0
"""Per-tenant quotas, enforced inside the create's own transaction, at its end.

``check`` reads the limit (the caller may have read the override already) and,
unless it is unlimited, defers the enforcement to the end of the transaction
(``quantum.db.session.run_last``), after the create's own rows are written:

* MariaDB: it upserts the tenant's row of ``quota_locks`` (which locks it until
  the commit) and then, in one statement, counts what the tenant owns, its own new
  rows included, and re-reads the limit. Creates of one tenant therefore count one
  after the other: each sees what the previous ones committed (READ COMMITTED: a
  statement after a lock wait sees the holder's commit), so concurrent creates at
  the limit cannot overshoot it together, on any number of processes.
* PostgreSQL: it writes a ``quota_checks`` row, which a deferred constraint
  trigger checks at the COMMIT, after the store revision's bump (migration 0024):
  the same lock, count and limit, in PL/pgSQL statements each with its own
  snapshot. PERF: the lock is held for no round trip of the client (issue 16 item
  2: it was held from the create's statement to its COMMIT, and one tenant's
  creates at c=8 queued on it); a one-port create writes the row in its own
  claiming statement (``check_one``, ``check_cte``): it costs no statement.
* SQLite: the count alone; its writers are one at a time (``BEGIN IMMEDIATE``).

Ports on MariaDB are counted by the port's own INSERT instead (``check_one``
gives the limit it is told; the trigger ``ports_quota``, migration 0027): the
same lock, count and limit, two statements fewer; on SQLite a one-port create
reads the count with its network (``check_counted``).
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    BindParameter,
    Integer,
    ScalarSelect,
    String,
    bindparam,
    delete,
    func,
    insert,
    literal,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from quantum.core import exceptions as exc
from quantum.core.quotas import QuotaResource
from quantum.core.settings import Settings
from quantum.db.models import (
    NetworkRow,
    PortRow,
    QuotaCheckRow,
    QuotaLockRow,
    QuotaRow,
    SubnetRow,
)
from quantum.db.session import Database, execute_core, read_with_bump, run_last

Counted = dict[QuotaResource, InstrumentedAttribute[str]]


def _lock(s: Session, tenant_id: str) -> None:
    """Upsert (and so lock) the tenant's quota_locks row."""
    execute_core(s, _upsert(s.get_bind().dialect.name), {"tenant_id": tenant_id})


@functools.cache
def _upsert(dialect: str) -> Any:
    """The quota_locks upsert of ``dialect``, built once (PERF: every create of a
    limited tenant runs it)."""
    bump = {"creates": QuotaLockRow.creates + 1}
    row = {"tenant_id": bindparam("tenant_id"), "creates": 1}
    statement: Any
    # NOTE: imported in their branches: PERF, a dialect package (all its drivers'
    # modules, 1-2 MiB) is loaded only by a process that uses it.
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        statement = (
            postgresql.insert(QuotaLockRow)
            .values(row)
            .on_conflict_do_update(index_elements=["tenant_id"], set_=bump)
        )
    elif dialect in ("mysql", "mariadb"):
        from sqlalchemy.dialects import mysql

        statement = mysql.insert(QuotaLockRow).values(row).on_duplicate_key_update(bump)
    else:
        from sqlalchemy.dialects import sqlite

        statement = (
            sqlite.insert(QuotaLockRow)
            .values(row)
            .on_conflict_do_update(index_elements=["tenant_id"], set_=bump)
        )
    return statement


@functools.cache
def _usage(column: InstrumentedAttribute[str], resource: str) -> Any:
    """How many rows ``column`` gives a tenant and its override of ``resource``
    (NULL: none), one statement, built once."""
    count = (
        select(func.count())
        .select_from(column.class_)
        .where(column == bindparam("tenant_id"))
        .scalar_subquery()
    )
    override = (
        select(QuotaRow.hard_limit)
        .where(QuotaRow.tenant_id == bindparam("tenant_id"))
        .where(QuotaRow.resource == resource)
        .scalar_subquery()
    )
    return select(count, override)


_PENDING = "quantum_quota_pending"
"""``Session.info`` key: the (tenant, resource) pairs the transaction must enforce
before it commits."""


def check_cte(new_id: Any) -> Any:
    """PostgreSQL: the ``quota_checks`` row of one more port of ``quota_tenant``
    (its limit if it has no override: ``quota_default``) as a data-modifying WITH
    of a caller's statement (``check_one``), keyed by the new port's id
    ``new_id``: the count is the COMMIT's (``_INSERT_CHECKS``). It locks
    nothing."""
    from sqlalchemy.dialects import postgresql  # NOTE: PERF, see _upsert

    row = select(
        new_id,
        bindparam("quota_tenant", type_=String(255)),
        literal(QuotaResource.PORT.value),
        literal(PortRow.__tablename__),
        literal(PortRow.tenant_id.expression.name),
        bindparam("quota_default", type_=Integer),
    )
    return (
        postgresql.insert(QuotaCheckRow)
        .from_select(_CHECK_COLUMNS, row)
        .returning(QuotaCheckRow.id)
        .cte("quota_checked")
    )


_CHECK_COLUMNS = [
    "id",
    "tenant_id",
    "resource",
    "counted_table",
    "counted_column",
    "hard_limit",
]

_INSERT_CHECKS = insert(QuotaCheckRow)
"""PostgreSQL: counts left to the COMMIT (``QuotaCheckRow``), built once: a
deferred constraint trigger locks the tenant's quota_locks row, counts and
compares there, after the store revision's bump, which every write's commit
already waits for in turn. PERF: the tenant's lock is held for no round trip (it
was held from the create's claiming statement to its COMMIT: issue 16 item 2)."""


@functools.cache
def _count(column: InstrumentedAttribute[str]) -> Any:
    """How many rows ``column`` (a tenant column) gives a tenant, built once."""
    return (
        select(func.count())
        .select_from(column.class_)
        .where(column == bindparam("tenant_id"))
    )


_OVERRIDE = select(QuotaRow.hard_limit).where(
    QuotaRow.tenant_id == bindparam("tenant_id"),
    QuotaRow.resource == bindparam("resource"),
)
"""A tenant's override of a resource, built once (PERF: read by every create)."""


class Quotas:
    """Limits (configured defaults, per-tenant overrides) and their enforcement."""

    def __init__(self, settings: Settings) -> None:
        self.defaults: dict[QuotaResource, int] = {
            QuotaResource.NETWORK: settings.quota_network,
            QuotaResource.SUBNET: settings.quota_subnet,
            QuotaResource.PORT: settings.quota_port,
        }
        self.counted: Counted = {
            QuotaResource.NETWORK: NetworkRow.tenant_id,
            QuotaResource.SUBNET: SubnetRow.tenant_id,
            QuotaResource.PORT: PortRow.tenant_id,
        }
        """What counts toward each resource: its tenant column."""

    def register(
        self,
        resource: QuotaResource,
        default: int,
        column: InstrumentedAttribute[str],
    ) -> None:
        """Limit one more resource, counted by its tenant ``column``: a service
        plugin's (L3: ``router``, ``floatingip``), as it is built at start. Until
        then the quotas API does not know it (spec §5.6)."""
        self.defaults[resource] = default
        self.counted[resource] = column

    # -- enforcement (inside the caller's transaction) --------------------------------

    def check(
        self,
        s: Session,
        resource: QuotaResource,
        wanted: Mapping[str, int],
        *,
        overrides: Mapping[str, int | None] | None = None,
    ) -> None:
        """Raise OverQuota unless every tenant in ``wanted`` may own that many more
        of ``resource``. In a ``Database.run`` transaction the count is deferred to
        its end (the caller must write the rows it counts in ``wanted`` in the same
        transaction; OverQuota then comes from the commit's side and rolls it all
        back); elsewhere it counts now. ``overrides``: tenants whose override the
        caller read already in this transaction (``override_of``; None: none, the
        default applies); a tenant unlimited there is not counted."""
        column = self.counted.get(resource)
        if column is None:
            return
        known = overrides or {}
        limited: dict[str, int] = {}
        for tenant_id in sorted(wanted):
            if tenant_id in known:
                override = known[tenant_id]
                limit = self.defaults[resource] if override is None else override
            else:
                limit = self.limit(s, tenant_id, resource)
            if limit >= 0:
                limited[tenant_id] = limit
        if not limited:
            return
        if run_last(s, _PENDING, self._enforce):
            pending: set[tuple[str, QuotaResource]] = s.info.setdefault(_PENDING, set())
            pending.update((t, resource) for t in limited)
            return
        for tenant_id, limit in limited.items():  # NOTE: sorted: one lock order
            _lock(s, tenant_id)
            if self._used(s, column, tenant_id) + wanted[tenant_id] > limit:
                raise exc.OverQuota(resources=resource.value)

    def check_one(
        self,
        s: Session,
        resource: QuotaResource,
        tenant_id: str,
        override: int | None,
    ) -> int | None:
        """``check`` of one more ``resource`` for ``tenant_id`` (``override``: its
        override as the caller read it; None: the default applies), in a
        ``Database.run`` write whose caller has the count made by a statement it
        runs anyway: on PostgreSQL the tenant's ``quota_checks`` row
        (``check_cte``; the COMMIT counts), on MariaDB the port's INSERT (its
        ``quota_limit``; the trigger ``ports_quota`` counts). The default limit
        to give it if the tenant is limited, None if it is unlimited. PERF: the
        check costs no statement (issue 16 items 1 and 2)."""
        limit = self.defaults[resource] if override is None else override
        if limit < 0:
            return None
        return self.defaults[resource]

    def check_counted(
        self, resource: QuotaResource, used: int, override: int | None
    ) -> None:
        """Raise OverQuota if ``used`` (what the tenant owns, the rows about to be
        written included) exceeds its limit (``override``, or the default). Only
        for a count read in a transaction that no other writer can change before
        it commits (SQLite: ``BEGIN IMMEDIATE``, writers one at a time)."""
        limit = self.defaults[resource] if override is None else override
        if 0 <= limit < used:
            raise exc.OverQuota(resources=resource.value)

    def _enforce(self, s: Session) -> None:
        """The deferred counts (``check``), once the transaction's rows are
        flushed. PostgreSQL: a ``quota_checks`` row each, counted at the COMMIT
        (``_INSERT_CHECKS``: one statement). MariaDB: per tenant in one order (no
        deadlocks), its lock, then each resource's count (the new rows included)
        against its limit as committed now. SQLite: the count alone (its writers
        are one at a time)."""
        pending: set[tuple[str, QuotaResource]] = s.info.pop(_PENDING, set())
        dialect = s.get_bind().dialect.name
        if dialect == "postgresql":
            rows = [
                {
                    "id": str(uuid.uuid4()),
                    "tenant_id": tenant_id,
                    "resource": resource.value,
                    "counted_table": self.counted[resource].class_.__tablename__,
                    "counted_column": self.counted[resource].expression.name,
                    "hard_limit": self.defaults[resource],
                }
                for tenant_id, resource in sorted(pending)
            ]
            execute_core(s, _INSERT_CHECKS, rows)
            return
        locked: set[str] = set()
        for tenant_id, resource in sorted(pending):
            if dialect != "sqlite" and tenant_id not in locked:
                _lock(s, tenant_id)
                locked.add(tenant_id)
            read_with_bump(
                s,
                _usage(self.counted[resource], resource.value),
                {"tenant_id": tenant_id},
                functools.partial(self._within, resource),
            )

    def _within(self, resource: QuotaResource, usage: Any) -> None:
        used, override = usage
        limit = self.defaults[resource] if override is None else int(override)
        if 0 <= limit < int(used or 0):
            raise exc.OverQuota(resources=resource.value)

    @staticmethod
    def _used(s: Session, column: InstrumentedAttribute[str], tenant_id: str) -> int:
        used = execute_core(s, _count(column), {"tenant_id": tenant_id}).scalar()
        return int(used or 0)

    @staticmethod
    def override_of(
        tenant_id: str | BindParameter[str], resource: QuotaResource
    ) -> ScalarSelect[int]:
        """The tenant's override of ``resource`` as a scalar subquery (NULL: none),
        for a caller to read with its own first statement."""
        return (
            select(QuotaRow.hard_limit)
            .where(QuotaRow.tenant_id == tenant_id, QuotaRow.resource == resource.value)
            .scalar_subquery()
        )

    def limit(self, s: Session, tenant_id: str, resource: QuotaResource) -> int:
        override = self.override(s, tenant_id, resource)
        return self.defaults[resource] if override is None else override

    @staticmethod
    def override(s: Session, tenant_id: str, resource: QuotaResource) -> int | None:
        """The tenant's override of ``resource`` (None: none)."""
        found = execute_core(
            s, _OVERRIDE, {"tenant_id": tenant_id, "resource": resource.value}
        ).scalar()
        return None if found is None else int(found)

    # -- the quotas API (admin) -------------------------------------------------------

    def limits(self, s: Session, tenant_id: str) -> dict[QuotaResource, int]:
        """The tenant's limits: defaults merged with its overrides."""
        found = dict(self.defaults)
        for row in s.scalars(select(QuotaRow).where(QuotaRow.tenant_id == tenant_id)):
            # NOTE: an override of a resource nobody registers now (its service
            # plugin was unloaded) is kept, not shown.
            if row.resource in found:
                found[QuotaResource(row.resource)] = row.hard_limit
        return found

    def overridden(self, s: Session) -> dict[str, dict[QuotaResource, int]]:
        """Every tenant that has an override: its limits."""
        tenants = s.scalars(select(QuotaRow.tenant_id).distinct()).all()
        return {t: self.limits(s, t) for t in sorted(tenants)}

    def usage(self, s: Session, tenant_id: str) -> dict[QuotaResource, int]:
        """What the tenant owns of each limited resource."""
        return {r: self._used(s, c, tenant_id) for r, c in self.counted.items()}

    def update(
        self,
        s: Session,
        tenant_id: str,
        limits: Mapping[QuotaResource, int],
        *,
        check_limit: bool = False,
    ) -> dict[QuotaResource, int]:
        """Set the tenant's limits; with ``check_limit``, raise QuotaBelowUsage for
        a limit below what it owns (counted under its quota lock, so no create of
        the tenant slips in between). Raises InvalidInput for a resource not
        registered."""
        for resource in limits:
            if resource not in self.defaults:
                raise exc.InvalidInput(
                    reason=f"Unrecognized quota resource '{resource.value}'"
                )
        if check_limit:
            _lock(s, tenant_id)
            for resource, value in sorted(limits.items()):
                column = self.counted.get(resource)
                if value < 0 or column is None:
                    continue
                used = self._used(s, column, tenant_id)
                if used > value:
                    raise exc.QuotaBelowUsage(
                        limit=value, resource=resource.value, used=used
                    )
        for resource, value in limits.items():
            row = s.get(QuotaRow, (tenant_id, resource.value))
            if row is None:
                s.add(
                    QuotaRow(
                        tenant_id=tenant_id, resource=resource.value, hard_limit=value
                    )
                )
            else:
                row.hard_limit = value
        s.flush()
        return self.limits(s, tenant_id)

    @staticmethod
    def reset(s: Session, tenant_id: str) -> None:
        s.execute(delete(QuotaRow).where(QuotaRow.tenant_id == tenant_id))


class QuotaStore:
    """``QuotaService`` over the SQL store (``plugin.quotas``): the quotas API's
    reads and writes, each one transaction. Changing a limit is not desired state
    for agents, so it bumps no store revision."""

    def __init__(self, db: Database, quotas: Quotas) -> None:
        self.db = db
        self.enforcer = quotas

    def limits(self, tenant_id: str) -> dict[QuotaResource, int]:
        return self.db.run(lambda s: self.enforcer.limits(s, tenant_id), write=False)

    def overrides(self) -> dict[str, dict[QuotaResource, int]]:
        return self.db.run(self.enforcer.overridden, write=False)

    def defaults(self) -> dict[QuotaResource, int]:
        return dict(self.enforcer.defaults)

    def usage(self, tenant_id: str) -> dict[QuotaResource, int]:
        return self.db.run(lambda s: self.enforcer.usage(s, tenant_id), write=False)

    def update(
        self,
        tenant_id: str,
        limits: Mapping[QuotaResource, int],
        *,
        check_limit: bool = False,
    ) -> dict[QuotaResource, int]:
        return self.db.run(
            lambda s: self.enforcer.update(
                s, tenant_id, limits, check_limit=check_limit
            ),
            write=True,
            bump_revision=False,
        )

    def reset(self, tenant_id: str) -> None:
        self.db.run(
            lambda s: self.enforcer.reset(s, tenant_id),
            write=True,
            bump_revision=False,
        )
