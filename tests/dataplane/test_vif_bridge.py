# SPDX-License-Identifier: Apache-2.0
"""``quantum-vif plug --vif-type bridge`` on a simulated hypervisor: the compute
side's half of the Linux Bridge back-end, and docs/hypervisor.md's commands for it
as printed.

No agent runs and nothing leaves the hypervisor: the VMs' traffic here rides only the
hypervisor's local Linux bridge ``brq`` + the network id's first 11 characters, which
``quantum-vif`` makes. What the Linux Bridge agent (not built yet) adds, the
network's physical, VLAN or VXLAN interface on that bridge and the port's status, is
not tested here: this tests the compute side's half.
"""

from __future__ import annotations

import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from quantum.testing import markdown
from tests.dataplane import harness
from tests.dataplane.harness import VM, Hypervisor, Lab

GUIDE = (harness.REPO / "docs" / "hypervisor.md").read_text()
SECTION = "Plugging into a Linux bridge: `--vif-type bridge`"

NET_A = "5b0e8a3e-6f3c-4bb7-8f0a-3a2b1c0d9e8f"
NET_B = "9d1c2b3a-4e5f-4a6b-8c7d-0e1f2a3b4c5d"
BRQ_A, BRQ_B = f"brq{NET_A[:11]}", f"brq{NET_B[:11]}"
PORT_1 = "3b9b7c1e-5d2e-4c6a-9f0e-000000000001"
PORT_2 = "7c41a0d2-91f3-4b8e-8a55-000000000002"
PORT_3 = "c2d3e4f5-0a1b-4c2d-9e3f-000000000003"
PORT_4 = "e5f6a7b8-1c2d-4e3f-8a4b-000000000004"
TAP_1, TAP_2 = f"tap{PORT_1[:11]}", f"tap{PORT_2[:11]}"
MTU = 1400


@pytest.fixture
def hv(lab: Lab) -> Hypervisor:
    return lab.hypervisor("hv1")


def bridge_type(network_id: str, mtu: int | None = MTU) -> list[str]:
    extra = ["--vif-type", "bridge", "--network-id", network_id]
    return extra + (["--mtu", str(mtu)] if mtu else [])


def plug(vm: VM, hv: Hypervisor, port: str, network_id: str) -> str:
    return vm.plug(hv, port, bridge=None, extra=bridge_type(network_id))


def link(netns: harness.Netns, name: str) -> dict[str, Any] | None:
    done = netns.ip("-d", "-j", "link", "show", "dev", name, check=False)
    found: list[dict[str, Any]] = json.loads(done.stdout or "[]")
    return found[0] if done.returncode == 0 and found else None


def bridge_ports(hv: Hypervisor, bridge: str) -> list[str]:
    out = hv.netns.ip("-j", "link", "show", "master", bridge).stdout
    return sorted(str(entry["ifname"]) for entry in json.loads(out))


def test_two_vms_of_a_network_share_its_bridge_until_the_last_unplug(
    lab: Lab, hv: Hypervisor
) -> None:
    vm1 = lab.vm("vm1", "fa:16:3e:00:01:01", "10.1.0.11/24")
    vm2 = lab.vm("vm2", "fa:16:3e:00:01:02", "10.1.0.12/24")
    # another network, the same addresses' subnet: only its own bridge joins it
    vm3 = lab.vm("vm3", "fa:16:3e:00:01:03", "10.1.0.13/24")
    vm4 = lab.vm("vm4", "fa:16:3e:00:01:04", "10.1.0.14/24")
    assert plug(vm1, hv, PORT_1, NET_A) == TAP_1
    assert plug(vm2, hv, PORT_2, NET_A) == TAP_2
    plug(vm3, hv, PORT_3, NET_B)
    plug(vm4, hv, PORT_4, NET_B)

    brq = link(hv.netns, BRQ_A)
    assert brq is not None
    assert (brq["linkinfo"]["info_kind"], brq["mtu"]) == ("bridge", MTU)
    assert "UP" in brq["flags"]
    assert bridge_ports(hv, BRQ_A) == [TAP_1, TAP_2]
    assert bridge_ports(hv, BRQ_B) == [f"tap{PORT_3[:11]}", f"tap{PORT_4[:11]}"]
    tap = link(hv.netns, TAP_1)
    assert tap is not None
    assert (tap["mtu"], "UP" in tap["flags"]) == (MTU, True)
    nic = link(vm1.netns, vm1.NIC)
    assert nic is not None
    assert (nic["address"], nic["mtu"]) == ("fa:16:3e:00:01:01", MTU)

    # positive controls: each network's VMs reach each other, full-size frames too
    assert vm1.can_reach(vm2.address)
    assert vm2.can_reach(vm1.address)
    assert vm3.can_reach(vm4.address)
    big = vm1.exec(
        "ping", "-n", "-q", "-c", "1", "-W", "1", "-M", "do",
        "-s", str(MTU - 28), vm2.address, check=False,
    )  # fmt: skip
    assert big.returncode == 0, big.stdout + big.stderr
    # ... and not across networks
    assert vm3.cannot_reach(vm1.address)
    assert vm3.cannot_reach(vm2.address)
    assert vm1.cannot_reach(vm4.address)

    assert vm1.unplug("--vif-type", "bridge") == f"unplugged {TAP_1}\n"
    assert TAP_1 not in hv.links()
    assert bridge_ports(hv, BRQ_A) == [TAP_2]

    last = vm2.unplug("--vif-type", "bridge")
    assert last == f"unplugged {TAP_2}\ndeleted bridge {BRQ_A} (no interface left)\n"
    assert link(hv.netns, BRQ_A) is None
    assert bridge_ports(hv, BRQ_B) != []  # NOTE: the other network's stays

    again = vm2.quantum_vif(hv, "unplug", "--vif-type", "bridge", "--dev", TAP_2)
    assert again.stdout == f"{TAP_2} was not plugged\n"


def test_plugging_twice_changes_nothing(lab: Lab, hv: Hypervisor) -> None:
    vm = lab.vm("vm1", "fa:16:3e:00:01:01", "10.1.0.11/24")
    plug(vm, hv, PORT_1, NET_A)
    before = link(hv.netns, TAP_1), link(hv.netns, BRQ_A), link(vm.netns, vm.NIC)

    again = vm.quantum_vif(
        hv, "plug", "--iface-id", PORT_1, "--mac", vm.mac.upper(),
        "--instance-id", "vm-vm1", "--netns", vm.netns.name, *bridge_type(NET_A),
    )  # fmt: skip

    assert again.stdout == f"plugged {TAP_1} into {BRQ_A}\n"
    after = link(hv.netns, TAP_1), link(hv.netns, BRQ_A), link(vm.netns, vm.NIC)
    assert [x["ifindex"] for x in after if x] == [x["ifindex"] for x in before if x]
    assert len([x for x in after if x]) == 3
    assert bridge_ports(hv, BRQ_A) == [TAP_1]


def test_concurrent_plugs_on_one_network_make_its_bridge_once(
    lab: Lab, hv: Hypervisor
) -> None:
    vms = [
        lab.vm(f"vm{index}", f"fa:16:3e:00:02:0{index}", f"10.2.0.{index}/24")
        for index in range(1, 5)
    ]
    ports = [f"{index}b9b7c1e-5d2e-4c6a-9f0e-00000000000{index}" for index in range(4)]
    with ThreadPoolExecutor(len(vms)) as pool:
        taps = list(pool.map(lambda vm, p: plug(vm, hv, p, NET_A), vms, ports))

    assert bridge_ports(hv, BRQ_A) == sorted(taps)
    assert [name for name in hv.links() if name.startswith("brq")] == [BRQ_A]
    assert vms[0].can_reach(vms[3].address)
    with ThreadPoolExecutor(len(vms)) as pool:
        said = list(pool.map(lambda vm: vm.unplug("--vif-type", "bridge"), vms))
    assert sum("deleted bridge" in out for out in said) == 1
    assert link(hv.netns, BRQ_A) is None


def test_a_bridge_holding_an_interface_someone_else_added_stays(
    lab: Lab, hv: Hypervisor
) -> None:
    """What the Linux Bridge agent will do: add the network's uplink to ``brq…``.
    Such a bridge outlives its last VM; empty, a later unplug takes it away."""
    vm = lab.vm("vm1", "fa:16:3e:00:01:01", "10.1.0.11/24")
    plug(vm, hv, PORT_1, NET_A)
    hv.netns.ip("link", "add", "uplink", "type", "veth", "peer", "name", "wire")
    hv.netns.ip("link", "set", "dev", "uplink", "master", BRQ_A, "up")

    assert vm.unplug("--vif-type", "bridge") == f"unplugged {TAP_1}\n"
    assert bridge_ports(hv, BRQ_A) == ["uplink"]

    hv.netns.ip("link", "del", "dev", "uplink")
    late = vm.quantum_vif(
        hv, "unplug", "--vif-type", "bridge", "--iface-id", PORT_1,
        "--network-id", NET_A,
    )  # fmt: skip
    assert late.stdout == (
        f"{TAP_1} was not plugged\ndeleted bridge {BRQ_A} (no interface left)\n"
    )
    assert link(hv.netns, BRQ_A) is None


def _guide_sh(hv: Hypervisor, bin_dir: Path, index: int, **env: str) -> str:
    script = markdown.blocks(markdown.section(GUIDE, SECTION), "sh")[index]
    path = f"{bin_dir}:{os.environ['PATH']}"
    done = hv.netns.exec(
        "bash", "-e", "-u", "-o", "pipefail", "-c", script,
        env=hv.session.env(PATH=path, **env), timeout=30,
    )  # fmt: skip
    return done.stdout


def test_the_guides_commands_as_printed(
    lab: Lab, hv: Hypervisor, tmp_path: Path
) -> None:
    wrapper = tmp_path / "quantum-vif"
    wrapper.write_text(f'#!/bin/sh\nexec {sys.executable} {harness.QUANTUM_VIF} "$@"\n')
    wrapper.chmod(0o755)
    vm1 = lab.vm("vm1", "fa:16:3e:00:01:01", "10.1.0.11/24")
    vm2 = lab.vm("vm2", "fa:16:3e:00:01:02", "10.1.0.12/24")
    env = {"NET": NET_A, "MTU": str(MTU)}
    for vm, port in ((vm1, PORT_1), (vm2, PORT_2)):
        out = _guide_sh(hv, tmp_path, 0, PORT=port, MAC=vm.mac, VM=vm.netns.name, **env)
        assert out == f"plugged tap{port[:11]} into {BRQ_A}\n"
        vm.configure()
    assert vm1.can_reach(vm2.address)

    shown = _guide_sh(hv, tmp_path, 1, **env)
    assert [line.split(":")[1].strip().split("@")[0] for line in shown.splitlines()
            if line[:1].isdigit()] == [TAP_1, TAP_2]  # fmt: skip

    assert _guide_sh(hv, tmp_path, 2, PORT=PORT_1) == f"unplugged {TAP_1}\n"
    assert _guide_sh(hv, tmp_path, 2, PORT=PORT_2) == (
        f"unplugged {TAP_2}\ndeleted bridge {BRQ_A} (no interface left)\n"
    )
    assert link(hv.netns, BRQ_A) is None
