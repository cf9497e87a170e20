# SPDX-License-Identifier: Apache-2.0
"""v2.0 authorization is oslo.policy's: the rules of quantum/api/v2/policy.py hold by
default, and a policy_file changes them without code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from quantum.api.app import load_app
from quantum.core.settings import load_settings
from quantum.db import migration
from quantum.db.session import make_engine
from quantum.testing.client import Client, write_config
from tests.api.v2.client import ADMIN, V2, error, tenant


def _client(directory: Path, policy: str) -> V2:
    directory.mkdir()
    (directory / "policy.yaml").write_text(policy)
    url = f"sqlite:///{directory / 'q.sqlite'}"
    engine = make_engine(url)
    migration.upgrade(engine)
    engine.dispose()
    config = write_config(directory, sql_connection=url, policy_file="policy.yaml")
    return V2(Client(load_app(load_settings(config))), "sql")


def test_a_policy_file_changes_v2_rules(tmp_path: Path) -> None:
    v2 = _client(
        tmp_path / "custom",
        '"create_network": "rule:admin_only"\n'
        '"get_port:binding:host_id": ""\n'
        '"update_network:shared": "rule:admin_or_owner"\n'
        '"delete_port": "rule:admin_only"\n',
    )
    assert error(v2.post("/networks", {"network": {}})) == (403, "PolicyNotAuthorized")
    net = v2.network(as_=ADMIN, tenant_id="acme")
    shared = v2.put(f"/networks/{net['id']}", {"network": {"shared": True}})
    assert shared.json["network"]["shared"] is True
    port = v2.port(net["id"])
    assert port["binding:host_id"] == ""
    # NOTE: a denied delete reads as not found, so nobody learns what exists.
    assert error(v2.delete(f"/ports/{port['id']}")) == (404, "PortNotFound")
    assert v2.delete(f"/ports/{port['id']}", ADMIN).status_int == 204


def test_an_update_the_policy_denies_reads_as_missing_and_writes_nothing(
    tmp_path: Path,
) -> None:
    v2 = _client(
        tmp_path / "custom",
        '"update_port": "rule:admin_only"\n'
        '"update_network:shared": "rule:admin_only"\n',
    )
    net = v2.network(name="n")
    port = v2.port(net["id"], name="mine")
    # NOTE: the check runs on the port as loaded, inside the update's transaction.
    refused = v2.put(f"/ports/{port['id']}", {"port": {"name": "x"}})
    assert error(refused) == (404, "PortNotFound")
    assert v2.get(f"/ports/{port['id']}").json["port"]["name"] == "mine"
    both = {"network": {"name": "renamed", "shared": True}}
    assert error(v2.put(f"/networks/{net['id']}", both)) == (403, "PolicyNotAuthorized")
    shown = v2.get(f"/networks/{net['id']}").json["network"]
    assert (shown["name"], shown["shared"]) == ("n", False)
    renamed = v2.put(f"/ports/{port['id']}", {"port": {"name": "x"}}, ADMIN)
    assert renamed.json["port"]["name"] == "x"


def test_port_attribute_rules_are_policy_and_follow_the_policy_file(
    tmp_path: Path,
) -> None:
    v2 = _client(tmp_path / "custom", "")
    shared = v2.network(as_=ADMIN, tenant_id="ops", shared=True)
    other = tenant("other")
    mac = {"port": {"network_id": shared["id"], "mac_address": "fa:16:3e:00:01:02"}}
    ips: dict[str, Any] = {"port": {"network_id": shared["id"], "fixed_ips": []}}
    dhcp = {"port": {"network_id": shared["id"], "device_owner": "network:dhcp"}}
    own = v2.network(name="mine")
    router = {"port": {"network_id": own["id"], "device_owner": "Network:router"}}
    # NOTE: the defaults (spec §2.1): the network's owner or an admin only.
    for body in (mac, ips, dhcp):
        assert error(v2.post("/ports", body, other)) == (403, "PolicyNotAuthorized")
    assert v2.post("/ports", router).status_int == 201
    port = v2.port(shared["id"], as_=other)
    grab = {"port": {"device_owner": "network:dhcp"}}
    assert error(v2.put(f"/ports/{port['id']}", grab, other)) == (
        403,
        "PolicyNotAuthorized",
    )
    move: dict[str, Any] = {"port": {"fixed_ips": []}}
    assert error(v2.put(f"/ports/{port['id']}", move, other)) == (
        403,
        "PolicyNotAuthorized",
    )
    (tmp_path / "custom" / "policy.yaml").write_text(
        '"create_port:mac_address": ""\n'
        '"create_port:device_owner": "rule:admin_only"\n'
        '"update_port:fixed_ips": "rule:admin_or_owner"\n'
    )
    made = v2.post("/ports", mac, other)
    assert made.status_int == 201, made.body
    assert made.json["port"]["mac_address"] == "fa:16:3e:00:01:02"
    assert error(v2.post("/ports", router)) == (403, "PolicyNotAuthorized")
    assert error(v2.post("/ports", ips, other)) == (403, "PolicyNotAuthorized")
    moved = v2.put(f"/ports/{port['id']}", move, other)
    assert moved.status_int == 200, moved.body
    assert moved.json["port"]["fixed_ips"] == []


def test_default_rules(sqlite_v2: V2) -> None:
    v2 = sqlite_v2
    net = v2.network(as_=ADMIN, tenant_id="ops", shared=True)
    # NOTE: a shared network is readable by all (get_network), not writable.
    assert v2.get(f"/networks/{net['id']}", tenant("x")).status_int == 200
    refused = v2.put(f"/networks/{net['id']}", {"network": {"name": "n"}}, tenant("x"))
    assert error(refused) == (404, "NetworkNotFound")
    assert error(v2.get("/quotas")) == (403, "PolicyNotAuthorized")


def test_the_rate_limiter_answers_v2_with_429(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.sqlite'}"
    engine = make_engine(url)
    migration.upgrade(engine)
    engine.dispose()
    config = write_config(
        tmp_path,
        sql_connection=url,
        rate_limit_enabled=True,
        rate_limits="GET:0.01:2",
    )
    v2 = V2(Client(load_app(load_settings(config))), "sql")
    assert v2.get("/networks").status_int == 200
    assert v2.get("/networks").status_int == 200
    refused = v2.get("/networks")
    assert error(refused) == (429, "OverLimit")
    assert int(refused.headers["Retry-After"]) > 0
    assert v2.get("/networks", tenant("other")).status_int == 200
