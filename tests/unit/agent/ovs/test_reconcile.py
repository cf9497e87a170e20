# SPDX-License-Identifier: Apache-2.0
"""The OVS agent's loop against fake OVSDB, OpenFlow and agent API."""

from __future__ import annotations

import threading
import time
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace
from ipaddress import ip_address

import pytest

from quantum.agent import loop
from quantum.agent.loop import follow_changes
from quantum.agent.ovs import tables
from quantum.agent.ovs.bridges import integration
from quantum.agent.ovs.flows import FlowDiff, InstalledFlow
from quantum.agent.ovs.model import Interface, PatchLink, TunnelPort, TunnelType
from quantum.agent.ovs.ovsdb import BridgeConfig, Observed
from quantum.agent.ovs.reconcile import Agent, AgentConfig, desired_from_server
from quantum.agentapi.ovs import messages as msg
from quantum.core.agents import PortCounters, QosLimit
from quantum.core.networks import NetworkSegment, NetworkType
from quantum.core.status import ReportedStatus

CONFIG = AgentConfig(
    host="hv1",
    bridges=BridgeConfig(),
    local_ip="192.0.2.1",
    tunnel_types=frozenset({TunnelType.VXLAN}),
    heartbeat_interval=1000.0,
    resync_interval=1000.0,
)


def _port(
    port_id: str, network: str, key: int, up: bool = True, bound_to: str = ""
) -> msg.PortState:
    return msg.PortState(
        port_id=port_id,
        iface_id=f"if-{port_id}",
        network_id=network,
        admin_state_up=up,
        segment=NetworkSegment(
            network_id=network, network_type=NetworkType.VXLAN, segmentation_id=key
        ),
        binding_host=bound_to,
    )


@dataclass
class FakeServer:
    ports: list[msg.PortState] = field(default_factory=list)
    endpoints: list[msg.Endpoint] = field(default_factory=list)
    registered: list[msg.HostReport] = field(default_factory=list)
    asked: list[list[str]] = field(default_factory=list)
    reported: list[list[msg.PortStatus]] = field(default_factory=list)
    counted: list[list[PortCounters]] = field(default_factory=list)
    fail: bool = False
    admin_state_up: bool = True

    def register(self, report: msg.HostReport) -> int:
        self.registered.append(report)
        return 1

    def desired_state(self, iface_ids: Iterable[str]) -> msg.HostState:
        if self.fail:
            raise OSError("server down")
        ids = list(iface_ids)
        self.asked.append(ids)
        return msg.HostState(
            host="hv1",
            revision=1,
            ports=tuple(p for p in self.ports if p.iface_id in ids),
            endpoints=tuple(self.endpoints),
            admin_state_up=self.admin_state_up,
        )

    def report_status(self, ports: Iterable[msg.PortStatus]) -> None:
        self.reported.append(list(ports))

    def report_counters(self, ports: Iterable[PortCounters]) -> None:
        self.counted.append(list(ports))


@dataclass
class FakeHost:
    """OVSDB and OpenFlow in one: records every call in order."""

    interfaces: list[Interface] = field(default_factory=list)
    tunnel_ports: list[TunnelPort] = field(default_factory=list)
    flows: dict[str, set[InstalledFlow]] = field(
        default_factory=lambda: {"br-int": set(), "br-tun": set()}
    )
    calls: list[str] = field(default_factory=list)
    meters: dict[int, tuple[int, int]] = field(default_factory=dict)
    counters: dict[str, dict[str, int]] = field(default_factory=dict)

    def observe(self, config: BridgeConfig) -> Observed:
        return Observed(
            interfaces=tuple(self.interfaces),
            counters=self.counters,
            tunnel_ports=tuple(self.tunnel_ports),
            tunnel_link=PatchLink(bridge="br-tun", int_ofport=1, peer_ofport=1),
        )

    def set_tags(self, tags: Iterable[tuple[str, int]]) -> None:
        for name, tag in tags:
            self.calls.append(f"tag {name} {tag}")
            self.interfaces = [
                Interface(
                    name=i.name,
                    ofport=i.ofport,
                    iface_id=i.iface_id,
                    attached_mac=i.attached_mac,
                    tag=tag if i.name == name else i.tag,
                )
                for i in self.interfaces
            ]

    def add_tunnel_ports(
        self, bridge: str, ports: Iterable[TunnelPort], local_ip: str
    ) -> None:
        for port in ports:
            self.calls.append(f"add-port {port.name} {local_ip}")
            self.tunnel_ports.append(port)

    def remove_tunnel_ports(self, bridge: str, ports: Iterable[TunnelPort]) -> None:
        for port in ports:
            self.calls.append(f"del-port {port.name}")
            self.tunnel_ports.remove(port)

    def set_policing(self, limits: Iterable[tuple[str, int, int]]) -> None:
        for name, rate, burst in limits:
            self.calls.append(f"police {name} {rate} {burst}")
            self.interfaces = [
                replace(i, policing=(rate, burst)) if i.name == name else i
                for i in self.interfaces
            ]

    def dump_meters(
        self, bridge: str, *, timeout: float = 10.0
    ) -> dict[int, tuple[int, int]]:
        return dict(self.meters)

    def set_meters(
        self,
        bridge: str,
        meters: Mapping[int, tuple[int, int]],
        *,
        existing: Collection[int] = (),
        timeout: float = 10.0,
    ) -> None:
        for meter_id, limit in meters.items():
            verb = "modify" if meter_id in existing else "add"
            self.calls.append(f"{verb}-meter {meter_id} {limit}")
            self.meters[meter_id] = limit

    def remove_meters(
        self, bridge: str, meter_ids: Iterable[int], *, timeout: float = 10.0
    ) -> None:
        for meter_id in meter_ids:
            self.calls.append(f"del-meter {meter_id}")
            del self.meters[meter_id]

    def bridges(self) -> frozenset[str]:
        return frozenset(self.flows)

    def dump_flows(
        self, bridge: str, *, cookie: int | None = None, timeout: float = 10.0
    ) -> list[InstalledFlow]:
        return list(self.flows[bridge])

    def apply(
        self,
        bridge: str,
        diff: FlowDiff,
        *,
        cookie: int = tables.AGENT_COOKIE,
        timeout: float = 10.0,
    ) -> None:
        if diff.add:
            self.calls.append(f"add-flows {bridge}")
            self.calls += [f"add-flow {bridge} {flow.render()}" for flow in diff.add]
        if diff.delete:
            self.calls.append(f"del-flows {bridge}")
        self.flows[bridge] -= set(diff.delete)
        self.flows[bridge] |= {InstalledFlow(cookie=cookie, flow=f) for f in diff.add}


def _vif(name: str, ofport: int, port_id: str) -> Interface:
    return Interface(name=name, ofport=ofport, iface_id=f"if-{port_id}", tag=None)


def _agent(server: FakeServer, host: FakeHost) -> Agent:
    return Agent(CONFIG, server, host, host)


def test_a_round_wires_the_plugged_ports_and_reports_them_up() -> None:
    server = FakeServer(ports=[_port("p1", "net-a", 5), _port("p2", "net-b", 6)])
    host = FakeHost(interfaces=[_vif("tap1", 5, "p1"), _vif("tap2", 6, "p2")])
    agent = _agent(server, host)

    assert agent.round() is not None

    assert server.asked == [["if-p1", "if-p2"]]
    assert [r.tunnel_ip for r in server.registered] == [ip_address("192.0.2.1")]
    assert {(s.port_id, s.status) for s in server.reported[0]} == {
        ("p1", ReportedStatus.UP),
        ("p2", ReportedStatus.UP),
    }
    tags = {i.name: i.tag for i in host.interfaces}
    assert tags["tap1"] != tags["tap2"]
    assert host.calls.index("add-flows br-int") < host.calls.index(
        f"tag tap1 {tags['tap1']}"
    )
    # NOTE: a VIF forwards only once it is on its local VLAN, never from the dead one
    forward = (
        f"add-flow br-int {integration.forward_port(5, tags['tap1'] or 0).render()}"
    )
    assert host.calls.index(f"tag tap1 {tags['tap1']}") < host.calls.index(forward)


def test_a_second_round_changes_nothing_and_reports_nothing() -> None:
    server = FakeServer(ports=[_port("p1", "net-a", 5)])
    host = FakeHost(interfaces=[_vif("tap1", 5, "p1")])
    agent = _agent(server, host)
    agent.round()
    host.calls.clear()

    second = agent.round()

    assert second is not None
    assert second.is_empty
    assert host.calls == []
    assert len(server.reported) == 1


def test_a_port_set_down_is_isolated_and_reported_down() -> None:
    server = FakeServer(ports=[_port("p1", "net-a", 5)])
    host = FakeHost(interfaces=[_vif("tap1", 5, "p1")])
    agent = _agent(server, host)
    agent.round()
    server.ports = [_port("p1", "net-a", 5, up=False)]
    host.calls.clear()

    agent.round()

    assert [(s.port_id, s.status) for s in server.reported[-1]] == [
        ("p1", ReportedStatus.DOWN)
    ]
    assert host.interfaces[0].tag == tables.DEAD_VLAN
    # NOTE: dropped before it leaves its VLAN; its forwarding goes last
    drop = f"add-flow br-int {integration.isolate_port(5).render()}"
    dead = f"tag tap1 {tables.DEAD_VLAN}"
    assert host.calls.index(drop) < host.calls.index(dead)
    assert host.calls.index(dead) < host.calls.index("del-flows br-int")


def test_a_port_bound_to_another_host_is_isolated_and_says_why() -> None:
    server = FakeServer(ports=[_port("p1", "net-a", 5, bound_to="hv9")])
    host = FakeHost(interfaces=[_vif("tap1", 5, "p1")])

    _agent(server, host).round()

    (status,) = server.reported[-1]
    assert (status.status, status.reason) == (
        ReportedStatus.DOWN,
        f"bound to host hv9, plugged on {CONFIG.host}",
    )
    assert host.interfaces[0].tag == tables.DEAD_VLAN


def test_tunnel_ports_go_to_other_hosts_only_before_their_flows() -> None:
    server = FakeServer(
        ports=[_port("p1", "net-a", 5)],
        endpoints=[
            msg.Endpoint(
                host="hv2",
                ip=ip_address("192.0.2.2"),
                tunnel_types=frozenset({NetworkType.VXLAN}),
            ),
            msg.Endpoint(
                host="hv1",
                ip=ip_address("192.0.2.1"),
                tunnel_types=frozenset({NetworkType.VXLAN}),
            ),
        ],
    )
    host = FakeHost(interfaces=[_vif("tap1", 5, "p1")])

    _agent(server, host).round()

    assert [p.remote_ip for p in host.tunnel_ports] == ["192.0.2.2"]
    assert host.calls[0].startswith("add-port vxlan-")
    assert host.calls[0].endswith("192.0.2.1")


def test_an_error_makes_the_next_round_a_full_resync() -> None:
    server = FakeServer(ports=[_port("p1", "net-a", 5)])
    host = FakeHost(interfaces=[_vif("tap1", 5, "p1")])
    agent = _agent(server, host)
    agent.round()
    server.fail = True

    assert agent.round() is None
    assert agent.memory.full

    server.fail = False
    agent.round()
    assert not agent.memory.full
    assert len(server.reported) == 2  # a full resync reports every status again


def test_a_port_that_comes_back_is_reported_again() -> None:
    server = FakeServer(ports=[_port("p1", "net-a", 5)])
    host = FakeHost(interfaces=[_vif("tap1", 5, "p1")])
    agent = _agent(server, host)
    agent.round()
    plugged = server.ports
    server.ports = []  # the attachment is unplugged: the server marks p1 DOWN
    agent.round()
    server.ports = plugged  # and plugged again
    reports = len(server.reported)

    agent.round()

    assert len(server.reported) == reports + 1
    assert [(s.port_id, s.status) for s in server.reported[-1]] == [
        ("p1", ReportedStatus.UP)
    ]


def test_a_failed_round_is_retried_later_not_at_once() -> None:
    config = replace(CONFIG, heartbeat_interval=0.0, resync_interval=0.0)
    server = FakeServer(fail=True)
    agent = Agent(config, server, FakeHost(), FakeHost())
    stop = threading.Event()

    assert agent.round() is None
    started = time.monotonic()
    agent.idle(stop)

    assert time.monotonic() - started >= loop.RETRY_MIN * 0.9
    assert agent.round() is None
    assert agent.memory.retry_at - time.monotonic() > loop.RETRY_MIN
    server.fail = False
    assert agent.round() is not None
    assert agent.memory.retry_at == 0.0


def test_local_vlans_are_recovered_from_tags_after_a_restart() -> None:
    server = FakeServer(ports=[_port("p1", "net-a", 5)])
    tagged = Interface(name="tap1", ofport=5, iface_id="if-p1", tag=7)
    host = FakeHost(interfaces=[tagged])

    result = _agent(server, host).round()

    assert result is not None
    assert dict(result.local_vlans) == {"net-a": 7}
    assert not [c for c in host.calls if c.startswith("tag")]


def test_desired_state_keeps_only_enabled_tunnel_types() -> None:
    state = msg.HostState(
        host="hv1",
        revision=3,
        endpoints=(
            msg.Endpoint(
                host="hv3",
                ip=ip_address("192.0.2.3"),
                tunnel_types=frozenset({NetworkType.GRE, NetworkType.VXLAN}),
            ),
        ),
    )

    desired = desired_from_server(CONFIG, state)

    assert [(e.host, e.type) for e in desired.endpoints] == [("hv3", TunnelType.VXLAN)]


class FakeFeed:
    def __init__(self, revisions: list[int], stop: threading.Event) -> None:
        self.revisions = revisions
        self.stop = stop
        self.calls: list[tuple[int, float]] = []

    def changes(self, since: int, wait: float = 0.0) -> int:
        self.calls.append((since, wait))
        if not self.revisions:
            self.stop.set()
            return since
        value = self.revisions.pop(0)
        if value < 0:
            raise OSError("gone")
        return value


def test_the_change_feed_wakes_on_new_revisions_and_resyncs_after_errors() -> None:
    stop = threading.Event()
    agent = _agent(FakeServer(), FakeHost())
    agent.memory.full = False
    feed = FakeFeed([4, 4, 5], stop)

    follow_changes(feed, agent, stop, wait=7.0)

    assert feed.calls[:3] == [(0, 0.0), (4, 7.0), (4, 7.0)]
    assert agent._wake.is_set()
    assert not agent.memory.full

    stop.clear()
    feed.revisions = [-1]
    follow_changes(feed, agent, stop, wait=7.0)
    assert agent.memory.full


def test_the_change_feed_resyncs_once_the_server_answers_again() -> None:
    stop = threading.Event()
    agent = _agent(FakeServer(), FakeHost())
    feed = FakeFeed([-1, 4], stop)
    original = feed.changes

    def changes(since: int, wait: float = 0.0) -> int:
        if len(feed.calls) == 1:  # NOTE: the agent ran its round meanwhile
            agent.memory.full = False
            agent._wake.clear()
        return original(since, wait)

    feed.changes = changes  # type: ignore[method-assign]
    follow_changes(feed, agent, stop, wait=7.0)

    assert agent.memory.full
    assert agent._wake.is_set()


def test_idle_returns_when_a_bridge_connects_or_on_a_wake_up() -> None:
    host = FakeHost()
    agent = _agent(FakeServer(), host)
    agent.round()
    stop = threading.Event()
    timer = threading.Timer(0.05, lambda: host.flows.setdefault("br-eth1", set()))
    timer.start()
    agent.idle(stop)  # returns: br-eth1 connected
    timer.join()
    agent.wake()
    agent.idle(stop)  # returns at once: woken


def test_run_stops_when_asked() -> None:
    server = FakeServer()
    agent = _agent(server, FakeHost())
    stop = threading.Event()
    worker = threading.Thread(target=agent.run, args=(stop,))
    worker.start()
    deadline = time.monotonic() + 5
    while not server.registered and time.monotonic() < deadline:
        time.sleep(0.01)
    stop.set()
    agent.wake()
    worker.join(5)
    assert not worker.is_alive()
    assert server.registered


def _police_flows(host: FakeHost) -> set[str]:
    return {
        i.flow.render() for i in host.flows["br-int"] if "meter:" in i.flow.render()
    }


def test_a_qos_limit_meters_the_port_and_sets_its_policing() -> None:
    limited = replace(
        _port("p1", "net-a", 5), qos=QosLimit(rate_kbps=2000, burst_kb=200)
    )
    server = FakeServer(ports=[limited, _port("p2", "net-a", 5)])
    host = FakeHost(interfaces=[_vif("tap1", 7, "p1"), _vif("tap2", 8, "p2")])
    agent = _agent(server, host)

    assert agent.round() is not None

    assert host.meters == {7: (2000, 200)}
    assert _police_flows(host) == {
        "table=0, priority=2,in_port=7 actions=meter:7,set_field:0x1->reg6,"
        "goto_table:20"
    }
    assert {i.name: i.policing for i in host.interfaces} == {
        "tap1": (2000, 200),
        "tap2": (0, 0),
    }
    # The meter exists before the flow that uses it.
    assert host.calls.index("add-meter 7 (2000, 200)") < host.calls.index(
        "add-flows br-int"
    )
    host.calls.clear()
    assert agent.round() is not None
    assert host.calls == []  # nothing left to change

    server.ports[0] = replace(limited, qos=QosLimit(rate_kbps=500, burst_kb=0))
    agent.wake()
    assert agent.round() is not None
    assert host.calls[0] == "modify-meter 7 (500, 0)"
    assert host.meters == {7: (500, 0)}

    server.ports[0] = replace(limited, qos=None)
    host.calls.clear()
    assert agent.round() is not None
    assert host.meters == {}
    assert _police_flows(host) == set()
    assert host.calls.index("del-flows br-int") < host.calls.index("del-meter 7")
    assert "police tap1 0 0" in host.calls


def test_counters_are_reported_with_each_heartbeat() -> None:
    server = FakeServer(ports=[_port("p1", "net-a", 5)])
    host = FakeHost(interfaces=[_vif("tap1", 5, "p1"), _vif("stray", 6, "ghost")])
    stats = {"rx_packets": 3, "rx_bytes": 300, "tx_packets": 4, "tx_bytes": 400}
    host.counters = {"tap1": {**stats, "collisions": 0}, "stray": stats}
    agent = Agent(replace(CONFIG, heartbeat_interval=0.0), server, host, host)

    assert agent.round() is not None

    assert server.counted == [
        [
            PortCounters(
                port_id="p1",
                rx_packets=3,
                rx_bytes=300,
                tx_packets=4,
                tx_bytes=400,
            )
        ]
    ]
    quiet_server = FakeServer(ports=[_port("p1", "net-a", 5)])
    quiet = _agent(quiet_server, host)
    quiet.round()
    quiet.round()  # no heartbeat due: nothing more
    assert len(quiet_server.counted) == 1


def test_the_heartbeat_reports_the_configuration_and_the_device_count() -> None:
    config = replace(
        CONFIG,
        heartbeat_interval=0.0,
        bridges=BridgeConfig(bridge_mappings={"physnet1": "br-eth1"}),
    )
    server = FakeServer(ports=[_port("p1", "net-a", 5), _port("p2", "net-a", 5)])
    host = FakeHost(interfaces=[_vif("tap1", 5, "p1"), _vif("tap2", 6, "p2")])
    agent = Agent(config, server, host, host)

    agent.round()
    agent.round()

    first, second = (r.configurations for r in server.registered)
    assert first == {
        "bridge_mappings": {"physnet1": "br-eth1"},
        "tunnel_types": ["vxlan"],
        "integration_bridge": "br-int",
        "devices": 0,  # nothing seen yet
    }
    assert second["devices"] == 2


def test_a_disabled_agent_says_so_and_keeps_forwarding(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = FakeServer(ports=[_port("p1", "net-a", 5)])
    host = FakeHost(interfaces=[_vif("tap1", 5, "p1")])
    agent = _agent(server, host)
    agent.round()
    forwarding = set(host.flows["br-int"])
    server.admin_state_up = False
    host.calls.clear()

    assert agent.round() is not None
    agent.round()

    assert host.calls == []  # nothing torn down
    assert host.flows["br-int"] == forwarding
    assert caplog.text.count("an administrator disabled this host's agent") == 1
