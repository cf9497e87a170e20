# SPDX-License-Identifier: Apache-2.0
"""Text no back-end can keep is refused at the v2 edge, wherever it comes from: the
query string, the body, the tenant of the request. 400, and nothing written."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.v2.client import ADMIN, V2, error, tenant

LONGEST = "t" * 255
TOO_LONG = "t" * 256


@pytest.mark.parametrize("query", ["%ff=1", "name=%ed%a0%80", "fields=%c3", "x=%00"])
def test_a_query_string_that_is_not_storable_text_is_400(
    sqlite_v2: V2, query: str
) -> None:
    v2 = sqlite_v2
    network = v2.network(name="é")["id"]
    for path in ("/networks", f"/networks/{network}", "/ports"):
        assert error(v2.get(f"{path}?{query}")) == (400, "InvalidInput"), path
    # NOTE: the control: UTF-8 query strings still work.
    assert [n["id"] for n in v2.get("/networks?name=%C3%A9").json["networks"]] == [
        network
    ]
    shown = v2.get(f"/networks/{network}?fields=name").json
    assert shown == {"network": {"name": "é"}}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/networks", b'{"network": {"name": "\\ud800"}}'),
        ("/networks", b'{"network": {"name": "a\\udfffb"}}'),
        ("/networks", b'{"network": {"name": "a\\u0000b"}}'),
        ("/networks", b'{"networks": [{"name": "ok"}, {"name": "\\ud800"}]}'),
        ("/networks", b'{"network": {"\\ud800": 1}}'),
        ("/ports", b'{"port": {"network_id": "NET", "device_owner": "\\udc00"}}'),
        ("/ports", b'{"port": {"network_id": "NET", "name": "\\ud800"}}'),
        ("/subnets", b'{"subnet": {"network_id": "NET", "ip_version": 4, '
         b'"cidr": "10.0.0.0/24", "name": "\\ud800"}}'),
    ],
)  # fmt: skip
def test_a_lone_surrogate_or_nul_in_a_body_is_400_and_nothing_is_made(
    v2: V2, path: str, body: bytes
) -> None:
    network = v2.network(name="n")["id"]
    before = {p: v2.get(p, ADMIN).json for p in ("/networks", "/ports", "/subnets")}
    response = v2.post(path, body.replace(b"NET", network.encode()).decode())
    assert error(response) == (400, "InvalidInput")
    after = {p: v2.get(p, ADMIN).json for p in ("/networks", "/ports", "/subnets")}
    assert after == before
    # NOTE: the control: a surrogate pair is one character (U+1F600), and stored.
    pair = v2.post("/networks", '{"network": {"name": "\\ud83d\\ude00"}}')
    assert pair.status_int == 201, pair.body
    assert pair.json["network"]["name"] == "\U0001f600"


def test_a_lone_surrogate_in_an_update_is_400_and_nothing_changes(v2: V2) -> None:
    network = v2.network(name="n")["id"]
    response = v2.put(f"/networks/{network}", '{"network": {"name": "x\\ud800"}}')
    assert error(response) == (400, "InvalidInput")
    assert v2.get(f"/networks/{network}").json["network"]["name"] == "n"


def test_a_tenant_id_over_255_characters_is_400_on_every_path(v2: V2) -> None:
    long_tenant = tenant(TOO_LONG)
    for method, path, body in (
        ("GET", "/networks", None),
        ("POST", "/networks", {"network": {"name": "n"}}),
        ("POST", "/ports", {"port": {"network_id": "x"}}),
        ("GET", f"/quotas/{TOO_LONG}", None),
    ):
        response = v2.request(method, path, body, long_tenant)
        assert error(response) == (400, "InvalidInput"), (method, path)
    admin_paths: tuple[tuple[str, str, dict[str, Any] | None], ...] = (
        ("PUT", f"/quotas/{TOO_LONG}", {"quota": {"network": 3}}),
        ("GET", f"/quotas/{TOO_LONG}", None),
        ("DELETE", f"/quotas/{TOO_LONG}", None),
        ("GET", f"/quotas/{TOO_LONG}/details", None),
        ("GET", f"/quotas/{TOO_LONG}/default", None),
        ("POST", "/networks", {"network": {"tenant_id": TOO_LONG}}),
        ("POST", "/networks", {"network": {"project_id": TOO_LONG}}),
    )
    for method, path, body in admin_paths:
        response = v2.request(method, path, body, ADMIN)
        assert error(response) == (400, "InvalidInput"), (method, path)
    assert v2.get("/networks", ADMIN).json["networks"] == []
    assert v2.get("/quotas", ADMIN).json["quotas"] == []


def test_a_tenant_id_of_255_characters_works_everywhere(v2: V2) -> None:
    as_longest = tenant(LONGEST)
    network = v2.network(as_longest, name="n")
    assert network["tenant_id"] == LONGEST
    assert v2.port(network["id"], as_longest)["tenant_id"] == LONGEST
    quota = v2.put(f"/quotas/{LONGEST}", {"quota": {"network": 3}}, ADMIN)
    assert quota.status_int == 200, quota.body
    assert v2.get(f"/quotas/{LONGEST}", as_longest).json["quota"]["network"] == 3
    made = v2.network(ADMIN, tenant_id=LONGEST, name="m")
    assert made["tenant_id"] == LONGEST
