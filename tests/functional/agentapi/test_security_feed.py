# SPDX-License-Identifier: Apache-2.0
"""A real quantum-server (SQLite, the Open vSwitch plugin): an OVS agent
long-polling its kind's feed over HTTP wakes when a rule of its port's group is
made and when a port joins the group its rules name as remote, and what it then
fetches holds the change."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from quantum.agentapi.ovs import messages as msg
from quantum.agentapi.ovs.client import OvsClient
from quantum.testing.client import write_config
from quantum.testing.server import ServerProcess, db_manage, free_port

HOST = "127.0.0.1"
SECRET = "s3cret"
OVS_INI = "[OVS]\ntenant_network_type = vxlan\ntunnel_id_ranges = 1:100\n"
V2 = {"Content-Type": "application/json", "X-Project-Id": "acme"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
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
        shutdown_timeout=5,
    )
    done = db_manage(config, "upgrade", "head")
    assert done.returncode == 0, done.stderr
    process = ServerProcess(config, HOST, port)
    process.start()
    yield process
    process.stop(timeout=15)


def v2(server: ServerProcess, method: str, path: str, body: Any = None) -> Any:
    conn = server.connection()
    try:
        conn.request(method, f"/v2.0{path}", json.dumps(body) if body else None, V2)
        answer = conn.getresponse()
        raw = answer.read()
    finally:
        conn.close()
    assert answer.status in (200, 201, 204), raw
    return json.loads(raw) if raw else None


def woken_by(agent: OvsClient, since: int, write: Callable[[], None]) -> float:
    """Seconds from ``write`` to the agent's long-poll answering past ``since``."""
    woke: dict[str, float] = {}

    def poll() -> None:
        woke["revision"] = agent.changes(since, wait=10)
        woke["at"] = time.monotonic()

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.3)
    assert "revision" not in woke  # NOTE: the control: nothing woke it before
    written = time.monotonic()
    write()
    poller.join(10)
    assert woke["revision"] > since
    return woke["at"] - written


def test_rules_and_remote_membership_wake_the_agent(server: ServerProcess) -> None:
    net = v2(server, "POST", "/networks", {"network": {}})["network"]["id"]
    subnet = {"network_id": net, "cidr": "10.0.0.0/24", "ip_version": 4}
    v2(server, "POST", "/subnets", {"subnet": subnet})
    web = v2(server, "POST", "/security-groups", {"security_group": {"name": "web"}})
    db = v2(server, "POST", "/security-groups", {"security_group": {"name": "db"}})
    web_id, db_id = web["security_group"]["id"], db["security_group"]["id"]
    vm = v2(
        server,
        "POST",
        "/ports",
        {"port": {"network_id": net, "security_groups": [web_id]}},
    )
    vm_id = vm["port"]["id"]
    agent = OvsClient(f"http://{HOST}:{server.port}", host="hv1", secret=SECRET)
    try:
        agent.register(msg.HostReport(tunnel_ip=None))
        before = agent.desired_state([vm_id])  # NOTE: binds the port to hv1
        assert before.ports[0].port_security is not None
        assert before.ports[0].port_security.security_groups == (web_id,)
        assert [g.id for g in before.security_groups] == [web_id]
        since = agent.changes(0)

        rule = {
            "security_group_id": web_id,
            "direction": "ingress",
            "protocol": "tcp",
            "port_range_min": 5432,
            "port_range_max": 5432,
            "remote_group_id": db_id,
        }
        lag = woken_by(
            agent,
            since,
            lambda: v2(
                server, "POST", "/security-group-rules", {"security_group_rule": rule}
            ),
        )
        assert lag < 1
        state = agent.desired_state([vm_id])
        made = [r for r in state.security_groups[0].rules if r.remote_group_id]
        assert [(r.protocol, r.port_range_min) for r in made] == [(6, 5432)]
        assert state.group_members == (msg.GroupMembers(id=db_id, addresses=()),)

        since = agent.changes(0)
        joined: dict[str, Any] = {}
        lag = woken_by(
            agent,
            since,
            lambda: joined.update(
                v2(
                    server,
                    "POST",
                    "/ports",
                    {"port": {"network_id": net, "security_groups": [db_id]}},
                )
            ),
        )
        assert lag < 1
        state = agent.desired_state([vm_id])
        address = joined["port"]["fixed_ips"][0]["ip_address"]
        assert [str(a) for a in state.group_members[0].addresses] == [f"{address}/32"]
    finally:
        agent.close()
