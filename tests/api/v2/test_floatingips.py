# SPDX-License-Identifier: Apache-2.0
"""``/v2.0/floatingips`` (spec §5.2; grizzly-internals §11.6) with the L3 service
plugin: an address on an external network, associated to a port's fixed IP
through the router that joins the port's subnet to that network."""

from __future__ import annotations

from typing import Any

from tests.api.v2.client import ADMIN, V2, error, pop_standard, tenant
from tests.api.v2.l3 import add, external, fip, private, router, topology

OTHER = tenant("other")


def fip_ports(v2: V2) -> list[dict[str, Any]]:
    found: list[dict[str, Any]]
    found = v2.get("/ports?device_owner=network:floatingip", ADMIN).json["ports"]
    assert isinstance(found, list)
    return found


def test_create_show_list_delete(l3: V2) -> None:
    t = topology(l3)
    made = fip(l3, floating_network_id=t["ext"]["id"])
    assert made.status_int == 201
    item = made.json["floatingip"]
    fip_id = item.pop("id")
    address = item.pop("floating_ip_address")
    pop_standard(item)
    assert item == {
        "tenant_id": "acme",
        "project_id": "acme",
        "floating_network_id": t["ext"]["id"],
        "port_id": None,
        "fixed_ip_address": None,
        "router_id": None,
    }
    assert address.startswith("172.24.4.")
    (port,) = fip_ports(l3)
    assert port["device_id"] == fip_id
    assert port["tenant_id"] == ""
    assert port["fixed_ips"][0]["ip_address"] == address
    assert error(l3.delete(f"/ports/{port['id']}", ADMIN)) == (409, "L3PortInUse")
    assert l3.get(f"/floatingips/{fip_id}").json["floatingip"]["id"] == fip_id
    assert [f["id"] for f in l3.get("/floatingips").json["floatingips"]] == [fip_id]
    # another tenant sees nothing of it; an admin does
    assert l3.get("/floatingips", OTHER).json["floatingips"] == []
    assert error(l3.get(f"/floatingips/{fip_id}", OTHER)) == (
        404,
        "FloatingIPNotFound",
    )
    assert error(l3.delete(f"/floatingips/{fip_id}", OTHER)) == (
        404,
        "FloatingIPNotFound",
    )
    assert len(l3.get("/floatingips", ADMIN).json["floatingips"]) == 1
    assert l3.delete(f"/floatingips/{fip_id}").status_int == 204
    assert error(l3.get(f"/floatingips/{fip_id}")) == (404, "FloatingIPNotFound")
    assert fip_ports(l3) == []


def test_associate_disassociate_and_move(l3: V2) -> None:
    t = topology(l3)
    made = fip(l3, floating_network_id=t["ext"]["id"], port_id=t["vm"]["id"])
    assert made.status_int == 201
    item = made.json["floatingip"]
    assert item["port_id"] == t["vm"]["id"]
    assert item["fixed_ip_address"] == t["vm"]["fixed_ips"][0]["ip_address"]
    assert item["router_id"] == t["router"]["id"]
    path = f"/floatingips/{item['id']}"
    off = l3.put(path, {"floatingip": {"port_id": None}}).json["floatingip"]
    assert (off["port_id"], off["fixed_ip_address"], off["router_id"]) == (
        None,
        None,
        None,
    )
    assert off["revision_number"] == 2
    other_vm = l3.port(t["net"]["id"])
    on = l3.put(path, {"floatingip": {"port_id": t["vm"]["id"]}}).json["floatingip"]
    assert on["fixed_ip_address"] == t["vm"]["fixed_ips"][0]["ip_address"]
    moved = l3.put(path, {"floatingip": {"port_id": other_vm["id"]}})
    assert moved.json["floatingip"]["port_id"] == other_vm["id"]
    assert (
        moved.json["floatingip"]["fixed_ip_address"]
        == (other_vm["fixed_ips"][0]["ip_address"])
    )
    listed = l3.get(f"/floatingips?port_id={other_vm['id']}").json["floatingips"]
    assert [f["id"] for f in listed] == [item["id"]]
    described = l3.put(path, {"floatingip": {"description": "web"}})
    assert described.json["floatingip"]["port_id"] == other_vm["id"]
    assert described.json["floatingip"]["description"] == "web"
    # the associated port going disassociates it
    assert l3.delete(f"/ports/{other_vm['id']}").status_int == 204
    gone = l3.get(path).json["floatingip"]
    assert (gone["port_id"], gone["fixed_ip_address"], gone["router_id"]) == (
        None,
        None,
        None,
    )


def test_a_fixed_ip_by_name(l3: V2) -> None:
    t = topology(l3)
    two = l3.port(
        t["net"]["id"],
        fixed_ips=[
            {"subnet_id": t["subnet"]["id"], "ip_address": "10.0.0.20"},
            {"subnet_id": t["subnet"]["id"], "ip_address": "10.0.0.21"},
        ],
    )
    ext = t["ext"]["id"]
    assert error(fip(l3, floating_network_id=ext, port_id=two["id"])) == (
        400,
        "InvalidInput",
    )
    chosen = fip(
        l3, floating_network_id=ext, port_id=two["id"], fixed_ip_address="10.0.0.21"
    )
    assert chosen.json["floatingip"]["fixed_ip_address"] == "10.0.0.21"
    wrong = fip(
        l3, floating_network_id=ext, port_id=two["id"], fixed_ip_address="10.0.0.22"
    )
    assert error(wrong) == (400, "InvalidInput")
    assert error(fip(l3, floating_network_id=ext, fixed_ip_address="10.0.0.20")) == (
        400,
        "InvalidInput",
    )
    # one (port, fixed IP) has one floating IP; the other fixed IP is free
    again = fip(
        l3, floating_network_id=ext, port_id=two["id"], fixed_ip_address="10.0.0.21"
    )
    assert error(again) == (409, "FloatingIPPortAlreadyAssociated")
    other = fip(
        l3, floating_network_id=ext, port_id=two["id"], fixed_ip_address="10.0.0.20"
    )
    assert other.status_int == 201
    plain = fip(l3, floating_network_id=ext).json["floatingip"]
    taken = l3.put(
        f"/floatingips/{plain['id']}",
        {"floatingip": {"port_id": two["id"], "fixed_ip_address": "10.0.0.20"}},
    )
    assert error(taken) == (409, "FloatingIPPortAlreadyAssociated")
    only_ip = l3.put(
        f"/floatingips/{plain['id']}", {"floatingip": {"fixed_ip_address": "10.0.0.20"}}
    )
    assert error(only_ip) == (400, "InvalidInput")
    assert len(fip_ports(l3)) == 3


def test_refused_associations_leave_nothing(l3: V2) -> None:
    t = topology(l3)
    ext = t["ext"]["id"]
    # a subnet no router joins to the external network
    lone_net, _ = private(l3, "10.7.0.0/24")
    lone = l3.port(lone_net["id"])
    refused = fip(l3, floating_network_id=ext, port_id=lone["id"])
    assert error(refused) == (404, "ExternalGatewayForFloatingIPNotFound")
    # a router joins it, but has no gateway on that network
    _, joined = private(l3, "10.8.0.0/24")
    no_gw = router(l3)
    add(l3, no_gw["id"], subnet_id=joined["id"])
    joined_port = l3.port(joined["network_id"])
    assert error(fip(l3, floating_network_id=ext, port_id=joined_port["id"])) == (
        404,
        "ExternalGatewayForFloatingIPNotFound",
    )
    # a port without a fixed IP, another tenant's port, no such port
    bare = l3.port(t["net"]["id"], fixed_ips=[])
    assert error(fip(l3, floating_network_id=ext, port_id=bare["id"])) == (
        400,
        "InvalidInput",
    )
    theirs_net, _ = private(l3, "10.0.0.0/24", OTHER)
    theirs = l3.port(theirs_net["id"], OTHER)
    hidden = fip(l3, floating_network_id=ext, port_id=theirs["id"])
    assert error(hidden) == (404, "PortNotFound")
    as_admin = fip(
        l3, ADMIN, tenant_id="acme", floating_network_id=ext, port_id=theirs["id"]
    )
    assert error(as_admin) == (400, "InvalidInput")
    missing = "9d3a4b9c-54c5-4a8e-a0c0-8e4b1c1c1c1c"
    assert error(fip(l3, floating_network_id=ext, port_id=missing)) == (
        404,
        "PortNotFound",
    )
    # a floating network that is not external, or does not exist
    assert error(fip(l3, floating_network_id=t["net"]["id"])) == (400, "InvalidInput")
    assert error(
        fip(l3, floating_network_id=t["net"]["id"], port_id=t["vm"]["id"])
    ) == (400, "InvalidInput")
    assert error(fip(l3, floating_network_id=missing)) == (404, "NetworkNotFound")
    assert fip_ports(l3) == []
    assert l3.get("/floatingips", ADMIN).json["floatingips"] == []


def test_bad_floatingip_bodies_are_400(sqlite_l3: V2) -> None:
    ext, _ = external(sqlite_l3)
    for body in (
        {},
        {"floating_network_id": "not-a-uuid"},
        {"floating_network_id": ext["id"], "port_id": "not-a-uuid"},
        {"floating_network_id": ext["id"], "fixed_ip_address": "10.0.0.300"},
        {"floating_network_id": ext["id"], "floating_ip_address": "172.24.4.9"},
        {"floating_network_id": ext["id"], "router_id": None},
    ):
        assert error(fip(sqlite_l3, **body)) == (400, "InvalidInput"), body
    bare = sqlite_l3.network(ADMIN, **{"router:external": True})
    assert error(fip(sqlite_l3, floating_network_id=bare["id"])) == (
        400,
        "InvalidInput",
    )
    assert fip_ports(sqlite_l3) == []


def test_exhausted_external_subnet_is_409(sqlite_l3: V2) -> None:
    net = sqlite_l3.network(ADMIN, **{"router:external": True})
    body = {
        "subnet": {
            "network_id": net["id"],
            "cidr": "172.24.4.0/29",
            "ip_version": 4,
            "allocation_pools": [{"start": "172.24.4.2", "end": "172.24.4.3"}],
        }
    }
    assert sqlite_l3.post("/subnets", body, ADMIN).status_int == 201
    for _ in range(2):
        assert fip(sqlite_l3, floating_network_id=net["id"]).status_int == 201
    assert error(fip(sqlite_l3, floating_network_id=net["id"])) == (
        409,
        "IpAddressGenerationFailure",
    )
    assert len(fip_ports(sqlite_l3)) == 2


def test_sorting_paging_and_filters(sqlite_l3: V2) -> None:
    t = topology(sqlite_l3)
    made = [
        fip(sqlite_l3, floating_network_id=t["ext"]["id"]).json["floatingip"]
        for _ in range(3)
    ]
    addresses = sorted(f["floating_ip_address"] for f in made)
    shown = sqlite_l3.get("/floatingips?sort_key=floating_ip_address&limit=2").json
    assert [f["floating_ip_address"] for f in shown["floatingips"]] == addresses[:2]
    by_address = sqlite_l3.get(f"/floatingips?floating_ip_address={addresses[1]}")
    assert len(by_address.json["floatingips"]) == 1
    sqlite_l3.put(
        f"/floatingips/{made[0]['id']}", {"floatingip": {"port_id": t["vm"]["id"]}}
    )
    routed = sqlite_l3.get(f"/floatingips?router_id={t['router']['id']}").json
    assert [f["id"] for f in routed["floatingips"]] == [made[0]["id"]]
    assert sqlite_l3.put(f"/floatingips/{made[1]['id']}/tags/web", None).status_int == (
        201
    )
    tagged = sqlite_l3.get("/floatingips?tags=web").json["floatingips"]
    assert [f["id"] for f in tagged] == [made[1]["id"]]


def test_floatingip_quota(sqlite_l3: V2) -> None:
    ext, _ = external(sqlite_l3)
    sqlite_l3.put("/quotas/acme", {"quota": {"floatingip": 1}}, ADMIN)
    assert fip(sqlite_l3, floating_network_id=ext["id"]).status_int == 201
    assert error(fip(sqlite_l3, floating_network_id=ext["id"])) == (409, "OverQuota")
    assert len(fip_ports(sqlite_l3)) == 1
