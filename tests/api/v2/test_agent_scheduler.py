# SPDX-License-Identifier: Apache-2.0
"""``agent_scheduler`` (spec §5.9) over HTTP: the networks of a DHCP agent and the
DHCP agents of a network, for administrators only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.api.agentapi.conftest import Store, call, migrated_store, register
from tests.api.v2.client import ADMIN, V2, error

MEMBER = {"X-Project-Id": "acme", "X-Roles": "member"}
MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return migrated_store(tmp_path)


@pytest.fixture
def api(store: Store) -> V2:
    client = store.app("server", agent_down_time=30)
    register(client, "hv1", "192.0.2.1")
    for host in ("net1", "net2"):
        call(client, "POST", f"/dhcp/hosts/{host}", {"agent_version": "1"})
    return V2(client, "openvswitch")


def _agents(api: V2) -> dict[str, dict[str, Any]]:
    return {
        a["host"]: a
        for a in api.get("/agents?agent_type=DHCP%20agent", ADMIN).json["agents"]
    }


def _network(api: V2, dhcp: bool = True) -> str:
    net = api.network(MEMBER, name="n")["id"]
    body = {"network_id": net, "ip_version": 4, "cidr": "10.0.0.0/24"}
    created = api.post("/subnets", {"subnet": {**body, "enable_dhcp": dhcp}}, MEMBER)
    assert created.status_int == 201, created.body
    return str(net)


def test_the_scheduler_places_a_network_and_the_api_shows_where(api: V2) -> None:
    agents = _agents(api)
    net = _network(api)
    call(api.client, "POST", "/dhcp/hosts/net1/state", {})  # NOTE: schedules
    listed = api.get(f"/networks/{net}/dhcp-agents", ADMIN)
    assert listed.status_int == 200
    (hosting,) = listed.json["agents"]
    assert hosting["agent_type"] == "DHCP agent"
    assert hosting["id"] in {agents["net1"]["id"], agents["net2"]["id"]}
    networks = api.get(f"/agents/{hosting['id']}/dhcp-networks", ADMIN)
    assert [n["id"] for n in networks.json["networks"]] == [net]
    assert networks.json["networks"][0]["tenant_id"] == "acme"
    extensions = {e["alias"] for e in api.get("/extensions").json["extensions"]}
    assert "agent_scheduler" in extensions


def test_an_admin_adds_and_removes_a_network(api: V2) -> None:
    agents = _agents(api)
    one, two = agents["net1"]["id"], agents["net2"]["id"]
    net = _network(api, dhcp=False)  # NOTE: not scheduled by itself
    add = api.post(f"/agents/{one}/dhcp-networks", {"network_id": net}, ADMIN)
    assert (add.status_int, add.body) == (201, b"")
    again = api.post(f"/agents/{one}/dhcp-networks", {"network_id": net}, ADMIN)
    assert error(again)[0] == 409
    assert (
        api.post(f"/agents/{two}/dhcp-networks", {"network_id": net}, ADMIN).status_int
        == 201
    )
    hosting = api.get(f"/networks/{net}/dhcp-agents", ADMIN).json["agents"]
    assert sorted(a["id"] for a in hosting) == sorted([one, two])
    gone = api.delete(f"/agents/{one}/dhcp-networks/{net}", ADMIN)
    assert gone.status_int == 204
    assert error(api.delete(f"/agents/{one}/dhcp-networks/{net}", ADMIN))[0] == 409
    hosting = api.get(f"/networks/{net}/dhcp-agents", ADMIN).json["agents"]
    assert [a["id"] for a in hosting] == [two]


def test_bad_requests(api: V2) -> None:
    agents = _agents(api)
    one = agents["net1"]["id"]
    ovs = api.get("/agents?host=hv1", ADMIN).json["agents"][0]["id"]
    net = _network(api)
    missing = api.post(f"/agents/{one}/dhcp-networks", {"network_id": MISSING}, ADMIN)
    assert error(missing) == (404, "NetworkNotFound")
    not_dhcp = api.post(f"/agents/{ovs}/dhcp-networks", {"network_id": net}, ADMIN)
    assert error(not_dhcp) == (404, "InvalidDHCPAgent")
    disabled = {"agent": {"admin_state_up": False}}
    assert api.put(f"/agents/{one}", disabled, ADMIN).status_int == 200
    refused = api.post(f"/agents/{one}/dhcp-networks", {"network_id": net}, ADMIN)
    assert error(refused) == (404, "InvalidDHCPAgent")
    no_agent = api.get(f"/agents/{MISSING}/dhcp-networks", ADMIN)
    assert error(no_agent)[0] == 404
    no_network = api.get(f"/networks/{MISSING}/dhcp-agents", ADMIN)
    assert error(no_network)[0] == 404
    bad_body = api.post(f"/agents/{one}/dhcp-networks", {"network": net}, ADMIN)
    assert error(bad_body)[0] == 400


def test_everybody_else_gets_403(api: V2) -> None:
    agents = _agents(api)
    one = agents["net1"]["id"]
    net = _network(api)
    for method, path, body in (
        ("GET", f"/agents/{one}/dhcp-networks", None),
        ("POST", f"/agents/{one}/dhcp-networks", {"network_id": net}),
        ("DELETE", f"/agents/{one}/dhcp-networks/{net}", None),
        ("GET", f"/networks/{net}/dhcp-agents", None),
    ):
        refused = api.request(method, path, body, MEMBER)
        assert refused.status_int == 403, (method, path, refused.body)
