# SPDX-License-Identifier: Apache-2.0
"""The floating IPs service (``floatingips``, spec §5.2) over the SQL store.

A floating IP is its own port on an external network (``network:floatingip``,
tenant ``""``, made through the core's ports service in the same transaction) and,
when associated, an internal port's fixed IP and the router joining that port's
subnet to the external network. The router's row is locked (shared) while an
association is checked, so a concurrent interface removal or gateway change either
sees the association or is seen by it; one (external network, port, fixed IP) has
one floating IP by a unique key. A floating IP is its tenant's only: nobody else
sees it (an admin sees all).
"""

from __future__ import annotations

import builtins
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from ipaddress import ip_address

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.listing import ListQuery
from quantum.core.ports import AnyAddress, PortCreate
from quantum.core.quotas import QuotaResource
from quantum.core.routers import (
    FLOATINGIP_OWNER,
    FloatingIP,
    FloatingIPCreate,
    FloatingIPUpdate,
)
from quantum.core.scope import Scope
from quantum.core.subnets import IPAddress
from quantum.core.unset import UNSET
from quantum.db.conditional import stale
from quantum.db.models import (
    FloatingIpRow,
    FloatingIpTagRow,
    IpAllocationRow,
    NetworkRow,
    PortRow,
    RouterInterfaceRow,
    RouterRow,
    SubnetRow,
    utcnow,
)
from quantum.db.session import Database
from quantum.plugins.core import access
from quantum.plugins.core.listing import Column, page, row_columns
from quantum.plugins.core.ports import PortStore
from quantum.plugins.core.quotas import Quotas
from quantum.plugins.core.tags import tag_columns


def _address(value: object) -> object | None:
    try:
        return str(ip_address(str(value)))
    except ValueError:
        return None


FLOATINGIP_COLUMNS = row_columns(
    FloatingIpRow,
    floating_ip_address=Column(
        expr=FloatingIpRow.floating_ip_address, convert=_address
    ),
    port_id=Column(expr=func.coalesce(FloatingIpRow.fixed_port_id, "")),
    fixed_ip_address=Column(
        expr=func.coalesce(FloatingIpRow.fixed_ip_address, ""), convert=_address
    ),
    **tag_columns(FloatingIpRow.id, FloatingIpTagRow),
)
"""Floating IP attributes the store filters and sorts on."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Association:
    port_id: str
    fixed_ip: str
    router_id: str


def floatingips_visible(scope: Scope) -> list[ColumnElement[bool]]:
    if scope.is_admin:
        return []
    return [FloatingIpRow.tenant_id == (scope.tenant_id or "")]


class FloatingIpStore:
    """The ``floatingips`` service, in the uniform ``Service`` shape."""

    def __init__(self, db: Database, ports: PortStore, quotas: Quotas) -> None:
        self.db = db
        self.ports = ports
        self.quotas = quotas

    def _row(
        self, s: Session, scope: Scope, floatingip_id: str, *, lock: bool = False
    ) -> FloatingIpRow:
        query = select(FloatingIpRow).where(
            FloatingIpRow.id == floatingip_id, *floatingips_visible(scope)
        )
        if lock:
            query = query.with_for_update()
        row = s.scalars(query).one_or_none()
        if row is None:
            raise exc.FloatingIPNotFound(floatingip_id=floatingip_id)
        return row

    def list(self, scope: Scope, query: ListQuery) -> Sequence[FloatingIP]:
        def work(s: Session) -> builtins.list[FloatingIP]:
            rows = page(
                s,
                select(FloatingIpRow),
                FLOATINGIP_COLUMNS,
                FloatingIpRow.id,
                query,
                floatingips_visible(scope),
            )
            return [row.to_domain() for (row,) in rows]

        return self.db.run(work, write=False)

    def get(self, scope: Scope, floatingip_id: str) -> FloatingIP:
        return self.db.run(
            lambda s: self._row(s, scope, floatingip_id).to_domain(), write=False
        )

    def create(
        self, scope: Scope, items: Sequence[FloatingIPCreate]
    ) -> Sequence[FloatingIP]:
        """All or nothing: a refused association leaves no port behind. Raises
        OverQuota, NetworkNotFound, InvalidInput (not external, no IPv4 subnet),
        IpAddressGenerationFailure, and the association's errors."""

        def work(s: Session) -> builtins.list[FloatingIP]:
            self.quotas.check(
                s, QuotaResource.FLOATINGIP, Counter(i.tenant_id for i in items)
            )
            rows = []
            for item in items:
                if item.port_id is None and item.fixed_ip_address is not None:
                    raise _fixed_ip_without_port()
                subnet_id = self._external_subnet(s, item.floating_network_id)
                floatingip_id = access.new_id()
                port = self.ports.create_in(
                    s,
                    PortCreate(
                        tenant_id="",
                        network_id=item.floating_network_id,
                        fixed_ips=[AnyAddress(subnet_id=subnet_id)],
                        device_id=floatingip_id,
                        device_owner=FLOATINGIP_OWNER,
                    ),
                )
                row = FloatingIpRow(
                    id=floatingip_id,
                    tenant_id=item.tenant_id,
                    floating_network_id=item.floating_network_id,
                    floating_port_id=port.id,
                    floating_ip_address=str(port.fixed_ips[0].ip_address),
                    description=item.description,
                )
                association = (
                    None
                    if item.port_id is None
                    else self._associate(
                        s, scope, row, item.port_id, item.fixed_ip_address
                    )
                )
                self._flush(s, row, association)
                rows.append(row)
            return [row.to_domain() for row in rows]

        return self.db.run(work, write=True)

    def update(
        self,
        scope: Scope,
        floatingip_id: str,
        changes: FloatingIPUpdate,
        authorize: Callable[[FloatingIP], None] | None = None,
    ) -> FloatingIP:
        """Associate (``port_id``, maybe ``fixed_ip_address``), move to another
        port, or disassociate (``port_id`` None). An association is a compare and
        set: it applies only while the floating IP points where it did when this
        request first read it, so of concurrent associations one wins and the others
        raise FloatingIPAssociatedConcurrently; a move made after the floating IP
        was read (one PUT, spec §5.2) applies. Raises FloatingIPNotFound, the
        association's errors; and what ``authorize`` raises."""
        read: str | None = None
        if isinstance(changes.port_id, str):
            # NOTE: in a transaction of its own, before (and outside the retries
            # of) the write: what the caller could have seen. Read inside the
            # write, it would be what the winner wrote (SQLite serialises writers,
            # the others wait on the row lock), and every racer would move it.
            read = self.db.run(
                lambda s: self._row(s, scope, floatingip_id).fixed_port_id,
                write=False,
            )

        def work(s: Session) -> FloatingIP:
            row = self._row(s, scope, floatingip_id, lock=True)
            if authorize is not None:
                authorize(row.to_domain())
            if isinstance(changes.port_id, str) and row.fixed_port_id not in (
                read,
                changes.port_id,
            ):
                # NOTE: the compare of the compare and set, on the row locked for
                # its UPDATE (itself conditional on the revision read here):
                # another association committed since our first read. One that
                # already points where we want is no conflict: we apply on it.
                raise exc.FloatingIPAssociatedConcurrently(
                    floating_ip_address=row.floating_ip_address,
                    fip_id=row.id,
                    port_id=changes.port_id,
                    current=(
                        "none"
                        if row.fixed_port_id is None
                        else f"port {row.fixed_port_id}"
                    ),
                )
            if changes.description is not None:
                row.description = changes.description
            association = None
            if changes.port_id is None:
                row.fixed_port_id = None
                row.fixed_ip_address = None
                row.router_id = None
                row.updated_at = utcnow()
            elif changes.port_id is not UNSET:
                fixed = (
                    None
                    if changes.fixed_ip_address is UNSET
                    else changes.fixed_ip_address
                )
                association = self._associate(s, scope, row, changes.port_id, fixed)
                row.updated_at = utcnow()
            elif changes.fixed_ip_address is not UNSET:
                raise _fixed_ip_without_port()
            self._flush(s, row, association)
            return row.to_domain()

        return self.db.run(work, write=True)

    def delete(
        self, scope: Scope, floatingip_id: str, revisions: Sequence[int] = ()
    ) -> None:
        """Deletes the floating IP and its port. Raises FloatingIPNotFound,
        RevisionNumberConstraintFailed unless it is at one of ``revisions`` (if
        any: checked on the row locked for the delete)."""

        def work(s: Session) -> None:
            row = self._row(s, scope, floatingip_id, lock=True)
            if revisions and row.revision_number not in revisions:
                raise stale(
                    s, FloatingIpRow, row.id, revisions
                ) or exc.FloatingIPNotFound(floatingip_id=floatingip_id)
            port_id = row.floating_port_id
            s.delete(row)
            s.flush()
            self.ports.delete_in(s, port_id)

        self.db.run(work, write=True)

    # -- the parts ------------------------------------------------------------------

    @staticmethod
    def _flush(
        s: Session, row: FloatingIpRow, association: _Association | None
    ) -> None:
        """Write the row with its ``association`` (if any) under a savepoint, the
        association set inside it (``begin_nested`` flushes what is pending
        first, outside the savepoint)."""
        try:
            with s.begin_nested():
                if association is not None:
                    row.fixed_port_id = association.port_id
                    row.fixed_ip_address = association.fixed_ip
                    row.router_id = association.router_id
                s.add(row)
                s.flush()
        except IntegrityError:
            # NOTE: (external network, port, fixed IP) is unique: another floating
            # IP took that fixed IP, before us or concurrently.
            raise exc.FloatingIPPortAlreadyAssociated(
                floating_ip_address=row.floating_ip_address,
                fip_id=row.id,
                port_id="" if association is None else association.port_id,
                fixed_ip="" if association is None else association.fixed_ip,
                net_id=row.floating_network_id,
            ) from None

    @staticmethod
    def _external_subnet(s: Session, network_id: str) -> str:
        """The IPv4 subnet a floating IP's address comes from; the network is
        locked (shared) against ceasing to be external until commit. Raises
        NetworkNotFound, InvalidInput."""
        network = s.scalars(
            select(NetworkRow)
            .where(NetworkRow.id == network_id)
            .with_for_update(read=True)
        ).one_or_none()
        if network is None:
            raise exc.NetworkNotFound(network_id=network_id)
        if not network.router_external:
            raise exc.InvalidInput(
                reason=f"Network {network_id} is not a valid external network"
            )
        subnet_id = s.scalar(
            select(SubnetRow.id)
            .where(SubnetRow.network_id == network_id, SubnetRow.ip_version == 4)
            .order_by(SubnetRow.created_at, SubnetRow.id)
            .limit(1)
        )
        if subnet_id is None:
            raise exc.InvalidInput(
                reason=f"External network {network_id} has no IPv4 subnet"
            )
        return str(subnet_id)

    def _associate(
        self,
        s: Session,
        scope: Scope,
        row: FloatingIpRow,
        port_id: str,
        fixed_ip: IPAddress | None,
    ) -> _Association:
        """Where the floating IP points when associated to ``port_id``: its fixed
        IP, through the router that joins its subnet to the floating network
        (spec §5.2)."""
        port = s.scalars(
            select(PortRow).where(PortRow.id == port_id, *access.ports_visible(scope))
        ).one_or_none()
        if port is None:
            raise exc.PortNotFound(port_id=port_id)
        if port.tenant_id != row.tenant_id:
            raise exc.InvalidInput(
                reason=f"Port {port_id} is associated with a different tenant than "
                f"Floating IP {row.id} and therefore cannot be bound."
            )
        ips = [
            (subnet_id, ip_address(text))
            for subnet_id, text in s.execute(
                select(IpAllocationRow.subnet_id, IpAllocationRow.ip_address)
                .where(IpAllocationRow.port_id == port.id)
                .order_by(IpAllocationRow.position)
            )
        ]
        if fixed_ip is not None:
            chosen = [(sid, ip) for sid, ip in ips if ip == fixed_ip]
            if not chosen:
                raise exc.InvalidInput(
                    reason=f"Port {port_id} does not have fixed ip {fixed_ip}"
                )
        else:
            chosen = [(sid, ip) for sid, ip in ips if ip.version == 4]
            if not chosen:
                raise exc.InvalidInput(
                    reason=f"Cannot add floating IP to port {port_id} that has no "
                    "fixed IPv4 addresses"
                )
            if len(chosen) > 1:
                raise exc.InvalidInput(
                    reason=f"Port {port_id} has multiple fixed IPv4 addresses. Must "
                    "provide a specific IPv4 address when assigning a floating IP"
                )
        subnet_id, address = chosen[0]
        if address.version != 4:
            raise exc.InvalidInput(
                reason=f"Fixed IP {address} is not an IPv4 address: floating IPs "
                "are IPv4"
            )
        gateway = s.scalar(
            select(SubnetRow.gateway_ip).where(SubnetRow.id == subnet_id)
        )
        if gateway is None:
            raise exc.InvalidInput(
                reason=f"Cannot add floating IP to port on subnet {subnet_id} which "
                "has no gateway_ip"
            )
        router_id = self._router_between(s, subnet_id, row.floating_network_id)
        if router_id is None:
            raise exc.ExternalGatewayForFloatingIPNotFound(
                external_network_id=row.floating_network_id,
                subnet_id=subnet_id,
                port_id=port_id,
            )
        taken = s.scalar(
            select(FloatingIpRow.id).where(
                FloatingIpRow.floating_network_id == row.floating_network_id,
                FloatingIpRow.fixed_port_id == port.id,
                FloatingIpRow.fixed_ip_address == str(address),
                FloatingIpRow.id != row.id,
            )
        )
        if taken is not None:
            raise exc.FloatingIPPortAlreadyAssociated(
                floating_ip_address=row.floating_ip_address,
                fip_id=row.id,
                port_id=port.id,
                fixed_ip=str(address),
                net_id=row.floating_network_id,
            )
        return _Association(port_id=port.id, fixed_ip=str(address), router_id=router_id)

    @staticmethod
    def _router_between(s: Session, subnet_id: str, network_id: str) -> str | None:
        """A router with an interface on the subnet and its gateway on the
        network, its row locked (shared) until commit."""
        gateway = select(PortRow.id).where(PortRow.network_id == network_id)
        found = s.scalars(
            select(RouterRow)
            .join(RouterInterfaceRow, RouterInterfaceRow.router_id == RouterRow.id)
            .where(
                RouterInterfaceRow.subnet_id == subnet_id,
                RouterRow.gw_port_id.in_(gateway),
            )
            .order_by(RouterRow.created_at, RouterRow.id)
            .limit(1)
            .with_for_update(read=True)
        ).first()
        return None if found is None else found.id


def _fixed_ip_without_port() -> exc.InvalidInput:
    return exc.InvalidInput(
        reason="fixed_ip_address cannot be specified without a port_id"
    )
