# SPDX-License-Identifier: Apache-2.0
"""The Linux bridge VIF driver over a model of ``ip``'s links (tests/dataplane/
test_vif_bridge.py runs it on real namespaces)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from quantum.compute import linuxbridge
from quantum.compute.devices import DeviceError, Devices
from quantum.compute.vif import PortOnOtherBridge, Vif

PORT = "3b9b7c1e-5d2e-4c6a-9f0e-000000000001"
NET = "5b0e8a3e-6f3c-4bb7-8f0a-3a2b1c0d9e8f"
TAP = "tap3b9b7c1e-5d"
BRQ = "brq5b0e8a3e-6f"
MAC = "fa:16:3e:00:01:01"


@dataclass
class Link:
    kind: str
    mtu: int = 1500
    master: str | None = None
    peer: tuple[str, str] | None = None
    """(namespace, name) of a veth's other end."""


class FakeIp:
    """The part of ``ip`` the driver uses, over links per namespace ("" = ours)."""

    def __init__(self) -> None:
        self.links: dict[str, dict[str, Link]] = {"": {}, "hv1": {}, "vm1": {}}
        self.calls: list[str] = []

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        args = list(argv)[1:]
        self.calls.append(" ".join(argv))
        ns = ""
        if args[0] == "-n":
            ns, args = args[1], args[2:]
        args = [a for a in args if a not in ("-d", "-j")]
        try:
            out = self._do(self.links[ns], ns, args)
        except LookupError as error:
            return subprocess.CompletedProcess(argv, 2, "", f"{error.args[0]}\n")
        return subprocess.CompletedProcess(argv, 0, out, "")

    def _do(self, here: dict[str, Link], ns: str, args: list[str]) -> str:
        verb, name = args[1], args[2] if args[1] != "show" else args[3]
        if args[:2] == ["link", "show"] and args[2] == "dev":
            if name not in here:
                raise LookupError(f'Device "{name}" does not exist.')
            return json.dumps([self._show(name, here[name])])
        if args[:2] == ["link", "show"]:  # master NAME
            if name not in here:
                raise LookupError("Device does not exist")
            slaves = [n for n, link in here.items() if link.master == name]
            return json.dumps([{"ifname": n} for n in slaves])
        if verb == "add":
            return self._add(here, ns, args)
        if name == "dev":
            name = args[3]
        if name not in here:
            raise LookupError("Cannot find device")
        if verb == "del":
            self._delete(here, name)
        else:  # set dev NAME ...
            self._set(here, here[name], args[4:])
        return ""

    def _show(self, name: str, link: Link) -> dict[str, object]:
        shown: dict[str, object] = {"ifname": name, "mtu": link.mtu}
        shown["linkinfo"] = {"info_kind": link.kind}
        if link.master:
            shown["master"] = link.master
        return shown

    def _add(self, here: dict[str, Link], ns: str, args: list[str]) -> str:
        if args[0] == "tuntap":
            here[args[3]] = Link("tun")
            return ""
        name = args[2]
        if name in here:
            raise LookupError("RTNETLINK answers: File exists")
        mtu = int(args[args.index("mtu") + 1]) if "mtu" in args else 1500
        kind = args[args.index("type") + 1]
        if kind == "veth":
            peer_ns = args[args.index("netns") + 1]
            peer = args[args.index("peer") + 2]
            self.links[peer_ns][peer] = Link("veth", mtu, peer=(ns, name))
            here[name] = Link("veth", mtu, peer=(peer_ns, peer))
        else:
            here[name] = Link(kind, mtu)
        return ""

    def _set(self, here: dict[str, Link], link: Link, args: list[str]) -> None:
        if "master" in args:
            bridge = args[args.index("master") + 1]
            if bridge not in here:
                raise LookupError("Cannot find device")
            link.master = bridge
        if "mtu" in args:
            link.mtu = int(args[args.index("mtu") + 1])

    def _delete(self, here: dict[str, Link], name: str) -> None:
        link = here.pop(name)
        if link.peer is not None:
            self.links[link.peer[0]].pop(link.peer[1], None)
        for other in here.values():
            if other.master == name:
                other.master = None

    def ports(self, bridge: str, ns: str = "hv1") -> list[str]:
        return sorted(n for n, link in self.links[ns].items() if link.master == bridge)


@pytest.fixture
def ip() -> FakeIp:
    return FakeIp()


@pytest.fixture
def devices(ip: FakeIp) -> Devices:
    return Devices(host_netns="hv1", runner=ip)


def vif(port: str = PORT, mac: str = MAC, netns: str | None = "vm1") -> Vif:
    return Vif(
        iface_id=port,
        mac=mac,
        instance_id="vm-1",
        device=f"tap{port[:11]}",
        netns=netns,
    )


def test_the_bridge_is_brq_and_11_characters_of_the_network_id() -> None:
    assert linuxbridge.bridge_name(NET) == BRQ
    with pytest.raises(ValueError, match="name the bridge explicitly"):
        linuxbridge.bridge_name("net/1")


def test_plug_makes_the_veth_and_the_bridge_with_the_mtu(
    ip: FakeIp, devices: Devices, tmp_path: Path
) -> None:
    done = linuxbridge.plug(
        vif(), bridge=BRQ, mtu=1450, devices=devices, lock_dir=tmp_path
    )

    assert (done.device, done.bridge, done.ofport, done.created) == (
        TAP,
        BRQ,
        None,
        True,
    )
    assert ip.ports(BRQ) == [TAP]
    hv, vm = ip.links["hv1"], ip.links["vm1"]
    assert (hv[BRQ].kind, hv[BRQ].mtu) == ("bridge", 1450)
    assert (hv[TAP].mtu, vm["eth0"].mtu) == (1450, 1450)
    assert (tmp_path / "brq@hv1.lock").exists()


def test_plugging_twice_changes_nothing(
    ip: FakeIp, devices: Devices, tmp_path: Path
) -> None:
    linuxbridge.plug(vif(), bridge=BRQ, mtu=1450, devices=devices, lock_dir=tmp_path)
    again = linuxbridge.plug(
        vif(), bridge=BRQ, mtu=1450, devices=devices, lock_dir=tmp_path
    )
    assert not again.created
    assert ip.ports(BRQ) == [TAP]
    assert sorted(ip.links["hv1"]) == [BRQ, TAP]


def test_a_bridge_another_plug_made_is_used_as_it_is(
    ip: FakeIp, devices: Devices, tmp_path: Path
) -> None:
    ip.links["hv1"][BRQ] = Link("bridge", 1400)
    linuxbridge.plug(vif(), bridge=BRQ, mtu=1450, devices=devices, lock_dir=tmp_path)
    assert ip.ports(BRQ) == [TAP]
    assert ip.links["hv1"][BRQ].mtu == 1400
    assert f"ip -n hv1 link set dev {BRQ} up" in ip.calls


def test_a_device_of_another_kind_under_the_bridge_name_is_refused(
    ip: FakeIp, devices: Devices, tmp_path: Path
) -> None:
    ip.links["hv1"][BRQ] = Link("dummy")
    with pytest.raises(DeviceError, match="is not a Linux bridge"):
        linuxbridge.plug(vif(), bridge=BRQ, devices=devices, lock_dir=tmp_path)
    assert ip.ports(BRQ) == []


def test_a_device_on_another_bridge_is_left_there(
    ip: FakeIp, devices: Devices, tmp_path: Path
) -> None:
    linuxbridge.plug(vif(), bridge="brqother", devices=devices, lock_dir=tmp_path)
    with pytest.raises(PortOnOtherBridge, match=f"is on bridge brqother, not {BRQ}"):
        linuxbridge.plug(vif(), bridge=BRQ, devices=devices, lock_dir=tmp_path)
    assert ip.ports("brqother") == [TAP]
    assert BRQ not in ip.links["hv1"]


def test_a_tap_for_a_hypervisor_to_open(
    ip: FakeIp, devices: Devices, tmp_path: Path
) -> None:
    done = linuxbridge.plug(
        vif(netns=None), bridge=BRQ, mtu=9000, devices=devices, lock_dir=tmp_path
    )
    assert done.created
    assert ip.links["hv1"][TAP].kind == "tun"
    assert ip.links["hv1"][TAP].mtu == 9000
    assert ip.ports(BRQ) == [TAP]


def test_unplug_keeps_the_bridge_while_another_tap_is_on_it(
    ip: FakeIp, devices: Devices, tmp_path: Path
) -> None:
    other = "7c41a0d2-91f3-4b8e-8a55-000000000002"
    for port, mac in ((PORT, MAC), (other, "fa:16:3e:00:01:02")):
        linuxbridge.plug(vif(port, mac), bridge=BRQ, devices=devices, lock_dir=tmp_path)
    ip.links["vm1"].clear()  # NOTE: each VM its own namespace; one stands for both

    first = linuxbridge.unplug(TAP, devices=devices, lock_dir=tmp_path)
    assert (first.removed, first.bridge, first.bridge_deleted) == (True, BRQ, False)
    assert ip.ports(BRQ) == [f"tap{other[:11]}"]

    last = linuxbridge.unplug(f"tap{other[:11]}", devices=devices, lock_dir=tmp_path)
    assert (last.removed, last.bridge, last.bridge_deleted) == (True, BRQ, True)
    assert ip.links["hv1"] == {}

    again = linuxbridge.unplug(TAP, devices=devices, lock_dir=tmp_path)
    assert (again.removed, again.bridge, again.bridge_deleted) == (False, None, False)


def test_a_bridge_with_the_agents_interface_is_never_deleted(
    ip: FakeIp, devices: Devices, tmp_path: Path
) -> None:
    linuxbridge.plug(vif(), bridge=BRQ, devices=devices, lock_dir=tmp_path)
    ip.links["hv1"]["eth1.1000"] = Link("vlan", master=BRQ)  # NOTE: the agent's

    gone = linuxbridge.unplug(TAP, devices=devices, lock_dir=tmp_path)

    assert (gone.removed, gone.bridge_deleted) == (True, False)
    assert ip.ports(BRQ) == ["eth1.1000"]


def test_only_empty_brq_bridges_are_deleted(
    ip: FakeIp, devices: Devices, tmp_path: Path
) -> None:
    """An operator's bridge stays even when the unplug empties it; a named brq
    bridge left empty by an earlier, interrupted unplug goes."""
    linuxbridge.plug(vif(), bridge="br0", devices=devices, lock_dir=tmp_path)
    gone = linuxbridge.unplug(TAP, devices=devices, lock_dir=tmp_path)
    assert (gone.removed, gone.bridge, gone.bridge_deleted) == (True, "br0", False)
    assert "br0" in ip.links["hv1"]

    ip.links["hv1"][BRQ] = Link("bridge")
    left = linuxbridge.unplug(TAP, bridge=BRQ, devices=devices, lock_dir=tmp_path)
    assert (left.removed, left.bridge_deleted) == (False, True)
    assert BRQ not in ip.links["hv1"]


def test_unplug_from_a_named_bridge_refuses_a_device_on_another(
    ip: FakeIp, devices: Devices, tmp_path: Path
) -> None:
    linuxbridge.plug(vif(), bridge=BRQ, devices=devices, lock_dir=tmp_path)
    with pytest.raises(PortOnOtherBridge):
        linuxbridge.unplug(TAP, bridge="brqother", devices=devices, lock_dir=tmp_path)
    assert ip.ports(BRQ) == [TAP]
