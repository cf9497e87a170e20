# SPDX-License-Identifier: Apache-2.0
"""The openstack CLI's router and floating IP commands against a
Keystone-authenticated server with the L3 service plugin: an admin makes an
external network, the demo user a router between it and its own subnet, with an
extra route, and a floating IP it points at a VM's port, then takes it all down;
the server's refusals reach the user."""

from __future__ import annotations

from tests.functional.clients.conftest import Openstack


def test_openstack_routers_and_floating_ips(
    openstack_admin: Openstack, openstack_user: Openstack
) -> None:
    admin, demo = openstack_admin, openstack_user
    ext = admin.json("network", "create", "--external", "cli-ext")
    admin.ok(
        "subnet", "create", "--network", ext["id"], "--subnet-range",
        "172.24.40.0/24", "--no-dhcp", "cli-ext-subnet",
    )  # fmt: skip
    net = demo.json("network", "create", "cli-private")
    sub = demo.json(
        "subnet", "create", "--network", net["id"], "--subnet-range",
        "10.40.0.0/24", "cli-private-subnet",
    )  # fmt: skip
    router = demo.json("router", "create", "cli-router")
    fip: dict[str, object] = {}
    vm: dict[str, object] = {}
    try:
        assert router["name"] == "cli-router"
        assert router["external_gateway_info"] is None
        demo.ok("router", "add", "subnet", router["id"], sub["id"])
        interfaces = demo.json(
            "port", "list", "--device-owner", "network:router_interface"
        )
        assert [p["Fixed IP Addresses"][0]["ip_address"] for p in interfaces] == [
            "10.40.0.1"
        ]
        demo.ok("router", "set", "--external-gateway", ext["id"], router["id"])
        shown = demo.json("router", "show", router["id"])
        assert shown["external_gateway_info"]["network_id"] == ext["id"]
        assert shown["external_gateway_info"]["enable_snat"] is True
        # only an admin turns SNAT off
        refused = demo.run(
            "router", "set", "--external-gateway", ext["id"], "--disable-snat",
            router["id"],
        )  # fmt: skip
        assert refused.returncode != 0
        admin.ok(
            "router", "set", "--external-gateway", ext["id"], "--disable-snat",
            router["id"],
        )  # fmt: skip
        snat = demo.json("router", "show", router["id"])["external_gateway_info"]
        assert snat["enable_snat"] is False

        demo.ok(
            "router", "set", "--route", "destination=192.168.40.0/24,gateway=10.40.0.5",
            router["id"],
        )  # fmt: skip
        routes = demo.json("router", "show", router["id"])["routes"]
        assert routes == [{"destination": "192.168.40.0/24", "nexthop": "10.40.0.5"}]
        off_net = demo.run(
            "router", "set", "--route", "destination=192.168.41.0/24,gateway=10.99.0.5",
            router["id"],
        )  # fmt: skip
        assert off_net.returncode != 0
        assert "is not connected with router" in off_net.stderr
        demo.ok("router", "set", "--no-route", router["id"])

        vm = demo.json("port", "create", "--network", net["id"], "cli-vm")
        fip = demo.json("floating", "ip", "create", ext["id"])
        assert str(fip["floating_ip_address"]).startswith("172.24.40.")
        assert fip["port_id"] is None
        demo.ok("floating", "ip", "set", "--port", str(vm["id"]), str(fip["id"]))
        associated = demo.json("floating", "ip", "show", str(fip["id"]))
        assert associated["port_id"] == vm["id"]
        assert associated["fixed_ip_address"] == "10.40.0.2"
        assert associated["router_id"] == router["id"]
        listed = demo.json("floating", "ip", "list")
        assert [row["Fixed IP Address"] for row in listed] == ["10.40.0.2"]

        in_use = demo.run("router", "delete", router["id"])
        assert in_use.returncode != 0
        busy = demo.run("router", "remove", "subnet", router["id"], sub["id"])
        assert busy.returncode != 0
        assert "required by one or more floating IPs" in busy.stderr

        demo.ok("floating", "ip", "unset", "--port", str(fip["id"]))
        assert demo.json("floating", "ip", "show", str(fip["id"]))["port_id"] is None
    finally:
        if fip:
            demo.ok("floating", "ip", "delete", str(fip["id"]))
        if vm:
            demo.ok("port", "delete", str(vm["id"]))
        demo.run("router", "remove", "subnet", router["id"], sub["id"])
        demo.run("router", "unset", "--external-gateway", router["id"])
        demo.ok("router", "delete", router["id"])
        demo.ok("subnet", "delete", sub["id"])
        demo.ok("network", "delete", net["id"])
        admin.ok("network", "delete", ext["id"])
    assert demo.json("router", "list") == []
    assert demo.json("floating", "ip", "list") == []
