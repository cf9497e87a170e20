# SPDX-License-Identifier: Apache-2.0
"""``quantum-vif`` on a real (simulated) hypervisor: the compute side of a VIF."""

from __future__ import annotations

import json

import pytest

from quantum.compute import vif
from quantum.compute.devices import Devices
from tests.dataplane.harness import VM, CommandFailed, Hypervisor, Lab, wait_until

PORT_1 = "3b9b7c1e-5d2e-4c6a-9f0e-000000000001"
PORT_2 = "7c41a0d2-91f3-4b8e-8a55-000000000002"
INSTANCE = "0f5e2d9c-2a4b-4e7e-b1d3-5c6f7a8b9c0d"


@pytest.fixture
def hv(lab: Lab) -> Hypervisor:
    hv = lab.hypervisor("hv1")
    # NOTE: the OVS agent creates br-int; until it does, a plain NORMAL bridge.
    hv.vsctl(
        "add-br", "br-int", "--", "set", "Bridge", "br-int", "datapath_type=netdev"
    )
    return hv


def nic(vm: VM) -> dict[str, object]:
    out = vm.netns.ip("-j", "link", "show", "dev", vm.NIC).stdout
    link: dict[str, object] = json.loads(out)[0]
    return link


def ports(hv: Hypervisor, bridge: str = "br-int") -> list[str]:
    return hv.vsctl("list-ports", bridge).split()


def test_plug_writes_the_interface_row_and_makes_the_device(
    lab: Lab, hv: Hypervisor
) -> None:
    vm = lab.vm("vm1", "fa:16:3e:00:01:01")
    device = vm.plug(hv, PORT_1, instance_id=INSTANCE, configure=False)

    assert device == "tap3b9b7c1e-5d"
    assert ports(hv) == [device]
    # NOTE: in the dead VLAN until the agent wires it (never a trunk)
    assert hv.vsctl("get", "Port", device, "tag") == "4095"
    assert hv.external_ids(device) == {
        "iface-id": PORT_1,
        "attached-mac": "fa:16:3e:00:01:01",
        "iface-status": "active",
        "vm-uuid": INSTANCE,
    }
    assert wait_until(lambda: hv.ofport(device) > 0, 5, message="ofport assigned")
    assert device in hv.links()
    link = nic(vm)
    assert link["address"] == "fa:16:3e:00:01:01"
    assert "UP" in link["flags"]  # type: ignore[operator]


def test_plugging_twice_changes_nothing(lab: Lab, hv: Hypervisor) -> None:
    vm = lab.vm("vm1", "fa:16:3e:00:01:01")
    device = vm.plug(hv, PORT_1, instance_id=INSTANCE, configure=False)
    wait_until(lambda: hv.ofport(device) > 0, 5)
    ofport, ifindex = hv.ofport(device), nic(vm)["ifindex"]

    again = vm.quantum_vif(
        hv, "plug", "--iface-id", PORT_1, "--mac", "FA:16:3E:00:01:01",
        "--instance-id", INSTANCE, "--netns", vm.netns.name,
    )  # fmt: skip

    assert again.stdout.strip() == f"plugged {device} into br-int (ofport {ofport})"
    assert ports(hv) == [device]
    assert hv.ofport(device) == ofport
    assert hv.vsctl("get", "Port", device, "tag") == "4095"
    assert nic(vm)["ifindex"] == ifindex
    assert hv.external_ids(device)["attached-mac"] == "fa:16:3e:00:01:01"


def test_unplug_removes_the_port_and_the_device(lab: Lab, hv: Hypervisor) -> None:
    vm = lab.vm("vm1", "fa:16:3e:00:01:01")
    device = vm.plug(hv, PORT_1, instance_id=INSTANCE)

    done = vm.quantum_vif(hv, "unplug", "--iface-id", PORT_1)

    assert done.stdout.strip() == f"unplugged {device}"
    assert ports(hv) == []
    assert device not in hv.links()
    assert vm.netns.ip("link", "show", "dev", vm.NIC, check=False).returncode != 0
    again = vm.quantum_vif(hv, "unplug", "--dev", device)
    assert again.stdout.strip() == f"{device} was not plugged"


def test_a_tap_for_a_hypervisor_to_open(lab: Lab, hv: Hypervisor) -> None:
    vm = lab.vm("vm1", "fa:16:3e:00:01:01")
    vm.quantum_vif(
        hv, "plug", "--tap", "--iface-id", "v1-attachment-7", "--dev", "tapatt7",
        "--mac", "fa:16:3e:00:01:07", "--instance-id", INSTANCE,
    )  # fmt: skip
    assert "tapatt7" in hv.exec("ip", "tuntap", "show").stdout
    assert hv.external_ids("tapatt7")["iface-id"] == "v1-attachment-7"
    assert wait_until(lambda: hv.ofport("tapatt7") > 0, 5)

    vm.quantum_vif(hv, "unplug", "--dev", "tapatt7")
    assert "tapatt7" not in hv.links()


def test_refusals_are_one_line_with_exit_status_1(lab: Lab, hv: Hypervisor) -> None:
    vm = lab.vm("vm1", "fa:16:3e:00:01:01")
    plug = (
        "plug",
        "--mac",
        vm.mac,
        "--instance-id",
        INSTANCE,
        "--netns",
        vm.netns.name,
    )

    no_bridge = vm.quantum_vif(
        hv, *plug, "--iface-id", PORT_1, "--bridge", "br-nope", check=False
    )
    assert no_bridge.returncode == 1
    assert no_bridge.stderr == "quantum-vif: bridge br-nope does not exist\n"
    assert hv.links().count(f"tap{PORT_1[:11]}") == 0

    vm.plug(hv, PORT_1, instance_id=INSTANCE, configure=False)
    # another id whose first 11 characters are the same derives the same device
    taken = vm.quantum_vif(hv, *plug, "--iface-id", PORT_1[:11] + "-x", check=False)
    assert taken.returncode == 1
    assert f"already carries iface id {PORT_1}" in taken.stderr
    assert hv.external_ids(f"tap{PORT_1[:11]}")["iface-id"] == PORT_1

    hv.vsctl("add-br", "br-x", "--", "set", "Bridge", "br-x", "datapath_type=netdev")
    elsewhere = vm.quantum_vif(
        hv, *plug, "--iface-id", PORT_1, "--bridge", "br-x", check=False
    )
    assert elsewhere.returncode == 1
    assert "is on bridge br-int, not br-x" in elsewhere.stderr


def test_two_vms_on_a_normal_bridge_ping_and_move_tcp(lab: Lab, hv: Hypervisor) -> None:
    vm1 = lab.vm("vm1", "fa:16:3e:00:01:01", "10.1.0.11/24")
    vm2 = lab.vm("vm2", "fa:16:3e:00:01:02", "10.1.0.12/24")
    vm1.plug(hv, PORT_1)
    vm2.plug(hv, PORT_2)

    assert vm1.can_reach(vm2.address)
    assert vm2.can_reach(vm1.address)
    # TCP needs the guests' TX checksum offload off (veth + userspace datapath).
    vm2.serve_tcp(5001)
    vm1.serve_tcp(5002)
    sent = vm1.tcp_transfer(vm2.address, 5001, size=4 << 20)
    assert sent.bytes == 4 << 20
    assert vm2.tcp_transfer(vm1.address, 5002, size=1 << 20).bytes == 1 << 20


def test_without_the_checksum_fix_ping_works_but_tcp_does_not(
    lab: Lab, hv: Hypervisor
) -> None:
    """The control for the test above: VM.configure()'s ``tx off`` is what
    makes TCP work (recipes §3); ICMP alone would hide the problem."""
    vm1 = lab.vm("vm1", "fa:16:3e:00:01:01", "10.1.0.11/24")
    vm2 = lab.vm("vm2", "fa:16:3e:00:01:02", "10.1.0.12/24")
    for vm, port in ((vm1, PORT_1), (vm2, PORT_2)):
        vm.plug(hv, port, configure=False)
        vm.netns.ip("addr", "add", str(vm.ip), "dev", vm.NIC)

    assert vm1.can_reach(vm2.address)
    vm2.serve_tcp(5001)
    with pytest.raises(CommandFailed):
        vm1.tcp_transfer(vm2.address, 5001, size=64 << 10, timeout=2)


def test_plug_while_ovs_vswitchd_is_down_completes_when_it_returns(
    lab: Lab, hv: Hypervisor
) -> None:
    """As on a compute host during an OVS upgrade: the row is written, the port
    gets its ofport once ovs-vswitchd is back."""
    vm = lab.vm("vm1", "fa:16:3e:00:01:01")
    hv.crash("ovs-vswitchd")

    done = vm.quantum_vif(
        hv, "plug", "--iface-id", PORT_1, "--mac", vm.mac, "--instance-id", INSTANCE,
        "--netns", vm.netns.name, "--timeout", "1",
    )  # fmt: skip

    assert done.stdout == "plugged tap3b9b7c1e-5d into br-int (ofport pending)\n"
    assert done.stderr == ""
    hv.restart_ovs()
    assert wait_until(lambda: hv.ofport("tap3b9b7c1e-5d") > 0, 10)
    assert hv.external_ids("tap3b9b7c1e-5d")["iface-id"] == PORT_1


def test_an_untagged_plug_that_does_not_wait_for_the_ofport(
    lab: Lab, hv: Hypervisor
) -> None:
    """The L3 agent's plug: untagged in the port's own transaction, returning
    before ovs-vswitchd assigns the ofport (which still comes)."""
    hv.vsctl("add-br", "br-x", "--", "set", "Bridge", "br-x", "datapath_type=netdev")
    vm = lab.vm("vm1", "fa:16:3e:00:01:01")
    plugged = vif.plug(
        vif.Vif(
            iface_id=PORT_1, mac="fa:16:3e:00:01:01", instance_id=INSTANCE,
            device="tap3b9b7c1e-5d", netns=vm.netns.name,
        ),
        ovsdb=hv.db, bridge="br-x", devices=Devices(hv.netns.name),
        tag=None, wait_ofport=False,
    )  # fmt: skip

    assert (plugged.ofport, plugged.created) == (None, True)
    assert ports(hv, "br-x") == ["tap3b9b7c1e-5d"]
    assert hv.vsctl("get", "Port", "tap3b9b7c1e-5d", "tag") == "[]"
    assert hv.external_ids("tap3b9b7c1e-5d")["iface-id"] == PORT_1
    assert wait_until(lambda: hv.ofport("tap3b9b7c1e-5d") > 0, 5)
    assert nic(vm)["address"] == "fa:16:3e:00:01:01"

    # a port left in the dead VLAN (the default plug) loses its tag when
    # plugged again untagged; the default plug still tags and waits (control)
    other = lab.vm("vm2", "fa:16:3e:00:01:02")
    device = other.plug(hv, PORT_2, instance_id=INSTANCE, configure=False)
    assert hv.vsctl("get", "Port", device, "tag") == "4095"
    again = vif.plug(
        vif.Vif(
            iface_id=PORT_2, mac="fa:16:3e:00:01:02", instance_id=INSTANCE,
            device=device, netns=other.netns.name,
        ),
        ovsdb=hv.db, bridge="br-int", devices=Devices(hv.netns.name), tag=None,
    )  # fmt: skip
    assert again.ofport is not None
    assert again.ofport > 0
    assert not again.created
    assert hv.vsctl("get", "Port", device, "tag") == "[]"
