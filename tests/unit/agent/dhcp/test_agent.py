# SPDX-License-Identifier: Apache-2.0
"""The DHCP kind over a fake server and fake devices: what it asks, plans and
applies, and what its heartbeat reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from quantum.agent.dhcp.agent import (
    DhcpAgent,
    DhcpConfig,
    desired_from_server,
)
from quantum.agent.dhcp.plan import Action, Desired, Layout, Plan, Running
from quantum.agentapi.dhcp import messages as msg

CONFIG = DhcpConfig(host="net1", dhcp_lease_time=600, heartbeat_interval=0.0)
SUBNET = msg.SubnetInfo(id="s1", cidr="10.0.0.0/24", gateway_ip="10.0.0.1")
DHCP_PORT = msg.PortInfo(
    id="d1",
    mac_address="fa:16:3e:00:00:02",
    device_owner="network:dhcp",
    fixed_ips=(msg.FixedIpInfo(subnet_id="s1", ip_address="10.0.0.2"),),
)
VM_PORT = msg.PortInfo(
    id="p1",
    mac_address="fa:16:3e:00:00:01",
    fixed_ips=(msg.FixedIpInfo(subnet_id="s1", ip_address="10.0.0.3"),),
)
NET = msg.NetworkInfo(
    id="n1",
    mtu=1450,
    subnets=(SUBNET,),
    ports=(VM_PORT, DHCP_PORT),
    dhcp_port=DHCP_PORT,
)


@dataclass
class FakeServer:
    state: msg.DhcpState
    reports: list[msg.AgentReport] = field(default_factory=list)
    provisioned: list[list[str]] = field(default_factory=list)

    def register(self, report: msg.AgentReport) -> int:
        self.reports.append(report)
        return 1

    def desired_state(self) -> msg.DhcpState:
        return self.state

    def report_provisioned(self, port_ids: Sequence[str]) -> None:
        self.provisioned.append(list(port_ids))


@dataclass
class FakeDevices:
    running: dict[str, Running] = field(default_factory=dict)
    applied: list[Plan] = field(default_factory=list)
    layout: Layout = field(default_factory=lambda: Layout(Path("/nonexistent")))

    def observe(self) -> dict[str, Running]:
        return dict(self.running)

    def apply(self, result: Plan, desired: Desired) -> None:
        self.applied.append(result)
        for change in result.changes:
            if change.action is Action.REMOVE:
                self.running.pop(change.network_id, None)
            else:
                assert change.network_id in desired.networks
                self.running[change.network_id] = Running(
                    network_id=change.network_id, namespace=True, pid=99
                )


def test_a_told_network_is_started_and_counted_in_the_next_heartbeat() -> None:
    server = FakeServer(msg.DhcpState(host="net1", revision=1, networks=(NET,)))
    devices = FakeDevices()
    agent = DhcpAgent(CONFIG, server, devices)
    agent.round()
    (planned,) = devices.applied
    assert [(c.network_id, c.action) for c in planned.changes] == [("n1", Action.START)]
    change = planned.changes[0]
    assert (
        "--dhcp-range=set:subnet-s1,10.0.0.0,static,255.255.255.0,600s" in change.argv
    )
    assert server.reports[0].configurations["networks"] == 0
    agent.round()
    assert server.reports[-1].configurations["networks"] == 1
    assert server.reports[-1].configurations["ports"] == 2
    assert server.reports[-1].configurations["dhcp_lease_time"] == 600


def test_a_network_no_longer_told_or_without_dhcp_port_is_removed() -> None:
    server = FakeServer(msg.DhcpState(host="net1", revision=1, networks=(NET,)))
    devices = FakeDevices()
    agent = DhcpAgent(CONFIG, server, devices)
    agent.round()
    server.state = msg.DhcpState(
        host="net1", revision=2, networks=(replace(NET, dhcp_port=None),)
    )
    agent.round()
    assert [(c.network_id, c.action) for c in devices.applied[-1].changes] == [
        ("n1", Action.REMOVE)
    ]
    assert devices.running == {}


def test_an_inconsistent_network_is_left_as_it_runs() -> None:
    bad = replace(
        NET, subnets=(replace(SUBNET, ipv6_ra_mode="slaac"),)
    )  # NOTE: IPv6 modes on an IPv4 subnet
    desired = desired_from_server(
        CONFIG, msg.DhcpState(host="net1", revision=1, networks=(bad,))
    )
    assert desired.kept == frozenset({"n1"})
    assert dict(desired.networks.networks) == {}
    server = FakeServer(msg.DhcpState(host="net1", revision=1, networks=(bad,)))
    devices = FakeDevices(running={"n1": Running(network_id="n1", pid=5)})
    DhcpAgent(CONFIG, server, devices).round()
    assert devices.applied == []
    assert set(devices.running) == {"n1"}


def test_leases_last_as_long_as_the_server_holds_a_released_address() -> None:
    def argv_lease(lease_duration: int | None) -> str:
        state = msg.DhcpState(
            host="net1", revision=1, networks=(NET,), lease_duration=lease_duration
        )
        server = FakeServer(state)
        devices = FakeDevices()
        DhcpAgent(CONFIG, server, devices).round()
        (change,) = devices.applied[0].changes
        (dhcp_range,) = [a for a in change.argv if a.startswith("--dhcp-range")]
        return dhcp_range.rsplit(",", 1)[1]

    assert argv_lease(300) == "300s"
    assert argv_lease(None) == "600s"  # NOTE: an older server: the agent's option
    assert argv_lease(0) == "120s"  # NOTE: no hold: dnsmasq's shortest lease


def test_ports_are_reported_provisioned_once_applied_and_only_once() -> None:
    server = FakeServer(msg.DhcpState(host="net1", revision=1, networks=(NET,)))
    devices = FakeDevices()
    agent = DhcpAgent(CONFIG, server, devices)
    agent.round()
    assert server.provisioned == [["d1", "p1"]]
    agent.round()
    assert server.provisioned == [["d1", "p1"]]  # NOTE: nothing new
    second = replace(VM_PORT, id="p2", mac_address="fa:16:3e:00:00:05")
    server.state = msg.DhcpState(
        host="net1", revision=2, networks=(replace(NET, ports=(*NET.ports, second)),)
    )
    agent.round()
    assert server.provisioned[-1] == ["p2"]


def test_a_port_whose_network_failed_to_apply_is_not_reported() -> None:
    class Failing(FakeDevices):
        def apply(self, result: Plan, desired: Desired) -> None:
            raise RuntimeError("dnsmasq would not start")

    server = FakeServer(msg.DhcpState(host="net1", revision=1, networks=(NET,)))
    agent = DhcpAgent(CONFIG, server, Failing())
    agent.round()
    assert server.provisioned == []
