# SPDX-License-Identifier: Apache-2.0
"""Two quantum-server processes over one store serve one change feed: an agent
long-polling one of them wakes when a tenant writes through the other."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
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


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    url = f"sqlite:///{tmp_path / 'quantum.sqlite'}"
    started: list[ServerProcess] = []
    for name in ("a", "b"):
        directory = tmp_path / name
        directory.mkdir()
        (directory / "ovs.ini").write_text(OVS_INI)
        port = free_port(HOST)
        config = write_config(
            directory,
            bind_host=HOST,
            bind_port=port,
            core_plugin="openvswitch",
            core_plugin_config="ovs.ini",
            sql_connection=url,
            agent_secret=SECRET,
            shutdown_timeout=5,
        )
        if name == "a":
            done = db_manage(config, "upgrade", "head")
            assert done.returncode == 0, done.stderr
        server = ServerProcess(config, HOST, port)
        started.append(server)
        server.start()
    yield started[0], started[1]
    for server in started:
        server.stop(timeout=15)


def test_a_write_through_one_server_wakes_a_long_poll_on_the_other(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    a, b = servers
    agent = OvsClient(f"http://{HOST}:{a.port}", host="h1", secret=SECRET)
    start = agent.register(msg.HostReport(tunnel_ip=ip_address("192.0.2.1")))
    woke: dict[str, float] = {}

    def poll() -> None:
        woke["revision"] = agent.changes(start, wait=10)
        woke["at"] = time.monotonic()

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.5)
    assert "revision" not in woke
    conn = b.connection()
    conn.request(
        "POST",
        "/v1.1/tenants/t/networks.json",
        body=json.dumps({"network": {"name": "n"}}),
        headers={"Content-Type": "application/json"},
    )
    assert conn.getresponse().status == 202
    written = time.monotonic()
    conn.close()
    poller.join(10)
    assert woke["revision"] > start
    assert woke["at"] - written < 1
    # NOTE: the same keep-alive client goes on: the other server sees this host.
    other = OvsClient(f"http://{HOST}:{b.port}", host="h2", secret=SECRET)
    other.register(msg.HostReport(tunnel_ip=ip_address("192.0.2.2")))
    assert [e.host for e in other.desired_state([]).endpoints] == ["h1"]
    assert [e.host for e in agent.desired_state([]).endpoints] == ["h2"]
    agent.close()
    other.close()
