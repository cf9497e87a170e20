# SPDX-License-Identifier: Apache-2.0
"""The L3 kind on the agent skeleton: the server's routers become the device
layer's, planned against what the host shows, through the real planner."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from ipaddress import ip_address, ip_interface, ip_network
from types import MappingProxyType

import pytest

from quantum.agent.dhcp.model import Ipv6Mode
from quantum.agent.l3 import render
from quantum.agent.l3.agent import (
    L3Agent,
    L3Config,
    desired_from_server,
    router_from_server,
)
from quantum.agent.l3.model import Router
from quantum.agent.l3.plan import Action, Device, Plan, Running, _ports
from quantum.agentapi.l3 import messages as msg

HOST = "net1"
EXTERNAL = "ext-net"
R1 = "0b7e4d3c-0001-4a5b-8c9d-000000000001"
R2 = "0b7e4d3c-0002-4a5b-8c9d-000000000002"

QR_A = msg.RouterInterface(
    port_id="4a1b2c3d-0001-4c8e-9a55-6d2f0e1b7c90",
    network_id="net-a",
    mac_address="fa:16:3e:0a:00:01",
    addresses=(ip_interface("10.1.0.1/24"),),
)
QR_B = msg.RouterInterface(
    port_id="5b2c3d4e-0002-4c8e-9a55-6d2f0e1b7c90",
    network_id="net-b",
    mac_address="fa:16:3e:0b:00:01",
    addresses=(ip_interface("10.2.0.1/24"),),
)
QG = msg.RouterGateway(
    port_id="9e8d7c6b-0001-4f00-8000-000000000001",
    network_id=EXTERNAL,
    mac_address="fa:16:3e:ee:00:01",
    address=ip_interface("172.24.4.10/24"),
    gateway_ip=ip_address("172.24.4.1"),
)
FIP = msg.FloatingIpState(
    id="f1",
    floating_ip_address=ip_address("172.24.4.100"),
    fixed_ip_address=ip_address("10.1.0.5"),
    port_id="vm-port",
)
ROUTER = msg.RouterState(
    id=R1,
    interfaces=(QR_A, QR_B),
    gateway=QG,
    routes=(
        msg.ExtraRoute(
            destination=ip_network("192.168.70.0/24"),
            nexthop=ip_address("10.2.0.254"),
        ),
    ),
    floating_ips=(FIP,),
)


def as_applied(made: Router) -> Running:
    """What a host shows once ``made`` runs."""
    macs = {plug.device: plug.mac for plug in _ports(made)}
    addresses = render.addresses(made)
    return Running(
        router_id=made.id,
        namespace=True,
        forwarding=True,
        devices=MappingProxyType(
            {
                device: Device(mac=mac, addresses=addresses.get(device, frozenset()))
                for device, mac in macs.items()
            }
        ),
        routes=render.routes(made),
        iptables=render.Saved(render.rules(made), frozenset(render.HOOKS)),
    )


class Server:
    """The fake server: a list of routers, by the client's signature."""

    def __init__(self) -> None:
        self.routers_given: list[msg.RouterState] = []
        self.reports: list[msg.L3Report] = []
        self.admin_state_up = True

    def register(self, report: msg.L3Report) -> int:
        self.reports.append(report)
        return 1

    def routers(self, router_ids: Iterable[str] | None = None) -> msg.RouterSet:
        return msg.RouterSet(
            host=HOST,
            revision=1,
            routers=tuple(self.routers_given),
            admin_state_up=self.admin_state_up,
        )


@dataclass
class FakeDevices:
    """A host whose routers run exactly as the last plan applied them."""

    running: dict[str, Running] = field(default_factory=dict)
    applied: list[Plan] = field(default_factory=list)
    wanted: dict[str, Router] = field(default_factory=dict)

    def observe(self) -> dict[str, Running]:
        return dict(self.running)

    def apply(self, result: Plan) -> None:
        self.applied.append(result)
        for change in result.changes:
            if change.action is Action.REMOVE:
                self.running.pop(change.router_id, None)
            elif change.action is Action.APPLY:
                self.running[change.router_id] = as_applied(
                    self.wanted[change.router_id]
                )


def _agent(
    config: L3Config | None = None,
) -> tuple[L3Agent, Server, FakeDevices]:
    server, devices = Server(), FakeDevices()
    agent = L3Agent(config or L3Config(host=HOST), server, devices)
    return agent, server, devices


def _round(agent: L3Agent, server: Server, devices: FakeDevices) -> Plan:
    devices.wanted = {
        r.id: router_from_server(r) for r in server.routers_given if r.admin_state_up
    }
    result = agent.round()
    assert result is not None
    return result


def test_the_server_router_becomes_the_device_layers() -> None:
    made = router_from_server(ROUTER)
    assert made.id == R1
    assert [i.addresses for i in made.interfaces] == [
        ("10.1.0.1/24",),
        ("10.2.0.1/24",),
    ]
    assert made.gateway is not None
    assert made.gateway.address == "172.24.4.10/24"
    assert made.gateway.gateway_ip == "172.24.4.1"
    assert made.gateway.enable_snat
    assert [(r.destination, r.nexthop) for r in made.routes] == [
        ("192.168.70.0/24", "10.2.0.254")
    ]
    assert [(f.floating_ip_address, f.fixed_ip_address) for f in made.floating_ips] == [
        ("172.24.4.100", "10.1.0.5")
    ]


def test_ipv6_subnets_with_an_ra_mode_are_advertised_the_others_not() -> None:
    def subnet(cidr: str, ra: str | None, address: str | None) -> msg.InterfaceSubnet:
        return msg.InterfaceSubnet(
            id=cidr, cidr=ip_network(cidr), ipv6_ra_mode=ra, ipv6_address_mode=address
        )

    dual = replace(
        QR_B,
        addresses=(ip_interface("10.2.0.1/24"), ip_interface("fd00:2::1/64")),
        subnets=(
            subnet("10.2.0.0/24", None, None),
            subnet("fd00:2::/64", "slaac", "slaac"),
        ),
    )
    other = msg.RouterInterface(
        port_id="6c3d4e5f-0003-4c8e-9a55-6d2f0e1b7c90",
        network_id="net-c",
        mac_address="fa:16:3e:0c:00:01",
        addresses=(ip_interface("fd00:3::1/64"),),
        # NOTE: another router advertises (ra mode unset)
        subnets=(subnet("fd00:3::/64", None, "slaac"),),
    )
    stateful = replace(
        other,
        port_id="7d4e5f60-0004-4c8e-9a55-6d2f0e1b7c90",
        addresses=(ip_interface("fd00:4::1/64"),),
        subnets=(subnet("fd00:4::/64", "dhcpv6-stateful", None),),
    )
    given = replace(ROUTER, interfaces=(QR_A, dual, other, stateful))
    # NOTE: the message as the server sends it, through JSON
    made = router_from_server(msg.RouterState.from_json(given.to_json()))
    assert [[(a.cidr, a.mode) for a in i.advertise] for i in made.interfaces] == [
        [],
        [("fd00:2::/64", Ipv6Mode.SLAAC)],
        [],
        [("fd00:4::/64", Ipv6Mode.DHCPV6_STATEFUL)],
    ]
    config = render.radvd_config(made)
    assert config is not None
    assert config.count("interface ") == 2

    # an older server's message (no "subnets"): nothing is advertised
    old = given.to_json()
    for interface in old["interfaces"]:
        del interface["subnets"]
    assert render.radvd_config(router_from_server(msg.RouterState.from_json(old))) is (
        None
    )


def test_a_new_router_is_applied_then_a_second_round_plans_nothing() -> None:
    agent, server, devices = _agent()
    server.routers_given = [ROUTER]

    first = _round(agent, server, devices)
    assert [(c.router_id, c.action) for c in first.changes] == [(R1, Action.APPLY)]
    (change,) = first.changes
    assert {p.device for p in change.plug} == {
        render.internal_device(QR_A.port_id),
        render.internal_device(QR_B.port_id),
        render.gateway_device(QG.port_id),
    }

    second = _round(agent, server, devices)
    assert second.is_empty
    assert [c.action for c in second.changes] == [Action.KEEP]


def test_a_floating_ip_disassociated_changes_only_that_address_and_the_rules() -> None:
    agent, server, devices = _agent()
    server.routers_given = [ROUTER]
    _round(agent, server, devices)

    server.routers_given = [replace(ROUTER, floating_ips=())]
    (change,) = _round(agent, server, devices).changes
    assert change.action is Action.APPLY
    assert change.plug == ()
    assert change.remove_addresses == (
        (render.gateway_device(QG.port_id), "172.24.4.100/32"),
    )
    assert change.add_addresses == ()
    assert change.iptables is not None


def test_a_router_gone_or_set_down_is_removed_and_others_are_kept() -> None:
    agent, server, devices = _agent()
    other = replace(
        ROUTER, id=R2, interfaces=(), gateway=None, routes=(), floating_ips=()
    )
    server.routers_given = [ROUTER, other]
    _round(agent, server, devices)
    assert set(devices.running) == {R1, R2}

    server.routers_given = [replace(ROUTER, admin_state_up=False), other]
    result = _round(agent, server, devices)
    assert [(c.router_id, c.action) for c in result.changes] == [
        (R1, Action.REMOVE),
        (R2, Action.KEEP),
    ]
    server.routers_given = []
    result = _round(agent, server, devices)
    assert [(c.router_id, c.action) for c in result.changes] == [(R2, Action.REMOVE)]
    assert devices.running == {}


def test_a_router_the_model_refuses_is_left_as_it_runs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    agent, server, devices = _agent()
    server.routers_given = [ROUTER]
    _round(agent, server, devices)
    before = devices.running[R1]

    overlapping = replace(
        QR_B,
        port_id="6c3d4e5f-0003-4c8e-9a55-6d2f0e1b7c90",
        addresses=(ip_interface("10.1.0.2/24"),),
    )
    broken = replace(ROUTER, interfaces=(QR_A, overlapping))
    with caplog.at_level(logging.ERROR):
        assert desired_from_server(
            L3Config(host=HOST), msg.RouterSet(host=HOST, revision=2, routers=(broken,))
        ).kept == {R1}
    server.routers_given = [broken]
    agent.kind.desired(agent.kind.observe())  # NOTE: logs, does not raise
    devices.wanted = {}
    result = agent.round()
    assert result is not None
    assert result.changes == ()  # NOTE: neither changed nor removed
    assert devices.running[R1] is before
    assert "left as it runs" in caplog.text


def test_floating_ips_and_routes_that_do_not_fit_are_left_out_alone() -> None:
    stray = replace(FIP, fixed_ip_address=ip_address("10.9.0.5"))
    far = msg.ExtraRoute(
        destination=ip_network("192.168.80.0/24"), nexthop=ip_address("10.9.0.1")
    )
    made = router_from_server(
        replace(ROUTER, floating_ips=(FIP, stray), routes=(*ROUTER.routes, far))
    )
    assert [f.fixed_ip_address for f in made.floating_ips] == ["10.1.0.5"]
    assert [r.destination for r in made.routes] == ["192.168.70.0/24"]


def test_routers_of_another_external_network_or_internal_only_are_not_served() -> None:
    internal = replace(ROUTER, id=R2, gateway=None, floating_ips=())
    answer = msg.RouterSet(host=HOST, revision=1, routers=(ROUTER, internal))

    assert set(desired_from_server(L3Config(host=HOST), answer).routers.routers) == {
        R1,
        R2,
    }
    only_ext = L3Config(host=HOST, gateway_external_network_id=EXTERNAL)
    assert set(desired_from_server(only_ext, answer).routers.routers) == {R1, R2}
    other_ext = L3Config(host=HOST, gateway_external_network_id="another")
    assert set(desired_from_server(other_ext, answer).routers.routers) == {R2}
    no_internal = L3Config(host=HOST, handle_internal_only_routers=False)
    assert set(desired_from_server(no_internal, answer).routers.routers) == {R1}


def test_the_heartbeat_reports_the_configuration_and_what_runs() -> None:
    agent, server, devices = _agent(
        L3Config(host=HOST, gateway_external_network_id=EXTERNAL)
    )
    server.routers_given = [ROUTER]
    _round(agent, server, devices)
    agent.memory.registered_at = None  # NOTE: make the next beat due
    _round(agent, server, devices)

    first, second = server.reports
    assert first.agent_version == "quantum-l3-agent"
    assert first.configurations["gateway_external_network_id"] == EXTERNAL
    assert first.configurations["external_network_bridge"] == "br-ex"
    assert "routers" not in first.configurations  # NOTE: nothing known yet
    assert {k: second.configurations[k] for k in ("routers", "interfaces")} == {
        "routers": 1,
        "interfaces": 2,
    }
    assert second.configurations["ex_gw_ports"] == 1
    assert second.configurations["floating_ips"] == 1


def test_a_server_away_fails_the_round_and_changes_nothing() -> None:
    agent, server, devices = _agent()
    server.routers_given = [ROUTER]
    _round(agent, server, devices)

    def away(router_ids: Iterable[str] | None = None) -> msg.RouterSet:
        raise OSError("server away")

    server.routers = away  # type: ignore[method-assign]
    assert agent.round() is None
    assert agent.memory.full
    assert len(devices.applied) == 1
    assert R1 in devices.running
