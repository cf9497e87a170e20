# SPDX-License-Identifier: Apache-2.0
"""``/v2.0/agents`` (spec §5.8) over the Open vSwitch plugin: administrators only,
``alive`` from the heartbeat, ``configurations`` from the agent's report, an admin
may disable an agent (its host leaves scheduling; its agent is told) or describe it,
and delete removes a host."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, update

from quantum.db.models import AgentHostRow
from tests.api.agentapi.conftest import AUTH, Store, call, migrated_store, register
from tests.api.v2.client import ADMIN, V2, error

MEMBER = {"X-Project-Id": "acme", "X-Roles": "member"}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return migrated_store(tmp_path)


@pytest.fixture
def api(store: Store) -> V2:
    client = store.app("server", agent_down_time=30)
    register(client, "hv1", "192.0.2.1")
    register(client, "hv2", None)
    return V2(client, "openvswitch")


def _kill(store: Store, host: str) -> None:
    """Make ``host``'s last heartbeat an hour old."""
    engine = create_engine(store.url)
    with engine.begin() as conn:
        long_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
        conn.execute(
            update(AgentHostRow)
            .where(AgentHostRow.host == host)
            .values(last_seen=long_ago)
        )
    engine.dispose()


def test_admins_list_and_show_agents_with_the_spec_attributes(api: V2) -> None:
    listed = api.get("/agents", ADMIN)
    assert listed.status_int == 200
    agents = {a["host"]: a for a in listed.json["agents"]}
    assert set(agents) == {"hv1", "hv2"}
    hv1 = agents["hv1"]
    assert set(hv1) == {
        "id", "agent_type", "binary", "topic", "host", "admin_state_up",
        "created_at", "started_at", "heartbeat_timestamp", "alive",
        "configurations", "description",
    }  # fmt: skip
    assert hv1["agent_type"] == "Open vSwitch agent"
    assert hv1["binary"] == "quantum-openvswitch-agent"
    assert hv1["alive"] is True
    assert hv1["configurations"]["tunneling_ip"] == "192.0.2.1"
    assert hv1["configurations"]["tunnel_types"] == ["gre"]
    assert agents["hv2"]["configurations"]["tunneling_ip"] is None
    datetime.strptime(hv1["heartbeat_timestamp"], "%Y-%m-%d %H:%M:%S")
    shown = api.get(f"/agents/{hv1['id']}", ADMIN)
    assert shown.json == {"agent": hv1}
    assert "agent" in {e["alias"] for e in api.get("/extensions").json["extensions"]}


def test_alive_turns_false_after_agent_down_time_and_true_with_a_heartbeat(
    store: Store, api: V2
) -> None:
    _kill(store, "hv1")
    agents = {a["host"]: a for a in api.get("/agents", ADMIN).json["agents"]}
    assert (agents["hv1"]["alive"], agents["hv2"]["alive"]) == (False, True)
    dead = api.get("/agents?alive=false", ADMIN).json["agents"]
    assert [a["host"] for a in dead] == ["hv1"]
    live = api.get("/agents?alive=true", ADMIN).json["agents"]
    assert [a["host"] for a in live] == ["hv2"]
    register(api.client, "hv1", "192.0.2.1")
    back = api.get(f"/agents/{agents['hv1']['id']}", ADMIN).json["agent"]
    assert back["alive"] is True


def test_agent_down_time_is_the_configured_one(store: Store) -> None:
    quick = V2(store.app("quick", agent_down_time=1), "openvswitch")
    register(quick.client, "hv1", "192.0.2.1")
    engine = create_engine(store.url)
    with engine.begin() as conn:
        two_seconds_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=2)
        conn.execute(update(AgentHostRow).values(last_seen=two_seconds_ago))
    engine.dispose()
    assert [a["alive"] for a in quick.get("/agents", ADMIN).json["agents"]] == [False]
    slow = V2(store.app("slow", agent_down_time=75), "openvswitch")
    assert [a["alive"] for a in slow.get("/agents", ADMIN).json["agents"]] == [True]


def test_everybody_else_gets_403_and_changes_nothing(api: V2) -> None:
    (hv1,) = [a for a in api.get("/agents", ADMIN).json["agents"] if a["host"] == "hv1"]
    for method, path in (
        ("GET", "/agents"),
        ("GET", f"/agents/{hv1['id']}"),
        ("DELETE", f"/agents/{hv1['id']}"),
        ("PUT", f"/agents/{hv1['id']}"),
        ("POST", "/agents"),
    ):
        body: dict[str, object] | None = (
            {"agent": {}} if method in ("PUT", "POST") else None
        )
        refused = api.client.request(method, f"/v2.0{path}", body, MEMBER)
        assert error(refused) == (403, "PolicyNotAuthorized"), (method, path)
    assert len(api.get("/agents", ADMIN).json["agents"]) == 2


def test_a_non_admin_gets_403_even_for_an_agent_that_does_not_exist(api: V2) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    for method in ("GET", "PUT", "DELETE"):
        body = {"agent": {"admin_state_up": False}} if method == "PUT" else None
        refused = api.client.request(method, f"/v2.0/agents/{missing}", body, MEMBER)
        assert error(refused) == (403, "PolicyNotAuthorized"), method
    # positive control: the same paths say 404 to an admin
    assert error(api.get(f"/agents/{missing}", ADMIN)) == (404, "AgentNotFound")
    put = api.put(f"/agents/{missing}", {"agent": {"admin_state_up": False}}, ADMIN)
    assert error(put) == (404, "AgentNotFound")


def test_agents_are_made_by_heartbeats_only_and_unknown_ones_are_404(api: V2) -> None:
    (hv1,) = [a for a in api.get("/agents", ADMIN).json["agents"] if a["host"] == "hv1"]
    made = api.post("/agents", {"agent": {"host": "hv9"}}, ADMIN)
    assert error(made) == (400, "InvalidInput")
    empty = api.post("/agents", {"agent": {"tenant_id": "admin"}}, ADMIN)
    assert error(empty) == (400, "InvalidInput")
    changed = api.put(f"/agents/{hv1['id']}", {"agent": {"host": "hv9"}}, ADMIN)
    assert error(changed) == (400, "InvalidInput")
    missing = "00000000-0000-4000-8000-000000000000"
    assert error(api.get(f"/agents/{missing}", ADMIN)) == (404, "AgentNotFound")
    gone = api.client.request("DELETE", f"/v2.0/agents/{missing}", headers=ADMIN)
    assert error(gone) == (404, "AgentNotFound")
    assert api.get(f"/agents/{hv1['id']}", ADMIN).json["agent"]["host"] == "hv1"


def test_deleting_an_agent_removes_its_host_until_it_reports_again(
    store: Store, api: V2
) -> None:
    register(api.client, "hv3", "192.0.2.3")
    agents = {a["host"]: a for a in api.get("/agents", ADMIN).json["agents"]}
    peers = call(api.client, "POST", "/hosts/hv3/state", {"iface_ids": []})
    assert [e["host"] for e in peers["endpoints"]] == ["hv1"]
    gone = api.client.request(
        "DELETE", f"/v2.0/agents/{agents['hv1']['id']}", headers=ADMIN
    )
    assert gone.status_int == 204
    assert {a["host"] for a in api.get("/agents", ADMIN).json["agents"]} == {
        "hv2",
        "hv3",
    }
    assert (
        call(api.client, "POST", "/hosts/hv3/state", {"iface_ids": []})["endpoints"]
        == []
    )
    register(api.client, "hv1", "192.0.2.1")
    again = [a for a in api.get("/agents", ADMIN).json["agents"] if a["host"] == "hv1"]
    assert [a["id"] != agents["hv1"]["id"] for a in again] == [True]


def test_a_plugin_without_agents_has_no_agents_resource(sqlite_v2: V2) -> None:
    assert sqlite_v2.get("/agents", ADMIN).status_int == 404
    extensions = sqlite_v2.get("/extensions", ADMIN).json["extensions"]
    assert "agent" not in {e["alias"] for e in extensions}


def test_a_port_on_a_dead_agent_s_host_says_so_and_is_not_shown_down_by_fiat(
    store: Store, api: V2
) -> None:
    net = api.post("/networks", {"network": {"tenant_id": "acme"}}, ADMIN)
    body = {"network_id": net.json["network"]["id"], "binding:host_id": "hv1"}
    port = api.post("/ports", {"port": {**body, "tenant_id": "acme"}}, ADMIN).json
    port_id = port["port"]["id"]
    report = {"ports": [{"port_id": port_id, "status": "UP", "reason": ""}]}
    reported = api.client.request("POST", "/agent/v1/hosts/hv1/status", report, AUTH)
    assert reported.status_int == 204
    shown = api.get(f"/ports/{port_id}", ADMIN).json["port"]
    assert (shown["status"], shown["status_reason"]) == ("ACTIVE", "")

    _kill(store, "hv1")
    for seen in (
        api.get(f"/ports/{port_id}", ADMIN).json["port"],
        api.get(f"/ports?id={port_id}", ADMIN).json["ports"][0],
    ):
        assert seen["status"] == "ACTIVE"
        assert "agent of host hv1 is not alive" in seen["status_reason"]
    # an admin-down nobody applied: the host still forwards, so not DOWN
    down = api.put(f"/ports/{port_id}", {"port": {"admin_state_up": False}}, ADMIN)
    assert down.json["port"]["status"] == "ACTIVE"
    assert "not applied" in down.json["port"]["status_reason"]
    assert api.get(f"/ports/{port_id}").json["port"]["status"] == "ACTIVE"

    # control: with its agent back, an admin-down port is DOWN
    register(api.client, "hv1", "192.0.2.1")
    back = api.get(f"/ports/{port_id}", ADMIN).json["port"]
    assert (back["status"], back["status_reason"]) == ("DOWN", "administratively down")


def test_configurations_are_what_the_agent_reported(api: V2) -> None:
    body = {
        "tunnel_ip": "192.0.2.7",
        "tunnel_types": ["gre"],
        "agent_version": "quantum-openvswitch-agent",
        "configurations": {
            "bridge_mappings": {"physnet1": "br-eth1"},
            "tunnel_types": ["gre"],
            "integration_bridge": "br-int",
            "devices": 3,
        },
    }
    call(api.client, "POST", "/ovs/hosts/hv7", body)
    (hv7,) = api.get("/agents?host=hv7", ADMIN).json["agents"]
    assert hv7["configurations"] == {
        "bridge_mappings": {"physnet1": "br-eth1"},
        "tunnel_types": ["gre"],
        "integration_bridge": "br-int",
        "devices": 3,
        "tunneling_ip": "192.0.2.7",
        "agent_version": "quantum-openvswitch-agent",
    }
    body["configurations"] = {"devices": 4}
    call(api.client, "POST", "/ovs/hosts/hv7", body)
    shown = api.get(f"/agents/{hv7['id']}", ADMIN).json["agent"]
    assert shown["configurations"]["devices"] == 4
    assert "bridge_mappings" not in shown["configurations"]  # the last report's


def test_an_admin_disables_an_agent_its_agent_is_told_and_forwarding_stays(
    api: V2,
) -> None:
    agents = {a["host"]: a for a in api.get("/agents", ADMIN).json["agents"]}
    hv1 = agents["hv1"]["id"]
    before = call(api.client, "GET", "/changes")["revision"]
    state = call(api.client, "POST", "/hosts/hv2/state", {"iface_ids": []})
    assert state["admin_state_up"] is True

    done = api.put(
        f"/agents/{hv1}",
        {"agent": {"admin_state_up": False, "description": "rack 4, failing fan"}},
        ADMIN,
    )

    assert done.status_int == 200
    assert (
        done.json["agent"]["admin_state_up"],
        done.json["agent"]["description"],
    ) == (
        False,
        "rack 4, failing fan",
    )
    assert api.get(f"/agents/{hv1}", ADMIN).json["agent"] == done.json["agent"]
    told = call(api.client, "GET", "/changes")["revision"]
    assert told > before  # the agents hear of it at once
    assert (
        call(api.client, "POST", "/hosts/hv1/state", {"iface_ids": []})[
            "admin_state_up"
        ]
        is False
    )
    # its peers keep their tunnels to it: disabling is not a teardown
    hv2 = call(api.client, "POST", "/hosts/hv2/state", {"iface_ids": []})
    assert [e["host"] for e in hv2["endpoints"]] == ["hv1"]
    assert [
        a["host"] for a in api.get("/agents?admin_state_up=false", ADMIN).json["agents"]
    ] == ["hv1"]
    # a description alone tells no agent
    api.put(f"/agents/{hv1}", {"agent": {"description": ""}}, ADMIN)
    assert call(api.client, "GET", "/changes")["revision"] == told
    again = api.put(f"/agents/{hv1}", {"agent": {"admin_state_up": "true"}}, ADMIN)
    assert again.json["agent"]["admin_state_up"] is True
    bad = api.put(f"/agents/{hv1}", {"agent": {"admin_state_up": "maybe"}}, ADMIN)
    assert error(bad) == (400, "InvalidInput")
    assert api.get(f"/agents/{hv1}", ADMIN).json["agent"]["admin_state_up"] is True


def test_a_disabled_agents_host_is_not_offered_for_new_instances(api: V2) -> None:
    path = "/v1.1/extensions/csco/tenants/t1/novatenants/any/schedule_host"
    body = {"novatenant": {"instance_id": 1, "instance_desc": {"vif_id": "v"}}}

    def offered() -> list[str]:
        answer = api.client.request("PUT", path, body, ADMIN)
        assert answer.status_int == 200, answer.body
        return sorted(answer.json["host_list"].values())

    assert offered() == ["hv1", "hv2"]
    agents = {a["host"]: a["id"] for a in api.get("/agents", ADMIN).json["agents"]}
    api.put(f"/agents/{agents['hv2']}", {"agent": {"admin_state_up": False}}, ADMIN)
    assert offered() == ["hv1"]


def test_one_host_runs_an_ovs_agent_and_a_dhcp_agent_listed_apart(
    store: Store, api: V2
) -> None:
    body = {"agent_version": "1", "configurations": {"networks": 0}}
    assert call(api.client, "POST", "/dhcp/hosts/hv1", body)["revision"] > 0
    agents = api.get("/agents?host=hv1", ADMIN).json["agents"]
    by_type = {a["agent_type"]: a for a in agents}
    assert set(by_type) == {"Open vSwitch agent", "DHCP agent"}
    dhcp, ovs = by_type["DHCP agent"], by_type["Open vSwitch agent"]
    assert (dhcp["binary"], dhcp["topic"]) == ("quantum-dhcp-agent", "dhcp_agent")
    assert (ovs["binary"], ovs["topic"]) == ("quantum-openvswitch-agent", "N/A")
    assert dhcp["configurations"]["networks"] == 0
    assert dhcp["id"] != ovs["id"]
    assert dhcp["alive"] is True
    # NOTE: the first release's path still registers the OVS agent, no third row
    register(api.client, "hv1", "192.0.2.1")
    assert len(api.get("/agents?host=hv1", ADMIN).json["agents"]) == 2
    only = api.get("/agents?agent_type=DHCP%20agent", ADMIN).json["agents"]
    assert [a["id"] for a in only] == [dhcp["id"]]
    by_binary = api.get("/agents?binary=quantum-dhcp-agent&host=hv1", ADMIN)
    assert [a["id"] for a in by_binary.json["agents"]] == [dhcp["id"]]
    # NOTE: disabling or deleting the DHCP agent leaves the host's OVS agent be
    off = api.put(f"/agents/{dhcp['id']}", {"agent": {"admin_state_up": False}}, ADMIN)
    assert off.status_int == 200
    state = call(api.client, "POST", "/hosts/hv1/state", {"iface_ids": []})
    assert state["admin_state_up"] is True
    assert api.delete(f"/agents/{dhcp['id']}", ADMIN).status_int == 204
    assert [a["id"] for a in api.get("/agents?host=hv1", ADMIN).json["agents"]] == [
        ovs["id"]
    ]


def test_a_dhcp_agent_is_no_tunnel_peer_and_no_host_for_instances(
    store: Store, api: V2
) -> None:
    call(api.client, "POST", "/dhcp/hosts/net1", {"agent_version": "1"})
    state = call(api.client, "POST", "/hosts/hv2/state", {"iface_ids": []})
    assert [e["host"] for e in state["endpoints"]] == ["hv1"]
