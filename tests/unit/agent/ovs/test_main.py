# SPDX-License-Identifier: Apache-2.0
"""quantum-openvswitch-agent: its [AGENT] options, and that the docs list them."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from quantum.agent.config import AgentConfigError
from quantum.agent.ovs import main as agent_main
from quantum.agent.ovs.main import Options, load_options, main, until_ready
from quantum.agent.ovs.model import TunnelType

REPO = Path(__file__).resolve().parents[4]
DOC = REPO / "docs" / "configuration.md"
INI = REPO / "etc/quantum/plugins/openvswitch/ovs_quantum_plugin.ini"


def _ini(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "ovs.ini"
    path.write_text("[OVS]\ntenant_network_type = vxlan\n[AGENT]\n" + body)
    return path


def test_options_are_read_from_the_agent_section(tmp_path: Path) -> None:
    path = _ini(
        tmp_path,
        "agent_secret = s\nhost = hv1\nlocal_ip = 192.0.2.1\n"
        "tunnel_types = vxlan, gre\nbridge_mappings = physnet1:br-eth1\n"
        "datapath_type = netdev\nopenflow_listen_port = 6655\npoll_wait = 2\n",
    )

    options = load_options(path)

    assert options.host == "hv1"
    assert options.tunnel_types == {TunnelType.VXLAN, TunnelType.GRE}
    assert options.bridges.names == ("br-int", "br-tun", "br-eth1")
    assert options.bridges.datapath_type == "netdev"
    assert options.openflow_listen_port == 6655
    assert options.poll_wait == 2.0
    assert options.firewall_driver == "openvswitch"


def test_without_tunnels_there_is_no_tunnel_bridge(tmp_path: Path) -> None:
    options = load_options(_ini(tmp_path, "agent_secret = s\n"))
    assert options.bridges.names == ("br-int",)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("agent_secret = s\ncolour = blue\n", "unknown option colour"),
        ("", "agent_secret is required"),
        ("agent_secret = s\ntunnel_types = vxlan\n", "tunnel_types needs local_ip"),
        ("agent_secret = s\ntunnel_types = ipip\n", "tunnel_types in [AGENT]"),
        ("agent_secret = s\nbridge_mappings = physnet1\n", "'physnet1' is not"),
        ("agent_secret = s\nopenflow_listen_port = x\n", "openflow_listen_port in"),
        ("agent_secret = s\nfirewall_driver = iptables\n", "'iptables' is not one"),
    ],
)
def test_mistakes_name_the_option(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(AgentConfigError, match=re.escape(message)):
        load_options(_ini(tmp_path, body))


def test_a_bad_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config-file", str(tmp_path / "missing.ini")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_every_agent_option_is_documented_with_its_default() -> None:
    rows = dict(
        re.findall(r"^\| `\[AGENT\] (\w+)` \| ([^|]+) \|", DOC.read_text(), re.M)
    )
    assert set(rows) == set(Options.__dataclass_fields__)


def test_the_shipped_file_has_an_agent_section() -> None:
    assert "[AGENT]" in INI.read_text()


def _agent(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "default"}
    return subprocess.run(  # noqa: S603  # NOTE: our own script
        [sys.executable, str(REPO / "bin" / "quantum-openvswitch-agent"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_help_prints_only_the_usage() -> None:
    done = _agent("--help")
    assert done.returncode == 0
    assert done.stdout.startswith("usage: quantum-openvswitch-agent")
    assert done.stderr == ""


def test_a_configuration_mistake_is_one_line(tmp_path: Path) -> None:
    done = _agent("--config-file", str(_ini(tmp_path, "agent_secret = s\nfoo = 1\n")))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"quantum-openvswitch-agent: [AGENT] of {tmp_path / 'ovs.ini'}: "
        "unknown option foo"
    ]


def test_the_ovs_library_is_what_made_help_noisy() -> None:
    # NOTE: positive control for the two tests above: importing the OVSDB side (as
    # --help did before) does print the library's warning in this environment.
    done = subprocess.run(  # noqa: S603  # NOTE: our own interpreter
        [sys.executable, "-c", "import quantum.agent.ovs.ovsdb"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "default"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert "Eventlet is deprecated" in done.stderr


def test_a_switch_not_answering_yet_is_waited_for_not_a_reason_to_exit(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Start-up's OVSDB calls retry with the loop's back-off, saying why, until the
    switch answers (the agent exited on the first error: a restart on a loaded host
    or before ovsdb-server left every port of the host in the dead VLAN)."""
    monkeypatch.setattr(agent_main, "RETRY_MIN", 0.01)
    answers: list[object] = [OSError("no such socket"), TimeoutError("slow"), "idl"]

    def connect() -> object:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    with caplog.at_level(logging.WARNING):
        got = until_ready(connect, "OVSDB at unix:db.sock", threading.Event())
    assert got == "idl"
    said = [r.getMessage() for r in caplog.records]
    assert said == [
        "OVSDB at unix:db.sock: no such socket; trying again in 0.0 s",
        "OVSDB at unix:db.sock: slow; trying again in 0.0 s",
    ]


def test_a_stop_ends_the_wait_for_the_switch() -> None:
    stop = threading.Event()

    def connect() -> None:
        stop.set()  # NOTE: SIGTERM while the switch does not answer
        raise OSError("refused")

    assert until_ready(connect, "OVSDB", stop) is None
