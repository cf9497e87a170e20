# SPDX-License-Identifier: Apache-2.0
"""Security groups and port security on the wire: a real quantum-server, two
hypervisors with a real ``quantum-openvswitch-agent`` each (VXLAN between them),
VMs as namespaces; groups, rules and ports made through ``/v2.0``, packets
watched. Every "cannot reach" has a positive control in the same test.

Each test has its own network, subnet and VMs (its own namespaces), so the tests
do not depend on each other.
"""

from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.dataplane import cloud, harness
from tests.dataplane.harness import VM, Hypervisor, Process, wait_until

TENANT = "t"
SESSION_TOOL = Path(__file__).with_name("session_tool.py")
FRAME_TOOL = Path(__file__).with_name("frame_tool.py")
_SUBNETS = itertools.count(40)


@dataclass
class World:
    stack: cloud.Cloud
    hv1: Hypervisor
    hv2: Hypervisor

    @property
    def api(self) -> cloud.Api:
        return self.stack.api

    def network(self) -> tuple[str, str]:
        """A new network with a subnet; returns (network id, "10.N.0")."""
        prefix = f"10.{next(_SUBNETS)}.0"
        net = self.api.v2("POST", "/networks", {"network": {"tenant_id": TENANT}})
        net_id = net["network"]["id"]
        self.api.v2(
            "POST",
            "/subnets",
            {
                "subnet": {
                    "tenant_id": TENANT,
                    "network_id": net_id,
                    "cidr": f"{prefix}.0/24",
                    "ip_version": 4,
                    "enable_dhcp": False,
                }
            },
        )
        return net_id, prefix

    def group(self, name: str, *rules: dict[str, Any]) -> str:
        """A new group (it starts with egress anywhere) with ``rules`` added."""
        body = {"security_group": {"tenant_id": TENANT, "name": name}}
        group = self.api.v2("POST", "/security-groups", body)["security_group"]
        for rule in rules:
            self.rule(group["id"], **rule)
        return str(group["id"])

    def rule(self, group: str, **rule: Any) -> str:
        body = {
            "security_group_rule": {
                "tenant_id": TENANT,
                "security_group_id": group,
                "ethertype": "IPv4",
                **rule,
            }
        }
        made = self.api.v2("POST", "/security-group-rules", body)
        return str(made["security_group_rule"]["id"])

    def delete_rule(self, rule: str) -> None:
        self.api.v2("DELETE", f"/security-group-rules/{rule}")

    def default_group(self) -> str:
        found = self.api.v2("GET", f"/security-groups?tenant_id={TENANT}&name=default")[
            "security_groups"
        ]
        return str(found[0]["id"])

    def vm(
        self,
        name: str,
        hv: Hypervisor,
        net: tuple[str, str],
        host: int,
        **port: Any,
    ) -> VM:
        """A VM with a port on ``net`` (MAC and address from ``host``) bound to
        ``hv``; ``port`` adds port attributes (security_groups, ...)."""
        net_id, prefix = net
        mac = f"fa:16:3e:{int(prefix.split('.')[1]):02x}:00:{host:02x}"
        body = {
            "port": {
                "tenant_id": TENANT,
                "network_id": net_id,
                "mac_address": mac,
                "binding:host_id": hv.name,
                "fixed_ips": [{"ip_address": f"{prefix}.{host}"}],
                **port,
            }
        }
        made = self.api.v2("POST", "/ports", body)["port"]
        vm = self.stack.lab.vm(name, mac, f"{prefix}.{host}/24")
        vm.plug(hv, made["id"])
        return vm


@pytest.fixture(scope="module")
def world(
    dataplane_session: harness.Session, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    root = tmp_path_factory.mktemp("firewall")
    with cloud.deploy(dataplane_session, root, "vxlan") as stack:
        hv1, hv2 = stack.hypervisors("hv1", "hv2")
        yield World(stack, hv1, hv2)


def _arp(sender: VM, claimed: str, to: VM) -> None:
    """ARP requests for ``to``'s address from ``sender``'s MAC claiming
    ``claimed`` as the sender address (and an echo request from it)."""
    sender.exec(
        sys.executable, str(FRAME_TOOL), VM.NIC, "--src-mac", sender.mac,
        "--src-ip", claimed, "--dst-ip", to.address, "--dst-mac", to.mac,
        "--count", "3",
    )  # fmt: skip


def _connects(vm: VM, dst: str, port: int, timeout: float = 2.0) -> bool:
    done = vm.exec(
        sys.executable, "-c",
        "import socket,sys\n"
        f"socket.create_connection(({dst!r}, {port}), timeout={timeout}).close()",
        check=False, timeout=timeout + 5,
    )  # fmt: skip
    return done.returncode == 0


def _serve(vm: VM, port: int) -> Process:
    process = vm.netns.spawn(
        f"echo{port}", sys.executable, str(SESSION_TOOL), "serve",
        "--port", str(port), stdout_pipe=True,
    )  # fmt: skip
    vm.processes.append(process)
    assert process.readline(10).startswith("ready")
    return process


def _hold(vm: VM, dst: str, port: int) -> Process:
    process = vm.netns.spawn(
        f"hold{port}", sys.executable, str(SESSION_TOOL), "hold", dst,
        "--port", str(port), "--interval", "0.1", stdout_pipe=True,
    )  # fmt: skip
    vm.processes.append(process)
    assert process.readline(10).strip() == "connected"
    return process


def _probes(process: Process, seconds: float) -> list[str]:
    """What the holder printed over the next ``seconds``."""
    lines = []
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        try:
            lines.append(process.readline(left).strip())
        except TimeoutError:
            break
    return lines


def test_default_group_lets_its_members_talk_and_keeps_others_out(
    world: World,
) -> None:
    net = world.network()
    a = world.vm("fwd-a", world.hv1, net, 11)
    b = world.vm("fwd-b", world.hv2, net, 12)
    outsider = world.vm(
        "fwd-c", world.hv2, net, 13, security_groups=[world.group("fwd-other")]
    )
    # same group, across the tunnel, both ways
    assert a.can_reach(b.address)
    assert b.can_reach(a.address)
    # a group without ingress rules keeps everyone out; the default group's
    # ingress is for its members only
    assert a.cannot_reach(outsider.address)
    assert outsider.cannot_reach(a.address)
    assert outsider.cannot_reach(b.address)


def test_a_tcp_rule_opens_exactly_its_port_and_replies_come_back(
    world: World,
) -> None:
    net = world.network()
    web = world.group(
        "fwt-web",
        {"direction": "ingress", "protocol": "tcp", "port_range_min": 5001,
         "port_range_max": 5001},
    )  # fmt: skip
    server = world.vm("fwt-s", world.hv2, net, 21, security_groups=[web])
    client = world.vm("fwt-c", world.hv1, net, 22)
    server.serve_tcp(5001)
    server.serve_tcp(5002)
    # the client is in the default group: its ingress lets nothing from the
    # server start, so the answers come back only as replies (conntrack)
    wait_until(lambda: _connects(client, server.address, 5001), 15)
    assert client.tcp_transfer(server.address, 5001, size=256 << 10).bytes
    assert not _connects(client, server.address, 5002)
    assert client.cannot_reach(server.address)


def test_an_icmp_rule_lets_ping_in(world: World) -> None:
    net = world.network()
    group = world.group(
        "fwi-ping",
        {"direction": "ingress", "protocol": "tcp", "port_range_min": 5001,
         "port_range_max": 5001},
    )  # fmt: skip
    target = world.vm("fwi-t", world.hv2, net, 31, security_groups=[group])
    pinger = world.vm("fwi-p", world.hv1, net, 32)
    target.serve_tcp(5001)
    # positive control: the pinger reaches the target (TCP 5001), not by ping
    wait_until(lambda: _connects(pinger, target.address, 5001), 15)
    assert pinger.cannot_reach(target.address)
    world.rule(
        group, direction="ingress", protocol="icmp", port_range_min=8,
        port_range_max=0,
    )  # fmt: skip
    assert pinger.can_reach(target.address, timeout=15)


def test_a_removed_rule_cuts_an_established_connection_a_kept_one_does_not(
    world: World,
) -> None:
    net = world.network()
    group = world.group("fwr-svc")
    exact = world.rule(
        group, direction="ingress", protocol="tcp", port_range_min=7000,
        port_range_max=7000,
    )  # fmt: skip
    server = world.vm("fwr-s", world.hv2, net, 41, security_groups=[group])
    client = world.vm("fwr-c", world.hv1, net, 42)
    _serve(server, 7000)
    wait_until(lambda: _connects(client, server.address, 7000), 15)
    holder = _hold(client, server.address, 7000)
    assert "ok" in _probes(holder, 1.0)

    # a wider rule, then the exact one removed: the connection is still allowed
    wider = world.rule(
        group, direction="ingress", protocol="tcp", port_range_min=6990,
        port_range_max=7010,
    )  # fmt: skip
    world.delete_rule(exact)
    time.sleep(2.0)  # the agents have applied it (they follow within ~1 s)
    kept = _probes(holder, 2.0)
    assert kept, "the holder printed nothing"
    assert set(kept) == {"ok"}, kept

    # nothing allows it any more: cut, and no new connection either
    world.delete_rule(wider)
    wait_until(lambda: _probes(holder, 0.5)[-1:] == ["lost"], 10)
    assert set(_probes(holder, 2.0)) == {"lost"}
    assert not _connects(client, server.address, 7000)


def test_spoofing_gets_nothing_through_an_allowed_pair_does(world: World) -> None:
    net = world.network()
    _, prefix = net
    spoofer = world.vm(
        "fws-a", world.hv1, net, 51,
        allowed_address_pairs=[{"ip_address": f"{prefix}.59"}],
    )  # fmt: skip
    victim = world.vm("fws-b", world.hv2, net, 52)
    watcher = world.vm("fws-c", world.hv2, net, 53)
    assert spoofer.can_reach(victim.address)
    assert watcher.can_reach(victim.address)

    # the allowed pair's address works
    spoofer.exec("ip", "addr", "add", f"{prefix}.59/32", "dev", "eth0")
    assert spoofer.exec(
        "ping", "-n", "-c", "1", "-W", "2", "-I", f"{prefix}.59", victim.address,
        check=False,
    ).returncode == 0  # fmt: skip

    # another IP of the subnet does not
    spoofer.exec("ip", "addr", "add", f"{prefix}.58/32", "dev", "eth0")
    assert spoofer.exec(
        "ping", "-n", "-c", "2", "-W", "1", "-I", f"{prefix}.58", victim.address,
        check=False,
    ).returncode != 0  # fmt: skip

    # ARP requests to the watcher: from the spoofer's own address they get
    # through (the watcher learns it), claiming the victim's they do not (the
    # watcher still has the victim's MAC for it)
    watcher.exec("ip", "neigh", "flush", "to", spoofer.address)
    _arp(spoofer, spoofer.address, watcher)
    wait_until(
        lambda: (
            spoofer.mac
            in watcher.exec("ip", "neigh", "show", spoofer.address).stdout.lower()
        ),
        5,
    )
    _arp(spoofer, victim.address, watcher)
    time.sleep(1.0)
    neigh = watcher.exec("ip", "neigh", "show", victim.address).stdout
    assert victim.mac in neigh.lower(), neigh
    assert spoofer.mac not in neigh.lower(), neigh

    # a new MAC gets nothing through either
    spoofer.exec("ip", "link", "set", "eth0", "address", "fa:16:3e:ee:ee:ee")
    spoofer.exec("ip", "neigh", "flush", "dev", "eth0")
    assert spoofer.cannot_reach(victim.address)
    # control: the real MAC again, and it works
    spoofer.exec("ip", "link", "set", "eth0", "address", spoofer.mac)
    assert spoofer.can_reach(victim.address)


def test_port_security_off_passes_everything(world: World) -> None:
    net = world.network()
    _, prefix = net
    off = {"port_security_enabled": False, "security_groups": []}
    free1 = world.vm("fwo-a", world.hv1, net, 61, **off)
    free2 = world.vm("fwo-b", world.hv2, net, 62, **off)
    guarded = world.vm("fwo-c", world.hv2, net, 63)
    # any address, no group needed
    assert free1.can_reach(free2.address)
    free1.exec("ip", "addr", "add", f"{prefix}.69/32", "dev", "eth0")
    assert free1.exec(
        "ping", "-n", "-c", "1", "-W", "2", "-I", f"{prefix}.69", free2.address,
        check=False,
    ).returncode == 0  # fmt: skip
    # a port with port security still keeps non-members out
    assert free1.cannot_reach(guarded.address)
    assert guarded.can_reach(free1.address)
