# SPDX-License-Identifier: Apache-2.0
"""quantum-openvswitch-agent end to end: a real quantum-server, two hypervisors on a
VXLAN underlay, an agent in each, VMs plugged through the v1.1 API. The proof is
packets: who reaches whom, what the API says of each port, and what survives the
agent, OVS or the server restarting, or a third hypervisor joining.

The tests share one deployment and run in order; the last one adds ``hv3``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest

from tests.dataplane import cloud, harness
from tests.dataplane.cloud import Cloud
from tests.dataplane.harness import wait_until

#: How soon traffic must flow again once a restarted OVS is back (issue 3).
OVS_RECOVERY = 2.0

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


def _wait_op_status(world: Cloud, name: str, wanted: str, timeout: float = 5) -> None:
    guest = world[name]
    wait_until(
        lambda: world.api.op_status(guest.net, guest.port_id) == wanted,
        timeout,
        message=lambda: f"op-status of {name}: {_op_statuses(world)}",
    )


def test_same_network_same_host_reachable_other_network_not(world: Cloud) -> None:
    a1, a1b, b1 = world["a1"].vm, world["a1b"].vm, world["b1"].vm
    assert a1.can_reach(a1b.address, timeout=20), world.dump()
    a1b.serve_tcp(5001)
    assert a1.tcp_transfer(a1b.address, 5001, size=1 << 20).bytes == 1 << 20
    assert a1.cannot_reach(b1.address)
    assert b1.can_reach(world["b2"].vm.address, timeout=20)  # b1's control
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
    # NOTE: "idle" has an attachment but no VIF on any host
    wanted = {name: "DOWN" if name == "idle" else "UP" for name in GUESTS}
    wait_until(
        lambda: _op_statuses(world) == wanted,
        15,
        message=lambda: repr(_op_statuses(world)),
    )
    net = world["a1"].net
    body = world.api.call("POST", f"/networks/{net}/ports.json", {"port": {}})
    bare = body["port"]["id"]  # no attachment at all
    try:
        assert world.api.op_status(net, bare) == "DOWN"
    finally:
        world.api.call("DELETE", f"/networks/{net}/ports/{bare}.json")


def test_unplug_or_down_stops_traffic_and_plug_resumes_it(world: Cloud) -> None:
    a1, a2 = world["a1"], world["a2"]
    api = world.api
    assert a1.vm.can_reach(a2.vm.address, timeout=20)

    api.unplug(a2.net, a2.port_id)
    wait_until(lambda: not a1.vm.ping(a2.vm.address, wait=0.3), 1.5, 0.01, "cut")
    assert a1.vm.cannot_reach(a2.vm.address)
    assert api.op_status(a2.net, a2.port_id) == "DOWN"
    api.plug(a2.net, a2.port_id, a2.iface_id)
    assert a1.vm.can_reach(a2.vm.address, timeout=5)
    _wait_op_status(world, "a2", "UP")

    api.set_state(a2.net, a2.port_id, "DOWN")
    wait_until(lambda: not a1.vm.ping(a2.vm.address, wait=0.3), 1.5, 0.01, "down")
    assert a1.vm.cannot_reach(a2.vm.address)
    _wait_op_status(world, "a2", "DOWN")
    api.set_state(a2.net, a2.port_id, "ACTIVE")
    assert a1.vm.can_reach(a2.vm.address, timeout=5)
    _wait_op_status(world, "a2", "UP")


def test_traffic_resumes_within_2s_after_an_ovs_restart(world: Cloud) -> None:
    a1, a2, b2 = world["a1"].vm, world["a2"].vm, world["b2"].vm
    assert a1.can_reach(a2.address, timeout=10)
    stream = a1.start_pings(a2.address)  # NOTE: runs across the outage
    time.sleep(0.3)
    world.hvs["hv2"].restart_ovs()
    back = time.monotonic()
    wait_until(lambda: a1.ping(a2.address, wait=0.1), OVS_RECOVERY, 0.01, world.dump)
    print(f"fresh pings answered {time.monotonic() - back:.3f} s after OVS restarted")
    recovered = time.time()
    time.sleep(1.0)
    result = stream.stop()
    assert result.kept_sending
    # the stream that ran through the outage is answered again, and loses nothing
    # once it is: only what was sent while OVS was away
    late = result.lost_after(recovered)
    print(f"stream: {result.transmitted} sent, {len(result.lost)} lost, late: {late}")
    assert late == [], world.dump()
    assert a1.cannot_reach(b2.address)  # and B is still apart


@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL"])
def test_an_agent_restart_changes_no_flow_and_loses_no_ping(
    world: Cloud, how: str
) -> None:
    a1, a2, b2 = world["a1"].vm, world["a2"].vm, world["b2"].vm
    hv2 = world.hvs["hv2"]
    assert a1.can_reach(a2.address, timeout=10)
    before = world.flows(hv2)
    pings = a1.start_pings(a2.address)
    agent = world.agents["hv2"]
    if how == "SIGKILL":
        agent.popen.kill()  # NOTE: no chance to clean up anything
        assert agent.popen.wait(5) == -9
        time.sleep(1.0)  # the host forwards without its agent meanwhile
    else:
        assert agent.stop(grace=5) == 0
    _, offset = world.start_agent("hv2")
    wait_until(
        lambda: "full resync done" in world.agent_log("hv2", offset),
        10,
        message="the new agent's first round",
    )
    time.sleep(0.5)
    result = pings.stop()
    print(f"{result.transmitted} pings every 10 ms, lost: {result.lost}")
    assert result.lost == []
    assert result.kept_sending
    assert world.flows(hv2) == before
    assert a1.cannot_reach(b2.address)  # control above: a1 reaches a2


def test_an_agent_started_before_ovsdb_waits_for_it_and_changes_no_flow(
    world: Cloud,
) -> None:
    """An agent (re)started while its host's ovsdb-server is not up yet, as at boot
    or in a restart of both, waits for OVSDB instead of exiting, and adopts the
    host once it answers. The agent exited at once ("Could not retrieve schema"),
    and nothing wired the host's ports any more."""
    a1, a2, b2 = world["a1"].vm, world["a2"].vm, world["b2"].vm
    hv2 = world.hvs["hv2"]
    assert a1.can_reach(a2.address, timeout=10)
    before = world.flows(hv2)
    assert world.agents["hv2"].stop(grace=5) == 0
    hv2.stop_daemon("ovsdb-server")
    try:
        agent, offset = world.start_agent("hv2", wait=False)
        wait_until(
            lambda: "trying again" in world.agent_log("hv2", offset),
            15,
            message=lambda: f"the agent waits for OVSDB: {world.agent_log('hv2')}",
        )
        time.sleep(1.0)
        assert agent.alive(), world.agent_log("hv2", offset)
    finally:
        hv2.start_daemon("ovsdb-server")
    wait_until(
        lambda: "full resync done" in world.agent_log("hv2", offset),
        20,
        message=lambda: f"the agent's first round: {world.agent_log('hv2', offset)}",
    )
    assert a1.can_reach(a2.address, timeout=5)
    assert world.flows(hv2) == before
    assert a1.cannot_reach(b2.address)  # control above: a1 reaches a2


def test_a_server_restart_loses_nothing_and_agents_reconnect(world: Cloud) -> None:
    a1, a2 = world["a1"], world["a2"]
    assert a1.vm.can_reach(a2.vm.address, timeout=10)
    agents = {name: agent.pid for name, agent in world.agents.items()}
    offsets = {name: len(world.agent_log(name)) for name in world.hvs}
    pings = a1.vm.start_pings(a2.vm.address)
    away = time.monotonic()
    world.server.stop(timeout=15)
    time.sleep(2)  # NOTE: the agents notice and retry meanwhile
    world.server.start()
    away = time.monotonic() - away
    result = pings.stop()
    print(f"{result.transmitted} pings every 10 ms, lost: {result.lost}")
    assert result.lost == []
    assert result.kept_sending
    assert {name: agent.pid for name, agent in world.agents.items()} == agents
    assert all(agent.alive() for agent in world.agents.values())
    for name, offset in offsets.items():
        failures = world.agent_log(name)[offset:].count("reconcile failed")
        print(f"{name}: {failures} failed rounds in {away:.1f} s without a server")
        assert failures <= 2 * away + 3, f"{name}'s agent spun without a server"

    # a change made now reaches the agents without anyone restarting them
    world.api.set_state(a2.net, a2.port_id, "DOWN")
    wait_until(lambda: not a1.vm.ping(a2.vm.address, wait=0.3), 5, 0.01, "down")
    _wait_op_status(world, "a2", "DOWN")
    world.api.set_state(a2.net, a2.port_id, "ACTIVE")
    assert a1.vm.can_reach(a2.vm.address, timeout=5)
    _wait_op_status(world, "a2", "UP")


STATS = re.compile(r"(duration|n_packets|n_bytes|idle_age|hard_age)=[^ ,]+,? ?")


def _flow_table(world: Cloud, hv: harness.Hypervisor) -> dict[str, float]:
    """The agent's flows on ``hv`` (stats stripped) -> how long each has existed."""
    table: dict[str, float] = {}
    for line in world.flows(hv, stats=True):
        duration = re.search(r"duration=([\d.]+)s", line)
        assert duration is not None, line
        table[STATS.sub("", line).strip()] = float(duration.group(1))
    return table


def _tunnel_ofport(hv: harness.Hypervisor, remote_ip: str) -> int:
    """The ofport of ``hv``'s tunnel port to ``remote_ip``."""
    names = hv.vsctl(
        "--no-wait", "--bare", "--columns=name", "find", "Interface",
        f'options:remote_ip="{remote_ip}"',
    ).split()  # fmt: skip
    assert len(names) == 1, f"tunnel ports to {remote_ip} on {hv.name}: {names}"
    return hv.ofport(names[0])


def test_a_third_hypervisor_joins_without_touching_the_others(world: Cloud) -> None:
    old = dict(world.hvs)
    agents = {name: agent.pid for name, agent in world.agents.items()}
    a1, a2, b1 = world["a1"], world["a2"], world["b1"]
    assert a1.vm.can_reach(a2.vm.address, timeout=10)
    before = {name: _flow_table(world, hv) for name, hv in old.items()}
    since = time.monotonic()

    hv3 = world.hypervisor("hv3")
    a3 = world.guest("a3", hv3, a1.net, "fa:16:3e:00:0a:04", "10.1.0.4/24")
    for other in (a1, a2):
        assert a3.vm.can_reach(other.vm.address, timeout=10), world.dump()
        assert other.vm.can_reach(a3.vm.address, timeout=2)
    a1.vm.serve_tcp(5002)
    assert a3.vm.tcp_transfer(a1.vm.address, 5002, size=1 << 20).bytes == 1 << 20
    assert a3.vm.cannot_reach(b1.vm.address)
    for hv in old.values():  # a tunnel from hv3 to each, and back
        assert _tunnel_ofport(hv, str(hv3.underlay_ip)) > 0
        assert _tunnel_ofport(hv3, str(hv.underlay_ip)) > 0

    assert {name: world.agents[name].pid for name in old} == agents
    elapsed = time.monotonic() - since
    for name, hv in old.items():
        after = _flow_table(world, hv)
        new_port = _tunnel_ofport(hv, str(hv3.underlay_ip))
        gone = set(before[name]) - set(after)
        added = set(after) - set(before[name])
        # the flood to the tunnels of each network gains the new port, the new
        # port's traffic is classified, and known unicast to MACs bound to hv3 goes
        # to the new port; nothing else changes
        assert {f"{flow},output:{new_port}" for flow in gone} <= added, (gone, added)
        for flow in added - {f"{flow},output:{new_port}" for flow in gone}:
            assert f"in_port={new_port} " in flow or (
                ",dl_dst=" in flow and flow.endswith(f",output:{new_port}")
            ), flow
        for flow in set(before[name]) & set(after):
            # NOTE: an unchanged flow was not rewritten: it kept its age
            assert after[flow] >= before[name][flow] + elapsed - 1, flow
        assert all(flow.startswith("br-tun ") for flow in gone | added)
