# SPDX-License-Identifier: Apache-2.0
"""The networks service over the SQL store (``plugin.networks``).

Every method is one transaction (``Database.run``). Tenancy as in
``quantum.plugins.core.access``. A network gets its segment from the back-end's
mechanism inside the create's transaction (``quantum.plugins.mechanism``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.listing import ListQuery
from quantum.core.mtu import network_mtu
from quantum.core.networks import Network, NetworkCreate, NetworkSegment, NetworkUpdate
from quantum.core.quotas import QuotaResource
from quantum.core.scope import Scope
from quantum.core.settings import Settings
from quantum.core.status import OP_STATUS_BY_RESOURCE_STATUS, OpStatus
from quantum.db.models import NetworkRow, NetworkSegmentRow, NetworkTagRow, PortRow
from quantum.db.session import Database
from quantum.ipam.store import subnet_ids_of
from quantum.plugins.core import access
from quantum.plugins.core.listing import Column, page
from quantum.plugins.core.quotas import Quotas
from quantum.plugins.core.tags import tag_columns

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
    **tag_columns(NetworkRow.id, NetworkTagRow),
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

PROVIDER_ATTRIBUTES = frozenset(k for k in NETWORK_COLUMNS if k.startswith("provider:"))


class NetworkStore:
    """``NetworkService`` over the SQL store; ``segments`` is None for a plugin
    without segments (provider attributes are then refused)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        quotas: Quotas,
        *,
        segments: SegmentProvider | None = None,
    ) -> None:
        self.db = db
        self.quotas = quotas
        self.segments = segments
        self.physnet_mtu = settings.global_physnet_mtu

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

    def list(self, scope: Scope, query: ListQuery) -> Sequence[Network]:
        def work(s: Session) -> list[Network]:
            rows = page(
                s,
                select(NetworkRow, NetworkSegmentRow).outerjoin(
                    NetworkSegmentRow, NetworkSegmentRow.network_id == NetworkRow.id
                ),
                NETWORK_COLUMNS,
                NetworkRow.id,
                query,
                access.networks_visible(scope),
            )
            subnets = subnet_ids_of(s, [net.id for net, _ in rows])
            return [
                self._network(
                    s, scope, net, seg.to_domain() if seg else None, subnets[net.id]
                )
                for net, seg in rows
            ]

        return self.db.run(work, write=False)

    def get(self, scope: Scope, network_id: str) -> Network:
        def work(s: Session) -> Network:
            row = access.network_row(s, scope, network_id)
            return self._network(s, scope, row, self._segment(s, network_id))

        return self.db.run(work, write=False)

    @staticmethod
    def _segment(s: Session, network_id: str) -> NetworkSegment | None:
        row = s.get(NetworkSegmentRow, network_id)
        return None if row is None else row.to_domain()

    def create(self, scope: Scope, items: Sequence[NetworkCreate]) -> Sequence[Network]:
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
                    id=access.new_id(),
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

    def update(
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
            row = access.owned_network(s, scope, network_id)
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

    def delete(self, scope: Scope, network_id: str) -> None:
        """Deletes the network's DHCP ports with it. Raises NetworkNotFound, or
        NetworkHasPorts (deleting nothing) while any other port is on it."""

        def work(s: Session) -> None:
            access.owned_network(s, scope, network_id)
            delete_unused_network(
                s,
                network_id,
                PortRow.device_owner == access.DHCP_OWNER,
                exc.NetworkHasPorts(network_id=network_id),
            )

        self.db.run(work, write=True)
