# SPDX-License-Identifier: Apache-2.0
"""The workers of one server (``api_workers = 2``) wake each other's long-polls: an
agent following the change feed through one worker sees a write made through the
other at once, not on the next re-read of the store (``REVISION_POLL``); also after
the supervisor has replaced a worker that died.

The server runs with ``REVISION_POLL`` raised to 5 s so the two cases are far apart;
the control (wake-ups switched off, ``quantum.wakeups.ENABLED``) shows that the same
steps do make writes through the other worker, which then wait for the re-read."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from ipaddress import ip_address
from pathlib import Path

import pytest

from quantum.agentapi.ovs import messages as msg
from quantum.agentapi.ovs.client import OvsClient
from quantum.testing.client import write_config
from quantum.testing.server import ServerProcess, db_manage, free_port

HOST = "127.0.0.1"
SECRET = "s3cret"
OVS_INI = "[OVS]\ntenant_network_type = vxlan\ntunnel_id_ranges = 1:100\n"
POLL = 5.0
"""The server's REVISION_POLL here: how late a write is seen without a wake-up."""
PROMPT = 1.0
"""A wake-up's bound, generous for a loaded machine; far below POLL."""
TRIALS = 8


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[[bool], ServerProcess]]:
    started: list[ServerProcess] = []

    def make(wakeups: bool) -> ServerProcess:
        (tmp_path / "ovs.ini").write_text(OVS_INI)
        port = free_port(HOST)
        config = write_config(
            tmp_path,
            bind_host=HOST,
            bind_port=port,
            core_plugin="openvswitch",
            core_plugin_config="ovs.ini",
            sql_connection=f"sqlite:///{tmp_path / 'quantum.sqlite'}",
            agent_secret=SECRET,
            api_workers=2,
            shutdown_timeout=5,
        )
        done = db_manage(config, "upgrade", "head")
        assert done.returncode == 0, done.stderr
        server = ServerProcess(
            config,
            HOST,
            port,
            prelude=(
                "import quantum.db.session as s\n"
                f"s.REVISION_POLL = {POLL}\n"
                f"import quantum.wakeups; quantum.wakeups.ENABLED = {wakeups}"
            ),
        )
        started.append(server)
        server.start()
        return server

    yield make
    for server in started:
        server.stop(timeout=15)


def delays(server: ServerProcess, trials: int, stop_after: float) -> list[float]:
    """Seconds from each write's answer to the end of the long-poll it ends; each
    write on a new connection (so on either worker), the poll parked first."""
    agent = OvsClient(f"http://{HOST}:{server.port}", host="h1", secret=SECRET)
    since = agent.register(msg.HostReport(tunnel_ip=ip_address("192.0.2.1")))
    seen: list[float] = []
    for trial in range(trials):
        woke: dict[str, float] = {}

        def poll(since: int = since, woke: dict[str, float] = woke) -> None:
            woke["revision"] = agent.changes(since, wait=2 * POLL)
            woke["at"] = time.monotonic()

        poller = threading.Thread(target=poll)
        poller.start()
        time.sleep(0.3)  # NOTE: the poll has read the revision and waits
        assert "revision" not in woke
        conn = server.connection()
        conn.request(
            "POST",
            f"/v1.1/tenants/{uuid.uuid4().hex}/networks.json",  # NOTE: no quota met
            body=json.dumps({"network": {"name": f"n{trial}"}}),
            headers={"Content-Type": "application/json"},
        )
        assert conn.getresponse().status == 202
        written = time.monotonic()
        conn.close()
        poller.join(3 * POLL)
        assert woke["revision"] > since
        since = int(woke["revision"])
        seen.append(round(woke["at"] - written, 3))
        if seen[-1] >= stop_after:
            break
    agent.close()
    return seen


def test_a_write_through_either_worker_ends_a_long_poll_at_once(
    start: Callable[[bool], ServerProcess],
) -> None:
    server = start(True)
    seen = delays(server, TRIALS, stop_after=PROMPT)
    assert max(seen) < PROMPT, seen
    # NOTE: a worker that dies is replaced in its slot and wakes, and is woken by,
    # its sibling like the first.
    victim = server.worker_pids()[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pids = server.worker_pids()
        if len(pids) == 2 and victim not in pids:
            break
        time.sleep(0.1)
    time.sleep(2.0)  # NOTE: the replacement loads the app, then serves
    seen = delays(server, TRIALS, stop_after=PROMPT)
    assert max(seen) < PROMPT, seen


def test_control_without_wake_ups_a_write_through_the_other_worker_waits(
    start: Callable[[bool], ServerProcess],
) -> None:
    server = start(False)
    seen = delays(server, TRIALS, stop_after=POLL - 1)
    assert max(seen) >= POLL - 1, seen
