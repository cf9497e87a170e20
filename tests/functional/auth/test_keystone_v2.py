# SPDX-License-Identifier: Apache-2.0
"""The v2.0 pipeline under auth_strategy = keystone (authtoken, keystonecontext,
ratelimit, v2.0) against a real Keystone: a token's project is the v2 tenant; a
missing or bad token is a 401 in the v2.0 error body."""

from __future__ import annotations

import json

import pytest

from tests.functional.auth.conftest import Identity, KeystoneApi

JSON = {"Content-Type": "application/json"}


def _auth(token: str) -> dict[str, str]:
    return {"X-Auth-Token": token, **JSON}


def test_a_valid_token_project_is_the_v2_tenant(
    keystone: Identity, keystone_api: KeystoneApi
) -> None:
    demo = keystone.project("demo")
    created = keystone_api.client.post(
        "/v2.0/networks",
        {"network": {"name": "by-token-v2"}},
        **_auth(keystone.token("demo")),
    )
    assert created.status_int == 201, created.body
    network = json.loads(created.body)["network"]
    assert (network["tenant_id"], network["project_id"]) == (demo, demo)
    own = keystone_api.client.get("/v2.0/networks", **_auth(keystone.token("demo")))
    assert network["id"] in [n["id"] for n in json.loads(own.body)["networks"]]
    # another project's token neither lists nor shows it
    alt = _auth(keystone.token("alt"))
    listed = json.loads(keystone_api.client.get("/v2.0/networks", **alt).body)
    assert network["id"] not in [n["id"] for n in listed["networks"]]
    shown = keystone_api.client.get(f"/v2.0/networks/{network['id']}", **alt)
    assert shown.status_int == 404
    # a member may not create for another project (400), an admin may
    for_demo = {"network": {"name": "for-demo", "tenant_id": demo}}
    refused = keystone_api.client.post("/v2.0/networks", for_demo, **alt)
    assert refused.status_int == 400
    by_admin = keystone_api.client.post(
        "/v2.0/networks", for_demo, **_auth(keystone.token("admin"))
    )
    assert by_admin.status_int == 201, by_admin.body
    assert json.loads(by_admin.body)["network"]["tenant_id"] == demo


@pytest.mark.parametrize("token", [None, "not-a-token", "gAAAAABnot-a-fernet-token"])
def test_a_missing_or_bad_token_is_401_in_the_v2_body(
    keystone: Identity, keystone_api: KeystoneApi, token: str | None
) -> None:
    headers = _auth(token) if token else JSON
    networks = keystone_api.service.plugin.networks
    before = len(networks.list_owned(keystone.project("alt")))
    response = keystone_api.client.post(
        "/v2.0/networks", {"network": {"name": "anonymous"}}, **headers
    )
    assert response.status_int == 401
    assert response.content_type == "application/json"
    assert response.headers["WWW-Authenticate"].startswith("Keystone uri=")
    error = json.loads(response.body)["NeutronError"]
    assert error["type"] == "HTTPUnauthorized"
    assert error["message"]
    listed = keystone_api.client.get("/v2.0/networks", **headers)
    assert listed.status_int == 401
    after = len(networks.list_owned(keystone.project("alt")))
    assert after == before
