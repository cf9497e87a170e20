# SPDX-License-Identifier: Apache-2.0
"""The standard attributes of networks, subnets and ports: ``description``,
``created_at``/``updated_at``, ``revision_number`` and conditional writes with
``If-Match: revision_number=N`` (412 on another revision), each an extension listed
in ``/v2.0/extensions``."""

from __future__ import annotations

import time
from typing import Any

import pytest
from webob import Response

from tests.api.v2.client import STAMP, V2, error, tenant
from tests.api.v2.test_subnets import subnet


def put_if(v2: V2, path: str, body: Any, if_match: str) -> Response:
    headers = {**tenant("acme"), "If-Match": if_match}
    return v2.client.request("PUT", "/v2.0" + path, body, headers)


def delete_if(v2: V2, path: str, if_match: str) -> Response:
    headers = {**tenant("acme"), "If-Match": if_match}
    return v2.client.request("DELETE", "/v2.0" + path, None, headers)


def made(v2: V2, kind: str) -> dict[str, Any]:
    """A new item of ``kind`` (network, subnet, port) with a description."""
    if kind == "network":
        return v2.network(name="n", description="first")
    net = v2.network(name="n")
    if kind == "subnet":
        return subnet(v2, net["id"], "10.9.0.0/24", description="first")
    return v2.port(net["id"], description="first")


KINDS = ("network", "subnet", "port")


def test_every_standard_attribute_extension_is_listed(sqlite_v2: V2) -> None:
    listed = {e["alias"] for e in sqlite_v2.get("/extensions").json["extensions"]}
    assert {
        "standard-attr-description",
        "standard-attr-timestamp",
        "standard-attr-revisions",
        "revision-if-match",
    } <= listed
    shown = sqlite_v2.get("/extensions/standard-attr-revisions").json["extension"]
    assert shown["name"] == "Resource revision numbers"


@pytest.mark.parametrize("kind", KINDS)
def test_description_is_set_shown_changed_and_filtered(v2: V2, kind: str) -> None:
    item = made(v2, kind)
    path = f"/{kind}s/{item['id']}"
    assert item["description"] == "first"
    assert v2.get(path).json[kind]["description"] == "first"
    changed = v2.put(path, {kind: {"description": "second"}})
    assert changed.status_int == 200, changed.body
    assert changed.json[kind]["description"] == "second"
    listed = v2.get(f"/{kind}s?description=second").json[f"{kind}s"]
    assert [i["id"] for i in listed] == [item["id"]]
    assert v2.get(f"/{kind}s?description=first").json[f"{kind}s"] == []


@pytest.mark.parametrize("bad", ["x" * 256, None, 7])
def test_a_bad_description_is_400_and_changes_nothing(sqlite_v2: V2, bad: Any) -> None:
    net = sqlite_v2.network(description="kept")
    refused = sqlite_v2.put(f"/networks/{net['id']}", {"network": {"description": bad}})
    assert error(refused) == (400, "InvalidInput")
    refused = sqlite_v2.post("/networks", {"network": {"description": bad}})
    assert error(refused) == (400, "InvalidInput")
    assert sqlite_v2.get(f"/networks/{net['id']}").json["network"] == net
    # positive control: the longest description is taken
    longest = sqlite_v2.network(description="y" * 255)
    assert longest["description"] == "y" * 255


@pytest.mark.parametrize("kind", KINDS)
def test_timestamps_and_revision_are_read_only(sqlite_v2: V2, kind: str) -> None:
    item = made(sqlite_v2, kind)
    for name, value in (
        ("created_at", "2020-01-01T00:00:00Z"),
        ("updated_at", "2020-01-01T00:00:00Z"),
        ("revision_number", 7),
    ):
        refused = sqlite_v2.put(f"/{kind}s/{item['id']}", {kind: {name: value}})
        assert error(refused) == (400, "InvalidInput"), name


def test_updated_at_moves_on_a_change_created_at_never(sqlite_v2: V2) -> None:
    net = sqlite_v2.network(name="a")
    assert STAMP.match(net["created_at"])
    assert net["updated_at"] == net["created_at"]
    time.sleep(1.1)  # NOTE: the wire shows whole seconds
    renamed = sqlite_v2.put(f"/networks/{net['id']}", {"network": {"name": "b"}})
    after = renamed.json["network"]
    assert after["created_at"] == net["created_at"]
    assert after["updated_at"] > net["created_at"]
    assert sqlite_v2.get(f"/networks/{net['id']}").json["network"] == after


@pytest.mark.parametrize("kind", KINDS)
def test_revision_bumps_on_each_change_only(v2: V2, kind: str) -> None:
    item = made(v2, kind)
    path = f"/{kind}s/{item['id']}"
    assert item["revision_number"] == 1
    first = v2.put(path, {kind: {"name": "x"}}).json[kind]
    assert first["revision_number"] == 2
    same = v2.put(path, {kind: {"name": "x"}}).json[kind]
    assert same["revision_number"] == 2, "nothing changed: no new revision"
    second = v2.put(path, {kind: {"description": "other"}}).json[kind]
    assert second["revision_number"] == 3
    assert v2.get(path).json[kind]["revision_number"] == 3


def test_changed_addresses_and_dns_servers_bump_the_revision(v2: V2) -> None:
    net = v2.network()
    sub = subnet(v2, net["id"], "10.8.0.0/24")
    port = v2.port(net["id"])
    moved = v2.put(
        f"/ports/{port['id']}",
        {"port": {"fixed_ips": [{"subnet_id": sub["id"], "ip_address": "10.8.0.77"}]}},
    ).json["port"]
    assert moved["revision_number"] == port["revision_number"] + 1
    dns = v2.put(
        f"/subnets/{sub['id']}", {"subnet": {"dns_nameservers": ["10.8.0.53"]}}
    ).json["subnet"]
    assert dns["revision_number"] == sub["revision_number"] + 1


@pytest.mark.parametrize("kind", KINDS)
def test_if_match_makes_an_update_conditional(v2: V2, kind: str) -> None:
    item = made(v2, kind)
    path = f"/{kind}s/{item['id']}"
    refused = put_if(v2, path, {kind: {"name": "late"}}, "revision_number=7")
    assert refused.status_int == 412
    assert refused.json["NeutronError"]["type"] == "RevisionNumberConstraintFailed"
    assert "Constrained to 7, but current revision is 1" in str(refused.json)
    assert v2.get(path).json[kind]["name"] == item["name"]
    taken = put_if(v2, path, {kind: {"name": "on-time"}}, "revision_number=1")
    assert taken.status_int == 200, taken.body
    assert taken.json[kind]["revision_number"] == 2
    again = put_if(v2, path, {kind: {"name": "stale"}}, "revision_number=1")
    assert again.status_int == 412
    assert v2.get(path).json[kind]["name"] == "on-time"


def test_if_match_on_delete(v2: V2) -> None:
    net = v2.network()
    path = f"/networks/{net['id']}"
    assert delete_if(v2, path, "revision_number=2").status_int == 412
    assert v2.get(path).status_int == 200
    assert delete_if(v2, path, "revision_number=1").status_int == 204
    assert v2.get(path).status_int == 404


def test_if_match_forms(sqlite_v2: V2) -> None:
    net = sqlite_v2.network()
    path = f"/networks/{net['id']}"
    body = {"network": {"name": "x"}}
    assert error(put_if(sqlite_v2, path, body, "revision_number=abc")) == (
        400,
        "InvalidInput",
    )
    # any of several revisions; other entity tags are no constraint of ours
    several = put_if(sqlite_v2, path, body, "revision_number=5, revision_number=1")
    assert several.status_int == 200
    assert put_if(sqlite_v2, path, body, '"an-etag"').status_int == 200
    assert put_if(sqlite_v2, path, body, "revision_number=1").status_int == 412
    assert put_if(sqlite_v2, path, body, "revision_number=2").status_int == 200
