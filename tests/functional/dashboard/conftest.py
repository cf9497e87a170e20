# SPDX-License-Identifier: Apache-2.0
"""A real quantum-server (noauth, Open vSwitch plugin and the L3 service plugin on
SQLite), quantum-dashboard in front of it, and headless Debian Chromium driven by
Playwright.

Chromium is Debian's package (``scripts/test`` installs it); Playwright is only the
driver, never asked to download a browser. Screenshots go to a temporary directory
printed in the test log and are copied under ``.artifacts/dashboard/`` (gitignored).
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from quantum.testing.client import write_config
from quantum.testing.server import REPO, ServerProcess, db_manage, free_port
from tests.conftest import unavailable

HOST = "127.0.0.1"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DASHBOARD = REPO / "bin" / "quantum-dashboard"
ARTIFACTS = REPO / ".artifacts" / "dashboard"
AGENT_SECRET = "dashboard-agents"
OVS_INI = "[OVS]\ntenant_network_type = vxlan\ntunnel_id_ranges = 1:100\n"


def start_server(directory: Path, strategy: str, extra: str = "") -> ServerProcess:
    """quantum-server with the Open vSwitch plugin (VXLAN tenant networks, agents
    report port status) and the L3 service plugin (routers, floating IPs) on SQLite;
    ``extra`` ends its config."""
    port = free_port(HOST)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "ovs.ini").write_text(OVS_INI)
    config = write_config(
        directory,
        bind_host=HOST,
        bind_port=port,
        core_plugin="openvswitch",
        core_plugin_config="ovs.ini",
        service_plugins="router",
        auth_strategy=strategy,
        agent_secret=AGENT_SECRET,
        log_file=directory / "quantum.log",
    )
    with config.open("a") as conf:
        conf.write(extra)
    done = db_manage(config, "upgrade", "head")
    assert done.returncode == 0, done.stderr
    server = ServerProcess(config, HOST, port)
    server.start()
    return server


@pytest.fixture
def quantum_server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = start_server(tmp_path / "server", "noauth")
    yield server
    server.stop(timeout=15)


@dataclass
class Dashboard:
    url: str
    process: subprocess.Popen[bytes]


def start_dashboard(api_url: str, log: Path, *options: str) -> Dashboard:
    port = free_port(HOST)
    with log.open("ab") as stderr:
        process = subprocess.Popen(  # noqa: S603  # NOTE: our own script
            [
                sys.executable,
                str(DASHBOARD),
                "--api-url",
                api_url,
                "--bind-port",
                str(port),
                *options,
            ],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            cwd=REPO,
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/")
            if conn.getresponse().status == 200:
                return Dashboard(f"http://{HOST}:{port}", process)
        except OSError:
            time.sleep(0.05)
        finally:
            conn.close()
    process.kill()
    raise RuntimeError(f"quantum-dashboard not ready: {log.read_text()}")


@pytest.fixture
def dashboard(quantum_server: ServerProcess, tmp_path: Path) -> Iterator[Dashboard]:
    running = start_dashboard(
        f"http://{HOST}:{quantum_server.port}", tmp_path / "dashboard.stderr"
    )
    yield running
    running.process.terminate()
    assert running.process.wait(15) == 0


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        unavailable("Playwright for Python is not installed (requirements-test.txt)")
    # NOTE: what the page shows after a click may wait on a busy machine (a shared
    # CI runner); the 2 s of a live change are asserted with their own timeout.
    expect.set_options(timeout=10_000)
    if not os.access(CHROMIUM, os.X_OK):
        unavailable(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS
        )
        yield launched
        launched.close()


class Screenshots:
    """Saves numbered screenshots in a temporary directory and under .artifacts/."""

    def __init__(self, page: Any, name: str) -> None:
        self.page = page
        self.directory = Path(tempfile.mkdtemp(prefix=f"dashboard-{name}-"))
        self.count = 0
        print(f"screenshots: {self.directory} and {ARTIFACTS / name}")  # noqa: T201

    def take(self, label: str) -> Path:
        self.count += 1
        path = self.directory / f"{self.count:02d}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def keep(self, name: str) -> None:
        target = ARTIFACTS / name
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(self.directory, target)


@pytest.fixture
def page(
    browser: Any, dashboard: Dashboard, request: pytest.FixtureRequest
) -> Iterator[Any]:
    context = browser.new_context(
        base_url=dashboard.url, viewport={"width": 1000, "height": 900}
    )
    opened = context.new_page()
    shots = Screenshots(opened, request.node.name)
    opened.shots = shots
    yield opened
    shots.take("end")
    shots.keep(request.node.name)
    context.close()
