# SPDX-License-Identifier: Apache-2.0
"""``/v2.0/routers`` (spec §5.2, §5.3; grizzly-internals §11.6, §11.7) with the L3
service plugin: routers, gateways, interfaces, extra routes, and what they keep
from being deleted (also through v1)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.v2.client import ADMIN, V2, error, pop_standard, tenant
from tests.api.v2.l3 import (
    add,
    external,
    fip,
    private,
    remove,
    router,
    subnet,
    topology,
)

OTHER = tenant("other")


def ports_of(v2: V2, device_id: str) -> list[dict[str, Any]]:
    return v2.get(f"/ports?device_id={device_id}", ADMIN).json["ports"]  # type: ignore[no-any-return]


def test_create_show_list_update_delete(l3: V2) -> None:
    made = router(l3, name="r1")
    router_id = made.pop("id")
    pop_standard(made)
    assert made == {
        "name": "r1",
        "tenant_id": "acme",
        "project_id": "acme",
        "admin_state_up": True,
        "status": "ACTIVE",
        "external_gateway_info": None,
        "routes": [],
    }
    shown = l3.get(f"/routers/{router_id}").json["router"]
    assert shown["name"] == "r1"
    router(l3, name="r2", admin_state_up=False)
    names = [
        r["name"]
        for r in l3.get("/routers?sort_key=name&sort_dir=desc").json["routers"]
    ]
    assert names == ["r2", "r1"]
    assert [r["name"] for r in l3.get("/routers?name=r1").json["routers"]] == ["r1"]
    page = l3.get("/routers?limit=1&sort_key=name").json
    assert [r["name"] for r in page["routers"]] == ["r1"]
    assert page["routers_links"][0]["rel"] == "next"
    renamed = l3.put(f"/routers/{router_id}", {"router": {"name": "new"}})
    assert renamed.status_int == 200
    assert renamed.json["router"]["name"] == "new"
    assert renamed.json["router"]["revision_number"] == 2
    assert l3.get("/routers", OTHER).json["routers"] == []
    assert error(l3.get(f"/routers/{router_id}", OTHER)) == (404, "RouterNotFound")
    assert error(l3.delete(f"/routers/{router_id}", OTHER)) == (404, "RouterNotFound")
    assert len(l3.get("/routers", ADMIN).json["routers"]) == 2
    assert l3.delete(f"/routers/{router_id}").status_int == 204
    assert error(l3.get(f"/routers/{router_id}")) == (404, "RouterNotFound")


def test_bad_router_bodies_are_400(sqlite_l3: V2) -> None:
    body: dict[str, Any]
    for body in (
        {"router": {"routes": []}},
        {"router": {"status": "DOWN"}},
        {"router": {"admin_state_up": "maybe"}},
        {"router": {"external_gateway_info": "net"}},
        {"router": {"external_gateway_info": {"network_id": 1}}},
        {"router": {"external_gateway_info": {"network": "x"}}},
        {"router": {"external_gateway_info": {"enable_snat": False}}},
    ):
        assert error(sqlite_l3.post("/routers", body)) == (400, "InvalidInput"), body
    assert sqlite_l3.get("/routers").json["routers"] == []


def test_gateway_set_moved_and_removed(l3: V2) -> None:
    ext, ext_subnet = external(l3)
    other_ext, _ = external(l3, "172.25.0.0/24")
    made = router(l3, external_gateway_info={"network_id": ext["id"]})
    assert made["external_gateway_info"] == {
        "network_id": ext["id"],
        "enable_snat": True,
    }
    (gateway,) = ports_of(l3, made["id"])
    assert gateway["device_owner"] == "network:router_gateway"
    assert gateway["tenant_id"] == ""
    assert gateway["fixed_ips"][0]["subnet_id"] == ext_subnet["id"]
    # a tenant does not see the gateway port, nor may it delete it
    assert l3.get(f"/ports/{gateway['id']}").status_int == 404
    assert error(l3.delete(f"/ports/{gateway['id']}", ADMIN)) == (409, "L3PortInUse")
    path = f"/routers/{made['id']}"
    same = l3.put(
        path, {"router": {"external_gateway_info": {"network_id": ext["id"]}}}
    )
    assert [p["id"] for p in ports_of(l3, made["id"])] == [gateway["id"]]
    assert same.json["router"]["external_gateway_info"]["network_id"] == ext["id"]
    moved = l3.put(
        path, {"router": {"external_gateway_info": {"network_id": other_ext["id"]}}}
    )
    assert (
        moved.json["router"]["external_gateway_info"]["network_id"] == other_ext["id"]
    )
    (new_gateway,) = ports_of(l3, made["id"])
    assert new_gateway["network_id"] == other_ext["id"]
    assert l3.get(f"/ports/{gateway['id']}", ADMIN).status_int == 404
    removed = l3.put(path, {"router": {"external_gateway_info": {}}})
    assert removed.json["router"]["external_gateway_info"] is None
    assert ports_of(l3, made["id"]) == []
    l3.put(path, {"router": {"external_gateway_info": {"network_id": ext["id"]}}})
    cleared = l3.put(path, {"router": {"external_gateway_info": None}})
    assert cleared.json["router"]["external_gateway_info"] is None
    # deleting the router deletes its gateway port
    l3.put(path, {"router": {"external_gateway_info": {"network_id": ext["id"]}}})
    assert l3.delete(path).status_int == 204
    assert ports_of(l3, made["id"]) == []


def test_snat_is_on_unless_an_admin_turns_it_off(l3: V2) -> None:
    ext, _ = external(l3)
    off = {"network_id": ext["id"], "enable_snat": False}
    refused = l3.post("/routers", {"router": {"external_gateway_info": off}})
    assert error(refused) == (403, "PolicyNotAuthorized")
    made = router(l3, ADMIN, tenant_id="acme", external_gateway_info=off)
    assert made["external_gateway_info"] == off
    path = f"/routers/{made['id']}"
    on = {"network_id": ext["id"], "enable_snat": True}
    assert l3.put(path, {"router": {"external_gateway_info": on}}).status_int == 200
    assert l3.get(path).json["router"]["external_gateway_info"] == on
    assert len(ports_of(l3, made["id"])) == 1


def test_bad_gateways_are_refused_and_leave_no_port(l3: V2) -> None:
    internal, _ = private(l3)
    bare = l3.network(ADMIN, **{"router:external": True})
    made = router(l3)
    path = f"/routers/{made['id']}"
    for gateway, expected in (
        ({"network_id": "foobar"}, (404, "NetworkNotFound")),
        (
            {"network_id": "9d3a4b9c-54c5-4a8e-a0c0-8e4b1c1c1c1c"},
            (404, "NetworkNotFound"),
        ),
        ({"network_id": internal["id"]}, (400, "InvalidInput")),
        ({"network_id": bare["id"]}, (400, "InvalidInput")),
    ):
        body = {"router": {"external_gateway_info": gateway}}
        assert error(l3.put(path, body)) == expected, gateway
        assert error(l3.post("/routers", body)) == expected, gateway
    assert ports_of(l3, made["id"]) == []
    assert len(l3.get("/routers").json["routers"]) == 1
    assert l3.get("/ports", ADMIN).json["ports"] == []


def test_interface_by_subnet_added_and_removed(l3: V2) -> None:
    net, sub = private(l3)
    made = router(l3)
    added = add(l3, made["id"], subnet_id=sub["id"])
    assert added.status_int == 200
    assert set(added.json) == {"port_id", "subnet_id"}
    assert added.json["subnet_id"] == sub["id"]
    port = l3.get(f"/ports/{added.json['port_id']}").json["port"]
    assert port["device_id"] == made["id"]
    assert port["device_owner"] == "network:router_interface"
    assert port["tenant_id"] == "acme"
    assert port["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": "10.0.0.1"}]
    assert port["network_id"] == net["id"]
    removed = remove(l3, made["id"], subnet_id=sub["id"])
    assert removed.status_int == 200
    assert removed.json == added.json
    assert error(l3.get(f"/ports/{added.json['port_id']}")) == (404, "PortNotFound")
    # the gateway address is free again
    again = add(l3, made["id"], subnet_id=sub["id"])
    assert again.status_int == 200
    assert remove(l3, made["id"], port_id=again.json["port_id"]).json == again.json


def test_interface_by_port(l3: V2) -> None:
    net, sub = private(l3)
    made = router(l3)
    port = l3.port(
        net["id"], fixed_ips=[{"subnet_id": sub["id"], "ip_address": "10.0.0.9"}]
    )
    added = add(l3, made["id"], port_id=port["id"])
    assert added.json == {"port_id": port["id"], "subnet_id": sub["id"]}
    shown = l3.get(f"/ports/{port['id']}").json["port"]
    assert (shown["device_id"], shown["device_owner"]) == (
        made["id"],
        "network:router_interface",
    )
    second = router(l3)
    assert error(add(l3, second["id"], port_id=port["id"])) == (409, "PortInUse")
    taken = l3.port(net["id"], device_id="vm-1")
    assert error(add(l3, second["id"], port_id=taken["id"])) == (409, "PortInUse")
    two = l3.port(
        net["id"],
        fixed_ips=[{"subnet_id": sub["id"]}, {"subnet_id": sub["id"]}],
    )
    assert error(add(l3, second["id"], port_id=two["id"])) == (400, "InvalidInput")
    none = l3.port(net["id"], fixed_ips=[])
    assert error(add(l3, second["id"], port_id=none["id"])) == (400, "InvalidInput")
    mismatch = remove(l3, made["id"], port_id=port["id"], subnet_id=two["id"])
    assert error(mismatch) == (409, "SubnetMismatchForPort")
    assert error(remove(l3, second["id"], port_id=port["id"])) == (
        404,
        "RouterInterfaceNotFound",
    )
    assert error(remove(l3, made["id"], port_id=taken["id"])) == (
        404,
        "RouterInterfaceNotFound",
    )
    assert (
        remove(l3, made["id"], port_id=port["id"], subnet_id=sub["id"]).status_int
        == 200
    )
    assert error(l3.get(f"/ports/{port['id']}")) == (404, "PortNotFound")


def test_one_interface_per_subnet_and_no_overlaps(l3: V2) -> None:
    net, sub = private(l3)
    made = router(l3)
    assert add(l3, made["id"], subnet_id=sub["id"]).status_int == 200
    assert error(add(l3, made["id"], subnet_id=sub["id"])) == (400, "InvalidInput")
    other_port = l3.port(net["id"])
    assert error(add(l3, made["id"], port_id=other_port["id"])) == (400, "InvalidInput")
    for cidr in ("10.0.0.0/24", "10.0.0.0/16", "10.0.0.0/28"):
        _, overlapping = private(l3, cidr)
        refused = add(l3, made["id"], subnet_id=overlapping["id"])
        assert error(refused) == (400, "InvalidInput"), cidr
        assert "overlaps" in refused.json["NeutronError"]["message"]
    # the gateway's subnet counts too, both ways
    ext, _ = external(l3, "10.0.0.0/20")
    body = {"router": {"external_gateway_info": {"network_id": ext["id"]}}}
    assert error(l3.put(f"/routers/{made['id']}", body)) == (400, "InvalidInput")
    ext2, ext2_subnet = external(l3, "192.168.50.0/24")
    gw = router(l3, external_gateway_info={"network_id": ext2["id"]})
    _, inside = private(l3, "192.168.50.0/25")
    assert error(add(l3, gw["id"], subnet_id=inside["id"])) == (400, "InvalidInput")
    # other routers are not limited by this one
    _, sub2 = private(l3, "10.1.0.0/24")
    assert add(l3, gw["id"], subnet_id=sub2["id"]).status_int == 200
    assert ext2_subnet


def test_bad_interface_requests(l3: V2) -> None:
    _, sub = private(l3)
    net, nogw = private(l3, "10.9.0.0/24")
    l3.put(f"/subnets/{nogw['id']}", {"subnet": {"gateway_ip": None}})
    made = router(l3)
    for body, expected in (
        ({}, (400, "InvalidInput")),
        ({"subnet_id": sub["id"], "port_id": sub["id"]}, (400, "InvalidInput")),
        ({"subnet_id": 5}, (400, "InvalidInput")),
        ({"subnet_id": "nope"}, (404, "SubnetNotFound")),
        ({"port_id": "nope"}, (404, "PortNotFound")),
        ({"subnet_id": nogw["id"]}, (400, "InvalidInput")),
    ):
        assert error(add(l3, made["id"], **body)) == expected, body
    raw = l3.put(f"/routers/{made['id']}/add_router_interface", '["x"]')
    assert error(raw) == (400, "InvalidInput")
    assert error(remove(l3, made["id"])) == (400, "InvalidInput")
    assert error(remove(l3, made["id"], subnet_id=sub["id"])) == (
        404,
        "RouterInterfaceNotFoundForSubnet",
    )
    missing = "9d3a4b9c-54c5-4a8e-a0c0-8e4b1c1c1c1c"
    assert error(add(l3, missing, subnet_id=sub["id"])) == (404, "RouterNotFound")
    get = l3.get(f"/routers/{made['id']}/add_router_interface")
    assert get.status_int == 405
    # the gateway address taken by a VM: 409
    vm = l3.port(
        net["id"], fixed_ips=[{"subnet_id": nogw["id"], "ip_address": "10.9.0.1"}]
    )
    l3.put(f"/subnets/{nogw['id']}", {"subnet": {"gateway_ip": "10.9.0.1"}})
    assert error(add(l3, made["id"], subnet_id=nogw["id"])) == (409, "IpAddressInUse")
    assert vm
    assert ports_of(l3, made["id"]) == []


def test_tenants_see_and_attach_only_their_own(l3: V2) -> None:
    _, mine = private(l3)
    _, theirs = private(l3, "10.5.0.0/24", OTHER)
    made = router(l3)
    # another tenant's private subnet is invisible; its router too
    assert error(add(l3, made["id"], subnet_id=theirs["id"])) == (404, "SubnetNotFound")
    assert error(add(l3, made["id"], OTHER, subnet_id=theirs["id"])) == (
        404,
        "RouterNotFound",
    )
    assert error(remove(l3, made["id"], OTHER, subnet_id=mine["id"])) == (
        404,
        "RouterNotFound",
    )
    # an admin attaches anything; the port is the subnet's tenant's
    added = add(l3, made["id"], ADMIN, subnet_id=theirs["id"])
    assert added.status_int == 200
    port = l3.get(f"/ports/{added.json['port_id']}", ADMIN).json["port"]
    assert port["tenant_id"] == "other"
    assert add(l3, made["id"], subnet_id=mine["id"]).status_int == 200
    # an overlap with the other tenant's subnet does not name it
    _, near = private(l3, "10.5.0.0/16")
    refused = add(l3, made["id"], subnet_id=near["id"])
    assert error(refused) == (400, "InvalidInput")
    assert theirs["id"] not in refused.text
    # a shared network's subnet is attachable by anybody
    shared = l3.network(ADMIN, tenant_id="other", shared=True)
    shared_subnet = subnet(l3, shared["id"], "10.6.0.0/24", ADMIN, tenant_id="other")
    assert add(l3, made["id"], subnet_id=shared_subnet["id"]).status_int == 200
    assert remove(l3, made["id"], ADMIN, subnet_id=theirs["id"]).status_int == 200


def test_in_use_things_cannot_be_deleted(l3: V2) -> None:
    net, sub = private(l3)
    made = router(l3)
    port_id = add(l3, made["id"], subnet_id=sub["id"]).json["port_id"]
    assert error(l3.delete(f"/routers/{made['id']}")) == (409, "RouterInUse")
    assert error(l3.delete(f"/ports/{port_id}")) == (409, "L3PortInUse")
    assert error(l3.delete(f"/subnets/{sub['id']}")) == (409, "SubnetInUse")
    assert error(l3.delete(f"/networks/{net['id']}")) == (409, "NetworkInUse")
    # v1: the same refusals in its own dialect, and the port stays
    v1 = f"/v1.1/tenants/acme/networks/{net['id']}"
    refused = l3.client.request("DELETE", f"{v1}/ports/{port_id}.json")
    assert refused.status_int == 409
    assert refused.json["QuantumError"]["type"] == "L3PortInUse"
    in_use = l3.client.request("DELETE", f"{v1}.json")
    assert in_use.status_int == 409
    assert in_use.json["QuantumError"]["type"] == "NetworkInUse"
    v10 = f"/v1.0/tenants/acme/networks/{net['id']}"
    family = l3.client.request("DELETE", f"{v10}/ports/{port_id}.json")
    assert family.status_int == 409
    assert port_id in family.text
    assert l3.get(f"/ports/{port_id}").status_int == 200
    assert remove(l3, made["id"], subnet_id=sub["id"]).status_int == 200
    assert l3.delete(f"/routers/{made['id']}").status_int == 204
    assert l3.delete(f"/subnets/{sub['id']}").status_int == 204
    assert l3.delete(f"/networks/{net['id']}").status_int == 204


def test_external_networks(l3: V2) -> None:
    refused = l3.post("/networks", {"network": {"router:external": True}})
    assert error(refused) == (403, "PolicyNotAuthorized")
    ext, _ = external(l3)
    assert ext["router:external"] is True
    assert error(l3.post("/ports", {"port": {"network_id": ext["id"]}})) == (
        403,
        "NotAuthorized",
    )
    assert l3.port(ext["id"], ADMIN)["network_id"] == ext["id"]
    made = router(l3, external_gateway_info={"network_id": ext["id"]})
    path = f"/networks/{ext['id']}"
    off = {"network": {"router:external": False}}
    assert error(l3.put(path, off, ADMIN)) == (409, "ExternalNetworkInUse")
    other, _ = external(l3, "172.30.0.0/24")
    assert l3.put(f"/networks/{other['id']}", off, ADMIN).status_int == 200
    l3.put(f"/routers/{made['id']}", {"router": {"external_gateway_info": None}})
    assert l3.put(path, off, ADMIN).json["network"]["router:external"] is False
    listed = l3.get("/networks?router:external=True").json["networks"]
    assert listed == []


def test_extra_routes(l3: V2) -> None:
    ext, _ = external(l3)
    _, sub = private(l3)
    made = router(l3, external_gateway_info={"network_id": ext["id"]})
    add(l3, made["id"], subnet_id=sub["id"])
    path = f"/routers/{made['id']}"
    one = [{"destination": "192.168.1.0/24", "nexthop": "10.0.0.5"}]
    set_ = l3.put(path, {"router": {"routes": one}})
    assert set_.status_int == 200
    assert set_.json["router"]["routes"] == one
    assert l3.get(path).json["router"]["routes"] == one
    several = [
        {"destination": "192.168.2.0/24", "nexthop": "10.0.0.6"},
        {"destination": "192.168.1.0/24", "nexthop": "10.0.0.5"},
        # a next hop on the gateway's subnet is valid
        {"destination": "0.0.0.0/0", "nexthop": "172.24.4.100"},
    ]
    assert (
        l3.put(path, {"router": {"routes": several}}).json["router"]["routes"]
        == several
    )
    assert error(remove(l3, made["id"], subnet_id=sub["id"])) == (
        409,
        "RouterInterfaceInUseByRoute",
    )
    assert l3.put(path, {"router": {"routes": []}}).json["router"]["routes"] == []
    assert remove(l3, made["id"], subnet_id=sub["id"]).status_int == 200


@pytest.mark.parametrize(
    ("routes", "kind"),
    [
        ([{"destination": "192.168.1.0/24"}], "InvalidInput"),
        ([{"nexthop": "10.0.0.5"}], "InvalidInput"),
        ([{"destination": None, "nexthop": "10.0.0.5"}], "InvalidInput"),
        ([{"destination": "192.168.1.0/24", "nexthop": None}], "InvalidInput"),
        ([{"destination": "192.168.1.0/24", "nexthop": "10.0.0.1"}], "InvalidInput"),
        ([{"destination": "192.168.1.0/24", "nexthop": "10.99.0.5"}], "InvalidInput"),
        ([{"destination": "192.168.1.0/33", "nexthop": "10.0.0.5"}], "InvalidInput"),
        ([{"destination": "192.168.1.0/24", "nexthop": "10.0.0.500"}], "InvalidInput"),
        (
            [{"destination": "192.168.1.0/24", "nexthop": "10.0.0.5"}] * 2,
            "InvalidInput",
        ),
        (None, "InvalidInput"),
        ("10.0.0.0/8", "InvalidInput"),
        (
            [
                {"destination": f"192.168.{i}.0/24", "nexthop": "10.0.0.5"}
                for i in range(31)
            ],
            "RoutesExhausted",
        ),
    ],
)
def test_bad_routes_are_400_and_change_nothing(
    sqlite_l3: V2, routes: Any, kind: str
) -> None:
    _, sub = private(sqlite_l3)
    made = router(sqlite_l3)
    add(sqlite_l3, made["id"], subnet_id=sub["id"])
    path = f"/routers/{made['id']}"
    assert error(sqlite_l3.put(path, {"router": {"routes": routes}})) == (400, kind)
    assert sqlite_l3.get(path).json["router"]["routes"] == []


def test_thirty_routes_fit(sqlite_l3: V2) -> None:
    _, sub = private(sqlite_l3)
    made = router(sqlite_l3)
    add(sqlite_l3, made["id"], subnet_id=sub["id"])
    routes = [
        {"destination": f"192.168.{i}.0/24", "nexthop": "10.0.0.5"} for i in range(30)
    ]
    done = sqlite_l3.put(f"/routers/{made['id']}", {"router": {"routes": routes}})
    assert done.json["router"]["routes"] == routes


def test_router_quota(l3: V2) -> None:
    l3.put("/quotas/acme", {"quota": {"router": 1}}, ADMIN)
    router(l3)
    assert error(l3.post("/routers", {"router": {}})) == (409, "OverQuota")
    assert router(l3, OTHER)
    details = l3.get("/quotas/acme/details", ADMIN).json["quota"]["router"]
    assert details == {"used": 1, "limit": 1, "reserved": 0}


def test_router_tags_and_standard_attributes(l3: V2) -> None:
    made = router(l3, description="edge")
    assert made["description"] == "edge"
    path = f"/routers/{made['id']}"
    assert l3.put(f"{path}/tags/blue", None).status_int == 201
    assert l3.get(path).json["router"]["tags"] == ["blue"]
    router(l3, name="plain")
    tagged = l3.get("/routers?tags=blue").json["routers"]
    assert [r["id"] for r in tagged] == [made["id"]]
    assert error(l3.put(f"{path}/tags/red", None, OTHER)) == (404, "RouterNotFound")


def test_router_with_floating_ip_cannot_be_deleted_nor_lose_its_gateway(
    l3: V2,
) -> None:
    ext, _ = external(l3)
    net, sub = private(l3)
    made = router(l3, external_gateway_info={"network_id": ext["id"]})
    add(l3, made["id"], subnet_id=sub["id"])
    vm = l3.port(net["id"])
    assert fip(l3, floating_network_id=ext["id"], port_id=vm["id"]).status_int == 201
    path = f"/routers/{made['id']}"
    assert error(l3.delete(path)) == (409, "RouterInUse")
    removed = l3.put(path, {"router": {"external_gateway_info": None}})
    assert error(removed) == (409, "RouterExternalGatewayInUseByFloatingIp")
    other, _ = external(l3, "172.30.0.0/24")
    moved = l3.put(
        path, {"router": {"external_gateway_info": {"network_id": other["id"]}}}
    )
    assert error(moved) == (409, "RouterExternalGatewayInUseByFloatingIp")
    assert error(remove(l3, made["id"], subnet_id=sub["id"])) == (
        409,
        "RouterInterfaceInUseByFloatingIP",
    )
    interface = ports_of(l3, made["id"])
    by_port = [p for p in interface if p["device_owner"] == "network:router_interface"]
    assert error(remove(l3, made["id"], port_id=by_port[0]["id"])) == (
        409,
        "RouterInterfaceInUseByFloatingIP",
    )
    # the VM's port going disassociates its floating IP, which then holds nothing
    assert l3.delete(f"/ports/{vm['id']}").status_int == 204
    assert remove(l3, made["id"], subnet_id=sub["id"]).status_int == 200
    assert l3.delete(path).status_int == 204


def test_ids_no_back_end_can_keep_are_refused_at_the_edge(l3: V2) -> None:
    """A NUL in a router or floating IP id, in the path or in a body, never reaches
    the store (PostgreSQL cannot keep it): 404 for the path, 400 for the body."""
    topo = topology(l3)
    r = topo["router"]["id"]
    bad = "a%00b"
    for path in (f"/routers/{bad}", f"/floatingips/{bad}"):
        assert l3.get(path).status_int == 404, path
        assert l3.delete(path).status_int == 404, path
    assert add(l3, bad, subnet_id=topo["subnet"]["id"]).status_int == 404
    for key in ("subnet_id", "port_id"):
        response = l3.put(f"/routers/{r}/add_router_interface", {key: "a\x00b"})
        assert error(response) == (400, "InvalidInput"), key
    gateway = {"router": {"external_gateway_info": {"network_id": "a\x00b"}}}
    assert error(l3.put(f"/routers/{r}", gateway)) == (400, "InvalidInput")
    assert error(fip(l3, floating_network_id="a\x00b")) == (400, "InvalidInput")
    # NOTE: the controls: the same calls with ids the store has succeed.
    assert l3.get(f"/routers/{r}").status_int == 200
    made = fip(l3, floating_network_id=topo["ext"]["id"], port_id=topo["vm"]["id"])
    assert made.status_int == 201, made.body
    assert l3.get(f"/floatingips/{made.json['floatingip']['id']}").status_int == 200
