# SPDX-License-Identifier: Apache-2.0
"""The store revision: a counter every desired-state write bumps in its transaction,
and the revision of the last write of each change-feed topic.

``bump`` runs last in a write transaction (``Database.run`` calls it), so the row
locks are held only until commit and are always taken after the rows the work
touched, the revision row first, then the topics' rows in order: writers queue on
them instead of deadlocking. A reader that sees revision N sees every write of the
transactions that produced revisions up to N.

A write stamps the topics of the tables it wrote (``TABLE_TOPICS``) with its new
revision, so ``current(s, topics)`` (the greatest stamp of those topics) grows only
when one of them changes. A table missing from the map counts as every topic: a
new table wakes every agent until it is placed (a test keeps the map complete).
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, literal, select, update
from sqlalchemy.orm import Session

from quantum.core.feed import ALL_TOPICS, Topic
from quantum.db.models import REVISION_ROW_ID, StoreRevisionRow, StoreTopicRow

_NONE: frozenset[Topic] = frozenset()

TABLE_TOPICS: Mapping[str, frozenset[Topic]] = {
    "networks": frozenset({Topic.NETWORKS}),
    "network_segments": frozenset({Topic.NETWORKS}),
    "vlan_allocations": frozenset({Topic.NETWORKS}),
    "tunnel_allocations": frozenset({Topic.NETWORKS}),
    "subnets": frozenset({Topic.SUBNETS}),
    "subnet_allocation_pools": frozenset({Topic.SUBNETS}),
    "subnet_dns_nameservers": frozenset({Topic.SUBNETS}),
    "subnet_host_routes": frozenset({Topic.SUBNETS}),
    "ports": frozenset({Topic.PORTS}),
    "ip_allocations": frozenset({Topic.PORTS}),
    "agent_hosts": frozenset({Topic.HOSTS}),
    "network_dhcp_agents": frozenset({Topic.HOSTS}),
    "qos_policies": frozenset({Topic.QOS}),
    "port_profiles": frozenset({Topic.QOS}),
    "port_profile_bindings": frozenset({Topic.QOS}),
    "routers": frozenset({Topic.ROUTERS}),
    "router_interfaces": frozenset({Topic.ROUTERS}),
    "router_routes": frozenset({Topic.ROUTERS}),
    "floatingips": frozenset({Topic.ROUTERS}),
    # NOTE: what each port's filter is made of, told to the OVS agents only; a
    # group's delete cascades to other groups' rules naming it (a write the session
    # does not see), so the groups' table is one of them too.
    "securitygroups": frozenset({Topic.SECURITY_GROUPS}),
    "securitygrouprules": frozenset({Topic.SECURITY_GROUPS}),
    "securitygroupportbindings": frozenset({Topic.SECURITY_GROUPS}),
    "default_security_groups": _NONE,
    "router_l3_agent_bindings": frozenset({Topic.ROUTERS}),
    "lb_pools": frozenset({Topic.LOADBALANCERS}),
    "lb_vips": frozenset({Topic.LOADBALANCERS}),
    "lb_members": frozenset({Topic.LOADBALANCERS}),
    "lb_health_monitors": frozenset({Topic.LOADBALANCERS}),
    "lb_pool_monitors": frozenset({Topic.LOADBALANCERS}),
    "lb_pool_stats": _NONE,  # NOTE: what an agent reports, not what it is told
    # NOTE: nothing an agent is told
    "quotas": _NONE,
    "quota_locks": _NONE,
    "quota_checks": _NONE,
    "credentials": _NONE,
    "instance_ports": _NONE,
    "port_statistics": _NONE,
    "network_tags": _NONE,
    "subnet_tags": _NONE,
    "port_tags": _NONE,
    "router_tags": _NONE,
    "floatingip_tags": _NONE,
    "store_revision": _NONE,
    "store_topics": _NONE,
    "ip_availability_ranges": _NONE,  # NOTE: written with ip_allocations
}
"""What each table's writes change, as agents follow it."""


def topics_of(tables: Iterable[str]) -> frozenset[Topic]:
    """The topics of a write that touched ``tables`` (all, for an unknown one)."""
    found: set[Topic] = set()
    for table in tables:
        found |= TABLE_TOPICS.get(table, ALL_TOPICS)
    return frozenset(found)


def bump(
    s: Session,
    topics: Collection[Topic] = ALL_TOPICS,
    read: tuple[Select[Any], Mapping[str, Any]] | None = None,
) -> Any:
    """Add one to the revision and stamp ``topics`` with it, inside ``s``'s
    transaction; with ``read`` (a SELECT built once, and its parameters), also
    read its one row and return it (None without). PERF: on the connection, as
    Core: the ORM's work for an UPDATE (synchronising the session's objects) cost
    more than the SQL; one statement: on PostgreSQL ``_bump_and_stamp``, the
    ``read`` its main query (its snapshot is taken after every earlier statement
    of the transaction, its locks' waits included); on SQLite and MariaDB
    ``_BUMP``, whose trigger stamps the topics."""
    connection = s.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(_BUMP, {"topics": _joined(frozenset(topics))})
        return None if read is None else connection.execute(*read).one()
    if topics:
        if read is None:
            connection.execute(_bump_and_stamp(frozenset(topics)))
            return None
        statement = _bump_and_stamp(frozenset(topics), read[0])
        return connection.execute(statement, read[1]).one()
    connection.execute(_BUMP, {"topics": None})
    return None if read is None else connection.execute(*read).one()


_BUMP = (
    update(StoreRevisionRow)
    .where(StoreRevisionRow.id == REVISION_ROW_ID)
    .values(revision=StoreRevisionRow.revision + 1, topics=bindparam("topics"))
)
"""PERF: built once (every write runs it; building costs more than the SQL). On
SQLite and MariaDB a trigger stamps the ``topics`` it sets (migration 0025): one
statement for the bump and the stamp."""


@functools.cache
def _joined(topics: frozenset[Topic]) -> str | None:
    """``topics`` as ``store_revision.topics`` holds them (None: none)."""
    if not topics:
        return None
    return "," + ",".join(sorted(t.value for t in topics)) + ","


@functools.cache
def _bump_and_stamp(topics: frozenset[Topic], read: Select[Any] | None = None) -> Any:
    """PostgreSQL: the bump and the stamp of ``topics`` as one statement (PERF: a
    round trip less on every write), the bump a data-modifying WITH that the
    stamp reads; with ``read``, that SELECT is the main query and both are
    WITHs. The revision row is still locked first: the stamp's new value, and so
    the bump, is computed before the first topic row is locked; a bump that
    waited for the lock adds one to the revision as the holder committed it."""
    bumped = (
        update(StoreRevisionRow)
        .where(StoreRevisionRow.id == REVISION_ROW_ID)
        .values(revision=StoreRevisionRow.revision + 1)
        .returning(StoreRevisionRow.revision)
        .cte("bumped")
    )
    stamp = (
        update(StoreTopicRow)
        .where(_among(topics))
        .values(revision=select(bumped.c.revision).scalar_subquery())
    )
    if read is None:
        return stamp.add_cte(bumped)
    return read.add_cte(bumped, stamp.cte("stamped"))


def _among(topics: frozenset[Topic]) -> ColumnElement[bool]:
    """``topic IN (%s, ...)``, one bound parameter per topic. PERF: not
    SQLAlchemy's "expanding" IN of a list of values, rendered again at every
    execution (~40 us of the ~90 us of such an UPDATE on SQLite, in a loop)."""
    column = StoreTopicRow.topic
    return column.in_([literal(t.value, column.type) for t in sorted(topics)])


def current(s: Session, topics: Collection[Topic] | None = None) -> int:
    """The revision as committed now (0 before the first write); with ``topics``,
    the revision of the last write to any of them."""
    if topics is None:
        value = s.scalar(
            select(StoreRevisionRow.revision).where(
                StoreRevisionRow.id == REVISION_ROW_ID
            )
        )
    else:
        value = s.scalar(
            select(func.max(StoreTopicRow.revision)).where(
                StoreTopicRow.topic.in_(sorted(t.value for t in topics))
            )
        )
    return int(value or 0)
