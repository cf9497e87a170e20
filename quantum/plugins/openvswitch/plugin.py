# SPDX-License-Identifier: Apache-2.0
"""``core_plugin = openvswitch``: the SQL model with the Open vSwitch mechanism.

The plugin is the ``SqlPlugin`` (its services are the one write path) given an
``OpenVSwitchMechanism`` (which VLAN id or tunnel key each network gets, in the
network's create transaction; the segment's id is freed by the cascade in the
network delete's transaction), plus what its agents read and report over the agent
API. v1 has no provider attributes, so every v1 network gets the configured tenant
network type.

Agents learn the segments through ``get_network_segment(s)``, over the agent API; they
never read the store. The plugin talks to no agent itself: the store is the desired
state and agents reconcile toward it, so nothing here runs after commit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.agents import (
    Agent,
    AgentHost,
    AgentUpdate,
    BoundPort,
    HostState,
    MacLocation,
    PortCounters,
)
from quantum.core.dhcp import DhcpHostState, DhcpLease
from quantum.core.feed import Topic
from quantum.core.listing import ListQuery
from quantum.core.mtu import network_mtu
from quantum.core.networks import NetworkSegment
from quantum.core.settings import Settings
from quantum.core.status import OpStatus
from quantum.db import revision
from quantum.db.models import PortRow
from quantum.db.session import REVISION_POLL
from quantum.ipam.store import fixed_ips_of
from quantum.plugins.dhcp.service import DhcpAgents
from quantum.plugins.extras.port_stats import PortStatsStore
from quantum.plugins.extras.profiles import limits_of_ports
from quantum.plugins.openvswitch import config, hosts, security
from quantum.plugins.openvswitch.mechanism import OpenVSwitchMechanism
from quantum.plugins.openvswitch.segments import SegmentConfig
from quantum.plugins.sql import SqlPlugin


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _mac_locations(
    s: Session, host: str, network_ids: Collection[str]
) -> tuple[MacLocation, ...]:
    """The MACs of the ports of ``network_ids`` bound to another host."""
    found: list[MacLocation] = []
    for chunk in _chunks(sorted(network_ids), 500):
        found += (
            MacLocation(network_id=net, mac_address=str(mac), host=bound)
            for net, mac, bound in s.execute(
                select(PortRow.network_id, PortRow.mac_address, PortRow.binding_host_id)
                .where(
                    PortRow.network_id.in_(chunk),
                    PortRow.mac_address.is_not(None),
                    PortRow.binding_host_id != "",
                    PortRow.binding_host_id != host,
                )
                .order_by(PortRow.network_id, PortRow.mac_address)
            )
        )
    return tuple(found)


class OpenVSwitchPlugin(SqlPlugin):
    """The SQL model with the Open vSwitch mechanism, and its agents' state."""

    vif_type = OpenVSwitchMechanism.vif_type
    """What its agents plug: Open vSwitch ports (``binding:vif_type``)."""

    def __init__(
        self, settings: Settings, *, segments: SegmentConfig | None = None
    ) -> None:
        """``segments`` overrides the ini file (tests, embedding)."""
        # NOTE: read the ini before connecting, so a bad file fails without a pool.
        self.mechanism = OpenVSwitchMechanism(
            segments if segments is not None else config.load(settings)
        )
        super().__init__(settings, mechanism=self.mechanism)
        self.down_time = settings.agent_down_time
        self.physnet_mtu = settings.global_physnet_mtu
        self.port_stats = PortStatsStore(self)
        self.dhcp = DhcpAgents(
            self.db,
            self.ports,
            down_time=timedelta(seconds=settings.agent_down_time),
            per_network=settings.dhcp_agents_per_network,
            mtu_of=self._mtus,
            lease_duration=settings.dhcp_lease_duration,
        )
        """The DHCP agents' state and scheduling (``interface.DhcpStateSource``)."""
        self.mechanism.dhcp_alive_since = self._alive_since

    def _mtus(self, s: Session, network_ids: Collection[str]) -> dict[str, int | None]:
        return {
            network_id: network_mtu(self.physnet_mtu, segment.network_type)
            for network_id, segment in self.mechanism.segments(s, network_ids).items()
        }

    # -- segments (for the agent API; agents are trusted, so no tenant) --------------

    def get_network_segment(self, network_id: str) -> NetworkSegment:
        """The network's segment. Raises NetworkNotFound, also for a network made
        while another plugin served the store (it has no segment)."""

        def work(s: Session) -> NetworkSegment:
            segment = self.mechanism.allocator.get(s, network_id)
            if segment is None:
                raise exc.NetworkNotFound(network_id=network_id)
            return segment

        return self.db.run(work, write=False)

    def get_network_segments(
        self, network_ids: Collection[str] | None = None
    ) -> Mapping[str, NetworkSegment]:
        """Network id -> segment, for the given networks (all when None), in one read;
        networks without a segment are left out."""
        return self.db.run(
            lambda s: self.mechanism.segments(s, network_ids), write=False
        )

    # -- the agent API (plugins.interface.AgentStateSource) ------------------------

    def current_revision(self) -> int:
        return self.db.run(revision.current, write=False)

    def wait_for_revision(
        self, since: int, timeout: float, topics: Collection[Topic] | None = None
    ) -> int:
        return self.db.wait_for_revision(since, timeout, topics)

    def report_host(self, host: AgentHost) -> int:
        def work(s: Session) -> int:
            if hosts.record(s, host, _utcnow()):
                revision.bump(s, {Topic.HOSTS})
            return revision.current(s)

        return self.db.run(work, write=True, bump_revision=False)

    def host_state(self, host: str, iface_ids: Collection[str]) -> HostState:
        wanted = sorted(set(iface_ids))

        def work(s: Session) -> HostState:
            # NOTE: the revision first: what is read after it is at least as new, so
            # an agent that missed a write in between fetches again, never misses it.
            rev = revision.current(s)
            # NOTE: an interface names its port by the v1 attachment id, or (v2) by
            # the port id of a port that has no attachment; the attachment wins.
            found: dict[str, PortRow] = {}
            for chunk in _chunks(wanted, 500):
                for row in s.scalars(
                    select(PortRow).where(
                        or_(
                            PortRow.attachment.in_(chunk),
                            and_(PortRow.id.in_(chunk), PortRow.attachment.is_(None)),
                        )
                    )
                ):
                    iface = row.attachment or row.id
                    if row.attachment is not None or iface not in found:
                        found[iface] = row
            rows = [found[i] for i in sorted(found)]
            segments = self.mechanism.segments(s, {r.network_id for r in rows})
            rows = [r for r in rows if r.network_id in segments]
            limits = limits_of_ports(s, [r.id for r in rows])
            addresses = fixed_ips_of(s, [r.id for r in rows])
            ports = [r.to_domain(addresses[r.id]) for r in rows]
            ports, groups, members = security.filters(s, ports)
            return HostState(
                host=host,
                revision=rev,
                ports=tuple(
                    BoundPort(
                        port=port,
                        segment=segments[r.network_id],
                        qos=limits.get(r.id),
                        mtu=network_mtu(
                            self.physnet_mtu, segments[r.network_id].network_type
                        ),
                    )
                    for r, port in zip(rows, ports, strict=True)
                ),
                peers=tuple(hosts.peers(s, host)),
                macs=_mac_locations(s, host, {r.network_id for r in rows}),
                admin_state_up=hosts.admin_state_up(s, host),
                security_groups=groups,
                group_members=members,
            )

        state = self.db.run(work, write=False)
        unbound = [b.port.id for b in state.ports if not b.port.binding_host_id]
        if not unbound:
            return state
        self._bind(host, unbound)
        return self.db.run(work, write=False)

    def _bind(self, host: str, port_ids: Sequence[str]) -> None:
        """Bind to ``host`` those of the ports that are bound to no host yet."""

        def work(s: Session) -> None:
            for chunk in _chunks(sorted(port_ids), 500):
                s.execute(
                    update(PortRow)
                    .where(PortRow.id.in_(chunk), PortRow.binding_host_id == "")
                    # NOTE: binding:host_id is shown: a change of the port, so
                    # its revision moves (atomically; db.models).
                    .values(
                        binding_host_id=host,
                        revision_number=PortRow.revision_number + 1,
                        updated_at=_utcnow(),
                    )
                )

        # NOTE: bumps the revision: a host that lost the race is told at once.
        self.db.run(work, write=True)

    # -- DHCP agents (plugins.interface.DhcpStateSource) ------------------------------

    def dhcp_state(self, host: str) -> DhcpHostState:
        return self.dhcp.state(host)

    def dhcp_ports_provisioned(self, host: str, port_ids: Sequence[str]) -> int:
        return self.dhcp.provisioned(host, port_ids)

    def dhcp_leases(self, host: str, leases: Sequence[DhcpLease]) -> int:
        return self.dhcp.record_leases(host, leases)

    def dhcp_networks_of_agent(self, agent_id: str) -> Sequence[str]:
        return self.dhcp.networks_of_agent(agent_id)

    def dhcp_agents_of_network(self, network_id: str) -> Sequence[str]:
        return self.dhcp.agents_of_network(network_id)

    def add_network_to_dhcp_agent(self, agent_id: str, network_id: str) -> None:
        self.dhcp.add_network(agent_id, network_id)

    def remove_network_from_dhcp_agent(self, agent_id: str, network_id: str) -> None:
        self.dhcp.remove_network(agent_id, network_id)

    # -- agents (plugins.interface.AgentAdmin, /v2.0/agents) -------------------------

    def _alive_since(self) -> datetime:
        return _utcnow() - timedelta(seconds=self.down_time)

    def list_agents(self, query: ListQuery) -> Sequence[Agent]:
        since = self._alive_since()
        return self.db.run(lambda s: hosts.list_agents(s, query, since), write=False)

    def get_agent(self, agent_id: str) -> Agent:
        since = self._alive_since()
        return self.db.run(lambda s: hosts.get_agent(s, agent_id, since), write=False)

    def update_agent(
        self,
        agent_id: str,
        changes: AgentUpdate,
        authorize: Callable[[Agent], None],
    ) -> Agent:
        since = self._alive_since()

        def work(s: Session) -> Agent:
            agent, told = hosts.update_agent(s, agent_id, changes, since, authorize)
            if told:  # NOTE: its agent hears of it on the change feed
                revision.bump(s, {Topic.HOSTS})
            return agent

        return self.db.run(work, write=True, bump_revision=False)

    def delete_agent(self, agent_id: str) -> None:
        self.db.run(lambda s: hosts.delete_agent(s, agent_id), write=True)

    # -- agents' reports -------------------------------------------------------------

    def record_port_counters(self, host: str, counters: Sequence[PortCounters]) -> None:
        """Record the interface counters an agent read on ``host``."""
        self.port_stats.record(host, counters)

    def wait_for_port_status(
        self, port_ids: Collection[str], until: OpStatus, timeout: float
    ) -> Mapping[str, OpStatus]:
        wanted = sorted(set(port_ids))

        def read(s: Session) -> dict[str, OpStatus]:
            found: dict[str, OpStatus] = {}
            for chunk in _chunks(wanted, 500):
                rows = s.execute(
                    select(PortRow.id, PortRow.status, PortRow.admin_state_up).where(
                        PortRow.id.in_(chunk)
                    )
                )
                for port_id, status, up in rows:
                    found[port_id] = OpStatus(status) if up else OpStatus.DOWN
            return found

        db = self.db
        deadline = time.monotonic() + timeout
        while True:
            # NOTE: the generation first: a report committed after it ends the wait.
            generation = db.commits.generation
            found = db.run(read, write=False)
            left = deadline - time.monotonic()
            done = len(found) < len(wanted) or all(s is until for s in found.values())
            if done or left <= 0:
                return found
            db.commits.wait(generation, min(REVISION_POLL, left))
