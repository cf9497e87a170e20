# SPDX-License-Identifier: Apache-2.0
"""The harness itself: hypervisors come up, talk over the underlay, go away cleanly."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import pytest

from tests.dataplane import harness
from tests.dataplane.harness import Hypervisor, Lab, Session, wait_until


def root_links() -> set[str]:
    out = harness.run(["ip", "-o", "link", "show"]).stdout
    return {line.split(":")[1].strip().split("@")[0] for line in out.splitlines()}


def root_taps() -> str:
    return harness.run(["ip", "tuntap", "show"]).stdout


def tagged_pids(prefix: str) -> list[int]:
    return [
        int(p.name)
        for p in Path("/proc").iterdir()
        if p.name.isdigit() and harness._tagged(int(p.name), prefix)
        if harness.is_alive(int(p.name))
    ]


def dead_pid() -> int:
    """A pid that no process has any more."""
    child = subprocess.Popen(["true"])  # noqa: S607  # NOTE: coreutils on PATH
    child.wait()
    return child.pid


def _pings(hv: Hypervisor, ip: str) -> bool:
    return hv.exec("ping", "-c1", "-W1", ip, check=False).returncode == 0


def test_two_hypervisors_reach_each_other_over_the_underlay(lab: Lab) -> None:
    underlay = lab.underlay()
    hv1 = lab.hypervisor("hv1", underlay=underlay, underlay_ip="192.168.50.1")
    hv2 = lab.hypervisor("hv2", underlay=underlay, underlay_ip="192.168.50.2")

    for hv, other in ((hv1, hv2), (hv2, hv1)):
        assert other.underlay_ip is not None
        wait_until(
            partial(_pings, hv, other.underlay_ip),
            timeout=10,
            message=f"{hv.name} pings {other.name}'s br-phy",
        )
    # A VXLAN frame of a 1500-byte VM packet needs 1550 bytes on the underlay.
    big = hv1.exec("ping", "-c1", "-W2", "-M", "do", "-s", "1560", "192.168.50.2")
    assert "1 received" in big.stdout
    # ovs-vswitchd routes tunnels by this netns's routes: no ovs/route/add needed.
    assert "192.168.50.0/24 dev br-phy" in hv1.appctl("ovs/route/show")
    assert hv1.vsctl("list-br").split() == ["br-phy"]


def test_hypervisor_comes_up_and_down_leaving_nothing(
    dataplane_session: Session,
) -> None:
    links_before, taps_before = root_links(), root_taps()
    hv = Hypervisor(dataplane_session, "hvud")
    try:
        hv.up()
        pids = [hv.daemon_pid(d) for d in harness.DAEMONS]
        assert all(pids), pids
        assert hv.netns.exists()
        hv.vsctl(
            "add-br", "br-t", "--", "set", "Bridge", "br-t", "datapath_type=netdev"
        )
        assert "br-t" in hv.links()
        assert "ovs-netdev" in hv.links()
        assert "NORMAL" in hv.ofctl("dump-flows", "br-t")
        assert (hv.dir / "br-t.mgmt").exists()
    finally:
        hv.down()

    assert not hv.netns.exists()
    assert not hv.dir.exists()
    assert not [pid for pid in pids if pid and harness.is_alive(pid)]
    assert root_links() == links_before
    assert root_taps() == taps_before


def test_down_cleans_up_after_a_crashed_vswitchd(dataplane_session: Session) -> None:
    links_before = root_links()
    hv = Hypervisor(dataplane_session, "hvcr")
    try:
        hv.up()
        hv.vsctl(
            "add-br", "br-t", "--", "set", "Bridge", "br-t", "datapath_type=netdev"
        )
        hv.crash("ovs-vswitchd")
        assert hv.daemon_pid("ovs-vswitchd") is None
        # the crashed datapath's taps persist in the hypervisor's netns
        assert "persist" in hv.exec("ip", "tuntap", "show").stdout
    finally:
        hv.down()
    assert not hv.netns.exists()
    assert not hv.dir.exists()
    assert root_links() == links_before


def test_restart_ovs_keeps_the_database(lab: Lab) -> None:
    hv = lab.hypervisor("hv1")
    hv.vsctl("add-br", "br-t", "--", "set", "Bridge", "br-t", "datapath_type=netdev")
    hv.vsctl("set", "Bridge", "br-t", "external_ids:kept=yes")
    before = [hv.daemon_pid(d) for d in harness.DAEMONS]

    hv.restart_ovs()

    after = [hv.daemon_pid(d) for d in harness.DAEMONS]
    assert all(after)
    assert set(before).isdisjoint(after)
    assert hv.vsctl("get", "Bridge", "br-t", "external_ids:kept") == "yes"
    wait_until(lambda: "NORMAL" in hv.ofctl("dump-flows", "br-t"), 10)


def test_spawned_processes_stop_with_the_hypervisor(lab: Lab) -> None:
    hv = lab.hypervisor("hv1")
    agent = hv.spawn("agent", "sleep", "300")
    assert agent.alive()
    assert hv.netns.holds(agent.pid)
    assert (
        hv.netns.name in harness.run(["ip", "netns", "identify", str(agent.pid)]).stdout
    )
    hv.down()
    assert not agent.alive()


def test_reaper_removes_a_dead_sessions_leftovers_and_nothing_else(lab: Lab) -> None:
    ours = lab.hypervisor("hv1")
    prefix = f"q{dead_pid()}"
    dead = Session(prefix, harness.BASE / prefix)
    dead.root.mkdir()
    (dead.root / harness.MARKER).write_text('{"pid": 0, "start": "0"}')
    stranger = harness.BASE / f"q{dead_pid()}"  # no marker: not the harness's
    stranger.mkdir()
    orphan = Hypervisor(dead, "hv1")
    try:
        orphan.up()
        orphan.spawn("agent", "sleep", "300")
        assert len(tagged_pids(prefix)) >= 3

        reaped = harness.reap_leftovers()

        assert any(line.startswith(prefix) for line in reaped), reaped
        assert not orphan.netns.exists()
        assert not dead.root.exists()
        assert not tagged_pids(prefix)
        assert stranger.is_dir()
        assert ours.netns.exists()
        assert ours.daemon_pid("ovs-vswitchd")
    finally:
        orphan.down()
        stranger.rmdir()


SIBLING = """
import sys
from tests.dataplane import harness

session = harness.Session.start()
harness.Hypervisor(session, "hv1").up()
print(session.prefix, flush=True)
sys.stdin.readline()
"""


def test_two_sessions_run_side_by_side(lab: Lab) -> None:
    """What the parallel workers of one run (pytest -n) are: another process's
    session, with a hypervisor and a bridge of the same names as this one's, lives
    beside it; the reaper leaves it alone while it runs and reaps it once it died."""
    ours = lab.hypervisor("hv1")
    sibling = subprocess.Popen(  # noqa: S603  # NOTE: our own interpreter and script
        [sys.executable, "-c", SIBLING],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(harness.REPO)),
    )
    prefix = f"q{sibling.pid}"
    theirs = Hypervisor(Session(prefix, harness.BASE / prefix), "hv1")
    try:
        assert sibling.stdout is not None
        assert sibling.stdout.readline().strip() == prefix
        assert (theirs.netns.name, theirs.dir) != (ours.netns.name, ours.dir)
        for hv in (ours, theirs):
            hv.vsctl(
                "add-br", "br-t", "--", "set", "Bridge", "br-t", "datapath_type=netdev"
            )
            assert "NORMAL" in hv.ofctl("dump-flows", "br-t")

        reaped = harness.reap_leftovers()

        assert not [line for line in reaped if line.startswith(prefix)], reaped
        assert theirs.netns.exists()
        assert theirs.daemon_pid("ovs-vswitchd")
        assert tagged_pids(prefix)

        sibling.kill()  # control: once it crashed, its leftovers are reaped
        sibling.wait(10)
        reaped = harness.reap_leftovers()

        assert any(line.startswith(prefix) for line in reaped), reaped
        assert not theirs.netns.exists()
        assert not tagged_pids(prefix)
        assert ours.netns.exists()
        assert ours.daemon_pid("ovs-vswitchd")
        assert "NORMAL" in ours.ofctl("dump-flows", "br-t")
    finally:
        sibling.kill()
        sibling.wait(10)
        theirs.down()


def test_an_agent_in_a_hypervisor_reaches_a_server_on_the_host(lab: Lab) -> None:
    hv = lab.hypervisor("hv1")
    with socket.create_server(("127.0.0.1", 0)) as server:
        host_port = server.getsockname()[1]
        local = hv.forward_host_port(host_port, local_port=9696)
        server.settimeout(10)
        client = [
            sys.executable, "-c",
            "import socket; c = socket.create_connection(('127.0.0.1', 9696), 5);"
            "c.sendall(b'hello'); print(c.recv(100).decode())",
        ]  # fmt: skip
        done: list[str] = []
        thread = threading.Thread(
            target=lambda: done.append(hv.exec(*client).stdout.strip())
        )
        thread.start()
        conn, _ = server.accept()
        with conn:
            assert conn.recv(100) == b"hello"
            conn.sendall(b"from the host")
        thread.join(10)
    assert local == 9696
    assert done == ["from the host"]


def test_wait_until_names_what_it_waited_for() -> None:
    assert wait_until(lambda: 42, timeout=0.1) == 42
    with pytest.raises(TimeoutError, match="flows installed"):
        wait_until(lambda: False, timeout=0.1, message=lambda: "flows installed")


def test_a_failing_command_reports_its_stderr() -> None:
    with pytest.raises(harness.CommandFailed, match="no-such-dev0.*does not exist"):
        harness.run(["ip", "link", "show", "dev", "no-such-dev0"])


BURST = """
import time
print("ready", flush=True)
time.sleep(0.3)
print("one\\ntwo\\nthr", end="", flush=True)
time.sleep(3)
print("ee", flush=True)
time.sleep(60)
"""


def test_readline_gives_every_line_of_a_burst(tmp_path: Path) -> None:
    process = harness.Process(
        [sys.executable, "-c", BURST], tmp_path / "burst.log", dict(os.environ),
        stdout_pipe=True,
    )  # fmt: skip
    try:
        assert process.readline(10) == "ready\n"
        time.sleep(0.8)
        # NOTE: both lines came in one write: a buffered readline returned the
        # first and then waited on the empty pipe for more
        assert [process.readline(1), process.readline(1)] == ["one\n", "two\n"]
        with pytest.raises(TimeoutError):  # half a line so far
            process.readline(0.1)
        assert process.readline(5) == "three\n"
        with pytest.raises(TimeoutError):
            process.readline(0.1)
    finally:
        process.stop()


# ------------------------------------------------------------------ the machine lock

HOLD = """
import fcntl, sys, time
with open(sys.argv[1]) as lock:
    fcntl.flock(lock, fcntl.LOCK_EX)
    print("held", flush=True)
    time.sleep(60)
"""

UNDER_OUTER_LOCK = """
import subprocess, sys
from pathlib import Path
from tests.dataplane import harness

path = Path(sys.argv[1])
with harness.machine_lock(path, waiting=lambda m: sys.exit(f"waited: {m}")) as how:
    print(how)
    print(subprocess.run(["flock", "-n", str(path), "true"]).returncode)
"""


def lock_is_free(path: Path) -> bool:
    return harness.run(["flock", "-n", str(path), "true"], check=False).returncode == 0


def test_the_tier_holds_the_machine_lock_while_it_runs(tmp_path: Path) -> None:
    assert lock_is_free(tmp_path / "unheld.lock")  # control: flock -n can succeed
    assert not lock_is_free(harness.MACHINE_LOCK)
    holders = set(harness.lock_holders(harness.MACHINE_LOCK))
    assert holders & set(harness._lineage()), holders  # this run, or its flock(1)


def test_machine_lock_keeps_other_runs_out_until_released(tmp_path: Path) -> None:
    path = tmp_path / "dataplane.lock"
    assert lock_is_free(path)
    with harness.machine_lock(path) as how:
        assert how == "taken"
        assert not lock_is_free(path)
    assert lock_is_free(path)


def test_machine_lock_waits_for_another_run_and_names_it(tmp_path: Path) -> None:
    path = tmp_path / "dataplane.lock"
    path.touch()
    holder = subprocess.Popen(  # noqa: S603  # NOTE: our own interpreter and script
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        messages: list[str] = []
        entered = threading.Event()

        def enter() -> None:
            with harness.machine_lock(path, waiting=messages.append):
                entered.set()

        thread = threading.Thread(target=enter, daemon=True)
        thread.start()
        wait_until(lambda: messages, timeout=5, message="machine_lock says it waits")
        assert f"held by pid {holder.pid} ({sys.executable} -c" in messages[0]
        assert not entered.wait(0.5)  # a sibling's lock is never taken over
        holder.kill()
        assert entered.wait(5)  # control: it is taken as soon as it is free
        thread.join(5)
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize(
    "outer",
    [
        pytest.param(["flock", "{lock}"], id="flock"),
        pytest.param(["flock", "-o", "{lock}"], id="flock-o"),
        # the shell holds it on fd 9, the child does not inherit fd 9, and the
        # flock(1) that took it has exited
        pytest.param(
            ["sh", "-c", 'exec 9<"$0"; flock 9; "$@" 9<&-', "{lock}"],
            id="shell-fd",
        ),
    ],
)
def test_machine_lock_under_an_outer_flock_does_not_wait_for_itself(
    tmp_path: Path, outer: list[str]
) -> None:
    path = tmp_path / "dataplane.lock"
    path.touch()
    argv = [part.format(lock=path) for part in outer]
    done = harness.run(
        [*argv, sys.executable, "-c", UNDER_OUTER_LOCK, str(path)],
        timeout=30,
        env=dict(os.environ, PYTHONPATH=str(harness.REPO)),
    )
    how, other_run = done.stdout.splitlines()
    assert how.startswith("held by pid "), how
    assert other_run == "1"  # still exclusive for everyone else
    assert lock_is_free(path)  # and released with the outer flock
