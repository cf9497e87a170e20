# SPDX-License-Identifier: Apache-2.0
"""The OVS agent's kind of the agent skeleton (``quantum.agent.loop``): observe
(OVSDB, OpenFlow), desired (agent API), plan, apply, report.

Events only wake the loop: the server's change feed (a long-poll thread), OVSDB
changes to interfaces (the IDL thread), a bridge (re)connecting to the controller, or
the periodic full resync. A full round sweeps flows with foreign cookies and reports
every status again.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Protocol

from quantum.agent.loop import AgentLoop, Timing
from quantum.agent.ovs import conntrack, tables
from quantum.agent.ovs.bridges.firewall import FirewalledPort
from quantum.agent.ovs.flows import FlowDiff, InstalledFlow
from quantum.agent.ovs.model import (
    ActualState,
    AddressPair,
    DesiredPort,
    DesiredState,
    Direction,
    PortSecurity,
    RemoteMac,
    SecurityRule,
    TunnelEndpoint,
    TunnelPort,
    TunnelType,
    segment_from_server,
)
from quantum.agent.ovs.ovsdb import BridgeConfig, Observed
from quantum.agent.ovs.plan import Plan, PortStatus, plan, recover_local_vlans
from quantum.agentapi.ovs import messages as msg
from quantum.core.agents import PortCounters
from quantum.core.networks import NetworkType

LOG = logging.getLogger(__name__)


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


class Conntrack(Protocol):
    """Conntrack zones (``conntrack_ctl.AppctlConntrack``)."""

    def dump(self, zone: int) -> str: ...
    def flush(self, zone: int, orig_tuple: str | None = None) -> None: ...


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
    firewall: bool = True
    """Enforce port security and security groups (``firewall_driver``)."""


@dataclass(slots=True)
class _Memory:
    """What the OVS kind keeps between rounds."""

    local_vlans: Mapping[str, int] | None = None
    reported: dict[str, PortStatus] = field(default_factory=dict)
    devices: int = 0
    """Ports the last round found desired here (``configurations.devices``)."""
    admin_state_up: bool = True
    firewalled: dict[int, FirewalledPort] = field(default_factory=dict)
    """ofport -> the firewall state whose connections were last checked."""


@dataclass(frozen=True, slots=True)
class Observation:
    """The host as a round found it: OVSDB, and the bridges connected to the
    controller with their flows and br-int's meters."""

    switch: Observed
    managed: tuple[str, ...]
    flows: Mapping[str, frozenset[InstalledFlow]]
    meters: Mapping[int, tuple[int, int]]


def port_security_from_server(port: msg.PortState) -> PortSecurity | None:
    """A port's ``port_security``; absent (an older server) or disabled: ``None``,
    the port is not filtered."""
    security = port.port_security
    if security is None or not security.enabled:
        return None
    mac = security.mac_address.lower()
    return PortSecurity(
        mac_address=mac,
        fixed_ips=tuple(str(address) for address in security.fixed_ips),
        allowed_address_pairs=tuple(
            AddressPair(
                ip_address=str(pair.ip_address),
                mac_address=(pair.mac_address or mac).lower(),
            )
            for pair in security.allowed_address_pairs
        ),
        security_groups=tuple(security.security_groups),
    )


def rule_from_server(rule: msg.GroupRule) -> SecurityRule:
    return SecurityRule(
        direction=Direction(rule.direction.value),
        ethertype=6 if rule.ethertype.value == "IPv6" else 4,
        protocol=rule.protocol,
        port_min=rule.port_range_min,
        port_max=rule.port_range_max,
        remote_ip_prefix=(
            None if rule.remote_ip_prefix is None else str(rule.remote_ip_prefix)
        ),
        remote_group_id=rule.remote_group_id,
        rule_id=rule.id,
    )


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
            port_security=port_security_from_server(port) if config.firewall else None,
        )
        for port in state.ports
    )
    group_rules = {
        group.id: tuple(rule_from_server(rule) for rule in group.rules)
        for group in state.security_groups
    }
    group_members = {
        group.id: tuple(str(address) for address in group.addresses)
        for group in state.group_members
    }
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
        group_rules=group_rules,
        group_members=group_members,
    )


class OvsKind:
    """The OVS agent's part of the loop (``quantum.agent.loop.Kind``)."""

    def __init__(
        self,
        config: AgentConfig,
        server: Server,
        switch: Switch,
        flows: FlowTables,
        conntrack: Conntrack | None = None,
    ) -> None:
        self.config = config
        self.server = server
        self.switch = switch
        self.flows = flows
        self.conntrack = conntrack
        self.memory = _Memory()

    def heartbeat(self) -> None:
        types = frozenset(NetworkType(t.value) for t in self.config.tunnel_types)
        ip = self.config.local_ip
        bridges = self.config.bridges
        self.server.register(
            msg.HostReport(
                tunnel_ip=ip_address(ip) if ip and types else None,
                tunnel_types=types if ip else frozenset(),
                agent_version="quantum-openvswitch-agent",
                configurations={
                    "bridge_mappings": dict(sorted(bridges.bridge_mappings.items())),
                    "tunnel_types": sorted(t.value for t in self.config.tunnel_types),
                    "integration_bridge": bridges.integration_bridge,
                    "devices": self.memory.devices,
                },
            )
        )

    def local_token(self) -> frozenset[str]:
        """The bridges connected to the controller: after an OVS restart one
        reconnects with no flows, and nothing else tells the loop."""
        return self.flows.bridges()

    def observe(self) -> Observation:
        bridges = self.config.bridges
        observed = self.switch.observe(bridges)
        connected = self.flows.bridges()
        managed = tuple(b for b in bridges.names if b in connected)
        integration = bridges.integration_bridge
        meters = self.flows.dump_meters(integration) if integration in managed else {}
        return Observation(
            switch=observed,
            managed=managed,
            flows={b: frozenset(self.flows.dump_flows(b)) for b in managed},
            meters=meters,
        )

    def desired(self, observed: Observation) -> DesiredState:
        interfaces = observed.switch.interfaces
        iface_ids = sorted({i.iface_id for i in interfaces if i.iface_id})
        state = self.server.desired_state(iface_ids)
        if state.admin_state_up != self.memory.admin_state_up:
            # NOTE: disabled means "schedule nothing new here"; forwarding goes on.
            LOG.warning(
                "an administrator %s this host's agent; forwarding is unchanged",
                "enabled" if state.admin_state_up else "disabled",
            )
            self.memory.admin_state_up = state.admin_state_up
        desired = desired_from_server(self.config, state)
        self.memory.devices = len(desired.ports)
        return desired

    def plan(self, desired: DesiredState, observed: Observation, *, full: bool) -> Plan:
        switch = observed.switch
        local_vlans = self.memory.local_vlans
        if local_vlans is None:
            local_vlans = recover_local_vlans(desired, switch.interfaces)
        actual = ActualState(
            interfaces=switch.interfaces,
            local_vlans=local_vlans,
            tunnel_ports=switch.tunnel_ports,
            tunnel_link=switch.tunnel_link,
            physical_links=switch.physical_links,
            flows=dict(observed.flows),
            meters=observed.meters,
        )
        result = plan(desired, actual, sweep=full)
        LOG.debug(
            "round (full=%s): %d interfaces, %d ports, bridges %s, empty plan: %s",
            full,
            len(switch.interfaces),
            len(desired.ports),
            list(observed.managed),
            result.is_empty,
        )
        return result

    def apply(self, result: Plan, observed: Observation) -> None:
        """In the order ``Plan`` documents: no frame slips through in between."""
        managed = observed.managed
        tunnel_bridge = self.config.bridges.tunnel_bridge
        integration = self.config.bridges.integration_bridge
        if tunnel_bridge and result.add_tunnel_ports:
            self.switch.add_tunnel_ports(
                tunnel_bridge, result.add_tunnel_ports, self.config.local_ip or ""
            )
        if integration in managed and result.set_meters:
            self.flows.set_meters(
                integration, result.set_meters, existing=set(observed.meters)
            )
        diffs = {b: d for b, d in result.flow_diffs.items() if b in managed and d}
        for bridge, diff in diffs.items():
            drops = tuple(flow for flow in diff.add if not flow.actions)
            if drops:
                self.flows.apply(bridge, FlowDiff(add=drops))
        self.switch.set_tags((tag.interface, tag.tag) for tag in result.tags)
        for bridge, diff in diffs.items():
            # NOTE: later tables first, so a goto never lands in a table that
            # does not have its flows yet.
            forwards = tuple(
                sorted(
                    (flow for flow in diff.add if flow.actions),
                    key=lambda flow: -flow.table,
                )
            )
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
        self.memory.local_vlans = dict(result.local_vlans)
        if integration in managed:
            self._cut_connections(result.firewalled)

    def _cut_connections(self, firewalled: Iterable[FirewalledPort]) -> None:
        """After the flows: drop the tracked connections a port's new firewall
        state no longer allows (its zone's, only when that state changed), and
        every connection of a zone whose port lost its firewall."""
        if self.conntrack is None:
            return
        memory = self.memory.firewalled
        current = {port.ofport: port for port in firewalled}
        for ofport in sorted(set(memory) - set(current)):
            try:
                self.conntrack.flush(ofport)
            except conntrack.ConntrackError as error:
                LOG.warning("cannot flush conntrack zone %d: %s", ofport, error)
                continue
            del memory[ofport]
        for ofport, port in sorted(current.items()):
            if memory.get(ofport) == port:
                continue
            if self._cut_stale(self.conntrack, port):
                memory[ofport] = port

    @staticmethod
    def _cut_stale(ct: Conntrack, port: FirewalledPort) -> bool:
        """Flush the connections of ``port``'s zone its state no longer allows;
        False when the zone could not be read or one of them not flushed (the
        next round checks it again)."""
        zone = port.zone
        try:
            connections = conntrack.parse_dump(ct.dump(zone))
        except conntrack.ConntrackError as error:
            LOG.warning("cannot read conntrack zone %d: %s", zone, error)
            return False
        stale = conntrack.stale(port, connections)
        LOG.debug(
            "conntrack zone %d checked: %d connections, %d no longer allowed",
            zone,
            len(connections),
            len(stale),
        )
        done = True
        for connection in stale:
            orig = conntrack.flush_tuple(connection)
            LOG.info("cutting %s in zone %d: no rule allows it any more", orig, zone)
            try:
                ct.flush(zone, orig)
            except conntrack.ConnectionGone:
                LOG.debug("%s in zone %d ended before it was cut", orig, zone)
            except conntrack.ConntrackError as error:
                LOG.warning("cannot cut %s in zone %d: %s", orig, zone, error)
                done = False
        return done

    def report(
        self,
        result: Plan,
        desired: DesiredState,
        observed: Observation,
        *,
        full: bool,
        heartbeat: bool,
    ) -> None:
        """Changed port statuses (all of them when ``full``); with a heartbeat,
        the interface counters of the host's ports too."""
        self._report_statuses(result.statuses, full)
        if heartbeat:
            self._report_counters(desired, observed.switch)

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

    def _report_statuses(self, statuses: Iterable[PortStatus], full: bool) -> None:
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


class Agent(AgentLoop[Observation, DesiredState, Plan]):
    """The OVS agent: the skeleton's loop over ``OvsKind``."""

    def __init__(
        self,
        config: AgentConfig,
        server: Server,
        switch: Switch,
        flows: FlowTables,
        conntrack: Conntrack | None = None,
    ) -> None:
        self.config = config
        super().__init__(
            OvsKind(config, server, switch, flows, conntrack),
            Timing(
                heartbeat_interval=config.heartbeat_interval,
                resync_interval=config.resync_interval,
            ),
        )
