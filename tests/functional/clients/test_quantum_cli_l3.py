# SPDX-License-Identifier: Apache-2.0
"""Routers and floating IPs through our ``quantum`` command and the client library,
against a running server with the L3 service plugin: Grizzly's commands, options,
columns and messages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from quantum.client import errors, transport, v2
from quantum.testing.server import ServerProcess, start_sql_server
from tests.functional.clients.conftest import HOST
from tests.functional.clients.test_quantum_cli import Cli


@pytest.fixture(scope="module")
def l3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("cli-l3")
    server: ServerProcess = start_sql_server(
        directory, HOST, service_plugins="router", log_file=directory / "quantum.log"
    )
    yield f"http://{server.host}:{server.port}"
    server.stop(timeout=15)


@pytest.fixture(scope="module")
def public(l3_endpoint: str) -> dict[str, str]:
    """An external network with a subnet, made by an administrator."""
    admin = Cli(l3_endpoint, None)
    net = admin.json(
        "net-create", "--tenant-id", "admin", "public", "--router:external"
    )
    assert net["router:external"] is True
    subnet = admin.json(
        "subnet-create", "--tenant-id", "admin", "public", "172.24.4.0/24"
    )
    return {"network": net["id"], "subnet": subnet["id"]}


def _header(table: str) -> list[str]:
    return [c.strip() for c in table.splitlines()[1].strip("|").split("|")]


def test_a_router_with_a_gateway_an_interface_and_a_floating_ip(
    l3_endpoint: str, public: dict[str, str]
) -> None:
    cli = Cli(l3_endpoint, "cli-l3")
    cli.ok("net-create", "private")
    subnet = cli.json(
        "subnet-create", "--name", "private-v4", "private", "10.80.0.0/24"
    )
    made = cli.run("router-create", "r1")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("Created a new router:\n+")
    router = cli.json("router-show", "r1")
    assert (router["name"], router["admin_state_up"]) == ("r1", True)
    assert router["external_gateway_info"] is None

    assert cli.ok("router-gateway-set", "r1", "public") == "Set gateway for router r1\n"
    gateway = cli.json("router-show", "r1")["external_gateway_info"]
    assert gateway == {"network_id": public["network"], "enable_snat": True}
    listed = cli.ok("router-list")
    assert _header(listed) == ["id", "name", "external_gateway_info"]
    assert f'{{"enable_snat": true, "network_id": "{public["network"]}"}}' in listed

    added = cli.ok("router-interface-add", "r1", "private-v4")
    interface = [
        p
        for p in cli.json("port-list", "-D")
        if p["device_owner"] == "network:router_interface"
    ]
    assert len(interface) == 1
    assert added == f"Added interface {interface[0]['id']} to router r1.\n"
    assert interface[0]["fixed_ips"] == [
        {"subnet_id": subnet["id"], "ip_address": "10.80.0.1"}
    ]

    vm = cli.json("port-create", "--name", "vm1", "private")
    fip = cli.json("floatingip-create", "public")
    assert (fip["port_id"], fip["floating_network_id"]) == (None, public["network"])
    assert cli.ok("floatingip-associate", fip["id"], "vm1") == (
        f"Associated floatingip {fip['id']}\n"
    )
    shown = cli.json("floatingip-show", fip["id"])
    assert shown["port_id"] == vm["id"]
    assert shown["fixed_ip_address"] == vm["fixed_ips"][0]["ip_address"]
    assert shown["router_id"] == router["id"]
    table = cli.ok("floatingip-list")
    assert _header(table) == [
        "id",
        "fixed_ip_address",
        "floating_ip_address",
        "port_id",
    ]
    assert shown["floating_ip_address"] in table
    assert cli.ok("floatingip-disassociate", fip["id"]) == (
        f"Disassociated floatingip {fip['id']}\n"
    )
    assert cli.json("floatingip-show", fip["id"])["port_id"] is None
    # made associated, by the port's name
    second = cli.json("floatingip-create", "public", "--port-id", "vm1")
    assert second["port_id"] == vm["id"]

    # the server's refusals, as it words them
    in_use = cli.run("router-interface-delete", "r1", "subnet=private-v4")
    assert in_use.returncode == 1
    assert in_use.stderr.strip()
    assert "Traceback" not in in_use.stderr
    assert cli.ok("floatingip-delete", fip["id"], second["id"]).splitlines() == [
        f"Deleted floatingip: {fip['id']}",
        f"Deleted floatingip: {second['id']}",
    ]
    busy = cli.run("router-delete", "r1")
    assert busy.returncode == 1
    assert busy.stderr.strip()
    assert "Traceback" not in busy.stderr

    assert cli.ok("router-interface-delete", "r1", "subnet=private-v4") == (
        "Removed interface from router r1.\n"
    )
    # by port: a port of the caller's, free
    cli.ok("port-create", "--name", "rport", "private")
    cli.ok("router-interface-add", "r1", "port=rport")
    rport = cli.json("port-show", "rport")
    assert (rport["device_id"], rport["device_owner"]) == (
        router["id"],
        "network:router_interface",
    )
    assert cli.ok("router-interface-delete", "r1", "port=rport") == (
        "Removed interface from router r1.\n"
    )
    bad = cli.run("router-interface-add", "r1", "network=private")
    assert (bad.returncode, bad.stderr) == (
        1,
        "You must specify either subnet or port for INTERFACE parameter.\n",
    )

    assert cli.ok("router-gateway-clear", "r1") == "Removed gateway from router r1\n"
    assert cli.json("router-show", "r1")["external_gateway_info"] is None
    assert cli.ok(
        "router-update", "r1", "--name", "r2", "--admin-state-up", "False"
    ) == ("Updated router: r1\n")
    assert cli.json("router-show", "r2")["admin_state_up"] is False
    assert cli.ok("router-delete", "r2") == "Deleted router: r2\n"
    assert cli.json("router-list") == []


def test_snat_off_and_external_networks(
    l3_endpoint: str, public: dict[str, str]
) -> None:
    admin = Cli(l3_endpoint, None)
    router = admin.json("router-create", "--tenant-id", "cli-snat", "nat-less")
    assert admin.ok("router-gateway-set", router["id"], "public", "--disable-snat") == (
        f"Set gateway for router {router['id']}\n"
    )
    gateway = admin.json("router-show", router["id"])["external_gateway_info"]
    assert gateway == {"network_id": public["network"], "enable_snat": False}
    # a gateway set again without --disable-snat does SNAT
    admin.ok("router-gateway-set", router["id"], "public")
    gateway = admin.json("router-show", router["id"])["external_gateway_info"]
    assert gateway["enable_snat"] is True
    admin.ok("router-gateway-clear", router["id"])
    admin.ok("router-delete", router["id"])

    member = Cli(l3_endpoint, "cli-external")
    member.ok("net-create", "inside")
    external = member.json("net-external-list", "-c", "id", "-c", "name")
    assert external == [{"id": public["network"], "name": "public"}]
    refused = member.run("net-create", "mine", "--router:external")
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr


def test_the_library_calls(l3_endpoint: str, public: dict[str, str]) -> None:
    client = v2.Client(transport.without_auth(l3_endpoint, "lib-l3"))
    net = client.networks.create(name="lib-private")
    subnet = client.subnets.create(
        network_id=net["id"], cidr="10.81.0.0/24", ip_version=4
    )
    router = client.routers.create(name="lib-r")
    assert client.routers.find("lib-r")["id"] == router["id"]
    gateway = client.routers.set_gateway(router["id"], public["network"])
    assert gateway["external_gateway_info"]["network_id"] == public["network"]
    info = client.routers.add_interface(router["id"], subnet_id=subnet["id"])
    assert info["subnet_id"] == subnet["id"]
    assert client.ports.show(info["port_id"])["device_id"] == router["id"]
    with pytest.raises(TypeError):
        client.routers.add_interface(router["id"])
    with pytest.raises(TypeError):
        client.routers.add_interface(router["id"], subnet_id="a", port_id="b")

    port = client.ports.create(network_id=net["id"])
    fip = client.floatingips.create(floating_network_id=public["network"])
    joined = client.floatingips.associate(fip["id"], port["id"])
    assert (joined["port_id"], joined["router_id"]) == (port["id"], router["id"])
    assert [f["id"] for f in client.floatingips.list(port_id=port["id"])] == [fip["id"]]
    assert client.floatingips.disassociate(fip["id"])["port_id"] is None
    client.floatingips.delete(fip["id"])
    with pytest.raises(errors.NotFound):
        client.floatingips.show(fip["id"])

    client.routers.remove_interface(router["id"], port_id=info["port_id"])
    with pytest.raises(errors.NotFound):
        client.ports.show(info["port_id"])
    cleared = client.routers.clear_gateway(router["id"])
    assert cleared["external_gateway_info"] is None
    client.routers.delete(router["id"])


def test_router_and_floatingip_quotas(l3_endpoint: str) -> None:
    admin = Cli(l3_endpoint, None)
    shown = admin.json(
        "quota-update",
        "--tenant-id",
        "cli-l3-quota",
        "--router",
        "1",
        "--floatingip",
        "3",
    )
    assert (shown["router"], shown["floatingip"]) == (1, 3)
    member = Cli(l3_endpoint, "cli-l3-quota")
    assert member.json("quota-show")["router"] == 1
    member.ok("router-create", "one")
    over = member.run("router-create", "two")
    assert over.returncode == 1
    assert over.stderr.strip()
    assert "Traceback" not in over.stderr


def test_extra_routes(l3_endpoint: str) -> None:
    cli = Cli(l3_endpoint, "cli-routes")
    cli.ok("net-create", "rnet")
    cli.ok("subnet-create", "--name", "rnet-v4", "rnet", "10.82.0.0/24")
    cli.ok("router-create", "rr")
    cli.ok("router-interface-add", "rr", "rnet-v4")
    assert cli.ok(
        "router-update",
        "rr",
        "--route",
        "destination=192.168.7.0/24,nexthop=10.82.0.9",
        "--route",
        "destination=192.168.8.0/24,nexthop=10.82.0.10",
    ) == ("Updated router: rr\n")
    routes = cli.json("router-show", "rr")["routes"]
    assert sorted((r["destination"], r["nexthop"]) for r in routes) == [
        ("192.168.7.0/24", "10.82.0.9"),
        ("192.168.8.0/24", "10.82.0.10"),
    ]
    outside = cli.run(
        "router-update", "rr", "--route", "destination=10.9.0.0/16,nexthop=10.99.0.1"
    )
    assert outside.returncode == 1
    assert "Traceback" not in outside.stderr
    cli.ok("router-update", "rr", "--no-routes")
    assert cli.json("router-show", "rr")["routes"] == []
    both = cli.run(
        "router-update", "rr", "--route", "destination=a,nexthop=b", "--no-routes"
    )
    assert both.returncode == 2


def test_router_port_list_shows_that_routers_ports(
    l3_endpoint: str, public: dict[str, str]
) -> None:
    cli = Cli(l3_endpoint, "cli-l3-ports")
    cli.ok("net-create", "pl-net")
    cli.ok("subnet-create", "--name", "pl-a", "pl-net", "10.83.0.0/24")
    cli.ok("subnet-create", "--name", "pl-b", "pl-net", "10.84.0.0/24")
    cli.ok("router-create", "pl-r1")
    cli.ok("router-create", "pl-r2")
    cli.ok("router-interface-add", "pl-r1", "pl-a")
    cli.ok("router-interface-add", "pl-r2", "pl-b")
    cli.ok("port-create", "--name", "pl-vm", "pl-net")
    # control: port-list shows all three ports of the tenant
    assert len(cli.json("port-list")) == 3

    table = cli.ok("router-port-list", "pl-r1")
    assert _header(table) == ["id", "name", "mac_address", "fixed_ips"]
    (port,) = cli.json("router-port-list", "pl-r1")
    assert [f["ip_address"] for f in port["fixed_ips"]] == ["10.83.0.1"]
    assert (
        cli.json("port-show", port["id"])["device_id"]
        == (cli.json("router-show", "pl-r1")["id"])
    )
    (other,) = cli.json("router-port-list", "pl-r2", "-c", "fixed_ips")
    assert [f["ip_address"] for f in other["fixed_ips"]] == ["10.84.0.1"]
    missing = cli.run("router-port-list", "pl-nobody")
    assert (missing.returncode, missing.stderr) == (
        1,
        "Unable to find router with name or id 'pl-nobody'\n",
    )
    # the gateway port is no tenant's: an administrator sees it beside
    r1 = cli.json("router-show", "pl-r1")["id"]
    admin = Cli(l3_endpoint, None)
    admin.ok("router-gateway-set", r1, "public")
    seen = admin.json("router-port-list", r1, "-F", "device_owner")
    assert sorted(p["device_owner"] for p in seen) == [
        "network:router_gateway",
        "network:router_interface",
    ]
    assert len(cli.json("router-port-list", "pl-r1")) == 1
    admin.ok("router-gateway-clear", r1)
    for router, subnet in (("pl-r1", "pl-a"), ("pl-r2", "pl-b")):
        cli.ok("router-interface-delete", router, subnet)
        assert cli.json("router-port-list", router) == []
