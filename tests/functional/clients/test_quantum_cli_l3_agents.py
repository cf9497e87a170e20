# SPDX-License-Identifier: Apache-2.0
"""The L3 agent scheduler's commands (``l3-agent-router-add/remove``,
``router-list-on-l3-agent``, ``l3-agent-list-hosting-router``) and the client calls
behind them, against a running server (Open vSwitch plugin, L3 service plugin)
whose L3 agents registered through the agent API's real client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from quantum.agentapi.l3 import messages as msg
from quantum.agentapi.l3.client import L3Client
from quantum.client import errors, transport, v2
from quantum.testing.client import write_config
from quantum.testing.server import ServerProcess, db_manage, free_port
from tests.functional.clients.conftest import HOST
from tests.functional.clients.test_quantum_cli import Cli

SECRET = "cli-l3-secret"  # noqa: S105  # NOTE: a test server's


@pytest.fixture(scope="module")
def l3_agents_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A noauth server, Open vSwitch and L3 plugins, L3 agents on net1 and net2."""
    directory = tmp_path_factory.mktemp("cli-l3-agents")
    (directory / "ovs.ini").write_text(
        "[OVS]\ntenant_network_type = gre\ntunnel_id_ranges = 100:199\n"
    )
    port = free_port(HOST)
    config = write_config(
        directory,
        bind_host=HOST,
        bind_port=port,
        core_plugin="openvswitch",
        core_plugin_config="ovs.ini",
        service_plugins="router",
        agent_secret=SECRET,
        log_file=directory / "quantum.log",
    )
    assert db_manage(config, "upgrade", "head").returncode == 0
    server = ServerProcess(config, HOST, port)
    server.start()
    url = f"http://{HOST}:{port}"
    try:
        for host in ("net1", "net2"):
            agent = L3Client(url, host=host, secret=SECRET)
            agent.register(msg.L3Report(agent_version="quantum-l3-agent"))
            agent.close()
        yield url
    finally:
        server.stop(timeout=15)


def _header(table: str) -> list[str]:
    return [c.strip() for c in table.splitlines()[1].strip("|").split("|")]


def _agents(admin: Cli) -> dict[str, str]:
    return {
        a["host"]: a["id"]
        for a in admin.json("agent-list")
        if a["agent_type"] == "L3 agent"
    }


def test_routers_on_l3_agents(l3_agents_endpoint: str) -> None:
    admin = Cli(l3_agents_endpoint, None)
    agents = _agents(admin)
    assert sorted(agents) == ["net1", "net2"]
    router = admin.json("router-create", "--tenant-id", "cli-l3a", "edge")

    assert admin.ok("l3-agent-router-add", agents["net1"], "edge") == (
        "Added router edge to L3 agent\n"
    )
    table = admin.ok("router-list-on-l3-agent", agents["net1"])
    assert _header(table) == ["id", "name", "external_gateway_info"]
    on_net1 = admin.json("router-list-on-l3-agent", agents["net1"])
    assert [r["id"] for r in on_net1] == [router["id"]]
    assert admin.json("router-list-on-l3-agent", agents["net2"]) == []
    hosting = admin.ok("l3-agent-list-hosting-router", "edge")
    assert _header(hosting) == ["id", "host", "admin_state_up", "alive"]
    rows = admin.json("l3-agent-list-hosting-router", router["id"])
    assert [(r["id"], r["host"]) for r in rows] == [(agents["net1"], "net1")]

    elsewhere = admin.run("l3-agent-router-add", agents["net2"], "edge")
    assert elsewhere.returncode == 1
    assert elsewhere.stderr.strip()
    assert "Traceback" not in elsewhere.stderr
    member = Cli(l3_agents_endpoint, "cli-l3a").run(
        "l3-agent-list-hosting-router", router["id"]
    )
    assert member.returncode == 1
    assert "Traceback" not in member.stderr

    assert admin.ok("l3-agent-router-remove", agents["net1"], "edge") == (
        "Removed router edge from L3 agent\n"
    )
    assert admin.json("router-list-on-l3-agent", agents["net1"]) == []
    # moved: a DELETE from one agent and a POST to the other
    admin.ok("l3-agent-router-add", agents["net2"], router["id"])
    assert [r["host"] for r in admin.json("l3-agent-list-hosting-router", "edge")] == [
        "net2"
    ]
    admin.ok("l3-agent-router-remove", agents["net2"], "edge")


def test_the_library_calls(l3_agents_endpoint: str) -> None:
    client = v2.Client(transport.without_auth(l3_agents_endpoint))
    agents = {a["host"]: a["id"] for a in client.agents.list(agent_type="L3 agent")}
    router = client.routers.create(name="lib-edge", tenant_id="lib-l3a")
    client.agents.add_l3_router(agents["net2"], router["id"])
    assert [r["id"] for r in client.agents.l3_routers(agents["net2"])] == [router["id"]]
    assert [a["host"] for a in client.routers.l3_agents(router["id"])] == ["net2"]
    with pytest.raises(errors.Conflict):
        client.agents.add_l3_router(agents["net2"], router["id"])
    client.agents.remove_l3_router(agents["net2"], router["id"])
    assert client.routers.l3_agents(router["id"]) == []
    with pytest.raises(errors.Conflict):
        client.agents.remove_l3_router(agents["net2"], router["id"])
