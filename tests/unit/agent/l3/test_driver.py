# SPDX-License-Identifier: Apache-2.0
"""What the driver reads from a router namespace, and how one router's failure is
reported. (Plugging, addresses, routes, iptables and removal are shown with real
devices in tests/dataplane/test_l3.py.)"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from quantum.agent.l3 import render
from quantum.agent.l3.driver import Driver, DriverConfig, RouterApplyFailed
from quantum.agent.l3.plan import Action, Change, Device, Plan

NS = "qrouter-r1"
LINKS = (
    "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 state UNKNOWN link/loopback "
    "00:00:00:00:00:00 brd 00:00:00:00:00:00\n"
    "7: qr-4a1b2c3d-00@if8: <BROADCAST,UP> mtu 1450 state UP link/ether "
    "fa:16:3e:0a:00:01 brd ff:ff:ff:ff:ff:ff link-netns hv1\n"
    "9: qg-9e8d7c6b-00@if10: <BROADCAST,UP> mtu 1500 state UP link/ether "
    "fa:16:3e:ee:00:01 brd ff:ff:ff:ff:ff:ff link-netns hv1\n"
    "11: eth9@if12: <BROADCAST,UP> mtu 1500 state UP link/ether "
    "fa:16:3e:99:00:01 brd ff:ff:ff:ff:ff:ff\n"
)
ADDRESSES = (
    "7: qr-4a1b2c3d-00    inet 10.1.0.1/24 brd 10.1.0.255 scope global "
    "qr-4a1b2c3d-00\\       valid_lft forever preferred_lft forever\n"
    "9: qg-9e8d7c6b-00    inet 172.24.4.10/24 brd 172.24.4.255 scope global "
    "qg-9e8d7c6b-00\\       valid_lft forever preferred_lft forever\n"
    "9: qg-9e8d7c6b-00    inet 172.24.4.100/32 scope global qg-9e8d7c6b-00\\"
    "       valid_lft forever preferred_lft forever\n"
    "11: eth9    inet 192.0.2.5/24 scope global eth9\\       valid_lft forever\n"
)
SAVED = (
    "*nat\n:PREROUTING ACCEPT [0:0]\n:quantum-l3-PREROUTING - [0:0]\n"
    "-A PREROUTING -j quantum-l3-PREROUTING\n"
    "-A quantum-l3-PREROUTING -d 172.24.4.100/32 -j DNAT --to-destination "
    "10.1.0.5\nCOMMIT\n"
)
ANSWERS = {
    ("ip", "netns", "list"): f"{NS} (id: 3)\nqrouter-not.ours\nqdhcp-net\n",
    ("ip", "-n", NS, "-o", "link", "show"): LINKS,
    ("ip", "-n", NS, "-o", "addr", "show", "scope", "global"): ADDRESSES,
    ("ip", "-n", NS, "-4", "route", "show", "proto", "static"): (
        "default via 172.24.4.1 dev qg-9e8d7c6b-00\n"
        "192.168.70.0/24 via 10.1.0.254 dev qr-4a1b2c3d-00\n"
    ),
    ("ip", "-n", NS, "-6", "route", "show", "proto", "static"): "",
    (
        "ip",
        "netns",
        "exec",
        NS,
        "sysctl",
        "-n",
        "net.ipv4.ip_forward",
        "net.ipv6.conf.all.forwarding",
    ): "1\n1\n",
    ("ip", "netns", "exec", NS, "iptables-save"): SAVED,
}


def _runner(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    out = ANSWERS.get(tuple(argv))
    if out is None:
        return subprocess.CompletedProcess(list(argv), 1, "", "unexpected")
    return subprocess.CompletedProcess(list(argv), 0, out, "")


def test_observe_reads_devices_addresses_static_routes_and_our_chains() -> None:
    found = Driver(DriverConfig(), _runner).observe()
    assert list(found) == ["r1"]  # NOTE: "not.ours" is no router id; qdhcp- no router
    running = found["r1"]
    assert running.namespace
    assert running.forwarding
    assert dict(running.devices) == {
        "qr-4a1b2c3d-00": Device(
            mac="fa:16:3e:0a:00:01", addresses=frozenset({"10.1.0.1/24"})
        ),
        "qg-9e8d7c6b-00": Device(
            mac="fa:16:3e:ee:00:01",
            addresses=frozenset({"172.24.4.10/24", "172.24.4.100/32"}),
        ),
    }
    assert running.routes == {
        render.RouteEntry("default", "172.24.4.1"),
        render.RouteEntry("192.168.70.0/24", "10.1.0.254"),
    }
    assert running.iptables is not None
    assert running.iptables.jumps == {("nat", "PREROUTING")}
    assert dict(running.iptables.rules["nat"]) == {
        "quantum-l3-PREROUTING": (
            "-d 172.24.4.100/32 -j DNAT --to-destination 10.1.0.5",
        )
    }


def test_ipv6_forwarding_off_is_not_forwarding() -> None:
    key = (
        "ip", "netns", "exec", NS, "sysctl", "-n", "net.ipv4.ip_forward",
        "net.ipv6.conf.all.forwarding",
    )  # fmt: skip

    def runner(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        if tuple(argv) == key:
            return subprocess.CompletedProcess(list(argv), 0, "1\n0\n", "")
        return _runner(argv)

    assert not Driver(DriverConfig(), runner).observe()["r1"].forwarding


def test_a_router_that_fails_is_named_and_the_others_are_still_applied() -> None:
    calls: list[tuple[str, ...]] = []

    def runner(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        calls.append(tuple(argv))
        if argv[:3] == ["ip", "netns", "list"]:
            return subprocess.CompletedProcess(list(argv), 0, "", "")
        failed = "qrouter-bad" in argv
        return subprocess.CompletedProcess(list(argv), int(failed), "", "boom")

    changes = tuple(
        Change(router_id=rid, action=Action.APPLY, create_namespace=True)
        for rid in ("bad", "good")
    )
    with pytest.raises(RouterApplyFailed, match="bad"):
        Driver(DriverConfig(), runner).apply(Plan(changes))
    assert ("ip", "netns", "add", "qrouter-good") in calls


def test_observe_reads_radvd_files_and_adopts_only_a_radvd_with_that_pid_file(
    tmp_path: Path,
) -> None:
    driver = Driver(DriverConfig(state_dir=tmp_path), _runner)
    files = driver.radvd_files("r1")
    assert files.directory == tmp_path / "radvd" / "r1"
    assert driver.observe()["r1"].radvd_config is None
    files.directory.mkdir(parents=True)
    files.config.write_text("interface qr-4a1b2c3d-00\n{\n};\n")
    # NOTE: a live process that is no radvd (this one) is not adopted
    files.pid.write_text(f"{os.getpid()}\n")
    running = driver.observe()["r1"]
    assert running.radvd_config == "interface qr-4a1b2c3d-00\n{\n};\n"
    assert running.radvd_pid is None
    files.pid.write_text("not a pid\n")
    assert driver.observe()["r1"].radvd_pid is None
