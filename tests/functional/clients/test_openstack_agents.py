# SPDX-License-Identifier: Apache-2.0
"""``openstack network agent ...`` (the real CLI) against a server with the Open
vSwitch plugin, whose agents report through the agent API's real client."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import ip_address
from pathlib import Path

import pytest

from quantum.agentapi.ovs import messages as msg
from quantum.agentapi.ovs.client import OvsClient
from quantum.core.networks import NetworkType
from quantum.testing.client import write_config
from quantum.testing.server import ServerProcess, db_manage, free_port
from tests.functional.clients.conftest import HOST, Openstack

SECRET = "openstack-agents-secret"  # noqa: S105  # NOTE: a test server's


@pytest.fixture(scope="module")
def ovs_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A noauth server with the Open vSwitch plugin and agents on hv1, hv2."""
    directory = tmp_path_factory.mktemp("openstack-agents")
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
        for host, ip in (("hv1", "192.0.2.1"), ("hv2", "192.0.2.2")):
            agent = OvsClient(url, host=host, secret=SECRET)
            agent.register(
                msg.HostReport(
                    tunnel_ip=ip_address(ip),
                    tunnel_types=frozenset({NetworkType.GRE}),
                    agent_version="quantum-openvswitch-agent",
                    configurations={
                        "bridge_mappings": {"physnet1": "br-eth1"},
                        "tunnel_types": ["gre"],
                        "devices": 2,
                    },
                )
            )
            agent.close()
        yield url
    finally:
        server.stop(timeout=15)


def test_network_agent_list_show_set_and_delete(
    clients_venv: Path, ovs_endpoint: str
) -> None:
    cli = Openstack(clients_venv, ovs_endpoint)

    listed = {row["Host"]: row for row in cli.json("network", "agent", "list")}

    assert sorted(listed) == ["hv1", "hv2"]
    hv1 = listed["hv1"]
    assert hv1["Agent Type"] == "Open vSwitch agent"
    assert hv1["Binary"] == "quantum-openvswitch-agent"
    assert (hv1["Alive"], hv1["State"]) == (True, True)
    shown = cli.json("network", "agent", "show", hv1["ID"])
    assert shown["configuration"]["bridge_mappings"] == {"physnet1": "br-eth1"}
    assert shown["configuration"]["devices"] == 2
    assert shown["configuration"]["tunneling_ip"] == "192.0.2.1"

    cli.ok("network", "agent", "set", "--disable", hv1["ID"])
    cli.ok("network", "agent", "set", "--description", "rack 4", hv1["ID"])

    listed = {row["Host"]: row for row in cli.json("network", "agent", "list")}
    assert (listed["hv1"]["Alive"], listed["hv1"]["State"]) == (True, False)
    assert listed["hv2"]["State"] is True
    shown = cli.json("network", "agent", "show", hv1["ID"])
    assert shown["description"] == "rack 4"

    cli.ok("network", "agent", "delete", listed["hv2"]["ID"])
    assert [r["Host"] for r in cli.json("network", "agent", "list")] == ["hv1"]
    gone = cli.run("network", "agent", "show", listed["hv2"]["ID"])
    assert gone.returncode != 0
    assert "Traceback" not in gone.stderr
