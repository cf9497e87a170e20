# SPDX-License-Identifier: Apache-2.0
"""Tags on networks, subnets and ports (``standard-attr-tag``): the ``tags``
sub-resource of each item, the four list filters, the limits, who may change
them, and that a change bumps the item's revision."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.v2.client import ADMIN, V2, error, tenant
from tests.api.v2.test_standard_attributes import KINDS, made


def ids(v2: V2, path: str, key: str) -> set[str]:
    response = v2.get(path)
    assert response.status_int == 200, response.body
    return {i["id"] for i in response.json[key]}


@pytest.mark.parametrize("kind", KINDS)
def test_tags_are_replaced_added_checked_and_removed(v2: V2, kind: str) -> None:
    item = made(v2, kind)
    base = f"/{kind}s/{item['id']}"
    assert item["tags"] == []
    assert v2.get(f"{base}/tags").json == {"tags": []}
    put = v2.put(f"{base}/tags", {"tags": ["red", "blue", "red"]})
    assert put.status_int == 200, put.body
    assert put.json == {"tags": ["blue", "red"]}
    shown = v2.get(base).json[kind]
    assert shown["tags"] == ["blue", "red"]
    assert shown["revision_number"] == item["revision_number"] + 1
    added = v2.request("PUT", f"{base}/tags/green")
    assert (added.status_int, added.body) == (201, b"")
    assert v2.request("PUT", f"{base}/tags/green").status_int == 201
    assert v2.get(f"{base}/tags/green").status_int == 204
    missing = v2.get(f"{base}/tags/black")
    assert error(missing) == (404, "TagNotFound")
    assert v2.delete(f"{base}/tags/green").status_int == 204
    assert error(v2.delete(f"{base}/tags/green")) == (404, "TagNotFound")
    assert v2.get(f"{base}/tags").json == {"tags": ["blue", "red"]}
    assert v2.delete(f"{base}/tags").status_int == 204
    after = v2.get(base).json[kind]
    assert after["tags"] == []
    assert after["revision_number"] == item["revision_number"] + 4


def test_tag_filters(v2: V2) -> None:
    a = v2.network(name="a")
    b = v2.network(name="b")
    c = v2.network(name="c")
    for net, tags in ((a, ["x", "y"]), (b, ["y"]), (c, [])):
        v2.put(f"/networks/{net['id']}/tags", {"tags": tags})
    mine = {a["id"], b["id"], c["id"]}
    assert ids(v2, "/networks?tags=x,y", "networks") == {a["id"]}
    assert ids(v2, "/networks?tags=y", "networks") == {a["id"], b["id"]}
    assert ids(v2, "/networks?tags-any=x,z", "networks") == {a["id"]}
    assert ids(v2, "/networks?not-tags=x,y", "networks") & mine == {b["id"], c["id"]}
    assert ids(v2, "/networks?not-tags-any=x,y", "networks") & mine == {c["id"]}
    assert ids(v2, "/networks?tags=y&name=b", "networks") == {b["id"]}
    net = v2.network()
    port = v2.port(net["id"])
    v2.put(f"/ports/{port['id']}/tags", {"tags": ["web"]})
    assert ids(v2, "/ports?tags=web", "ports") == {port["id"]}
    assert ids(v2, "/ports?tags-any=db", "ports") == set()


@pytest.mark.parametrize(
    "body",
    [
        {"tags": ["x" * 61]},
        {"tags": [""]},
        {"tags": ["a,b"]},
        {"tags": [7]},
        {"tags": "red"},
        {"tag": ["red"]},
        {"tags": [f"t{i}" for i in range(51)]},
    ],
)
def test_bad_tags_are_400_and_change_nothing(sqlite_v2: V2, body: Any) -> None:
    net = sqlite_v2.network()
    base = f"/networks/{net['id']}/tags"
    sqlite_v2.put(base, {"tags": ["kept"]})
    assert error(sqlite_v2.put(base, body)) == (400, "InvalidInput")
    assert sqlite_v2.get(base).json == {"tags": ["kept"]}
    # positive control: the most and the longest are taken
    most = [f"t{i}" for i in range(49)] + ["x" * 60]
    assert sqlite_v2.put(base, {"tags": most}).status_int == 200


def test_the_fifty_first_tag_is_refused(sqlite_v2: V2) -> None:
    net = sqlite_v2.network()
    base = f"/networks/{net['id']}/tags"
    sqlite_v2.put(base, {"tags": [f"t{i}" for i in range(50)]})
    assert error(sqlite_v2.request("PUT", f"{base}/one-more")) == (400, "InvalidInput")
    assert sqlite_v2.request("PUT", f"{base}/t7").status_int == 201  # has it: fine


def test_others_may_neither_see_nor_change_tags(sqlite_v2: V2) -> None:
    net = sqlite_v2.network()
    base = f"/networks/{net['id']}/tags"
    other = tenant("other")
    assert error(sqlite_v2.get(base, other)) == (404, "NetworkNotFound")
    assert error(sqlite_v2.put(base, {"tags": ["x"]}, other)) == (
        404,
        "NetworkNotFound",
    )
    assert error(sqlite_v2.request("PUT", f"{base}/x", as_=other)) == (
        404,
        "NetworkNotFound",
    )
    shared = sqlite_v2.network(ADMIN, shared=True, tenant_id="acme")
    # another tenant sees a shared network and its tags, but changes neither
    sqlite_v2.put(f"/networks/{shared['id']}/tags", {"tags": ["s"]})
    seen = sqlite_v2.get(f"/networks/{shared['id']}/tags", other)
    assert seen.json == {"tags": ["s"]}
    refused = sqlite_v2.request("PUT", f"/networks/{shared['id']}/tags/x", as_=other)
    assert error(refused) == (404, "NetworkNotFound")
    assert sqlite_v2.get(base).json == {"tags": []}


def test_tags_paths_that_are_not_served(sqlite_v2: V2) -> None:
    net = sqlite_v2.network()
    base = f"/networks/{net['id']}/tags"
    assert sqlite_v2.request("PATCH", base).status_int == 405
    added = sqlite_v2.post(base, {"tags": ["a", "b"]})
    assert (added.status_int, added.json) == (201, {"tags": ["a", "b"]})
    assert sqlite_v2.post(base, {"tags": ["c", "a"]}).json == {"tags": ["a", "b", "c"]}
    assert sqlite_v2.request("POST", f"{base}/a").status_int == 405
    assert error(sqlite_v2.get(f"/networks/{net['id']}/nothing")) == (
        404,
        "HTTPNotFound",
    )
    assert (
        error(sqlite_v2.put(f"/networks/{net['id']}", {"network": {"tags": []}}))[0]
        == 400
    )
    assert error(sqlite_v2.post("/networks", {"network": {"tags-any": "x"}}))[0] == 400
    gone = "/networks/00000000-0000-4000-8000-000000000000/tags"
    assert error(sqlite_v2.get(gone)) == (404, "NetworkNotFound")
