# SPDX-License-Identifier: Apache-2.0
"""``GET /agent/v1/ports``: the compute service's wait for its ports to come up,
ended by the agent's status report (in this process or through another one), not
by the caller polling."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from quantum.testing.client import Client
from tests.api.agentapi.conftest import AUTH, Store, call, plugged_port


def _statuses(answer: Any) -> dict[str, str]:
    return {p["port_id"]: p["status"] for p in answer["ports"]}


def _report(client: Client, host: str, port_id: str, status: str) -> None:
    body = {"ports": [{"port_id": port_id, "status": status, "reason": ""}]}
    done = client.request("POST", f"/agent/v1/hosts/{host}/status", body, AUTH)
    assert done.status_int == 204, done.body


def _wait_in_thread(
    client: Client, query: str
) -> tuple[threading.Thread, dict[str, Any]]:
    answer: dict[str, Any] = {}

    def poll() -> None:
        answer["body"] = call(client, "GET", f"/ports?{query}")
        answer["at"] = time.monotonic()

    poller = threading.Thread(target=poll)
    poller.start()
    return poller, answer


@pytest.mark.parametrize("same_process", [True, False])
def test_the_wait_ends_when_the_agent_reports_the_last_port_up(
    store: Store, same_process: bool
) -> None:
    agent_side = store.app("agent")
    compute_side = agent_side if same_process else store.app("compute")
    _, first = plugged_port(agent_side, "vif-1")
    _, second = plugged_port(agent_side, "vif-2")
    _report(agent_side, "h1", first, "UP")

    poller, answer = _wait_in_thread(
        compute_side, f"id={first}&id={second}&until=UP&wait=20"
    )
    time.sleep(0.5)
    # control: one port up of two does not end the wait
    assert "body" not in answer
    _report(agent_side, "h1", second, "UP")
    reported = time.monotonic()
    poller.join(10)
    assert _statuses(answer["body"]) == {first: "UP", second: "UP"}
    # NOTE: woken at once in the same process, within REVISION_POLL (0.2 s) through
    # another; the bounds leave room for a loaded machine, far below the 20 s asked.
    assert answer["at"] - reported < (1.0 if same_process else 2.0)


def test_a_wait_answers_at_once_when_done_or_a_port_is_gone(app: Client) -> None:
    _, port = plugged_port(app, "vif-1")
    _report(app, "h1", port, "UP")
    began = time.monotonic()
    assert _statuses(call(app, "GET", f"/ports?id={port}&wait=20")) == {port: "UP"}
    gone = "0b8c3f7e-4a8b-4c7e-9d1e-2f3a4b5c6d7e"
    answer = call(app, "GET", f"/ports?id={port}&id={gone}&wait=20")
    assert _statuses(answer) == {port: "UP"}
    assert time.monotonic() - began < 2


def test_a_wait_times_out_with_the_statuses_as_they_are(app: Client) -> None:
    _, port = plugged_port(app, "vif-1")
    _, admin_down = plugged_port(app, "vif-2", state="DOWN")
    _report(app, "h1", admin_down, "UP")
    began = time.monotonic()
    answer = call(app, "GET", f"/ports?id={port}&id={admin_down}&wait=0.5")
    assert 0.5 <= time.monotonic() - began < 3
    # NOTE: admin-down reads DOWN whatever the agent said, as on v1 and v2.
    assert _statuses(answer) == {port: "DOWN", admin_down: "DOWN"}
    # and waiting for DOWN ends at once
    answer = call(app, "GET", f"/ports?id={port}&id={admin_down}&until=DOWN&wait=20")
    assert _statuses(answer) == {port: "DOWN", admin_down: "DOWN"}


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("", 400),
        ("id=&wait=1", 400),
        ("id=p&until=ACTIVE", 400),
        ("id=p&until=UNKNOWN", 400),
        ("id=p&wait=-1", 400),
        ("id=p&wait=soon", 400),
        ("&".join(f"id=p{i}" for i in range(101)), 400),
    ],
)
def test_bad_waits_are_refused(app: Client, query: str, status: int) -> None:
    response = app.request("GET", f"/agent/v1/ports?{query}", headers=AUTH)
    assert response.status_int == status, response.body
    assert response.json["error"]


def test_the_wait_needs_the_secret(app: Client) -> None:
    _, port = plugged_port(app, "vif-1")
    assert app.request("GET", f"/agent/v1/ports?id={port}").status_int == 401
    assert (
        app.request("POST", f"/agent/v1/ports?id={port}", headers=AUTH).status_int
        == 405
    )
