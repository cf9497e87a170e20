# SPDX-License-Identifier: Apache-2.0
"""Load balancing through our ``quantum`` command, the client library and the
Grizzly ``quantum`` CLI, against a running server with ``service_plugins = lbaas``:
Grizzly's ``lb-*`` commands, options, columns and messages."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from quantum.client import errors, transport, v2
from quantum.testing.server import ServerProcess, start_sql_server
from tests.functional.clients.conftest import HOST, Quantum
from tests.functional.clients.test_quantum_cli import Cli


@pytest.fixture(scope="module")
def lb_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("cli-lbaas")
    server: ServerProcess = start_sql_server(
        directory, HOST, service_plugins="lbaas", log_file=directory / "quantum.log"
    )
    yield f"http://{server.host}:{server.port}"
    server.stop(timeout=15)


def _header(table: str) -> list[str]:
    return [c.strip() for c in table.splitlines()[1].strip("|").split("|")]


def test_lb_commands_from_pool_to_delete(lb_endpoint: str) -> None:
    cli = Cli(lb_endpoint, "cli-lb")
    cli.ok("net-create", "lb-net")
    cli.ok("subnet-create", "--name", "lb-sub", "lb-net", "10.90.0.0/24")
    made = cli.run(
        "lb-pool-create",
        "--name",
        "web",
        "--lb-method",
        "ROUND_ROBIN",
        "--protocol",
        "HTTP",
        "--subnet-id",
        "lb-sub",
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("Created a new pool:\n+")
    pool = cli.json("lb-pool-show", "web")
    assert (pool["name"], pool["lb_method"], pool["status"]) == (
        "web",
        "ROUND_ROBIN",
        "PENDING_CREATE",
    )
    listed = cli.ok("lb-pool-list")
    assert _header(listed) == [
        "id",
        "name",
        "lb_method",
        "protocol",
        "admin_state_up",
        "status",
    ]
    assert pool["id"] in listed

    vip = cli.json(
        "lb-vip-create",
        "web",
        "--name",
        "web-vip",
        "--protocol-port",
        "80",
        "--protocol",
        "HTTP",
        "--subnet-id",
        "lb-sub",
        "--address",
        "10.90.0.100",
        "--connection-limit",
        "1000",
    )
    assert (vip["address"], vip["pool_id"], vip["connection_limit"]) == (
        "10.90.0.100",
        pool["id"],
        1000,
    )
    assert _header(cli.ok("lb-vip-list")) == [
        "id",
        "name",
        "address",
        "protocol",
        "admin_state_up",
        "status",
    ]
    assert cli.ok(
        "lb-vip-update",
        "web-vip",
        "--session-persistence",
        "type=APP_COOKIE,cookie_name=sid",
    ) == ("Updated vip: web-vip\n")
    shown = cli.json("lb-vip-show", "web-vip")
    assert shown["session_persistence"] == {"type": "APP_COOKIE", "cookie_name": "sid"}
    assert shown["status"] == "PENDING_UPDATE"
    cli.ok("lb-vip-update", "web-vip", "--no-session-persistence")
    assert "session_persistence" not in cli.json("lb-vip-show", "web-vip")

    member = cli.json(
        "lb-member-create",
        "web",
        "--address",
        "10.90.0.11",
        "--protocol-port",
        "8080",
        "--weight",
        "5",
    )
    assert (member["pool_id"], member["weight"]) == (pool["id"], 5)
    assert _header(cli.ok("lb-member-list")) == [
        "id",
        "address",
        "protocol_port",
        "admin_state_up",
        "status",
    ]
    assert cli.ok("lb-member-update", member["id"], "--weight", "7") == (
        f"Updated member: {member['id']}\n"
    )
    assert cli.json("lb-member-show", member["id"])["weight"] == 7

    monitor = cli.json(
        "lb-healthmonitor-create",
        "--type",
        "HTTP",
        "--delay",
        "5",
        "--timeout",
        "3",
        "--max-retries",
        "2",
        "--url-path",
        "/health",
        "--expected-codes",
        "200-299",
    )
    assert (monitor["url_path"], monitor["expected_codes"]) == ("/health", "200-299")
    assert _header(cli.ok("lb-healthmonitor-list")) == [
        "id",
        "type",
        "admin_state_up",
        "status",
    ]
    assert cli.ok("lb-healthmonitor-associate", monitor["id"], "web") == (
        f"Associated health monitor {monitor['id']}\n"
    )
    assert cli.json("lb-pool-show", "web")["health_monitors"] == [monitor["id"]]
    again = cli.run("lb-healthmonitor-associate", monitor["id"], "web")
    assert again.returncode == 1
    assert again.stderr.strip() == (
        f"health_monitor {monitor['id']} is already associated with pool {pool['id']}"
    )
    cli.ok("lb-healthmonitor-update", monitor["id"], "--max-retries", "4")
    assert cli.json("lb-healthmonitor-show", monitor["id"])["max_retries"] == 4
    assert cli.ok("lb-healthmonitor-disassociate", monitor["id"], "web") == (
        f"Disassociated health monitor {monitor['id']}\n"
    )
    assert cli.json("lb-pool-show", "web")["health_monitors"] == []

    stats = cli.ok("lb-pool-stats", "web")
    assert stats.splitlines()[3:7] == [
        "| active_connections | 0     |",
        "| bytes_in           | 0     |",
        "| bytes_out          | 0     |",
        "| total_connections  | 0     |",
    ]
    assert cli.json("lb-pool-stats", "web") == {
        "active_connections": 0,
        "bytes_in": 0,
        "bytes_out": 0,
        "total_connections": 0,
    }
    cli.ok("lb-pool-update", "web", "--lb_method", "LEAST_CONNECTIONS")
    assert cli.json("lb-pool-show", "web")["lb_method"] == "LEAST_CONNECTIONS"

    # the server's refusals, as it words them
    busy = cli.run("lb-pool-delete", "web")
    assert busy.returncode == 1
    assert busy.stderr.strip() == f"Pool {pool['id']} is still in use"
    bad = cli.run("lb-pool-update", "web", "--lb-method", "RANDOM")
    assert bad.returncode == 1
    assert "RANDOM" in bad.stderr
    assert "Traceback" not in bad.stderr
    second = cli.run(
        "lb-vip-create",
        "web",
        "--name",
        "again",
        "--protocol-port",
        "80",
        "--protocol",
        "HTTP",
        "--subnet-id",
        "lb-sub",
    )
    assert second.returncode == 1
    assert second.stderr.strip() == (
        f"Another Vip already exists for pool {pool['id']}"
    )
    # a usage error is 2
    assert cli.run("lb-pool-create", "--name", "x").returncode == 2

    assert cli.ok("lb-vip-delete", "web-vip") == "Deleted vip: web-vip\n"
    assert cli.ok("lb-member-delete", member["id"]) == (
        f"Deleted member: {member['id']}\n"
    )
    assert cli.ok("lb-healthmonitor-delete", monitor["id"]) == (
        f"Deleted health_monitor: {monitor['id']}\n"
    )
    assert cli.ok("lb-pool-delete", "web") == "Deleted pool: web\n"
    for kind in ("vip", "pool", "member", "healthmonitor"):
        assert cli.json(f"lb-{kind}-list") == [], kind


def test_the_library_calls(lb_endpoint: str) -> None:
    client = v2.Client(transport.without_auth(lb_endpoint, "lib-lb"))
    net = client.networks.create(name="n")
    sub = client.subnets.create(network_id=net["id"], cidr="10.91.0.0/24", ip_version=4)
    pool = client.pools.create(
        name="p", subnet_id=sub["id"], protocol="TCP", lb_method="SOURCE_IP"
    )
    vip = client.vips.create(
        name="v",
        subnet_id=sub["id"],
        pool_id=pool["id"],
        protocol="TCP",
        protocol_port=22,
    )
    member = client.members.create(
        pool_id=pool["id"], address="10.91.0.5", protocol_port=22
    )
    monitor = client.health_monitors.create(
        type="TCP", delay=1, timeout=1, max_retries=1
    )
    assert client.pools.associate_health_monitor(pool["id"], monitor["id"]) == {
        "id": monitor["id"]
    }
    shown = client.pools.show(pool["id"])
    assert (shown["vip_id"], shown["members"], shown["health_monitors"]) == (
        vip["id"],
        [member["id"]],
        [monitor["id"]],
    )
    assert client.pools.stats(pool["id"]) == {
        "bytes_in": 0,
        "bytes_out": 0,
        "active_connections": 0,
        "total_connections": 0,
    }
    client.pools.disassociate_health_monitor(pool["id"], monitor["id"])
    assert client.pools.show(pool["id"])["health_monitors"] == []
    with pytest.raises(errors.ClientError) as raised:
        client.pools.disassociate_health_monitor(pool["id"], monitor["id"])
    assert raised.value.kind == "PoolMonitorAssociationNotFound"
    assert client.pools.find_id("p") == pool["id"]
    assert [v["id"] for v in client.vips.list()] == [vip["id"]]
    client.vips.delete(vip["id"])
    client.pools.delete(pool["id"])
    assert list(client.members.list()) == []


def test_the_grizzly_cli_lb_commands(grizzly_venv: Path, lb_endpoint: str) -> None:
    """Grizzly's own ``quantum lb-*`` (python-quantumclient 2.2.3) against us: as
    an admin of the noauth server, naming the tenant."""
    quantum = Quantum(grizzly_venv, lb_endpoint)

    def ok(*args: str) -> str:
        done = quantum.run(*args)
        assert done.returncode == 0, (args, done.stderr)
        return done.stdout

    def field(table: str, name: str) -> str:
        for line in table.splitlines():
            cells = [c.strip() for c in line.strip("|").split("|")]
            if len(cells) == 2 and cells[0] == name:
                return cells[1]
        raise AssertionError(f"{name} not in {table}")

    t = ("--tenant-id", "grizzly-lb")
    net = field(ok("net-create", *t, "g-net"), "id")
    sub = field(ok("subnet-create", *t, "--name", "g-sub", net, "10.92.0.0/24"), "id")
    made = ok(
        "lb-pool-create",
        *t,
        "--name",
        "g-pool",
        "--lb-method",
        "ROUND_ROBIN",
        "--protocol",
        "HTTP",
        "--subnet-id",
        sub,
    )
    assert made.startswith("Created a new pool:")
    pool = field(made, "id")
    vip = ok(
        "lb-vip-create",
        *t,
        "g-pool",
        "--name",
        "g-vip",
        "--protocol-port",
        "80",
        "--protocol",
        "HTTP",
        "--subnet-id",
        sub,
        "--connection-limit",
        "10",
    )
    assert field(vip, "pool_id") == pool
    assert field(vip, "connection_limit") == "10"
    member = ok(
        "lb-member-create",
        *t,
        "g-pool",
        "--address",
        "10.92.0.7",
        "--protocol-port",
        "8080",
        "--weight",
        "3",
    )
    member_id = field(member, "id")
    monitor = ok(
        "lb-healthmonitor-create",
        *t,
        "--type",
        "PING",
        "--delay",
        "3",
        "--timeout",
        "2",
        "--max-retries",
        "3",
    )
    monitor_id = field(monitor, "id")
    assert ok("lb-healthmonitor-associate", monitor_id, "g-pool").strip() == (
        f"Associated health monitor {monitor_id}"
    )
    shown = ok("lb-pool-show", "g-pool")
    assert monitor_id in field(shown, "health_monitors")
    assert member_id in field(shown, "members")
    # NOTE: Grizzly's lb-pool-stats sends what it is given as the id (no lookup)
    stats = ok("lb-pool-stats", pool)
    assert field(stats, "bytes_in") == "0"
    assert field(stats, "total_connections") == "0"
    for listing, wanted in (
        ("lb-pool-list", pool),
        ("lb-vip-list", field(vip, "id")),
        ("lb-member-list", member_id),
        ("lb-healthmonitor-list", monitor_id),
    ):
        assert wanted in ok(listing), listing
    # Grizzly's updates: any --attribute value
    ok("lb-pool-update", "g-pool", "--lb_method", "LEAST_CONNECTIONS")
    assert field(ok("lb-pool-show", "g-pool"), "lb_method") == "LEAST_CONNECTIONS"
    ok("lb-member-update", member_id, "--weight", "9")
    assert field(ok("lb-member-show", member_id), "weight") == "9"
    ok("lb-vip-update", "g-vip", "--name", "g-vip2")
    assert field(ok("lb-vip-show", "g-vip2"), "name") == "g-vip2"
    ok("lb-healthmonitor-update", monitor_id, "--delay", "7")
    assert field(ok("lb-healthmonitor-show", monitor_id), "delay") == "7"
    # the server's message, as Grizzly shows it
    busy = quantum.run("lb-pool-delete", "g-pool")
    assert busy.returncode != 0
    assert busy.stderr.strip() == f"Pool {pool} is still in use"
    assert ok("lb-healthmonitor-disassociate", monitor_id, "g-pool").strip() == (
        f"Disassociated health monitor {monitor_id}"
    )
    ok("lb-vip-delete", "g-vip2")
    ok("lb-member-delete", member_id)
    ok("lb-healthmonitor-delete", monitor_id)
    assert ok("lb-pool-delete", "g-pool").strip() == "Deleted pool: g-pool"
