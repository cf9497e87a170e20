# SPDX-License-Identifier: Apache-2.0
"""The L3 agent kind of the agent API in-process, over the Open vSwitch plugin and
the L3 service plugin on SQLite: registration as an ``L3 agent``, scheduling
(least loaded, live, enabled, serving the router's external network), and the
routers an agent is sent, made through /v2.0."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, update

from quantum.db.models import AgentHostRow
from quantum.testing.client import Client
from tests.api.agentapi.conftest import AUTH, Store, call, register

ADMIN = {"X-Project-Id": "admin", "X-Roles": "admin"}
TENANT = {"X-Project-Id": "t"}


@pytest.fixture
def l3(store: Store) -> Client:
    return store.app("l3", service_plugins="router")


def v2(client: Client, method: str, path: str, body: Any = None, **kw: Any) -> Any:
    headers = kw.get("headers", ADMIN)
    response = client.request(method, "/v2.0" + path, body, headers)
    assert response.status_int < 300, (method, path, response.status, response.body)
    return json.loads(response.body) if response.body else None


def l3_register(client: Client, host: str, **configurations: Any) -> int:
    body = {"agent_version": "t", "configurations": configurations}
    return int(call(client, "POST", f"/l3/hosts/{host}", body)["revision"])


def l3_state(client: Client, host: str, body: Any = None) -> dict[str, Any]:
    state: dict[str, Any] = call(client, "POST", f"/l3/hosts/{host}/state", body or {})
    return state


def subnet(client: Client, cidr: str, *, external: bool = False, **extra: Any) -> Any:
    network: dict[str, Any] = {"tenant_id": "admin" if external else "t"}
    if external:
        network["router:external"] = True
    net = v2(client, "POST", "/networks", {"network": network})["network"]
    body = {
        "tenant_id": network["tenant_id"],
        "network_id": net["id"],
        "ip_version": 4,
        "cidr": cidr,
        **extra,
    }
    return v2(client, "POST", "/subnets", {"subnet": body})["subnet"]


def router(
    client: Client, external: Any | None, *subnets: Any, snat: bool = True
) -> Any:
    body: dict[str, Any] = {"tenant_id": "t"}
    if external is not None:
        body["external_gateway_info"] = {
            "network_id": external["network_id"],
            "enable_snat": snat,
        }
    made = v2(client, "POST", "/routers", {"router": body})["router"]
    for each in subnets:
        v2(
            client,
            "PUT",
            f"/routers/{made['id']}/add_router_interface",
            {"subnet_id": each["id"]},
        )
    return made


def test_without_the_l3_service_plugin_the_kind_is_not_served(app: Client) -> None:
    body = {"agent_version": "t", "configurations": {}}
    refused = app.request("POST", "/agent/v1/l3/hosts/h1", body, AUTH)
    assert refused.status_int == 404
    assert app.request("POST", "/agent/v1/hosts/h1", {
        "tunnel_ip": None, "tunnel_types": [], "agent_version": ""
    }, AUTH).status_int == 200  # fmt: skip  # NOTE: the control: OVS is served


def test_an_l3_agent_registers_beside_the_ovs_agent_of_its_host(l3: Client) -> None:
    register(l3, "net1", "192.0.2.7")
    l3_register(l3, "net1", external_network_bridge="br-ex", routers=0)

    agents = v2(l3, "GET", "/agents")["agents"]
    by_type = {a["agent_type"]: a for a in agents}
    assert set(by_type) == {"Open vSwitch agent", "L3 agent"}
    assert by_type["L3 agent"]["host"] == "net1"
    assert by_type["L3 agent"]["binary"] == "quantum-l3-agent"
    assert by_type["L3 agent"]["alive"]
    configurations = by_type["L3 agent"]["configurations"]
    assert configurations["external_network_bridge"] == "br-ex"
    assert configurations["routers"] == 0
    # the OVS agent's tunnel endpoint is untouched by the L3 agent's report
    peers = call(l3, "POST", "/hosts/other/state", {"iface_ids": []})["endpoints"]
    assert [(p["host"], p["ip"]) for p in peers] == [("net1", "192.0.2.7")]


def test_a_router_is_scheduled_and_sent_whole(l3: Client) -> None:
    l3_register(l3, "net1")
    ext = subnet(l3, "172.24.4.0/24", external=True, gateway_ip="172.24.4.1")
    a = subnet(l3, "10.1.0.0/24")
    b = subnet(l3, "10.2.0.0/24")
    made = router(l3, ext, a, b)
    rid = made["id"]
    v2(
        l3,
        "PUT",
        f"/routers/{rid}",
        {
            "router": {
                "routes": [{"destination": "192.168.7.0/24", "nexthop": "10.2.0.9"}]
            }
        },
    )
    vm = v2(
        l3,
        "POST",
        "/ports",
        {"port": {"tenant_id": "t", "network_id": a["network_id"]}},
    )["port"]
    fip = v2(
        l3,
        "POST",
        "/floatingips",
        {
            "floatingip": {
                "tenant_id": "t",
                "floating_network_id": ext["network_id"],
                "port_id": vm["id"],
            }
        },
    )["floatingip"]

    state = l3_state(l3, "net1")
    assert state["host"] == "net1"
    assert state["admin_state_up"] is True
    (got,) = state["routers"]
    assert got["id"] == rid
    assert got["admin_state_up"] is True
    interfaces = v2(
        l3, "GET", f"/ports?device_id={rid}&device_owner=network:router_interface"
    )["ports"]
    assert sorted(
        (i["port_id"], i["network_id"], i["mac_address"], tuple(i["addresses"]))
        for i in got["interfaces"]
    ) == sorted(
        (
            p["id"],
            p["network_id"],
            p["mac_address"],
            (f"{p['fixed_ips'][0]['ip_address']}/24",),
        )
        for p in interfaces
    )
    assert {tuple(i["addresses"]) for i in got["interfaces"]} == {
        ("10.1.0.1/24",),
        ("10.2.0.1/24",),
    }
    (gw_port,) = v2(
        l3, "GET", f"/ports?device_id={rid}&device_owner=network:router_gateway"
    )["ports"]
    assert got["gateway"] == {
        "port_id": gw_port["id"],
        "network_id": ext["network_id"],
        "mac_address": gw_port["mac_address"],
        "address": f"{gw_port['fixed_ips'][0]['ip_address']}/24",
        "gateway_ip": "172.24.4.1",
        "enable_snat": True,
    }
    assert got["routes"] == [{"destination": "192.168.7.0/24", "nexthop": "10.2.0.9"}]
    assert got["floating_ips"] == [
        {
            "id": fip["id"],
            "floating_ip_address": fip["floating_ip_address"],
            "fixed_ip_address": vm["fixed_ips"][0]["ip_address"],
            "port_id": vm["id"],
        }
    ]
    # asked for by id: that router only, or nothing for another id
    assert [
        r["id"] for r in l3_state(l3, "net1", {"router_ids": [rid]})["routers"]
    ] == [rid]
    assert l3_state(l3, "net1", {"router_ids": ["nope"]})["routers"] == []

    # disassociated: the floating IP is no longer sent
    v2(l3, "PUT", f"/floatingips/{fip['id']}", {"floatingip": {"port_id": None}})
    assert l3_state(l3, "net1")["routers"][0]["floating_ips"] == []


def test_an_interface_is_sent_with_its_subnets_ipv6_modes(l3: Client) -> None:
    l3_register(l3, "net1")
    v4 = subnet(l3, "10.3.0.0/24")
    slaac = subnet(
        l3,
        "fd00:31::/64",
        ip_version=6,
        ipv6_ra_mode="slaac",
        ipv6_address_mode="slaac",
    )
    # NOTE: ra mode unset: another router advertises
    unset = subnet(l3, "fd00:32::/64", ip_version=6, ipv6_address_mode="slaac")
    rid = router(l3, None, v4, slaac, unset)["id"]
    (got,) = l3_state(l3, "net1")["routers"]
    assert got["id"] == rid
    sent = {
        tuple(i["addresses"]): i["subnets"]
        for i in sorted(got["interfaces"], key=lambda i: i["addresses"])
    }
    assert sent == {
        ("10.3.0.1/24",): [
            {
                "id": v4["id"],
                "cidr": "10.3.0.0/24",
                "ipv6_ra_mode": None,
                "ipv6_address_mode": None,
            }
        ],
        ("fd00:31::1/64",): [
            {
                "id": slaac["id"],
                "cidr": "fd00:31::/64",
                "ipv6_ra_mode": "slaac",
                "ipv6_address_mode": "slaac",
            }
        ],
        ("fd00:32::1/64",): [
            {
                "id": unset["id"],
                "cidr": "fd00:32::/64",
                "ipv6_ra_mode": None,
                "ipv6_address_mode": "slaac",
            }
        ],
    }


def test_routers_go_to_the_least_loaded_live_enabled_agent(
    l3: Client, store: Store
) -> None:
    for host in ("net1", "net2", "net3"):
        l3_register(l3, host)
    agents = {a["host"]: a for a in v2(l3, "GET", "/agents")["agents"]}
    v2(
        l3,
        "PUT",
        f"/agents/{agents['net3']['id']}",
        {"agent": {"admin_state_up": False}},
    )
    dead = create_engine(store.url)
    with dead.begin() as conn:
        conn.execute(
            update(AgentHostRow)
            .where(AgentHostRow.host == "net2")
            .values(
                last_seen=datetime.now(UTC).replace(tzinfo=None) - timedelta(days=1)
            )
        )
    dead.dispose()
    first = [router(l3, None)["id"] for _ in range(2)]
    # net1 asks: every unhosted router goes to the one live, enabled agent
    assert sorted(r["id"] for r in l3_state(l3, "net1")["routers"]) == sorted(first)
    assert l3_state(l3, "net3")["routers"] == []  # NOTE: disabled: nothing new
    assert l3_state(l3, "net3")["admin_state_up"] is False

    l3_register(l3, "net2")  # NOTE: alive again, and less loaded
    later = [router(l3, None)["id"] for _ in range(3)]
    on1 = {r["id"] for r in l3_state(l3, "net1")["routers"]}
    on2 = {r["id"] for r in l3_state(l3, "net2")["routers"]}
    assert set(first) <= on1  # NOTE: placed routers stay where they are
    assert on1 | on2 == set(first) | set(later)
    assert (len(on1), len(on2)) in {(3, 2), (2, 3)}
    assert len(on2) >= 2


def test_an_agent_serves_only_its_external_network(l3: Client) -> None:
    ext = subnet(l3, "172.24.4.0/24", external=True)
    other = subnet(l3, "172.24.5.0/24", external=True)
    l3_register(l3, "net1", gateway_external_network_id=ext["network_id"])
    l3_register(
        l3, "net2", gateway_external_network_id="", handle_internal_only_routers=False
    )
    mine = router(l3, ext)["id"]
    theirs = router(l3, other)["id"]
    internal = router(l3, None)["id"]

    on1 = {r["id"] for r in l3_state(l3, "net1")["routers"]}
    on2 = {r["id"] for r in l3_state(l3, "net2")["routers"]}
    assert theirs in on2
    assert theirs not in on1
    assert internal in on1
    assert internal not in on2
    assert mine in on1 | on2


def test_the_l3_feed_wakes_for_routers_and_bindings_not_for_qos(l3: Client) -> None:
    l3_register(l3, "net1")
    since = call(l3, "GET", "/l3/changes?since=0")["revision"]
    made = router(l3, None)
    after_router = call(l3, "GET", f"/l3/changes?since={since}")["revision"]
    assert after_router > since
    l3_state(l3, "net1")  # NOTE: schedules it: a binding
    after_binding = call(l3, "GET", f"/l3/changes?since={after_router}")["revision"]
    assert after_binding > after_router
    assert [r["id"] for r in l3_state(l3, "net1")["routers"]] == [made["id"]]
    # a router deleted: gone from the agent's state, with its binding
    v2(l3, "DELETE", f"/routers/{made['id']}")
    assert l3_state(l3, "net1")["routers"] == []


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/l3/hosts/h1", {"configurations": {}}),
        ("/l3/hosts/h1", {"agent_version": 1}),
        ("/l3/hosts/h1/state", {"router_ids": "r1"}),
        ("/l3/hosts/h1/state", "[]"),
    ],
)
def test_bad_bodies_are_400(l3: Client, path: str, body: Any) -> None:
    response = l3.request("POST", "/agent/v1" + path, body, AUTH)
    assert response.status_int == 400, response.body
    assert "error" in json.loads(response.body)


# -- the scheduler's admin API (/v2.0, l3_agent_scheduler) ----------------------------


def test_an_admin_sees_and_moves_a_router_between_agents(l3: Client) -> None:
    for host in ("net1", "net2"):
        l3_register(l3, host)
    agents = {a["host"]: a["id"] for a in v2(l3, "GET", "/agents")["agents"]}
    made = router(l3, None)["id"]
    hosted = l3_state(l3, "net1")["routers"] + l3_state(l3, "net2")["routers"]
    assert [r["id"] for r in hosted] == [made]
    (first,) = v2(l3, "GET", f"/routers/{made}/l3-agents")["agents"]
    assert first["agent_type"] == "L3 agent"
    where, other = ("net1", "net2") if first["host"] == "net1" else ("net2", "net1")
    assert first["id"] == agents[where]
    assert [r["id"] for r in v2(l3, "GET", f"/agents/{agents[where]}/l3-routers")[
        "routers"
    ]] == [made]  # fmt: skip
    assert v2(l3, "GET", f"/agents/{agents[other]}/l3-routers")["routers"] == []

    # moving: hosted elsewhere is 409; off the first agent (disabled, so that
    # nobody schedules it back there), onto the other
    body = {"router_id": made}
    path = f"/v2.0/agents/{agents[other]}/l3-routers"
    conflict = l3.request("POST", path, body, ADMIN)
    assert conflict.status_int == 409, conflict.body
    assert "RouterSchedulingFailed" in conflict.body.decode()
    v2(l3, "PUT", f"/agents/{agents[where]}", {"agent": {"admin_state_up": False}})
    v2(l3, "DELETE", f"/agents/{agents[where]}/l3-routers/{made}")
    created = l3.request("POST", path, body, ADMIN)
    assert created.status_int == 201, created.body
    assert [
        a["host"] for a in v2(l3, "GET", f"/routers/{made}/l3-agents")["agents"]
    ] == [other]
    assert [r["id"] for r in l3_state(l3, other)["routers"]] == [made]
    assert l3_state(l3, where)["routers"] == []

    again = l3.request("POST", path, body, ADMIN)
    assert again.status_int == 409
    assert "RouterHostedByL3Agent" in again.body.decode()
    gone = l3.request(
        "DELETE", f"/v2.0/agents/{agents[where]}/l3-routers/{made}", None, ADMIN
    )
    assert gone.status_int == 409
    disabled = l3.request(
        "POST", f"/v2.0/agents/{agents[where]}/l3-routers", body, ADMIN
    )
    assert disabled.status_int == 404
    assert "InvalidL3Agent" in disabled.body.decode()
    missing = l3.request(
        "POST", path, {"router_id": "7f4f1d3a-0000-4000-8000-000000000000"}, ADMIN
    )
    assert missing.status_int == 404
    assert "RouterNotFound" in missing.body.decode()


def test_the_scheduler_api_is_for_administrators(l3: Client) -> None:
    l3_register(l3, "net1")
    made = router(l3, None)["id"]
    l3_state(l3, "net1")
    (agent,) = [
        a for a in v2(l3, "GET", "/agents")["agents"] if a["agent_type"] == "L3 agent"
    ]
    owner = l3.request("GET", f"/v2.0/routers/{made}/l3-agents", None, TENANT)
    assert owner.status_int == 403, owner.body
    for method, path, body in (
        ("GET", f"/v2.0/agents/{agent['id']}/l3-routers", None),
        ("POST", f"/v2.0/agents/{agent['id']}/l3-routers", {"router_id": made}),
    ):
        assert l3.request(method, path, body, TENANT).status_int == 403
    assert v2(l3, "GET", f"/routers/{made}/l3-agents")["agents"]  # NOTE: admin: yes
