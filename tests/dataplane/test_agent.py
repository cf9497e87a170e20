# SPDX-License-Identifier: Apache-2.0
"""quantum-openvswitch-agent end to end: a real quantum-server, two hypervisors on a
VXLAN underlay, an agent in each, VMs plugged through the v1.1 API. The proof is
packets: who reaches whom, and what the API says of each port.

The tests share one deployment and run in order.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dataplane import cloud, harness
from tests.dataplane.cloud import Cloud
from tests.dataplane.harness import wait_until

GUESTS = {
    # name: (hypervisor, network, mac, address); every address in one subnet, so
    # only the networks keep them apart.
    "a1": ("hv1", "A", "fa:16:3e:00:0a:01", "10.1.0.1/24"),
    "a1b": ("hv1", "A", "fa:16:3e:00:0a:02", "10.1.0.2/24"),
    "b1": ("hv1", "B", "fa:16:3e:00:0b:01", "10.1.0.11/24"),
    "a2": ("hv2", "A", "fa:16:3e:00:0a:03", "10.1.0.3/24"),
    "b2": ("hv2", "B", "fa:16:3e:00:0b:02", "10.1.0.12/24"),
    "idle": ("hv2", "A", "fa:16:3e:00:0a:09", "10.1.0.9/24"),
}


@pytest.fixture(scope="module")
def world(
    dataplane_session: harness.Session, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cloud]:
    root = tmp_path_factory.mktemp("agent-server")
    with cloud.deploy(dataplane_session, root, "vxlan") as world:
        hvs = {hv.name: hv for hv in world.hypervisors("hv1", "hv2")}
        nets = {name: world.api.network(name) for name in ("A", "B")}
        for name, (hv, net, mac, ip) in GUESTS.items():
            world.guest(name, hvs[hv], nets[net], mac, ip, plug=name != "idle")
        yield world


def _op_statuses(world: Cloud) -> dict[str, str]:
    return {
        name: world.api.op_status(guest.net, guest.port_id)
        for name, guest in world.guests.items()
    }


def test_same_network_same_host_reachable_other_network_not(world: Cloud) -> None:
    a1, a1b, b1 = world["a1"].vm, world["a1b"].vm, world["b1"].vm
    assert a1.can_reach(a1b.address, timeout=20), world.dump()
    a1b.serve_tcp(5001)
    assert a1.tcp_transfer(a1b.address, 5001, size=1 << 20).bytes == 1 << 20
    assert a1.cannot_reach(b1.address)
    assert b1.cannot_reach(a1b.address)


def test_same_network_across_hosts_over_vxlan(world: Cloud) -> None:
    a1, a2, b1, b2 = (world[n].vm for n in ("a1", "a2", "b1", "b2"))
    assert a1.can_reach(a2.address, timeout=20)
    assert b2.can_reach(b1.address, timeout=20)
    a2.serve_tcp(5001)
    transfer = a1.tcp_transfer(a2.address, 5001, size=1 << 20)
    assert transfer.bytes == 1 << 20
    assert a1.cannot_reach(b2.address)
    assert b1.cannot_reach(a2.address)


def test_op_status_is_up_for_wired_ports_down_for_the_rest(world: Cloud) -> None:
    wanted = {name: "DOWN" if name == "idle" else "UP" for name in GUESTS}
    wait_until(
        lambda: _op_statuses(world) == wanted,
        15,
        message=lambda: repr(_op_statuses(world)),
    )


def test_unplug_or_down_stops_traffic_and_plug_resumes_it(world: Cloud) -> None:
    a1, a2 = world["a1"], world["a2"]
    api = world.api
    assert a1.vm.can_reach(a2.vm.address, timeout=20)

    api.unplug(a2.net, a2.port_id)
    wait_until(lambda: not a1.vm.ping(a2.vm.address, wait=0.3), 1.5, 0.01, "cut")
    assert a1.vm.cannot_reach(a2.vm.address)
    api.plug(a2.net, a2.port_id, a2.iface_id)
    assert a1.vm.can_reach(a2.vm.address, timeout=5)

    api.set_state(a2.net, a2.port_id, "DOWN")
    wait_until(lambda: not a1.vm.ping(a2.vm.address, wait=0.3), 1.5, 0.01, "down")
    assert a1.vm.cannot_reach(a2.vm.address)
    api.set_state(a2.net, a2.port_id, "ACTIVE")
    assert a1.vm.can_reach(a2.vm.address, timeout=5)


def test_traffic_resumes_after_an_ovs_restart(world: Cloud) -> None:
    a1, a2 = world["a1"].vm, world["a2"].vm
    world.hvs["hv2"].restart_ovs()
    assert a1.can_reach(a2.address, timeout=4), world.dump()
    assert a1.cannot_reach(world["b2"].vm.address)


def test_an_agent_restart_changes_no_flow_and_keeps_traffic(world: Cloud) -> None:
    a1, a2 = world["a1"].vm, world["a2"].vm
    hv2 = world.hvs["hv2"]
    assert a1.can_reach(a2.address, timeout=10)
    before = world.flows(hv2)
    assert world.agents["hv2"].stop(grace=5) == 0
    assert a1.can_reach(a2.address, timeout=2)  # flows outlive the agent
    world.start_agent("hv2")
    # NOTE: its first round (a full resync) runs while these pings do
    done = a1.exec(
        "ping", "-n", "-q", "-c", "10", "-i", "0.2", "-W", "1", a2.address,
        check=False, timeout=15,
    )  # fmt: skip
    assert " 0% packet loss" in done.stdout, done.stdout
    assert world.flows(hv2) == before
