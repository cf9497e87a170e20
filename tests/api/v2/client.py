# SPDX-License-Identifier: Apache-2.0
"""A v2 client for the in-process app, speaking as a tenant or as an admin."""

from __future__ import annotations

import re
from typing import Any

from webob import Response

from quantum.testing.client import Client

ADMIN = {"X-Project-Id": "admin", "X-Roles": "admin,member"}


def tenant(name: str) -> dict[str, str]:
    return {"X-Project-Id": name, "X-Roles": "member"}


class V2:
    def __init__(self, client: Client, plugin: str) -> None:
        self.client = client
        self.plugin = plugin

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        as_: dict[str, str] | None = None,
    ) -> Response:
        headers = dict(tenant("acme") if as_ is None else as_)
        return self.client.request(method, "/v2.0" + path, body, headers)

    def get(self, path: str, as_: dict[str, str] | None = None) -> Response:
        return self.request("GET", path, as_=as_)

    def post(self, path: str, body: Any, as_: dict[str, str] | None = None) -> Response:
        return self.request("POST", path, body, as_)

    def put(self, path: str, body: Any, as_: dict[str, str] | None = None) -> Response:
        return self.request("PUT", path, body, as_)

    def delete(self, path: str, as_: dict[str, str] | None = None) -> Response:
        return self.request("DELETE", path, as_=as_)

    # -- shortcuts that assert success ------------------------------------------------

    def network(
        self, as_: dict[str, str] | None = None, **attrs: Any
    ) -> dict[str, Any]:
        response = self.post("/networks", {"network": attrs}, as_)
        assert response.status_int == 201, response.body
        return response.json["network"]  # type: ignore[no-any-return]

    def port(
        self, network_id: str, as_: dict[str, str] | None = None, **attrs: Any
    ) -> dict[str, Any]:
        body = {"port": {"network_id": network_id, **attrs}}
        response = self.post("/ports", body, as_)
        assert response.status_int == 201, response.body
        return response.json["port"]  # type: ignore[no-any-return]


def error(response: Response) -> tuple[int, str]:
    """The status and NeutronError type of a fault."""
    assert response.content_type == "application/json"
    return response.status_int, response.json["NeutronError"]["type"]


STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
"""How ``created_at`` and ``updated_at`` look (``standard-attr-timestamp``)."""


def pop_standard(item: dict[str, Any]) -> dict[str, Any]:
    """Takes the standard attributes out of a new item (as created: no description
    given, revision 1, updated when created) after checking them; returns them."""
    found = {
        k: item.pop(k)
        for k in ("description", "created_at", "updated_at", "revision_number")
    }
    assert found["description"] == ""
    assert STAMP.match(found["created_at"]), found
    assert found["updated_at"] == found["created_at"]
    assert found["revision_number"] == 1
    if "tags" in item:  # NOTE: standard-attr-tag
        found["tags"] = item.pop("tags")
        assert found["tags"] == []
    return found
