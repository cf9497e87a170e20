# SPDX-License-Identifier: Apache-2.0
"""The ports service over the SQL store (``plugin.ports``).

Every method is one transaction (``Database.run``); the invariants are the
schema's (unique MAC per network, one quota lock per tenant, taken at the end of
a create), so they hold with many server processes on every back-end. A port's
addresses come from its network's subnets (``quantum.ipam.store``) and are held for
``dhcp_lease_duration`` after it goes (docs/architecture.md, "IP addresses").
"""

from __future__ import annotations

import builtins
import functools
import json
import operator
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from ipaddress import ip_address
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    String,
    and_,
    bindparam,
    delete,
    false,
    func,
    insert,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from quantum.core import exceptions as exc
from quantum.core import routers
from quantum.core.agents import OVS_AGENT_TYPE
from quantum.core.lbaas import LOADBALANCER_OWNER
from quantum.core.listing import ListQuery
from quantum.core.mac import random_mac
from quantum.core.ports import Port, PortCreate, PortUpdate
from quantum.core.quotas import QuotaResource
from quantum.core.rows import RowPage
from quantum.core.scope import Scope
from quantum.core.security_groups import AllowedAddressPair
from quantum.core.settings import Settings
from quantum.core.status import OpStatus
from quantum.core.subnets import FixedIP, IPAddress
from quantum.db.conditional import stale
from quantum.db.models import (
    NO_DEAD_AGENTS,
    PORT_FIELDS,
    PORT_HOST,
    PORT_SHAPE,
    AgentHostRow,
    IpAllocationRow,
    IpAvailabilityRow,
    NetworkRow,
    PortRow,
    PortTagRow,
    QuotaCheckRow,
    SecurityGroupPortBindingRow,
    SubnetRow,
    port_of,
    port_values,
    utcnow,
)
from quantum.db.session import Database, execute_core
from quantum.ipam import store as ipam
from quantum.plugins.core import access
from quantum.plugins.core.listing import Column, PreparedPage, page, row_columns
from quantum.plugins.core.quotas import Quotas, check_cte
from quantum.plugins.core.security_groups import SecurityGroups
from quantum.plugins.core.tags import tag_columns
from quantum.plugins.mechanism import Mechanism

# NOTE: ports the router, floating-IP and VIP APIs manage are not deleted through
# /ports while they hold an address (spec §3.3).
L3_OWNERS = routers.L3_OWNERS | {LOADBALANCER_OWNER}


def _fixed_ips_filter(values: Sequence[object]) -> ColumnElement[bool]:
    """``?fixed_ips=ip_address=A&fixed_ips=subnet_id=S`` (spec §1.8): ports with an
    allocation whose address is one of the As and whose subnet is one of the Ss."""
    wanted: dict[str, set[str]] = {"ip_address": set(), "subnet_id": set()}
    for value in values:
        key, sep, text = str(value).partition("=")
        if not sep or key not in wanted:
            raise exc.InvalidInput(
                reason=f"fixed_ips filter '{value}' is not ip_address=... or "
                "subnet_id=..."
            )
        if key == "ip_address":
            try:
                text = str(ip_address(text))
            except ValueError:
                return false()
        wanted[key].add(text)
    allocations = select(IpAllocationRow.port_id)
    if wanted["ip_address"]:
        allocations = allocations.where(
            IpAllocationRow.ip_address.in_(wanted["ip_address"])
        )
    if wanted["subnet_id"]:
        allocations = allocations.where(
            IpAllocationRow.subnet_id.in_(wanted["subnet_id"])
        )
    return PortRow.id.in_(allocations)


PORT_COLUMNS = row_columns(
    PortRow,
    **tag_columns(PortRow.id, PortTagRow),
    fixed_ips=Column(expr=PortRow.id, sortable=False, matches=_fixed_ips_filter),
)
"""What ports are filtered and sorted on: their row's columns, their tags and their
addresses (``fixed_ips``)."""


@dataclass(frozen=True)
class _NetworkKey:
    """What a port create checks of its network."""

    id: str
    tenant_id: str
    shared: bool
    port_security_enabled: bool = True
    default_group: str | None = None
    """The quota tenant's default security group, if it has one yet."""


@functools.cache
def _network_query(door: str) -> Any:
    """What a port create reads of its network, built once per door: "owned"
    (the v1 door: the owner's own), "scope" (v2: the owner's, shared or external),
    "admin" (any); its tenant, whether it is shared, whether it has subnets and
    the quota tenant's port limit override (NULL: none), the network's
    ``port_security_enabled`` and the quota tenant's default security group (NULL:
    none yet)."""
    has_subnets = (
        select(SubnetRow.id).where(SubnetRow.network_id == NetworkRow.id).exists()
    )
    quota_tenant: BindParameter[str] = bindparam("quota_tenant")
    query: Any = select(
        NetworkRow.tenant_id,
        NetworkRow.shared,
        has_subnets,
        Quotas.override_of(quota_tenant, QuotaResource.PORT),
        NetworkRow.port_security_enabled,
        SecurityGroups.default_of(quota_tenant),
    ).where(NetworkRow.id == bindparam("network_id"))
    if door != "admin":
        query = query.where(access.network_seen(door))
    return query


@functools.cache
def _create_read(door: str, count_ports: bool) -> Any:
    """What a one-port create reads, built once per door (as ``_network_query``):
    a row per subnet of the network (one with NULLs if it has none), oldest first,
    each with the network's tenant, shared, ``port_security_enabled``, the quota
    tenant's port limit override and default security group, with
    ``count_ports`` the quota tenant's port count, and the subnet's id, CIDR, IPv6
    modes and lowest free range available at ``now`` (first and last key; NULL:
    none). Nothing is locked (``ipam.allocate_seen``)."""
    quota_tenant: BindParameter[str] = bindparam("quota_tenant")
    ranges = IpAvailabilityRow.__table__.alias("lowest")
    available = or_(
        IpAvailabilityRow.available_at.is_(None),
        IpAvailabilityRow.available_at <= bindparam("now"),
    )
    lowest = (
        select(func.min(IpAvailabilityRow.last_key))
        .where(IpAvailabilityRow.subnet_id == SubnetRow.id, available)
        .scalar_subquery()
    )
    count: Any = (
        select(func.count())
        .select_from(PortRow)
        .where(PortRow.tenant_id == quota_tenant)
        .scalar_subquery()
        if count_ports
        else null()
    )
    query: Any = (
        select(
            NetworkRow.tenant_id,
            NetworkRow.shared,
            NetworkRow.port_security_enabled,
            Quotas.override_of(quota_tenant, QuotaResource.PORT),
            SecurityGroups.default_of(quota_tenant),
            count,
            SubnetRow.id,
            SubnetRow.cidr,
            SubnetRow.ipv6_address_mode,
            SubnetRow.ipv6_ra_mode,
            ranges.c.first_key,
            ranges.c.last_key,
        )
        .select_from(NetworkRow)
        .outerjoin(SubnetRow, SubnetRow.network_id == NetworkRow.id)
        .outerjoin(
            ranges,
            and_(ranges.c.subnet_id == SubnetRow.id, ranges.c.last_key == lowest),
        )
        .where(NetworkRow.id == bindparam("network_id"))
        .order_by(SubnetRow.created_at, SubnetRow.id)
    )
    if door != "admin":
        query = query.where(access.network_seen(door))
    return query


@functools.cache
def _insert_claiming(
    groups: int, claims: tuple[tuple[bool, int], ...], quota: bool
) -> Any:
    """PostgreSQL: a port's INSERT, its ``groups`` bindings' and its ``claims``'
    (``ipam.claim_ctes``; their ``whole_range``) as one statement of
    data-modifying WITHs, answering the port's id and per claim the address it
    was allocated (NULL: none) and its range's first key after the write (NULL:
    none written; ``ipam.settle_claims``); with ``quota``, the quota tenant's
    ``quota_checks`` row too, counted at the COMMIT (``quotas.check_cte``).
    PERF: one round trip for what is five statements elsewhere, so a create
    holds its subnet's range from this statement to the commit across one
    statement more (the bump's), and no quota lock; the foreign keys are
    checked at its end, the port's row then written."""
    port = (
        insert(PortRow)
        .values(
            {
                column.name: bindparam(f"port_{column.name}", type_=column.type)
                for column in PortRow.__table__.columns
            }
        )
        .returning(PortRow.id)
        .cte("new_port")
    )
    ctes: list[Any] = [port]
    for j in range(groups):
        bound = select(port.c.id, bindparam(f"group_{j}", type_=String))
        ctes.append(
            insert(SecurityGroupPortBindingRow)
            .from_select(["port_id", "security_group_id"], bound)
            .cte(f"bound_{j}")
        )
    outcome = []
    for taken, claimed in ipam.claim_ctes(claims, port.c.id):
        ctes += [taken, claimed]
        outcome.append(select(claimed.c.ip_address).scalar_subquery())
        outcome.append(select(taken.c.first_key).scalar_subquery())
    if quota:
        ctes.append(check_cte(port.c.id))
    return select(port.c.id, *outcome).add_cte(*ctes)


_CLAIMING_WRITES = (
    PortRow.__tablename__,
    SecurityGroupPortBindingRow.__tablename__,
    IpAvailabilityRow.__tablename__,
    IpAllocationRow.__tablename__,
    QuotaCheckRow.__tablename__,
)
"""The tables ``_insert_claiming`` writes (for the change feed's topics)."""

_BINDINGS = (SecurityGroupPortBindingRow.__tablename__,)
"""What a port's INSERT also writes when it has groups, on SQLite and MariaDB
(trigger ``ports_bind_groups``, migration 0027): for the change feed's topics,
and the table a foreign-key failure of its INSERT names when one of its groups
went since it was checked (MariaDB)."""


@functools.cache
def _delete_port(*, plugged_too: bool, conditional: bool) -> Any:
    """A port's DELETE, built once: ``plugged_too`` False: only while no v1
    attachment is plugged (one plugged since the read stays); ``conditional``:
    only at one of the ``revisions`` (``If-Match``), in the DELETE itself."""
    query = delete(PortRow).where(PortRow.id == bindparam("port_id"))
    if not plugged_too:
        query = query.where(PortRow.attachment.is_(None))
    if conditional:
        query = query.where(
            PortRow.revision_number.in_(bindparam("revisions", expanding=True))
        )
    return query


_LIST_PORTS = select(*(PortRow.__table__.c[name] for name in PORT_FIELDS))
"""A page of ports, as tuples in ``PORT_FIELDS`` order (``port_of``)."""

_PAGE_IPS = IpAllocationRow.__table__.alias("page_ips")
"""The allocations a page of ports is joined with (``_with_ips``)."""

_PAGE_SORTABLE = frozenset(PORT_FIELDS)
"""Sort keys a page joined with its addresses can be ordered by again (the page's
own columns)."""


def _joinable(query: ListQuery) -> bool:
    """The page's ports can be read with their addresses in one statement: it is
    sorted by columns the page selects (``_with_ips`` sorts its rows again)."""
    for key in query.sorts:
        column = PORT_COLUMNS.get(key.attribute)
        expr = getattr(column, "expr", None)
        if getattr(expr, "table", None) is not PortRow.__table__:
            return False
        if getattr(expr, "name", None) not in _PAGE_SORTABLE:
            return False
    return True


def _with_ips(
    statement: Any,
    keys: Sequence[tuple[Any, bool]],
    *,
    reverse: bool = False,
    positioned: bool = False,
) -> Any:
    """A page of ports (``statement``, in ``PORT_FIELDS`` order), each with its
    addresses: one row per address (one row of NULLs for a port with none), by
    the page's order, then by allocation position (descending for
    ``page_reverse``, whose rows are reversed after: each port's stay in order).

    ``positioned``: the allocation's position selected as the last column
    instead of ordered by (``_grouper`` orders a port's addresses). PERF: SQLite
    sorted every port's rows again in a temporary B-tree (1,000 ports: 3.9 ->
    3.2 ms for the statement alone).

    PERF: one statement for the page and its addresses: no second query naming
    every port of the page (1,000 bound ids) and no second round trip."""
    page_ = statement.subquery("page")
    order = []
    for expr, asc in keys:
        column = page_.c[expr.name]
        order.append(column.asc() if asc else column.desc())
    position = _PAGE_IPS.c.position
    joined = page_.outerjoin(_PAGE_IPS, _PAGE_IPS.c.port_id == page_.c.id)
    if positioned:
        return (
            select(*page_.c, _PAGE_IPS.c.subnet_id, _PAGE_IPS.c.ip_address, position)
            .select_from(joined)
            .order_by(*order)
        )
    return (
        select(*page_.c, _PAGE_IPS.c.subnet_id, _PAGE_IPS.c.ip_address)
        .select_from(joined)
        .order_by(*order, position.desc() if reverse else position.asc())
    )


_WIDTH = len(PORT_FIELDS)


def _grouped(rows: Sequence[Any]) -> list[tuple[Sequence[Any], tuple[FixedIP, ...]]]:
    """``_with_ips``'s rows as each port's values and its addresses."""
    found: list[tuple[Sequence[Any], list[FixedIP]]] = []
    last = None
    ips: list[FixedIP] = []
    for row in rows:
        if row[0] != last:
            last = row[0]
            ips = []
            found.append((row[:_WIDTH], ips))
        subnet_id = row[_WIDTH]
        if subnet_id is not None:
            ips.append(ipam.fixed_ip(subnet_id, row[_WIDTH + 1]))
    return [(values, tuple(addresses)) for values, addresses in found]


def _joined_page(
    s: Session | Connection, scope: Scope, query: ListQuery
) -> list[tuple[Sequence[Any], tuple[FixedIP, ...]]]:
    """A page of the ports ``scope`` sees, with their addresses, in one statement
    (``_with_ips``; the query must be ``_joinable``)."""
    joined = page(
        s,
        _LIST_PORTS,
        PORT_COLUMNS,
        PortRow.id,
        query,
        access.ports_visible(scope),
        core=True,
        wrap=functools.partial(_with_ips, reverse=query.page_reverse),
    )
    return _grouped(joined)


_PREPARED = PreparedPage(
    _LIST_PORTS,
    PORT_COLUMNS,
    PortRow.id,
    access.PORTS_SCOPE,
    wrap=lambda statement, keys, reverse, limit, backend: _bounded_with_ips(
        statement, keys, limit, backend
    ),
)
"""``_joined_page``'s statement, built once per shape of query (``list_page``)."""


def _bounded_with_ips(
    statement: Any, keys: Sequence[tuple[Any, bool]], limit: Any, backend: str
) -> Any:
    """``_with_ips`` (``positioned``) of a page of ports, ``statement`` being the
    page without its ``limit`` (a bind parameter; None: every port). On SQLite,
    ordered by ``id`` alone, the page is every port up to the limit's last one
    (the bind parameter ``edge`` is its offset), found by a scalar subquery,
    instead of a subquery with a LIMIT joined with the addresses.

    PERF: SQLite runs a page with a LIMIT joined with its addresses as a
    co-routine and sorts all the joined rows again (the 1,000-port list: 2.3 ms
    of its 3.3 ms statement); bounded, the page's index gives the rows' order.
    Not on PostgreSQL (which keeps the LIMIT subquery's order through its join:
    bounded, it executed in 4.5 ms instead of 1.8, reading the page's index
    twice) nor MariaDB (14.1 ms instead of 11.5)."""
    if limit is None:
        return _with_ips(statement, keys, positioned=True)
    if backend != "sqlite" or len(keys) != 1 or keys[0][0] is not PortRow.id:
        return _with_ips(statement.limit(limit), keys, positioned=True)
    expr, asc = keys[0]
    unordered = statement.order_by(None)
    edge = (
        unordered.with_only_columns(expr)
        .order_by(expr.asc() if asc else expr.desc())
        .limit(1)
        .offset(bindparam("edge", type_=Integer))
        .correlate(None)
        .scalar_subquery()
    )
    # NOTE: fewer ports than the limit: the page is all of them, up to the last.
    last = (
        unordered.with_only_columns(func.max(expr) if asc else func.min(expr))
        .correlate(None)
        .scalar_subquery()
    )
    bound = func.coalesce(edge, last)
    return _with_ips(
        statement.where(expr <= bound if asc else expr >= bound),
        keys,
        positioned=True,
    )


def _ordered(ips: builtins.list[tuple[int, FixedIP]]) -> tuple[FixedIP, ...]:
    """A port's addresses by their position (``_grouper``)."""
    return tuple(ip for _, ip in sorted(ips, key=operator.itemgetter(0)))


@functools.lru_cache(maxsize=64)
def _grouper(
    processors: tuple[Callable[[Any], Any] | None, ...],
) -> Callable[[Sequence[Any]], list[tuple[Sequence[Any], tuple[FixedIP, ...]]]]:
    """``_grouped`` of ``_with_ips``'s DBAPI rows (``positioned``), each value
    through its column's result processor (``PreparedPage.rows``), a port's
    addresses by their position, compiled to one loop.

    PERF: the values SQLAlchemy's rows would hold, without its rows: a port's
    own values are processed once (not once per address)."""
    names = [f"c{i}" for i in range(_WIDTH)]
    namespace: dict[str, Any] = {"fixed_ip": ipam.fixed_ip, "ordered": _ordered}
    shown = []
    for i, name in enumerate((*names, "subnet_id", "address", "position")):
        processor = processors[i]
        if processor is None:
            shown.append(name)
        else:
            namespace[f"p_{name}"] = processor
            shown.append(f"p_{name}({name})")
    source = (
        "def grouped(rows):\n"
        "    found = []\n"
        "    add = found.append\n"
        "    last = ips = None\n"
        f"    for {', '.join(names)}, subnet_id, address, position in rows:\n"
        "        if c0 != last:\n"
        "            last = c0\n"
        "            ips = []\n"
        f"            add((({', '.join(shown[:_WIDTH])},), ips))\n"
        "        if subnet_id is not None:\n"
        f"            ips.append(({shown[_WIDTH + 2]}, fixed_ip({shown[_WIDTH]},"
        f" {shown[_WIDTH + 1]})))\n"
        "    return [\n"
        "        (values, (ips[0][1],) if len(ips) == 1 else ordered(ips))\n"
        "        for values, ips in found\n"
        "    ]\n"
    )
    exec(source, namespace)  # noqa: S102  # NOTE: our own names
    return namespace["grouped"]  # type: ignore[no-any-return]


def _prepared_page(
    s: Session | Connection, scope: Scope, query: ListQuery
) -> list[tuple[Sequence[Any], tuple[FixedIP, ...]]]:
    """``_joined_page``, its statement prepared once per shape of query
    (``_PREPARED``) and its rows read from the driver; the query must be
    ``_joinable``. PERF: ``list_page``'s (``list`` keeps ``_joined_page``: the
    two are compared byte for byte)."""
    found = _PREPARED.rows(s, query, access.ports_scope(scope))
    if found is None:
        return _joined_page(s, scope, query)
    rows, processors = found
    return _grouper(processors)(rows)


_PORTS_ON_OWN_NETWORK = (
    select(NetworkRow.id, *(PortRow.__table__.c[name] for name in PORT_FIELDS))
    .outerjoin(PortRow, PortRow.network_id == NetworkRow.id)
    .where(
        NetworkRow.id == bindparam("network_id"),
        NetworkRow.tenant_id == bindparam("tenant_id"),
    )
    .order_by(PortRow.created_at, PortRow.id)
)
"""The v1 door's list of a network's ports: the tenant's own network (no row: not
found) with its ports, oldest first, as tuples (the network's id, then
``PORT_FIELDS``; one row of NULL ports for a network without any)."""

_UNREAD: tuple[Any, ...] = tuple(
    {"admin_state_up": True, "status": OpStatus.DOWN.value}.get(name)
    for name in PORT_FIELDS
)
"""What ``port_of`` is given for a column a narrowed list did not read (never
shown: the caller reads none of them)."""

_AS_STORED = frozenset(
    {
        "id",
        "network_id",
        "tenant_id",
        "admin_state_up",
        "name",
        "mac_address",
        "device_id",
        "device_owner",
        "binding_host_id",
        "description",
        "revision_number",
        "port_security_enabled",
    }
)
"""Port attributes that are their column's value as read (no conversion in
``port_of``, no change in ``_ports``): a narrowed list reading only these gives
its rows, which have them as attributes, for ports."""

_READS_TOO = {
    "status": ("admin_state_up", "binding_host_id"),
    "status_reason": ("admin_state_up", "binding_host_id", "status"),
    "updated_at": ("created_at",),
}
"""Columns an attribute is made of besides its own (``port_of``, ``_ports``)."""


@functools.cache
def _list_narrowed(
    reads: frozenset[str],
) -> tuple[Any, Callable[[Sequence[Any]], tuple[Any, ...]]]:
    """A page of ports reading only the columns ``reads`` needs, and the function
    widening such a row to ``PORT_FIELDS`` (the columns not read: ``_UNREAD``).
    PERF: compiled to one tuple display (a loop per row cost as much as the
    rest of a 20,000-port ``fields=id`` list)."""
    wanted = {"id", *reads}
    for name in reads:
        wanted.update(_READS_TOO.get(name, ()))
    read = [name for name in PORT_FIELDS if name in wanted]
    columns = (PortRow.__table__.c[name] for name in read)
    items = (
        f"row[{read.index(name)}]" if name in wanted else f"unread[{i}]"
        for i, name in enumerate(PORT_FIELDS)
    )
    namespace: dict[str, Any] = {"unread": _UNREAD}
    exec(f"def widened(row):\n    return ({', '.join(items)},)\n", namespace)  # noqa: S102  # NOTE: our own column names
    return select(*columns), namespace["widened"]


_INSERT_PORT = insert(PortRow)
"""A port's INSERT, every column given (``PortStore._insert_port_row``)."""


class _MacTaken(Exception):
    """A generated MAC met the unique index: the create runs again, new draw."""


class _GroupGone(Exception):
    """A port's binding met the foreign key: one of its groups was deleted since
    it was checked (that delete committed first)."""

    def __init__(self, group_id: str) -> None:
        super().__init__(group_id)
        self.group_id = group_id


def _plain(item: PortCreate) -> bool:
    """A port create ``PortStore._create_one`` serves: a drawn MAC, the network's
    addresses (no ``fixed_ips``), the default groups (no ``security_groups``)."""
    return (
        item.fixed_ips is None and not item.mac_address and item.security_groups is None
    )


def _pairs_json(pairs: Sequence[AllowedAddressPair], mac: str | None) -> str | None:
    """Allowed address pairs as stored (a pair without a MAC takes the port's)."""
    if not pairs:
        return None
    return json.dumps([[p.ip_address, p.mac_address or mac] for p in pairs])


def _profile(profile: Mapping[str, Any]) -> str | None:
    """A ``binding:profile`` as stored: JSON, NULL for the empty one."""
    return json.dumps(dict(profile), sort_keys=True) if profile else None


_SIMPLE_COLUMNS = (
    "name",
    "admin_state_up",
    "device_id",
    "device_owner",
    "binding_host_id",
    "binding_profile",
    "description",
)
"""What a ``PortUpdate`` may change by writing the port's own columns alone."""
_AT = {name: at for at, name in enumerate(PORT_FIELDS)}


def _column_changes(changes: PortUpdate) -> dict[str, Any]:
    """The ``_SIMPLE_COLUMNS`` ``changes`` writes, as stored."""
    found: dict[str, Any] = {}
    for name in _SIMPLE_COLUMNS:
        value = getattr(changes, name)
        if value is not None:
            found[name] = _profile(value) if name == "binding_profile" else value
    return found


def _simple_changes(changes: PortUpdate) -> dict[str, Any] | None:
    """``_column_changes`` when ``changes`` writes nothing else (a rename...);
    else None."""
    if (
        changes.fixed_ips is not None
        or changes.security_groups is not None
        or changes.port_security_enabled is not None
        or changes.allowed_address_pairs is not None
    ):
        return None
    return _column_changes(changes)


@functools.lru_cache(maxsize=128)
def _update_statement(columns: frozenset[str]) -> Any:
    """``UPDATE ports SET <columns>, revision_number, updated_at WHERE id AND
    revision_number`` (bind parameters: ``v_<column>``, ``b_id``,
    ``b_revision``, ``b_next``, ``b_updated_at``), built once per set."""
    return (
        update(PortRow)
        .where(
            PortRow.id == bindparam("b_id"),
            PortRow.revision_number == bindparam("b_revision"),
        )
        .values(
            {
                **{name: bindparam(f"v_{name}") for name in sorted(columns)},
                "revision_number": bindparam("b_next"),
                "updated_at": bindparam("b_updated_at"),
            }
        )
    )


class PortStore:
    """``PortService`` over the SQL store."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        quotas: Quotas,
        *,
        mechanism: Mechanism | None = None,
        security_groups: SecurityGroups | None = None,
    ) -> None:
        """``security_groups``: None serves no groups (every port has none)."""
        self.db = db
        self.quotas = quotas
        self.mechanism = mechanism
        self.groups = security_groups
        self.max_pairs = settings.max_allowed_address_pair
        self.initial_status = (
            OpStatus.DOWN if mechanism is None else mechanism.initial_port_status
        )
        self.base_mac = settings.base_mac
        self.mac_retries = settings.mac_generation_retries
        self.ip_hold = timedelta(seconds=settings.dhcp_lease_duration)
        self.down_time = timedelta(seconds=settings.agent_down_time)
        self.max_fixed_ips = settings.max_fixed_ips_per_port
        self._bind_by_trigger = db.backend != "postgresql"
        """A new port's INSERT writes its bindings (SQLite, MariaDB: migration
        0027's ``ports_bind_groups``)."""
        self._quota_by_trigger = db.backend in ("mysql", "mariadb")
        """A new port's INSERT counts it against its tenant's limit when given
        one (``quota_limit``; MariaDB: migration 0027's ``ports_quota``)."""

    def list(self, scope: Scope, query: ListQuery) -> Sequence[Port]:
        """PERF: the page's rows as tuples (SQLAlchemy Core: no ORM entity, no
        identity map), then its ports' addresses in one more query, unless the
        caller reads none (``fields=`` without ``fixed_ips``); with ``fields=``,
        only the columns they are made of (``_list_narrowed``)."""

        def work(s: Session) -> list[Port]:
            if query.reads is None and _joinable(query):
                return self._ports(s, _joined_page(s, scope, query))
            if query.reads is None:
                base, widened = _LIST_PORTS, None
            else:
                base, widened = _list_narrowed(query.reads)
            rows: Sequence[Any] = page(
                s,
                base,
                PORT_COLUMNS,
                PortRow.id,
                query,
                access.ports_visible(scope),
                core=True,
            )
            if query.reads is not None and query.reads <= _AS_STORED:
                # PERF: the rows are the items: their columns are those
                # attributes as the port would hold them (a 20,000-port
                # ``fields=id`` list no longer builds 20,000 ports).
                return cast(list[Port], rows)
            if widened is not None:
                rows = [widened(row) for row in rows]
            if query.reads is not None and "fixed_ips" not in query.reads:
                return self._ports(s, [(row, ()) for row in rows])
            ips = ipam.fixed_ips_of(s, [row[0] for row in rows])
            return self._ports(s, [(row, ips[row[0]]) for row in rows])

        return self.db.run(work, write=False)

    row_shape = PORT_SHAPE
    """What ``list_page``'s rows are (``quantum.core.rows``)."""

    def list_page(self, scope: Scope, query: ListQuery) -> RowPage | None:
        """``list``'s page as its rows (``PORT_SHAPE``: each port's values and
        fixed IPs; the page's dead agents), for a caller that renders them
        without building the ports; None for a page ``list`` reads otherwise
        (``fields=``, a sort key the joined page has not).

        PERF: a list of 1,000 ports built 1,000 domain ports only to render
        each once (``quantum.api.v2.attributes.compile_page_view``)."""
        if query.reads is not None or not _joinable(query):
            return None

        def work(s: Session | Connection) -> RowPage:
            rows = _prepared_page(s, scope, query)
            return RowPage(
                shape=PORT_SHAPE,
                rows=rows,
                ids=[values[0] for values, _ in rows],
                page=(self._dead_agents(s, rows),),
            )

        if query.marker is None or query.limit is None:
            # PERF: Core alone (``Database.read``): no ORM Session to build,
            # begin, commit and close. NOTE: a page after a marker reads the
            # marker's row first, in the page's transaction.
            return self.db.read(work)
        return self.db.run(work, write=False)

    def get(self, scope: Scope, port_id: str) -> Port:
        """PERF: Core statements alone, on a ``Database.read`` connection."""

        def work(c: Connection) -> Port:
            values, ips = access.port_values_with_ips(c, scope, port_id)
            return self._ports(c, [(values, ips)])[0]

        return self.db.read(work)

    def _ports(
        self,
        s: Session | Connection,
        rows: Sequence[tuple[Sequence[Any], tuple[FixedIP, ...]]],
    ) -> builtins.list[Port]:
        """The domain ports of rows' values (``PORT_FIELDS``) and their addresses,
        told apart when their bound host's agent is dead.

        Such a port shows what that agent last reported, even administratively down
        (nobody applied that), with a ``status_reason`` saying since when nobody
        confirmed it: the host may well still forward.
        """
        dead = self._dead_agents(s, rows)
        return [port_of(values, ips, dead) for values, ips in rows]

    def _dead_agents(
        self, s: Session | Connection, rows: Sequence[tuple[Sequence[Any], Any]]
    ) -> Mapping[str, Any]:
        """The hosts bound to the rows' ports whose agent is dead, with its last
        report (``PORT_SHAPE``'s ``dead``); no query when none is bound."""
        hosts = {values[PORT_HOST] for values, _ in rows if values[PORT_HOST]}
        if not hosts:
            return NO_DEAD_AGENTS
        since = utcnow() - self.down_time
        return {
            host: seen
            for host, seen in s.execute(
                select(AgentHostRow.host, AgentHostRow.last_seen).where(
                    AgentHostRow.agent_type == OVS_AGENT_TYPE,
                    AgentHostRow.host.in_(hosts),
                    AgentHostRow.last_seen < since,
                )
            )
        }

    def create(self, scope: Scope, items: Sequence[PortCreate]) -> Sequence[Port]:
        """All or nothing. Raises NetworkNotFound, NotAuthorized (another tenant's
        network that is not shared), OverQuota, MacAddressInUse,
        MacAddressGenerationFailure."""
        door = "admin" if scope.is_admin else "scope"
        return self._create(scope, items, door, scope.tenant_id or "")

    def _create(
        self,
        scope: Scope,
        items: Sequence[PortCreate],
        door: str,
        owner: str,
    ) -> Sequence[Port]:
        """The one write path of a new port: owner checks, quota, MAC, addresses.
        ``door`` and ``owner`` say which networks the door the call came through
        shows (``_network_query``; a network it does not show is NetworkNotFound).

        PERF: the network, the tenant's port limit and whether the network has
        subnets are one SELECT; a port on a network without subnets reads no
        subnets; a generated MAC is inserted without a SAVEPOINT, and the rare
        collision on the unique index retries the whole transaction with a new
        draw (``mac_generation_retries`` times in all).
        """
        tenants = {item.tenant_id for item in items}
        one_tenant = next(iter(tenants)) if len(tenants) == 1 else None
        one = items[0] if len(items) == 1 and _plain(items[0]) else None

        def work(s: Session) -> builtins.list[Port]:
            if one is not None:
                made = self._create_one(s, scope, one, door, owner)
                if made is not None:
                    return [made]
            networks: dict[str, tuple[_NetworkKey, bool]] = {}
            limits: dict[str, int | None] = {}
            for item in items:
                if item.network_id not in networks:
                    network, has_subnets, limit = self._network(
                        s, item.network_id, door, owner, one_tenant
                    )
                    networks[item.network_id] = (network, has_subnets)
                    if one_tenant is not None:
                        limits[one_tenant] = limit
                network = networks[item.network_id][0]
                if (
                    network.tenant_id != item.tenant_id
                    and not network.shared
                    and not scope.is_admin
                ):
                    raise exc.NetworkNotOwned(network_id=network.id)
                # NOTE: who may give mac_address, fixed_ips or a reserved
                # device_owner is policy (create_port:<attribute>), the API's.
                self._check_fixed_ips_count(item.fixed_ips)
            if self._quota_by_trigger:
                # NOTE: each port's INSERT counts it (its tenant's lock first).
                quota = {
                    tenant_id: self.quotas.check_one(
                        s,
                        QuotaResource.PORT,
                        tenant_id,
                        limits[tenant_id]
                        if tenant_id in limits
                        else self.quotas.override(s, tenant_id, QuotaResource.PORT),
                    )
                    for tenant_id in sorted(tenants)
                }
                return [
                    self._insert_port(
                        s,
                        item,
                        *networks[item.network_id],
                        quota_limit=quota[item.tenant_id],
                    )
                    for item in items
                ]
            self.quotas.check(
                s,
                QuotaResource.PORT,
                Counter(i.tenant_id for i in items),
                overrides=limits,
            )
            return [
                self._insert_port(s, item, *networks[item.network_id]) for item in items
            ]

        for _ in range(self.mac_retries):
            try:
                return self.db.run(work, write=True)
            except _MacTaken:
                continue
            except _GroupGone as gone:
                raise exc.SecurityGroupNotFound(id=gone.group_id) from None
        raise exc.MacAddressGenerationFailure(network_id=items[0].network_id)

    def _create_one(
        self, s: Session, scope: Scope, item: PortCreate, door: str, owner: str
    ) -> Port | None:
        """``_create``'s work for one port with a drawn MAC, its network's
        addresses and default groups (``_plain``); None, having written nothing,
        when the door shows no such network (the general path says why).

        PERF: the network, its subnets with their lowest free ranges, the port
        limit and the default group are one SELECT (``_create_read``); on SQLite,
        whose writers are one at a time, the tenant's port count too, so the quota
        costs no statement of its own. Then, on SQLite and MariaDB, the port's
        INSERT, which writes its groups' bindings and on MariaDB locks and counts
        the tenant's quota (triggers, migration 0027), and per IPv4 address one
        INSERT that also takes it from the range read (``ipam.allocate_seen``):
        with BEGIN, the store revision's bump and COMMIT, six statements (issue
        16 item 1). PostgreSQL: one statement of data-modifying WITHs
        (``_insert_claiming``)."""
        single_writer = self.db.backend == "sqlite"
        rows = execute_core(
            s,
            _create_read(door, single_writer),
            {
                "network_id": item.network_id,
                "owner": owner,
                "quota_tenant": item.tenant_id,
                "now": utcnow(),
            },
        ).all()
        if not rows:
            return None
        first = rows[0]
        network = _NetworkKey(
            id=item.network_id,
            tenant_id=first[0],
            shared=bool(first[1]),
            port_security_enabled=bool(first[2]),
            default_group=first[4],
        )
        if (
            network.tenant_id != item.tenant_id
            and not network.shared
            and not scope.is_admin
        ):
            raise exc.NetworkNotOwned(network_id=network.id)
        override = None if first[3] is None else int(first[3])
        if single_writer:
            self.quotas.check_counted(
                QuotaResource.PORT, int(first[5] or 0) + 1, override
            )
        enabled, groups = self._security(s, item, network)
        subnets = ipam.seen_subnets_of(
            item.network_id, [row[6:] for row in rows if row[6] is not None]
        )
        claims = ipam.seen_claims(subnets) if self.db.backend == "postgresql" else None
        quota_limit = None
        if self._quota_by_trigger:
            quota_limit = self.quotas.check_one(
                s, QuotaResource.PORT, item.tenant_id, override
            )
        elif claims is None and not single_writer:
            # NOTE: PostgreSQL without a claiming statement (no free range
            # seen, an autoconfigured subnet) counts at the end, as in bulk.
            self.quotas.check(
                s,
                QuotaResource.PORT,
                {item.tenant_id: 1},
                overrides={item.tenant_id: override},
            )
        if claims is not None:
            quota = self.quotas.check_one(
                s, QuotaResource.PORT, item.tenant_id, override
            )
            port, tried = self._insert_port_claiming(
                s, item, enabled, groups, claims, quota
            )
            if subnets:
                ips = ipam.allocate_seen(s, port.id, subnets, tried=tried)
                port = replace(port, fixed_ips=ips)
            if self.mechanism is not None:
                self.mechanism.port_precommit(s, port)
            return port
        # NOTE: its bindings are its INSERT's (trigger ports_bind_groups), and on
        # MariaDB its quota count too (ports_quota; migration 0027).
        port = self._insert_port_row(s, item, enabled, groups, quota_limit)
        if subnets:
            port = replace(port, fixed_ips=ipam.allocate_seen(s, port.id, subnets))
        if self.mechanism is not None:
            self.mechanism.port_precommit(s, port)
        return port

    @staticmethod
    def _network(
        s: Session, network_id: str, door: str, owner: str, quota_tenant: str | None
    ) -> tuple[_NetworkKey, bool, int | None]:
        """The network (NetworkNotFound unless the door shows it to ``owner``),
        whether it has subnets, and ``quota_tenant``'s port limit override (None:
        the default, or not asked)."""
        found = execute_core(
            s,
            _network_query(door),
            {"network_id": network_id, "owner": owner, "quota_tenant": quota_tenant},
        ).one_or_none()
        if found is None:
            raise exc.NetworkNotFound(network_id=network_id)
        tenant_id, shared, subnets, override = found[0], found[1], found[2], found[3]
        return (
            _NetworkKey(
                id=network_id,
                tenant_id=tenant_id,
                shared=bool(shared),
                port_security_enabled=bool(found[4]),
                default_group=found[5] if quota_tenant is not None else None,
            ),
            bool(subnets),
            None if override is None else int(override),
        )

    def _check_fixed_ips_count(self, requests: Sequence[object] | None) -> None:
        if requests is not None and len(requests) > self.max_fixed_ips:
            raise exc.InvalidInput(
                reason=f"a port may have at most {self.max_fixed_ips} fixed IPs"
            )

    def _security(
        self, s: Session, item: PortCreate, network: _NetworkKey
    ) -> tuple[bool, tuple[str, ...]]:
        """The new port's ``port_security_enabled`` and groups: omitted, the
        network's and the tenant's default group (none for a ``network:*`` port
        or one without port security). Raises SecurityGroupNotFound,
        PortSecurityPortHasSecurityGroup, AddressPairAndPortSecurityRequired,
        AllowedAddressPairExhausted."""
        enabled = (
            network.port_security_enabled
            if item.port_security_enabled is None
            else item.port_security_enabled
        )
        self._check_pairs(enabled, item.allowed_address_pairs)
        if self.groups is None:
            return enabled, ()
        if item.security_groups is not None:
            groups = self.groups.check_usable(s, item.security_groups, item.tenant_id)
        elif not enabled or item.device_owner.lower().startswith("network:"):
            groups = ()
        elif network.default_group is not None:
            groups = (network.default_group,)
        else:
            groups = (self.groups.ensure_default(s, item.tenant_id),)
        if groups and not enabled:
            raise exc.PortSecurityPortHasSecurityGroup()
        return enabled, groups

    def _check_pairs(
        self, enabled: bool, pairs: Sequence[AllowedAddressPair] | None
    ) -> None:
        if not pairs:
            return
        if not enabled:
            raise exc.AddressPairAndPortSecurityRequired()
        if len(pairs) > self.max_pairs:
            raise exc.AllowedAddressPairExhausted(quota=self.max_pairs)

    def _insert_port(
        self,
        s: Session,
        item: PortCreate,
        network: _NetworkKey,
        has_subnets: bool,
        *,
        quota_limit: int | None = None,
    ) -> Port:
        """``quota_limit``: as ``_insert_port_row``'s."""
        enabled, groups = self._security(s, item, network)
        port = self._insert_port_row(s, item, enabled, groups, quota_limit)
        if groups and not self._bind_by_trigger:
            s.add_all(
                SecurityGroupPortBindingRow(port_id=port.id, security_group_id=g)
                for g in groups
            )
            try:
                s.flush()
            except IntegrityError:
                raise _GroupGone(groups[0]) from None
        if item.fixed_ips is not None or has_subnets:
            ips = ipam.allocate_port_ips(s, item.network_id, port.id, item.fixed_ips)
            port = replace(port, fixed_ips=ips)
        if self.mechanism is not None:
            self.mechanism.port_precommit(s, port)
        return port

    def _insert_port_row(
        self,
        s: Session,
        item: PortCreate,
        port_security_enabled: bool = True,
        groups: Sequence[str] = (),
        quota_limit: int | None = None,
    ) -> Port:
        """The port's row, by one prebuilt INSERT (PERF: not the ORM's unit of
        work: no flush, no object in the session), and the port it holds; on
        SQLite and MariaDB its groups' bindings too (``_bind_by_trigger``).
        ``quota_limit`` (MariaDB): the tenant's default port limit, to count the
        port against in its INSERT (None: not counted there)."""
        values = self._port_values(item, port_security_enabled, groups)
        row = PortRow(**values)
        if quota_limit is not None and self._quota_by_trigger:
            values = {**values, "quota_limit": quota_limit}
        writes = _BINDINGS if groups and self._bind_by_trigger else ()
        if not item.mac_address:
            try:
                execute_core(s, _INSERT_PORT, values, writes=writes)
            except IntegrityError as error:
                if groups and _BINDINGS[0] in str(error.orig):
                    raise _GroupGone(groups[0]) from None
                # NOTE: the unique index refused the drawn MAC (or the network
                # went away under us, which the next attempt's lookup tells).
                raise _MacTaken() from None
            return row.to_domain()
        try:
            with s.begin_nested():
                execute_core(s, _INSERT_PORT, values, writes=writes)
        except IntegrityError as error:
            if groups and _BINDINGS[0] in str(error.orig):
                raise _GroupGone(groups[0]) from None
            # NOTE: the unique index refused the MAC (or the network went away
            # under us, which the next read tells).
            if s.get(NetworkRow, item.network_id, populate_existing=True) is None:
                raise exc.NetworkNotFound(network_id=item.network_id) from None
            raise exc.MacAddressInUse(
                network_id=item.network_id, mac_address=item.mac_address
            ) from None
        return row.to_domain()

    def _insert_port_claiming(
        self,
        s: Session,
        item: PortCreate,
        enabled: bool,
        groups: Sequence[str],
        claims: Sequence[ipam.SeenClaim],
        quota: int | None = None,
    ) -> tuple[Port, dict[str, IPAddress | None]]:
        """PostgreSQL: the port's row (a drawn MAC), its groups' bindings and the
        ``claims`` in one statement (``_insert_claiming``): the port and, per
        claim's subnet, the address it got (None: the range had gone or the
        address was taken; nothing of it was written). ``quota``: the tenant's
        default port limit, to count at the COMMIT (None: unlimited)."""
        values = self._port_values(item, enabled, groups)
        params = {f"port_{name}": value for name, value in values.items()}
        params.update({f"group_{j}": group for j, group in enumerate(groups)})
        params.update(ipam.claim_params(claims))
        if quota is not None:
            params["quota_tenant"] = item.tenant_id
            params["quota_default"] = quota
        shape = tuple((c.whole_range, c.subnet.ip_version) for c in claims)
        statement = _insert_claiming(len(groups), shape, quota is not None)
        try:
            got = execute_core(s, statement, params, writes=_CLAIMING_WRITES).one()
        except IntegrityError as error:
            table = getattr(getattr(error.orig, "diag", None), "table_name", None)
            if table == SecurityGroupPortBindingRow.__tablename__:
                raise _GroupGone(groups[0]) from None
            # NOTE: as _insert_port_row's: the drawn MAC, or the network gone.
            raise _MacTaken() from None
        outcome = [(got[2 * i + 1], got[2 * i + 2]) for i in range(len(claims))]
        tried = ipam.settle_claims(s, values["id"], claims, outcome)
        return PortRow(**values).to_domain(), tried

    def _port_values(
        self, item: PortCreate, port_security_enabled: bool, groups: Sequence[str]
    ) -> dict[str, Any]:
        """A new port's row, every column (a MAC drawn unless given)."""
        mac = item.mac_address or random_mac(self.base_mac)
        return {
            "id": access.new_id(),
            "network_id": item.network_id,
            "tenant_id": item.tenant_id,
            "admin_state_up": item.admin_state_up,
            "status": self.initial_status.value,
            "attachment": None,
            "name": item.name,
            "mac_address": mac,
            "device_id": item.device_id,
            "device_owner": item.device_owner,
            "binding_host_id": item.binding_host_id,
            "binding_profile": _profile(item.binding_profile),
            "status_reason": "",
            "description": item.description,
            "created_at": utcnow(),
            "updated_at": None,
            # NOTE: what the ORM's version counter starts at (db.models).
            "revision_number": 1,
            "tags": None,
            "port_security_enabled": port_security_enabled,
            "security_groups": json.dumps(sorted(groups)) if groups else None,
            "allowed_address_pairs": _pairs_json(item.allowed_address_pairs, mac),
            "dhcp_provisioning": False,
            "quota_limit": None,
        }

    def update(
        self,
        scope: Scope,
        port_id: str,
        changes: PortUpdate,
        authorize: Callable[[Port], None] | None = None,
    ) -> Port:
        """Raises PortNotFound, NotAuthorized; and what ``authorize`` raises,
        called with the port before the change, in the transaction.

        PERF: read, check and write are one transaction; a rename is one read of
        the port with its addresses, its UPDATE and the revision's, on the
        connection (``Database.run(core=True)``: no ORM Session).
        """

        simple = _simple_changes(changes)
        if simple is not None:
            return self.db.run(
                lambda s: self._update_columns(s, scope, port_id, simple, authorize),
                write=True,
                core=True,
            )

        def work(s: Session) -> Port:
            row, ips = access.port_with_ips(s, scope, port_id)
            if authorize is not None:
                authorize(row.to_domain(ips))
            # NOTE: who may change fixed_ips or give a reserved device_owner is
            # policy (update_port:<attribute>), the API's.
            for name, value in _column_changes(changes).items():
                setattr(row, name, value)
            self._update_security(s, row, changes)
            if changes.fixed_ips is not None:
                self._check_fixed_ips_count(changes.fixed_ips)
                before = ips
                ips = ipam.replace_port_ips(
                    s, row.network_id, row.id, changes.fixed_ips, self.ip_hold
                )
                if ips != before:
                    # NOTE: the port's UPDATE bumps its revision (db.models).
                    row.updated_at = utcnow()
            s.flush()
            return self._ports(s, [(port_values(row), ips)])[0]

        return self.db.run(work, write=True)

    def _update_columns(
        self,
        s: Session,
        scope: Scope,
        port_id: str,
        changes: Mapping[str, Any],
        authorize: Callable[[Port], None] | None,
    ) -> Port:
        """``update`` of ``_SIMPLE_COLUMNS`` alone, as the ORM would write it
        (PERF: as Core, no ORM entity): the port read with its addresses, then,
        unless every value is as it was, ``UPDATE ... SET <changed>,
        revision_number = N + 1, updated_at = now WHERE id = ... AND
        revision_number = N`` (no row: another writer got there first, and
        ``Database.run`` runs it again, as for the ORM's version counter)."""
        values, ips = access.port_values_with_ips(s, scope, port_id)
        if authorize is not None:
            authorize(port_of(values, ips))
        changed = {
            name: value for name, value in changes.items() if values[_AT[name]] != value
        }
        if not changed:
            return self._ports(s, [(values, ips)])[0]
        revision = values[_AT["revision_number"]]
        now = utcnow()
        result = execute_core(
            s,
            _update_statement(frozenset(changed)),
            {
                **{f"v_{name}": value for name, value in changed.items()},
                "b_id": port_id,
                "b_revision": revision,
                "b_next": revision + 1,
                "b_updated_at": now,
            },
        )
        if result.rowcount != 1:
            raise StaleDataError(
                f"UPDATE of port {port_id} at revision {revision} matched "
                f"{result.rowcount} rows"
            )
        after = list(values)
        for name, value in changed.items():
            after[_AT[name]] = value
        after[_AT["revision_number"]] = revision + 1
        after[_AT["updated_at"]] = now
        return self._ports(s, [(tuple(after), ips)])[0]

    def _update_security(self, s: Session, row: PortRow, changes: PortUpdate) -> None:
        """Port security, groups and address pairs as the update says (each
        omitted one as it was). Raises SecurityGroupNotFound,
        PortSecurityPortHasSecurityGroup, AddressPairAndPortSecurityRequired,
        AllowedAddressPairExhausted."""
        if (
            changes.port_security_enabled is None
            and changes.security_groups is None
            and changes.allowed_address_pairs is None
        ):
            return
        enabled = (
            row.port_security_enabled
            if changes.port_security_enabled is None
            else changes.port_security_enabled
        )
        if changes.allowed_address_pairs is not None:
            self._check_pairs(enabled, changes.allowed_address_pairs)
            row.allowed_address_pairs = _pairs_json(
                changes.allowed_address_pairs, row.mac_address
            )
        elif not enabled and row.allowed_address_pairs:
            raise exc.AddressPairAndPortSecurityRequired()
        if changes.security_groups is not None and self.groups is not None:
            groups = self.groups.check_usable(s, changes.security_groups, row.tenant_id)
        else:
            groups = tuple(json.loads(row.security_groups or "[]"))
        if groups and not enabled:
            raise exc.PortSecurityPortHasSecurityGroup()
        row.port_security_enabled = enabled
        if self.groups is not None:
            self.groups.bind(s, row, groups)

    def delete(self, scope: Scope, port_id: str, revisions: Sequence[int] = ()) -> None:
        """Deletes the port, plugged or not (the agent unwires it). Raises
        PortNotFound; L3PortInUse for a router or floating-IP port that still
        holds an address; RevisionNumberConstraintFailed unless it is at one of
        ``revisions`` (if given) when deleted."""

        def work(s: Session) -> None:
            row = access.port_key(s, scope, port_id)
            if not self._delete_row(s, row, plugged_too=True, revisions=revisions):
                raise stale(s, PortRow, port_id, revisions) or exc.PortNotFound(
                    port_id=port_id
                )

        self.db.run(work, write=True)

    # -- for service plugins: ports they own, inside their own transaction --------

    def create_in(self, s: Session, item: PortCreate) -> Port:
        """A port a service plugin's transaction makes for itself (a router's
        interface or gateway, a floating IP's address): no quota and no owner
        check, its network must exist (any tenant's). A drawn MAC that collides is
        drawn again under a savepoint, so the caller's transaction goes on. Raises
        NetworkNotFound, InvalidInput, IpAddressInUse, IpAddressGenerationFailure,
        MacAddressGenerationFailure."""
        network, has_subnets, _ = self._network(s, item.network_id, "admin", "", None)
        self._check_fixed_ips_count(item.fixed_ips)
        for _ in range(self.mac_retries):
            mac = item.mac_address or random_mac(self.base_mac)
            try:
                return self._insert_port(
                    s, replace(item, mac_address=mac), network, has_subnets
                )
            except exc.MacAddressInUse:
                if item.mac_address:
                    raise
        raise exc.MacAddressGenerationFailure(network_id=item.network_id)

    def set_device_in(
        self, s: Session, port_id: str, *, device_id: str, device_owner: str
    ) -> bool:
        """Give the port to a device if it has none (``device_id`` empty), in the
        caller's transaction: a conditional write, so of two callers one wins.
        False: the port holds a device (or is gone)."""
        changed = s.execute(
            update(PortRow)
            .where(PortRow.id == port_id, PortRow.device_id == "")
            .values(
                device_id=device_id,
                device_owner=device_owner,
                revision_number=PortRow.revision_number + 1,
                updated_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]  # NOTE: CursorResult at runtime
        return bool(changed)

    def delete_in(self, s: Session, port_id: str) -> None:
        """Delete a port the caller's service owns (a router's, a floating IP's),
        in its transaction: its addresses are released as any port's, the owner
        guard of ``/ports`` does not apply. A port already gone is no error."""
        row = s.get(PortRow, port_id)
        if row is not None:
            self._delete_row(s, row, plugged_too=True, guard=False)

    def _delete_row(
        self,
        s: Session,
        row: access.PortKey,
        *,
        plugged_too: bool,
        holds_ips: bool = True,
        guard: bool = True,
        revisions: Sequence[int] = (),
    ) -> int:
        """The one delete path of a port: the owner guard, its addresses held,
        the row gone; how many rows went (0: not ``plugged_too`` and a v1
        attachment is plugged, maybe since ``row`` was read). ``holds_ips`` False:
        the caller read, with ``row``, that the port holds no address (PERF: then
        neither the guard nor the hold has anything to read). ``revisions``: only
        at one of them (0 rows otherwise), in the DELETE itself."""
        if holds_ips:
            if (
                guard
                and row.device_owner in L3_OWNERS
                and s.scalar(
                    select(IpAllocationRow.ip_address)
                    .where(IpAllocationRow.port_id == row.id)
                    .limit(1)
                )
            ):
                raise exc.L3PortInUse(port_id=row.id, device_owner=row.device_owner)
            # NOTE: before the delete, whose cascade would free them at once.
            ipam.release_port_ips(s, row.id, self.ip_hold)
        query = _delete_port(plugged_too=plugged_too, conditional=bool(revisions))
        params: dict[str, Any] = {"port_id": row.id}
        if revisions:
            params["revisions"] = list(revisions)
        gone: int = execute_core(s, query, params).rowcount
        return gone

    # -- the v1 door: ports on the tenant's own network, and their attachment -----

    def list_on_network(self, tenant_id: str, network_id: str) -> Sequence[Port]:
        """The network's ports, oldest first. Raises NetworkNotFound."""

        def work(s: Session) -> builtins.list[Port]:
            # PERF: one prebuilt statement, read as tuples (the network check and
            # its ports: one round trip; no ORM rows for a read-only page).
            params = {"network_id": network_id, "tenant_id": tenant_id}
            rows = execute_core(s, _PORTS_ON_OWN_NETWORK, params).all()
            if not rows:
                raise exc.NetworkNotFound(network_id=network_id)
            return [port_of(row[1:]) for row in rows if row[1] is not None]

        return self.db.run(work, write=False)

    def get_on_network(self, tenant_id: str, network_id: str, port_id: str) -> Port:
        """Raises NetworkNotFound, PortNotFound."""
        return self.db.run(
            lambda s: access.port_on_network(
                s, tenant_id, network_id, port_id
            ).to_domain(),
            write=False,
        )

    def create_on_network(
        self, tenant_id: str, network_id: str, *, admin_state_up: bool
    ) -> Port:
        """An unplugged port on the tenant's network (``create_on_networks``)."""
        (port,) = self.create_on_networks(
            tenant_id, [network_id], admin_state_up=admin_state_up
        )
        return port

    def create_on_networks(
        self, tenant_id: str, network_ids: Sequence[str], *, admin_state_up: bool
    ) -> Sequence[Port]:
        """One unplugged port on each listed network of the tenant, all or none,
        through ``create`` (quota, addresses on the network's subnets). Raises
        NetworkNotFound naming the first network that is not the tenant's,
        OverQuota, MacAddressGenerationFailure.

        A v1 port is made without port security (and so without security
        groups): v1 plugs an interface id, and the VM behind it sends from whatever
        MAC and addresses it has, which the port never knew; the agents filter
        nothing on it, as before security groups. v2 may turn it on."""
        items = [
            PortCreate(
                tenant_id=tenant_id,
                network_id=net_id,
                admin_state_up=admin_state_up,
                port_security_enabled=False,
            )
            for net_id in network_ids
        ]
        return self._create(Scope(tenant_id=tenant_id), items, "owned", tenant_id)

    def set_state_on_network(
        self, tenant_id: str, network_id: str, port_id: str, *, admin_state_up: bool
    ) -> None:
        """Raises NetworkNotFound, PortNotFound."""

        def work(s: Session) -> None:
            row = access.port_on_network(s, tenant_id, network_id, port_id)
            row.admin_state_up = admin_state_up

        self.db.run(work, write=True)

    def delete_on_network(self, tenant_id: str, network_id: str, port_id: str) -> None:
        """Through the one delete path (owner guard, addresses held). Raises
        NetworkNotFound, PortNotFound, PortInUse (the port has an attachment),
        L3PortInUse."""

        def work(s: Session) -> None:
            row, holds_ips = access.port_on_network_holding(
                s, tenant_id, network_id, port_id
            )
            if row.attachment is not None or not self._delete_row(
                s, row, plugged_too=False, holds_ips=holds_ips
            ):
                raise self._in_use(s, tenant_id, network_id, port_id)

        self.db.run(work, write=True)

    @staticmethod
    def _in_use(
        s: Session, tenant_id: str, network_id: str, port_id: str
    ) -> exc.QuantumError:
        """Why a conditional write on an unplugged port matched nothing: re-read it
        as committed now (a concurrent delete shows as not found)."""
        s.expire_all()
        row = access.port_on_network(s, tenant_id, network_id, port_id)
        return exc.PortInUse(
            network_id=network_id, port_id=port_id, attachment_id=row.attachment
        )

    def plug(
        self, tenant_id: str, network_id: str, port_id: str, attachment_id: str
    ) -> None:
        """Plug an interface id into the port.

        Raises NetworkNotFound, PortNotFound, PortInUse (the port already holds an
        attachment, whichever), AlreadyAttached (the id is plugged into another port
        anywhere in the service; AttachedToAnotherTenant, which names no port, when
        that port is another tenant's), checked in that order.
        """

        def work(s: Session) -> None:
            row = access.port_on_network(s, tenant_id, network_id, port_id)
            if row.attachment is not None:
                raise exc.PortInUse(
                    network_id=network_id, port_id=port_id, attachment_id=row.attachment
                )
            plugged = s.execute(
                update(PortRow)
                .where(PortRow.id == port_id, PortRow.attachment.is_(None))
                .values(attachment=attachment_id)
            ).rowcount  # type: ignore[attr-defined]  # NOTE: CursorResult at runtime
            if not plugged:
                raise self._in_use(s, tenant_id, network_id, port_id)

        try:
            self.db.run(work, write=True)
        except IntegrityError:
            # NOTE: the unique index refused the id: another port holds it, plugged
            # before us or concurrently. Name that port, unless it is another
            # tenant's (PERF: no pre-check query).
            holder = self.db.run(
                lambda s: s.scalars(
                    select(PortRow).where(PortRow.attachment == attachment_id)
                ).one_or_none(),
                write=False,
            )
            if holder is not None and holder.tenant_id != tenant_id:
                raise exc.AttachedToAnotherTenant(
                    network_id=network_id, port_id=port_id, attachment_id=attachment_id
                ) from None
            raise exc.AlreadyAttached(
                network_id=network_id,
                port_id=port_id,
                attachment_id=attachment_id,
                attached_port_id=holder.id if holder else "(unplugged since)",
            ) from None

    def unplug(self, tenant_id: str, network_id: str, port_id: str) -> None:
        """Unplug; a no-op on an empty port. Raises NetworkNotFound, PortNotFound."""

        def work(s: Session) -> None:
            row = access.port_on_network(s, tenant_id, network_id, port_id)
            row.attachment = None
            row.status = OpStatus.DOWN
            # NOTE: the VIF is gone; wherever it is plugged next may wire the port.
            row.binding_host_id = ""

        self.db.run(work, write=True)
