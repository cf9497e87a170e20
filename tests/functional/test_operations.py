# SPDX-License-Identifier: Apache-2.0
"""docs/operations.md works as printed: its install commands (a fresh virtualenv and
``pip install`` of this checkout), its edits of ``quantum.conf`` and of the plugin's
file, the schema commands and the server's start, with /opt, /etc and /var/lib moved
under a temporary directory and the port made free."""

from __future__ import annotations

import http.client
import json
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from quantum.testing import markdown
from quantum.testing.markdown import blocks
from quantum.testing.server import free_port

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "operations.md").read_text()
HOST = "127.0.0.1"


def section(title: str) -> str:
    return markdown.section(DOC, title)


@dataclass
class Installed:
    root: Path
    prelude: str  # NOTE: the install block's last line, `export PATH=...`

    def place(self, text: str) -> str:
        """``text`` with the printed directories moved under ``root``."""
        for printed in ("/opt/quantum", "/etc/quantum", "/var/lib/quantum"):
            text = text.replace(printed, f"{self.root}{printed}")
        return text

    def sh(self, block: str, timeout: float = 60) -> list[str]:
        done = subprocess.run(  # noqa: S603  # NOTE: the document's own commands
            ["bash", "-e", "-u", "-o", "pipefail", "-c", self.place(block)],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            cwd=REPO,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.splitlines()

    @property
    def conf(self) -> Path:
        return Path(self.place("/etc/quantum/quantum.conf"))

    @property
    def plugin_ini(self) -> Path:
        return Path(
            self.place("/etc/quantum/plugins/openvswitch/ovs_quantum_plugin.ini")
        )


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    (block,) = blocks(section("Install"), "sh")
    root = tmp_path_factory.mktemp("operations")
    prelude = block.strip().splitlines()[-1]
    assert prelude.startswith("export PATH=")
    done = Installed(root, prelude)
    done.sh(block, timeout=900)  # NOTE: pip builds and installs; 30-120 s here
    return done


def apply_edit(path: Path, snippet: str) -> None:
    """Set each ``key = value`` of the printed ini ``snippet`` in its section of
    ``path``, replacing the line that sets it, as an operator's editor would."""
    lines = path.read_text().splitlines()
    section = None
    for raw in snippet.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
            assert section in lines, f"{section} not in {path}"
            continue
        key = line.split("=", 1)[0].strip()
        start = lines.index(str(section)) + 1
        end = next(
            (i for i in range(start, len(lines)) if lines[i].startswith("[")),
            len(lines),
        )
        found = [i for i in range(start, end) if re.match(rf"{key}\s*=", lines[i])]
        if found:
            lines[found[0]] = line
        else:
            lines.insert(start, line)
    path.write_text("\n".join(lines) + "\n")


def request(port: int, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        headers = {"Content-Type": "application/json"}
        conn.request(method, path, json.dumps(body) if body else None, headers)
        response = conn.getresponse()
        raw = response.read()
        is_json = response.getheader("Content-Type", "").startswith("application/json")
        return response.status, json.loads(raw) if is_json else raw
    finally:
        conn.close()


@pytest.fixture
def server_command(installed: Installed) -> str:
    """The Run section's command, with the edits of the Install section made."""
    (conf_edit, plugin_edit) = blocks(section("Install"), "ini")
    apply_edit(installed.conf, installed.place(conf_edit))
    apply_edit(installed.plugin_ini, plugin_edit)
    port = free_port(HOST)
    apply_edit(installed.conf, f"[DEFAULT]\nbind_host = {HOST}\nbind_port = {port}\n")
    (run,) = blocks(section("Run"), "sh")
    return f"{installed.prelude}\nexec {run.strip()}"


def start(installed: Installed, command: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603  # NOTE: the document's own command
        ["bash", "-c", installed.place(command)],  # noqa: S607
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd="/",
    )


def test_install_configure_upgrade_and_run_as_printed(
    installed: Installed, server_command: str
) -> None:
    conf = installed.conf.read_text()
    port = int(re.findall(r"^bind_port = (\d+)$", conf, re.M)[0])
    for block in blocks(section("Create or upgrade the schema"), "sh"):
        lines = installed.sh(f"{installed.prelude}\n{block}")
        # upgrade prints nothing new; current prints the revision, check nothing
        assert any(re.search(r"\b\d{4}\b", line) for line in lines), lines
    server = start(installed, server_command)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()[1]
            try:
                if request(port, "GET", "/healthcheck")[0] == 200:
                    break
            except OSError:
                assert time.monotonic() < deadline, "not listening after 60 s"
            time.sleep(0.1)
        status, body = request(
            port, "POST", "/v2.0/networks", {"network": {"tenant_id": "demo"}}
        )
        assert status == 201, body
        # the plugin read the copied ini and its printed edit
        assert body["network"]["provider:network_type"] == "vxlan"
        assert 1 <= body["network"]["provider:segmentation_id"] <= 1000
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr


def test_the_server_refuses_to_start_without_the_plugin_file(
    installed: Installed, server_command: str
) -> None:
    moved = installed.plugin_ini.with_suffix(".moved")
    installed.plugin_ini.rename(moved)
    try:
        server = start(installed, server_command)
        try:
            _, stderr = server.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()
            raise AssertionError("the server started without its plugin file") from None
    finally:
        moved.rename(installed.plugin_ini)
    assert server.returncode == 2, stderr
    assert "core_plugin = openvswitch needs ovs_quantum_plugin.ini" in stderr
    assert str(installed.plugin_ini) in stderr
