# SPDX-License-Identifier: Apache-2.0
"""A VIF carries no traffic from the moment it exists until its host's agent has
wired it for its own network (issue 9, item 1).

Tenant ``t``'s VMs a1 and a2 talk on network A of hypervisor hv1. A VM of tenant
``u`` is plugged on hv1 with ``quantum-vif`` while the agent is stopped, and again
while the server is unreachable. It sends untagged frames and frames tagged with
A's local VLAN (broadcast ARP, and ICMP to a1's MAC), and listens while a1
broadcasts: a1 must never hear of it, and it must receive no frame of a1's or
a2's (its own network's frames do not count), while a2's frames do reach a1 and a2
does hear a1 (the positive controls). Once the agent (or the server) is back, the
port is wired into network B: it reaches its own network, and still nothing of A.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from tests.dataplane import cloud, harness
from tests.dataplane.cloud import Api
from tests.dataplane.harness import VM, wait_until

A1, A2, B2 = "10.1.0.1", "10.1.0.2", "10.1.0.12"
#: Source addresses of hand-made frames: the intruders', and a2's (the control).
INJECTED, CONTROL = "10.1.0.52", "10.1.0.53"
FRAME_TOOL = Path(__file__).resolve().parent / "frame_tool.py"
FRAME_LISTEN = Path(__file__).resolve().parent / "frame_listen.py"


def heard_of(vm: VM, address: str) -> bool:
    """Whether ``vm`` has a neighbour entry for ``address`` (it received an ARP
    request or an IP packet from it)."""
    return bool(vm.exec("ip", "neigh", "show", "to", address).stdout.strip())


def inject(sender: VM, source: str, to: VM, vlan: int | None = None) -> None:
    """ARP requests (broadcast) and ICMP echo requests (to ``to``'s MAC) for
    ``to``'s address from ``source``, tagged with ``vlan`` if given."""
    argv = [
        sys.executable, str(FRAME_TOOL), VM.NIC, "--src-mac", sender.mac,
        "--src-ip", source, "--dst-ip", to.address, "--dst-mac", to.mac,
    ]  # fmt: skip
    if vlan is not None:
        argv += ["--vlan", str(vlan)]
    sender.exec(*argv)


@contextlib.contextmanager
def listening(vm: VM, *senders: VM) -> Iterator[list[str]]:
    """The frames ``vm`` receives from ``senders`` inside the block (one line
    each, filled in on leaving it). Other frames (say its own network's ARP) do
    not count."""
    argv = [sys.executable, str(FRAME_LISTEN), VM.NIC]
    for sender in senders:
        argv += ["--from", sender.mac]
    process = vm.netns.spawn("listen", *argv, stdout_pipe=True)
    heard: list[str] = []
    try:
        assert process.readline() == "listening\n", f"{vm.name} listens"
        yield heard
        process.popen.send_signal(signal.SIGTERM)
        out, _ = process.popen.communicate(timeout=5)
        heard += out.splitlines()
    finally:
        process.stop()


def assert_isolated(intruder: VM, a1: VM, a2: VM, vlan: int) -> None:
    """The intruder can inject nothing into network A, tagged with A's local VLAN
    or not, and receives nothing of it; the positive controls: a2's frames reach
    a1, and a2 hears a1's broadcasts."""
    inject(a2, CONTROL, a1)
    wait_until(lambda: heard_of(a1, CONTROL), 5, message="a1 hears a2's frames")
    a1.exec("ip", "neigh", "flush", "to", CONTROL)

    with listening(intruder, a1, a2) as intruder_heard, listening(a2, a1) as a2_heard:
        a1.exec(
            "ping", "-b", "-n", "-q", "-c", "5", "-i", "0.2", "-W", "1", "10.1.0.255",
            check=False,
        )  # fmt: skip
        assert a1.ping(A2), "positive control: A's unicast flows"

        assert not intruder.ping(A1, count=2)
        inject(intruder, INJECTED, a1)
        inject(intruder, INJECTED, a1, vlan)
        time.sleep(0.5)
    assert len(a2_heard) >= 5, "positive control: A's broadcasts flow"
    # NOTE: only frames from A's VMs count: once wired, the intruder's own
    # network B may talk to it (b2's ARP for it), which is no leak.
    assert intruder_heard == [], f"the intruder received A's traffic: {intruder_heard}"
    for address in (intruder.address, INJECTED):
        assert not heard_of(a1, address), f"a1 heard from {address}"


def test_a_vif_carries_nothing_until_its_agent_wires_it(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with cloud.deploy(dataplane_session, tmp_path, "vxlan") as world:
        hv = world.hypervisor("hv1")
        tenant_u = Api(world.server.port, tenant="u")
        net_a, net_b = world.api.network("A"), tenant_u.network("B")
        a1 = world.guest("a1", hv, net_a, "fa:16:3e:00:0a:01", f"{A1}/24").vm
        a2 = world.guest("a2", hv, net_a, "fa:16:3e:00:0a:02", f"{A2}/24").vm
        b2 = world.lab.vm("b2", "fa:16:3e:00:0b:02", f"{B2}/24")
        b1 = world.lab.vm("b1", "fa:16:3e:00:0b:01", "10.1.0.11/24")
        b3 = world.lab.vm("b3", "fa:16:3e:00:0b:03", "10.1.0.13/24")
        for vm in (b2, b1, b3):
            tenant_u.new_port(net_b, f"vif-{vm.name}")
        b2.plug(hv, "vif-b2")
        assert a1.can_reach(A2, timeout=20), world.dump()
        vlan = int(hv.vsctl("get", "Port", str(a1.device), "tag"))

        # the agent is stopped: a VIF plugged now carries nothing
        assert world.agents["hv1"].stop(grace=5) == 0
        b1.plug(hv, "vif-b1")
        assert_isolated(b1, a1, a2, vlan)

        # positive control: the agent wires it into B; tagged frames stay dropped
        world.start_agent("hv1")
        assert b1.can_reach(B2, timeout=10), world.dump()
        assert_isolated(b1, a1, a2, vlan)

        # the server is unreachable: the running agent wires nothing new
        world.server.stop(timeout=15)
        try:
            b3.plug(hv, "vif-b3")
            assert_isolated(b3, a1, a2, vlan)
        finally:
            world.server.start()
        # positive control: with the server back, the port is wired
        assert b3.can_reach(B2, timeout=10), world.dump()
        assert b3.cannot_reach(A1)
