# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import subprocess
from collections.abc import Sequence

import pytest

from quantum.compute.devices import DeviceError, Devices, check_name, check_netns


class FakeIp:
    """Records ``ip`` calls; ``links`` are the devices that exist (per netns)."""

    def __init__(self, links: frozenset[str] = frozenset(), fail: str = "") -> None:
        self.links = set(links)
        self.fail = fail
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        argv = list(argv)
        self.calls.append(argv)
        if self.fail and self.fail in " ".join(argv):
            return subprocess.CompletedProcess(argv, 2, "", "RTNETLINK answers: no\n")
        if argv[-3:-1] == ["show", "dev"]:
            found = argv[-1] in self.links
            return subprocess.CompletedProcess(argv, 0 if found else 1, "", "")
        if "add" in argv and argv[argv.index("add") + 1] in self.links:
            return subprocess.CompletedProcess(argv, 2, "", "RTNETLINK: File exists\n")
        return subprocess.CompletedProcess(argv, 0, "", "")

    def changes(self) -> list[str]:
        return [" ".join(c) for c in self.calls if "show" not in c]


@pytest.mark.parametrize("name", ["tap3b9b7c1e-5d", "eth0", "a", "x" * 15, "qr-1.2_x"])
def test_good_interface_names(name: str) -> None:
    assert check_name(name) == name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "1 to 15"),
        ("x" * 16, "1 to 15"),
        (".", "may not"),
        ("..", "may not"),
        ("a/b", "may not"),
        ("a:b", "may not"),
        ("a b", "may not"),
        ("a\x01", "control"),
    ],
)
def test_bad_interface_names(name: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        check_name(name)


@pytest.mark.parametrize("name", ["", ".", "..", "a/b", "-n", "a\nb"])
def test_bad_netns_names(name: str) -> None:
    with pytest.raises(ValueError, match="namespace"):
        check_netns(name)


def test_netns_name_accepted() -> None:
    assert check_netns("q123-vm1") == "q123-vm1"


def test_new_veth_pair_goes_across_namespaces() -> None:
    ip = FakeIp()
    assert Devices(runner=ip).ensure_veth("tapx", "eth0", "vm1", "fa:16:3e:00:00:01")
    assert ip.changes() == [
        "ip link add tapx up type veth peer name eth0 address fa:16:3e:00:00:01 "
        "netns vm1",
        "ip -n vm1 link set dev eth0 up",
    ]
    assert len(ip.calls) == 2, "one ip for each step, none to look first"


def test_existing_veth_is_only_brought_up() -> None:
    ip = FakeIp(frozenset({"tapx"}))
    devices = Devices(host_netns="hv1", runner=ip)
    assert not devices.ensure_veth("tapx", "eth0", "vm1", "fa:16:3e:00:00:01")
    assert ip.changes()[1:] == [
        "ip -n vm1 link set dev eth0 address fa:16:3e:00:00:01",
        "ip -n hv1 link set dev tapx up",
        "ip -n vm1 link set dev eth0 up",
    ]


def test_a_veth_that_cannot_be_made_reports_why() -> None:
    ip = FakeIp(fail="add")
    with pytest.raises(DeviceError, match="RTNETLINK answers: no"):
        Devices(runner=ip).ensure_veth("tapx", "eth0", "vm1", "fa:16:3e:00:00:01")
    assert [c[1] for c in ip.calls] == ["link", "link", "link"]  # add, show, add


def test_tap_in_the_host_namespace() -> None:
    ip = FakeIp()
    assert Devices(host_netns="hv1", runner=ip).ensure_tap("tapx")
    assert ip.changes() == [
        "ip -n hv1 tuntap add dev tapx mode tap",
        "ip -n hv1 link set dev tapx up",
    ]
    assert not Devices(runner=FakeIp(frozenset({"tapx"}))).ensure_tap("tapx")


def test_remove_only_what_exists() -> None:
    ip = FakeIp(frozenset({"tapx"}))
    assert Devices(runner=ip).remove("tapx")
    assert not Devices(runner=ip).remove("tapy")
    assert ip.changes() == ["ip link del dev tapx"]


def test_a_refusal_carries_the_command_and_ips_message() -> None:
    ip = FakeIp(fail="add")
    with pytest.raises(DeviceError) as caught:
        Devices(runner=ip).ensure_tap("tapx")
    assert str(caught.value) == (
        "ip tuntap add dev tapx mode tap: RTNETLINK answers: no"
    )


def test_a_veth_with_the_networks_mtu_on_both_ends() -> None:
    ip = FakeIp()
    Devices(runner=ip).ensure_veth("tapx", "eth0", "vm1", "fa:16:3e:00:00:01", 1450)
    assert ip.changes()[0] == (
        "ip link add tapx mtu 1450 up type veth peer name eth0 "
        "address fa:16:3e:00:00:01 mtu 1450 netns vm1"
    )
    again = FakeIp(frozenset({"tapx"}))
    Devices(runner=again).ensure_veth("tapx", "eth0", "vm1", "fa:16:3e:00:00:01", 1450)
    assert again.changes()[1:3] == [
        "ip -n vm1 link set dev eth0 address fa:16:3e:00:00:01 mtu 1450",
        "ip link set dev tapx mtu 1450 up",
    ]


def test_a_new_bridge_is_made_up_without_stp_in_one_call() -> None:
    ip = FakeIp()
    assert Devices(host_netns="hv1", runner=ip).ensure_bridge("brqx", 1450)
    assert ip.changes() == [
        "ip -n hv1 link add brqx mtu 1450 up type bridge stp_state 0 forward_delay 0"
    ]
    assert len(ip.calls) == 1
