# SPDX-License-Identifier: Apache-2.0
"""Networks and ports as the v2 API sees them, over the one SQL store.

The same rows v1 reads and writes: a network made through v1 is listed here, a v2
port's ``admin_state_up`` is its v1 ``state``, and its ``status`` is what the agents
report. Every method is one transaction (``Database.run``); invariants are the
schema's (unique MAC per network, one quota lock per tenant), so they hold with
many server processes on every back-end.

Tenancy: a ``Scope`` that is not admin sees its own rows, plus networks that are
shared or external (read-only: changing one it does not own is NetworkNotFound,
as for a network that does not exist).
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from ipaddress import ip_address
from typing import Any, Protocol

from sqlalchemy import ColumnElement, delete, false, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.listing import ListQuery
from quantum.core.mac import random_mac
from quantum.core.mtu import network_mtu
from quantum.core.networks import Network, NetworkCreate, NetworkSegment, NetworkUpdate
from quantum.core.ports import Port, PortCreate, PortUpdate
from quantum.core.quotas import QuotaResource
from quantum.core.scope import Scope
from quantum.core.settings import Settings
from quantum.core.status import OP_STATUS_BY_RESOURCE_STATUS, OpStatus
from quantum.core.subnets import FixedIP, Subnet
from quantum.core.text import storable
from quantum.db.models import (
    AgentHostRow,
    IpAllocationRow,
    NetworkRow,
    NetworkSegmentRow,
    PortRow,
    utcnow,
)
from quantum.db.session import Database
from quantum.ipam import store as ipam
from quantum.ipam.requests import SubnetRequest, SubnetUpdate
from quantum.ipam.store import subnet_ids_of
from quantum.plugins.v2.listing import Column, page
from quantum.plugins.v2.quotas import Quotas
from quantum.plugins.v2.subnets import Subnets

DHCP_OWNER = "network:dhcp"
L3_OWNERS = frozenset(
    {"network:router_interface", "network:router_gateway", "network:floatingip"}
)
"""Ports the router and floating-IP APIs manage: not deleted through /ports while
they hold an address (spec §3.3)."""


NETWORK_DELETE_ATTEMPTS = 3
"""How often a network delete looks again for ports committed while it ran."""


def delete_unused_network(
    s: Session,
    network_id: str,
    reclaimable: ColumnElement[bool],
    in_use: exc.QuantumError,
) -> None:
    """Delete the network with its ports matching ``reclaimable``; raise ``in_use``
    (the caller's transaction then deletes nothing) while any other port is on it.

    The schema refuses to delete a network that has ports (no cascade), so a port
    whose create commits after the count here makes the network's DELETE fail,
    never vanishes with it. Then the count is taken again (a new statement sees the
    new port) and the answer is what a serial order gives: ``in_use``, or the port
    reclaimed with the network. A concurrent create never waits on this; one that
    comes after the DELETE finds no network (NetworkNotFound).
    """
    for _ in range(NETWORK_DELETE_ATTEMPTS):
        s.execute(delete(PortRow).where(PortRow.network_id == network_id, reclaimable))
        left = s.scalar(
            select(func.count())
            .select_from(PortRow)
            .where(PortRow.network_id == network_id)
        )
        if left:
            raise in_use
        try:
            with s.begin_nested():
                s.execute(delete(NetworkRow).where(NetworkRow.id == network_id))
        except IntegrityError:
            continue
        return
    raise in_use


class SegmentProvider(Protocol):
    """What a plugin with segments lends the store (the Open vSwitch plugin)."""

    def allocate(self, s: Session, network_id: str) -> NetworkSegment:
        """A segment of the tenant network type; raises NoNetworkAvailable."""
        ...

    def claim(self, s: Session, network_id: str, segment: NetworkSegment) -> None:
        """The provider segment asked for; raises InvalidInput, SegmentInUse."""
        ...


def _status(value: object) -> object | None:
    status = OP_STATUS_BY_RESOURCE_STATUS.get(str(value))
    return None if status is None else status.value


def _segment_filter(
    column: Any,
) -> Callable[[Sequence[object]], ColumnElement[bool]]:
    def matches(values: Sequence[object]) -> ColumnElement[bool]:
        return NetworkRow.id.in_(
            select(NetworkSegmentRow.network_id).where(column.in_(values))
        )

    return matches


NETWORK_COLUMNS: Mapping[str, Column] = {
    "id": Column(expr=NetworkRow.id),
    "name": Column(expr=func.coalesce(NetworkRow.name, "")),
    "tenant_id": Column(expr=NetworkRow.tenant_id),
    "project_id": Column(expr=NetworkRow.tenant_id),
    "admin_state_up": Column(expr=NetworkRow.admin_state_up),
    "status": Column(expr=NetworkRow.status, convert=_status),
    "shared": Column(expr=NetworkRow.shared),
    "router:external": Column(expr=NetworkRow.router_external),
    "description": Column(expr=NetworkRow.description),
    "provider:network_type": Column(
        expr=NetworkRow.id,
        sortable=False,
        matches=_segment_filter(NetworkSegmentRow.network_type),
    ),
    "provider:physical_network": Column(
        expr=NetworkRow.id,
        sortable=False,
        matches=_segment_filter(NetworkSegmentRow.physical_network),
    ),
    "provider:segmentation_id": Column(
        expr=NetworkRow.id,
        sortable=False,
        matches=_segment_filter(NetworkSegmentRow.segmentation_id),
    ),
}
"""Network attributes the store filters and sorts on (others are ignored)."""


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


PORT_COLUMNS: Mapping[str, Column] = {
    "id": Column(expr=PortRow.id),
    "name": Column(expr=PortRow.name),
    "network_id": Column(expr=PortRow.network_id),
    "tenant_id": Column(expr=PortRow.tenant_id),
    "project_id": Column(expr=PortRow.tenant_id),
    "admin_state_up": Column(expr=PortRow.admin_state_up),
    "status": Column(expr=PortRow.status, convert=_status),
    "mac_address": Column(expr=func.coalesce(PortRow.mac_address, "")),
    "device_id": Column(expr=PortRow.device_id),
    "device_owner": Column(expr=PortRow.device_owner),
    "binding:host_id": Column(expr=PortRow.binding_host_id),
    "description": Column(expr=PortRow.description),
    "fixed_ips": Column(expr=PortRow.id, sortable=False, matches=_fixed_ips_filter),
}
"""Port attributes the store filters and sorts on."""

PROVIDER_ATTRIBUTES = frozenset(k for k in NETWORK_COLUMNS if k.startswith("provider:"))


def _profile(profile: Mapping[str, Any]) -> str | None:
    """A ``binding:profile`` as stored: JSON, NULL for the empty one."""
    return json.dumps(dict(profile), sort_keys=True) if profile else None


class V2Store:
    """Networks and ports for the v2 API; ``segments`` is None for a plugin
    without segments (provider attributes are then refused)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        segments: SegmentProvider | None = None,
    ) -> None:
        self.db = db
        self.segments = segments
        self.quotas = Quotas(settings)
        self.base_mac = settings.base_mac
        self.mac_retries = settings.mac_generation_retries
        self.ip_hold = timedelta(seconds=settings.dhcp_lease_duration)
        self.down_time = timedelta(seconds=settings.agent_down_time)
        self.max_fixed_ips = settings.max_fixed_ips_per_port
        self.physnet_mtu = settings.global_physnet_mtu
        self.subnets = Subnets(db, settings, self.quotas, self._network_row)
        """Subnets (IPAM), sharing this store's network lookups and quotas."""

    # -- visibility --------------------------------------------------------------------

    @staticmethod
    def _networks_visible(scope: Scope) -> list[ColumnElement[bool]]:
        if scope.is_admin:
            return []
        return [
            or_(
                NetworkRow.tenant_id == (scope.tenant_id or ""),
                NetworkRow.shared.is_(True),
                NetworkRow.router_external.is_(True),
            )
        ]

    @staticmethod
    def _ports_visible(scope: Scope) -> list[ColumnElement[bool]]:
        if scope.is_admin:
            return []
        return [PortRow.tenant_id == (scope.tenant_id or "")]

    def _network_row(self, s: Session, scope: Scope, network_id: str) -> NetworkRow:
        """A network the scope may see; NetworkNotFound otherwise."""
        if not storable(network_id):
            raise exc.NetworkNotFound(network_id=network_id)
        row = s.scalars(
            select(NetworkRow).where(
                NetworkRow.id == network_id, *self._networks_visible(scope)
            )
        ).one_or_none()
        if row is None:
            raise exc.NetworkNotFound(network_id=network_id)
        return row

    def _owned_network(self, s: Session, scope: Scope, network_id: str) -> NetworkRow:
        """A network the scope may change: its own (any, for an admin)."""
        row = self._network_row(s, scope, network_id)
        if not scope.owns(row.tenant_id):
            raise exc.NetworkNotFound(network_id=network_id)
        return row

    def _port_row(self, s: Session, scope: Scope, port_id: str) -> PortRow:
        if not storable(port_id):
            raise exc.PortNotFound(port_id=port_id)
        row = s.scalars(
            select(PortRow).where(PortRow.id == port_id, *self._ports_visible(scope))
        ).one_or_none()
        if row is None:
            raise exc.PortNotFound(port_id=port_id)
        return row

    def _port_with_ips(
        self, s: Session, scope: Scope, port_id: str
    ) -> tuple[PortRow, tuple[FixedIP, ...]]:
        """The port (as ``_port_row``) and its fixed IPs.

        PERF: one statement (the port outer-joined with its allocations), not two:
        show and update are a round trip shorter on PostgreSQL and MariaDB.
        """
        if not storable(port_id):
            raise exc.PortNotFound(port_id=port_id)
        found = s.execute(
            select(PortRow, IpAllocationRow.subnet_id, IpAllocationRow.ip_address)
            .outerjoin(IpAllocationRow, IpAllocationRow.port_id == PortRow.id)
            .where(PortRow.id == port_id, *self._ports_visible(scope))
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

    # -- networks ----------------------------------------------------------------------

    def _network(
        self,
        s: Session,
        scope: Scope,
        row: NetworkRow,
        segment: NetworkSegment | None,
        subnets: Sequence[str] | None = None,
    ) -> Network:
        """The domain network; ``subnets`` read here unless the caller has them."""
        if subnets is None:
            subnets = subnet_ids_of(s, [row.id])[row.id]
        network = row.to_domain(segment=segment if scope.is_admin else None)
        mtu = network_mtu(
            self.physnet_mtu, segment.network_type if segment is not None else None
        )
        return replace(network, subnets=tuple(subnets), mtu=mtu)

    def list_networks(self, scope: Scope, query: ListQuery) -> Sequence[Network]:
        def work(s: Session) -> list[Network]:
            rows = page(
                s,
                select(NetworkRow, NetworkSegmentRow).outerjoin(
                    NetworkSegmentRow, NetworkSegmentRow.network_id == NetworkRow.id
                ),
                NETWORK_COLUMNS,
                NetworkRow.id,
                query,
                self._networks_visible(scope),
            )
            subnets = subnet_ids_of(s, [net.id for net, _ in rows])
            return [
                self._network(
                    s, scope, net, seg.to_domain() if seg else None, subnets[net.id]
                )
                for net, seg in rows
            ]

        return self.db.run(work, write=False)

    def get_network(self, scope: Scope, network_id: str) -> Network:
        def work(s: Session) -> Network:
            row = self._network_row(s, scope, network_id)
            return self._network(s, scope, row, self._segment(s, network_id))

        return self.db.run(work, write=False)

    @staticmethod
    def _segment(s: Session, network_id: str) -> NetworkSegment | None:
        row = s.get(NetworkSegmentRow, network_id)
        return None if row is None else row.to_domain()

    def create_networks(
        self, scope: Scope, items: Sequence[NetworkCreate]
    ) -> Sequence[Network]:
        """All or nothing, in one transaction. Raises OverQuota, InvalidInput,
        SegmentInUse, NoNetworkAvailable."""
        if self.segments is None and any(i.segment for i in items):
            raise exc.InvalidInput(
                reason="this core plugin does not support provider networks"
            )

        def work(s: Session) -> list[Network]:
            self.quotas.check(
                s, QuotaResource.NETWORK, Counter(i.tenant_id for i in items)
            )
            created = []
            for item in items:
                row = NetworkRow(
                    id=_new_id(),
                    tenant_id=item.tenant_id,
                    name=item.name,
                    status=OpStatus.UP,
                    admin_state_up=item.admin_state_up,
                    shared=item.shared,
                    router_external=item.router_external,
                    description=item.description,
                )
                s.add(row)
                s.flush()
                segment = None
                if self.segments is not None:
                    if item.segment is not None:
                        self.segments.claim(s, row.id, item.segment)
                    else:
                        self.segments.allocate(s, row.id)
                    segment = self._segment(s, row.id)
                created.append(self._network(s, scope, row, segment))
            return created

        return self.db.run(work, write=True)

    def update_network(
        self,
        scope: Scope,
        network_id: str,
        changes: NetworkUpdate,
        authorize: Callable[[Network], None] | None = None,
    ) -> Network:
        """Raises NetworkNotFound, InvalidSharedSetting; and what ``authorize``
        raises, called with the network before the change, in the transaction.

        PERF: the segment and the subnets are read once, for the check and the
        answer (an update changes neither).
        """

        def work(s: Session) -> Network:
            row = self._owned_network(s, scope, network_id)
            segment = self._segment(s, network_id)
            subnets = subnet_ids_of(s, [network_id])[network_id]
            if authorize is not None:
                authorize(self._network(s, scope, row, segment, subnets))
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
            s.flush()
            return self._network(s, scope, row, segment, subnets)

        return self.db.run(work, write=True)

    def delete_network(self, scope: Scope, network_id: str) -> None:
        """Deletes the network's DHCP ports with it. Raises NetworkNotFound, or
        NetworkHasPorts (deleting nothing) while any other port is on it."""

        def work(s: Session) -> None:
            self._owned_network(s, scope, network_id)
            delete_unused_network(
                s,
                network_id,
                PortRow.device_owner == DHCP_OWNER,
                exc.NetworkHasPorts(network_id=network_id),
            )

        self.db.run(work, write=True)

    # -- ports -------------------------------------------------------------------------

    def list_ports(self, scope: Scope, query: ListQuery) -> Sequence[Port]:
        def work(s: Session) -> list[Port]:
            rows = page(
                s,
                select(PortRow),
                PORT_COLUMNS,
                PortRow.id,
                query,
                self._ports_visible(scope),
            )
            ips = ipam.fixed_ips_of(s, [row.id for (row,) in rows])
            return self._ports(s, [(row, ips[row.id]) for (row,) in rows])

        return self.db.run(work, write=False)

    def get_port(self, scope: Scope, port_id: str) -> Port:
        def work(s: Session) -> Port:
            return self._ports(s, [self._port_with_ips(s, scope, port_id)])[0]

        return self.db.run(work, write=False)

    def _ports(
        self, s: Session, rows: Sequence[tuple[PortRow, tuple[FixedIP, ...]]]
    ) -> list[Port]:
        """The domain ports, told apart when their bound host's agent is dead.

        Such a port shows what that agent last reported, even administratively down
        (nobody applied that), with a ``status_reason`` saying since when nobody
        confirmed it: the host may well still forward.
        """
        hosts = {row.binding_host_id for row, _ in rows if row.binding_host_id}
        dead: dict[str, Any] = {}
        if hosts:
            since = utcnow() - self.down_time
            dead = {
                host: seen
                for host, seen in s.execute(
                    select(AgentHostRow.host, AgentHostRow.last_seen).where(
                        AgentHostRow.host.in_(hosts), AgentHostRow.last_seen < since
                    )
                )
            }
        ports = []
        for row, ips in rows:
            port = row.to_domain(ips)
            last_seen = dead.get(row.binding_host_id)
            if last_seen is not None:
                port = replace(
                    port,
                    status=OpStatus(row.status),
                    status_reason=f"the agent of host {row.binding_host_id} is not "
                    f"alive (last report {last_seen:%Y-%m-%d %H:%M:%S} UTC): the "
                    "status is its last report; later changes are not applied yet",
                )
            ports.append(port)
        return ports

    def create_ports(self, scope: Scope, items: Sequence[PortCreate]) -> Sequence[Port]:
        """All or nothing. Raises NetworkNotFound, NotAuthorized (another tenant's
        network that is not shared), OverQuota,
        MacAddressInUse, MacAddressGenerationFailure."""

        def work(s: Session) -> list[Port]:
            networks: dict[str, NetworkRow] = {}
            for item in items:
                if item.network_id not in networks:
                    networks[item.network_id] = self._network_row(
                        s, scope, item.network_id
                    )
                network = networks[item.network_id]
                if (
                    network.tenant_id != item.tenant_id
                    and not network.shared
                    and not scope.is_admin
                ):
                    raise exc.NetworkNotOwned(network_id=network.id)
                # NOTE: who may give mac_address, fixed_ips or a reserved
                # device_owner is policy (create_port:<attribute>), the API's.
                self._check_fixed_ips_count(item.fixed_ips)
            self.quotas.check(
                s, QuotaResource.PORT, Counter(i.tenant_id for i in items)
            )
            return [self._insert_port(s, item) for item in items]

        return self.db.run(work, write=True)

    def _check_fixed_ips_count(self, requests: Sequence[object] | None) -> None:
        if requests is not None and len(requests) > self.max_fixed_ips:
            raise exc.InvalidInput(
                reason=f"a port may have at most {self.max_fixed_ips} fixed IPs"
            )

    def _insert_port(self, s: Session, item: PortCreate) -> Port:
        port = self._insert_port_row(s, item)
        ips = ipam.allocate_port_ips(s, item.network_id, port.id, item.fixed_ips)
        return replace(port, fixed_ips=ips)

    def _insert_port_row(self, s: Session, item: PortCreate) -> Port:
        attempts = 1 if item.mac_address else self.mac_retries
        for _ in range(attempts):
            row = PortRow(
                id=_new_id(),
                network_id=item.network_id,
                tenant_id=item.tenant_id,
                admin_state_up=item.admin_state_up,
                status=OpStatus.DOWN.value,
                name=item.name,
                mac_address=item.mac_address or random_mac(self.base_mac),
                device_id=item.device_id,
                device_owner=item.device_owner,
                binding_host_id=item.binding_host_id,
                binding_profile=_profile(item.binding_profile),
                description=item.description,
            )
            try:
                with s.begin_nested():
                    s.add(row)
                    s.flush()
            except IntegrityError:
                # NOTE: the unique index refused the MAC (or the network went away
                # under us, which the next read tells).
                if s.get(NetworkRow, item.network_id, populate_existing=True) is None:
                    raise exc.NetworkNotFound(network_id=item.network_id) from None
                if item.mac_address:
                    raise exc.MacAddressInUse(
                        network_id=item.network_id, mac_address=item.mac_address
                    ) from None
                continue
            return row.to_domain()
        raise exc.MacAddressGenerationFailure(network_id=item.network_id)

    def update_port(
        self,
        scope: Scope,
        port_id: str,
        changes: PortUpdate,
        authorize: Callable[[Port], None] | None = None,
    ) -> Port:
        """Raises PortNotFound, NotAuthorized; and what ``authorize`` raises,
        called with the port before the change, in the transaction.

        PERF: read, check and write are one transaction; a rename is one read of
        the port with its addresses, its UPDATE and the revision's.
        """

        def work(s: Session) -> Port:
            row, ips = self._port_with_ips(s, scope, port_id)
            if authorize is not None:
                authorize(row.to_domain(ips))
            # NOTE: who may change fixed_ips or give a reserved device_owner is
            # policy (update_port:<attribute>), the API's.
            if changes.device_owner is not None:
                row.device_owner = changes.device_owner
            if changes.name is not None:
                row.name = changes.name
            if changes.admin_state_up is not None:
                row.admin_state_up = changes.admin_state_up
            if changes.device_id is not None:
                row.device_id = changes.device_id
            if changes.binding_host_id is not None:
                row.binding_host_id = changes.binding_host_id
            if changes.binding_profile is not None:
                row.binding_profile = _profile(changes.binding_profile)
            if changes.description is not None:
                row.description = changes.description
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
            return self._ports(s, [(row, ips)])[0]

        return self.db.run(work, write=True)

    def delete_port(self, scope: Scope, port_id: str) -> None:
        """Deletes the port, plugged or not (the agent unwires it). Raises
        PortNotFound; L3PortInUse for a router or floating-IP port that still
        holds an address."""

        def work(s: Session) -> None:
            row = self._port_row(s, scope, port_id)
            if row.device_owner in L3_OWNERS and s.scalar(
                select(IpAllocationRow.ip_address)
                .where(IpAllocationRow.port_id == port_id)
                .limit(1)
            ):
                raise exc.L3PortInUse(port_id=port_id, device_owner=row.device_owner)
            # NOTE: before the delete, whose cascade would free them at once.
            ipam.release_port_ips(s, port_id, self.ip_hold)
            s.execute(delete(PortRow).where(PortRow.id == port_id))

        self.db.run(work, write=True)

    # -- subnets (quantum/plugins/v2/subnets.py) -----------------------------------

    def list_subnets(self, scope: Scope, query: ListQuery) -> Sequence[Subnet]:
        return self.subnets.list(scope, query)

    def get_subnet(self, scope: Scope, subnet_id: str) -> Subnet:
        return self.subnets.get(scope, subnet_id)

    def create_subnets(
        self, scope: Scope, items: Sequence[SubnetRequest]
    ) -> Sequence[Subnet]:
        return self.subnets.create(scope, items)

    def update_subnet(
        self,
        scope: Scope,
        subnet_id: str,
        change: SubnetUpdate,
        authorize: Callable[[Subnet], None] | None = None,
    ) -> Subnet:
        return self.subnets.update(scope, subnet_id, change, authorize)

    def delete_subnet(self, scope: Scope, subnet_id: str) -> None:
        self.subnets.delete(scope, subnet_id)

    # -- quotas ------------------------------------------------------------------------

    def quota_limits(self, tenant_id: str) -> dict[QuotaResource, int]:
        return self.db.run(lambda s: self.quotas.limits(s, tenant_id), write=False)

    def quota_overrides(self) -> dict[str, dict[QuotaResource, int]]:
        return self.db.run(self.quotas.overridden, write=False)

    def quota_defaults(self) -> dict[QuotaResource, int]:
        return dict(self.quotas.defaults)

    def quota_usage(self, tenant_id: str) -> dict[QuotaResource, int]:
        return self.db.run(lambda s: self.quotas.usage(s, tenant_id), write=False)

    def update_quota(
        self,
        tenant_id: str,
        limits: Mapping[QuotaResource, int],
        *,
        check_limit: bool = False,
    ) -> dict[QuotaResource, int]:
        return self.db.run(
            lambda s: self.quotas.update(s, tenant_id, limits, check_limit=check_limit),
            write=True,
            bump_revision=False,
        )

    def reset_quota(self, tenant_id: str) -> None:
        self.db.run(
            lambda s: self.quotas.reset(s, tenant_id), write=True, bump_revision=False
        )


def _new_id() -> str:
    return str(uuid.uuid4())
