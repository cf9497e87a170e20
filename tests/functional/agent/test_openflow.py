# SPDX-License-Identifier: Apache-2.0
"""The agent's os-ken app against a real ovs-vswitchd (userspace datapath).

A network namespace holds ovsdb-server, ovs-vswitchd and the controller (as a child
process: os-ken's threads cannot be stopped); the bridge is secure, OpenFlow 1.3
only, and connects to the controller on 127.0.0.1 inside the namespace. Flows are
checked with ``ovs-ofctl`` on the bridge's management socket, independently of
os-ken. Needs root and Open vSwitch; skips locally without them, fails in CI.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from quantum.agent.ovs import tables
from quantum.agent.ovs.bridges import integration, tunnel
from quantum.agent.ovs.flows import Flow, Match, Normal, Output, render_table
from quantum.agent.ovs.model import TunnelType
from quantum.testing.ofcontroller import decode_flow, encode_flow
from tests.conftest import unavailable

BRIDGE = "br-of"
OF_PORT = 6653
TOOLS = ("ovsdb-tool", "ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ovs-ofctl", "ip")
SCHEMA = Path("/usr/share/openvswitch/vswitch.ovsschema")


def _tool(name: str) -> str:
    return shutil.which(name) or name


def _run(tool: str, *args: str, check: bool = True, **kwargs: Any) -> str:
    done: subprocess.CompletedProcess[str] = subprocess.run(  # noqa: S603 - known tools, arguments made by the test
        [_tool(tool), *args],
        check=check,
        capture_output=True,
        text=True,
        timeout=20,
        **kwargs,
    )
    return done.stdout


def _alive(pid: int) -> bool:
    """Daemons are reparented to PID 1, which may reap late: a zombie is dead."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


@dataclass
class Switch:
    netns: str
    rundir: Path
    controller: subprocess.Popen[str]

    @property
    def db(self) -> str:
        return f"unix:{self.rundir}/db.sock"

    def vsctl(self, *args: str) -> str:
        return _run("ovs-vsctl", f"--db={self.db}", "--timeout=10", *args)

    def ofctl(self, *args: str) -> str:
        mgmt = f"unix:{self.rundir}/{BRIDGE}.mgmt"
        return _run("ovs-ofctl", "-O", "OpenFlow13", args[0], mgmt, *args[1:])

    def call(self, **request: Any) -> dict[str, Any]:
        assert self.controller.stdin is not None
        assert self.controller.stdout is not None
        self.controller.stdin.write(json.dumps(request) + "\n")
        self.controller.stdin.flush()
        reply: dict[str, Any] = json.loads(self.controller.stdout.readline())
        assert reply["ok"], reply
        return reply

    def install(self, flows: list[Flow]) -> tuple[set[Flow], int]:
        reply = self.call(
            op="install", bridge=BRIDGE, flows=[encode_flow(f) for f in flows]
        )
        return {decode_flow(f) for f in reply["add"]}, len(reply["delete"])

    def dumped(self) -> list[tuple[int, float, str]]:
        """(cookie, age in seconds, flow text) per flow, as ovs-ofctl shows them."""
        rows = []
        for line in self.ofctl("dump-flows").splitlines():
            found = re.match(
                r"\s*cookie=(0x[0-9a-f]+), duration=([0-9.]+)s, (.*)", line
            )
            if found is None:
                continue
            text = re.sub(r" ?(n_packets|n_bytes)=\d+,", "", found.group(3))
            rows.append((int(found.group(1), 16), float(found.group(2)), text.strip()))
        return rows


def _start(netns: str, rundir: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "OVS_RUNDIR": str(rundir), "OVS_LOGDIR": str(rundir)}
    db = f"unix:{rundir}/db.sock"
    _run("ovsdb-tool", "create", f"{rundir}/conf.db", str(SCHEMA))
    common = ["--detach", "--no-chdir", "-vconsole:off"]
    _run(
        "ip", "netns", "exec", netns, "ovsdb-server", f"{rundir}/conf.db",
        f"--remote=punix:{rundir}/db.sock", f"--pidfile={rundir}/ovsdb-server.pid",
        f"--unixctl={rundir}/ovsdb-server.ctl", f"--log-file={rundir}/ovsdb-server.log",
        *common, env=env,
    )  # fmt: skip
    _run("ovs-vsctl", f"--db={db}", "--no-wait", "init")
    _run(
        "ip", "netns", "exec", netns, "ovs-vswitchd", db, "--disable-system",
        f"--pidfile={rundir}/ovs-vswitchd.pid", f"--unixctl={rundir}/ovs-vswitchd.ctl",
        f"--log-file={rundir}/ovs-vswitchd.log", *common, env=env,
    )  # fmt: skip
    controller = subprocess.Popen(  # noqa: S603 - our own module in the test netns
        [
            _tool("ip"),
            "netns",
            "exec",
            netns,
            sys.executable,
            "-m",
            "quantum.testing.ofcontroller",
            "127.0.0.1",
            str(OF_PORT),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=(rundir / "controller.log").open("w"),
        text=True,
        start_new_session=True,
    )
    assert controller.stdout is not None
    ready = controller.stdout.readline()
    assert json.loads(ready or "{}").get("ready"), (
        rundir / "controller.log"
    ).read_text()
    return controller


def _stop(netns: str, rundir: Path, controller: subprocess.Popen[str] | None) -> None:
    if controller is not None:
        os.killpg(controller.pid, signal.SIGTERM)
        try:
            controller.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(controller.pid, signal.SIGKILL)
            controller.wait(timeout=5)
    for daemon in ("ovs-vswitchd", "ovsdb-server"):
        pidfile = rundir / f"{daemon}.pid"
        if pidfile.exists():
            pid = int(pidfile.read_text())
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(100):
                if not _alive(pid):
                    break
                time.sleep(0.02)
    _run("ip", "netns", "del", netns, check=False)
    shutil.rmtree(rundir, ignore_errors=True)


@pytest.fixture(scope="module")
def switch() -> Iterator[Switch]:
    if os.geteuid() != 0:
        unavailable("needs root (network namespaces, ovs-vswitchd)")
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing or not SCHEMA.exists():
        unavailable(f"Open vSwitch is not installed (missing {missing or SCHEMA})")
    netns = f"qof{os.getpid()}"
    rundir = Path(tempfile.mkdtemp(prefix="qof"))
    controller = None
    try:
        _run("ip", "netns", "add", netns)
        _run("ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up")
        controller = _start(netns, rundir)
        sw = Switch(netns=netns, rundir=rundir, controller=controller)
        sw.vsctl(
            "add-br", BRIDGE,
            "--", "set", "bridge", BRIDGE, "datapath_type=netdev", "fail_mode=secure",
            "protocols=OpenFlow13",
            "--", "set-controller", BRIDGE, f"tcp:127.0.0.1:{OF_PORT}",
            "--", "set", "controller", BRIDGE, "connection-mode=out-of-band",
        )  # fmt: skip
        sw.call(op="wait", bridge=BRIDGE, timeout=10)
        yield sw
    finally:
        _stop(netns, rundir, controller)


PATCH, GRE_A, GRE_B, VXLAN_A = 1, 10, 11, 12


def _first_set() -> list[Flow]:
    return [
        *tunnel.base(PATCH, [(GRE_A, TunnelType.GRE), (VXLAN_A, TunnelType.VXLAN)]),
        tunnel.outbound(1, 1001, [GRE_A]),
        tunnel.inbound(TunnelType.GRE, 1001, 1, PATCH),
        tunnel.inbound(TunnelType.VXLAN, 5001, 2, PATCH),
        integration.physnet_inbound(3, None, 4),
        integration.physnet_inbound(3, 200, 5),
    ]


def _second_set() -> list[Flow]:
    flows = _first_set()
    flows.remove(tunnel.inbound(TunnelType.VXLAN, 5001, 2, PATCH))
    flows.remove(tunnel.outbound(1, 1001, [GRE_A]))
    return [
        *flows,
        tunnel.outbound(1, 1001, [GRE_A, GRE_B]),  # same key, new actions
        Flow(table=0, priority=1, match=Match(in_port=GRE_B), actions=(Normal(),)),
    ]


def test_install_dump_and_replace_by_cookie(switch: Switch) -> None:
    first = _first_set()
    added, deleted = switch.install(first)
    assert added == set(first)
    assert deleted == 0

    rows = switch.dumped()
    assert {cookie for cookie, _, _ in rows} == {tables.AGENT_COOKIE}
    assert sorted(text for _, _, text in rows) == sorted(
        render_table(first).splitlines()
    )
    dumped = switch.call(op="dump", bridge=BRIDGE, cookie=tables.AGENT_COOKIE)
    assert {decode_flow(item["flow"]) for item in dumped["flows"]} == set(first)

    # a flow left by someone else (another cookie) is swept on the next install
    switch.ofctl("add-flow", "cookie=0x1,table=7,priority=7,actions=drop")
    time.sleep(1.6)
    second = _second_set()
    added, deleted = switch.install(second)
    assert added == set(second) - set(first)
    assert deleted == 2  # the VXLAN inbound flow and the foreign one

    rows = switch.dumped()
    assert {cookie for cookie, _, _ in rows} == {tables.AGENT_COOKIE}
    assert sorted(text for _, _, text in rows) == sorted(
        render_table(second).splitlines()
    )
    fresh = {flow.render() for flow in added}
    for _, age, text in rows:
        # flows present in both sets were left alone: they kept their age
        assert (age < 1.5) is (text in fresh), (text, age)

    assert switch.install(second) == (set(), 0)


def test_a_refused_flow_is_reported_and_nothing_is_deleted(switch: Switch) -> None:
    before = sorted(text for _, _, text in switch.dumped())
    bad = Flow(table=0, priority=1, actions=(Output(0xFFFFFFFF),))  # OFPP_ANY
    reply_text = json.dumps(
        {"op": "install", "bridge": BRIDGE, "flows": [encode_flow(bad)]}
    )
    assert switch.controller.stdin is not None
    assert switch.controller.stdout is not None
    switch.controller.stdin.write(reply_text + "\n")
    switch.controller.stdin.flush()
    reply = json.loads(switch.controller.stdout.readline())
    assert reply["ok"] is False
    assert "OpenFlowError" in reply["error"]
    # the adds failed, so the deletes that would have followed were never sent
    assert sorted(text for _, _, text in switch.dumped()) == before


def test_thousands_of_flows_are_replaced_in_parts(switch: Switch) -> None:
    """More than one part (``openflow.BATCH``, 1,000) of adds and of deletes:
    every part confirmed by the real switch, and the table ends exactly right."""
    first = [integration.isolate_port(port) for port in range(1, 2501)]
    added, _ = switch.install(first)  # NOTE: sweeps the earlier tests' flows
    assert added == set(first)
    second = [integration.isolate_port(port) for port in range(2001, 4501)]
    added, deleted = switch.install(second)
    assert added == set(second) - set(first)
    assert deleted == 2000
    assert sorted(text for _, _, text in switch.dumped()) == sorted(
        render_table(second).splitlines()
    )
