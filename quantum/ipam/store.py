# SPDX-License-Identifier: Apache-2.0
"""IPAM in the store: subnets and IP allocations, inside the caller's transaction.

Every function takes the ``Session`` of a ``Database.run`` transaction and never
commits; a raised error rolls everything back. The arithmetic is
``quantum.ipam.allocate`` (pure); this module loads what is in use and writes what it
decided. Invariants under concurrency:

* **One address, one holder.** ``ip_allocations``' primary key is (subnet, address);
  every allocation inserts under it (no savepoint: SQLite and InnoDB undo only the
  failed statement, PostgreSQL's INSERT does nothing on a taken address), so a taken
  address is refused whatever else says it is free. An exhausted subnet is
  ``IpAddressGenerationFailure`` (409).
* **The lowest free address, at a cost independent of the fill.** The free pool
  addresses of a subnet are kept as ranges (``ip_availability_ranges``), written in
  the same transaction as the allocations: allocation locks the subnet's lowest
  available range (``FOR UPDATE``), takes its first address and shrinks it; a specific
  address locks the range holding it, then splits it; a release adds the address back
  as a range of its own, available when its hold expires. Concurrent allocations on one
  subnet queue on that range row, as they queued before on the one lowest address.
  A range never claims an address that is not free in ``ip_allocations``; if it ever
  did (the primary key refuses it), the address is dropped from the range and the
  next one tried. A one-port create reads the lowest range with its network,
  unlocked, and takes it by a write that matches only while the range still starts
  where it was read (``allocate_seen``); one that misses goes the locking way.
  Every writer of ``ip_allocations`` goes through this module.
* **No allocation on a deleted subnet.** Allocation reads the network's subnets with a
  key-share lock; subnet delete takes the row lock before it looks for allocations, so
  one of the two waits for the other and sees its result.
* **No overlapping CIDRs.** Subnet creates that could overlap are serialised: on the
  store revision row (every write's last lock anyway) when CIDRs must be unique
  service-wide, on the network row when only within a network
  (``allow_overlapping_ips``). SQLite serialises every writer already.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from ipaddress import ip_address, ip_network
from typing import Any, Protocol

from sqlalchemy import (
    CTE,
    BigInteger,
    ColumnElement,
    Integer,
    String,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import Grouping

from quantum.core import exceptions as exc
from quantum.core.dhcp import DhcpLease as Lease
from quantum.core.ports import AddressOnNetwork, AnyAddress, FixedIPRequest
from quantum.core.subnets import (
    AUTOCONFIGURED,
    AllocationPool,
    FixedIP,
    HostRoute,
    IPAddress,
    IPNetwork,
    Subnet,
)
from quantum.core.workingset import WorkingSet
from quantum.db.conditional import stale
from quantum.db.models import (
    REVISION_ROW_ID,
    AllocationPoolRow,
    DnsNameserverRow,
    HostRouteRow,
    IpAllocationRow,
    IpAvailabilityRow,
    NetworkRow,
    PortRow,
    StoreRevisionRow,
    SubnetRow,
    standard,
    utcnow,
)
from quantum.db.session import execute_core, signalled
from quantum.ipam import allocate
from quantum.ipam.requests import Limits, SubnetUpdate

# -- subnets --------------------------------------------------------------------------

_SUBNETS = SubnetRow.__table__
_ALLOCATIONS = IpAllocationRow.__table__


def load_subnets(s: Session, rows: Sequence[SubnetRow]) -> list[Subnet]:
    """The subnets of ``rows`` with their pools, DNS servers and routes (one query
    per child table, whatever the number of rows)."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    pools: dict[str, list[AllocationPool]] = defaultdict(list)
    for p in s.scalars(
        select(AllocationPoolRow).where(AllocationPoolRow.subnet_id.in_(ids))
    ):
        pools[p.subnet_id].append(
            AllocationPool(start=ip_address(p.first_ip), end=ip_address(p.last_ip))
        )
    dns: dict[str, list[IPAddress]] = defaultdict(list)
    for d in s.scalars(
        select(DnsNameserverRow)
        .where(DnsNameserverRow.subnet_id.in_(ids))
        .order_by(DnsNameserverRow.position)
    ):
        dns[d.subnet_id].append(ip_address(d.address))
    routes: dict[str, list[HostRoute]] = defaultdict(list)
    for r in s.scalars(
        select(HostRouteRow)
        .where(HostRouteRow.subnet_id.in_(ids))
        .order_by(HostRouteRow.position)
    ):
        routes[r.subnet_id].append(
            HostRoute(
                destination=ip_network(r.destination), nexthop=ip_address(r.nexthop)
            )
        )
    shared = dict(
        s.execute(
            select(NetworkRow.id, NetworkRow.shared).where(
                NetworkRow.id.in_({row.network_id for row in rows})
            )
        ).all()
    )
    return [
        Subnet(
            id=row.id,
            tenant_id=row.tenant_id,
            network_id=row.network_id,
            name=row.name,
            cidr=ip_network(row.cidr),
            gateway_ip=ip_address(row.gateway_ip) if row.gateway_ip else None,
            allocation_pools=tuple(
                sorted(pools.get(row.id, ()), key=lambda p: int(p.start))
            ),
            dns_nameservers=tuple(dns.get(row.id, ())),
            host_routes=tuple(routes.get(row.id, ())),
            enable_dhcp=row.enable_dhcp,
            ipv6_ra_mode=row.ipv6_ra_mode,
            ipv6_address_mode=row.ipv6_address_mode,
            shared=bool(shared.get(row.network_id, False)),
            **standard(row),
        )
        for row in rows
    ]


_SUBNET_IDS_OF = (
    select(SubnetRow.__table__.c.network_id, SubnetRow.__table__.c.id)
    .where(SubnetRow.__table__.c.network_id.in_(bindparam("networks", expanding=True)))
    .order_by(SubnetRow.__table__.c.created_at, SubnetRow.__table__.c.id)
)
"""The subnets of some networks, built once (PERF: run as Core, no ORM step)."""


def subnet_ids_of(s: Session, network_ids: Collection[str]) -> dict[str, list[str]]:
    """Each network's subnet ids, in creation order (the network's ``subnets``)."""
    found: dict[str, list[str]] = {network_id: [] for network_id in network_ids}
    if not found:
        return found
    for network_id, subnet_id in execute_core(
        s, _SUBNET_IDS_OF, {"networks": list(found)}
    ):
        found[network_id].append(subnet_id)
    return found


def _subnet_row(s: Session, subnet_id: str, *, lock: bool = False) -> SubnetRow:
    query = select(SubnetRow).where(SubnetRow.id == subnet_id)
    if lock:
        query = query.with_for_update()
    row = s.scalars(query).one_or_none()
    if row is None:
        raise exc.SubnetNotFound(subnet_id=subnet_id)
    return row


def get_subnet(s: Session, subnet_id: str) -> Subnet:
    """Raises SubnetNotFound."""
    return load_subnets(s, [_subnet_row(s, subnet_id)])[0]


def _network_subnets(s: Session, network_id: str) -> list[Subnet]:
    """The network's subnets with their pools, oldest first, key-share locked
    against their delete; DNS servers and routes are not loaded (allocation needs
    neither).

    PERF: one statement (subnets joined with their pools) on every port create.
    """
    rows = s.execute(
        select(
            SubnetRow.id,
            SubnetRow.tenant_id,
            SubnetRow.name,
            SubnetRow.cidr,
            SubnetRow.gateway_ip,
            SubnetRow.enable_dhcp,
            SubnetRow.ipv6_ra_mode,
            SubnetRow.ipv6_address_mode,
            AllocationPoolRow.first_ip,
            AllocationPoolRow.last_ip,
        )
        .outerjoin(AllocationPoolRow, AllocationPoolRow.subnet_id == SubnetRow.id)
        .where(SubnetRow.network_id == network_id)
        .order_by(SubnetRow.created_at, SubnetRow.id)
        .with_for_update(read=True, key_share=True, of=SubnetRow)
    ).all()
    found: dict[str, Subnet] = {}
    pools: dict[str, list[AllocationPool]] = defaultdict(list)
    for subnet_id, tenant_id, name, cidr, gateway, dhcp, ra, mode, first, last in rows:
        if subnet_id not in found:
            found[subnet_id] = Subnet(
                id=subnet_id,
                tenant_id=tenant_id,
                network_id=network_id,
                name=name,
                cidr=ip_network(cidr),
                gateway_ip=ip_address(gateway) if gateway else None,
                allocation_pools=(),
                enable_dhcp=dhcp,
                ipv6_ra_mode=ra,
                ipv6_address_mode=mode,
            )
        if first is not None:
            pools[subnet_id].append(
                AllocationPool(start=ip_address(first), end=ip_address(last))
            )
    return [
        replace(
            subnet,
            allocation_pools=tuple(
                sorted(pools.get(subnet.id, ()), key=lambda p: int(p.start))
            ),
        )
        for subnet in found.values()
    ]


_INSERT_POOLS = insert(AllocationPoolRow)
_INSERT_DNS = insert(DnsNameserverRow)
_INSERT_ROUTES = insert(HostRouteRow)
_INSERT_SUBNET = insert(SubnetRow)
_NETWORK_KEY_SHARED = (
    select(NetworkRow.__table__.c.id)
    .where(NetworkRow.__table__.c.id == bindparam("network"))
    .with_for_update(key_share=True)
)
_NETWORK_THERE = select(NetworkRow.__table__.c.id).where(
    NetworkRow.__table__.c.id == bindparam("network")
)
_LOCK_REVISION = (
    select(StoreRevisionRow.__table__.c.id)
    .where(StoreRevisionRow.__table__.c.id == REVISION_ROW_ID)
    .with_for_update()
)
_CIDRS = select(_SUBNETS.c.cidr).where(_SUBNETS.c.ip_version == bindparam("version"))
_NETWORK_CIDRS = _CIDRS.where(_SUBNETS.c.network_id == bindparam("network"))
"""A subnet create's statements, built once (PERF: run as Core; all of a create
runs inside SQLite's one write lock)."""


def _write_children(s: Session, subnet: Subnet, *, pools: bool) -> None:
    if pools and subnet.allocation_pools:
        execute_core(
            s,
            _INSERT_POOLS,
            [
                {
                    "subnet_id": subnet.id,
                    "first_ip": str(p.start),
                    "last_ip": str(p.end),
                }
                for p in subnet.allocation_pools
            ],
        )
    if subnet.dns_nameservers:
        execute_core(
            s,
            _INSERT_DNS,
            [
                {"subnet_id": subnet.id, "address": str(a), "position": i}
                for i, a in enumerate(subnet.dns_nameservers)
            ],
        )
    if subnet.host_routes:
        execute_core(
            s,
            _INSERT_ROUTES,
            [
                {
                    "subnet_id": subnet.id,
                    "destination": str(r.destination),
                    "nexthop": str(r.nexthop),
                    "position": i,
                }
                for i, r in enumerate(subnet.host_routes)
            ],
        )


def create_subnet(s: Session, subnet: Subnet, *, allow_overlapping_ips: bool) -> Subnet:
    """Store a planned subnet (``allocate.plan_subnet``).

    Raises NetworkNotFound, or InvalidInput when its CIDR overlaps another subnet's:
    any subnet of any network, or only the same network's with
    ``allow_overlapping_ips``. The message names only the requested CIDR and
    network, never the subnet it overlaps (it may be another tenant's).

    PERF: prebuilt statements, run as Core.
    """
    params: dict[str, Any] = {
        "network": subnet.network_id,
        "version": subnet.ip_version,
    }
    if allow_overlapping_ips:
        network = execute_core(s, _NETWORK_KEY_SHARED, params).scalar()
        scope = _NETWORK_CIDRS
    else:
        execute_core(s, _LOCK_REVISION)
        network = execute_core(s, _NETWORK_THERE, params).scalar()
        scope = _CIDRS
    if network is None:
        raise exc.NetworkNotFound(network_id=subnet.network_id)
    if _overlaps(subnet.cidr, execute_core(s, scope, params).scalars()):
        # NOTE: the original's words, which clients (tempest) match to try the next
        # range; the other subnet may be another tenant's, so it is never named.
        raise exc.InvalidInput(
            reason=f"Requested subnet with cidr: {subnet.cidr} for network: "
            f"{subnet.network_id} overlaps with another subnet"
        )
    created = utcnow()
    try:
        execute_core(
            s,
            _INSERT_SUBNET,
            {
                "id": subnet.id,
                "tenant_id": subnet.tenant_id,
                "network_id": subnet.network_id,
                "name": subnet.name,
                "ip_version": subnet.ip_version,
                "cidr": str(subnet.cidr),
                "gateway_ip": str(subnet.gateway_ip) if subnet.gateway_ip else None,
                "enable_dhcp": subnet.enable_dhcp,
                "ipv6_ra_mode": subnet.ipv6_ra_mode,
                "ipv6_address_mode": subnet.ipv6_address_mode,
                "created_at": created,
                "updated_at": None,
                # NOTE: what the ORM's version counter starts at (db.models).
                "revision_number": 1,
                "description": subnet.description,
                "tags": None,
            },
        )
    except IntegrityError:
        # NOTE: the network was deleted after we looked (its row lock made us wait).
        raise exc.NetworkNotFound(network_id=subnet.network_id) from None
    _write_children(s, subnet, pools=True)
    _add_ranges(
        s,
        subnet.id,
        [(int(p.start), int(p.end), None) for p in subnet.allocation_pools],
    )
    return replace(
        subnet,
        description=subnet.description,
        created_at=created,
        updated_at=created,
        revision_number=1,
        tags=(),
    )


def _overlaps(cidr: IPNetwork, stored: Iterable[str]) -> bool:
    """Whether ``cidr`` shares an address with one of the ``stored`` CIDRs (of
    its IP version). PERF: as integer bounds, each stored CIDR's cached."""
    first = int(cidr.network_address)
    last = int(cidr.broadcast_address)
    for text in stored:
        low, high = _stored_bounds(text)
        if low <= last and first <= high:
            return True
    return False


def update_subnet(
    s: Session,
    subnet_id: str,
    change: SubnetUpdate,
    limits: Limits,
    *,
    authorize: Callable[[Subnet], None] | None = None,
) -> Subnet:
    """Apply ``change`` (checked as on create). Raises SubnetNotFound, InvalidInput,
    GatewayConflictWithAllocationPools and the DNS/route limit errors; and what
    ``authorize`` raises, called with the subnet as it is before anything changes."""
    row = _subnet_row(s, subnet_id, lock=True)
    before = load_subnets(s, [row])[0]
    if authorize is not None:
        authorize(before)
    after = allocate.apply_update(before, change, limits)
    if after.enable_dhcp and not before.enable_dhcp:
        _check_room_for_dhcp(s, after)
    if not after.enable_dhcp and (after.ipv6_ra_mode or after.ipv6_address_mode):
        raise exc.InvalidInput(
            reason="ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp "
            "is set to False"
        )
    row.name = after.name
    row.gateway_ip = str(after.gateway_ip) if after.gateway_ip else None
    row.enable_dhcp = after.enable_dhcp
    row.description = after.description
    if after != before:
        # NOTE: also when only its DNS servers or routes change (other tables):
        # the row's UPDATE is what bumps revision_number (quantum.db.models).
        row.updated_at = utcnow()
    if after.dns_nameservers != before.dns_nameservers:
        s.execute(
            delete(DnsNameserverRow).where(DnsNameserverRow.subnet_id == subnet_id)
        )
    if after.host_routes != before.host_routes:
        s.execute(delete(HostRouteRow).where(HostRouteRow.subnet_id == subnet_id))
    _write_children(
        s,
        Subnet(
            id=after.id,
            tenant_id=after.tenant_id,
            network_id=after.network_id,
            name=after.name,
            cidr=after.cidr,
            gateway_ip=after.gateway_ip,
            allocation_pools=(),
            dns_nameservers=(
                after.dns_nameservers
                if after.dns_nameservers != before.dns_nameservers
                else ()
            ),
            host_routes=(
                after.host_routes if after.host_routes != before.host_routes else ()
            ),
        ),
        pools=False,
    )
    s.flush()
    return replace(after, **standard(row))


def _check_room_for_dhcp(s: Session, subnet: Subnet) -> None:
    """DHCP turned on needs an address for the DHCP port: a subnet whose pools are
    full refuses it (IpAddressGenerationFailure), and nothing changes. An
    autoconfigured (SLAAC) subnet needs none from its pools."""
    if subnet.autoconfigured:
        return
    if _available(s, subnet.id, utcnow()) is None:
        raise exc.IpAddressGenerationFailure(network_id=subnet.network_id)


_SUBNET_FOR_DELETE = (
    select(
        _SUBNETS.c.tenant_id,
        _SUBNETS.c.network_id,
        _SUBNETS.c.cidr,
        _SUBNETS.c.ipv6_address_mode,
        _SUBNETS.c.ipv6_ra_mode,
    )
    .where(_SUBNETS.c.id == bindparam("subnet"))
    .with_for_update()
)
_OWN_SUBNET_FOR_DELETE = _SUBNET_FOR_DELETE.where(
    _SUBNETS.c.tenant_id == bindparam("owner")
)
_DELETE_HELD = delete(IpAllocationRow).where(
    _ALLOCATIONS.c.subnet_id == bindparam("subnet"), _ALLOCATIONS.c.port_id.is_(None)
)
_RELEASED_PORTS = select(_ALLOCATIONS.c.port_id).where(
    _ALLOCATIONS.c.subnet_id == bindparam("subnet"),
    _ALLOCATIONS.c.port_id.in_(bindparam("ports", expanding=True)),
)
_DELETE_RELEASED = delete(IpAllocationRow).where(
    _ALLOCATIONS.c.subnet_id == bindparam("subnet"),
    _ALLOCATIONS.c.port_id.in_(bindparam("ports", expanding=True)),
)
_ALLOCATIONS_LEFT = (
    select(func.count())
    .select_from(_ALLOCATIONS)
    .where(_ALLOCATIONS.c.subnet_id == bindparam("subnet"))
)
_DELETE_SUBNET = delete(SubnetRow).where(_SUBNETS.c.id == bindparam("subnet"))
_DELETE_SUBNET_AT = _DELETE_SUBNET.where(
    _SUBNETS.c.revision_number.in_(bindparam("revisions", expanding=True))
)
"""A subnet delete's statements, built once (PERF: run as Core; every statement
of a delete runs inside SQLite's one write lock)."""


def subnet_for_delete(s: Session, subnet_id: str, owner: str | None = None) -> Any:
    """The subnet's (tenant_id, network_id, cidr, ipv6_address_mode,
    ipv6_ra_mode), its row locked (``FOR UPDATE``) against allocations on it
    (``delete_subnet``); with ``owner``, only if it is that tenant's. Raises
    SubnetNotFound."""
    if owner is None:
        found = execute_core(s, _SUBNET_FOR_DELETE, {"subnet": subnet_id})
    else:
        found = execute_core(
            s, _OWN_SUBNET_FOR_DELETE, {"subnet": subnet_id, "owner": owner}
        )
    row = found.one_or_none()
    if row is None:
        raise exc.SubnetNotFound(subnet_id=subnet_id)
    return row


def delete_subnet(
    s: Session,
    subnet_id: str,
    *,
    releasable_ports: Collection[str] = (),
    never_automatic: Collection[str] = (),
    revisions: Sequence[int] = (),
    locked: Any = None,
) -> list[str]:
    """Delete a subnet whose addresses are only held, belong to
    ``releasable_ports`` (the network's DHCP ports) or, on an autoconfigured
    (SLAAC, DHCPv6-stateless) subnet, are a port's automatic address (the EUI-64
    of its MAC) and its device owner is not one of ``never_automatic`` (a
    router's); their allocations go with it, and the ports that lost one get a
    new revision (``updated_at`` too); with ``revisions``, only at one of them, in
    the DELETE itself. Returns the ids of the ports that lost an address.
    ``locked``: what ``subnet_for_delete`` returned in this transaction, if the
    caller read it already.

    Race-free: the subnet's row is locked first, and every allocation on it takes
    a share lock on that row (``_network_subnets``), so the allocations read here
    are all there will be.

    PERF: prebuilt statements, run as Core.

    Raises SubnetNotFound, SubnetInUse (and deletes nothing),
    RevisionNumberConstraintFailed.
    """
    row = subnet_for_delete(s, subnet_id) if locked is None else locked
    params: dict[str, Any] = {"subnet": subnet_id}
    execute_core(s, _DELETE_HELD, params)
    released = list(releasable_ports)
    if (row.ipv6_address_mode or row.ipv6_ra_mode) in AUTOCONFIGURED:
        cidr = ip_network(row.cidr)
        held = s.execute(
            select(
                IpAllocationRow.port_id,
                IpAllocationRow.ip_address,
                PortRow.mac_address,
                PortRow.device_owner,
            )
            .join(PortRow, PortRow.id == IpAllocationRow.port_id)
            .where(IpAllocationRow.subnet_id == subnet_id)
        ).all()
        for port_id, address, mac, owner in held:
            if port_id is None or port_id in releasable_ports:
                continue
            if (
                owner in never_automatic
                or not mac
                or ip_address(address) != allocate.eui64(cidr, mac)
            ):
                raise exc.SubnetInUse(subnet_id=subnet_id)
            released.append(port_id)
    lost: list[str] = []
    if released:
        released_params = {"subnet": subnet_id, "ports": released}
        lost = list(execute_core(s, _RELEASED_PORTS, released_params).scalars())
        execute_core(s, _DELETE_RELEASED, released_params)
    if execute_core(s, _ALLOCATIONS_LEFT, params).scalar():
        raise exc.SubnetInUse(subnet_id=subnet_id)
    if revisions:
        query = execute_core(
            s, _DELETE_SUBNET_AT, {"subnet": subnet_id, "revisions": list(revisions)}
        )
    else:
        query = execute_core(s, _DELETE_SUBNET, params)
    if revisions and not query.rowcount:
        raise stale(s, SubnetRow, subnet_id, revisions) or exc.SubnetNotFound(
            subnet_id=subnet_id
        )
    if lost:
        # NOTE: their fixed_ips changed: a new revision, as any change of a port.
        s.execute(
            update(PortRow)
            .where(PortRow.id.in_(sorted(set(lost))))
            .values(revision_number=PortRow.revision_number + 1, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    return sorted(set(lost))


# -- allocations ----------------------------------------------------------------------


def _recycle(
    s: Session, subnet_id: str, addresses: Iterable[str], now: datetime
) -> None:
    s.execute(
        delete(IpAllocationRow).where(
            IpAllocationRow.subnet_id == subnet_id,
            IpAllocationRow.ip_address.in_(list(addresses)),
            IpAllocationRow.port_id.is_(None),
            IpAllocationRow.expiration <= now,
        )
    )


# -- free ranges ----------------------------------------------------------------------

_Range = tuple[int, int, datetime | None]
"""First and last address of a free range, and when it is available (a hold's)."""


_INSERT_RANGE = insert(IpAvailabilityRow)
"""Free ranges' INSERT, built once (PERF: run as Core)."""


def _add_ranges(s: Session, subnet_id: str, ranges: Sequence[_Range]) -> None:
    if ranges:
        execute_core(
            s,
            _INSERT_RANGE,
            [
                {
                    "subnet_id": subnet_id,
                    "first_key": allocate.address_key(first),
                    "last_key": allocate.address_key(last),
                    "available_at": available_at,
                }
                for first, last, available_at in ranges
            ],
        )


def _available(s: Session, subnet_id: str, now: datetime) -> str | None:
    """A free range of the subnet available now (its key; not locked), or None."""
    return s.scalar(
        select(IpAvailabilityRow.last_key)
        .where(
            IpAvailabilityRow.subnet_id == subnet_id,
            or_(
                IpAvailabilityRow.available_at.is_(None),
                IpAvailabilityRow.available_at <= now,
            ),
        )
        .limit(1)
    )


def _lowest_range(s: Session, subnet_id: str, now: datetime) -> _Range | None:
    """The subnet's lowest available range, locked; None when there is none."""
    available = (
        IpAvailabilityRow.subnet_id == subnet_id,
        or_(
            IpAvailabilityRow.available_at.is_(None),
            IpAvailabilityRow.available_at <= now,
        ),
    )
    while True:
        row = s.execute(
            select(
                IpAvailabilityRow.first_key,
                IpAvailabilityRow.last_key,
                IpAvailabilityRow.available_at,
            )
            .where(*available)
            .order_by(IpAvailabilityRow.last_key)
            .limit(1)
            .with_for_update()
        ).first()
        if row is not None:
            return int(row[0], 16), int(row[1], 16), row[2]
        # NOTE: PostgreSQL answers nothing when the row it waited for was deleted
        # meanwhile (it does not look further); look again without a lock.
        if (
            s.get_bind().dialect.name != "postgresql"
            or _available(s, subnet_id, now) is None
        ):
            return None


def _range_holding(s: Session, subnet_id: str, value: int) -> _Range | None:
    """The range holding address ``value``, locked; None when it is in none."""
    for _ in range(2):
        row = s.execute(
            select(
                IpAvailabilityRow.first_key,
                IpAvailabilityRow.last_key,
                IpAvailabilityRow.available_at,
            )
            .where(
                IpAvailabilityRow.subnet_id == subnet_id,
                IpAvailabilityRow.last_key >= allocate.address_key(value),
            )
            .order_by(IpAvailabilityRow.last_key)
            .limit(1)
            .with_for_update()
        ).first()
        if row is None:
            return None
        first, last = int(row[0], 16), int(row[1], 16)
        if first <= value:
            return first, last, row[2]
        if s.get_bind().dialect.name != "postgresql":
            return None
        # NOTE: on PostgreSQL the range may have been split while we waited for it
        # (we get its upper part); the second look sees the committed split.
    return None


def _carve(s: Session, subnet_id: str, taken: _Range, value: int) -> None:
    """Take address ``value`` out of the (locked) range ``taken``."""
    first, last, available_at = taken
    where = (
        IpAvailabilityRow.subnet_id == subnet_id,
        IpAvailabilityRow.last_key == allocate.address_key(last),
    )
    if first == last:
        s.execute(delete(IpAvailabilityRow).where(*where))
    elif value == last:
        s.execute(
            update(IpAvailabilityRow)
            .where(*where)
            .values(last_key=allocate.address_key(value - 1))
        )
    else:
        s.execute(
            update(IpAvailabilityRow)
            .where(*where)
            .values(first_key=allocate.address_key(value + 1))
        )
        if value > first:
            _add_ranges(s, subnet_id, [(first, value - 1, available_at)])


class _SubnetKey(Protocol):
    """What allocating on a subnet needs of it (a ``Subnet``, a ``SeenSubnet``)."""

    @property
    def id(self) -> str: ...
    @property
    def network_id(self) -> str: ...
    @property
    def ip_version(self) -> int: ...


_ALLOCATION: dict[str, Any] = {
    name: bindparam(name)
    for name in ("subnet_id", "ip_address", "network_id", "port_id", "position")
}


@functools.cache
def _insert_allocation(dialect: str) -> Any:
    """An allocation's INSERT, built once; on PostgreSQL an address already in
    ``ip_allocations`` inserts nothing (rowcount 0) instead of failing."""
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql  # NOTE: PERF, see claim_ctes

        return (
            postgresql.insert(IpAllocationRow)
            .values(_ALLOCATION)
            .on_conflict_do_nothing(index_elements=["subnet_id", "ip_address"])
        )
    return insert(IpAllocationRow).values(_ALLOCATION)


def _claim(
    s: Session, subnet: _SubnetKey, address: IPAddress, port_id: str, position: int
) -> bool:
    """Insert the allocation; False if the address is taken (now or concurrently)."""
    dialect = s.get_bind().dialect.name
    params = {
        "subnet_id": subnet.id,
        "ip_address": str(address),
        "network_id": subnet.network_id,
        "port_id": port_id,
        "position": position,
    }
    try:
        # PERF: no savepoint (two more statements): SQLite and InnoDB undo just
        # the failed statement and keep the transaction; PostgreSQL's INSERT does
        # nothing on a taken address. A foreign key that fails still raises.
        inserted: int = execute_core(s, _insert_allocation(dialect), params).rowcount
    except IntegrityError:
        if dialect == "postgresql":
            raise
        return False
    return inserted == 1


def _claim_eui64(
    s: Session, subnet: Subnet, port_id: str, position: int
) -> IPAddress | None:
    """An autoconfigured (SLAAC) subnet: the address the port's MAC forms there.
    Its own earlier hold goes (a MAC is one port's on its network)."""
    mac = s.scalar(select(PortRow.mac_address).where(PortRow.id == port_id))
    if not mac:
        return None
    address = allocate.eui64(subnet.cidr, mac)
    # NOTE: the range first, as everywhere: the address leaves the free ranges too.
    holding = _range_holding(s, subnet.id, int(address))
    s.execute(
        delete(IpAllocationRow).where(
            IpAllocationRow.subnet_id == subnet.id,
            IpAllocationRow.ip_address == str(address),
            IpAllocationRow.port_id.is_(None),
        )
    )
    if not _claim(s, subnet, address, port_id, position):
        raise exc.IpAddressInUse(network_id=subnet.network_id, ip_address=str(address))
    if holding is not None:
        _carve(s, subnet.id, holding, int(address))
    return address


def _claim_any(
    s: Session, subnet: Subnet, port_id: str, position: int, now: datetime
) -> IPAddress | None:
    if subnet.autoconfigured:
        return _claim_eui64(s, subnet, port_id, position)
    while (free := _lowest_range(s, subnet.id, now)) is not None:
        value = free[0]
        address = allocate.as_address(value, subnet.ip_version)
        _carve(s, subnet.id, free, value)
        if free[2] is not None:
            # NOTE: a released address whose hold has expired: its row goes first.
            _recycle(s, subnet.id, [str(address)], now)
        if _claim(s, subnet, address, port_id, position):
            return address
        # NOTE: the range claimed a taken address; it no longer does.
    return None


def _claim_exactly(
    s: Session,
    subnet: Subnet,
    address: IPAddress,
    port_id: str,
    position: int,
    now: datetime,
) -> None:
    # NOTE: the range first, as _claim_any locks them: no deadlock between the two.
    holding = _range_holding(s, subnet.id, int(address))
    _recycle(s, subnet.id, [str(address)], now)
    if not _claim(s, subnet, address, port_id, position):
        raise exc.IpAddressInUse(network_id=subnet.network_id, ip_address=str(address))
    if holding is not None:
        _carve(s, subnet.id, holding, int(address))


def _allocate(
    s: Session,
    wanted: Sequence[tuple[Subnet, IPAddress | None]],
    port_id: str,
    first_position: int,
    now: datetime,
) -> list[FixedIP]:
    got = []
    for position, (subnet, address) in enumerate(wanted, start=first_position):
        if address is None:
            address = _claim_any(s, subnet, port_id, position, now)
            if address is None:
                raise exc.IpAddressGenerationFailure(network_id=subnet.network_id)
        else:
            _claim_exactly(s, subnet, address, port_id, position, now)
        got.append(FixedIP(subnet_id=subnet.id, ip_address=address))
    return got


def _resolve(
    s: Session,
    network_id: str,
    subnets: Sequence[Subnet],
    requests: Sequence[FixedIPRequest],
) -> list[tuple[Subnet, IPAddress | None]]:
    mine = {subnet.id for subnet in subnets}
    asked = {
        r.subnet_id for r in requests if not isinstance(r, AddressOnNetwork)
    } - mine
    elsewhere = (
        set(s.scalars(select(SubnetRow.id).where(SubnetRow.id.in_(list(asked)))))
        if asked
        else set()
    )
    return allocate.resolve(requests, subnets, network_id, elsewhere)


def allocate_port_ips(
    s: Session,
    network_id: str,
    port_id: str,
    requests: Sequence[FixedIPRequest] | None,
    *,
    now: datetime | None = None,
) -> tuple[FixedIP, ...]:
    """Give a new port its addresses (its row must be written already).

    ``requests`` None (``fixed_ips`` not given): one address from the first IPv4 subnet
    with room and one from the first IPv6 subnet with room. Every request is checked
    before anything is allocated. Raises SubnetNotFound, InvalidInput, IpAddressInUse,
    IpAddressGenerationFailure.
    """
    now = now or utcnow()
    subnets = _network_subnets(s, network_id)
    if requests is not None:
        wanted = _resolve(s, network_id, subnets, requests)
        return tuple(_allocate(s, wanted, port_id, 0, now))
    got: list[FixedIP] = []
    for version in (4, 6):
        family = [subnet for subnet in subnets if subnet.ip_version == version]
        for subnet in family:
            address = _claim_any(s, subnet, port_id, len(got), now)
            if address is not None:
                got.append(FixedIP(subnet_id=subnet.id, ip_address=address))
                break
        else:
            if family:
                raise exc.IpAddressGenerationFailure(network_id=network_id)
    return tuple(got)


@dataclass(frozen=True, slots=True, kw_only=True)
class SeenSubnet:
    """A subnet of a port's network as the create read it with its network, in
    its first statement: not locked (``allocate_seen``)."""

    id: str
    network_id: str
    ip_version: int
    autoconfigured: bool
    lowest: tuple[str, str] | None
    """Its lowest free range available now, as keys (first, last); None: none
    that is available now (full, or only held addresses)."""


def seen_subnets_of(network_id: str, rows: Iterable[Sequence[Any]]) -> list[SeenSubnet]:
    """``SeenSubnet``s of rows of (id, cidr, address mode, RA mode, lowest range's
    first key, its last key), oldest first, as a create's read gives them."""
    return [
        SeenSubnet(
            id=subnet_id,
            network_id=network_id,
            ip_version=6 if ":" in cidr else 4,
            autoconfigured=(mode or ra) in AUTOCONFIGURED,
            lowest=None if first is None else (first, last),
        )
        for subnet_id, cidr, mode, ra, first, last in rows
    ]


def allocate_seen(
    s: Session,
    port_id: str,
    subnets: Sequence[SeenSubnet],
    *,
    tried: Mapping[str, IPAddress | None] | None = None,
    now: datetime | None = None,
) -> tuple[FixedIP, ...]:
    """``allocate_port_ips`` without ``fixed_ips``, for a create that read its
    network's subnets and their lowest free ranges with its network (its port row
    written already). Raises IpAddressGenerationFailure.

    PERF: the range read is taken by one conditional write (its first address
    still the one read: the UPDATE, or the DELETE of a one-address range, matches
    a row), then the allocation's INSERT: two statements, however full the subnet.
    Only the first subnet of each family is tried so; a range that moved since
    the read (another create took it first, or its subnet went), or none seen,
    makes the rest go ``allocate_port_ips``' way on the subnets as they are then
    (locked), as does a network with an autoconfigured subnet.
    Race-free as ``_claim_any``: the write locks the range and matches only while
    its first address is the one read (READ COMMITTED re-reads it after a lock
    wait); the primary key still refuses a taken address; on PostgreSQL the write
    also key-share locks the subnet, as ``_network_subnets`` does, so a subnet
    delete waits for the allocation.

    ``tried``: subnets whose seen range the caller's own statement already tried
    to take (``seen_claims``), and the address it got (None: none).
    """
    now = now or utcnow()
    tried = tried or {}
    network_id = subnets[0].network_id
    if any(subnet.autoconfigured for subnet in subnets):
        return allocate_port_ips(s, network_id, port_id, None, now=now)
    got: list[FixedIP] = []
    fresh: list[Subnet] | None = None
    for version in (4, 6):
        family = [subnet for subnet in subnets if subnet.ip_version == version]
        address: IPAddress | None = None
        if family:
            first = family[0]
            if first.id in tried:
                address = tried[first.id]
            elif fresh is None:
                address = _claim_seen(s, first, port_id, len(got))
            if address is not None:
                got.append(FixedIP(subnet_id=first.id, ip_address=address))
                continue
            if fresh is None:
                # NOTE: from here on as allocate_port_ips, on the subnets as they
                # are now (locked against their delete).
                fresh = _network_subnets(s, network_id)
        if fresh is None:
            continue
        mine = [subnet for subnet in fresh if subnet.ip_version == version]
        for subnet in mine:
            address = _claim_any(s, subnet, port_id, len(got), now)
            if address is not None:
                got.append(FixedIP(subnet_id=subnet.id, ip_address=address))
                break
        else:
            if mine:
                raise exc.IpAddressGenerationFailure(network_id=network_id)
    return tuple(got)


@dataclass(frozen=True, slots=True)
class SeenClaim:
    """An address a create takes from the range it read, in a statement of its
    own making (PostgreSQL: with the port's INSERT, ``claim_ctes``)."""

    subnet: SeenSubnet
    address: IPAddress
    whole_range: bool
    """The range held only this address (it is deleted, not shrunk)."""


def seen_claims(subnets: Sequence[SeenSubnet]) -> list[SeenClaim] | None:
    """The address ``allocate_seen`` would try first in each family, if it may be
    taken in the caller's statement: the family's first subnet was seen with a
    free range, and no subnet is autoconfigured; None otherwise (an empty list:
    the network has no subnet)."""
    if any(subnet.autoconfigured for subnet in subnets):
        return None
    claims = []
    for version in (4, 6):
        family = [subnet for subnet in subnets if subnet.ip_version == version]
        if not family:
            continue
        first = family[0]
        if first.lowest is None:
            return None
        first_key, last_key = first.lowest
        value = int(first_key, 16)
        claims.append(
            SeenClaim(
                subnet=first,
                address=allocate.as_address(value, version),
                whole_range=first_key == last_key,
            )
        )
    return claims


def _next_key(key: Any) -> Any:
    """PostgreSQL: the key (``allocate.address_key``) of the address after
    ``key``'s, in SQL: its trailing ``f``s become ``0``s and the hex digit before
    them goes up by one (``key`` is never all ``f``s: a range's first key is
    below its last)."""
    body = func.rtrim(key, literal_column("'f'"), type_=String)
    length = func.length(body)
    digit = func.substr(body, length, 1, type_=String)
    return func.concat(
        func.substr(body, 1, length - 1, type_=String),
        func.translate(
            digit,
            literal_column("'0123456789abcde'"),
            literal_column("'123456789abcdef'"),
            type_=String,
        ),
        func.repeat(literal_column("'0'"), 32 - length, type_=String),
        type_=String,
    )


def _v4_before(key: Any) -> Any:
    """PostgreSQL: the text of the IPv4 address before the one ``key`` (an
    IPv4 address's ``allocate.address_key``, not 0) stands for."""
    from sqlalchemy.dialects.postgresql import BIT  # NOTE: PERF, see claim_ctes

    value = cast(
        cast(literal_column("'x'").concat(func.substr(key, 25, 8)), BIT(32)),
        BigInteger,
    )
    return func.host(literal_column("'0.0.0.0'::inet").op("+")(value - 1), type_=String)


def claim_ctes(
    shape: Sequence[tuple[bool, int]], port_id: ColumnElement[str]
) -> list[tuple[CTE, CTE]]:
    """PostgreSQL: per ``SeenClaim`` (``shape``: their ``whole_range`` and IP
    version), the write of its range and the allocation's INSERT for port
    ``port_id`` (a column of the caller's WITH), nothing on a taken address
    (returning the address when it was made). Parameters: ``claim_params``.

    A range of one address is deleted only while it is as read. A longer one is
    the range read (same subnet and last address, still available) as it is when
    the write gets its lock: its first address moves up by one, computed in SQL
    from what the row holds then, and the write returns the new first key. PERF:
    creates racing on one subnet each wait for the previous one's commit and then
    take the next address, instead of all but one missing the range as read and
    going the locking way (four more statements with the range locked: issue 16,
    port creates at c=8). On IPv4 the allocation is the address taken, its text
    computed in SQL too; on IPv6 only the one read (the new first key is
    ``next_key``), and the caller inserts another (``settle_claims``)."""
    # NOTE: imported here: PERF, the dialect package (all its drivers' modules,
    # 2 MiB) is loaded only by a process that uses PostgreSQL.
    from sqlalchemy.dialects import postgresql

    found = []
    for i, (whole, version) in enumerate(shape):
        where = [
            IpAvailabilityRow.subnet_id == bindparam(f"seen_subnet_{i}"),
            IpAvailabilityRow.last_key == bindparam(f"seen_last_{i}"),
            IpAvailabilityRow.available_at.is_(None),
            IpAvailabilityRow.subnet_id.in_(
                select(SubnetRow.id)
                .where(SubnetRow.id == bindparam(f"seen_subnet_{i}"))
                .with_for_update(read=True, key_share=True)
            ),
        ]
        write: Any = (
            delete(IpAvailabilityRow).where(
                *where, IpAvailabilityRow.first_key == bindparam(f"seen_first_{i}")
            )
            if whole
            else update(IpAvailabilityRow)
            .where(*where, IpAvailabilityRow.first_key < IpAvailabilityRow.last_key)
            .values(first_key=_next_key(IpAvailabilityRow.first_key))
        )
        taken = write.returning(IpAvailabilityRow.first_key).cte(f"taken_{i}")
        columns = ("subnet_id", "ip_address", "network_id", "port_id", "position")
        address: Any = bindparam(f"claim_address_{i}", type_=String)
        values = select(
            bindparam(f"claim_subnet_{i}", type_=String),
            address if whole or version != 4 else _v4_before(taken.c.first_key),
            bindparam(f"claim_network_{i}", type_=String),
            port_id,
            literal(i),
        ).select_from(taken.join(port_id.table, true()))
        if not whole and version != 4:
            values = values.where(
                taken.c.first_key == bindparam(f"next_key_{i}", type_=String)
            )
        claimed = (
            postgresql.insert(IpAllocationRow)
            .from_select(columns, values)
            .on_conflict_do_nothing(index_elements=["subnet_id", "ip_address"])
            .returning(IpAllocationRow.ip_address)
            .cte(f"claimed_{i}")
        )
        found.append((taken, claimed))
    return found


def settle_claims(
    s: Session,
    port_id: str,
    claims: Sequence[SeenClaim],
    outcome: Sequence[tuple[str | None, str | None]],
) -> dict[str, IPAddress | None]:
    """Per claim's subnet, the address the port got from ``claim_ctes``' write
    (None: none; nothing of it is written), given per claim the address its
    allocation was made with (None: none) and the range's first key after the
    write (None: the write matched nothing). An IPv6 address other than the one
    read (the range moved while the write waited for it) is inserted here, the
    range locked already."""
    tried: dict[str, IPAddress | None] = {}
    for i, (claim, (inserted, first_key)) in enumerate(
        zip(claims, outcome, strict=True)
    ):
        subnet = claim.subnet
        if inserted is not None:
            tried[subnet.id] = stored_address(inserted)
            continue
        tried[subnet.id] = None
        if first_key is None or claim.whole_range:
            continue
        address = allocate.as_address(int(first_key, 16) - 1, subnet.ip_version)
        # NOTE: the statement tried the IPv4 address taken, and on IPv6 the one
        # read; it was in use: the range no longer claims it.
        retry = subnet.ip_version != 4 and address != claim.address
        if retry and _claim(s, subnet, address, port_id, i):
            tried[subnet.id] = address
    return tried


def claim_params(claims: Sequence[SeenClaim]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for i, claim in enumerate(claims):
        subnet = claim.subnet
        first_key, last_key = subnet.lowest or ("", "")
        params.update(
            {
                f"seen_subnet_{i}": subnet.id,
                f"seen_first_{i}": first_key,
                f"seen_last_{i}": last_key,
                f"next_key_{i}": allocate.address_key(int(claim.address) + 1),
                f"claim_subnet_{i}": subnet.id,
                f"claim_address_{i}": str(claim.address),
                f"claim_network_{i}": subnet.network_id,
            }
        )
    return params


def _claim_seen(
    s: Session, subnet: SeenSubnet, port_id: str, position: int
) -> IPAddress | None:
    """The first address of the range the create read, if that range is still as
    read (then it is shrunk, or gone) and the address is free; None otherwise
    (nothing written)."""
    if subnet.lowest is None:
        return None
    first_key, last_key = subnet.lowest
    value = int(first_key, 16)
    dialect = s.get_bind().dialect.name
    if subnet.ip_version == 4 and dialect in ("mysql", "mariadb"):
        return _claim_from_range(s, subnet, last_key, port_id, position)
    params = {"seen_subnet": subnet.id, "seen_first": first_key, "seen_last": last_key}
    if subnet.ip_version == 4 and dialect == "sqlite":
        return _claim_as_read(s, subnet, params, port_id, position)
    if first_key != last_key and dialect in ("mysql", "mariadb"):
        return _claim_next(s, subnet, first_key, last_key, port_id, position)
    if first_key == last_key:
        taken = execute_core(s, _take_last(dialect), params).rowcount
    else:
        params["next_key"] = allocate.address_key(value + 1)
        taken = execute_core(s, _take_first(dialect), params).rowcount
    if not taken:
        return None
    address = allocate.as_address(value, subnet.ip_version)
    if _claim(s, subnet, address, port_id, position):
        return address
    # NOTE: the range claimed a taken address; it no longer does.
    return None


_TAKEN_FROM_RANGES = (IpAvailabilityRow.__tablename__,)
"""What an allocation's INSERT also writes on SQLite and MariaDB (its trigger
``ip_allocations_take``, migration 0027): for the change feed's topics."""

_ALLOCATION_COLUMNS = ("subnet_id", "ip_address", "network_id", "port_id", "position")


@functools.cache
def _insert_as_read() -> Any:
    """SQLite: the allocation of the first address of a range a create read, if
    the range is still as read (its trigger takes the address from it), built
    once."""
    row = select(
        bindparam("subnet_id", type_=String),
        bindparam("ip_address", type_=String),
        bindparam("network_id", type_=String),
        bindparam("port_id", type_=String),
        bindparam("position", type_=Integer),
    ).where(select(IpAvailabilityRow.subnet_id).where(*_seen_range("sqlite")).exists())
    return insert(IpAllocationRow).from_select(_ALLOCATION_COLUMNS, row)


def _claim_as_read(
    s: Session,
    subnet: SeenSubnet,
    seen: Mapping[str, str],
    port_id: str,
    position: int,
) -> IPAddress | None:
    """SQLite, IPv4: ``_claim_seen`` in one statement, ``_insert_as_read``, whose
    trigger takes the address from the range (migration 0027). None if the range
    is not as read or the address is taken (nothing written)."""
    address = allocate.as_address(int(seen["seen_first"], 16), 4)
    params = {
        **seen,
        "subnet_id": subnet.id,
        "ip_address": str(address),
        "network_id": subnet.network_id,
        "port_id": port_id,
        "position": position,
    }
    try:
        inserted: int = execute_core(
            s, _insert_as_read(), params, writes=_TAKEN_FROM_RANGES
        ).rowcount
    except IntegrityError:
        # NOTE: the range claims a taken address; the locking way drops it.
        return None
    return address if inserted == 1 else None


_RANGE_PLACEHOLDER = "range:"
"""MariaDB: an allocation's ``ip_address`` that its INSERT trigger replaces with
the first free address of the range whose last key follows (migration 0027)."""

_NO_RANGE = "No free range as read"
"""MariaDB: the trigger's SIGNAL when that range is gone or not available."""

_INSERT_FROM_RANGE = (
    insert(IpAllocationRow)
    .values({name: bindparam(name) for name in _ALLOCATION_COLUMNS})
    .returning(IpAllocationRow.ip_address)
)
"""MariaDB: an allocation of the address ``ip_address`` names (a placeholder),
answering it, built once."""


def _claim_from_range(
    s: Session, subnet: SeenSubnet, last_key: str, port_id: str, position: int
) -> IPAddress | None:
    """MariaDB, IPv4: ``_claim_seen`` in one statement, ``_INSERT_FROM_RANGE``:
    its trigger locks the range the create read (by its last key, available) as it
    is then, takes its first address and gives it to the row, so creates racing on
    one subnet each take the next address, as ``_claim_next`` does in two. None
    if that range has gone or the address is taken (nothing written)."""
    params = {
        "subnet_id": subnet.id,
        "ip_address": _RANGE_PLACEHOLDER + last_key,
        "network_id": subnet.network_id,
        "port_id": port_id,
        "position": position,
    }
    try:
        got = execute_core(
            s, _INSERT_FROM_RANGE, params, writes=_TAKEN_FROM_RANGES
        ).one()
    except IntegrityError:
        # NOTE: the range claims a taken address; the locking way drops it.
        return None
    except OperationalError as error:
        if signalled(error, _NO_RANGE) is None:
            raise
        return None
    return stored_address(got[0])


_RANGE_VARIABLE = "@quantum_range"
"""MariaDB: the connection's variable ``_TAKE_NEXT`` leaves the range's new first
key in, for the allocation's INSERT to read (``_claim_next``)."""


def _mysql_next_key(key: Any) -> Any:
    """MariaDB: ``_next_key`` (the key of the address after ``key``'s) in its SQL."""
    body = func.trim(literal_column(f"TRAILING 'f' FROM {key}"), type_=String)
    length = func.length(body)
    digit = func.substr(
        literal_column("'123456789abcdef'"),
        func.locate(func.substr(body, length, 1), literal_column("'0123456789abcde'")),
        1,
        type_=String,
    )
    return func.concat(
        func.substr(body, 1, length - 1, type_=String),
        digit,
        func.repeat(literal_column("'0'"), 32 - length, type_=String),
        type_=String,
    )


_TAKE_NEXT = (
    update(IpAvailabilityRow)
    .where(
        IpAvailabilityRow.subnet_id == bindparam("seen_subnet"),
        IpAvailabilityRow.last_key == bindparam("seen_last"),
        IpAvailabilityRow.available_at.is_(None),
        IpAvailabilityRow.first_key < IpAvailabilityRow.last_key,
    )
    .values(
        first_key=Grouping(
            literal_column(_RANGE_VARIABLE).op(":=")(
                _mysql_next_key("ip_availability_ranges.first_key")
            )
        )
    )
)
"""MariaDB: the range a create read (same subnet and last address, available) as
it is when the UPDATE gets its lock: its first address moves up by one (in SQL),
the new first key left in ``_RANGE_VARIABLE``."""


@functools.cache
def _insert_taken(version: int) -> Any:
    """MariaDB: the allocation of the address ``_TAKE_NEXT`` took, answering it:
    on IPv4 whatever it was (its text computed in SQL), on IPv6 only the one
    read (the new first key is ``next_key``)."""
    if version == 4:
        value = func.conv(func.substr(literal_column(_RANGE_VARIABLE), 25, 8), 16, 10)
        address: Any = func.inet_ntoa(value - 1, type_=String)
        guard: Any = true()
    else:
        address = bindparam("ip_address", type_=String)
        guard = literal_column(_RANGE_VARIABLE) == bindparam("next_key")
    row = select(
        bindparam("subnet_id", type_=String),
        address,
        bindparam("network_id", type_=String),
        bindparam("port_id", type_=String),
        bindparam("position"),
    ).where(guard)
    return (
        insert(IpAllocationRow)
        .from_select(
            ("subnet_id", "ip_address", "network_id", "port_id", "position"), row
        )
        .returning(IpAllocationRow.ip_address)
    )


def _claim_next(
    s: Session,
    subnet: SeenSubnet,
    first_key: str,
    last_key: str,
    port_id: str,
    position: int,
) -> IPAddress | None:
    """MariaDB: ``_claim_seen`` of a range of more than one address, by
    ``_TAKE_NEXT``: racing creates on one subnet each wait for the previous one's
    commit and take the next address, instead of all but one missing the range
    as read and going the locking way (issue 16, port creates at c=8). None if
    the range has gone or shrunk to one address, or the address is taken."""
    taken = execute_core(
        s, _TAKE_NEXT, {"seen_subnet": subnet.id, "seen_last": last_key}
    ).rowcount
    if not taken:
        return None
    read = allocate.as_address(int(first_key, 16), subnet.ip_version)
    params = {
        "subnet_id": subnet.id,
        "ip_address": str(read),
        "network_id": subnet.network_id,
        "port_id": port_id,
        "position": position,
        "next_key": allocate.address_key(int(read) + 1),
    }
    try:
        got = execute_core(s, _insert_taken(subnet.ip_version), params).first()
    except IntegrityError:
        # NOTE: the range claimed a taken address; it no longer does.
        return None
    if got is not None:
        return stored_address(got[0])
    if subnet.ip_version == 4:
        return None
    # NOTE: IPv6, the range moved while the UPDATE waited for it: the address
    # before its new first key.
    key = s.connection().exec_driver_sql(f"SELECT {_RANGE_VARIABLE}").scalar_one()
    address = allocate.as_address(int(str(key), 16) - 1, subnet.ip_version)
    return address if _claim(s, subnet, address, port_id, position) else None


def _seen_range(dialect: str) -> list[Any]:
    """A range as a create read it: still there, still starting where it did,
    available (a range of held addresses is never taken this way)."""
    where: list[Any] = [
        IpAvailabilityRow.subnet_id == bindparam("seen_subnet"),
        IpAvailabilityRow.last_key == bindparam("seen_last"),
        IpAvailabilityRow.first_key == bindparam("seen_first"),
        IpAvailabilityRow.available_at.is_(None),
    ]
    if dialect == "postgresql":
        where.append(
            IpAvailabilityRow.subnet_id.in_(
                select(SubnetRow.id)
                .where(SubnetRow.id == bindparam("seen_subnet"))
                .with_for_update(read=True, key_share=True)
            )
        )
    return where


@functools.cache
def _take_first(dialect: str) -> Any:
    return (
        update(IpAvailabilityRow)
        .where(*_seen_range(dialect))
        .values(first_key=bindparam("next_key"))
    )


@functools.cache
def _take_last(dialect: str) -> Any:
    return delete(IpAvailabilityRow).where(*_seen_range(dialect))


_POOLS_OF = select(
    AllocationPoolRow.__table__.c.subnet_id,
    AllocationPoolRow.__table__.c.first_ip,
    AllocationPoolRow.__table__.c.last_ip,
).where(
    AllocationPoolRow.__table__.c.subnet_id.in_(bindparam("subnets", expanding=True))
)
"""The pools of some subnets, built once (PERF: a port delete reads them)."""

_ALLOCATIONS_TABLE = IpAllocationRow.__table__
_ONE_ALLOCATION = (
    IpAllocationRow.subnet_id == bindparam("of_subnet"),
    IpAllocationRow.ip_address == bindparam("of_address"),
)
_FREE = delete(IpAllocationRow).where(*_ONE_ALLOCATION)
"""An allocation gone at once, built once (run as Core)."""
_HOLD = (
    update(IpAllocationRow)
    .where(*_ONE_ALLOCATION)
    .values(port_id=None, expiration=bindparam("until"))
)
"""An allocation released and held until ``until``, built once."""


def _release(
    s: Session,
    rows: Sequence[Any],
    hold: timedelta,
    now: datetime,
) -> None:
    """Release the allocations ``rows`` (their ``subnet_id``, ``ip_address`` and
    ``lease_expires_at``). PERF: prebuilt statements run as Core (a port delete's
    release was two thirds of its CPU through the ORM's statement handling)."""
    if not rows:
        return
    pools: dict[str, list[AllocationPool]] = defaultdict(list)
    for subnet_id, first_ip, last_ip in execute_core(
        s, _POOLS_OF, {"subnets": sorted({row.subnet_id for row in rows})}
    ):
        pools[subnet_id].append(
            AllocationPool(start=ip_address(first_ip), end=ip_address(last_ip))
        )
    freed: dict[str, list[_Range]] = defaultdict(list)
    for row in rows:
        # NOTE: this worker lists it no more (a rolled-back release costs a miss);
        # the other workers' entries go with their generations (``FIXED_IPS``).
        FIXED_IPS.forget(row.subnet_id, row.ip_address)
        STORED_ADDRESSES.forget(row.ip_address)
        address = ip_address(row.ip_address)
        until = allocate.hold_until(
            pools[row.subnet_id], address, now, hold, row.lease_expires_at
        )
        if allocate.in_pools(pools[row.subnet_id], address):
            freed[row.subnet_id].append((int(address), int(address), until))
        where = {"of_subnet": row.subnet_id, "of_address": row.ip_address}
        if until is None:
            execute_core(s, _FREE, where)
        else:
            execute_core(s, _HOLD, {**where, "until": until})
    for subnet_id, ranges in freed.items():
        _add_ranges(s, subnet_id, ranges)


def record_leases(
    s: Session, network_ids: Collection[str], leases: Iterable[Lease]
) -> int:
    """Record the DHCP leases a DHCP agent of ``network_ids`` read from dnsmasq:
    how many allocations it moved.

    * An address in use by a port whose MAC is the lease's: its
      ``lease_expires_at`` (a later release holds it at least that long).
    * An address held after its release (no port; dnsmasq renewed the lease
      before it re-read its hosts file): the hold, and its free range's
      ``available_at``, move out to the lease's end.

    Only ever later: a report that arrives late never shortens anything. Other
    addresses, networks and MACs are ignored.
    """
    moved = 0
    for lease in leases:
        if lease.network_id not in network_ids:
            continue
        at = lease.expires_at
        same = (
            IpAllocationRow.network_id == lease.network_id,
            IpAllocationRow.ip_address == lease.ip_address,
        )
        later = or_(
            IpAllocationRow.lease_expires_at.is_(None),
            IpAllocationRow.lease_expires_at < at,
        )
        holder = select(PortRow.id).where(
            PortRow.network_id == lease.network_id,
            PortRow.mac_address == lease.mac_address,
        )
        done = s.execute(
            update(IpAllocationRow)
            .where(*same, later, IpAllocationRow.port_id.in_(holder))
            .values(lease_expires_at=at)
            .execution_options(synchronize_session=False)
        )
        moved += done.rowcount  # type: ignore[attr-defined]  # NOTE: CursorResult
        held = s.execute(
            select(IpAllocationRow.subnet_id).where(
                *same,
                IpAllocationRow.port_id.is_(None),
                IpAllocationRow.expiration < at,
            )
        ).all()
        for (subnet_id,) in held:
            key = allocate.address_key(int(ip_address(lease.ip_address)))
            # NOTE: the range first, as allocation locks them: no deadlock.
            s.execute(
                update(IpAvailabilityRow)
                .where(
                    IpAvailabilityRow.subnet_id == subnet_id,
                    IpAvailabilityRow.first_key == key,
                    IpAvailabilityRow.last_key == key,
                    IpAvailabilityRow.available_at.is_not(None),
                    IpAvailabilityRow.available_at < at,
                )
                .values(available_at=at)
            )
            done = s.execute(
                update(IpAllocationRow)
                .where(
                    IpAllocationRow.subnet_id == subnet_id,
                    IpAllocationRow.ip_address == lease.ip_address,
                    IpAllocationRow.port_id.is_(None),
                    IpAllocationRow.expiration < at,
                )
                .values(expiration=at, lease_expires_at=at)
                .execution_options(synchronize_session=False)
            )
            moved += done.rowcount  # type: ignore[attr-defined]  # NOTE: CursorResult
    return moved


_PORT_ALLOCATIONS = (
    select(
        _ALLOCATIONS_TABLE.c.subnet_id,
        _ALLOCATIONS_TABLE.c.ip_address,
        _ALLOCATIONS_TABLE.c.position,
        _ALLOCATIONS_TABLE.c.lease_expires_at,
    )
    .where(_ALLOCATIONS_TABLE.c.port_id == bindparam("port_id"))
    .order_by(_ALLOCATIONS_TABLE.c.position)
)
"""A port's allocations in order, built once (PERF: run as Core, no ORM step)."""


def _port_rows(s: Session, port_id: str) -> list[Any]:
    """The port's allocations: rows of ``subnet_id``, ``ip_address``,
    ``position``, ``lease_expires_at``."""
    return list(execute_core(s, _PORT_ALLOCATIONS, {"port_id": port_id}))


def release_port_ips(
    s: Session, port_id: str, hold: timedelta, *, now: datetime | None = None
) -> None:
    """Release every address of a port about to be deleted (call it before the
    delete): pool addresses are held for ``hold``, the others freed at once."""
    _release(s, _port_rows(s, port_id), hold, now or utcnow())


def replace_port_ips(
    s: Session,
    network_id: str,
    port_id: str,
    requests: Sequence[FixedIPRequest],
    hold: timedelta,
    *,
    now: datetime | None = None,
) -> tuple[FixedIP, ...]:
    """Make ``requests`` the port's fixed IPs (spec §4.4): a requested address the
    port holds already is kept, the port's other addresses are released (held), and
    the rest is allocated after the kept ones. Raises as ``allocate_port_ips``."""
    now = now or utcnow()
    # NOTE: the subnets first: their share lock waits for a subnet delete, which
    # may take some of the port's addresses; then the port's as they are now.
    subnets = _network_subnets(s, network_id)
    current = _port_rows(s, port_id)
    asked = {str(r.ip_address) for r in requests if not isinstance(r, AnyAddress)}
    kept = [row for row in current if row.ip_address in asked]
    kept_addresses = {row.ip_address for row in kept}
    fresh = [
        r
        for r in requests
        if isinstance(r, AnyAddress) or str(r.ip_address) not in kept_addresses
    ]
    wanted = _resolve(s, network_id, subnets, fresh)
    _release(
        s, [row for row in current if row.ip_address not in kept_addresses], hold, now
    )
    start = max((row.position for row in kept), default=-1) + 1
    new = _allocate(s, wanted, port_id, start, now)
    return tuple(
        FixedIP(subnet_id=row.subnet_id, ip_address=ip_address(row.ip_address))
        for row in kept
    ) + tuple(new)


_FIXED_IPS_OF = (
    select(
        IpAllocationRow.__table__.c.port_id,
        IpAllocationRow.__table__.c.subnet_id,
        IpAllocationRow.__table__.c.ip_address,
    )
    .where(IpAllocationRow.__table__.c.port_id.in_(bindparam("ports", expanding=True)))
    .order_by(IpAllocationRow.__table__.c.port_id, IpAllocationRow.__table__.c.position)
)
"""The allocations of some ports, built once (PERF: run as Core, no ORM step)."""


def fixed_ips_of(
    s: Session, port_ids: Collection[str]
) -> dict[str, tuple[FixedIP, ...]]:
    """Each port's fixed IPs in allocation order; one query per 500 ports."""
    found: dict[str, list[FixedIP]] = {port_id: [] for port_id in port_ids}
    ids = list(found)
    for i in range(0, len(ids), 500):
        # PERF: all rows at once (iterating the result fetched them one by one).
        rows = execute_core(s, _FIXED_IPS_OF, {"ports": ids[i : i + 500]}).all()
        for port_id, subnet_id, text in rows:
            found[port_id].append(fixed_ip(subnet_id, text))
    return {port_id: tuple(ips) for port_id, ips in found.items()}


def _fixed_ip(subnet_id: str, text: str) -> FixedIP:
    return FixedIP(subnet_id=subnet_id, ip_address=stored_address(text))


FIXED_IPS: WorkingSet[FixedIP] = WorkingSet(_fixed_ip, arity=2)
"""Allocations as fixed IPs, as long as listings read them (a deleted port's go).
PERF: the values are immutable, and the same ones are listed again and again (a
list of 1,000 ports: 3.8 ms to make them and their wire forms, 0.2 to find them);
shared, so their wire forms are found by identity (``attributes.encodable``)."""

fixed_ip: Callable[[str, str], FixedIP] = FIXED_IPS.lookup
"""An allocation (its subnet's id, its address as the store spells it) as a fixed
IP (``FIXED_IPS``)."""


_stored_network: Callable[[str], IPNetwork] = WorkingSet(ip_network).lookup
"""A subnet's CIDR as the store spells it, parsed (as long as it is read).

PERF: a subnet create checks its CIDR against every other subnet's (when CIDRs
are unique service-wide), under SQLite's one write lock: parsing them was a
quarter of its CPU with 150 subnets stored, and the values are immutable (their
overlap checks reuse each value's cached bounds too)."""


def _bounds(text: str) -> tuple[int, int]:
    network = _stored_network(text)
    return int(network.network_address), int(network.broadcast_address)


_stored_bounds: Callable[[str], tuple[int, int]] = WorkingSet(_bounds).lookup
"""A stored CIDR's first and last address, as integers (``_overlaps``)."""


STORED_ADDRESSES: WorkingSet[IPAddress] = WorkingSet(ip_address)
"""Addresses as the store spells them (canonical), parsed, as long as they are
read. PERF: ``ipaddress`` parsing dominated showing ports; the values are
immutable."""

stored_address: Callable[[str], IPAddress] = STORED_ADDRESSES.lookup
"""An address as the store spells it, parsed (``STORED_ADDRESSES``)."""
