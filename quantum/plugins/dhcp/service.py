# SPDX-License-Identifier: Apache-2.0
"""``DhcpAgents``: the server side of DHCP agents, over the SQL store.

* ``state(host)``: what the DHCP agent of ``host`` serves (``core.dhcp``). It first
  schedules (``scheduler``: networks that need DHCP to live, enabled agents;
  networks off dead agents), then keeps this agent's DHCP ports: one per network it
  serves that has a DHCP-enabled subnet, with one address on each such subnet and
  bound to the agent's host (created, or its ``fixed_ips`` and binding mended,
  through the ports service, the one write path of a port); its DHCP ports on
  networks it no longer serves, or without DHCP, are deleted. Then it reads the
  state again.
* The scheduler's admin calls (``/v2.0/agents/<id>/dhcp-networks``,
  ``/v2.0/networks/<id>/dhcp-agents``): list, add, remove.

Scheduling needs no trigger of its own: every DHCP agent asks for its state at
least once a heartbeat interval, and each ask schedules (a read; a write only
when something must change, under row locks of the networks it schedules, so two
servers never give one network too many agents).
"""

from __future__ import annotations

import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.agents import DHCP_AGENT_TYPE
from quantum.core.dhcp import (
    DHCP_OWNER,
    DhcpHostState,
    DhcpLease,
    DhcpNetwork,
    dhcp_device_id,
    dhcp_device_prefix,
)
from quantum.core.ports import (
    AnyAddress,
    FixedIPRequest,
    Port,
    PortCreate,
    PortUpdate,
    SpecificAddress,
)
from quantum.core.scope import Scope
from quantum.core.subnets import Subnet
from quantum.db import revision
from quantum.db.models import (
    AgentHostRow,
    NetworkDhcpAgentRow,
    NetworkRow,
    PortRow,
    SubnetRow,
    utcnow,
)
from quantum.db.session import Database
from quantum.ipam import store as ipam
from quantum.plugins.dhcp import provisioning
from quantum.plugins.dhcp.scheduler import Changes, schedule

LOG = logging.getLogger(__name__)

ADMIN = Scope(tenant_id=None, is_admin=True)

MtuOf = Callable[[Session, Collection[str]], Mapping[str, int | None]]
"""Network id -> its MTU, for the given networks (those it knows)."""


class PortWriter(Protocol):
    """What ``DhcpAgents`` needs of the ports service (``plugins.core.ports``)."""

    def create(self, scope: Scope, items: Sequence[PortCreate]) -> Sequence[Port]: ...
    def update(self, scope: Scope, port_id: str, changes: PortUpdate) -> Port: ...
    def delete(self, scope: Scope, port_id: str) -> None: ...


def _dhcp_networks(s: Session) -> set[str]:
    """The networks that need DHCP: those with a DHCP-enabled subnet."""
    return set(
        s.scalars(select(SubnetRow.network_id).where(SubnetRow.enable_dhcp).distinct())
    )


class DhcpAgents:
    def __init__(
        self,
        db: Database,
        ports: PortWriter,
        *,
        down_time: timedelta,
        per_network: int,
        mtu_of: MtuOf,
        lease_duration: int = 120,
    ) -> None:
        self.db = db
        self.ports = ports
        self.down_time = down_time
        self.per_network = per_network
        self.mtu_of = mtu_of
        self.lease_duration = lease_duration

    # -- scheduling ------------------------------------------------------------------

    def _eligible(self, s: Session, now: datetime) -> dict[str, str]:
        since = now - self.down_time
        return {
            agent_id: host
            for agent_id, host in s.execute(
                select(AgentHostRow.id, AgentHostRow.host).where(
                    AgentHostRow.agent_type == DHCP_AGENT_TYPE,
                    AgentHostRow.last_seen >= since,
                    AgentHostRow.admin_state_up,
                )
            )
        }

    def _plan(self, s: Session, now: datetime) -> Changes:
        bindings: dict[str, set[str]] = defaultdict(set)
        loads: dict[str, int] = defaultdict(int)
        for network_id, agent_id in s.execute(
            select(NetworkDhcpAgentRow.network_id, NetworkDhcpAgentRow.agent_id)
        ):
            bindings[network_id].add(agent_id)
            loads[agent_id] += 1
        return schedule(
            needy=_dhcp_networks(s),
            bindings=bindings,
            eligible=self._eligible(s, now),
            loads=loads,
            per_network=self.per_network,
        )

    def schedule(self) -> Changes:
        """Bind the networks that need DHCP agents; move them off dead ones."""
        now = utcnow()
        if self.db.run(lambda s: self._plan(s, now), write=False).is_empty:
            return Changes()

        def work(s: Session) -> Changes:
            planned = self._plan(s, now)
            networks = sorted({n for n, _ in planned.add + planned.remove})
            # NOTE: lock the networks, then plan again: a server scheduling them
            # at the same time waits here and then sees this one's bindings.
            s.scalars(
                select(NetworkRow.id)
                .where(NetworkRow.id.in_(networks))
                .order_by(NetworkRow.id)
                .with_for_update()
            ).all()
            changes = self._plan(s, now)
            for network_id, agent_id in changes.remove:
                s.execute(
                    delete(NetworkDhcpAgentRow).where(
                        NetworkDhcpAgentRow.network_id == network_id,
                        NetworkDhcpAgentRow.agent_id == agent_id,
                    )
                )
            for network_id, agent_id in changes.add:
                s.add(NetworkDhcpAgentRow(network_id=network_id, agent_id=agent_id))
            return changes

        changes = self.db.run(work, write=True)
        for network_id, agent_id in changes.add:
            LOG.info("network %s scheduled to DHCP agent %s", network_id, agent_id)
        for network_id, agent_id in changes.remove:
            LOG.info("network %s moved off DHCP agent %s", network_id, agent_id)
        return changes

    # -- the scheduler's admin calls (spec §5.9) --------------------------------------

    def networks_of_agent(self, agent_id: str) -> list[str]:
        """The networks the agent serves, by id. Raises AgentNotFound."""

        def work(s: Session) -> list[str]:
            _agent(s, agent_id)
            return sorted(
                s.scalars(
                    select(NetworkDhcpAgentRow.network_id).where(
                        NetworkDhcpAgentRow.agent_id == agent_id
                    )
                )
            )

        return self.db.run(work, write=False)

    def agents_of_network(self, network_id: str) -> list[str]:
        """The DHCP agents serving the network, by id. Raises NetworkNotFound."""

        def work(s: Session) -> list[str]:
            if s.get(NetworkRow, network_id) is None:
                raise exc.NetworkNotFound(network_id=network_id)
            return sorted(
                s.scalars(
                    select(NetworkDhcpAgentRow.agent_id).where(
                        NetworkDhcpAgentRow.network_id == network_id
                    )
                )
            )

        return self.db.run(work, write=False)

    def add_network(self, agent_id: str, network_id: str) -> None:
        """Schedule the network to the agent. Raises AgentNotFound,
        InvalidDHCPAgent (not a DHCP agent, or disabled), NetworkNotFound,
        NetworkHostedByDHCPAgent."""

        def work(s: Session) -> None:
            agent = _agent(s, agent_id)
            if agent.agent_type != DHCP_AGENT_TYPE or not agent.admin_state_up:
                raise exc.InvalidDHCPAgent(agent_id=agent_id)
            if s.get(NetworkRow, network_id, with_for_update=True) is None:
                raise exc.NetworkNotFound(network_id=network_id)
            if s.get(NetworkDhcpAgentRow, (network_id, agent_id)) is not None:
                raise exc.NetworkHostedByDHCPAgent(
                    network_id=network_id, agent_id=agent_id
                )
            s.add(NetworkDhcpAgentRow(network_id=network_id, agent_id=agent_id))

        self.db.run(work, write=True)

    def remove_network(self, agent_id: str, network_id: str) -> None:
        """Take the network off the agent (the scheduler may give it another).
        Raises AgentNotFound, NetworkNotHostedByDhcpAgent."""

        def work(s: Session) -> None:
            _agent(s, agent_id)
            gone = s.execute(
                delete(NetworkDhcpAgentRow).where(
                    NetworkDhcpAgentRow.network_id == network_id,
                    NetworkDhcpAgentRow.agent_id == agent_id,
                )
            )
            if not gone.rowcount:  # type: ignore[attr-defined]  # NOTE: CursorResult
                raise exc.NetworkNotHostedByDhcpAgent(
                    network_id=network_id, agent_id=agent_id
                )

        self.db.run(work, write=True)

    # -- what an agent reports ---------------------------------------------------------

    def provisioned(self, host: str, port_ids: Sequence[str]) -> int:
        """The DHCP agent of ``host`` has these ports in dnsmasq: their DHCP
        provisioning block goes (``provisioning``); how many were waiting."""
        if not port_ids:
            return 0
        return self.db.run(
            lambda s: provisioning.provisioned(s, host, port_ids),
            write=True,
            # NOTE: a status, not desired state: no agent needs waking.
            bump_revision=False,
        )

    def record_leases(self, host: str, leases: Sequence[DhcpLease]) -> int:
        """The leases the DHCP agent of ``host`` read from dnsmasq, on networks
        scheduled to it (``ipam.store.record_leases``); how many addresses moved."""
        if not leases:
            return 0

        def work(s: Session) -> int:
            served = set(
                s.scalars(
                    select(NetworkDhcpAgentRow.network_id)
                    .join(AgentHostRow, AgentHostRow.id == NetworkDhcpAgentRow.agent_id)
                    .where(
                        AgentHostRow.agent_type == DHCP_AGENT_TYPE,
                        AgentHostRow.host == host,
                    )
                )
            )
            return ipam.record_leases(s, served, leases)

        # NOTE: lease ends are no desired state: no agent needs waking.
        return self.db.run(work, write=True, bump_revision=False)

    # -- an agent's state ------------------------------------------------------------

    def state(self, host: str) -> DhcpHostState:
        self.schedule()
        state, strays = self.db.run(lambda s: self._read(s, host), write=False)
        if self._mend_ports(host, state, strays):
            state, _ = self.db.run(lambda s: self._read(s, host), write=False)
        return state

    def _read(self, s: Session, host: str) -> tuple[DhcpHostState, list[str]]:
        """The agent's state, and its DHCP ports on networks it does not serve."""
        # NOTE: the revision first: what is read after it is at least as new.
        rev = revision.current(s)
        agent = s.scalars(
            select(AgentHostRow).where(
                AgentHostRow.agent_type == DHCP_AGENT_TYPE, AgentHostRow.host == host
            )
        ).one_or_none()
        network_ids: list[str] = []
        if agent is not None and agent.admin_state_up:
            network_ids = sorted(
                s.scalars(
                    select(NetworkDhcpAgentRow.network_id).where(
                        NetworkDhcpAgentRow.agent_id == agent.id
                    )
                )
            )
        strays = [
            port_id
            for port_id, network_id, device_id in s.execute(
                select(PortRow.id, PortRow.network_id, PortRow.device_id).where(
                    PortRow.device_owner == DHCP_OWNER,
                    PortRow.device_id.startswith(dhcp_device_prefix(host)),
                    PortRow.network_id.not_in(network_ids),
                )
            )
        ]
        networks = self._networks(s, host, network_ids) if network_ids else ()
        admin_up = agent is None or agent.admin_state_up
        return (
            DhcpHostState(
                host=host,
                revision=rev,
                admin_state_up=admin_up,
                networks=networks,
                lease_duration=self.lease_duration,
            ),
            strays,
        )

    def _networks(
        self, s: Session, host: str, network_ids: Sequence[str]
    ) -> tuple[DhcpNetwork, ...]:
        rows = {
            row.id: row
            for row in s.scalars(
                select(NetworkRow).where(NetworkRow.id.in_(network_ids))
            )
        }
        subnet_rows = list(
            s.scalars(
                select(SubnetRow)
                .where(SubnetRow.network_id.in_(network_ids))
                .order_by(SubnetRow.created_at, SubnetRow.id)
            )
        )
        subnets: dict[str, list[Subnet]] = defaultdict(list)
        for subnet in ipam.load_subnets(s, subnet_rows):
            subnets[subnet.network_id].append(subnet)
        port_rows = list(
            s.scalars(
                select(PortRow)
                .where(PortRow.network_id.in_(network_ids))
                .order_by(PortRow.created_at, PortRow.id)
            )
        )
        ips = ipam.fixed_ips_of(s, [p.id for p in port_rows])
        ports: dict[str, list[Port]] = defaultdict(list)
        for port_row in port_rows:
            ports[port_row.network_id].append(port_row.to_domain(ips[port_row.id]))
        mtus = self.mtu_of(s, list(rows))
        found = []
        for network_id in network_ids:
            row = rows.get(network_id)
            if row is None:
                continue
            device_id = dhcp_device_id(host, network_id)
            dhcp_port = next(
                (
                    p
                    for p in ports[network_id]
                    if p.device_owner == DHCP_OWNER and p.device_id == device_id
                ),
                None,
            )
            found.append(
                DhcpNetwork(
                    network=row.to_domain(),
                    mtu=mtus.get(network_id),
                    subnets=tuple(subnets[network_id]),
                    ports=tuple(ports[network_id]),
                    dhcp_port=dhcp_port,
                )
            )
        return tuple(found)

    def _mend_ports(
        self, host: str, state: DhcpHostState, strays: Sequence[str]
    ) -> bool:
        """Create, mend or delete this agent's DHCP ports; whether any changed.
        A port that cannot be made (the subnet is full, the tenant over quota) is
        logged; its network is served once it can."""
        changed = False
        for port_id in strays:
            changed |= self._try(f"delete DHCP port {port_id}", self._delete, port_id)
        for served in state.networks:
            net = served.network
            wanted = [s.id for s in served.subnets if s.enable_dhcp]
            device_id = dhcp_device_id(host, net.id)
            extra = [
                p.id
                for p in served.ports
                if p.device_owner == DHCP_OWNER
                and p.device_id == device_id
                and p is not served.dhcp_port
            ]
            for port_id in extra:
                changed |= self._try(
                    f"delete DHCP port {port_id}", self._delete, port_id
                )
            port = served.dhcp_port
            if port is None and wanted:
                item = PortCreate(
                    tenant_id=net.tenant_id,
                    network_id=net.id,
                    device_owner=DHCP_OWNER,
                    device_id=device_id,
                    binding_host_id=host,
                    fixed_ips=[AnyAddress(subnet_id=s) for s in wanted],
                )
                changed |= self._try(
                    f"create the DHCP port of network {net.id}",
                    lambda i=item: self.ports.create(ADMIN, [i]),
                )
            elif port is not None and not wanted:
                changed |= self._try(
                    f"delete DHCP port {port.id}", self._delete, port.id
                )
            elif port is not None:
                update = _mended(port, wanted, host)
                if update is not None:
                    changed |= self._try(
                        f"mend DHCP port {port.id}",
                        lambda p=port.id, u=update: self.ports.update(ADMIN, p, u),
                    )
        return changed

    def _delete(self, port_id: str) -> None:
        with contextlib.suppress(exc.PortNotFound):
            self.ports.delete(ADMIN, port_id)

    @staticmethod
    def _try(what: str, call: Callable[..., object], *args: object) -> bool:
        try:
            call(*args)
        except exc.QuantumError as error:
            LOG.warning("could not %s: %s", what, error)
            return False
        return True


def _agent(s: Session, agent_id: str) -> AgentHostRow:
    row = s.scalars(
        select(AgentHostRow).where(AgentHostRow.id == agent_id)
    ).one_or_none()
    if row is None:
        raise exc.AgentNotFound(agent_id=agent_id)
    return row


def _mended(port: Port, wanted: Sequence[str], host: str) -> PortUpdate | None:
    """The update that gives ``port`` one address on each of ``wanted`` (keeping
    those it has) and binds it to ``host``; None when it needs none."""
    kept: dict[str, FixedIPRequest] = {}
    for ip in port.fixed_ips:
        if ip.subnet_id in wanted and ip.subnet_id not in kept:
            kept[ip.subnet_id] = SpecificAddress(
                subnet_id=ip.subnet_id, ip_address=ip.ip_address
            )
    fixed: list[FixedIPRequest] = [
        kept.get(s) or AnyAddress(subnet_id=s) for s in wanted
    ]
    same_ips = len(port.fixed_ips) == len(wanted) and len(kept) == len(wanted)
    if same_ips and port.binding_host_id == host:
        return None
    return PortUpdate(
        fixed_ips=None if same_ips else fixed,
        binding_host_id=None if port.binding_host_id == host else host,
    )
