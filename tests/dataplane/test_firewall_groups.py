# SPDX-License-Identifier: Apache-2.0
"""Security groups on the wire, the rules that name other ends: a real
quantum-server, two hypervisors with a real ``quantum-openvswitch-agent`` each
(VXLAN between them), VMs as namespaces, groups and ports made through ``/v2.0``;
the assertions are packets. ``remote_ip_prefix``; ``remote_group_id`` following
its group's membership; IPv6 rules with neighbour discovery working; DHCP server
replies a VM sends are dropped; an agent restart loses
no ping of an allowed stream. Every "cannot reach" has a positive control in the
same test.

Each test has its own network and VMs, so the tests do not depend on each other.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dataplane import cloud, harness
from tests.dataplane.harness import VM, Process, wait_until
from tests.dataplane.secgroups_world import Net, World

ROGUE_TOOL = Path(__file__).with_name("rogue_tool.py")
ICMP_IN = {"direction": "ingress", "protocol": "icmp"}


@pytest.fixture(scope="module")
def world(
    dataplane_session: harness.Session, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    root = tmp_path_factory.mktemp("firewall-groups")
    with cloud.deploy(dataplane_session, root, "vxlan") as stack:
        hv1, hv2 = stack.hypervisors("hv1", "hv2")
        yield World(stack, hv1, hv2)


def _v6(net: Net, host: int) -> str:
    return f"{net.v6}{host:x}"


def _ping6(vm: VM, dst: str, count: int = 1, wait: float = 1.0) -> bool:
    done = vm.exec(
        "ping", "-6", "-n", "-q", "-c", str(count), "-W", f"{wait:g}", "-i", "0.2",
        dst, check=False, timeout=count * (wait + 0.2) + 5,
    )  # fmt: skip
    return done.returncode == 0


def _connects(vm: VM, dst: str, port: int, timeout: float = 2.0) -> bool:
    done = vm.exec(
        sys.executable, "-c",
        "import socket\n"
        f"socket.create_connection(({dst!r}, {port}), timeout={timeout}).close()",
        check=False, timeout=timeout + 5,
    )  # fmt: skip
    return done.returncode == 0


def _listen(vm: VM, port: int, family: str = "AF_INET6") -> Process:
    """A TCP listener on ``port`` (IPv6 and IPv4: a dual-stack socket)."""
    process = vm.netns.spawn(
        f"listen{port}", sys.executable, "-c",
        "import socket,sys,time\n"
        f"s=socket.socket(socket.{family})\n"
        "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        f"s.bind(('::', {port}))\ns.listen(16)\nprint('ready', flush=True)\n"
        "while True:\n c,_=s.accept(); c.close()\n",
        stdout_pipe=True,
    )  # fmt: skip
    vm.processes.append(process)
    assert process.readline(10).startswith("ready")
    return process


def test_remote_ip_prefix_admits_exactly_its_addresses(world: World) -> None:
    net = world.network()
    # NOTE: 10.N.0.0/28 holds .1-.15: .11 is in it, .20 is not.
    prefix = f"{net.v4}.0/28"
    target = world.vm(
        "fgp-t", world.hv1, net, 5,
        security_groups=[world.group("fgp", {**ICMP_IN, "remote_ip_prefix": prefix})],
    )  # fmt: skip
    inside = world.vm("fgp-in", world.hv2, net, 11)
    outside = world.vm("fgp-out", world.hv2, net, 20)
    assert inside.can_reach(target.address)
    assert outside.cannot_reach(target.address)
    # NOTE: the control of the refusal: the outsider's traffic flows otherwise
    # (its default group lets the other member in)
    assert outside.can_reach(inside.address)


def test_remote_group_follows_its_membership(world: World) -> None:
    net = world.network()
    clients = world.group("fgm-clients")
    target = world.vm(
        "fgm-t", world.hv1, net, 5,
        security_groups=[world.group("fgm-t", {**ICMP_IN, "remote_group_id": clients})],
    )  # fmt: skip
    member = world.vm("fgm-a", world.hv2, net, 11, security_groups=[clients])
    # NOTE: "out" only lets its ports send (every new group starts with egress
    # anywhere): a port in no group at all sends nothing either.
    out = world.group("fgm-out")
    stranger = world.vm("fgm-b", world.hv2, net, 12, security_groups=[out])
    assert member.can_reach(target.address)
    assert stranger.cannot_reach(target.address)
    # a port added to the remote group gets through...
    world.update_port(stranger, security_groups=[clients])
    assert stranger.can_reach(target.address, timeout=15)
    # ...and one taken out of it is cut off, its running ping stream too (its
    # tracked connection is flushed, by the whole tuple with the echo identifier)
    stream = member.start_pings(target.address, interval=0.05)
    time.sleep(0.5)
    world.update_port(member, security_groups=[out])
    wait_until(lambda: not member.ping(target.address, wait=0.5), 15,
               message="the member taken out is cut")  # fmt: skip
    cut = time.time()
    assert member.cannot_reach(target.address)
    answered = sorted(stream.stop().replies.values())
    assert answered, "the stream was answered before the cut"
    assert answered[0] < cut
    assert [t for t in answered if t > cut + 1.0] == [], "the stream outlived the cut"
    assert stranger.can_reach(target.address)  # NOTE: the control, after the cut
    # a new port made in the group gets through
    late = world.vm("fgm-c", world.hv1, net, 13, security_groups=[clients])
    assert late.can_reach(target.address, timeout=15)


def test_ipv6_rules_with_neighbour_discovery(world: World) -> None:
    net = world.network()
    group = world.group(
        "fg6",
        {"direction": "ingress", "ethertype": "IPv6", "protocol": "tcp",
         "port_range_min": 8022, "port_range_max": 8022},
    )  # fmt: skip
    target = world.vm("fg6-t", world.hv1, net, 5, ipv6=True, security_groups=[group])
    client = world.vm(
        "fg6-c", world.hv2, net, 11, ipv6=True, security_groups=[world.group("fg6-out")]
    )
    _listen(target, 8022)
    _listen(target, 8023)
    address = _v6(net, 5)
    # NOTE: no ICMPv6 rule: the connection needs neighbour solicitations and
    # advertisements both ways, which the firewall lets through by itself.
    wait_until(lambda: _connects(client, address, 8022), 15,
               message="TCP over IPv6 to the allowed port")  # fmt: skip
    assert not _connects(client, address, 8023)
    assert not _ping6(client, address, count=2)
    # an ICMPv6 rule opens echo
    world.rule(group, direction="ingress", ethertype="IPv6", protocol="icmp")
    wait_until(lambda: _ping6(client, address, wait=0.5), 15, message="ping6")
    # and IPv4 stays closed to the client: the rules are IPv6 only
    assert client.cannot_reach(target.address)


def _rogue_listener(vm: VM) -> Process:
    process = vm.netns.spawn(
        "rogue-listen", sys.executable, str(ROGUE_TOOL), "listen", VM.NIC,
        stdout_pipe=True,
    )  # fmt: skip
    vm.processes.append(process)
    assert process.readline(10).strip() == "listening"
    return process


def _heard(process: Process, seconds: float) -> list[str]:
    lines: list[str] = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        try:
            lines.append(process.readline(left).strip())
        except TimeoutError:
            break
    return lines


def _play_server(vm: VM) -> None:
    vm.exec(
        sys.executable, str(ROGUE_TOOL), "send", VM.NIC,
        "--mac", vm.mac, "--ip", vm.address, "--count", "5",
    )  # fmt: skip


def test_dhcp_server_replies_and_router_advertisements_from_a_vm_are_dropped(
    world: World,
) -> None:
    net = world.network()
    # NOTE: the listener filters nothing itself: only the senders' ports matter.
    listener = world.vm(
        "fgr-l",
        world.hv2,
        net,
        5,
        ipv6=True,
        security_groups=[],
        port_security_enabled=False,
    )
    rogue = world.vm("fgr-r", world.hv1, net, 11)
    trusted = world.vm(
        "fgr-o", world.hv1, net, 12, security_groups=[], port_security_enabled=False
    )
    heard = _rogue_listener(listener)
    _play_server(rogue)
    assert _heard(heard, 2) == []
    # the control: the same frames from a port without port security arrive,
    # the offers and the advertisements (a link-local source, hop limit 255, to
    # ff02::1)
    _play_server(trusted)
    got = _heard(heard, 2)
    assert sorted(set(got)) == [
        f"dhcp-offer {trusted.mac}",
        f"router-advertisement {trusted.mac}",
    ], got
    # and the rogue VM's own ordinary traffic still flows (default group)
    member = world.vm("fgr-m", world.hv2, net, 13)
    assert member.can_reach(rogue.address)


def test_an_agent_restart_loses_no_allowed_ping(world: World) -> None:
    net = world.network()
    group = world.group("fga", ICMP_IN)
    source = world.vm(
        "fga-s", world.hv1, net, 11, security_groups=[world.group("fga-out")]
    )
    target = world.vm("fga-t", world.hv2, net, 5, security_groups=[group])
    other = world.vm("fga-o", world.hv2, net, 6, security_groups=[])
    assert source.can_reach(target.address)
    pings = source.start_pings(target.address, interval=0.01)
    agent = world.stack.agents["hv2"]
    assert agent.stop(grace=5) == 0
    _, offset = world.stack.start_agent("hv2")
    wait_until(
        lambda: "full resync done" in world.stack.agent_log("hv2", offset),
        20,
        message="the new agent's first round",
    )
    time.sleep(1.0)
    result = pings.stop()
    print(f"\n{result.transmitted} pings every 10 ms across the restart, "
          f"lost: {result.lost}")  # fmt: skip
    assert result.replies
    assert result.kept_sending
    assert result.lost == []
    # NOTE: the new agent remembers no zone, so it checks every one: the
    # allowed stream is not cut, and nothing fails (an ICMP connection used to be
    # flushed by a tuple without its identifier: "failed to flush conntrack (No
    # such file or directory)", round after round, on the host where a member
    # left a remote group in an earlier test).
    log = world.stack.agent_log("hv2", offset)
    assert "conntrack zone" in log, "the new agent checked no zone"
    for host, text in (("hv2", log), ("hv1", world.stack.agent_log("hv1"))):
        failures = [
            line
            for line in text.splitlines()
            if "conntrack" in line and ("WARNING" in line or "ERROR" in line)
        ]
        assert failures == [], (host, failures)
    assert f"cutting ct_nw_src={source.address}" not in log
    # NOTE: the firewall is still there after the restart (the control above)
    assert source.cannot_reach(other.address)
