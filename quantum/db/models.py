# SPDX-License-Identifier: Apache-2.0
"""ORM tables of the logical model. Change them only together with a migration."""

from __future__ import annotations

import dataclasses
import functools
import json
import operator
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from ipaddress import ip_address
from types import MappingProxyType
from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    false,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    declared_attr,
    mapped_column,
)
from sqlalchemy.types import TypeEngine

from quantum.core.agents import AGENT_TYPE_MAX, HOST_MAX
from quantum.core.networks import Network, NetworkSegment, NetworkType
from quantum.core.ports import ADMIN_DOWN_REASON, Port
from quantum.core.routers import (
    ExternalGatewayInfo,
    FloatingIP,
    Route,
    Router,
    RouterStatus,
)
from quantum.core.rows import RowShape
from quantum.core.security_groups import (
    AllowedAddressPair,
    Direction,
    EtherType,
    SecurityGroupRule,
)
from quantum.core.status import OpStatus
from quantum.core.subnets import FixedIP
from quantum.core.text import DESCRIPTION_MAX, TAG_MAX

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# NOTE: identifiers compare exactly (case, trailing blanks) on every back-end; on MySQL
# that needs a binary NO PAD collation, as the default one folds case.
MYSQL_TABLE_OPTIONS = {
    "engine": "InnoDB",
    "charset": "utf8mb4",
    "collate": "utf8mb4_nopad_bin",
}
"""The options every table has on MySQL and MariaDB (the migrations create them so).

PERF (memory): not in each table's ``__table_args__``: SQLAlchemy checks ``mysql_*``
arguments against its MySQL dialect, which it imports for that (20 modules, ~1 MiB
in every worker) into a server on SQLite or PostgreSQL too. ``with_mysql_options``
gives them to the tables where DDL is written (the migrations' environment)."""


def with_mysql_options(metadata: MetaData) -> MetaData:
    """A copy of ``metadata`` with ``MYSQL_TABLE_OPTIONS`` on every table (what
    Alembic's autogenerate compares the schema with); imports SQLAlchemy's MySQL
    dialect."""
    copy = MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.sorted_tables:
        table.to_metadata(copy).dialect_options["mysql"].update(MYSQL_TABLE_OPTIONS)
    return copy


class Timestamp(TypeDecorator[datetime]):
    """A ``DateTime``, kept to the microsecond on MySQL and MariaDB too
    (``DATETIME(6)``; their plain ``DATETIME`` drops the fraction).

    PERF (memory): not ``DateTime().with_variant(mysql.DATETIME(fsp=6), ...)``,
    whose ``mysql.DATETIME`` imports SQLAlchemy's whole MySQL dialect (see
    ``MYSQL_TABLE_OPTIONS``); it is imported here only when the server's own
    dialect is MySQL's, which has loaded it already."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            from sqlalchemy.dialects import mysql  # noqa: PLC0415  # NOTE: see above

            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_uuid() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class StandardAttributes:
    """Columns every standard-attribute resource has (networks, subnets, ports):
    ``description``, ``created_at``/``updated_at`` and ``revision_number``, which
    the ORM bumps in the UPDATE of every change to the row (``version_id_col``:
    ``UPDATE ... SET revision_number = N + 1 WHERE id = ... AND revision_number = N``,
    so of two writers that read N, exactly one commits; ``Database.run`` runs the
    other again), setting ``updated_at`` with it (``onupdate``). Tags are rows of
    the resource's own tag table (``NetworkTagRow`` ...)."""

    description: Mapped[str] = mapped_column(
        String(DESCRIPTION_MAX), default="", server_default=""
    )
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, onupdate=utcnow)
    """None until the first change (then it shows ``created_at``)."""
    revision_number: Mapped[int] = mapped_column(
        BigInteger, default=0, server_default="0"
    )
    tags: Mapped[str | None] = mapped_column(Text)
    """The tags, sorted, as a JSON list (NULL: none), written with the tag table's
    rows in one transaction. PERF: so an item is still read in one statement; the
    tag table is what filters and keeps a tag on an item once."""

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.revision_number}


class _Tag:
    """A tag on one resource: (``resource_id``, ``tag``) is the primary key, so a
    tag is on a resource at most once however many write it; the tags go with
    their resource (cascade). One table per resource type, so that cascade holds."""

    tag: Mapped[str] = mapped_column(String(TAG_MAX), primary_key=True)


class NetworkTagRow(_Tag, Base):
    __tablename__ = "network_tags"
    __table_args__ = (Index("ix_network_tags_tag", "tag"),)

    resource_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True
    )


class SubnetTagRow(_Tag, Base):
    __tablename__ = "subnet_tags"
    __table_args__ = (Index("ix_subnet_tags_tag", "tag"),)

    resource_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("subnets.id", ondelete="CASCADE"), primary_key=True
    )


class PortTagRow(_Tag, Base):
    __tablename__ = "port_tags"
    __table_args__ = (Index("ix_port_tags_tag", "tag"),)

    resource_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("ports.id", ondelete="CASCADE"), primary_key=True
    )


def standard(row: StandardAttributes) -> dict[str, Any]:
    """The standard attributes of a row, as keyword arguments of its domain item."""
    return {
        "description": row.description,
        "created_at": row.created_at,
        "updated_at": row.updated_at or row.created_at,
        "revision_number": row.revision_number,
        "tags": tuple(json.loads(row.tags)) if row.tags else (),
    }


class NetworkRow(StandardAttributes, Base):
    __tablename__ = "networks"
    __table_args__ = (
        # NOTE: keyset pages of one tenant's networks walk this index.
        Index("ix_networks_tenant_id_id", "tenant_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    shared: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    router_external: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    port_security_enabled: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=true()
    )
    """What its new ports have unless told (migration 0018)."""

    def to_domain(
        self,
        ports: tuple[Port, ...] | None = None,
        segment: NetworkSegment | None = None,
    ) -> Network:
        return network_of(network_values(self), ports, segment)


NETWORK_FIELDS = (
    "id",
    "tenant_id",
    "name",
    "status",
    "admin_state_up",
    "shared",
    "router_external",
    "port_security_enabled",
    "description",
    "created_at",
    "updated_at",
    "revision_number",
    "tags",
)
"""The columns of ``networks`` a network is made of, in the order ``network_of``
takes them (a read selects them as such: PERF: rows as tuples, no ORM entity)."""

network_values: Callable[[NetworkRow], tuple[Any, ...]] = operator.attrgetter(
    *NETWORK_FIELDS
)
"""An ORM row's values in ``NETWORK_FIELDS`` order."""


def network_of(
    values: Sequence[Any],
    ports: tuple[Port, ...] | None = None,
    segment: NetworkSegment | None = None,
    subnets: tuple[str, ...] = (),
    mtu: int | None = None,
) -> Network:
    """The domain network of a row's values in ``NETWORK_FIELDS`` order."""
    (
        id_,
        tenant_id,
        name,
        status,
        admin_state_up,
        shared,
        router_external,
        port_security_enabled,
        description,
        created_at,
        updated_at,
        revision_number,
        tags,
    ) = values
    return Network(
        id=id_,
        tenant_id=tenant_id,
        name=name,
        status=OpStatus(status),
        admin_state_up=admin_state_up,
        ports=ports,
        shared=shared,
        router_external=router_external,
        port_security_enabled=port_security_enabled,
        segment=segment,
        subnets=subnets,
        mtu=mtu,
        description=description,
        created_at=created_at,
        updated_at=updated_at or created_at,
        revision_number=revision_number,
        tags=_texts(tags) if tags else (),
    )


class PortRow(StandardAttributes, Base):
    __tablename__ = "ports"
    __table_args__ = (
        # NOTE: the unique index is what keeps MACs unique per network under
        # concurrent creates (a v1 port without a MAC is NULL, which may repeat).
        Index(
            "uq_ports_network_id_mac_address", "network_id", "mac_address", unique=True
        ),
        Index("ix_ports_tenant_id_id", "tenant_id", "id"),
        Index("ix_ports_device_id", "device_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # NOTE: no cascade: a network is deleted only once its ports are, so a port
    # committed after the delete counted them makes the delete fail instead of
    # vanishing with the network (migration 0007).
    network_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("networks.id"), index=True
    )
    tenant_id: Mapped[str] = mapped_column(String(255))
    admin_state_up: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    # NOTE: UNIQUE is what makes "one port per attachment id, service-wide" hold under
    # concurrent plugs; NULL (unplugged) may repeat.
    attachment: Mapped[str | None] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    mac_address: Mapped[str | None] = mapped_column(String(17))
    device_id: Mapped[str] = mapped_column(String(255), default="", server_default="")
    device_owner: Mapped[str] = mapped_column(
        String(255), default="", server_default=""
    )
    binding_host_id: Mapped[str] = mapped_column(
        String(255), default="", server_default=""
    )
    binding_profile: Mapped[str | None] = mapped_column(Text)
    """A JSON object (NULL: ``{}``)."""
    status_reason: Mapped[str] = mapped_column(
        String(255), default="", server_default=""
    )
    """Why the port is DOWN, as the agent that last reported it said."""
    port_security_enabled: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=true()
    )
    security_groups: Mapped[str | None] = mapped_column(Text)
    """Its groups' ids, sorted, as a JSON list (NULL: none), written with its rows
    of ``securitygroupportbindings`` in one transaction. PERF: as ``tags``, so a
    port is still read in one statement; the binding rows are what keep a group
    in use from going (migration 0018)."""
    allowed_address_pairs: Mapped[str | None] = mapped_column(Text)
    """A JSON list of ``[ip_address, mac_address]`` (NULL: none)."""
    dhcp_provisioning: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    """The port waits for a DHCP agent of its network to have its host entry in
    place: until one reports it, an agent's UP makes it PROVISIONING (v2 ``BUILD``),
    not UP (``plugins.dhcp.provisioning``; migration 0021)."""
    quota_limit: Mapped[int | None] = mapped_column(Integer)
    """NULL in every stored row. MariaDB: the port limit a create asks the
    ``ports_quota`` insert trigger to enforce for the tenant when it has no
    override (the configured default; NULL: none to enforce), which the trigger
    clears (migration 0027)."""

    def to_domain(self, fixed_ips: tuple[FixedIP, ...] = ()) -> Port:
        return port_of(port_values(self), fixed_ips)


PORT_FIELDS = (
    "id",
    "network_id",
    "tenant_id",
    "admin_state_up",
    "status",
    "attachment",
    "name",
    "mac_address",
    "device_id",
    "device_owner",
    "binding_host_id",
    "binding_profile",
    "status_reason",
    "description",
    "created_at",
    "updated_at",
    "revision_number",
    "tags",
    "port_security_enabled",
    "security_groups",
    "allowed_address_pairs",
)
"""The columns of ``ports`` a port is made of, in the order ``port_of`` takes them
(a listing selects them as such: PERF: rows as tuples, no ORM entity)."""

port_values: Callable[[PortRow], tuple[Any, ...]] = operator.attrgetter(*PORT_FIELDS)
"""An ORM row's values in ``PORT_FIELDS`` order."""

PORT_HOST = PORT_FIELDS.index("binding_host_id")
PORT_STATUS = PORT_FIELDS.index("status")


@functools.lru_cache(maxsize=4096)
def _texts(stored: str) -> tuple[str, ...]:
    """A stored JSON list of texts (tags, group ids), parsed. PERF: a page's ports
    mostly share them (every port in the tenant's default group): parsed once."""
    return tuple(json.loads(stored))


@functools.lru_cache(maxsize=4096)
def _pairs(stored: str) -> tuple[AllowedAddressPair, ...]:
    return tuple(
        AllowedAddressPair(ip_address=ip, mac_address=mac)
        for ip, mac in json.loads(stored)
    )


_STATUSES: dict[str, OpStatus] = {status.value: status for status in OpStatus}
"""PERF: a stored status's member by a dict lookup (``OpStatus(text)`` is an enum
call: a tenth of a long list's time went there)."""


T = TypeVar("T")


def _slot_maker(kind: type[T]) -> Callable[..., T]:
    """A constructor of the frozen, slotted dataclass ``kind`` that sets every
    field through its slot, keyword arguments only, all required.

    PERF: a dataclass's own ``__init__`` binds its keyword arguments against their
    defaults and sets each field by a frozen ``object.__setattr__``: a fifth of a
    listed port's time, 1,000 times per list. Only for a class without
    ``__post_init__`` (nothing else runs in its ``__init__``)."""
    names = [f.name for f in dataclasses.fields(kind)]  # type: ignore[arg-type]
    if hasattr(kind, "__post_init__") or any(n.startswith("_") for n in names):
        raise TypeError(f"{kind.__name__}: no plain frozen dataclass")
    namespace: dict[str, Any] = {"new": object.__new__, "kind": kind}
    lines = []
    for name in names:
        namespace[f"set_{name}"] = kind.__dict__[name].__set__
        lines.append(f"    set_{name}(item, {name})\n")
    exec(  # noqa: S102
        f"def make(*, {', '.join(names)}):\n    item = new(kind)\n"
        + "".join(lines)
        + "    return item\n",
        namespace,
    )
    return namespace["make"]  # type: ignore[no-any-return]


_port = _slot_maker(Port)
"""``Port(...)``, every field given (``port_of``)."""


def dead_agent_reason(host: str, last_seen: datetime) -> str:
    """A port's ``status_reason`` while its bound host's agent is dead."""
    return (
        f"the agent of host {host} is not alive (last report "
        f"{last_seen:%Y-%m-%d %H:%M:%S} UTC): the status is its last report; "
        "later changes are not applied yet"
    )


NO_DEAD_AGENTS: Mapping[str, datetime] = MappingProxyType({})
"""``port_of``'s ``dead`` when no agent is dead."""

PORT_SHAPE = RowShape(
    columns=PORT_FIELDS,
    extras=("fixed_ips",),
    page=("dead",),
    attrs={
        "id": "id",
        "network_id": "network_id",
        "tenant_id": "tenant_id",
        "admin_state_up": "admin_state_up",
        # NOTE: a port that is administratively down is operationally down,
        # whatever an agent last reported; one whose bound host's agent is dead
        # shows what that agent last reported, even administratively down
        # (nobody applied that), with a status_reason saying since when nobody
        # confirmed it: the host may well still forward.
        "status": "(_STATUSES.get(status) or _OpStatus(status)) if admin_state_up"
        " or (dead and binding_host_id in dead) else _DOWN",
        "attachment": "attachment",
        "name": "name",
        "mac_address": "mac_address",
        "device_id": "device_id",
        "device_owner": "device_owner",
        "binding_host_id": "binding_host_id",
        "binding_profile": "_loads(binding_profile) if binding_profile else {}",
        "status_reason": "(status_reason if admin_state_up else _ADMIN_DOWN_REASON)"
        " if not dead or binding_host_id not in dead"
        " else _dead_reason(binding_host_id, dead[binding_host_id])",
        "fixed_ips": "fixed_ips",
        "description": "description",
        "created_at": "created_at",
        "updated_at": "updated_at or created_at",
        "revision_number": "revision_number",
        "tags": "_texts(tags) if tags else ()",
        "security_groups": "_texts(security_groups) if security_groups else ()",
        "port_security_enabled": "port_security_enabled",
        "allowed_address_pairs": "_pairs(allowed_address_pairs)"
        " if allowed_address_pairs else ()",
    },
    namespace={
        "_STATUSES": _STATUSES,
        "_OpStatus": OpStatus,
        "_DOWN": OpStatus.DOWN,
        "_ADMIN_DOWN_REASON": ADMIN_DOWN_REASON,
        "_dead_reason": dead_agent_reason,
        "_loads": json.loads,
        "_texts": _texts,
        "_pairs": _pairs,
        "_NO_DEAD": NO_DEAD_AGENTS,
    },
    plain=frozenset({"status_reason", "binding_profile", "tags", "security_groups"}),
)
"""A port of its row's values (``PORT_FIELDS``), its fixed IPs and the hosts
whose agents are dead (host -> last report), as expressions: what ``port_of``
computes, and what a list renders each port's attributes from
(``PortStore.list_page``)."""

port_of: Callable[..., Port] = PORT_SHAPE.maker(
    _port, {"fixed_ips": "()", "dead": "_NO_DEAD"}
)
"""``port_of(values, fixed_ips=(), dead=NO_DEAD_AGENTS)``: the domain port of a
row's values in ``PORT_FIELDS`` order (``PORT_SHAPE``)."""


# -- segments (the Open vSwitch plugin) ---------------------------------------------

PHYSNET_MAX = 64
"""Longest physical network name."""


class NetworkSegmentRow(Base):
    """Where each network lives on the wire; gone with its network (cascade)."""

    __tablename__ = "network_segments"

    network_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True
    )
    network_type: Mapped[str] = mapped_column(String(16))
    physical_network: Mapped[str | None] = mapped_column(String(PHYSNET_MAX))
    segmentation_id: Mapped[int | None] = mapped_column(BigInteger)

    def to_domain(self) -> NetworkSegment:
        return NetworkSegment(
            network_id=self.network_id,
            network_type=NetworkType(self.network_type),
            physical_network=self.physical_network,
            segmentation_id=self.segmentation_id,
        )


# NOTE: ``network_segments.physical_network`` is NULL for tunnels, and NULLs never
# collide in a UNIQUE constraint on any back-end. So an id in use is a row here, its
# NOT NULL primary key is what stops two networks sharing it, and the row goes with
# its network (cascade), which frees the id in the same transaction as the delete.


class VlanAllocationRow(Base):
    """A VLAN id in use on a physical network."""

    __tablename__ = "vlan_allocations"

    physical_network: Mapped[str] = mapped_column(String(PHYSNET_MAX), primary_key=True)
    vlan_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    network_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("networks.id", ondelete="CASCADE"), index=True
    )


class TunnelAllocationRow(Base):
    """A tunnel key in use. GRE and VXLAN share the key space, so a key names one
    network whichever encapsulation carries it."""

    __tablename__ = "tunnel_allocations"

    tunnel_id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False
    )
    network_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("networks.id", ondelete="CASCADE"), index=True
    )


# -- agents and the change feed -------------------------------------------------------

REVISION_ROW_ID = 1
"""The id of the one row of ``store_revision``."""


class StoreRevisionRow(Base):
    """The store's revision: one row, bumped by every write transaction that changes
    desired state, so agents (and any server process) can tell "something changed
    since N" with one indexed read. The row lock serialises the bumps, so committed
    revisions grow strictly in commit order on every back-end."""

    __tablename__ = "store_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(BigInteger)
    topics: Mapped[str | None] = mapped_column(String(255), nullable=True)
    """SQLite, MariaDB: the last bump's topics, ",networks,ports," (NULL: none),
    which a trigger stamps with its revision (migration 0025)."""


class StoreTopicRow(Base):
    """The revision of the last write to each change-feed topic
    (``quantum.core.feed.Topic``; migration 0012): an agent kind waits for the
    greatest of its topics' to pass the revision it knows."""

    __tablename__ = "store_topics"

    topic: Mapped[str] = mapped_column(String(32), primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)


class AgentHostRow(Base):
    """An agent that has phoned home: its host, its type (one host runs one agent
    of each type, migration 0014), its tunnel endpoint and last heartbeat."""

    __tablename__ = "agent_hosts"

    agent_type: Mapped[str] = mapped_column(String(AGENT_TYPE_MAX), primary_key=True)
    host: Mapped[str] = mapped_column(String(HOST_MAX), primary_key=True)
    binary: Mapped[str] = mapped_column(String(AGENT_TYPE_MAX))
    id: Mapped[str] = mapped_column(String(36), unique=True, default=new_uuid)
    """The agent's id in ``/v2.0/agents`` (migration 0008)."""
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    tunnel_ip: Mapped[str | None] = mapped_column(String(64))
    tunnel_types: Mapped[str] = mapped_column(String(64))
    """Comma-separated ``gre``/``vxlan``, sorted; empty when tunnelling is off."""
    agent_version: Mapped[str] = mapped_column(String(64))
    last_seen: Mapped[datetime] = mapped_column(Timestamp, index=True)
    admin_state_up: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=true()
    )
    """Off: an administrator took the host out of scheduling (migration 0011)."""
    description: Mapped[str] = mapped_column(String(255), default="", server_default="")
    configurations: Mapped[str | None] = mapped_column(Text)
    """What the agent last reported of its configuration, a JSON object."""


class NetworkDhcpAgentRow(Base):
    """A network scheduled to a DHCP agent (migration 0015): the agent serves it.
    Goes with its network and with its agent (cascade)."""

    __tablename__ = "network_dhcp_agents"

    network_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("networks.id", ondelete="CASCADE"), primary_key=True
    )
    agent_id: Mapped[str] = mapped_column(
        String(36),
        ForeignKey("agent_hosts.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )


# -- quotas (v2) ------------------------------------------------------------------


class QuotaRow(Base):
    """A tenant's limit for one resource, overriding the configured default."""

    __tablename__ = "quotas"

    tenant_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    resource: Mapped[str] = mapped_column(String(64), primary_key=True)
    hard_limit: Mapped[int] = mapped_column(Integer)


class QuotaLockRow(Base):
    """One row per tenant that has created something under quota: a create locks
    it (an upsert) at the end of its transaction, before counting (PostgreSQL: at
    its COMMIT, ``QuotaCheckRow``), so concurrent creates of one tenant count one
    after the other and never overshoot the limit together (not on SQLite, whose
    writers are one at a time anyway)."""

    __tablename__ = "quota_locks"

    tenant_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    creates: Mapped[int] = mapped_column(BigInteger, default=0)


class QuotaCheckRow(Base):
    """PostgreSQL: a count a create's transaction leaves to its COMMIT. A deferred
    constraint trigger (migration 0024, ``quantum_quota_check``) checks each row
    as the transaction commits, after the store revision's bump: it locks the
    tenant's quota_locks row, counts ``counted_table`` rows whose
    ``counted_column`` is the tenant (its own new ones included) in a snapshot
    taken after that lock, compares with the tenant's override as committed (or
    ``hard_limit``, the configured default), deletes the row and raises
    SQLSTATE ``QQ001`` (``OverQuota``) if the count is above the limit. Empty on
    SQLite and MariaDB, whose creates count in their own statements."""

    __tablename__ = "quota_checks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(64))
    counted_table: Mapped[str] = mapped_column(String(64))
    counted_column: Mapped[str] = mapped_column(String(64))
    hard_limit: Mapped[int] = mapped_column(Integer)


# -- subnets and IP allocations -------------------------------------------------------

IP_MAX = 64
"""Widest IP address or CIDR text (IPv6 with prefix fits in 43)."""


class SubnetRow(StandardAttributes, Base):
    """A subnet; its pools, DNS servers and routes go with it (cascade)."""

    __tablename__ = "subnets"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    network_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("networks.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    ip_version: Mapped[int] = mapped_column(Integer)
    cidr: Mapped[str] = mapped_column(String(IP_MAX))
    gateway_ip: Mapped[str | None] = mapped_column(String(IP_MAX))
    enable_dhcp: Mapped[bool] = mapped_column(Boolean)
    ipv6_ra_mode: Mapped[str | None] = mapped_column(String(16))
    """``core.subnets.IPV6_MODES`` or NULL (migration 0016)."""
    ipv6_address_mode: Mapped[str | None] = mapped_column(String(16))


class AllocationPoolRow(Base):
    __tablename__ = "subnet_allocation_pools"

    subnet_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("subnets.id", ondelete="CASCADE"), primary_key=True
    )
    first_ip: Mapped[str] = mapped_column(String(IP_MAX), primary_key=True)
    last_ip: Mapped[str] = mapped_column(String(IP_MAX))


class DnsNameserverRow(Base):
    __tablename__ = "subnet_dns_nameservers"

    subnet_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("subnets.id", ondelete="CASCADE"), primary_key=True
    )
    address: Mapped[str] = mapped_column(String(IP_MAX), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class HostRouteRow(Base):
    __tablename__ = "subnet_host_routes"

    subnet_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("subnets.id", ondelete="CASCADE"), primary_key=True
    )
    destination: Mapped[str] = mapped_column(String(IP_MAX), primary_key=True)
    nexthop: Mapped[str] = mapped_column(String(IP_MAX), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class IpAllocationRow(Base):
    """An address in use on a subnet: by a port, or held after its release until
    ``expiration`` (``port_id`` NULL). The primary key is what keeps two ports from
    getting one address, however many servers allocate at once."""

    __tablename__ = "ip_allocations"

    subnet_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("subnets.id", ondelete="CASCADE"), primary_key=True
    )
    ip_address: Mapped[str] = mapped_column(String(IP_MAX), primary_key=True)
    network_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("networks.id", ondelete="CASCADE"), index=True
    )
    port_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("ports.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer, default=0)
    """Order of the address among its port's fixed IPs."""
    expiration: Mapped[datetime | None] = mapped_column(Timestamp)
    """When a held address (no port) may be handed out again."""
    lease_expires_at: Mapped[datetime | None] = mapped_column(Timestamp)
    """When the address's DHCP lease ends, as a DHCP agent last reported it from
    dnsmasq (NULL: none reported); a release holds the address at least until then
    (``quantum.ipam.store.record_leases``; migration 0022)."""


# -- routers and floating IPs (the L3 service plugin, migration 0013) ---------------


class RouterRow(StandardAttributes, Base):
    """A router. Its gateway port (``gw_port_id``) cannot be deleted under it, nor
    can the router while an interface or a floating IP names it (no cascades):
    whatever commits first, the other side's write fails instead of vanishing."""

    __tablename__ = "routers"
    __table_args__ = (Index("ix_routers_tenant_id_id", "tenant_id", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    status: Mapped[str] = mapped_column(String(16))
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    gw_port_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("ports.id"), unique=True
    )
    enable_snat: Mapped[bool] = mapped_column(
        Boolean, default=True, server_default=true()
    )

    def to_domain(
        self, gw_network_id: str | None, routes: tuple[Route, ...] = ()
    ) -> Router:
        return Router(
            id=self.id,
            tenant_id=self.tenant_id,
            name=self.name,
            status=RouterStatus(self.status),
            admin_state_up=self.admin_state_up,
            external_gateway_info=(
                None
                if gw_network_id is None
                else ExternalGatewayInfo(
                    network_id=gw_network_id, enable_snat=self.enable_snat
                )
            ),
            gw_port_id=self.gw_port_id,
            routes=routes,
            **standard(self),
        )


class RouterTagRow(_Tag, Base):
    __tablename__ = "router_tags"
    __table_args__ = (Index("ix_router_tags_tag", "tag"),)

    resource_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("routers.id", ondelete="CASCADE"), primary_key=True
    )


class RouterInterfaceRow(Base):
    """A router's interface: its port (owned ``network:router_interface``) on one
    of its subnets. ``(router_id, subnet_id)`` is unique, so a router has one
    interface per subnet however many add one at once; neither the port, the
    subnet nor the router can go while the row is there (no cascades)."""

    __tablename__ = "router_interfaces"
    __table_args__ = (
        Index(
            "uq_router_interfaces_router_id_subnet_id",
            "router_id",
            "subnet_id",
            unique=True,
        ),
    )

    port_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("ports.id"), primary_key=True
    )
    router_id: Mapped[str] = mapped_column(String(36), ForeignKey("routers.id"))
    subnet_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("subnets.id"), index=True
    )


class RouterRouteRow(Base):
    """An extra route of a router (``extraroute``); gone with it."""

    __tablename__ = "router_routes"

    router_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("routers.id", ondelete="CASCADE"), primary_key=True
    )
    destination: Mapped[str] = mapped_column(String(IP_MAX), primary_key=True)
    nexthop: Mapped[str] = mapped_column(String(IP_MAX), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)


class FloatingIpRow(StandardAttributes, Base):
    """A floating IP: its own port on the external network (``floating_port_id``,
    owned ``network:floatingip``) and, when associated, the internal port, its
    fixed IP and the router between them.

    Deleting the internal port sets ``fixed_port_id`` NULL (the association is gone
    with it; ``fixed_ip_address`` and ``router_id`` then mean nothing and are not
    shown). One (external network, port, fixed IP) has one floating IP: a unique
    key, so of two concurrent associations one fails."""

    __tablename__ = "floatingips"
    __table_args__ = (
        Index("ix_floatingips_tenant_id_id", "tenant_id", "id"),
        Index(
            "uq_floatingips_floating_network_id_fixed_port_id",
            "floating_network_id",
            "fixed_port_id",
            "fixed_ip_address",
            unique=True,
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(255))
    floating_network_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("networks.id")
    )
    floating_port_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("ports.id"), unique=True
    )
    floating_ip_address: Mapped[str] = mapped_column(String(IP_MAX))
    fixed_port_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("ports.id", ondelete="SET NULL"), index=True
    )
    fixed_ip_address: Mapped[str | None] = mapped_column(String(IP_MAX))
    router_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("routers.id"), index=True
    )

    def to_domain(self) -> FloatingIP:
        associated = self.fixed_port_id is not None
        return FloatingIP(
            id=self.id,
            tenant_id=self.tenant_id,
            floating_network_id=self.floating_network_id,
            floating_ip_address=ip_address(self.floating_ip_address),
            floating_port_id=self.floating_port_id,
            port_id=self.fixed_port_id,
            fixed_ip_address=(
                ip_address(self.fixed_ip_address)
                if associated and self.fixed_ip_address
                else None
            ),
            router_id=self.router_id if associated else None,
            **standard(self),
        )


class FloatingIpTagRow(_Tag, Base):
    __tablename__ = "floatingip_tags"
    __table_args__ = (Index("ix_floatingip_tags_tag", "tag"),)

    resource_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("floatingips.id", ondelete="CASCADE"), primary_key=True
    )


# -- free address ranges (IPAM, migration 0017) -------------------------------------


class IpAvailabilityRow(Base):
    """A run of free pool addresses of a subnet, ``first_key``..``last_key``: what
    makes picking the lowest free address cost the same in an empty subnet and a full
    one (``quantum.ipam.store``).

    Keys are addresses as 32 lowercase hex digits, so that text order is address order
    on every back-end (an IPv6 address needs 128 bits, more than any integer column
    of SQLite). Ranges of a subnet are disjoint; the key is the last address because
    taking the lowest address of a range changes only ``first_key``. A released
    address still held (``ip_allocations.expiration``) is a range of its own with
    ``available_at`` its expiration; every other range has ``available_at`` NULL.
    """

    __tablename__ = "ip_availability_ranges"

    subnet_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("subnets.id", ondelete="CASCADE"), primary_key=True
    )
    last_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    first_key: Mapped[str] = mapped_column(String(32))
    available_at: Mapped[datetime | None] = mapped_column(Timestamp)


# -- security groups (spec §5.5; migration 0018) -------------------------------------


class SecurityGroupRow(Base):
    """A tenant's security group; its rules go with it (cascade), and so do other
    groups' rules naming it as their remote group."""

    __tablename__ = "securitygroups"
    __table_args__ = (Index("ix_securitygroups_tenant_id_id", "tenant_id", "id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    description: Mapped[str] = mapped_column(
        String(DESCRIPTION_MAX), default="", server_default=""
    )
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class DefaultSecurityGroupRow(Base):
    """A tenant's ``default`` group: the primary key is what makes it one per
    tenant however many first uses race; the group cannot go while this row names
    it (no cascade)."""

    __tablename__ = "default_security_groups"

    tenant_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    security_group_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("securitygroups.id"), unique=True
    )


class SecurityGroupRuleRow(Base):
    """A rule of a group. ``rule_key`` (``core.security_groups.rule_key``) is
    unique per group: of two identical rules created at once, one commits."""

    __tablename__ = "securitygrouprules"
    __table_args__ = (
        Index(
            "uq_securitygrouprules_security_group_id_rule_key",
            "security_group_id",
            "rule_key",
            unique=True,
        ),
        Index("ix_securitygrouprules_tenant_id_id", "tenant_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(255))
    security_group_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("securitygroups.id", ondelete="CASCADE")
    )
    remote_group_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("securitygroups.id", ondelete="CASCADE"), index=True
    )
    direction: Mapped[str] = mapped_column(String(16))
    ethertype: Mapped[str] = mapped_column(String(8))
    protocol: Mapped[str | None] = mapped_column(String(40))
    port_range_min: Mapped[int | None] = mapped_column(Integer)
    port_range_max: Mapped[int | None] = mapped_column(Integer)
    remote_ip_prefix: Mapped[str | None] = mapped_column(String(IP_MAX))
    description: Mapped[str] = mapped_column(
        String(DESCRIPTION_MAX), default="", server_default=""
    )
    rule_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Order among the rules made in one transaction (a new group's own)."""

    def to_domain(self) -> SecurityGroupRule:
        return SecurityGroupRule(
            id=self.id,
            tenant_id=self.tenant_id,
            security_group_id=self.security_group_id,
            direction=Direction(self.direction),
            ethertype=EtherType(self.ethertype),
            protocol=self.protocol,
            port_range_min=self.port_range_min,
            port_range_max=self.port_range_max,
            remote_ip_prefix=self.remote_ip_prefix,
            remote_group_id=self.remote_group_id,
            description=self.description,
        )


class SecurityGroupPortBindingRow(Base):
    """A port in a group. The foreign key to the group (no cascade) is what keeps
    a group a port is in from being deleted, and a port from joining a group
    being deleted, whichever commits first; the rows go with their port."""

    __tablename__ = "securitygroupportbindings"

    port_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("ports.id", ondelete="CASCADE"), primary_key=True
    )
    security_group_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("securitygroups.id"), primary_key=True, index=True
    )


# -- L3 agents' routers (the L3 agent kind, issue 14) --------------------------------


class RouterL3AgentBindingRow(Base):
    """The L3 agent that runs a router: one per router (the primary key), gone
    with the router or the agent (``quantum.plugins.l3.hosting``)."""

    __tablename__ = "router_l3_agent_bindings"

    router_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("routers.id", ondelete="CASCADE"), primary_key=True
    )
    l3_agent_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("agent_hosts.id", ondelete="CASCADE"), index=True
    )


# -- load balancing (the LBaaS service plugin, spec §5.10; migration 0023) -----------


class _LbObject:
    """What every load-balancing object has: its tenant, its state and the status an
    agent will report (``status_description``: why, not shown yet)."""

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(255))
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16))
    status_description: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class LbPoolRow(_LbObject, Base):
    """A pool; its members, monitor associations and stats go with it (cascade),
    but not while a VIP names it (no cascade from ``lb_vips.pool_id``)."""

    __tablename__ = "lb_pools"
    __table_args__ = (Index("ix_lb_pools_tenant_id_id", "tenant_id", "id"),)

    name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    description: Mapped[str] = mapped_column(
        String(DESCRIPTION_MAX), default="", server_default=""
    )
    subnet_id: Mapped[str] = mapped_column(String(36))
    protocol: Mapped[str] = mapped_column(String(8))
    lb_method: Mapped[str] = mapped_column(String(32))


class LbVipRow(_LbObject, Base):
    """A VIP: its port (owned ``quantum:LOADBALANCER``) and the one pool it sends
    to. ``pool_id`` is unique, so of VIPs made at once for one pool one commits;
    neither the pool nor the port can go while the VIP names them."""

    __tablename__ = "lb_vips"
    __table_args__ = (Index("ix_lb_vips_tenant_id_id", "tenant_id", "id"),)

    name: Mapped[str] = mapped_column(String(255), default="", server_default="")
    description: Mapped[str] = mapped_column(
        String(DESCRIPTION_MAX), default="", server_default=""
    )
    subnet_id: Mapped[str] = mapped_column(String(36))
    address: Mapped[str] = mapped_column(String(IP_MAX))
    port_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("ports.id"), unique=True
    )
    protocol_port: Mapped[int] = mapped_column(Integer)
    protocol: Mapped[str] = mapped_column(String(8))
    pool_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("lb_pools.id"), unique=True
    )
    persistence_type: Mapped[str | None] = mapped_column(String(16))
    cookie_name: Mapped[str | None] = mapped_column(String(1024))
    connection_limit: Mapped[int] = mapped_column(Integer, default=-1)


class LbMemberRow(_LbObject, Base):
    """A member of a pool; gone with it."""

    __tablename__ = "lb_members"
    __table_args__ = (Index("ix_lb_members_tenant_id_id", "tenant_id", "id"),)

    pool_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("lb_pools.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str] = mapped_column(String(IP_MAX))
    protocol_port: Mapped[int] = mapped_column(Integer)
    weight: Mapped[int] = mapped_column(Integer, default=1)


class LbHealthMonitorRow(_LbObject, Base):
    __tablename__ = "lb_health_monitors"
    __table_args__ = (Index("ix_lb_health_monitors_tenant_id_id", "tenant_id", "id"),)

    type: Mapped[str] = mapped_column(String(8))
    delay: Mapped[int] = mapped_column(Integer)
    timeout: Mapped[int] = mapped_column(Integer)
    max_retries: Mapped[int] = mapped_column(Integer)
    http_method: Mapped[str] = mapped_column(String(16), default="GET")
    url_path: Mapped[str] = mapped_column(String(255), default="/")
    expected_codes: Mapped[str] = mapped_column(String(64), default="200")


class LbPoolMonitorRow(Base):
    """A health monitor associated with a pool (the key: at most once); gone with
    either."""

    __tablename__ = "lb_pool_monitors"

    pool_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("lb_pools.id", ondelete="CASCADE"), primary_key=True
    )
    monitor_id: Mapped[str] = mapped_column(
        String(36),
        ForeignKey("lb_health_monitors.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    )
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class LbPoolStatsRow(Base):
    """A pool's traffic as an agent last reported it (none reported: no row)."""

    __tablename__ = "lb_pool_stats"

    pool_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("lb_pools.id", ondelete="CASCADE"), primary_key=True
    )
    bytes_in: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_out: Mapped[int] = mapped_column(BigInteger, default=0)
    active_connections: Mapped[int] = mapped_column(BigInteger, default=0)
    total_connections: Mapped[int] = mapped_column(BigInteger, default=0)
