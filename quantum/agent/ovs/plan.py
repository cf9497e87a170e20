# SPDX-License-Identifier: Apache-2.0
"""``plan(desired, actual) -> Plan``: what the OVS agent must change, as data.

Pure: no OVSDB, no OpenFlow, no clock. The agent applies a plan idempotently
(tags and tunnel ports through OVSDB, ``flow_diffs`` through the os-ken app) and
reports ``statuses`` to the server; planning again from the resulting state gives an
empty plan.

Rules:

* A network present on the host (at least one of its ports is wired here) gets one
  local VLAN. Assignments in ``actual.local_vlans`` are kept; new networks take the
  lowest free VLAN, so freed ones are reused. A network with no wired port left
  loses its VLAN and every flow that mentions it.
* br-int drops what no flow claims: a port carries traffic only once wired.
* A VIF (an interface with ``iface-id``) is bound (tag = local VLAN, a flow that
  hands what it sends to NORMAL, status UP) when the server knows its port, the
  port is admin-up and bound to this host (or to none), OVS has given it an
  ofport, and its segment can be wired here.
  Otherwise it is isolated: dead VLAN tag and a drop flow on its ofport; the port's
  status is DOWN with the reason.
* br-tun has one tunnel port per remote endpoint and enabled tunnel type; a new port
  is planned with a requested ofport so its flows can be installed in the same pass.
  A frame of a tunnelled network to a MAC the server places on another host goes to
  that host's tunnel only; broadcast, multicast and unknown unicast go to every peer.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from quantum.agent.ovs import tables
from quantum.agent.ovs.bridges import firewall, integration, physical, tunnel
from quantum.agent.ovs.flows import Flow, FlowDiff, render_table
from quantum.agent.ovs.model import (
    ActualState,
    DesiredPort,
    DesiredState,
    Interface,
    Segment,
    TunnelPort,
    TunnelType,
)
from quantum.core.networks import NetworkType
from quantum.core.status import ReportedStatus

MAX_TUNNEL_KEY = {TunnelType.GRE: 2**32 - 1, TunnelType.VXLAN: 2**24 - 1}


@dataclass(frozen=True, slots=True, kw_only=True)
class PortStatus:
    """What to report to the server for one of the host's ports."""

    port_id: str
    state: ReportedStatus
    reason: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SetTag:
    """Set the access VLAN (``Port.tag``) of an interface on br-int."""

    interface: str
    tag: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SetPolicing:
    """Set ``ingress_policing_rate``/``_burst`` of an interface on br-int."""

    interface: str
    rate: int
    burst: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """The changes that make the host match the desired state.

    ``flows`` is the complete wanted flow table of each managed bridge;
    ``flow_diffs`` is what must be added and deleted to get there from
    ``actual.flows``. ``local_vlans`` is the network -> local VLAN map after the plan.

    Applying in this order never lets a frame through that the old or the new
    state would drop: add tunnel ports (``ofport_request`` = their ``ofport``), then
    the drops among every bridge's ``flow_diffs[bridge].add``, then ``tags``, then
    the other adds (a bound VIF's forwarding flow only once it has its local VLAN,
    never while it is still in the dead one), then the diffs' ``delete``, then
    remove tunnel ports. If OVS gave a tunnel port another ofport than requested,
    the next plan corrects its flows.

    A VIF with a QoS limit gets a meter on br-int (``set_meters``: id -> (rate,
    burst), set before the flows that use it; ``remove_meters`` go after the flow
    deletes) and the same limit as its interface's ingress policing (``policing``).
    """

    local_vlans: Mapping[str, int]
    tags: tuple[SetTag, ...] = ()
    add_tunnel_ports: tuple[TunnelPort, ...] = ()
    remove_tunnel_ports: tuple[TunnelPort, ...] = ()
    flows: Mapping[str, frozenset[Flow]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    flow_diffs: Mapping[str, FlowDiff] = field(
        default_factory=lambda: MappingProxyType({})
    )
    statuses: tuple[PortStatus, ...] = ()
    local_vlans_changed: bool = False
    set_meters: Mapping[int, tuple[int, int]] = field(
        default_factory=lambda: MappingProxyType({})
    )
    remove_meters: tuple[int, ...] = ()
    policing: tuple[SetPolicing, ...] = ()
    firewalled: tuple[firewall.FirewalledPort, ...] = ()
    """The bound VIFs with port security: what their conntrack zones may hold."""

    @property
    def is_empty(self) -> bool:
        """Nothing to change on the host (statuses may still need reporting)."""
        return not (
            self.local_vlans_changed
            or self.tags
            or self.add_tunnel_ports
            or self.remove_tunnel_ports
            or any(self.flow_diffs.values())
            or self.set_meters
            or self.remove_meters
            or self.policing
        )


def tunnel_port_name(tunnel_type: TunnelType, remote_ip: str) -> str:
    """``gre-c0a83202`` / ``vxlan-c0a83202``: stable and within the 15-byte limit."""
    address = ipaddress.ip_address(remote_ip)
    if address.version == 4:
        suffix = f"{int(address):08x}"
    else:
        suffix = hashlib.sha256(address.packed).hexdigest()[:8]
    return f"{tunnel_type.value}-{suffix}"


def recover_local_vlans(
    desired: DesiredState, interfaces: Iterable[Interface]
) -> dict[str, int]:
    """Rebuild the network -> local VLAN map from the tags a previous run left.

    After an agent restart this keeps wired ports on their VLAN, so no traffic is
    dropped while the first plan is applied. Conflicting tags are left to ``plan``.
    """
    by_iface: dict[str, list[Interface]] = {}
    for interface in interfaces:
        if interface.iface_id is not None:
            by_iface.setdefault(interface.iface_id, []).append(interface)
    recovered: dict[str, int] = {}
    used: set[int] = set()
    for port in sorted(desired.ports, key=lambda p: p.port_id):
        for interface in by_iface.get(port.iface_id, ()):
            tag = interface.tag
            if (
                tag is not None
                and tables.MIN_LOCAL_VLAN <= tag <= tables.MAX_LOCAL_VLAN
                and port.network_id not in recovered
                and tag not in used
            ):
                recovered[port.network_id] = tag
                used.add(tag)
    return recovered


def assign_local_vlans(
    networks: Iterable[str], current: Mapping[str, int]
) -> dict[str, int]:
    """One local VLAN per network: keep current ones, give new ones the lowest free.

    Networks that find no free VLAN are left out of the result.
    """
    wanted = sorted(set(networks))
    assigned: dict[str, int] = {}
    used: set[int] = set()
    for network in wanted:
        vlan = current.get(network)
        if (
            vlan is not None
            and tables.MIN_LOCAL_VLAN <= vlan <= tables.MAX_LOCAL_VLAN
            and vlan not in used
        ):
            assigned[network] = vlan
            used.add(vlan)
    free = _free_vlans(used)
    for network in wanted:
        if network not in assigned:
            vlan = next(free, None)
            if vlan is None:
                break
            assigned[network] = vlan
    return assigned


def _free_vlans(used: set[int]) -> Iterator[int]:
    return (
        vlan
        for vlan in range(tables.MIN_LOCAL_VLAN, tables.MAX_LOCAL_VLAN + 1)
        if vlan not in used
    )


def _segment_problem(
    segment: Segment, desired: DesiredState, actual: ActualState
) -> str | None:
    """Why this host cannot wire ``segment``, or ``None`` if it can."""
    kind = segment.type
    if kind is NetworkType.LOCAL:
        return None
    if kind in (NetworkType.FLAT, NetworkType.VLAN):
        physnet = segment.physical_network
        if physnet is None:
            return f"{kind} network without a physical network"
        if (
            physnet not in desired.bridge_mappings
            or physnet not in actual.physical_links
        ):
            return f"no bridge for physical network {physnet} on this host"
        seg = segment.segmentation_id
        if kind is NetworkType.VLAN and (
            seg is None or not tables.MIN_LOCAL_VLAN <= seg <= tables.MAX_LOCAL_VLAN
        ):
            return f"invalid VLAN id {seg}"
        return None
    tunnel_type = TunnelType(kind.value)
    if tunnel_type not in desired.tunnel_types:
        return f"tunnel type {tunnel_type} is not enabled on this host"
    if actual.tunnel_link is None:
        return "the tunnel bridge is not ready"
    key = segment.segmentation_id
    if key is None or not 1 <= key <= MAX_TUNNEL_KEY[tunnel_type]:
        return f"invalid {tunnel_type} key {key}"
    return None


def _segment_claim(segment: Segment) -> tuple[object, ...] | None:
    """What a segment occupies on the host: two networks must not share it."""
    kind = segment.type
    if kind is NetworkType.LOCAL:
        return None
    if kind is NetworkType.FLAT:
        return (kind, segment.physical_network)
    if kind is NetworkType.VLAN:
        return (kind, segment.physical_network, segment.segmentation_id)
    return (kind, segment.segmentation_id)


@dataclass(slots=True)
class _Networks:
    """Per network: its segment (from its first port) and why it can't be wired."""

    segments: dict[str, Segment] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def _check_networks(desired: DesiredState, actual: ActualState) -> _Networks:
    networks = _Networks()
    claims: dict[tuple[object, ...], str] = {}
    for port in sorted(desired.ports, key=lambda p: (p.network_id, p.port_id)):
        if port.network_id in networks.segments:
            continue
        networks.segments[port.network_id] = port.segment
        problem = _segment_problem(port.segment, desired, actual)
        claim = _segment_claim(port.segment)
        if problem is None and claim is not None:
            owner = claims.setdefault(claim, port.network_id)
            if owner != port.network_id:
                problem = f"segment already used by network {owner}"
        if problem is not None:
            networks.problems[port.network_id] = problem
    return networks


@dataclass(slots=True)
class _Wiring:
    """The per-VIF decisions of one planning pass."""

    bind: dict[str, tuple[Interface, str, str]] = field(default_factory=dict)
    isolate: dict[str, Interface] = field(default_factory=dict)
    statuses: list[PortStatus] = field(default_factory=list)


def _port_problem(
    port: DesiredPort, interfaces: list[Interface], networks: _Networks, host: str
) -> str | None:
    if port.binding_host and port.binding_host != host:
        return f"bound to host {port.binding_host}, plugged on {host}"
    if not port.admin_state_up:
        return "administratively down"
    if port.segment != networks.segments[port.network_id]:
        return "segment differs from the network's"
    problem = networks.problems.get(port.network_id)
    if problem is not None:
        return problem
    if not any(interface.ofport > 0 for interface in interfaces):
        return "interface not plugged (no OpenFlow port)"
    return None


def _wire_ports(
    desired: DesiredState, actual: ActualState, networks: _Networks
) -> _Wiring:
    links = {actual.tunnel_link.int_ofport} if actual.tunnel_link else set()
    links |= {link.int_ofport for link in actual.physical_links.values()}
    by_iface: dict[str, list[Interface]] = {}
    for interface in actual.interfaces:
        if interface.iface_id is not None and interface.ofport not in links:
            by_iface.setdefault(interface.iface_id, []).append(interface)
    wiring = _Wiring()
    known: set[str] = set()
    for port in sorted(desired.ports, key=lambda p: p.port_id):
        known.add(port.iface_id)
        interfaces = by_iface.get(port.iface_id, [])
        if not interfaces:
            wiring.statuses.append(
                PortStatus(
                    port_id=port.port_id,
                    state=ReportedStatus.DOWN,
                    reason="no interface on the integration bridge",
                )
            )
            continue
        problem = _port_problem(port, interfaces, networks, desired.host)
        for interface in interfaces:
            if problem is None and interface.ofport > 0:
                wiring.bind[interface.name] = (interface, port.network_id, port.port_id)
            else:
                wiring.isolate[interface.name] = interface
        wiring.statuses.append(
            PortStatus(port_id=port.port_id, state=ReportedStatus.UP)
            if problem is None
            else PortStatus(
                port_id=port.port_id, state=ReportedStatus.DOWN, reason=problem
            )
        )
    for iface_id, interfaces in by_iface.items():
        if iface_id not in known:
            for interface in interfaces:
                wiring.isolate[interface.name] = interface
    return wiring


def _tunnel_ports(
    desired: DesiredState, actual: ActualState
) -> tuple[list[TunnelPort], list[TunnelPort], list[TunnelPort]]:
    """(ports after the plan, ports to add, ports to remove) on the tunnel bridge."""
    wanted: dict[str, tuple[TunnelType, str]] = {}
    if actual.tunnel_link is not None:
        for endpoint in desired.endpoints:
            if (
                endpoint.type in desired.tunnel_types
                and endpoint.ip != desired.local_ip
                and endpoint.host != desired.host
            ):
                name = tunnel_port_name(endpoint.type, endpoint.ip)
                wanted.setdefault(name, (endpoint.type, endpoint.ip))
    kept: list[TunnelPort] = []
    remove: list[TunnelPort] = []
    for port in sorted(actual.tunnel_ports, key=lambda p: p.name):
        if wanted.get(port.name) == (port.type, port.remote_ip) and port.name not in {
            p.name for p in kept
        }:
            kept.append(port)
        else:
            remove.append(port)
    taken = {port.ofport for port in actual.tunnel_ports}
    if actual.tunnel_link is not None:
        taken.add(actual.tunnel_link.peer_ofport)
    next_ofport = tables.FIRST_TUNNEL_OFPORT
    add: list[TunnelPort] = []
    kept_names = {port.name for port in kept}
    for name in sorted(wanted):
        if name in kept_names:
            continue
        while next_ofport in taken:
            next_ofport += 1
        tunnel_type, remote_ip = wanted[name]
        add.append(
            TunnelPort(
                name=name, type=tunnel_type, remote_ip=remote_ip, ofport=next_ofport
            )
        )
        taken.add(next_ofport)
    return kept + add, add, remove


def _limits(desired: DesiredState, wiring: _Wiring) -> dict[int, tuple[int, int]]:
    """Meter id (= ofport) -> (rate, burst) of each bound VIF with a QoS limit."""
    qos = {port.port_id: port.qos for port in desired.ports}
    limits: dict[int, tuple[int, int]] = {}
    for interface, _, port_id in wiring.bind.values():
        limit = qos.get(port_id)
        if limit is not None:
            limits[interface.ofport] = limit
    return limits


def _policing(
    desired: DesiredState, actual: ActualState, wiring: _Wiring
) -> list[SetPolicing]:
    """Each VIF's ingress policing as its port's limit (none when unbound)."""
    qos = {port.port_id: port.qos for port in desired.ports}
    wanted = {
        name: qos.get(port_id) or (0, 0)
        for name, (_, _, port_id) in wiring.bind.items()
    }
    changes = []
    for interface in actual.interfaces:
        if interface.iface_id is None:
            continue
        rate, burst = wanted.get(interface.name, (0, 0))
        if interface.policing != (rate, burst):
            changes.append(
                SetPolicing(interface=interface.name, rate=rate, burst=burst)
            )
    return sorted(changes, key=lambda c: c.interface)


def firewalled_ports(
    desired: DesiredState, wiring: _Wiring, local_vlans: Mapping[str, int]
) -> list[firewall.FirewalledPort]:
    """The bound VIFs with port security, each with its groups' rules."""
    security = {p.port_id: p.port_security for p in desired.ports}
    found = []
    for interface, network, port_id in sorted(
        wiring.bind.values(), key=lambda b: b[0].ofport
    ):
        port_security = security.get(port_id)
        if port_security is None:
            continue
        rules = tuple(
            rule
            for group in port_security.security_groups
            for rule in desired.group_rules.get(group, ())
        )
        found.append(
            firewall.FirewalledPort(
                ofport=interface.ofport,
                local_vlan=local_vlans[network],
                security=port_security,
                rules=rules,
                members=desired.group_members,
            )
        )
    return found


def _integration_flows(
    actual: ActualState,
    wiring: _Wiring,
    bound: Mapping[str, Segment],
    local_vlans: Mapping[str, int],
    limits: Mapping[int, tuple[int, int]],
    firewalled: list[firewall.FirewalledPort],
) -> set[Flow]:
    flows = {integration.drop_by_default(), integration.switch_normally()}
    secured = {port.ofport for port in firewalled}
    for interface, network, _ in wiring.bind.values():
        ofport = interface.ofport
        vlan = local_vlans[network]
        if ofport in limits:
            flows.add(integration.police_port(ofport, vlan, secured=ofport in secured))
        else:
            flows.add(integration.forward_port(ofport, vlan, secured=ofport in secured))
    if actual.tunnel_link is not None:
        for network, segment in bound.items():
            if segment.type.is_tunnel:
                flows.add(
                    integration.tunnel_inbound(
                        actual.tunnel_link.int_ofport, local_vlans[network]
                    )
                )
    flows |= {
        integration.isolate_port(interface.ofport)
        for interface in wiring.isolate.values()
        if interface.ofport > 0
    }
    for link in actual.physical_links.values():
        flows.add(integration.block_link(link.int_ofport))
    for network, segment in bound.items():
        if segment.type in (NetworkType.FLAT, NetworkType.VLAN):
            link = actual.physical_links[str(segment.physical_network)]
            seg = segment.segmentation_id if segment.type is NetworkType.VLAN else None
            flows.add(
                integration.physnet_inbound(link.int_ofport, seg, local_vlans[network])
            )
    flows |= firewall.firewall_flows(firewalled)
    return flows


def _host_tunnels(
    desired: DesiredState, usable: list[TunnelPort]
) -> dict[tuple[str, TunnelType], int]:
    """(host, tunnel type) -> the ofport of the tunnel port to that host."""
    by_name = {port.name: port.ofport for port in usable}
    found: dict[tuple[str, TunnelType], int] = {}
    for endpoint in desired.endpoints:
        ofport = by_name.get(tunnel_port_name(endpoint.type, endpoint.ip))
        if ofport is not None:
            found.setdefault((endpoint.host, endpoint.type), ofport)
    return found


def _tunnel_flows(
    desired: DesiredState,
    actual: ActualState,
    ports: list[TunnelPort],
    bound: Mapping[str, Segment],
    local_vlans: Mapping[str, int],
) -> set[Flow]:
    assert actual.tunnel_link is not None  # noqa: S101 - checked by the caller
    patch = actual.tunnel_link.peer_ofport
    usable = [port for port in ports if port.ofport > 0]
    flows = set(tunnel.base(patch, ((port.ofport, port.type) for port in usable)))
    to_host = _host_tunnels(desired, usable)
    for network, segment in bound.items():
        if not segment.type.is_tunnel:
            continue
        tunnel_type = TunnelType(segment.type.value)
        key = int(str(segment.segmentation_id))
        vlan = local_vlans[network]
        flows.add(tunnel.inbound(tunnel_type, key, vlan, patch))
        peers = [port.ofport for port in usable if port.type is tunnel_type]
        if peers:
            flows.add(tunnel.outbound(vlan, key, peers))
        for remote in desired.remote_macs:
            ofport = to_host.get((remote.host, tunnel_type))
            if remote.network_id == network and ofport is not None:
                flows.add(tunnel.unicast(vlan, remote.mac, key, ofport))
    return flows


def _physical_flows(
    physnet: str,
    link_ofport: int,
    bound: Mapping[str, Segment],
    local_vlans: Mapping[str, int],
) -> set[Flow]:
    flows = set(physical.base(link_ofport))
    for network, segment in bound.items():
        if segment.physical_network != physnet:
            continue
        if segment.type is NetworkType.VLAN:
            flows.add(
                physical.outbound(
                    link_ofport, local_vlans[network], segment.segmentation_id
                )
            )
        elif segment.type is NetworkType.FLAT:
            flows.add(physical.outbound(link_ofport, local_vlans[network], None))
    return flows


def _tags(
    actual: ActualState, wiring: _Wiring, local_vlans: Mapping[str, int]
) -> list[SetTag]:
    wanted = {name: local_vlans[net] for name, (_, net, _) in wiring.bind.items()}
    wanted |= {name: tables.DEAD_VLAN for name in wiring.isolate}
    current = {interface.name: interface.tag for interface in actual.interfaces}
    return [
        SetTag(interface=name, tag=tag)
        for name, tag in sorted(wanted.items())
        if current.get(name) != tag
    ]


def plan(desired: DesiredState, actual: ActualState, *, sweep: bool = True) -> Plan:
    """Plan the changes from ``actual`` to ``desired``.

    ``sweep``: delete flows that carry another cookie than the agent's (after a full
    resync); without it only the agent's own stale flows go.
    """
    networks = _check_networks(desired, actual)
    wiring = _wire_ports(desired, actual, networks)
    local_vlans = assign_local_vlans(
        (network for _, network, _ in wiring.bind.values()), actual.local_vlans
    )
    starved = {net for _, net, _ in wiring.bind.values() if net not in local_vlans}
    if starved:
        wiring = _starve(wiring, starved)
    bound = {network: networks.segments[network] for network in local_vlans}

    limits = _limits(desired, wiring)
    firewalled = firewalled_ports(desired, wiring, local_vlans)
    flows: dict[str, frozenset[Flow]] = {
        desired.integration_bridge: frozenset(
            _integration_flows(actual, wiring, bound, local_vlans, limits, firewalled)
        )
    }
    tunnel_ports, add_ports, remove_ports = _tunnel_ports(desired, actual)
    if actual.tunnel_link is not None:
        flows[actual.tunnel_link.bridge] = frozenset(
            _tunnel_flows(desired, actual, tunnel_ports, bound, local_vlans)
        )
    for physnet, link in sorted(actual.physical_links.items()):
        flows[link.bridge] = frozenset(
            _physical_flows(physnet, link.peer_ofport, bound, local_vlans)
        )
    diffs = {
        bridge: FlowDiff.compute(
            wanted,
            actual.flows.get(bridge, frozenset()),
            cookie=tables.AGENT_COOKIE,
            sweep=sweep,
        )
        for bridge, wanted in flows.items()
    }
    return Plan(
        local_vlans=MappingProxyType(local_vlans),
        tags=tuple(_tags(actual, wiring, local_vlans)),
        add_tunnel_ports=tuple(add_ports),
        remove_tunnel_ports=tuple(remove_ports),
        flows=MappingProxyType(flows),
        flow_diffs=MappingProxyType(diffs),
        statuses=tuple(wiring.statuses),
        local_vlans_changed=dict(actual.local_vlans) != local_vlans,
        set_meters=MappingProxyType(
            {m: v for m, v in sorted(limits.items()) if actual.meters.get(m) != v}
        ),
        remove_meters=tuple(sorted(set(actual.meters) - set(limits))),
        policing=tuple(_policing(desired, actual, wiring)),
        firewalled=tuple(firewalled),
    )


def _starve(wiring: _Wiring, starved: set[str]) -> _Wiring:
    """Isolate the ports of networks that found no free local VLAN."""
    result = _Wiring(isolate=dict(wiring.isolate))
    down: set[str] = set()
    for name, (interface, network, port_id) in wiring.bind.items():
        if network in starved:
            result.isolate[name] = interface
            down.add(port_id)
        else:
            result.bind[name] = (interface, network, port_id)
    result.statuses = [
        PortStatus(
            port_id=status.port_id,
            state=ReportedStatus.DOWN,
            reason="no free local VLAN on this host",
        )
        if status.port_id in down
        else status
        for status in wiring.statuses
    ]
    return result


def render_plan(plan: Plan) -> str:
    """The plan as text for logs and golden files: decisions, then flow tables."""
    lines = ["[local VLANs]"]
    lines += [f"{net} {vlan}" for net, vlan in sorted(plan.local_vlans.items())]
    lines.append("[tags]")
    lines += [f"{change.interface} {change.tag}" for change in plan.tags]
    lines.append("[tunnel ports]")
    lines += [
        f"+ {p.name} type={p.type} remote_ip={p.remote_ip} ofport={p.ofport}"
        for p in plan.add_tunnel_ports
    ]
    lines += [f"- {p.name}" for p in plan.remove_tunnel_ports]
    lines.append("[status]")
    lines += [
        f"{s.port_id} {s.state}" + (f" ({s.reason})" if s.reason else "")
        for s in plan.statuses
    ]
    text = "\n".join(lines) + "\n"
    for bridge, flows in sorted(plan.flows.items()):
        text += f"[{bridge}]\n{render_table(flows)}"
    return text
