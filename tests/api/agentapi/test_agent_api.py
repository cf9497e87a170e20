# SPDX-License-Identifier: Apache-2.0
"""The agent API in-process over the Open vSwitch plugin (GRE) on SQLite: the shared
secret, registration, a host's desired state, the change feed across two app
instances over one store (two server processes), and status reports."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, update

from quantum.agentapi import kinds, server
from quantum.agentapi.kind import Kind
from quantum.api.app import load_app
from quantum.core.settings import load_settings
from quantum.db.models import AgentHostRow
from quantum.testing.client import Client, write_config
from tests.api.agentapi.conftest import (
    AUTH,
    NETS,
    SECRET,
    Store,
    call,
    plugged_port,
    register,
)

V2_ADMIN = {"X-Project-Id": "admin", "X-Roles": "admin"}

# -- the shared secret ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"X-Quantum-Agent-Secret": "wrong"}, 401), (AUTH, 200)],
)
def test_the_secret_is_required(
    app: Client, headers: dict[str, str], status: int
) -> None:
    assert app.request("GET", "/agent/v1/changes", headers=headers).status_int == status


def test_without_a_configured_secret_everything_is_refused(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    client = store.app("open", agent_secret="")
    for headers in ({}, AUTH, {"X-Quantum-Agent-Secret": ""}):
        refused = client.request("GET", "/agent/v1/changes", headers=headers)
        assert refused.status_int == 403
        assert "agent_secret" in json.loads(refused.body)["error"]
    assert "agent_secret is not configured" in caplog.text


def test_a_plugin_without_segments_does_not_serve_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, core_plugin="fake", agent_secret=SECRET)
    client = Client(load_app(load_settings(config)))
    refused = client.request("GET", "/agent/v1/changes", headers=AUTH)
    assert refused.status_int == 404
    assert "does not serve the agent API" in json.loads(refused.body)["error"]


def test_an_unset_secret_is_warned_about_only_where_the_api_is_served(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store.app("open", agent_secret="")
    assert "agent_secret is not set" in caplog.text
    caplog.clear()
    config = write_config(tmp_path, core_plugin="fake", agent_secret="")
    load_app(load_settings(config))
    assert "agent_secret" not in caplog.text  # NOTE: no agent API to refuse


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        (
            "POST",
            "/hosts/h1",
            {"tunnel_ip": "nope", "tunnel_types": [], "agent_version": ""},
            400,
        ),
        (
            "POST",
            "/hosts/h1",
            {"tunnel_ip": None, "tunnel_types": ["gre"], "agent_version": ""},
            400,
        ),
        (
            "POST",
            "/ovs/hosts/h1",
            {
                "tunnel_ip": None,
                "tunnel_types": [],
                "agent_version": "",
                "configurations": ["not", "an", "object"],
            },
            400,
        ),
        (
            "POST",
            "/ovs/hosts/h1",
            {
                "tunnel_ip": None,
                "tunnel_types": [],
                "agent_version": "",
                "configurations": {"devices": "x" * 5000},
            },
            400,
        ),
        ("POST", "/hosts/h1/state", {"iface_ids": "vif"}, 400),
        ("POST", "/hosts/h1/state", "not json", 400),
        (
            "POST",
            "/hosts/h1/status",
            {"ports": [{"port_id": "p", "status": "MAYBE"}]},
            400,
        ),
        ("GET", "/changes?since=-1", None, 400),
        ("GET", "/hosts/h1", None, 405),
        ("POST", "/nowhere", {}, 404),
        ("POST", "/hosts/h1", "x" * 200_000, 413),
    ],
)
def test_bad_requests(
    app: Client, method: str, path: str, body: Any, status: int
) -> None:
    response = app.request(method, "/agent/v1" + path, body, AUTH)
    assert response.status_int == status, response.body
    assert "error" in json.loads(response.body)


def test_a_body_holding_what_no_store_can_keep_is_refused_by_name(app: Client) -> None:
    """The agent API's one check of the store's text rule, over the whole body."""
    counters = {
        "port_id": "p",
        "rx_packets": 1,
        "rx_bytes": 1,
        "rx_errors": 0,
        "tx_packets": 1,
        "tx_bytes": 1,
        "tx_errors": 0,
    }
    good = app.request(
        "POST", "/agent/v1/hosts/h1/counters", {"ports": [counters]}, AUTH
    )
    assert good.status_int == 204, good.body
    for bad in ({**counters, "port_id": "p\x00"}, {**counters, "p\ud800": 1}):
        refused = app.request(
            "POST", "/agent/v1/hosts/h1/counters", {"ports": [bad]}, AUTH
        )
        assert refused.status_int == 400, refused.body
        found = json.loads(refused.body)["error"]
        assert found in ("the body contains U+0000", "the body contains U+D800")


# -- routing by agent kind ------------------------------------------------------------


def test_routes_go_to_the_kind_named_in_the_path(
    app: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"tunnel_ip": "192.0.2.1", "tunnel_types": ["gre"], "agent_version": ""}
    assert call(app, "POST", "/ovs/hosts/h1", body)["revision"] > 0
    # NOTE: the first release's paths are the OVS kind's: the same host, no bump
    assert (
        call(app, "POST", "/hosts/h1", body)["revision"]
        == call(app, "GET", "/ovs/changes")["revision"]
    )
    assert app.request("POST", "/agent/v1/nope/hosts/h1", {}, AUTH).status_int == 404

    seen: list[tuple[str, Any]] = []
    echo = Kind(
        name="echo",
        agent_type="Echo agent",
        binary="quantum-echo-agent",
        topics=frozenset(),
        routes=lambda plugin: {"": lambda host, body: seen.append((host, body))},
    )
    monkeypatch.setattr(server, "KINDS", {**kinds.KINDS, "echo": echo})
    answer = app.request("POST", "/agent/v1/echo/hosts/h9", {"hello": 1}, AUTH)
    assert answer.status_int == 204
    assert seen == [("h9", {"hello": 1})]
    unknown = app.request("POST", "/agent/v1/echo/hosts/h9/state", {}, AUTH)
    assert unknown.status_int == 404


# -- register and state -------------------------------------------------------------


def test_registering_a_host_bumps_the_revision_only_when_peers_would_see_it(
    app: Client,
) -> None:
    first = register(app, "h1")
    assert register(app, "h1") == first  # a heartbeat
    moved = register(app, "h1", "192.0.2.9")
    assert moved > first


def test_state_lists_exactly_the_ports_seen_with_their_segments(app: Client) -> None:
    net, port_id = plugged_port(app, "vif-1")
    _, down_id = plugged_port(app, "vif-2", state="DOWN")
    plugged_port(app, "vif-elsewhere")
    state = call(
        app, "POST", "/hosts/h1/state", {"iface_ids": ["vif-1", "vif-2", "ghost"]}
    )
    assert state["host"] == "h1"
    assert state["revision"] == call(app, "GET", "/changes")["revision"]
    by_iface = {p["iface_id"]: p for p in state["ports"]}
    assert set(by_iface) == {"vif-1", "vif-2"}
    # NOTE: a v1 port has port security off: its VM's MAC and addresses are its own
    # (tests/functional/agentapi/test_security_state.py holds the rest of the filter)
    security = by_iface["vif-1"].pop("port_security")
    assert (security["enabled"], security["security_groups"]) == (False, [])
    assert state["security_groups"] == []
    assert by_iface["vif-1"] == {
        "port_id": port_id,
        "iface_id": "vif-1",
        "network_id": net,
        "admin_state_up": True,
        "segment": {
            "network_type": "gre",
            "physical_network": None,
            "segmentation_id": 100,
        },
        "binding_host": "h1",
        "qos": None,
        "mtu": 1458,  # NOTE: global_physnet_mtu 1500 minus GRE's 42
    }
    assert by_iface["vif-2"]["port_id"] == down_id
    assert by_iface["vif-2"]["admin_state_up"] is False
    assert by_iface["vif-2"]["segment"]["segmentation_id"] == 101


def test_state_offers_every_other_host_dead_or_alive_until_it_is_deleted(
    store: Store, app: Client
) -> None:
    register(app, "h1", "192.0.2.1")
    register(app, "h2", "2001:db8::2")
    register(app, "h3", "192.0.2.3")
    register(app, "h4", None)  # no tunnels
    engine = create_engine(store.url)
    with engine.begin() as conn:
        long_ago = datetime.now(UTC).replace(tzinfo=None) - timedelta(hours=1)
        conn.execute(
            update(AgentHostRow)
            .where(AgentHostRow.host == "h3")
            .values(last_seen=long_ago)
        )
    engine.dispose()
    state = call(app, "POST", "/hosts/h1/state", {"iface_ids": []})
    # NOTE: h3's agent is dead, but its host may still forward: keep tunnelling
    assert state["endpoints"] == [
        {"host": "h2", "ip": "2001:db8::2", "tunnel_types": ["gre"]},
        {"host": "h3", "ip": "192.0.2.3", "tunnel_types": ["gre"]},
    ]
    before = state["revision"]
    assert register(app, "h3", "192.0.2.3") == before  # back: nothing changed

    agents = app.request("GET", "/v2.0/agents?host=h3", headers=V2_ADMIN)
    (h3,) = json.loads(agents.body)["agents"]
    gone = app.request("DELETE", f"/v2.0/agents/{h3['id']}", headers=V2_ADMIN)
    assert gone.status_int == 204
    state = call(app, "POST", "/hosts/h1/state", {"iface_ids": []})
    assert [e["host"] for e in state["endpoints"]] == ["h2"]
    assert state["revision"] > before
    # its agent's next heartbeat registers the host again, under a new id
    assert register(app, "h3", "192.0.2.3") > state["revision"]
    state = call(app, "POST", "/hosts/h1/state", {"iface_ids": []})
    assert [e["host"] for e in state["endpoints"]] == ["h2", "h3"]


# -- the change feed ------------------------------------------------------------------


def test_changes_answers_at_once_when_the_agent_is_behind(app: Client) -> None:
    start = call(app, "GET", "/changes")["revision"]
    plugged_port(app, "vif-1")
    began = time.monotonic()
    now = call(app, "GET", f"/changes?since={start}&wait=20")["revision"]
    assert now > start
    assert time.monotonic() - began < 1


def test_a_kind_is_woken_only_by_writes_to_its_topics(app: Client) -> None:
    net, _ = plugged_port(app, "vif-1")
    subnet = {"network_id": net, "tenant_id": "t", "ip_version": 4}
    made = app.request(
        "POST",
        "/v2.0/subnets",
        {"subnet": {**subnet, "cidr": "10.0.0.0/24"}},
        V2_ADMIN,
    )
    subnet_id = json.loads(made.body)["subnet"]["id"]
    ovs = call(app, "GET", "/ovs/changes")["revision"]
    everything = call(app, "GET", "/changes")["revision"]
    addresses = call(app, "GET", "/changes?topics=subnets,ports")["revision"]
    assert ovs <= everything

    dns = {"subnet": {"dns_nameservers": ["192.0.2.53"]}}
    changed = app.request("PUT", f"/v2.0/subnets/{subnet_id}", dns, V2_ADMIN)
    assert changed.status_int == 200, changed.body

    # the OVS agent is told no address: its long-poll runs out, unchanged ...
    assert call(app, "GET", f"/ovs/changes?since={ovs}&wait=0.3")["revision"] == ovs
    # ... while the store revision and whoever follows subnets have moved
    now = call(app, "GET", f"/changes?since={everything}&wait=5")["revision"]
    assert now > everything
    follows = call(app, "GET", f"/changes?since={addresses}&wait=5&topics=subnets")
    assert follows["revision"] == now
    # positive control: a port (on another host) wakes the OVS agent at once
    plugged_port(app, "vif-2")
    began = time.monotonic()
    assert call(app, "GET", f"/ovs/changes?since={ovs}&wait=20")["revision"] > now
    assert time.monotonic() - began < 1
    # and so does another host's endpoint
    woken = call(app, "GET", "/ovs/changes")["revision"]
    register(app, "h7", "192.0.2.7")
    assert call(app, "GET", f"/ovs/changes?since={woken}&wait=5")["revision"] > woken
    bad = app.request("GET", "/agent/v1/changes?topics=ports,nope", headers=AUTH)
    assert bad.status_int == 400
    assert "topics" in json.loads(bad.body)["error"]


def test_long_poll_times_out_with_the_same_revision(app: Client) -> None:
    start = call(app, "GET", "/changes")["revision"]
    began = time.monotonic()
    assert call(app, "GET", f"/changes?since={start}&wait=0.5")["revision"] == start
    assert 0.5 <= time.monotonic() - began < 2


def test_long_poll_waits_no_longer_than_the_cap(store: Store) -> None:
    capped = store.app("capped", agent_max_wait=0)
    start = call(capped, "GET", "/changes")["revision"]
    began = time.monotonic()
    assert call(capped, "GET", f"/changes?since={start}&wait=600")["revision"] == start
    assert time.monotonic() - began < 1


def test_long_poll_wakes_on_a_write_through_another_server(store: Store) -> None:
    agent_side, tenant_side = store.app("a"), store.app("b")
    start = call(agent_side, "GET", "/changes")["revision"]
    answer: dict[str, float] = {}

    def poll() -> None:
        answer["revision"] = call(agent_side, "GET", f"/changes?since={start}&wait=10")[
            "revision"
        ]
        answer["at"] = time.monotonic()

    poller = threading.Thread(target=poll)
    poller.start()
    time.sleep(0.3)
    assert "revision" not in answer
    tenant_side.post(NETS, {"network": {"name": "n"}})
    written = time.monotonic()
    poller.join(5)
    assert answer["revision"] > start
    assert answer["at"] - written < 1


# -- status reports -------------------------------------------------------------------


def test_reported_status_shows_as_v11_op_status(app: Client) -> None:
    net, up_id = plugged_port(app, "vif-1")
    _, admin_down_id = plugged_port(app, "vif-2", state="DOWN")
    _, down_id = plugged_port(app, "vif-3")
    before = call(app, "GET", "/changes")["revision"]
    report = {
        "ports": [
            {"port_id": up_id, "status": "UP", "reason": ""},
            {"port_id": admin_down_id, "status": "UP"},
            {"port_id": down_id, "status": "DOWN", "reason": "no ofport"},
            {"port_id": "no-such-port", "status": "UP"},
        ]
    }
    done = app.request("POST", "/agent/v1/hosts/h1/status", report, AUTH)
    assert done.status_int == 204

    def op_status(port_id: str) -> str:
        nets = json.loads(app.get(NETS).body)["networks"]
        for n in nets:
            shown = app.get(f"/v1.1/tenants/t/networks/{n['id']}/ports/{port_id}.json")
            if shown.status_int == 200:
                return str(json.loads(shown.body)["port"]["op-status"])
        raise AssertionError(port_id)

    assert op_status(up_id) == "UP"
    assert op_status(admin_down_id) == "DOWN"
    assert op_status(down_id) == "DOWN"
    # NOTE: a status report changes no desired state, so agents are not woken.
    assert call(app, "GET", "/changes")["revision"] == before
    assert net


# -- v2 ports: the interface carries the port id -------------------------------------


def test_a_v2_port_is_found_by_its_id_and_reports_status_to_v2(app: Client) -> None:
    who = {"X-Project-Id": "t", "X-Roles": "member"}
    net = app.request("POST", "/v2.0/networks", {"network": {}}, who).json["network"]
    port = app.request(
        "POST", "/v2.0/ports", {"port": {"network_id": net["id"]}}, who
    ).json["port"]
    _, v1_port = plugged_port(app, "vif-1")
    state = call(app, "POST", "/hosts/h1/state", {"iface_ids": [port["id"], "vif-1"]})
    by_iface = {p["iface_id"]: p for p in state["ports"]}
    assert set(by_iface) == {port["id"], "vif-1"}
    assert by_iface[port["id"]]["port_id"] == port["id"]
    assert by_iface[port["id"]]["network_id"] == net["id"]
    assert by_iface[port["id"]]["segment"]["network_type"] == "gre"
    assert by_iface[port["id"]]["mtu"] == net["mtu"] == 1458
    # NOTE: a plugged v1 port is named by its attachment, never by its id.
    assert call(app, "POST", "/hosts/h1/state", {"iface_ids": [v1_port]})["ports"] == []
    report = {"ports": [{"port_id": port["id"], "status": "UP", "reason": ""}]}
    assert (
        app.request("POST", "/agent/v1/hosts/h1/status", report, AUTH).status_int == 204
    )
    shown = app.request("GET", f"/v2.0/ports/{port['id']}", None, who).json["port"]
    assert shown["status"] == "ACTIVE"
    app.request(
        "PUT", f"/v2.0/ports/{port['id']}", {"port": {"admin_state_up": False}}, who
    )
    again = call(app, "POST", "/hosts/h1/state", {"iface_ids": [port["id"]]})
    assert again["ports"][0]["admin_state_up"] is False
    shown = app.request("GET", f"/v2.0/ports/{port['id']}", None, who).json["port"]
    assert shown["status"] == "DOWN"


# -- binding: one host per port -------------------------------------------------------

ADMIN = {"X-Roles": "admin"}


def _binding(app: Client, port_id: str) -> dict[str, Any]:
    port: dict[str, Any] = app.request(
        "GET", f"/v2.0/ports/{port_id}", None, ADMIN
    ).json["port"]
    return port


def test_the_first_host_that_finds_a_port_plugged_is_bound_to_it(app: Client) -> None:
    _, port_id = plugged_port(app, "vif-1")
    assert _binding(app, port_id)["binding:host_id"] == ""
    before = call(app, "GET", "/changes")["revision"]

    first = call(app, "POST", "/hosts/h1/state", {"iface_ids": ["vif-1"]})
    bound = call(app, "GET", "/changes")["revision"]
    second = call(app, "POST", "/hosts/h2/state", {"iface_ids": ["vif-1"]})
    again = call(app, "POST", "/hosts/h1/state", {"iface_ids": ["vif-1"]})

    assert [p["binding_host"] for p in first["ports"]] == ["h1"]
    assert [p["binding_host"] for p in second["ports"]] == ["h1"]
    assert _binding(app, port_id)["binding:host_id"] == "h1"
    # NOTE: binding wakes the agents (the loser learns at once); reading does not
    assert bound > before
    assert again["revision"] == call(app, "GET", "/changes")["revision"] == bound


def test_concurrent_hosts_bind_a_port_to_one_of_them(app: Client) -> None:
    _, port_id = plugged_port(app, "vif-1")
    seen: dict[str, str] = {}

    def ask(host: str) -> None:
        state = call(app, "POST", f"/hosts/{host}/state", {"iface_ids": ["vif-1"]})
        seen[host] = state["ports"][0]["binding_host"]

    threads = [threading.Thread(target=ask, args=(f"h{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winner = _binding(app, port_id)["binding:host_id"]
    assert winner in seen
    assert set(seen.values()) == {winner}


def test_an_admin_binding_is_kept_and_unplugging_v1_releases_it(app: Client) -> None:
    net, port_id = plugged_port(app, "vif-1")
    app.request(
        "PUT", f"/v2.0/ports/{port_id}", {"port": {"binding:host_id": "h2"}}, ADMIN
    )
    state = call(app, "POST", "/hosts/h1/state", {"iface_ids": ["vif-1"]})
    assert [p["binding_host"] for p in state["ports"]] == ["h2"]
    assert _binding(app, port_id)["binding:host_id"] == "h2"

    app.request(
        "DELETE", f"/v1.1/tenants/t/networks/{net}/ports/{port_id}/attachment.json"
    )
    assert _binding(app, port_id)["binding:host_id"] == ""


def test_only_the_bound_host_reports_a_port_up(app: Client) -> None:
    _, port_id = plugged_port(app, "vif-1")
    app.request(
        "PUT", f"/v2.0/ports/{port_id}", {"port": {"binding:host_id": "h1"}}, ADMIN
    )

    def report(host: str, status: str, reason: str = "") -> dict[str, Any]:
        body = {"ports": [{"port_id": port_id, "status": status, "reason": reason}]}
        done = app.request("POST", f"/agent/v1/hosts/{host}/status", body, AUTH)
        assert done.status_int == 204
        port = _binding(app, port_id)
        return {"status": port["status"], "status_reason": port["status_reason"]}

    # a port plugged on the wrong host only: DOWN, and why
    wrong = "bound to host h1, plugged on h2"
    assert report("h2", "DOWN", wrong) == {"status": "DOWN", "status_reason": wrong}
    assert report("h2", "UP") == {"status": "DOWN", "status_reason": wrong}
    # the right host wires it: the wrong one can no longer say otherwise
    assert report("h1", "UP") == {"status": "ACTIVE", "status_reason": ""}
    assert report("h2", "DOWN", wrong) == {"status": "ACTIVE", "status_reason": ""}
    gone = "no interface on the integration bridge"
    assert report("h1", "DOWN", gone) == {"status": "DOWN", "status_reason": gone}


def test_state_places_the_macs_of_the_host_s_networks_on_their_bound_hosts(
    app: Client,
) -> None:
    def port(net: str, host: str, mac: str) -> str:
        body = {
            "port": {"network_id": net, "binding:host_id": host, "mac_address": mac}
        }
        made = app.request("POST", "/v2.0/ports", body, V2_ADMIN)
        assert made.status_int == 201, made.body
        return str(json.loads(made.body)["port"]["id"])

    def network() -> str:
        body = {"network": {"tenant_id": "t"}}
        made = app.request("POST", "/v2.0/networks", body, V2_ADMIN)
        return str(json.loads(made.body)["network"]["id"])

    here, elsewhere = network(), network()
    mine = port(here, "h1", "fa:16:3e:00:00:01")
    port(here, "h2", "fa:16:3e:00:00:02")
    port(here, "h3", "fa:16:3e:00:00:03")
    port(here, "", "fa:16:3e:00:00:04")  # bound nowhere: flooded
    port(elsewhere, "h2", "fa:16:3e:00:00:05")  # a network h1 does not have
    state = call(app, "POST", "/hosts/h1/state", {"iface_ids": [mine]})
    assert state["macs"] == [
        {"network_id": here, "mac_address": "fa:16:3e:00:00:02", "host": "h2"},
        {"network_id": here, "mac_address": "fa:16:3e:00:00:03", "host": "h3"},
    ]
