# SPDX-License-Identifier: Apache-2.0
"""The authentication filters build the request context (noauth, keystone headers)."""

from __future__ import annotations

import json
from typing import Any

from webob import Request

from quantum.api.auth import KeystoneContextFilter, NoAuthFilter, TenantSource
from quantum.api.context import ANONYMOUS, RequestContext, from_environ
from quantum.api.policy import Policy

POLICY = Policy()


class Seen:
    """A WSGI app that records the context it was called with."""

    def __init__(self) -> None:
        self.context: RequestContext | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.context = from_environ(environ)
        start_response("204 No Content", [])
        return []


def _through(app: Any, path: str, **headers: str) -> Any:
    request = Request.blank(path, headers=headers)
    request.environ["quantum.request_id"] = "req-1"
    return request.get_response(app)


def test_noauth_v1_takes_the_tenant_from_the_url() -> None:
    seen = Seen()
    app = NoAuthFilter(seen, POLICY, TenantSource.URL)
    _through(app, "/tenants/t%C3%A9nant/networks/N.json", **{"X-Project-Id": "x"})
    assert seen.context == RequestContext(
        project_id="ténant", is_admin=False, authenticated=False, request_id="req-1"
    )
    _through(app, "/extensions")
    assert seen.context is not None
    assert seen.context.project_id is None


def test_noauth_v2_takes_project_user_and_roles_from_headers() -> None:
    seen = Seen()
    app = NoAuthFilter(seen, POLICY, TenantSource.HEADERS)
    _through(app, "/networks", **{"X-Tenant-Id": "old", "X-User-Id": "u"})
    assert seen.context is not None
    assert (seen.context.project_id, seen.context.user_id) == ("old", "u")
    _through(
        app,
        "/networks",
        **{"X-Project-Id": "new", "X-Tenant-Id": "old", "X-Roles": "Admin, member"},
    )
    assert seen.context is not None
    assert seen.context.project_id == "new"
    assert seen.context.roles == frozenset({"admin", "member"})
    assert seen.context.is_admin


def test_keystone_context_reads_what_auth_token_confirmed() -> None:
    seen = Seen()
    app = KeystoneContextFilter(seen, POLICY)
    headers = {
        "X-Identity-Status": "Confirmed",
        "X-User-Id": "u1",
        "X-Project-Id": "p1",
        "X-Roles": "reader,member",
    }
    assert _through(app, "/tenants/p1/networks", **headers).status_int == 204
    assert seen.context == RequestContext(
        user_id="u1",
        project_id="p1",
        roles=frozenset({"reader", "member"}),
        is_admin=False,
        authenticated=True,
        request_id="req-1",
    )


def test_keystone_context_refuses_an_unconfirmed_identity() -> None:
    seen = Seen()
    app = KeystoneContextFilter(seen, POLICY)
    for headers in (
        {},
        {"X-Identity-Status": "Invalid", "X-User-Id": "u1"},
        {"X-Identity-Status": "Confirmed"},  # no user
    ):
        response = _through(app, "/tenants/p1/networks", **headers)
        assert response.status_int == 401
        assert json.loads(response.body)["error"]["code"] == 401
    assert seen.context is None


def test_without_an_auth_filter_the_context_is_anonymous() -> None:
    assert from_environ({}) is ANONYMOUS
    assert from_environ({"quantum.context": "forged"}) is ANONYMOUS
