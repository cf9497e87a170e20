# SPDX-License-Identifier: Apache-2.0
"""Which L3 agent runs which router, and what that agent is told of it.

``router_l3_agent_bindings`` holds one row per hosted router (its primary key is
the router: one agent per router, however many schedule at once). A router no
agent hosts (new, or its agent deleted: the binding goes with it) is scheduled by
the next L3 agent that asks for its state: to the least loaded live, enabled L3
agent that serves the router's external network (``gateway_external_network_id``
and ``handle_internal_only_routers`` as it reports them), ties broken by host
name. That agent may be another: the binding bumps the ``routers`` topic, which
wakes it. A router stays with its agent when the agent dies or is disabled
(liveness is reported, never enforced); an administrator moves it
(``/v2.0/agents/<id>/l3-routers``).
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Collection, Mapping
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address, ip_interface, ip_network
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.agents import AgentHost
from quantum.core.feed import Topic
from quantum.core.l3_agents import (
    L3_AGENT_TYPE,
    HostedFloatingIp,
    HostedGateway,
    HostedInterface,
    HostedRoute,
    HostedRouter,
    HostedSubnet,
    IPInterface,
    L3HostState,
)
from quantum.db import revision
from quantum.db.models import (
    AgentHostRow,
    FloatingIpRow,
    IpAllocationRow,
    PortRow,
    RouterInterfaceRow,
    RouterL3AgentBindingRow,
    RouterRouteRow,
    RouterRow,
    SubnetRow,
)
from quantum.db.session import Database
from quantum.plugins.interface import AgentStateSource

LOG = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _configurations(row: AgentHostRow) -> dict[str, Any]:
    try:
        value = json.loads(row.configurations) if row.configurations else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def serves(configurations: Mapping[str, Any], gateway_network: str | None) -> bool:
    """Whether an L3 agent so configured runs a router with that gateway."""
    if gateway_network is None:
        return configurations.get("handle_internal_only_routers", True) is not False
    wanted = configurations.get("gateway_external_network_id") or ""
    return not wanted or wanted == gateway_network


def _gateway_networks(s: Session, router_ids: Collection[str]) -> dict[str, str]:
    rows = s.execute(
        select(RouterRow.id, PortRow.network_id)
        .join(PortRow, PortRow.id == RouterRow.gw_port_id)
        .where(RouterRow.id.in_(sorted(router_ids)))
    )
    return {router_id: network_id for router_id, network_id in rows}


def unhosted(s: Session) -> list[str]:
    """The routers no agent hosts, by id."""
    return list(
        s.scalars(
            select(RouterRow.id)
            .outerjoin(
                RouterL3AgentBindingRow,
                RouterL3AgentBindingRow.router_id == RouterRow.id,
            )
            .where(RouterL3AgentBindingRow.router_id.is_(None))
            .order_by(RouterRow.id)
        )
    )


def placements(s: Session, since: datetime) -> list[tuple[str, str, str]]:
    """Where each router no agent hosts goes: ``(router id, agent id, host)``, to
    the least loaded live, enabled L3 agent that serves it (a read)."""
    routers = unhosted(s)
    if not routers:
        return []
    agents = list(
        s.scalars(
            select(AgentHostRow)
            .where(
                AgentHostRow.agent_type == L3_AGENT_TYPE,
                AgentHostRow.admin_state_up.is_(True),
                AgentHostRow.last_seen >= since,
            )
            .order_by(AgentHostRow.host)
        )
    )
    if not agents:
        return []
    load: dict[str, int] = defaultdict(int)
    for agent_id, hosted in s.execute(
        select(RouterL3AgentBindingRow.l3_agent_id, func.count())
        .where(RouterL3AgentBindingRow.l3_agent_id.in_([a.id for a in agents]))
        .group_by(RouterL3AgentBindingRow.l3_agent_id)
    ):
        load[agent_id] = hosted
    gateways = _gateway_networks(s, routers)
    configured = {a.id: _configurations(a) for a in agents}
    found = []
    for router_id in routers:
        candidates = [
            a for a in agents if serves(configured[a.id], gateways.get(router_id))
        ]
        if not candidates:
            continue
        agent = min(candidates, key=lambda a: load[a.id])  # NOTE: stable: by host
        load[agent.id] += 1
        found.append((router_id, agent.id, agent.host))
    return found


def bind(s: Session, placed: Collection[tuple[str, str, str]]) -> int:
    """Store the bindings; those a concurrent scheduler made first (or whose
    router or agent went meanwhile) are skipped. How many were stored."""
    bound = 0
    for router_id, agent_id, host in placed:
        try:
            with s.begin_nested():
                s.add(
                    RouterL3AgentBindingRow(router_id=router_id, l3_agent_id=agent_id)
                )
        except IntegrityError:
            continue
        bound += 1
        LOG.info("router %s scheduled to the L3 agent of %s", router_id, host)
    return bound


def _addresses(
    s: Session, port_ids: Collection[str]
) -> dict[str, list[tuple[IPInterface, str | None, HostedSubnet]]]:
    """Port id -> its addresses with their subnet's prefix, the subnet's gateway
    and the subnet (with its IPv6 modes), in the port's order."""
    found: dict[str, list[tuple[IPInterface, str | None, HostedSubnet]]] = defaultdict(
        list
    )
    if not port_ids:
        return found
    rows = s.execute(
        select(
            IpAllocationRow.port_id,
            IpAllocationRow.ip_address,
            SubnetRow.id,
            SubnetRow.cidr,
            SubnetRow.gateway_ip,
            SubnetRow.ipv6_ra_mode,
            SubnetRow.ipv6_address_mode,
        )
        .join(SubnetRow, SubnetRow.id == IpAllocationRow.subnet_id)
        .where(IpAllocationRow.port_id.in_(sorted(port_ids)))
        .order_by(IpAllocationRow.port_id, IpAllocationRow.position)
    )
    for port_id, address, subnet_id, cidr, gateway_ip, ra_mode, address_mode in rows:
        network = ip_network(cidr)
        subnet = HostedSubnet(
            id=str(subnet_id),
            cidr=network,
            ipv6_ra_mode=ra_mode,
            ipv6_address_mode=address_mode,
        )
        found[str(port_id)].append(
            (ip_interface(f"{address}/{network.prefixlen}"), gateway_ip, subnet)
        )
    return found


def hosted_routers(
    s: Session, agent_id: str, router_ids: Collection[str] | None = None
) -> tuple[HostedRouter, ...]:
    """The routers bound to the agent, whole, by id."""
    query = (
        select(RouterRow)
        .join(
            RouterL3AgentBindingRow, RouterL3AgentBindingRow.router_id == RouterRow.id
        )
        .where(RouterL3AgentBindingRow.l3_agent_id == agent_id)
        .order_by(RouterRow.id)
    )
    if router_ids is not None:
        query = query.where(RouterRow.id.in_(sorted(set(router_ids))))
    routers = list(s.scalars(query))
    if not routers:
        return ()
    ids = [r.id for r in routers]
    interfaces: dict[str, list[PortRow]] = defaultdict(list)
    for router_id, row in s.execute(
        select(RouterInterfaceRow.router_id, PortRow)
        .join(PortRow, PortRow.id == RouterInterfaceRow.port_id)
        .where(RouterInterfaceRow.router_id.in_(ids))
        .order_by(RouterInterfaceRow.router_id, PortRow.id)
    ):
        if all(p.id != row.id for p in interfaces[router_id]):
            interfaces[router_id].append(row)
    gateway_ports = {
        p.id: p
        for p in s.scalars(
            select(PortRow).where(
                PortRow.id.in_([r.gw_port_id for r in routers if r.gw_port_id])
            )
        )
    }
    addresses = _addresses(
        s,
        {p.id for ports in interfaces.values() for p in ports} | set(gateway_ports),
    )
    routes: dict[str, list[HostedRoute]] = defaultdict(list)
    for route in s.scalars(
        select(RouterRouteRow)
        .where(RouterRouteRow.router_id.in_(ids))
        .order_by(RouterRouteRow.router_id, RouterRouteRow.position)
    ):
        routes[route.router_id].append(
            HostedRoute(
                destination=ip_network(route.destination),
                nexthop=ip_address(route.nexthop),
            )
        )
    floating: dict[str, list[HostedFloatingIp]] = defaultdict(list)
    for fip in s.scalars(
        select(FloatingIpRow)
        .where(
            FloatingIpRow.router_id.in_(ids),
            FloatingIpRow.fixed_port_id.is_not(None),
            FloatingIpRow.fixed_ip_address.is_not(None),
        )
        .order_by(FloatingIpRow.router_id, FloatingIpRow.floating_ip_address)
    ):
        if fip.router_id is None or fip.fixed_port_id is None:
            continue  # NOTE: not so (the query's filter): for the type checker
        if fip.fixed_ip_address is None:
            continue
        floating[fip.router_id].append(
            HostedFloatingIp(
                id=fip.id,
                floating_ip_address=ip_address(fip.floating_ip_address),
                fixed_ip_address=ip_address(fip.fixed_ip_address),
                port_id=fip.fixed_port_id,
            )
        )
    result = []
    for router in routers:
        gateway = None
        port = gateway_ports.get(router.gw_port_id or "")
        if port is not None:
            v4 = [(a, g) for a, g, _ in addresses.get(port.id, []) if a.version == 4]
            if v4:
                address, gateway_ip = v4[0]
                gateway = HostedGateway(
                    port_id=port.id,
                    network_id=port.network_id,
                    mac_address=port.mac_address or "",
                    address=address,
                    gateway_ip=ip_address(gateway_ip) if gateway_ip else None,
                    enable_snat=router.enable_snat,
                )
        result.append(
            HostedRouter(
                id=router.id,
                admin_state_up=router.admin_state_up,
                interfaces=tuple(
                    HostedInterface(
                        port_id=p.id,
                        network_id=p.network_id,
                        mac_address=p.mac_address or "",
                        addresses=tuple(a for a, _, _ in addresses.get(p.id, [])),
                        subnets=tuple(
                            subnet for _, _, subnet in addresses.get(p.id, [])
                        ),
                    )
                    for p in interfaces[router.id]
                ),
                gateway=gateway,
                routes=tuple(routes[router.id]),
                floating_ips=tuple(floating[router.id]) if gateway else (),
            )
        )
    return tuple(result)


class RouterHosting:
    """The ``l3_agents`` service: ``plugins.interface.RouterHosting`` over the
    store, registering agents through the core plugin's ``AgentStateSource``."""

    def __init__(self, db: Database, core: AgentStateSource, down_time: float) -> None:
        self.db = db
        self.core = core
        self.down_time = down_time

    def _alive_since(self) -> datetime:
        return _utcnow() - timedelta(seconds=self.down_time)

    def report_l3_agent(self, host: AgentHost) -> int:
        return self.core.report_host(host)

    def _agent(self, s: Session, host: str) -> AgentHostRow | None:
        return s.scalar(
            select(AgentHostRow).where(
                AgentHostRow.agent_type == L3_AGENT_TYPE, AgentHostRow.host == host
            )
        )

    def l3_host_state(
        self, host: str, router_ids: Collection[str] | None = None
    ) -> L3HostState:
        since = self._alive_since()
        placed = self.db.run(lambda s: placements(s, since), write=False)
        if placed:

            def place(s: Session) -> None:
                if bind(s, placed):  # NOTE: wakes the agents bound to
                    revision.bump(s, {Topic.ROUTERS})

            self.db.run(place, write=True, bump_revision=False)

        def read(s: Session) -> L3HostState:
            # NOTE: the revision first: what is read after it is at least as new.
            rev = revision.current(s)
            agent = self._agent(s, host)
            if agent is None:  # NOTE: not registered (yet): nothing to run
                return L3HostState(host=host, revision=rev)
            return L3HostState(
                host=host,
                revision=rev,
                routers=hosted_routers(s, agent.id, router_ids),
                admin_state_up=agent.admin_state_up,
            )

        return self.db.run(read, write=False)

    # -- the scheduler's admin calls (/v2.0/agents/<id>/l3-routers, spec §5.9) --

    def agents_of_router(self, router_id: str) -> list[str]:
        """The id of the L3 agent hosting the router (none or one)."""
        return self.db.run(
            lambda s: list(
                s.scalars(
                    select(RouterL3AgentBindingRow.l3_agent_id).where(
                        RouterL3AgentBindingRow.router_id == router_id
                    )
                )
            ),
            write=False,
        )

    def routers_of_agent(self, agent_id: str) -> list[str]:
        """The ids of the routers the agent hosts. Raises AgentNotFound."""

        def work(s: Session) -> list[str]:
            if (
                s.scalar(select(AgentHostRow.id).where(AgentHostRow.id == agent_id))
                is None
            ):
                raise exc.AgentNotFound(agent_id=agent_id)
            return list(
                s.scalars(
                    select(RouterL3AgentBindingRow.router_id)
                    .where(RouterL3AgentBindingRow.l3_agent_id == agent_id)
                    .order_by(RouterL3AgentBindingRow.router_id)
                )
            )

        return self.db.run(work, write=False)

    def add_router_to_agent(self, agent_id: str, router_id: str) -> None:
        """Host the router on the agent. Raises AgentNotFound, RouterNotFound,
        InvalidL3Agent (not an enabled L3 agent serving the router's external
        network), RouterHostedByL3Agent, RouterSchedulingFailed (hosted by
        another: remove it there first)."""

        def work(s: Session) -> None:
            agent = s.scalar(select(AgentHostRow).where(AgentHostRow.id == agent_id))
            if agent is None:
                raise exc.AgentNotFound(agent_id=agent_id)
            if s.get(RouterRow, router_id) is None:
                raise exc.RouterNotFound(router_id=router_id)
            gateway = _gateway_networks(s, [router_id]).get(router_id)
            if (
                agent.agent_type != L3_AGENT_TYPE
                or not agent.admin_state_up
                or not serves(_configurations(agent), gateway)
            ):
                raise exc.InvalidL3Agent(agent_id=agent_id)
            bound = s.get(RouterL3AgentBindingRow, router_id)
            if bound is not None:
                if bound.l3_agent_id == agent_id:
                    raise exc.RouterHostedByL3Agent(
                        router_id=router_id, agent_id=agent_id
                    )
                raise exc.RouterSchedulingFailed(router_id=router_id, agent_id=agent_id)
            try:
                with s.begin_nested():
                    s.add(
                        RouterL3AgentBindingRow(
                            router_id=router_id, l3_agent_id=agent_id
                        )
                    )
            except IntegrityError:
                raise exc.RouterSchedulingFailed(
                    router_id=router_id, agent_id=agent_id
                ) from None

        self.db.run(work, write=True)

    def remove_router_from_agent(self, agent_id: str, router_id: str) -> None:
        """Take the router off the agent (its namespace goes there; the next L3
        agent to ask schedules it anew). Raises AgentNotFound,
        RouterNotHostedByL3Agent."""

        def work(s: Session) -> None:
            if (
                s.scalar(select(AgentHostRow.id).where(AgentHostRow.id == agent_id))
                is None
            ):
                raise exc.AgentNotFound(agent_id=agent_id)
            gone = s.execute(
                delete(RouterL3AgentBindingRow).where(
                    RouterL3AgentBindingRow.router_id == router_id,
                    RouterL3AgentBindingRow.l3_agent_id == agent_id,
                )
            )
            if not gone.rowcount:  # type: ignore[attr-defined]  # NOTE: CursorResult
                raise exc.RouterNotHostedByL3Agent(
                    router_id=router_id, agent_id=agent_id
                )

        self.db.run(work, write=True)
