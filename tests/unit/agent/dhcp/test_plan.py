# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from quantum.agent.dhcp import render
from quantum.agent.dhcp.model import DhcpPort, FixedIp, Network, Port, Subnet
from quantum.agent.dhcp.plan import (
    Action,
    Desired,
    Layout,
    Running,
    host_device,
    host_device_of,
    ns_device,
    plan,
)

LAYOUT = Layout(Path("/state/dhcp"))
V4 = Subnet(id="v4", cidr="10.0.0.0/24", gateway_ip="10.0.0.1")
DHCP = DhcpPort(
    id="5b2c1d3e-aa11-4c8e",
    mac_address="fa:16:3e:00:00:01",
    fixed_ips=(FixedIp(subnet_id="v4", ip_address="10.0.0.2"),),
)
VM = Port(
    id="vm",
    mac_address="fa:16:3e:00:00:05",
    fixed_ips=(FixedIp(subnet_id="v4", ip_address="10.0.0.5"),),
)
NET = Network(id="net", subnets=(V4,), ports=(VM,), dhcp_port=DHCP)


def running(network: Network, **changes: object) -> Running:
    """What the host shows once ``network`` has been applied."""
    files = LAYOUT.files(network.id)
    device = ns_device(network.dhcp_port.id)
    done = Running(
        network_id=network.id,
        namespace=True,
        device=device,
        device_mac=network.dhcp_port.mac_address,
        addresses=frozenset(render.interface_addresses(network)),
        pid=4242,
        argv=render.dnsmasq_args(network, files, device),
        hosts=render.hosts_file(network),
        opts=render.opts_file(network),
    )
    return replace(done, **changes)  # type: ignore[arg-type]


def test_device_names_fit_ifnamsiz_and_pair_up() -> None:
    assert ns_device(DHCP.id) == "ns-5b2c1d3e-aa"
    assert host_device(DHCP.id) == "tap5b2c1d3e-aa"
    assert host_device_of(ns_device(DHCP.id)) == host_device(DHCP.id)
    assert len(host_device(DHCP.id)) <= 15


def test_a_new_network_is_plugged_addressed_written_and_started() -> None:
    (change,) = plan(Desired({"net": NET}), {}, LAYOUT).changes
    assert change.action is Action.START
    assert change.plug
    assert change.add_addresses == ("10.0.0.2/24",)
    assert change.hosts == render.hosts_file(NET)
    assert change.opts == render.opts_file(NET)
    assert "--interface=ns-5b2c1d3e-aa" in change.argv


def test_what_runs_as_desired_is_kept() -> None:
    result = plan(Desired({"net": NET}), {"net": running(NET)}, LAYOUT)
    assert result.is_empty
    assert result.changes[0].action is Action.KEEP


def test_a_new_port_or_address_is_a_reload_of_the_hosts_file() -> None:
    vm2 = replace(VM, id="vm2", mac_address="fa:16:3e:00:00:06")
    vm2 = replace(vm2, fixed_ips=(FixedIp(subnet_id="v4", ip_address="10.0.0.6"),))
    grown = replace(NET, ports=(VM, vm2))
    (change,) = plan(Desired({"net": grown}), {"net": running(NET)}, LAYOUT).changes
    assert change.action is Action.RELOAD
    assert change.pid == 4242
    assert change.hosts == render.hosts_file(grown)
    assert change.opts is None
    assert not change.plug
    assert not change.add_addresses


def test_new_gateway_or_dns_is_a_reload_of_the_options_file() -> None:
    moved = replace(NET, subnets=(replace(V4, dns_nameservers=("10.0.0.53",)),))
    (change,) = plan(Desired({"net": moved}), {"net": running(NET)}, LAYOUT).changes
    assert change.action is Action.RELOAD
    assert change.hosts is None
    assert change.opts == render.opts_file(moved)


def test_a_new_dhcp_subnet_restarts_dnsmasq() -> None:
    v4b = Subnet(id="v4b", cidr="10.1.0.0/24", gateway_ip="10.1.0.1")
    dhcp = replace(
        DHCP,
        fixed_ips=(*DHCP.fixed_ips, FixedIp(subnet_id="v4b", ip_address="10.1.0.2")),
    )
    grown = replace(NET, subnets=(V4, v4b), dhcp_port=dhcp)
    (change,) = plan(Desired({"net": grown}), {"net": running(NET)}, LAYOUT).changes
    assert change.action is Action.RESTART
    assert change.pid == 4242
    assert change.add_addresses == ("10.1.0.2/24",)
    assert not change.plug


def test_a_dead_dnsmasq_is_started_again_in_place() -> None:
    actual = {"net": running(NET, pid=None, argv=())}
    (change,) = plan(Desired({"net": NET}), actual, LAYOUT).changes
    assert change.action is Action.START
    assert not change.plug
    assert change.hosts is None
    assert change.opts is None


def test_another_dhcp_port_replaces_the_device() -> None:
    other = DhcpPort(
        id="99999999-0000-1111",
        mac_address="fa:16:3e:00:00:09",
        fixed_ips=(FixedIp(subnet_id="v4", ip_address="10.0.0.9"),),
    )
    replaced = replace(NET, dhcp_port=other)
    (change,) = plan(Desired({"net": replaced}), {"net": running(NET)}, LAYOUT).changes
    assert change.action is Action.RESTART
    assert change.unplug == "ns-5b2c1d3e-aa"
    assert change.plug
    assert change.add_addresses == ("10.0.0.9/24",)


def test_dhcp_off_network_down_or_gone_removes_everything() -> None:
    off = replace(NET, subnets=(replace(V4, enable_dhcp=False),))
    down = replace(NET, admin_state_up=False)
    for desired in (Desired({"net": off}), Desired({"net": down}), Desired({})):
        (change,) = plan(desired, {"net": running(NET)}, LAYOUT).changes
        assert change.action is Action.REMOVE
        assert (change.pid, change.unplug) == (4242, "ns-5b2c1d3e-aa")
    assert plan(Desired({"net": off}), {}, LAYOUT).changes == ()


def test_leftovers_without_a_process_are_removed_too() -> None:
    stray = Running(network_id="old", namespace=True)
    (change,) = plan(Desired({}), {"old": stray}, LAYOUT).changes
    assert change.action is Action.REMOVE
    assert change.pid is None
