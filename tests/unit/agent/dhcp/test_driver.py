# SPDX-License-Identifier: Apache-2.0
"""What the driver reads from the host: which dnsmasq it adopts, what it finds in a
namespace. (Starting, reloading and removing are shown with real processes in
tests/dataplane/test_dhcp.py.)"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from quantum.agent.dhcp.driver import DhcpApplyFailed, Driver, DriverConfig
from quantum.agent.dhcp.plan import Action, Change, Desired, Plan, Running


@pytest.fixture
def state(tmp_path: Path) -> Path:
    (tmp_path / "net-1").mkdir()
    return tmp_path


def _impostor(argv0: str, *args: str) -> subprocess.Popen[bytes]:
    """A process whose command line reads ``argv0 -c <sleep> *args``."""
    return subprocess.Popen(  # noqa: S603  # NOTE: fixed argv
        [argv0, "-c", "import time; time.sleep(60)", *args], executable=sys.executable
    )


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        process.kill()
        process.wait()


def test_a_dnsmasq_is_adopted_only_if_it_names_the_networks_pid_file(
    state: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    driver = Driver(DriverConfig(state_dir=state))
    pidfile = state / "net-1" / "pid"
    ours = _impostor("dnsmasq", f"--pid-file={pidfile}")
    other_network = _impostor("dnsmasq", f"--pid-file={state / 'net-2' / 'pid'}")
    not_dnsmasq = _impostor("python3", f"--pid-file={pidfile}")
    processes += [ours, other_network, not_dnsmasq]

    def adopted(pid: int) -> int | None:
        pidfile.write_text(f"{pid}\n")  # NOTE: Popen returns once the child exec'd
        return driver.running_pid("net-1")

    assert adopted(ours.pid) == ours.pid
    assert adopted(other_network.pid) is None
    assert adopted(not_dnsmasq.pid) is None
    ours.kill()
    ours.wait()
    assert adopted(ours.pid) is None  # NOTE: gone (or the pid reused by another)
    pidfile.write_text("garbage")
    assert driver.running_pid("net-1") is None
    pidfile.unlink()
    assert driver.running_pid("net-1") is None


class FakeIp:
    """Answers the ``ip`` commands ``observe`` runs, for one namespace."""

    def __init__(self, namespaces: str, links: str, addresses: str) -> None:
        self.outputs = {"netns": namespaces, "link": links, "addr": addresses}
        self.calls: list[list[str]] = []

    def __call__(self, argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append(list(argv))
        words = [w for w in argv if w in self.outputs]
        return subprocess.CompletedProcess(list(argv), 0, self.outputs[words[0]], "")


LINKS = (
    "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT"
    " group default qlen 1000\\    link/loopback 00:00:00:00:00:00"
    " brd 00:00:00:00:00:00\n"
    "7: ns-5b2c1d3e-aa@if8: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue"
    " state UP mode DEFAULT group default qlen 1000\\    link/ether fa:16:3e:dd:00:01"
    " brd ff:ff:ff:ff:ff:ff link-netns hv1\n"
)
ADDRESSES = (
    "7: ns-5b2c1d3e-aa    inet 10.0.0.2/24 brd 10.0.0.255 scope global"
    " ns-5b2c1d3e-aa\\       valid_lft forever preferred_lft forever\n"
    "7: ns-5b2c1d3e-aa    inet6 fd00::2/64 scope global nodad \\       valid_lft"
    " forever preferred_lft forever\n"
)


def test_observe_finds_namespaces_devices_addresses_and_files(state: Path) -> None:
    (state / "net-1" / "host").write_text("hosts\n")
    (state / "not an id").mkdir()
    fake = FakeIp("qdhcp-net-1 (id: 3)\nqdhcp-net-2\nother-ns\n", LINKS, ADDRESSES)
    found = Driver(DriverConfig(state_dir=state), runner=fake).observe()
    assert found == {
        "net-1": Running(
            network_id="net-1",
            namespace=True,
            device="ns-5b2c1d3e-aa",
            device_mac="fa:16:3e:dd:00:01",
            addresses=frozenset({"10.0.0.2/24", "fd00::2/64"}),
            hosts="hosts\n",
        ),
        "net-2": Running(
            network_id="net-2",
            namespace=True,
            device="ns-5b2c1d3e-aa",
            device_mac="fa:16:3e:dd:00:01",
            addresses=frozenset({"10.0.0.2/24", "fd00::2/64"}),
        ),
    }
    assert ["ip", "-n", "qdhcp-net-1", "-o", "link", "show"] in fake.calls


def test_one_network_failing_does_not_keep_the_others_from_being_changed(
    state: Path,
) -> None:
    calls: list[list[str]] = []

    def runner(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
        calls.append(list(argv))
        if argv[1:3] == ["netns", "list"]:
            return subprocess.CompletedProcess(
                argv, 0, "qdhcp-net-a\nqdhcp-net-b\n", ""
            )
        failing = list(argv) == ["ip", "netns", "del", "qdhcp-net-a"]
        return subprocess.CompletedProcess(argv, 1 if failing else 0, "", "busy")

    removals = Plan(
        tuple(Change(network_id=n, action=Action.REMOVE) for n in ("net-a", "net-b"))
    )
    driver = Driver(DriverConfig(state_dir=state), runner=runner)
    with pytest.raises(DhcpApplyFailed, match="network\\(s\\) net-a$"):
        driver.apply(removals, Desired())
    assert ["ip", "netns", "del", "qdhcp-net-b"] in calls
