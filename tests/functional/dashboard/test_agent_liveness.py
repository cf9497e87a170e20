# SPDX-License-Identifier: Apache-2.0
"""The agents page shows an agent's liveness as the API computes it: alive while it
reports, dead once ``agent_down_time`` passes without a heartbeat (a real server
with ``agent_down_time = 4``; see conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from quantum.agentapi.ovs import messages as msg
from quantum.agentapi.ovs.client import OvsClient
from quantum.testing.server import ServerProcess
from tests.functional.dashboard.conftest import AGENT_SECRET, start_server
from tests.functional.dashboard.test_browser import LIVE, call
from tests.functional.dashboard.test_pages import log_in, open_page

DOWN_TIME = 4
"""s: agent_down_time of this module's server."""


@pytest.fixture
def quantum_server(tmp_path: Path) -> Iterator[ServerProcess]:
    server = start_server(
        tmp_path / "server", "noauth", f"agent_down_time = {DOWN_TIME}\n"
    )
    yield server
    server.stop(timeout=15)


def heartbeat(server: ServerProcess) -> None:
    """The Open vSwitch agent of host h7 registers (its heartbeat)."""
    agent = OvsClient(f"http://127.0.0.1:{server.port}", host="h7", secret=AGENT_SECRET)
    try:
        agent.register(msg.HostReport(tunnel_ip=None))
    finally:
        agent.close()


def test_an_agent_that_stops_reporting_shows_dead(
    page: Any, quantum_server: ServerProcess
) -> None:
    heartbeat(quantum_server)
    log_in(page, admin=True)
    open_page(page, "Agents")
    (listed,) = call(quantum_server, "GET", "/v2.0/agents", project="")[1]["agents"]
    row = page.locator(f"#agent-{listed['id']}")
    expect(row).to_contain_text("h7")
    # Positive control: right after a heartbeat the page shows it alive (the poll
    # comes within LIVE, well inside agent_down_time).
    heartbeat(quantum_server)
    expect(row.locator(".alive")).to_have_text("alive", timeout=LIVE)
    page.shots.take("agent-alive")
    # No heartbeat since: the poll shows it dead, no reload; the API agrees.
    expect(row.locator(".alive")).to_have_text("dead", timeout=(DOWN_TIME + 3) * 1000)
    shown = call(quantum_server, "GET", f"/v2.0/agents/{listed['id']}", project="")
    assert shown[1]["agent"]["alive"] is False
    page.shots.take("agent-dead")
