# SPDX-License-Identifier: Apache-2.0
"""The v1 authorization filter guards extension paths as well as core routes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from webob import Request

from quantum.api.context import ENVIRON_KEY, RequestContext
from quantum.api.policy import Policy
from quantum.api.v1.authorize import AuthorizeFilter
from quantum.api.v1.versions import V1_0, V1_1

OWNER = RequestContext(project_id="acme", roles=frozenset({"member"}))
OTHER = RequestContext(project_id="globex", roles=frozenset({"member"}))
ADMIN = RequestContext(project_id="ops", roles=frozenset({"admin"}), is_admin=True)
PAGE = b"404 Not Found\n\nThe resource could not be found.\n\n   "


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"reached"]


def _call(
    path: str,
    context: RequestContext,
    method: str = "GET",
    policy: Policy | None = None,
) -> Any:
    request = Request.blank(path, method=method)
    request.environ[ENVIRON_KEY] = context
    return request.get_response(AuthorizeFilter(_app, policy or Policy(), V1_1))


@pytest.mark.parametrize(
    "path",
    [
        "/tenants/acme/networks",
        "/tenants/acme/networks/N/ports/P/attachment.json",
        "/tenants/acme/qoss",
        "/tenants/acme/networks/N/action",
        "/tenants/acme/networks/N/ports/P/portstats.xml",
        "/tenants/acme/novatenants/acme/get_host",
    ],
)
def test_owner_and_admin_pass_others_find_nothing(path: str) -> None:
    assert _call(path, OWNER).body == b"reached"
    assert _call(path, ADMIN).body == b"reached"
    refused = _call(path, OTHER)
    assert refused.status_int == 404
    if "/networks/N" in path:
        if path.endswith(".xml"):
            assert refused.content_type == "application/xml"
            assert b"<type>NetworkNotFound</type>" in refused.body
        else:
            assert refused.content_type == "application/json"
            error = json.loads(refused.body)["QuantumError"]
            assert error["type"] == "NetworkNotFound"
    else:
        assert refused.body == PAGE


def test_paths_outside_a_tenant_are_not_its_business() -> None:
    for path in ("/extensions", "/extensions/qos.json", "/", "/tenants"):
        assert _call(path, OTHER).body == b"reached"


def test_v1_0_refusal_is_its_420_fault() -> None:
    request = Request.blank("/tenants/acme/networks/N/detail")
    request.environ[ENVIRON_KEY] = OTHER
    response = request.get_response(AuthorizeFilter(_app, Policy(), V1_0))
    assert response.status == "420 networkNotFound"
    assert json.loads(response.body)["networkNotFound"]["detail"] == (
        "Network N could not be found"
    )


def test_a_policy_file_can_keep_plugging_to_admins(tmp_path: Path) -> None:
    rules = tmp_path / "policy.yaml"
    rules.write_text('"v1:plug_attachment": "rule:context_is_admin"\n')
    policy = Policy(rules)
    path = "/tenants/acme/networks/N/ports/P/attachment"
    assert _call(path, OWNER, "PUT", policy).status_int == 404
    assert _call(path, ADMIN, "PUT", policy).body == b"reached"
    assert _call(path, OWNER, "DELETE", policy).body == b"reached"
    assert _call(path, OWNER, "GET", policy).body == b"reached"
