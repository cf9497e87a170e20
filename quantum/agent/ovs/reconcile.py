# SPDX-License-Identifier: Apache-2.0
"""The OVS agent's loop: desired (agent API), actual (OVSDB, OpenFlow), plan, apply,
report.

Events only wake the loop: the server's change feed (a long-poll thread), OVSDB
changes to interfaces (the IDL thread), or the periodic full resync. Every round
observes and plans from scratch, so a lost event costs at most one resync interval;
any error makes the next round a full resync (flows with foreign cookies swept, every
status reported again).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Protocol

from quantum.agent.ovs import tables
from quantum.agent.ovs.flows import FlowDiff, InstalledFlow
from quantum.agent.ovs.model import (
    ActualState,
    DesiredPort,
    DesiredState,
    RemoteMac,
    TunnelEndpoint,
    TunnelPort,
    TunnelType,
    segment_from_server,
)
from quantum.agent.ovs.ovsdb import BridgeConfig, Observed
from quantum.agent.ovs.plan import Plan, PortStatus, plan, recover_local_vlans
from quantum.agentapi import messages as msg
from quantum.core.agents import PortCounters
from quantum.core.networks import NetworkType

LOG = logging.getLogger(__name__)

#: How often an idle loop checks which bridges are connected to the controller.
BRIDGE_POLL_INTERVAL = 0.2
#: After a failed round (the server or OVSDB away) the next one waits this long,
#: doubling with every failure up to ``RETRY_MAX``, unless an event wakes the loop.
RETRY_MIN = 0.5
RETRY_MAX = 4.0


class Switch(Protocol):
    """The OVSDB calls the loop needs (``ovsdb.Ovsdb``)."""

    def observe(self, config: BridgeConfig) -> Observed: ...
    def set_tags(self, tags: Iterable[tuple[str, int]]) -> None: ...
    def add_tunnel_ports(
        self, bridge: str, ports: Iterable[TunnelPort], local_ip: str
    ) -> None: ...
    def remove_tunnel_ports(self, bridge: str, ports: Iterable[TunnelPort]) -> None: ...
    def set_policing(self, limits: Iterable[tuple[str, int, int]]) -> None: ...


class FlowTables(Protocol):
    """The OpenFlow calls the loop needs (``openflow.OpenFlowApp``)."""

    def bridges(self) -> frozenset[str]: ...
    def dump_flows(
        self, bridge: str, *, cookie: int | None = None, timeout: float = 10.0
    ) -> list[InstalledFlow]: ...
    def apply(
        self,
        bridge: str,
        diff: FlowDiff,
        *,
        cookie: int = tables.AGENT_COOKIE,
        timeout: float = 10.0,
    ) -> None: ...
    def dump_meters(
        self, bridge: str, *, timeout: float = 10.0
    ) -> dict[int, tuple[int, int]]: ...
    def set_meters(
        self,
        bridge: str,
        meters: Mapping[int, tuple[int, int]],
        *,
        existing: Collection[int] = (),
        timeout: float = 10.0,
    ) -> None: ...
    def remove_meters(
        self, bridge: str, meter_ids: Iterable[int], *, timeout: float = 10.0
    ) -> None: ...


class Server(Protocol):
    """The agent API calls the loop needs (``agentapi.client.AgentClient``)."""

    def register(self, report: msg.HostReport) -> int: ...
    def desired_state(self, iface_ids: Iterable[str]) -> msg.HostState: ...
    def report_status(self, ports: Iterable[msg.PortStatus]) -> None: ...
    def report_counters(self, ports: Iterable[PortCounters]) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentConfig:
    host: str
    bridges: BridgeConfig
    local_ip: str | None = None
    tunnel_types: frozenset[TunnelType] = frozenset()
    heartbeat_interval: float = 10.0
    resync_interval: float = 60.0


@dataclass(slots=True)
class _Memory:
    """What the loop keeps between rounds."""

    local_vlans: Mapping[str, int] | None = None
    reported: dict[str, PortStatus] = field(default_factory=dict)
    registered_at: float | None = None
    full: bool = True
    last_full: float = 0.0
    failures: int = 0
    retry_at: float = 0.0


def desired_from_server(config: AgentConfig, state: msg.HostState) -> DesiredState:
    """The server's host state plus the agent's configuration."""
    ports = tuple(
        DesiredPort(
            port_id=port.port_id,
            iface_id=port.iface_id,
            network_id=port.network_id,
            segment=segment_from_server(port.segment),
            admin_state_up=port.admin_state_up,
            qos=(port.qos.rate_kbps, port.qos.burst_kb) if port.qos else None,
            binding_host=port.binding_host,
        )
        for port in state.ports
    )
    endpoints = tuple(
        TunnelEndpoint(host=ep.host, ip=str(ep.ip), type=TunnelType(kind.value))
        for ep in state.endpoints
        if ep.host != config.host
        for kind in sorted(ep.tunnel_types)
        if kind.value in {t.value for t in config.tunnel_types}
    )
    return DesiredState(
        host=config.host,
        ports=ports,
        endpoints=endpoints,
        local_ip=config.local_ip,
        tunnel_types=config.tunnel_types,
        integration_bridge=config.bridges.integration_bridge,
        bridge_mappings=dict(config.bridges.bridge_mappings),
        remote_macs=tuple(
            RemoteMac(network_id=m.network_id, mac=m.mac_address, host=m.host)
            for m in state.macs
            if m.host != config.host
        ),
    )


class Agent:
    """Runs rounds of the loop; ``wake()`` asks for one soon."""

    def __init__(
        self,
        config: AgentConfig,
        server: Server,
        switch: Switch,
        flows: FlowTables,
    ) -> None:
        self.config = config
        self.server = server
        self.switch = switch
        self.flows = flows
        self.memory = _Memory()
        self._wake = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def resync(self) -> None:
        """Make the next round a full resync, and wake the loop."""
        self.memory.full = True
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        """Rounds until ``stop`` is set; waits for a wake-up between rounds."""
        while not stop.is_set():
            self.round()
            self.idle(stop)

    def idle(self, stop: threading.Event) -> None:
        """Wait for a wake-up, a heartbeat or resync falling due, or a bridge
        (re)connecting to the controller (after an OVS restart its flows are gone).
        After a failed round, nothing falls due before its retry time.
        """
        seen = self.flows.bridges()
        while not stop.is_set():
            due = min(
                self.memory.last_full + self.config.resync_interval,
                (self.memory.registered_at or 0) + self.config.heartbeat_interval,
            )
            due = max(due, self.memory.retry_at)
            left = due - time.monotonic()
            if left <= 0 or self._wake.wait(min(left, BRIDGE_POLL_INTERVAL)):
                return
            if self.flows.bridges() != seen:
                return

    def round(self) -> Plan | None:
        """One pass; any error makes the next one a full resync."""
        full = self.memory.full
        now = time.monotonic()
        if now - self.memory.last_full >= self.config.resync_interval:
            full = True
        self._wake.clear()
        try:
            beat = self._heartbeat(now)
            result = self._reconcile(full, counters=beat)
        except Exception:
            memory = self.memory
            memory.failures += 1
            delay = min(RETRY_MAX, RETRY_MIN * 2 ** (memory.failures - 1))
            memory.retry_at = time.monotonic() + delay
            memory.full = True
            LOG.exception("reconcile failed; full resync in %.1f s or sooner", delay)
            return None
        self.memory.failures = 0
        self.memory.retry_at = 0.0
        if full:
            self.memory.full = False
            self.memory.last_full = now
            LOG.info("full resync done in %.3f s", time.monotonic() - now)
        return result

    def _heartbeat(self, now: float) -> bool:
        """Register (the heartbeat) when due; whether it was."""
        last = self.memory.registered_at
        if last is not None and now - last < self.config.heartbeat_interval:
            return False
        types = frozenset(NetworkType(t.value) for t in self.config.tunnel_types)
        ip = self.config.local_ip
        self.server.register(
            msg.HostReport(
                tunnel_ip=ip_address(ip) if ip and types else None,
                tunnel_types=types if ip else frozenset(),
                agent_version="quantum-openvswitch-agent",
            )
        )
        self.memory.registered_at = now
        return True

    def _reconcile(self, full: bool, *, counters: bool = False) -> Plan:
        """One observe-plan-apply-report pass; ``counters``: also report the
        interface counters of the host's ports (with every heartbeat)."""
        bridges = self.config.bridges
        observed = self.switch.observe(bridges)
        iface_ids = sorted({i.iface_id for i in observed.interfaces if i.iface_id})
        desired = desired_from_server(self.config, self.server.desired_state(iface_ids))
        local_vlans = self.memory.local_vlans
        if local_vlans is None:
            local_vlans = recover_local_vlans(desired, observed.interfaces)
        connected = self.flows.bridges()
        managed = [b for b in bridges.names if b in connected]
        integration = bridges.integration_bridge
        meters = self.flows.dump_meters(integration) if integration in managed else {}
        actual = ActualState(
            interfaces=observed.interfaces,
            local_vlans=local_vlans,
            tunnel_ports=observed.tunnel_ports,
            tunnel_link=observed.tunnel_link,
            physical_links=observed.physical_links,
            flows={b: frozenset(self.flows.dump_flows(b)) for b in managed},
            meters=meters,
        )
        result = plan(desired, actual, sweep=full)
        LOG.debug(
            "round (full=%s): %d interfaces, %d ports, bridges %s, empty plan: %s",
            full,
            len(observed.interfaces),
            len(desired.ports),
            managed,
            result.is_empty,
        )
        self._apply(result, managed, meters)
        self.memory.local_vlans = dict(result.local_vlans)
        self._report(result.statuses, full)
        if counters:
            self._report_counters(desired, observed)
        return result

    def _report_counters(self, desired: DesiredState, observed: Observed) -> None:
        """Each port's interface counters, as OVS counts them on br-int (``rx``:
        what the VM sent, ``tx``: what it was sent)."""
        by_iface = {
            i.iface_id: observed.counters.get(i.name, {})
            for i in observed.interfaces
            if i.iface_id and i.ofport > 0
        }
        report = [
            PortCounters(
                port_id=port.port_id,
                **{
                    name: max(0, int(by_iface[port.iface_id].get(name, 0)))
                    for name in msg.COUNTER_NAMES
                },
            )
            for port in desired.ports
            if port.iface_id in by_iface
        ]
        if report:
            self.server.report_counters(report)

    def _apply(
        self,
        result: Plan,
        managed: list[str],
        meters: Mapping[int, tuple[int, int]] | None = None,
    ) -> None:
        """In the order ``Plan`` documents: no frame slips through in between."""
        tunnel_bridge = self.config.bridges.tunnel_bridge
        integration = self.config.bridges.integration_bridge
        if tunnel_bridge and result.add_tunnel_ports:
            self.switch.add_tunnel_ports(
                tunnel_bridge, result.add_tunnel_ports, self.config.local_ip or ""
            )
        if integration in managed and result.set_meters:
            self.flows.set_meters(
                integration, result.set_meters, existing=set(meters or {})
            )
        diffs = {b: d for b, d in result.flow_diffs.items() if b in managed and d}
        for bridge, diff in diffs.items():
            drops = tuple(flow for flow in diff.add if not flow.actions)
            if drops:
                self.flows.apply(bridge, FlowDiff(add=drops))
        self.switch.set_tags((tag.interface, tag.tag) for tag in result.tags)
        for bridge, diff in diffs.items():
            forwards = tuple(flow for flow in diff.add if flow.actions)
            if forwards:
                self.flows.apply(bridge, FlowDiff(add=forwards))
        for bridge, diff in diffs.items():
            if diff.delete:
                self.flows.apply(bridge, FlowDiff(delete=diff.delete))
        if integration in managed and result.remove_meters:
            self.flows.remove_meters(integration, result.remove_meters)
        self.switch.set_policing(
            (p.interface, p.rate, p.burst) for p in result.policing
        )
        if tunnel_bridge and result.remove_tunnel_ports:
            self.switch.remove_tunnel_ports(tunnel_bridge, result.remove_tunnel_ports)

    def _report(self, statuses: Iterable[PortStatus], full: bool) -> None:
        statuses = list(statuses)
        changed = [
            status
            for status in statuses
            if full or self.memory.reported.get(status.port_id) != status
        ]
        if changed:
            self.server.report_status(
                msg.PortStatus(
                    port_id=status.port_id,
                    status=status.state,
                    reason=status.reason or "",
                )
                for status in changed
            )
        # NOTE: forget the ports no longer bound here: the server marks a port DOWN
        # when its attachment goes, so one that comes back is reported again.
        self.memory.reported = {status.port_id: status for status in statuses}


class ChangeFeed(Protocol):
    def changes(self, since: int, wait: float = 0.0) -> int: ...


def follow_changes(
    feed: ChangeFeed, agent: Agent, stop: threading.Event, *, wait: float
) -> None:
    """Long-poll the server's change feed; wake the agent on every new revision.

    The first answer (``wait=0``) is only the starting point; errors back off a
    second and ask for a full resync, since changes may have been missed, and the
    first answer after errors (the server is back) asks for one at once.
    """
    since: int | None = None
    failed = False
    while not stop.is_set():
        try:
            revision = feed.changes(since or 0, wait=0.0 if since is None else wait)
        except Exception as error:  # NOTE: any failure: resync, retry later
            LOG.warning("change feed: %s", error)
            since = None
            failed = True
            agent.resync()
            stop.wait(1.0)
            continue
        if failed:
            LOG.info("change feed: the server answers again")
            agent.resync()
            failed = False
        elif since is not None and revision > since:
            agent.wake()
        since = revision
