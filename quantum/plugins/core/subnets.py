# SPDX-License-Identifier: Apache-2.0
"""The subnets service (``plugin.subnets``), over ``quantum.ipam.store``.

Tenancy: a non-admin scope sees its own subnets and those of shared networks, and
may change only its own (anything else is SubnetNotFound). Creating a subnet on
another tenant's network needs an admin or a shared network (NotAuthorized).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy import ColumnElement, bindparam, or_, select
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core import routers
from quantum.core.lbaas import LOADBALANCER_OWNER
from quantum.core.listing import ListQuery
from quantum.core.quotas import QuotaResource
from quantum.core.scope import Scope
from quantum.core.settings import Settings
from quantum.core.subnets import Subnet
from quantum.db.models import NetworkRow, PortRow, SubnetRow, SubnetTagRow
from quantum.db.session import Database, execute_core
from quantum.ipam import allocate, store
from quantum.ipam.requests import Limits, SubnetRequest, SubnetUpdate
from quantum.plugins.core import access
from quantum.plugins.core.listing import page, row_columns
from quantum.plugins.core.quotas import Quotas
from quantum.plugins.core.tags import tag_columns

SERVICE_OWNERS = routers.L3_OWNERS | {LOADBALANCER_OWNER}
"""Ports whose addresses are never automatic: a router's, a floating IP's, a VIP's
address is the service's, and holds its subnet even on a SLAAC subnet."""

SUBNET_COLUMNS = row_columns(SubnetRow, **tag_columns(SubnetRow.id, SubnetTagRow))
"""What subnets are filtered and sorted on: their row's columns and their tags."""


_DHCP_PORTS = select(PortRow.__table__.c.id).where(
    PortRow.__table__.c.network_id == bindparam("network"),
    PortRow.__table__.c.device_owner == access.DHCP_OWNER,
)
"""The network's DHCP ports, built once (PERF: run as Core)."""


_NETWORK_FOR_SUBNET = select(
    NetworkRow.__table__.c.tenant_id, NetworkRow.__table__.c.shared
).where(NetworkRow.__table__.c.id == bindparam("network"))
_SEEN_NETWORK_FOR_SUBNET = _NETWORK_FOR_SUBNET.where(access.network_seen("scope"))
"""What a subnet create reads of its network, built once (PERF: run as Core)."""


def limits_of(settings: Settings) -> Limits:
    return Limits(
        max_dns_nameservers=settings.max_dns_nameservers,
        max_subnet_host_routes=settings.max_subnet_host_routes,
        max_fixed_ips_per_port=settings.max_fixed_ips_per_port,
    )


class SubnetStore:
    """``SubnetService`` over the SQL store."""

    def __init__(self, db: Database, settings: Settings, quotas: Quotas) -> None:
        self.db = db
        self.quotas = quotas
        self.limits = limits_of(settings)
        self.allow_overlapping_ips = settings.allow_overlapping_ips
        self.hold = timedelta(seconds=settings.dhcp_lease_duration)

    @staticmethod
    def _visible(scope: Scope) -> list[ColumnElement[bool]]:
        if scope.is_admin:
            return []
        return [
            or_(
                SubnetRow.tenant_id == (scope.tenant_id or ""),
                SubnetRow.network_id.in_(
                    select(NetworkRow.id).where(NetworkRow.shared.is_(True))
                ),
            )
        ]

    def _row(self, s: Session, scope: Scope, subnet_id: str) -> SubnetRow:
        row = s.scalars(
            select(SubnetRow).where(SubnetRow.id == subnet_id, *self._visible(scope))
        ).one_or_none()
        if row is None:
            raise exc.SubnetNotFound(subnet_id=subnet_id)
        return row

    def _owned(self, s: Session, scope: Scope, subnet_id: str) -> SubnetRow:
        row = self._row(s, scope, subnet_id)
        if not scope.owns(row.tenant_id):
            raise exc.SubnetNotFound(subnet_id=subnet_id)
        return row

    def list(self, scope: Scope, query: ListQuery) -> Sequence[Subnet]:
        def work(s: Session) -> list[Subnet]:
            rows = page(
                s,
                select(SubnetRow),
                SUBNET_COLUMNS,
                SubnetRow.id,
                query,
                self._visible(scope),
            )
            return store.load_subnets(s, [row for (row,) in rows])

        return self.db.run(work, write=False)

    def get(self, scope: Scope, subnet_id: str) -> Subnet:
        return self.db.run(
            lambda s: store.load_subnets(s, [self._row(s, scope, subnet_id)])[0],
            write=False,
        )

    def create(self, scope: Scope, items: Sequence[SubnetRequest]) -> Sequence[Subnet]:
        """All or nothing. Raises InvalidInput and the pool errors (checked before
        anything is written), NetworkNotFound, NotAuthorized, OverQuota."""
        planned = [
            allocate.plan_subnet(item, str(uuid.uuid4()), self.limits) for item in items
        ]

        def work(s: Session) -> list[Subnet]:
            for subnet in planned:
                # NOTE: ``access.network_row``'s rule, one prebuilt statement
                # (PERF: all of a create runs inside SQLite's one write lock).
                if scope.is_admin:
                    found = execute_core(
                        s, _NETWORK_FOR_SUBNET, {"network": subnet.network_id}
                    )
                else:
                    found = execute_core(
                        s,
                        _SEEN_NETWORK_FOR_SUBNET,
                        {"network": subnet.network_id, "owner": scope.tenant_id or ""},
                    )
                network = found.one_or_none()
                if network is None:
                    raise exc.NetworkNotFound(network_id=subnet.network_id)
                if (
                    network.tenant_id != subnet.tenant_id
                    and not network.shared
                    and not scope.is_admin
                ):
                    raise exc.NetworkNotOwned(network_id=subnet.network_id)
                if not scope.owns(network.tenant_id):
                    # NOTE: spec §2.1 create_subnet: admin_or_network_owner, so a
                    # shared network's users may not add subnets to it.
                    raise exc.PolicyNotAuthorized(action="create_subnet")
            self.quotas.check(
                s, QuotaResource.SUBNET, Counter(p.tenant_id for p in planned)
            )
            return [
                store.create_subnet(
                    s, subnet, allow_overlapping_ips=self.allow_overlapping_ips
                )
                for subnet in planned
            ]

        return self.db.run(work, write=True)

    def update(
        self,
        scope: Scope,
        subnet_id: str,
        change: SubnetUpdate,
        authorize: Callable[[Subnet], None] | None = None,
    ) -> Subnet:
        """``authorize`` is called with the subnet before the change, in the
        transaction; what it raises aborts the update."""

        def work(s: Session) -> Subnet:
            self._owned(s, scope, subnet_id)
            return store.update_subnet(
                s, subnet_id, change, self.limits, authorize=authorize
            )

        return self.db.run(work, write=True)

    def delete(
        self, scope: Scope, subnet_id: str, revisions: Sequence[int] = ()
    ) -> None:
        """Raises SubnetNotFound, SubnetInUse (a port other than DHCP has an
        address from it that is not its automatic one on a SLAAC or
        DHCPv6-stateless subnet, which goes with the subnet; a service's port
        has none); RevisionNumberConstraintFailed unless it is at one of
        ``revisions`` (if given) when deleted."""

        def work(s: Session) -> None:
            # PERF: prebuilt statements as Core, the row read (and locked) once:
            # all of it runs inside SQLite's one write lock. ``_owned``'s rule
            # (an owner also sees it), in the statement: another tenant's subnet
            # is not locked.
            if not scope.is_admin and scope.tenant_id is None:
                raise exc.SubnetNotFound(subnet_id=subnet_id)
            row = store.subnet_for_delete(
                s, subnet_id, None if scope.is_admin else scope.tenant_id
            )
            dhcp = (
                execute_core(s, _DHCP_PORTS, {"network": row.network_id})
                .scalars()
                .all()
            )
            store.delete_subnet(
                s,
                subnet_id,
                releasable_ports=dhcp,
                never_automatic=SERVICE_OWNERS,
                revisions=revisions,
                locked=row,
            )

        self.db.run(work, write=True)
