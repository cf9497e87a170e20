# SPDX-License-Identifier: Apache-2.0
"""The routers service (``routers``, spec §5.2, §5.3) over the SQL store.

Every call is one transaction of the core's ``Database``; the ports a router
needs (interfaces, gateway) are made and deleted through the core's ports
service inside that transaction (``PortStore.create_in``...), so a refusal after
the port is made leaves no port behind.

Concurrency: every write of a router locks its row first (``FOR UPDATE``), and
the floating-IP service locks it too (shared) before it associates through it,
so the checks that span rows (overlapping subnets, "no interface left",
"no floating IP through this gateway") see every write committed before them.
The schema is the backstop: ``(router, subnet)`` is unique and nothing that
names a router, a port or a subnet cascades (``quantum.db.models``).
"""

from __future__ import annotations

import builtins
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from ipaddress import ip_address, ip_network
from typing import Any

from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.listing import ListQuery
from quantum.core.ports import PortCreate, SpecificAddress
from quantum.core.quotas import QuotaResource
from quantum.core.routers import (
    ROUTER_GATEWAY_OWNER,
    ROUTER_INTERFACE_OWNER,
    ExternalGatewayInfo,
    Route,
    Router,
    RouterCreate,
    RouterInterface,
    RouterStatus,
    RouterUpdate,
)
from quantum.core.scope import Scope
from quantum.core.subnets import IPAddress, IPNetwork
from quantum.core.unset import UNSET
from quantum.db.conditional import stale
from quantum.db.models import (
    FloatingIpRow,
    IpAllocationRow,
    NetworkRow,
    PortRow,
    RouterInterfaceRow,
    RouterRouteRow,
    RouterRow,
    RouterTagRow,
    SubnetRow,
    utcnow,
)
from quantum.db.session import Database
from quantum.plugins.core import access
from quantum.plugins.core.listing import page, row_columns
from quantum.plugins.core.ports import PortStore
from quantum.plugins.core.quotas import Quotas
from quantum.plugins.core.tags import tag_columns
from quantum.plugins.l3 import checks

ROUTER_COLUMNS = row_columns(RouterRow, **tag_columns(RouterRow.id, RouterTagRow))
"""Router attributes the store filters and sorts on."""


def routers_visible(scope: Scope) -> list[ColumnElement[bool]]:
    if scope.is_admin:
        return []
    return [RouterRow.tenant_id == (scope.tenant_id or "")]


def router_row(
    s: Session,
    scope: Scope,
    router_id: str,
    *,
    lock: bool = False,
    shared: bool = False,
) -> RouterRow:
    """A router the scope may see (``lock``: its row locked until commit,
    ``shared``: against writers only). Raises RouterNotFound."""
    query = select(RouterRow).where(RouterRow.id == router_id, *routers_visible(scope))
    if lock:
        query = query.with_for_update(read=shared)
    row = s.scalars(query).one_or_none()
    if row is None:
        raise exc.RouterNotFound(router_id=router_id)
    return row


def load_routers(s: Session, rows: Sequence[RouterRow]) -> list[Router]:
    """The domain routers of ``rows``: their gateway network and extra routes (one
    query each, whatever the number of rows)."""
    if not rows:
        return []
    gateways = {r.gw_port_id for r in rows if r.gw_port_id}
    networks: dict[str, str] = {}
    if gateways:
        networks = {
            port_id: network_id
            for port_id, network_id in s.execute(
                select(PortRow.id, PortRow.network_id).where(PortRow.id.in_(gateways))
            )
        }
    routes: dict[str, list[Route]] = defaultdict(list)
    for route in s.scalars(
        select(RouterRouteRow)
        .where(RouterRouteRow.router_id.in_([r.id for r in rows]))
        .order_by(RouterRouteRow.router_id, RouterRouteRow.position)
    ):
        routes[route.router_id].append(
            Route(
                destination=ip_network(route.destination),
                nexthop=ip_address(route.nexthop),
            )
        )
    return [
        row.to_domain(
            networks.get(row.gw_port_id) if row.gw_port_id else None,
            tuple(routes[row.id]),
        )
        for row in rows
    ]


def _network_for_gateway(s: Session, network_id: str) -> NetworkRow:
    """The external network a gateway goes on, locked against it ceasing to be
    external until commit. Raises NetworkNotFound, InvalidInput."""
    row = s.scalars(
        select(NetworkRow).where(NetworkRow.id == network_id).with_for_update(read=True)
    ).one_or_none()
    if row is None:
        raise exc.NetworkNotFound(network_id=network_id)
    if not row.router_external:
        raise exc.InvalidInput(
            reason=f"Network {network_id} is not a valid external network"
        )
    return row


def _cidrs(s: Session, subnet_ids: Sequence[str]) -> dict[str, IPNetwork]:
    if not subnet_ids:
        return {}
    return {
        subnet_id: ip_network(cidr)
        for subnet_id, cidr in s.execute(
            select(SubnetRow.id, SubnetRow.cidr).where(SubnetRow.id.in_(subnet_ids))
        )
    }


class RouterStore:
    """The ``routers`` service: the uniform ``Service`` shape plus the interface
    actions."""

    def __init__(
        self, db: Database, ports: PortStore, quotas: Quotas, *, max_routes: int
    ) -> None:
        self.db = db
        self.ports = ports
        self.quotas = quotas
        self.max_routes = max_routes

    # -- reads ----------------------------------------------------------------------

    def list(self, scope: Scope, query: ListQuery) -> Sequence[Router]:
        def work(s: Session) -> builtins.list[Router]:
            rows = page(
                s,
                select(RouterRow),
                ROUTER_COLUMNS,
                RouterRow.id,
                query,
                routers_visible(scope),
            )
            return load_routers(s, [row for (row,) in rows])

        return self.db.run(work, write=False)

    def get(self, scope: Scope, router_id: str) -> Router:
        return self.db.run(
            lambda s: load_routers(s, [router_row(s, scope, router_id)])[0],
            write=False,
        )

    # -- writes ---------------------------------------------------------------------

    def create(self, scope: Scope, items: Sequence[RouterCreate]) -> Sequence[Router]:
        """All or nothing. Raises OverQuota, and the gateway's errors
        (NetworkNotFound, InvalidInput)."""

        def work(s: Session) -> builtins.list[Router]:
            self.quotas.check(
                s, QuotaResource.ROUTER, Counter(i.tenant_id for i in items)
            )
            rows = []
            for item in items:
                router_id = access.new_id()
                info = item.external_gateway_info
                row = RouterRow(
                    id=router_id,
                    tenant_id=item.tenant_id,
                    name=item.name,
                    status=RouterStatus.ACTIVE.value,
                    admin_state_up=item.admin_state_up,
                    description=item.description,
                    enable_snat=True if info is None else info.enable_snat,
                    gw_port_id=(
                        None
                        if info is None
                        else self._gateway_port(s, router_id, info, {})
                    ),
                )
                s.add(row)
                rows.append(row)
            s.flush()
            return load_routers(s, rows)

        return self.db.run(work, write=True)

    def update(
        self,
        scope: Scope,
        router_id: str,
        changes: RouterUpdate,
        authorize: Callable[[Router], None] | None = None,
    ) -> Router:
        """Raises RouterNotFound, the gateway's errors (NetworkNotFound,
        InvalidInput, RouterExternalGatewayInUseByFloatingIp), the routes'
        (RoutesExhausted, InvalidInput); and what ``authorize`` raises."""

        def work(s: Session) -> Router:
            row = router_row(s, scope, router_id, lock=True)
            if authorize is not None:
                authorize(load_routers(s, [row])[0])
            if changes.name is not None:
                row.name = changes.name
            if changes.admin_state_up is not None:
                row.admin_state_up = changes.admin_state_up
            if changes.description is not None:
                row.description = changes.description
            if changes.external_gateway_info is not UNSET:
                self._set_gateway(s, row, changes.external_gateway_info)
            if changes.routes is not None:
                self._set_routes(s, row, changes.routes)
            s.flush()
            return load_routers(s, [row])[0]

        return self.db.run(work, write=True)

    def delete(
        self, scope: Scope, router_id: str, revisions: Sequence[int] = ()
    ) -> None:
        """Deletes the router and its gateway port. Raises RouterNotFound,
        RouterInUse (an interface or a floating IP names it),
        RevisionNumberConstraintFailed unless it is at one of ``revisions`` (if
        any: checked on the row locked for the delete)."""

        def work(s: Session) -> None:
            row = router_row(s, scope, router_id, lock=True)
            if revisions and row.revision_number not in revisions:
                raise stale(s, RouterRow, row.id, revisions) or exc.RouterNotFound(
                    router_id=router_id
                )
            self._forget_stale_floatingips(s, row.id)
            if s.scalar(
                select(FloatingIpRow.id)
                .where(FloatingIpRow.router_id == row.id)
                .limit(1)
            ):
                raise exc.RouterInUseByFloatingIP(router_id=row.id)
            if s.scalar(
                select(RouterInterfaceRow.port_id)
                .where(RouterInterfaceRow.router_id == row.id)
                .limit(1)
            ):
                raise exc.RouterInUse(router_id=row.id)
            gateway = row.gw_port_id
            try:
                with s.begin_nested():
                    s.execute(delete(RouterRow).where(RouterRow.id == row.id))
            except IntegrityError:
                # NOTE: the backstop: a row naming it committed since we looked.
                raise exc.RouterInUse(router_id=row.id) from None
            if gateway is not None:
                self.ports.delete_in(s, gateway)

        self.db.run(work, write=True)

    # -- interface actions ----------------------------------------------------------

    def add_router_interface(
        self, scope: Scope, router_id: str, body: Mapping[str, Any] | None
    ) -> RouterInterface:
        """Attach a subnet (a new port with its gateway address, owned by the
        subnet's tenant) or an existing port (given to the router). Raises
        InvalidInput, RouterNotFound, SubnetNotFound, PortNotFound, PortDeviceInUse,
        IpAddressInUse."""
        request = checks.interface_request(body, adding=True)

        def work(s: Session) -> RouterInterface:
            router = router_row(s, scope, router_id, lock=True)
            if request.port_id is not None:
                found = self._adopt_port(s, scope, router, request.port_id)
            else:
                assert request.subnet_id is not None  # noqa: S101  # NOTE: checked
                found = self._add_subnet(s, scope, router, request.subnet_id)
            # NOTE: an interface changes what the router is (its revision).
            router.updated_at = utcnow()
            s.flush()
            return found

        return self.db.run(work, write=True)

    def remove_router_interface(
        self, scope: Scope, router_id: str, body: Mapping[str, Any] | None
    ) -> RouterInterface:
        """Detach an interface, by port or by subnet; its port is deleted. Raises
        InvalidInput, RouterNotFound, RouterInterfaceNotFound,
        RouterInterfaceNotFoundForSubnet, SubnetMismatchForPort,
        RouterInterfaceInUseByFloatingIP, RouterInterfaceInUseByRoute."""
        request = checks.interface_request(body, adding=False)

        def work(s: Session) -> RouterInterface:
            router = router_row(s, scope, router_id, lock=True)
            interface: RouterInterfaceRow | None
            if request.port_id is not None:
                interface = s.scalars(
                    select(RouterInterfaceRow).where(
                        RouterInterfaceRow.port_id == request.port_id,
                        RouterInterfaceRow.router_id == router.id,
                    )
                ).one_or_none()
                if interface is None:
                    raise exc.RouterInterfaceNotFound(
                        router_id=router.id, port_id=request.port_id
                    )
                if (
                    request.subnet_id is not None
                    and request.subnet_id != interface.subnet_id
                ):
                    raise exc.SubnetMismatchForPort(
                        port_id=request.port_id, subnet_id=request.subnet_id
                    )
            else:
                assert request.subnet_id is not None  # noqa: S101  # NOTE: checked
                interface = s.scalars(
                    select(RouterInterfaceRow).where(
                        RouterInterfaceRow.subnet_id == request.subnet_id,
                        RouterInterfaceRow.router_id == router.id,
                    )
                ).one_or_none()
                if interface is None:
                    raise exc.RouterInterfaceNotFoundForSubnet(
                        router_id=router.id, subnet_id=request.subnet_id
                    )
            self._check_interface_unused(s, router, interface.subnet_id)
            found = RouterInterface(
                port_id=interface.port_id, subnet_id=interface.subnet_id
            )
            s.delete(interface)
            s.flush()
            self.ports.delete_in(s, found.port_id)
            router.updated_at = utcnow()
            s.flush()
            return found

        return self.db.run(work, write=True)

    # -- the parts ------------------------------------------------------------------

    def _attached(self, s: Session, router: RouterRow) -> dict[str, IPNetwork]:
        """The router's subnets (id -> CIDR): its interfaces' and its gateway's."""
        ids = list(
            s.scalars(
                select(RouterInterfaceRow.subnet_id).where(
                    RouterInterfaceRow.router_id == router.id
                )
            )
        )
        if router.gw_port_id is not None:
            ids += list(
                s.scalars(
                    select(IpAllocationRow.subnet_id).where(
                        IpAllocationRow.port_id == router.gw_port_id
                    )
                )
            )
        return _cidrs(s, ids)

    def _add_subnet(
        self, s: Session, scope: Scope, router: RouterRow, subnet_id: str
    ) -> RouterInterface:
        subnet = self._subnet_row(s, scope, subnet_id)
        if subnet.gateway_ip is None:
            raise exc.InvalidInput(
                reason=f"Subnet {subnet_id} for a router interface must have a "
                "gateway IP"
            )
        refusal = checks.overlapping(
            ip_network(subnet.cidr), subnet.id, self._attached(s, router)
        )
        if refusal is not None:
            raise refusal
        port = self.ports.create_in(
            s,
            PortCreate(
                tenant_id=subnet.tenant_id,
                network_id=subnet.network_id,
                fixed_ips=[
                    SpecificAddress(
                        subnet_id=subnet.id, ip_address=ip_address(subnet.gateway_ip)
                    )
                ],
                device_id=router.id,
                device_owner=ROUTER_INTERFACE_OWNER,
            ),
        )
        self._insert_interface(s, router, port.id, subnet.id)
        return RouterInterface(port_id=port.id, subnet_id=subnet.id)

    @staticmethod
    def _subnet_row(s: Session, scope: Scope, subnet_id: str) -> SubnetRow:
        """A subnet the scope may use (its own, or on a shared network), locked
        (shared) against its delete until commit. Raises SubnetNotFound."""
        query = select(SubnetRow).where(SubnetRow.id == subnet_id)
        if not scope.is_admin:
            shared = select(NetworkRow.id).where(NetworkRow.shared.is_(True))
            query = query.where(
                (SubnetRow.tenant_id == (scope.tenant_id or ""))
                | SubnetRow.network_id.in_(shared)
            )
        row = s.scalars(query.with_for_update(read=True)).one_or_none()
        if row is None:
            raise exc.SubnetNotFound(subnet_id=subnet_id)
        return row

    def _adopt_port(
        self, s: Session, scope: Scope, router: RouterRow, port_id: str
    ) -> RouterInterface:
        port = s.scalars(
            select(PortRow).where(PortRow.id == port_id, *access.ports_visible(scope))
        ).one_or_none()
        if port is None:
            raise exc.PortNotFound(port_id=port_id)
        if port.device_id:
            raise exc.PortDeviceInUse(
                port_id=port.id, network_id=port.network_id, device_id=port.device_id
            )
        ips = list(
            s.scalars(
                select(IpAllocationRow.subnet_id).where(
                    IpAllocationRow.port_id == port.id
                )
            )
        )
        if len(ips) != 1:
            raise exc.InvalidInput(
                reason=f"Router port {port.id} must have exactly one fixed IP"
            )
        (subnet_id,) = ips
        subnet = self._subnet_row(s, Scope(tenant_id=None, is_admin=True), subnet_id)
        refusal = checks.overlapping(
            ip_network(subnet.cidr), subnet.id, self._attached(s, router)
        )
        if refusal is not None:
            raise refusal
        if not self.ports.set_device_in(
            s, port.id, device_id=router.id, device_owner=ROUTER_INTERFACE_OWNER
        ):
            s.expire(port)
            raise exc.PortDeviceInUse(
                port_id=port.id, network_id=port.network_id, device_id="(unknown)"
            )
        self._insert_interface(s, router, port.id, subnet.id)
        return RouterInterface(port_id=port.id, subnet_id=subnet.id)

    @staticmethod
    def _insert_interface(
        s: Session, router: RouterRow, port_id: str, subnet_id: str
    ) -> None:
        try:
            with s.begin_nested():
                s.add(
                    RouterInterfaceRow(
                        port_id=port_id, router_id=router.id, subnet_id=subnet_id
                    )
                )
                s.flush()
        except IntegrityError:
            # NOTE: the backstop of the router lock: (router, subnet) is unique.
            raise exc.InvalidInput(
                reason=f"Router already has a port on subnet {subnet_id}"
            ) from None

    def _check_interface_unused(
        self, s: Session, router: RouterRow, subnet_id: str
    ) -> None:
        """Raise while a floating IP associated through the router, or an extra
        route, needs the interface on ``subnet_id``."""
        cidr = _cidrs(s, [subnet_id])[subnet_id]
        self._forget_stale_floatingips(s, router.id)
        for fixed in s.scalars(
            select(FloatingIpRow.fixed_ip_address).where(
                FloatingIpRow.router_id == router.id,
                FloatingIpRow.fixed_port_id.is_not(None),
            )
        ):
            if fixed is not None and _inside(ip_address(fixed), cidr):
                raise exc.RouterInterfaceInUseByFloatingIP(
                    router_id=router.id, subnet_id=subnet_id
                )
        for nexthop in s.scalars(
            select(RouterRouteRow.nexthop).where(RouterRouteRow.router_id == router.id)
        ):
            if _inside(ip_address(nexthop), cidr):
                raise exc.RouterInterfaceInUseByRoute(
                    router_id=router.id, subnet_id=subnet_id
                )

    @staticmethod
    def _forget_stale_floatingips(s: Session, router_id: str) -> None:
        """Floating IPs whose port was deleted (``fixed_port_id`` set NULL by the
        schema) stop naming the router."""
        s.execute(
            update(FloatingIpRow)
            .where(
                FloatingIpRow.router_id == router_id,
                FloatingIpRow.fixed_port_id.is_(None),
            )
            .values(router_id=None, fixed_ip_address=None)
            .execution_options(synchronize_session=False)
        )

    def _set_gateway(
        self, s: Session, row: RouterRow, info: ExternalGatewayInfo | None
    ) -> None:
        """Set, move or remove (None) the router's gateway (spec §5.2)."""
        current = (
            s.scalar(select(PortRow.network_id).where(PortRow.id == row.gw_port_id))
            if row.gw_port_id
            else None
        )
        if info is not None and info.network_id == current:
            row.enable_snat = info.enable_snat
            return
        if info is not None:
            _network_for_gateway(s, info.network_id)
        if current is not None:
            self._forget_stale_floatingips(s, row.id)
            if s.scalar(
                select(FloatingIpRow.id)
                .where(FloatingIpRow.router_id == row.id)
                .limit(1)
            ):
                raise exc.RouterExternalGatewayInUseByFloatingIp(
                    router_id=row.id, net_id=current
                )
            old = row.gw_port_id
            row.gw_port_id = None
            s.flush()
            assert old is not None  # noqa: S101  # NOTE: current came from it
            self.ports.delete_in(s, old)
        row.updated_at = utcnow()
        if info is None:
            row.enable_snat = True
            return
        row.gw_port_id = self._gateway_port(s, row.id, info, self._attached(s, row))
        row.enable_snat = info.enable_snat
        s.flush()

    def _gateway_port(
        self,
        s: Session,
        router_id: str,
        info: ExternalGatewayInfo,
        interfaces: Mapping[str, IPNetwork],
    ) -> str:
        """A new gateway port on the external network, whose subnets must not
        overlap the router's ``interfaces``. Raises NetworkNotFound, InvalidInput
        (not external, overlapping, no address)."""
        _network_for_gateway(s, info.network_id)
        for subnet_id, cidr in s.execute(
            select(SubnetRow.id, SubnetRow.cidr).where(
                SubnetRow.network_id == info.network_id
            )
        ):
            refusal = checks.overlapping(ip_network(cidr), subnet_id, interfaces)
            if refusal is not None:
                raise refusal
        port = self.ports.create_in(
            s,
            PortCreate(
                tenant_id="",
                network_id=info.network_id,
                device_id=router_id,
                device_owner=ROUTER_GATEWAY_OWNER,
            ),
        )
        if not port.fixed_ips:
            raise exc.InvalidInput(
                reason=f"No IPs available for external network {info.network_id}"
            )
        return port.id

    def _set_routes(self, s: Session, row: RouterRow, routes: Sequence[Route]) -> None:
        attached = self._attached(s, row)
        port_ids = list(
            s.scalars(
                select(RouterInterfaceRow.port_id).where(
                    RouterInterfaceRow.router_id == row.id
                )
            )
        )
        if row.gw_port_id is not None:
            port_ids.append(row.gw_port_id)
        own: list[IPAddress] = [
            ip_address(text)
            for text in s.scalars(
                select(IpAllocationRow.ip_address).where(
                    IpAllocationRow.port_id.in_(port_ids)
                )
            )
        ]
        checks.check_routes(
            row.id,
            routes,
            max_routes=self.max_routes,
            subnets=attached.values(),
            own_addresses=own,
        )
        s.execute(delete(RouterRouteRow).where(RouterRouteRow.router_id == row.id))
        for position, route in enumerate(routes):
            s.add(
                RouterRouteRow(
                    router_id=row.id,
                    destination=str(route.destination),
                    nexthop=str(route.nexthop),
                    position=position,
                )
            )
        # NOTE: the routes are the router's; its UPDATE bumps its revision.
        row.updated_at = utcnow()


def _inside(address: IPAddress, cidr: IPNetwork) -> bool:
    return address.version == cidr.version and address in cidr
