# SPDX-License-Identifier: Apache-2.0
"""The DHCP kind of the agent API (``/agent/v1/dhcp``) over the Open vSwitch plugin:
a DHCP agent registers beside the host's OVS agent, is scheduled the networks that
have a DHCP-enabled subnet, and is told each with its subnets, ports and its own
DHCP port, which the server creates, mends and deletes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, update

from quantum.core.dhcp import dhcp_device_id
from quantum.db.models import AgentHostRow
from quantum.testing.client import Client
from tests.api.agentapi.conftest import AUTH, Store, call
from tests.api.v2.client import ADMIN, V2

ACME = {"X-Project-Id": "acme", "X-Roles": "member"}


def register(client: Client, host: str) -> None:
    call(client, "POST", f"/dhcp/hosts/{host}", {"agent_version": "1"})


def state(client: Client, host: str) -> dict[str, Any]:
    answer: dict[str, Any] = call(client, "POST", f"/dhcp/hosts/{host}/state", {})
    return answer


def served(client: Client, host: str) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in state(client, host)["networks"]}


def network(api: V2, cidr: str = "10.0.0.0/24", **subnet: Any) -> tuple[str, str]:
    net = api.network(ACME, name="n")["id"]
    body = {"network_id": net, "ip_version": 4, "cidr": cidr, **subnet}
    created = api.post("/subnets", {"subnet": body}, ACME)
    assert created.status_int == 201, created.body
    return net, created.json["subnet"]["id"]


def kill(store: Store, host: str, ago: timedelta = timedelta(hours=1)) -> None:
    """``host``'s DHCP agent last heard from ``ago``."""
    engine = create_engine(store.url)
    with engine.begin() as conn:
        long_ago = datetime.now(UTC).replace(tzinfo=None) - ago
        conn.execute(
            update(AgentHostRow)
            .where(AgentHostRow.host == host, AgentHostRow.agent_type == "DHCP agent")
            .values(last_seen=long_ago)
        )
    engine.dispose()


@pytest.fixture
def api(app: Client) -> V2:
    return V2(app, "openvswitch")


def test_an_agent_is_told_its_network_with_a_dhcp_port_made_for_it(
    app: Client, api: V2
) -> None:
    register(app, "net1")
    assert state(app, "net1")["networks"] == []
    net, subnet = network(
        api,
        dns_nameservers=["192.0.2.53"],
        host_routes=[{"destination": "198.51.100.0/24", "nexthop": "10.0.0.254"}],
    )
    vm = api.port(net, ACME)
    told = state(app, "net1")
    assert told["admin_state_up"] is True
    assert told["lease_duration"] == 120  # NOTE: dhcp_lease_duration, the hold
    assert told["revision"] == call(app, "GET", "/dhcp/changes")["revision"]
    (info,) = told["networks"]
    assert info["id"] == net
    assert info["mtu"] == 1458  # NOTE: GRE
    assert info["subnets"] == [
        {
            "id": subnet,
            "cidr": "10.0.0.0/24",
            "gateway_ip": "10.0.0.1",
            "enable_dhcp": True,
            "dns_nameservers": ["192.0.2.53"],
            "host_routes": [
                {"destination": "198.51.100.0/24", "nexthop": "10.0.0.254"}
            ],
            "ipv6_ra_mode": None,
            "ipv6_address_mode": None,
        }
    ]
    dhcp = info["dhcp_port"]
    assert dhcp["device_owner"] == "network:dhcp"
    assert dhcp["device_id"] == dhcp_device_id("net1", net)
    assert [i["subnet_id"] for i in dhcp["fixed_ips"]] == [subnet]
    by_id = {p["id"]: p for p in info["ports"]}
    assert set(by_id) == {vm["id"], dhcp["id"]}
    assert by_id[vm["id"]]["fixed_ips"] == [
        {"subnet_id": subnet, "ip_address": vm["fixed_ips"][0]["ip_address"]}
    ]
    assert by_id[vm["id"]]["mac_address"] == vm["mac_address"]
    # NOTE: the DHCP port is an API port, the network owner's, bound to the host
    shown = api.get(f"/ports/{dhcp['id']}", ADMIN).json["port"]
    assert shown["tenant_id"] == "acme"
    assert shown["binding:host_id"] == "net1"
    # NOTE: asked again, the same port: nothing is made twice
    assert served(app, "net1")[net]["dhcp_port"]["id"] == dhcp["id"]
    assert len(api.get(f"/ports?network_id={net}", ADMIN).json["ports"]) == 2


def test_the_dhcp_port_follows_the_subnets_and_goes_with_dhcp(
    app: Client, api: V2
) -> None:
    register(app, "net1")
    net, first = network(api)
    port = served(app, "net1")[net]["dhcp_port"]
    second = api.post(
        "/subnets",
        {"subnet": {"network_id": net, "ip_version": 4, "cidr": "10.1.0.0/24"}},
        ACME,
    ).json["subnet"]["id"]
    mended = served(app, "net1")[net]["dhcp_port"]
    assert mended["id"] == port["id"]
    assert [i["subnet_id"] for i in mended["fixed_ips"]] == [first, second]
    assert mended["fixed_ips"][0] == port["fixed_ips"][0]  # NOTE: kept
    off = api.put(f"/subnets/{first}", {"subnet": {"enable_dhcp": False}}, ACME)
    assert off.status_int == 200
    mended = served(app, "net1")[net]["dhcp_port"]
    assert [i["subnet_id"] for i in mended["fixed_ips"]] == [second]
    api.put(f"/subnets/{second}", {"subnet": {"enable_dhcp": False}}, ACME)
    info = served(app, "net1")[net]
    assert info["dhcp_port"] is None
    assert api.get(f"/ports?network_id={net}", ADMIN).json["ports"] == []
    # NOTE: the network deleted: nothing is left to tell
    api.put(f"/subnets/{second}", {"subnet": {"enable_dhcp": True}}, ACME)
    assert served(app, "net1")[net]["dhcp_port"] is not None
    assert api.delete(f"/networks/{net}", ACME).status_int == 204
    assert state(app, "net1")["networks"] == []


def test_networks_go_to_the_least_loaded_live_agent_and_move_off_dead_ones(
    store: Store, app: Client, api: V2
) -> None:
    register(app, "net1")
    register(app, "net2")
    a, _ = network(api, "10.0.0.0/24")
    b, _ = network(api, "10.1.0.0/24")
    one, two = served(app, "net1"), served(app, "net2")
    assert sorted([*one, *two]) == sorted([a, b])
    assert len(one) == len(two) == 1
    network_without_dhcp, _ = network(api, "10.2.0.0/24", enable_dhcp=False)
    assert network_without_dhcp not in {**served(app, "net1"), **served(app, "net2")}
    kill(store, "net1")
    moved = served(app, "net2")
    assert set(moved) == {a, b}
    # NOTE: the dead agent's port stays until it asks again, then goes
    assert served(app, "net1") == {}
    dhcp_ports = api.get("/ports?device_owner=network:dhcp", ADMIN).json["ports"]
    assert sorted(p["binding:host_id"] for p in dhcp_ports) == ["net2", "net2"]


def test_a_network_moves_only_once_its_agent_is_silent_for_agent_down_time(
    store: Store,
) -> None:
    client = store.app("down", agent_down_time=30)
    api = V2(client, "openvswitch")
    register(client, "net1")
    net, _ = network(api)
    assert set(served(client, "net1")) == {net}
    register(client, "net2")
    # silent for less than agent_down_time: still net1's (net2 asking moves nothing)
    kill(store, "net1", timedelta(seconds=20))
    assert served(client, "net2") == {}
    hosting = api.get(f"/networks/{net}/dhcp-agents", ADMIN).json["agents"]
    assert [a["host"] for a in hosting] == ["net1"]
    # silent for longer: the next ask moves it to the live agent
    kill(store, "net1", timedelta(seconds=40))
    assert set(served(client, "net2")) == {net}
    hosting = api.get(f"/networks/{net}/dhcp-agents", ADMIN).json["agents"]
    assert [a["host"] for a in hosting] == ["net2"]


def test_a_disabled_agent_serves_nothing_and_its_networks_move(
    app: Client, api: V2
) -> None:
    register(app, "net1")
    net, _ = network(api)
    assert set(served(app, "net1")) == {net}
    agents = api.get("/agents?agent_type=DHCP%20agent", ADMIN).json["agents"]
    off = {"agent": {"admin_state_up": False}}
    assert api.put(f"/agents/{agents[0]['id']}", off, ADMIN).status_int == 200
    told = state(app, "net1")
    assert (told["admin_state_up"], told["networks"]) == (False, [])
    register(app, "net2")
    assert set(served(app, "net2")) == {net}


def test_two_agents_per_network_serve_it_both(store: Store) -> None:
    client = store.app("two", dhcp_agents_per_network=2)
    api = V2(client, "openvswitch")
    for host in ("net1", "net2", "net3"):
        register(client, host)
    net, _ = network(api)
    hosts = [h for h in ("net1", "net2", "net3") if net in served(client, h)]
    assert len(hosts) == 2
    ports = api.get(f"/ports?network_id={net}", ADMIN).json["ports"]
    assert sorted(p["binding:host_id"] for p in ports) == sorted(hosts)
    addresses = {p["fixed_ips"][0]["ip_address"] for p in ports}
    assert len(addresses) == 2


def test_a_state_request_must_be_an_object(app: Client) -> None:
    register(app, "net1")
    path = "/agent/v1/dhcp/hosts/net1/state"
    refused = app.request("POST", path, "[]", AUTH)
    assert refused.status_int == 400


def test_dhcp_is_refused_on_a_full_subnet_and_nothing_changes(
    app: Client, api: V2
) -> None:
    register(app, "net1")
    net, subnet = network(
        api,
        "10.9.0.0/29",
        enable_dhcp=False,
        allocation_pools=[{"start": "10.9.0.2", "end": "10.9.0.3"}],
    )
    for _ in range(2):
        api.port(net, ACME)
    refused = api.put(f"/subnets/{subnet}", {"subnet": {"enable_dhcp": True}}, ACME)
    assert refused.status_int == 409
    assert refused.json["NeutronError"]["type"] == "IpAddressGenerationFailure"
    shown = api.get(f"/subnets/{subnet}", ACME).json["subnet"]
    assert shown["enable_dhcp"] is False
    assert state(app, "net1")["networks"] == []
    # NOTE: with room again, it is served
    port_ids = [
        p["id"] for p in api.get(f"/ports?network_id={net}", ADMIN).json["ports"]
    ]
    api.delete(f"/ports/{port_ids[0]}", ADMIN)
    freed = api.put(f"/subnets/{subnet}", {"subnet": {"enable_dhcp": True}}, ACME)
    assert freed.status_int == 409  # NOTE: the address is held (spec §4.5)


def _wired(client: Client, host: str, port_id: str) -> None:
    """The OVS agent of ``host`` reports the port UP (wired)."""
    body = {"ports": [{"port_id": port_id, "status": "UP", "reason": ""}]}
    done = client.request("POST", f"/agent/v1/hosts/{host}/status", body, AUTH)
    assert done.status_int == 204, done.body


def _provisioned(client: Client, host: str, *port_ids: str) -> None:
    body = {"ports": list(port_ids)}
    done = client.request(
        "POST", f"/agent/v1/dhcp/hosts/{host}/provisioned", body, AUTH
    )
    assert done.status_int == 204, done.body


def _status(api: V2, port_id: str) -> str:
    status: str = api.get(f"/ports/{port_id}", ADMIN).json["port"]["status"]
    return status


def _vm_port(api: V2, net: str) -> str:
    body = {"network_id": net, "binding:host_id": "h1"}
    made = api.post("/ports", {"port": body}, ADMIN)
    assert made.status_int == 201, made.body
    port_id: str = made.json["port"]["id"]
    return port_id


def test_a_port_is_active_only_once_its_dhcp_agent_has_it_too(
    app: Client, api: V2
) -> None:
    register(app, "net1")
    net, _ = network(api)
    state(app, "net1")  # NOTE: the network is scheduled to net1
    first, second = _vm_port(api, net), _vm_port(api, net)
    # wired first: BUILD until the DHCP agent has it
    _wired(app, "h1", first)
    assert _status(api, first) == "BUILD"
    _provisioned(app, "net1", first)
    assert _status(api, first) == "ACTIVE"
    # the other order: the DHCP agent first, then wired
    _provisioned(app, "net1", second)
    assert _status(api, second) == "DOWN"
    _wired(app, "h1", second)
    assert _status(api, second) == "ACTIVE"
    # NOTE: the DHCP port itself waits for nothing
    dhcp = served(app, "net1")[net]["dhcp_port"]["id"]
    _wired(app, "net1", dhcp)
    assert _status(api, dhcp) == "ACTIVE"


def test_only_an_agent_serving_the_network_lifts_the_wait(app: Client, api: V2) -> None:
    register(app, "net1")
    net, _ = network(api)
    state(app, "net1")
    register(app, "net2")  # NOTE: serves nothing (one agent per network)
    port = _vm_port(api, net)
    _wired(app, "h1", port)
    _provisioned(app, "net2", port)
    assert _status(api, port) == "BUILD"
    _provisioned(app, "net1", port)  # control: its own agent
    assert _status(api, port) == "ACTIVE"


def test_without_a_live_dhcp_agent_a_port_waits_for_nothing(
    store: Store, app: Client, api: V2
) -> None:
    net, _ = network(api)  # NOTE: no DHCP agent at all
    port = _vm_port(api, net)
    _wired(app, "h1", port)
    assert _status(api, port) == "ACTIVE"
    register(app, "net1")
    state(app, "net1")
    kill(store, "net1")  # NOTE: its agent dead before the create
    dead = _vm_port(api, net)
    _wired(app, "h1", dead)
    assert _status(api, dead) == "ACTIVE"
    # NOTE: a subnet without DHCP: nothing to wait for either
    register(app, "net1")
    nodhcp, _ = network(api, "10.1.0.0/24", enable_dhcp=False)
    port = _vm_port(api, nodhcp)
    _wired(app, "h1", port)
    assert _status(api, port) == "ACTIVE"


def test_a_provisioned_report_is_checked(app: Client) -> None:
    register(app, "net1")
    path = "/agent/v1/dhcp/hosts/net1/provisioned"
    bodies: tuple[dict[str, Any] | str, ...] = (
        "[]",
        {"ports": "p"},
        {"ports": [""]},
        {"ports": ["x" * 37]},
        {},
    )
    for body in bodies:
        refused = app.request("POST", path, body, AUTH)
        assert refused.status_int == 400, body
    too_many = {"ports": [f"p{i}" for i in range(1001)]}
    assert app.request("POST", path, too_many, AUTH).status_int == 400
    unknown = {"ports": ["0b8c3f7e-4a8b-4c7e-9d1e-2f3a4b5c6d7e"]}
    assert app.request("POST", path, unknown, AUTH).status_int == 204


def test_leases_reported_by_the_serving_agent_hold_a_released_address(
    app: Client, api: V2
) -> None:
    register(app, "net1")
    register(app, "net2")  # NOTE: serves nothing
    net, subnet = network(api)
    state(app, "net1")
    port = api.get(f"/ports/{_vm_port(api, net)}", ADMIN).json["port"]
    address = port["fixed_ips"][0]["ip_address"]
    end = int(datetime.now(UTC).timestamp()) + 3600
    lease = {
        "network_id": net,
        "ip_address": address,
        "mac_address": port["mac_address"],
        "expires_at": end,
    }
    path = "/agent/v1/dhcp/hosts/{}/leases"
    for host in ("net2", "net1"):
        done = app.request("POST", path.format(host), {"leases": [lease]}, AUTH)
        assert done.status_int == 204, done.body
    deleted = api.delete(f"/ports/{port['id']}", ADMIN)
    assert deleted.status_int == 204
    ask = {"network_id": net, "fixed_ips": [{"ip_address": address}]}
    held = api.post("/ports", {"port": ask}, ADMIN)
    assert held.status_int == 409
    assert held.json["NeutronError"]["type"] == "IpAddressInUse"
    for bad in (
        {"leases": [{**lease, "mac_address": "01:00:5e:00:00:01"}]},
        {"leases": [{**lease, "ip_address": "10.0.0.300"}]},
        {"leases": [{**lease, "expires_at": -1}]},
        {"leases": [{**lease, "expires_at": "soon"}]},
        {"leases": [{**lease, "network_id": ""}]},
        {"leases": [lease] * 501},
        {"leases": "all"},
    ):
        refused = app.request("POST", path.format("net1"), bad, AUTH)
        assert refused.status_int == 400, bad
