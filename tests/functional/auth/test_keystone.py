# SPDX-License-Identifier: Apache-2.0
"""auth_strategy = keystone against a real Keystone: valid, expired, revoked, missing,
bogus and spoofed credentials."""

from __future__ import annotations

import json
import time

from quantum.testing.keystone import SHORT_LIVED
from tests.functional.auth.conftest import Identity, KeystoneApi


def _networks(api: KeystoneApi, tenant: str, token: str | None) -> tuple[int, object]:
    headers = {"X-Auth-Token": token} if token else {}
    response = api.client.get(f"/v1.1/tenants/{tenant}/networks.json", **headers)
    body = json.loads(response.body) if response.body else None
    return response.status_int, body


def _refused(response_status: int, api: KeystoneApi, tenant: str) -> None:
    assert response_status == 401
    assert api.service.plugin.networks.list_owned(tenant) == []


def test_a_valid_token_acts_for_its_project(
    keystone: Identity, keystone_api: KeystoneApi
) -> None:
    demo = keystone.project("demo")
    token = keystone.token("demo")
    created = keystone_api.client.post(
        f"/v1.1/tenants/{demo}/networks.json",
        {"network": {"name": "by-token"}},
        **{"X-Auth-Token": token, "Content-Type": "application/json"},
    )
    assert created.status_int == 202, created.body
    net_id = json.loads(created.body)["network"]["id"]
    assert _networks(keystone_api, demo, token) == (
        200,
        {"networks": [{"id": net_id}]},
    )
    networks = keystone_api.service.plugin.networks
    assert [n.id for n in networks.list_owned(demo)] == [net_id]


def test_a_missing_token_gets_401_and_changes_nothing(
    keystone: Identity, keystone_api: KeystoneApi
) -> None:
    tenant = keystone.project("alt")
    response = keystone_api.client.post(
        f"/v1.1/tenants/{tenant}/networks.json",
        {"network": {"name": "anonymous"}},
        **{"Content-Type": "application/json"},
    )
    assert response.status_int == 401
    assert response.headers["WWW-Authenticate"].startswith("Keystone uri=")
    assert json.loads(response.body)["error"]["code"] == 401
    _refused(response.status_int, keystone_api, tenant)


def test_a_bogus_token_gets_401(keystone: Identity, keystone_api: KeystoneApi) -> None:
    tenant = keystone.project("alt")
    for bogus in (
        "not-a-token",
        "gAAAAABnot-a-fernet-token",
        keystone.token("alt")[:-4],
    ):
        status, _ = _networks(keystone_api, tenant, bogus)
        assert status == 401, bogus


def test_spoofed_identity_headers_without_a_token_get_401(
    keystone: Identity, keystone_api: KeystoneApi
) -> None:
    tenant = keystone.project("alt")
    response = keystone_api.client.post(
        f"/v1.1/tenants/{tenant}/networks.json",
        {"network": {"name": "spoofed"}},
        **{
            "Content-Type": "application/json",
            "X-Identity-Status": "Confirmed",
            "X-User-Id": "someone",
            "X-Project-Id": tenant,
            "X-Roles": "admin",
        },
    )
    _refused(response.status_int, keystone_api, tenant)


def test_an_expired_token_gets_401(
    keystone: Identity, uncached_api: KeystoneApi
) -> None:
    demo = keystone.users["demo"]
    issued = time.monotonic()
    token = keystone.keystone.token(demo.name, demo.password, demo.project, short=True)
    status, _ = _networks(uncached_api, demo.project_id, token)
    if time.monotonic() - issued < SHORT_LIVED - 0.5:
        assert status == 200  # NOTE: only meaningful while the token is still young
    time.sleep(max(0.0, issued + SHORT_LIVED + 1.5 - time.monotonic()))
    status, _ = _networks(uncached_api, demo.project_id, token)
    assert status == 401
    # a fresh token of the same user still works: it was the token that expired
    assert _networks(uncached_api, demo.project_id, keystone.token("demo"))[0] == 200


def test_a_revoked_token_gets_401(
    keystone: Identity, uncached_api: KeystoneApi
) -> None:
    demo = keystone.project("demo")
    token = keystone.fresh_token("demo")
    assert _networks(uncached_api, demo, token)[0] == 200
    keystone.keystone.revoke(token)
    assert _networks(uncached_api, demo, token)[0] == 401


def test_an_admin_token_acts_on_any_tenant(
    keystone: Identity, keystone_api: KeystoneApi
) -> None:
    alt = keystone.project("alt")
    for admin in ("admin", "nova"):
        status, body = _networks(keystone_api, alt, keystone.token(admin))
        assert status == 200, admin
        assert isinstance(body, dict)
        assert "networks" in body
