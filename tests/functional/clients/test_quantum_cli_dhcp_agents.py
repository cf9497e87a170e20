# SPDX-License-Identifier: Apache-2.0
"""The DHCP agent scheduler's commands (``dhcp-agent-network-add/remove``,
``net-list-on-dhcp-agent``, ``dhcp-agent-list-hosting-net``) and the client calls
behind them, against a running server with the Open vSwitch plugin whose DHCP
agents registered through the agent API's real client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from quantum.agentapi.dhcp import messages as msg
from quantum.agentapi.dhcp.client import DhcpClient
from quantum.client import errors, transport, v2
from quantum.testing.client import write_config
from quantum.testing.server import ServerProcess, db_manage, free_port
from tests.functional.clients.conftest import HOST
from tests.functional.clients.test_quantum_cli import Cli

SECRET = "cli-dhcp-secret"  # noqa: S105  # NOTE: a test server's


@pytest.fixture(scope="module")
def dhcp_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A noauth server, Open vSwitch plugin, DHCP agents on hv1 and hv2."""
    directory = tmp_path_factory.mktemp("cli-dhcp")
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
        agent_secret=SECRET,
        log_file=directory / "quantum.log",
    )
    assert db_manage(config, "upgrade", "head").returncode == 0
    server = ServerProcess(config, HOST, port)
    server.start()
    url = f"http://{HOST}:{port}"
    try:
        for host in ("hv1", "hv2"):
            agent = DhcpClient(url, host=host, secret=SECRET)
            agent.register(msg.AgentReport(agent_version="quantum-dhcp-agent"))
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
        if a["agent_type"] == "DHCP agent"
    }


def test_networks_on_dhcp_agents(dhcp_endpoint: str) -> None:
    admin = Cli(dhcp_endpoint, None)
    agents = _agents(admin)
    assert sorted(agents) == ["hv1", "hv2"]
    net = admin.json("net-create", "--tenant-id", "cli-dhcp", "dnet")

    assert admin.ok("dhcp-agent-network-add", agents["hv1"], "dnet") == (
        "Added network dnet to DHCP agent\n"
    )
    table = admin.ok("net-list-on-dhcp-agent", agents["hv1"])
    assert _header(table) == ["id", "name", "subnets"]
    on_hv1 = admin.json("net-list-on-dhcp-agent", agents["hv1"])
    assert [n["id"] for n in on_hv1] == [net["id"]]
    assert admin.json("net-list-on-dhcp-agent", agents["hv2"]) == []
    hosting = admin.ok("dhcp-agent-list-hosting-net", "dnet")
    assert _header(hosting) == ["id", "host", "admin_state_up", "alive"]
    rows = admin.json("dhcp-agent-list-hosting-net", net["id"])
    assert [(r["id"], r["host"], r["alive"]) for r in rows] == [
        (agents["hv1"], "hv1", True)
    ]

    twice = admin.run("dhcp-agent-network-add", agents["hv1"], "dnet")
    assert twice.returncode == 1
    assert twice.stderr.strip()
    assert "Traceback" not in twice.stderr
    member = Cli(dhcp_endpoint, "cli-dhcp").run(
        "dhcp-agent-list-hosting-net", net["id"]
    )
    assert member.returncode == 1
    assert "Traceback" not in member.stderr

    assert admin.ok("dhcp-agent-network-remove", agents["hv1"], "dnet") == (
        "Removed network dnet from DHCP agent\n"
    )
    assert admin.json("net-list-on-dhcp-agent", agents["hv1"]) == []
    assert admin.json("dhcp-agent-list-hosting-net", "dnet") == []
    again = admin.run("dhcp-agent-network-remove", agents["hv1"], "dnet")
    assert again.returncode == 1
    assert "Traceback" not in again.stderr


def test_the_library_calls(dhcp_endpoint: str) -> None:
    client = v2.Client(transport.without_auth(dhcp_endpoint))
    agents = {a["host"]: a["id"] for a in client.agents.list(agent_type="DHCP agent")}
    net = client.networks.create(name="lib-dnet", tenant_id="lib-dhcp")
    client.agents.add_dhcp_network(agents["hv2"], net["id"])
    assert [n["id"] for n in client.agents.dhcp_networks(agents["hv2"])] == [net["id"]]
    assert [a["host"] for a in client.networks.dhcp_agents(net["id"])] == ["hv2"]
    with pytest.raises(errors.Conflict):
        client.agents.add_dhcp_network(agents["hv2"], net["id"])
    client.agents.remove_dhcp_network(agents["hv2"], net["id"])
    assert client.networks.dhcp_agents(net["id"]) == []
    with pytest.raises(errors.NotFound):
        client.agents.add_dhcp_network(
            agents["hv2"], "0b8c3f7e-4a8b-4c7e-9d1e-2f3a4b5c6d7e"
        )
