# SPDX-License-Identifier: Apache-2.0
"""``quantum-dhcp-agent``'s options: read, checked, documented."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from quantum.agent.config import AgentConfigError
from quantum.agent.dhcp.main import Options, load_options, main

REPO = Path(__file__).resolve().parents[4]
DOC = REPO / "docs" / "configuration.md"
SAMPLE = REPO / "etc" / "dhcp_agent.ini"
HEADING = "## The DHCP agent: `dhcp_agent.ini` `[DEFAULT]`"


def _ini(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "dhcp_agent.ini"
    path.write_text("[DEFAULT]\n" + body)
    return path


def test_options_are_read_from_the_default_section(tmp_path: Path) -> None:
    options = load_options(
        _ini(
            tmp_path,
            "agent_secret = s\nhost = net1\ndhcp_domain = example.org\n"
            "dhcp_lease_time = 600\nstate_path = /srv/q\npoll_wait = 2\n",
        )
    )
    assert options.host == "net1"
    assert options.dhcp_domain == "example.org"
    assert options.dhcp_lease_time == 600
    assert options.state_path == "/srv/q"
    assert options.poll_wait == 2.0
    assert options.namespace_prefix == "qdhcp-"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "agent_secret is required"),
        ("agent_secret = s\nfoo = 1\n", "unknown option foo"),
        ("agent_secret = s\ndhcp_lease_time = x\n", "dhcp_lease_time in [DEFAULT]"),
        ("agent_secret = s\ndhcp_lease_time = 60\n", "at least 120"),
        ("agent_secret = s\nnamespace_prefix =\n", "namespace_prefix must not"),
    ],
)
def test_mistakes_name_the_option(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(AgentConfigError, match=re.escape(message)):
        load_options(_ini(tmp_path, body))


def test_a_bad_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config-file", str(tmp_path / "missing.ini")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_every_option_is_documented_and_in_the_sample() -> None:
    text = DOC.read_text()
    section = text[text.index(HEADING) :]
    section = section[: section.index("\n## ", len(HEADING))]
    rows = re.findall(r"^\| `\[DEFAULT\] (\w+)` \| ([^|]+) \|", section, re.M)
    assert {name for name, _ in rows} == set(Options.__dataclass_fields__)
    sample = SAMPLE.read_text()
    assert "[DEFAULT]" in sample
    for name in ("server_url", "agent_secret", "dhcp_lease_time"):
        assert name in sample


def test_help_and_a_mistake_from_the_command(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "default"}
    script = str(REPO / "bin" / "quantum-dhcp-agent")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603  # NOTE: our own script
            [sys.executable, script, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=False,
        )

    done = run("--help")
    assert done.returncode == 0
    assert done.stdout.startswith("usage: quantum-dhcp-agent")
    assert done.stderr == ""
    path = _ini(tmp_path, "agent_secret = s\nfoo = 1\n")
    done = run("--config-file", str(path))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"quantum-dhcp-agent: [DEFAULT] of {path}: unknown option foo"
    ]
