# SPDX-License-Identifier: Apache-2.0
"""``/v2.0/lb/...`` (spec §5.10, §7 quirks 7 and 9) with the LBaaS service plugin:
VIPs (each with its own port on its subnet), pools, members, health monitors and
their associations, the pool's stats; every rule of the spec's tables on the wire,
and a refused request writes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.v2.client import ADMIN, V2, error, tenant
from tests.api.v2.l3 import private, subnet

OTHER = tenant("other")
LB_OWNER = "quantum:LOADBALANCER"


def pool(
    v2: V2, subnet_id: str, as_: dict[str, str] | None = None, **attrs: Any
) -> dict[str, Any]:
    body = {
        "pool": {
            "subnet_id": subnet_id,
            "protocol": "HTTP",
            "lb_method": "ROUND_ROBIN",
            **attrs,
        }
    }
    made = v2.post("/lb/pools", body, as_)
    assert made.status_int == 201, made.body
    return made.json["pool"]  # type: ignore[no-any-return]


def vip(v2: V2, as_: dict[str, str] | None = None, **attrs: Any) -> Any:
    body = {"vip": {"protocol": "HTTP", "protocol_port": 80, **attrs}}
    return v2.post("/lb/vips", body, as_)


def monitor(v2: V2, as_: dict[str, str] | None = None, **attrs: Any) -> Any:
    body = {
        "health_monitor": {
            "type": "HTTP",
            "delay": 5,
            "timeout": 3,
            "max_retries": 2,
            **attrs,
        }
    }
    return v2.post("/lb/health_monitors", body, as_)


def member(v2: V2, as_: dict[str, str] | None = None, **attrs: Any) -> Any:
    body = {"member": {"address": "10.0.0.10", "protocol_port": 8080, **attrs}}
    return v2.post("/lb/members", body, as_)


def lb_ports(v2: V2) -> list[dict[str, Any]]:
    found: list[dict[str, Any]]
    found = v2.get(f"/ports?device_owner={LB_OWNER}", ADMIN).json["ports"]
    return found


def everything(v2: V2) -> dict[str, int]:
    """How many of each object exist (an admin's view), and the VIPs' ports."""
    counts = {
        c: len(v2.get(f"/lb/{c}", ADMIN).json[c])
        for c in ("vips", "pools", "members", "health_monitors")
    }
    counts["ports"] = len(lb_ports(v2))
    return counts


NOTHING = {"vips": 0, "pools": 0, "members": 0, "health_monitors": 0, "ports": 0}


# -- VIPs ----------------------------------------------------------------------------


def test_vip_create_show_update_delete_with_its_port(lbaas: V2) -> None:
    net, sub = private(lbaas)
    p = pool(lbaas, sub["id"])
    made = vip(lbaas, subnet_id=sub["id"], pool_id=p["id"], name="web")
    assert made.status_int == 201, made.body
    item = made.json["vip"]
    vip_id, port_id, address = item.pop("id"), item.pop("port_id"), item.pop("address")
    assert item == {
        "tenant_id": "acme",
        "name": "web",
        "description": "",
        "subnet_id": sub["id"],
        "protocol_port": 80,
        "protocol": "HTTP",
        "pool_id": p["id"],
        "connection_limit": -1,
        "admin_state_up": True,
        "status": "PENDING_CREATE",
    }
    (port,) = lb_ports(lbaas)
    assert port["id"] == port_id
    assert port["device_id"] == vip_id
    assert port["network_id"] == net["id"]
    assert port["tenant_id"] == "acme"
    assert port["fixed_ips"] == [{"subnet_id": sub["id"], "ip_address": address}]
    assert address.startswith("10.0.0.")
    assert lbaas.get(f"/lb/pools/{p['id']}").json["pool"]["vip_id"] == vip_id
    # the VIP's port is the VIP's: neither it nor its network goes under it
    assert error(lbaas.delete(f"/ports/{port_id}")) == (409, "L3PortInUse")
    assert error(lbaas.delete(f"/networks/{net['id']}"))[0] == 409
    path = f"/lb/vips/{vip_id}"
    assert lbaas.get(path).json["vip"]["port_id"] == port_id
    assert [v["id"] for v in lbaas.get("/lb/vips").json["vips"]] == [vip_id]
    changed = lbaas.put(path, {"vip": {"name": "www", "connection_limit": 100}})
    assert changed.status_int == 200, changed.body
    after = changed.json["vip"]
    assert (after["name"], after["connection_limit"], after["status"]) == (
        "www",
        100,
        "PENDING_UPDATE",
    )
    assert lbaas.delete(path).status_int == 204
    assert error(lbaas.get(path)) == (404, "VipNotFound")
    assert lb_ports(lbaas) == []
    assert lbaas.get(f"/lb/pools/{p['id']}").json["pool"]["vip_id"] is None
    # the pool is free for another VIP
    assert vip(lbaas, subnet_id=sub["id"], pool_id=p["id"]).status_int == 201


def test_vip_requested_address(lbaas: V2) -> None:
    _, sub = private(lbaas)
    first, second, third = (pool(lbaas, sub["id"]) for _ in range(3))
    made = vip(lbaas, subnet_id=sub["id"], pool_id=first["id"], address="10.0.0.50")
    assert made.status_int == 201, made.body
    assert made.json["vip"]["address"] == "10.0.0.50"
    taken = vip(lbaas, subnet_id=sub["id"], pool_id=second["id"], address="10.0.0.50")
    assert error(taken) == (409, "IpAddressInUse")
    outside = vip(
        lbaas, subnet_id=sub["id"], pool_id=second["id"], address="192.168.0.5"
    )
    assert error(outside) == (400, "InvalidInput")
    bad = vip(lbaas, subnet_id=sub["id"], pool_id=third["id"], address="10.0.0.300")
    assert error(bad) == (400, "InvalidInput")
    # an explicit null is an allocated address
    auto = vip(lbaas, subnet_id=sub["id"], pool_id=third["id"], address=None)
    assert auto.status_int == 201, auto.body
    assert len(lb_ports(lbaas)) == 2


def test_one_vip_per_pool_is_409(lbaas: V2) -> None:
    _, sub = private(lbaas)
    p = pool(lbaas, sub["id"])
    assert vip(lbaas, subnet_id=sub["id"], pool_id=p["id"]).status_int == 201
    again = vip(lbaas, subnet_id=sub["id"], pool_id=p["id"])
    assert error(again) == (409, "VipExists")
    assert len(lb_ports(lbaas)) == 1
    # nor by moving a VIP onto it
    other = pool(lbaas, sub["id"])
    moved = vip(lbaas, subnet_id=sub["id"], pool_id=other["id"]).json["vip"]
    onto = lbaas.put(f"/lb/vips/{moved['id']}", {"vip": {"pool_id": p["id"]}})
    assert error(onto) == (409, "VipExists")
    assert lbaas.get(f"/lb/vips/{moved['id']}").json["vip"]["pool_id"] == other["id"]


def test_vip_moves_to_another_pool(lbaas: V2) -> None:
    _, sub = private(lbaas)
    first, second = pool(lbaas, sub["id"]), pool(lbaas, sub["id"])
    made = vip(lbaas, subnet_id=sub["id"], pool_id=first["id"]).json["vip"]
    moved = lbaas.put(f"/lb/vips/{made['id']}", {"vip": {"pool_id": second["id"]}})
    assert moved.json["vip"]["pool_id"] == second["id"]
    assert lbaas.get(f"/lb/pools/{first['id']}").json["pool"]["vip_id"] is None
    assert lbaas.get(f"/lb/pools/{second['id']}").json["pool"]["vip_id"] == made["id"]
    tcp = pool(lbaas, sub["id"], protocol="TCP")
    mismatch = lbaas.put(f"/lb/vips/{made['id']}", {"vip": {"pool_id": tcp["id"]}})
    assert error(mismatch) == (400, "ProtocolMismatch")


def test_vip_refusals_write_nothing(sqlite_lbaas: V2) -> None:
    v2 = sqlite_lbaas
    _, sub = private(v2)
    p = pool(v2, sub["id"])
    tcp = pool(v2, sub["id"], protocol="TCP")
    before = everything(v2)
    missing = "00000000-0000-4000-8000-000000000000"
    ok = {"subnet_id": sub["id"], "pool_id": p["id"]}
    cases: list[tuple[dict[str, Any], tuple[int, str]]] = [
        ({"pool_id": p["id"]}, (400, "InvalidInput")),  # no subnet_id
        ({"subnet_id": sub["id"]}, (400, "InvalidInput")),  # no pool_id
        ({**ok, "subnet_id": "nope"}, (400, "InvalidInput")),
        ({**ok, "subnet_id": missing}, (404, "SubnetNotFound")),
        ({**ok, "pool_id": missing}, (404, "PoolNotFound")),
        ({**ok, "pool_id": tcp["id"]}, (400, "ProtocolMismatch")),
        ({**ok, "protocol": "UDP"}, (400, "InvalidInput")),
        ({**ok, "protocol_port": -1}, (400, "InvalidInput")),
        ({**ok, "protocol_port": 65536}, (400, "InvalidInput")),
        ({**ok, "protocol_port": "http"}, (400, "InvalidInput")),
        ({**ok, "connection_limit": -2}, (400, "InvalidInput")),
        ({**ok, "admin_state_up": "maybe"}, (400, "InvalidInput")),
        ({**ok, "port_id": missing}, (400, "InvalidInput")),
        ({**ok, "status": "ACTIVE"}, (400, "InvalidInput")),
        ({**ok, "unknown": 1}, (400, "InvalidInput")),
    ]
    for attrs, expected in cases:
        body = {"protocol": "HTTP", "protocol_port": 80, **attrs}
        assert error(v2.post("/lb/vips", {"vip": body})) == expected, attrs
    for missing_key in ("protocol", "protocol_port"):
        body = {"protocol": "HTTP", "protocol_port": 80, **ok}
        del body[missing_key]
        assert error(v2.post("/lb/vips", {"vip": body})) == (400, "InvalidInput")
    assert everything(v2) == before


@pytest.mark.parametrize(
    "persistence",
    [
        {"type": "COOKIE"},
        {"type": "APP_COOKIE"},
        {"type": "APP_COOKIE", "cookie_name": ""},
        {"type": "APP_COOKIE", "cookie_name": 7},
        {"type": "HTTP_COOKIE", "cookie_name": "sid"},
        {"type": "SOURCE_IP", "cookie_name": "sid"},
        {"cookie_name": "sid"},
        {"type": "SOURCE_IP", "timeout": 3},
        "SOURCE_IP",
        ["SOURCE_IP"],
    ],
)
def test_bad_session_persistence_is_400_not_500(
    sqlite_lbaas: V2, persistence: Any
) -> None:
    v2 = sqlite_lbaas
    _, sub = private(v2)
    p = pool(v2, sub["id"])
    made = vip(
        v2, subnet_id=sub["id"], pool_id=p["id"], session_persistence=persistence
    )
    assert error(made) == (400, "InvalidInput")
    assert everything(v2)["vips"] == 0
    # and on update
    good = vip(v2, subnet_id=sub["id"], pool_id=p["id"]).json["vip"]
    changed = v2.put(
        f"/lb/vips/{good['id']}", {"vip": {"session_persistence": persistence}}
    )
    assert error(changed) == (400, "InvalidInput")
    assert v2.get(f"/lb/vips/{good['id']}").json["vip"]["status"] == "PENDING_CREATE"


def test_session_persistence_shown_set_and_cleared(lbaas: V2) -> None:
    _, sub = private(lbaas)
    p = pool(lbaas, sub["id"])
    app = {"type": "APP_COOKIE", "cookie_name": "JSESSIONID"}
    made = vip(lbaas, subnet_id=sub["id"], pool_id=p["id"], session_persistence=app)
    item = made.json["vip"]
    assert item["session_persistence"] == app
    path = f"/lb/vips/{item['id']}"
    body: dict[str, Any]
    for kind in ("HTTP_COOKIE", "SOURCE_IP"):
        body = {"vip": {"session_persistence": {"type": kind}}}
        shown = lbaas.put(path, body).json["vip"]["session_persistence"]
        assert shown == {"type": kind}
    cleared: dict[str, str] | None
    for cleared in (None, {}):
        body = {"vip": {"session_persistence": cleared}}
        assert "session_persistence" not in lbaas.put(path, body).json["vip"]
        assert "session_persistence" not in lbaas.get(path).json["vip"]
        lbaas.put(path, {"vip": {"session_persistence": app}})
    assert lbaas.get(path).json["vip"]["session_persistence"] == app


def test_vip_read_only_attributes_are_400_on_update(sqlite_lbaas: V2) -> None:
    v2 = sqlite_lbaas
    _, sub = private(v2)
    p = pool(v2, sub["id"])
    made = vip(v2, subnet_id=sub["id"], pool_id=p["id"]).json["vip"]
    for attrs in (
        {"subnet_id": sub["id"]},
        {"address": "10.0.0.9"},
        {"protocol": "TCP"},
        {"protocol_port": 81},
        {"port_id": made["port_id"]},
        {"status": "ACTIVE"},
    ):
        changed = v2.put(f"/lb/vips/{made['id']}", {"vip": attrs})
        assert error(changed) == (400, "InvalidInput"), attrs
    assert v2.get(f"/lb/vips/{made['id']}").json["vip"]["status"] == "PENDING_CREATE"


# -- tenant isolation ----------------------------------------------------------------


def test_another_tenants_objects_are_not_found_and_never_named(lbaas: V2) -> None:
    _, sub = private(lbaas)
    p = pool(lbaas, sub["id"])
    v = vip(lbaas, subnet_id=sub["id"], pool_id=p["id"]).json["vip"]
    hm = monitor(lbaas).json["health_monitor"]
    m = member(lbaas, pool_id=p["id"]).json["member"]
    for path, kind in (
        (f"/lb/pools/{p['id']}", "PoolNotFound"),
        (f"/lb/vips/{v['id']}", "VipNotFound"),
        (f"/lb/members/{m['id']}", "MemberNotFound"),
        (f"/lb/health_monitors/{hm['id']}", "HealthMonitorNotFound"),
    ):
        assert error(lbaas.get(path, OTHER)) == (404, kind)
        assert error(lbaas.delete(path, OTHER)) == (404, kind)
    assert error(lbaas.get(f"/lb/pools/{p['id']}/stats", OTHER)) == (
        404,
        "PoolNotFound",
    )
    for collection in ("vips", "pools", "members", "health_monitors"):
        assert lbaas.get(f"/lb/{collection}", OTHER).json[collection] == []
        assert len(lbaas.get(f"/lb/{collection}", ADMIN).json[collection]) == 1
    # its pool is no pool of another tenant: not found, and nothing of it said
    _, theirs = private(lbaas, "10.1.0.0/24", OTHER)
    refused = vip(lbaas, OTHER, subnet_id=theirs["id"], pool_id=p["id"])
    assert error(refused) == (404, "PoolNotFound")
    refused = member(lbaas, OTHER, pool_id=p["id"])
    assert error(refused) == (404, "PoolNotFound")
    assert "acme" not in refused.json["NeutronError"]["message"]
    # nor its subnet
    their_pool = pool(lbaas, theirs["id"], OTHER)
    refused = vip(lbaas, OTHER, subnet_id=sub["id"], pool_id=their_pool["id"])
    assert error(refused) == (404, "SubnetNotFound")
    assert error(
        lbaas.post(
            "/lb/pools",
            {
                "pool": {
                    "subnet_id": sub["id"],
                    "protocol": "TCP",
                    "lb_method": "ROUND_ROBIN",
                }
            },
            OTHER,
        )
    ) == (404, "SubnetNotFound")
    # an association with another tenant's pool or monitor
    assoc = {"health_monitor": {"id": hm["id"]}}
    path = f"/lb/pools/{their_pool['id']}/health_monitors"
    assert error(lbaas.post(path, assoc, OTHER)) == (404, "HealthMonitorNotFound")
    path = f"/lb/pools/{p['id']}/health_monitors"
    assert error(lbaas.post(path, assoc, OTHER)) == (404, "PoolNotFound")
    # an admin making a VIP for one tenant over another's pool: 403 (spec)
    refused = vip(
        lbaas, ADMIN, tenant_id="other", subnet_id=theirs["id"], pool_id=p["id"]
    )
    assert error(refused) == (403, "PoolNotOwned")
    assert everything(lbaas)["vips"] == 1
    assert len(lb_ports(lbaas)) == 1


# -- pools ---------------------------------------------------------------------------


def test_pool_refusals_write_nothing(sqlite_lbaas: V2) -> None:
    v2 = sqlite_lbaas
    _, sub = private(v2)
    missing = "00000000-0000-4000-8000-000000000000"
    ok = {"subnet_id": sub["id"], "protocol": "HTTP", "lb_method": "ROUND_ROBIN"}
    for attrs, expected in [
        ({**ok, "lb_method": "RANDOM"}, (400, "InvalidInput")),
        ({**ok, "lb_method": None}, (400, "InvalidInput")),
        ({**ok, "protocol": "UDP"}, (400, "InvalidInput")),
        ({**ok, "subnet_id": missing}, (404, "SubnetNotFound")),
        ({**ok, "health_monitors": [missing]}, (404, "HealthMonitorNotFound")),
        ({**ok, "health_monitors": ["nope"]}, (400, "InvalidInput")),
        ({**ok, "health_monitors": [missing, missing]}, (400, "InvalidInput")),
        ({**ok, "vip_id": missing}, (400, "InvalidInput")),
        ({**ok, "members": []}, (400, "InvalidInput")),
        ({**ok, "name": 5}, (400, "InvalidInput")),
    ]:
        assert error(v2.post("/lb/pools", {"pool": attrs})) == expected, attrs
    for key in ("subnet_id", "protocol", "lb_method"):
        body = {k: v for k, v in ok.items() if k != key}
        assert error(v2.post("/lb/pools", {"pool": body})) == (400, "InvalidInput")
    assert everything(v2) == NOTHING
    made = pool(v2, sub["id"])
    for attrs in ({"lb_method": "RANDOM"}, {"protocol": "TCP"}, {"subnet_id": missing}):
        changed = v2.put(f"/lb/pools/{made['id']}", {"pool": attrs})
        assert error(changed) == (400, "InvalidInput"), attrs
    assert v2.get(f"/lb/pools/{made['id']}").json["pool"] == made


def test_pool_health_monitors_are_honoured_on_write(lbaas: V2) -> None:
    _, sub = private(lbaas)
    a = monitor(lbaas).json["health_monitor"]["id"]
    b = monitor(lbaas, type="PING").json["health_monitor"]["id"]
    p = pool(lbaas, sub["id"], health_monitors=[a])
    assert p["health_monitors"] == [a]
    path = f"/lb/pools/{p['id']}"
    both = lbaas.put(path, {"pool": {"health_monitors": [a, b]}}).json["pool"]
    assert sorted(both["health_monitors"]) == sorted([a, b])
    assert both["status"] == "PENDING_UPDATE"
    only_b = lbaas.put(path, {"pool": {"health_monitors": [b]}}).json["pool"]
    assert only_b["health_monitors"] == [b]
    missing = "00000000-0000-4000-8000-000000000000"
    refused = lbaas.put(path, {"pool": {"health_monitors": [a, missing]}})
    assert error(refused) == (404, "HealthMonitorNotFound")
    assert lbaas.get(path).json["pool"]["health_monitors"] == [b]
    cleared = lbaas.put(path, {"pool": {"health_monitors": None}}).json["pool"]
    assert cleared["health_monitors"] == []


def test_pool_update_stats_and_delete(lbaas: V2) -> None:
    _, sub = private(lbaas)
    p = pool(lbaas, sub["id"], name="web", description="front")
    assert (p["name"], p["description"], p["status"]) == (
        "web",
        "front",
        "PENDING_CREATE",
    )
    assert (p["vip_id"], p["members"], p["health_monitors"]) == (None, [], [])
    path = f"/lb/pools/{p['id']}"
    changed = lbaas.put(path, {"pool": {"lb_method": "LEAST_CONNECTIONS"}})
    assert changed.json["pool"]["lb_method"] == "LEAST_CONNECTIONS"
    assert changed.json["pool"]["status"] == "PENDING_UPDATE"
    stats = lbaas.get(f"{path}/stats")
    assert stats.status_int == 200
    assert stats.json == {
        "stats": {
            "bytes_in": 0,
            "bytes_out": 0,
            "active_connections": 0,
            "total_connections": 0,
        }
    }
    missing = "00000000-0000-4000-8000-000000000000"
    assert error(lbaas.get(f"/lb/pools/{missing}/stats")) == (404, "PoolNotFound")
    v = vip(lbaas, subnet_id=sub["id"], pool_id=p["id"]).json["vip"]
    hm = monitor(lbaas).json["health_monitor"]["id"]
    lbaas.post(f"{path}/health_monitors", {"health_monitor": {"id": hm}})
    m = member(lbaas, pool_id=p["id"]).json["member"]
    assert error(lbaas.delete(path)) == (409, "PoolInUse")
    assert lbaas.delete(f"/lb/vips/{v['id']}").status_int == 204
    assert lbaas.delete(path).status_int == 204
    # its members and associations went with it; the monitor stays
    assert error(lbaas.get(f"/lb/members/{m['id']}")) == (404, "MemberNotFound")
    assert lbaas.get(f"/lb/health_monitors/{hm}").status_int == 200
    assert error(lbaas.get(f"{path}/stats")) == (404, "PoolNotFound")


def test_pool_filters(sqlite_lbaas: V2) -> None:
    v2 = sqlite_lbaas
    _, sub = private(v2)
    tcp = pool(v2, sub["id"], protocol="TCP", name="t")
    pool(v2, sub["id"], name="h")
    found = v2.get("/lb/pools?protocol=TCP").json["pools"]
    assert [p["id"] for p in found] == [tcp["id"]]
    names = v2.get("/lb/pools?fields=name&sort_key=name").json["pools"]
    assert names == [{"name": "h"}, {"name": "t"}]


# -- members -------------------------------------------------------------------------


def test_member_create_move_and_delete(lbaas: V2) -> None:
    _, sub = private(lbaas)
    first, second = pool(lbaas, sub["id"]), pool(lbaas, sub["id"])
    made = member(lbaas, pool_id=first["id"])
    assert made.status_int == 201, made.body
    item = made.json["member"]
    member_id = item.pop("id")
    assert item == {
        "tenant_id": "acme",
        "pool_id": first["id"],
        "address": "10.0.0.10",
        "protocol_port": 8080,
        "weight": 1,
        "admin_state_up": True,
        "status": "PENDING_CREATE",
    }
    assert lbaas.get(f"/lb/pools/{first['id']}").json["pool"]["members"] == [member_id]
    path = f"/lb/members/{member_id}"
    moved = lbaas.put(path, {"member": {"pool_id": second["id"], "weight": 256}})
    assert moved.status_int == 200, moved.body
    assert (moved.json["member"]["weight"], moved.json["member"]["status"]) == (
        256,
        "PENDING_UPDATE",
    )
    assert lbaas.get(f"/lb/pools/{first['id']}").json["pool"]["members"] == []
    assert lbaas.get(f"/lb/pools/{second['id']}").json["pool"]["members"] == [member_id]
    missing = "00000000-0000-4000-8000-000000000000"
    refused = lbaas.put(path, {"member": {"pool_id": missing}})
    assert error(refused) == (404, "PoolNotFound")
    assert lbaas.get(path).json["member"]["pool_id"] == second["id"]
    assert lbaas.delete(path).status_int == 204
    assert lbaas.get(f"/lb/pools/{second['id']}").json["pool"]["members"] == []


def test_member_refusals_write_nothing(sqlite_lbaas: V2) -> None:
    v2 = sqlite_lbaas
    _, sub = private(v2)
    p = pool(v2, sub["id"])
    missing = "00000000-0000-4000-8000-000000000000"
    ok = {"pool_id": p["id"], "address": "10.0.0.5", "protocol_port": 80}
    for attrs, expected in [
        ({**ok, "pool_id": missing}, (404, "PoolNotFound")),
        ({**ok, "pool_id": "nope"}, (400, "InvalidInput")),
        ({**ok, "address": "10.0.0"}, (400, "InvalidInput")),
        ({**ok, "address": None}, (400, "InvalidInput")),
        ({**ok, "protocol_port": 70000}, (400, "InvalidInput")),
        ({**ok, "weight": 257}, (400, "InvalidInput")),
        ({**ok, "weight": -1}, (400, "InvalidInput")),
        ({**ok, "weight": True}, (400, "InvalidInput")),
    ]:
        assert error(v2.post("/lb/members", {"member": attrs})) == expected, attrs
    for key in ("pool_id", "address", "protocol_port"):
        body = {k: v for k, v in ok.items() if k != key}
        assert error(v2.post("/lb/members", {"member": body})) == (400, "InvalidInput")
    assert everything(v2)["members"] == 0
    made = v2.post("/lb/members", {"member": {**ok, "weight": 0}}).json["member"]
    for attrs in ({"address": "10.0.0.6"}, {"protocol_port": 81}, {"weight": 300}):
        changed = v2.put(f"/lb/members/{made['id']}", {"member": attrs})
        assert error(changed) == (400, "InvalidInput"), attrs
    assert v2.get(f"/lb/members/{made['id']}").json["member"] == made


# -- health monitors -----------------------------------------------------------------


def test_health_monitor_http_attributes_shown_for_http_only(lbaas: V2) -> None:
    http = monitor(lbaas, url_path="/health", expected_codes="200-299").json
    item = http["health_monitor"]
    monitor_id = item.pop("id")
    assert item == {
        "tenant_id": "acme",
        "type": "HTTP",
        "delay": 5,
        "timeout": 3,
        "max_retries": 2,
        "http_method": "GET",
        "url_path": "/health",
        "expected_codes": "200-299",
        "admin_state_up": True,
        "status": "PENDING_CREATE",
    }
    ping = monitor(lbaas, type="PING").json["health_monitor"]
    assert not {"http_method", "url_path", "expected_codes"} & set(ping)
    tcp = lbaas.get(f"/lb/health_monitors/{ping['id']}").json["health_monitor"]
    assert "url_path" not in tcp
    path = f"/lb/health_monitors/{monitor_id}"
    body = {"health_monitor": {"delay": 10, "expected_codes": "200, 202"}}
    changed = lbaas.put(path, body).json["health_monitor"]
    assert (changed["delay"], changed["expected_codes"], changed["status"]) == (
        10,
        "200, 202",
        "PENDING_UPDATE",
    )
    assert lbaas.delete(path).status_int == 204
    assert error(lbaas.get(path)) == (404, "HealthMonitorNotFound")


def test_health_monitor_refusals_write_nothing(sqlite_lbaas: V2) -> None:
    v2 = sqlite_lbaas
    for attrs in (
        {"type": "UDP"},
        {"delay": -1},
        {"delay": "soon"},
        {"timeout": -1},
        {"max_retries": 0},
        {"max_retries": 11},
        {"expected_codes": "2xx"},
        {"expected_codes": "200,"},
        {"expected_codes": "200-"},
        {"expected_codes": "20"},
        {"url_path": None},
        {"http_method": 1},
    ):
        assert error(monitor(v2, **attrs)) == (400, "InvalidInput"), attrs
    for key in ("type", "delay", "timeout", "max_retries"):
        body = {"type": "PING", "delay": 1, "timeout": 1, "max_retries": 1}
        del body[key]
        refused = v2.post("/lb/health_monitors", {"health_monitor": body})
        assert error(refused) == (400, "InvalidInput"), key
    assert everything(v2) == NOTHING
    for codes in ("200", "200,201", "200 , 201", "200-204"):
        assert monitor(v2, expected_codes=codes).status_int == 201, codes
    made = monitor(v2).json["health_monitor"]
    changed = v2.put(
        f"/lb/health_monitors/{made['id']}", {"health_monitor": {"type": "PING"}}
    )
    assert error(changed) == (400, "InvalidInput")


def test_integers_as_wide_as_every_back_end_holds_and_no_wider(lbaas: V2) -> None:
    """An INTEGER column holds 2**31-1 on PostgreSQL and MariaDB: that is stored
    and shown; one more is a 400 that writes nothing, where the database would
    have refused it with a 500. A filter takes any 64-bit value (the widest a
    back-end compares) and refuses a wider one."""
    v2 = lbaas
    widest = 2**31 - 1
    made = monitor(v2, delay=widest, timeout=widest)
    assert made.status_int == 201, made.body
    shown = v2.get(f"/lb/health_monitors/{made.json['health_monitor']['id']}")
    assert (
        shown.json["health_monitor"]["delay"],
        shown.json["health_monitor"]["timeout"],
    ) == (widest, widest)
    _, sub = private(v2)
    ok = {"subnet_id": sub["id"], "protocol": "HTTP", "lb_method": "ROUND_ROBIN"}
    before = everything(v2)
    assert error(monitor(v2, delay=widest + 1)) == (400, "InvalidInput")
    assert error(monitor(v2, timeout=10**30)) == (400, "InvalidInput")
    refused = v2.post("/lb/pools", {"pool": {**ok, "connection_limit": widest + 1}})
    assert error(refused) == (400, "InvalidInput")
    assert everything(v2) == before
    found = v2.get(f"/lb/health_monitors?delay={widest}")
    assert [m["delay"] for m in found.json["health_monitors"]] == [widest]
    assert v2.get(f"/lb/health_monitors?delay={2**63 - 1}").json == {
        "health_monitors": []
    }
    for wide in (2**63, 10**19 * 9, -(2**63) - 1):
        refused = v2.get(f"/lb/health_monitors?delay={wide}")
        assert error(refused) == (400, "InvalidInput"), wide


def test_monitor_association(lbaas: V2) -> None:
    _, sub = private(lbaas)
    p = pool(lbaas, sub["id"])
    hm = monitor(lbaas).json["health_monitor"]["id"]
    path = f"/lb/pools/{p['id']}/health_monitors"
    body = {"health_monitor": {"id": hm}}
    done = lbaas.post(path, body)
    assert done.status_int == 201, done.body
    assert done.json == {"health_monitor": {"id": hm}}
    assert lbaas.get(f"/lb/pools/{p['id']}").json["pool"]["health_monitors"] == [hm]
    assert error(lbaas.post(path, body)) == (409, "PoolMonitorAssociationExists")
    missing = "00000000-0000-4000-8000-000000000000"
    refused = lbaas.post(path, {"health_monitor": {"id": missing}})
    assert error(refused) == (404, "HealthMonitorNotFound")
    refused = lbaas.post(f"/lb/pools/{missing}/health_monitors", body)
    assert error(refused) == (404, "PoolNotFound")
    for bad in ({}, {"health_monitor": hm}, {"health_monitor": {"id": "x"}}):
        assert error(lbaas.post(path, bad)) == (400, "InvalidInput"), bad
    assert lbaas.delete(f"{path}/{hm}").status_int == 204
    assert lbaas.get(f"/lb/pools/{p['id']}").json["pool"]["health_monitors"] == []
    gone = lbaas.delete(f"{path}/{hm}")
    assert error(gone) == (404, "PoolMonitorAssociationNotFound")
    # deleting a monitor ends its associations
    assert lbaas.post(path, body).status_int == 201
    assert lbaas.delete(f"/lb/health_monitors/{hm}").status_int == 204
    assert lbaas.get(f"/lb/pools/{p['id']}").json["pool"]["health_monitors"] == []


# -- quotas, discovery ---------------------------------------------------------------


def test_lbaas_quotas(lbaas: V2) -> None:
    _, sub = private(lbaas)
    shown = lbaas.get("/quotas/acme", ADMIN).json["quota"]
    assert {k: shown[k] for k in ("vip", "pool", "member", "health_monitor")} == {
        "vip": 10,
        "pool": 10,
        "member": -1,
        "health_monitor": -1,
    }
    limits = {"pool": 1, "vip": 0, "member": 1, "health_monitor": 1}
    assert lbaas.put("/quotas/acme", {"quota": limits}, ADMIN).status_int == 200
    p = pool(lbaas, sub["id"])
    refused = lbaas.post(
        "/lb/pools",
        {"pool": {"subnet_id": sub["id"], "protocol": "TCP", "lb_method": "SOURCE_IP"}},
    )
    assert error(refused) == (409, "OverQuota")
    assert error(vip(lbaas, subnet_id=sub["id"], pool_id=p["id"])) == (409, "OverQuota")
    assert lb_ports(lbaas) == []
    assert member(lbaas, pool_id=p["id"]).status_int == 201
    assert error(member(lbaas, pool_id=p["id"])) == (409, "OverQuota")
    assert monitor(lbaas).status_int == 201
    assert error(monitor(lbaas)) == (409, "OverQuota")
    details = lbaas.get("/quotas/acme/details", ADMIN).json["quota"]["pool"]
    assert details == {"used": 1, "limit": 1, "reserved": 0}


def test_listed_when_enabled_and_nothing_without_the_plugin(
    sqlite_lbaas: V2, sqlite_v2: V2
) -> None:
    aliases = [e["alias"] for e in sqlite_lbaas.get("/extensions").json["extensions"]]
    assert "lbaas" in aliases
    assert sqlite_lbaas.get("/extensions/lbaas").json["extension"]["alias"] == "lbaas"
    assert sqlite_lbaas.get("/lb/pools").status_int == 200
    # without service_plugins = lbaas: no extension, no path
    aliases = [e["alias"] for e in sqlite_v2.get("/extensions").json["extensions"]]
    assert "lbaas" not in aliases
    assert sqlite_v2.get("/extensions/lbaas").status_int == 404
    for path in ("/lb/pools", "/lb/vips", "/lb/members", "/lb/health_monitors"):
        assert sqlite_v2.get(path).status_int == 404, path
        assert sqlite_v2.post(path, {"x": {}}).status_int == 404, path
    quota = sqlite_v2.get("/quotas/acme", ADMIN).json["quota"]
    assert "pool" not in quota


def test_subnet_with_a_vip_cannot_go(lbaas: V2) -> None:
    net, sub = private(lbaas)
    other = subnet(lbaas, net["id"], "10.9.0.0/24")
    p = pool(lbaas, sub["id"])
    vip(lbaas, subnet_id=other["id"], pool_id=p["id"])
    assert error(lbaas.delete(f"/subnets/{other['id']}"))[0] == 409
