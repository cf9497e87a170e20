# SPDX-License-Identifier: Apache-2.0
"""The generic controller (``quantum.api.v2.router``) over an in-memory backend:
member actions (``PUT /<collection>/<id>/<action>``) and sub-resources
(``/<parent collection>/<id>/<collection>[/<id>]``) come from the declarations, and
a third path segment nobody declared stays 404."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pytest
from webob import Request, Response

from quantum.api.context import ENVIRON_KEY, RequestContext
from quantum.api.policy import Policy
from quantum.api.v2 import policy
from quantum.api.v2.attributes import (
    Action,
    Field,
    Parent,
    Resource,
    string,
    to_tenant,
    to_uuid,
)
from quantum.api.v2.backend import bind
from quantum.api.v2.router import ApiV2, Served
from quantum.core import exceptions as exc
from quantum.core.listing import ListQuery
from quantum.core.scope import Scope


@dataclass(frozen=True)
class Item:
    id: str
    tenant_id: str
    name: str
    thing_id: str = ""


class Store:
    """Things and their leaves, in memory, in the uniform service shape."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.items: dict[str, Item] = {}
        self.pokes: list[tuple[str, Any]] = []

    def _visible(self, scope: Scope, item: Item) -> bool:
        return scope.owns(item.tenant_id)

    def list(self, scope: Scope, query: ListQuery) -> Sequence[Item]:
        wanted = query.filters.get("thing_id")
        return [
            i
            for i in self.items.values()
            if self._visible(scope, i) and (wanted is None or i.thing_id in wanted)
        ]

    def get(self, scope: Scope, item_id: str) -> Item:
        item = self.items.get(item_id)
        if item is None or not self._visible(scope, item):
            raise exc.ResourceNotFound(resource=self.kind, resource_id=item_id)
        return item

    def create(
        self, scope: Scope, items: Sequence[Mapping[str, Any]]
    ) -> Sequence[Item]:
        made = [Item(id=str(uuid.uuid4()), **i) for i in items]
        self.items.update((i.id, i) for i in made)
        return made

    def update(
        self, scope: Scope, item_id: str, changes: Mapping[str, Any], authorize: Any
    ) -> Item:
        item = self.get(scope, item_id)
        authorize(item)
        self.items[item_id] = replace(item, **changes)
        return self.items[item_id]

    def delete(self, scope: Scope, item_id: str) -> None:
        self.get(scope, item_id)
        del self.items[item_id]

    def poke(self, scope: Scope, item_id: str, body: Any) -> dict[str, Any]:
        self.pokes.append((item_id, body))
        return {"poked": item_id, "with": body}


class Plugin:
    def __init__(self) -> None:
        self.things = Store("thing")
        self.leaves = Store("leaf")


COMMON = (
    Field(name="id", convert=to_uuid, on_create=False),
    Field(name="tenant_id", convert=to_tenant),
    Field(name="name", convert=string(), default="", on_update=True),
)
THING = Resource(
    name="thing",
    collection="things",
    fields=COMMON,
    actions=(Action(name="poke"),),
)
LEAF = Resource(
    name="leaf",
    collection="leaves",
    parent=Parent(collection="things", field="thing_id"),
    fields=(*COMMON, Field(name="thing_id", convert=to_uuid, required=True)),
)


@pytest.fixture
def plugin() -> Plugin:
    return Plugin()


@pytest.fixture
def app(plugin: Plugin) -> ApiV2:
    engine = Policy()
    engine.register(policy.rules([THING, LEAF]))
    return ApiV2(
        plugin,  # type: ignore[arg-type]  # NOTE: reached only through bind
        engine,
        [Served(resource=r, operations=bind(r, plugin)) for r in (THING, LEAF)],
        [],
        max_body=4096,
        max_limit=100,
    )


def call(
    app: ApiV2, method: str, path: str, body: Any = None, tenant: str = "acme"
) -> Response:
    request = Request.blank(path, method=method)
    request.environ[ENVIRON_KEY] = RequestContext(
        project_id=tenant, roles=frozenset({"member"})
    )
    if body is not None:
        request.body = json.dumps(body).encode()
        request.content_type = "application/json"
    return request.get_response(app)


def _thing(app: ApiV2, tenant: str = "acme") -> str:
    made = call(app, "POST", "/things", {"thing": {"name": "t"}}, tenant)
    assert made.status_int == 201, made.body
    return made.json["thing"]["id"]  # type: ignore[no-any-return]


def test_a_member_action_calls_the_backend_with_the_body(
    app: ApiV2, plugin: Plugin
) -> None:
    thing = _thing(app)
    done = call(app, "PUT", f"/things/{thing}/poke", {"hard": True})
    assert done.status_int == 200, done.body
    assert done.json == {"poked": thing, "with": {"hard": True}}
    assert plugin.things.pokes == [(thing, {"hard": True})]
    # NOTE: only PUT; an action of an item the caller may not see is its not-found.
    assert call(app, "GET", f"/things/{thing}/poke").status_int == 405
    hidden = call(app, "PUT", f"/things/{thing}/poke", {}, tenant="other")
    assert hidden.status_int == 404
    assert call(app, "PUT", f"/things/{thing}/poke", [1]).status_int == 400
    assert len(plugin.things.pokes) == 1


def test_an_undeclared_third_segment_is_404(app: ApiV2) -> None:
    thing = _thing(app)
    assert call(app, "PUT", f"/things/{thing}/kick", {}).status_int == 404
    assert call(app, "GET", f"/things/{thing}/twigs").status_int == 404
    assert call(app, "GET", f"/things/{thing}/leaves/x/y").status_int == 404
    # NOTE: a sub-resource is served under its parent only.
    assert call(app, "GET", "/leaves").status_int == 404
    # NOTE: the positive control: the declared ones route.
    assert call(app, "PUT", f"/things/{thing}/poke", {}).status_int == 200
    assert call(app, "GET", f"/things/{thing}/leaves").status_int == 200


def test_a_sub_resource_lives_under_its_parent(app: ApiV2) -> None:
    thing, other = _thing(app), _thing(app)
    made = call(app, "POST", f"/things/{thing}/leaves", {"leaf": {"name": "l"}})
    assert made.status_int == 201, made.body
    leaf = made.json["leaf"]
    assert leaf["thing_id"] == thing
    listed = call(app, "GET", f"/things/{thing}/leaves").json["leaves"]
    assert [i["id"] for i in listed] == [leaf["id"]]
    assert call(app, "GET", f"/things/{other}/leaves").json["leaves"] == []
    shown = call(app, "GET", f"/things/{thing}/leaves/{leaf['id']}")
    assert shown.json["leaf"]["name"] == "l"
    # NOTE: the leaf under another parent is not there, for every verb.
    elsewhere = f"/things/{other}/leaves/{leaf['id']}"
    assert call(app, "GET", elsewhere).status_int == 404
    assert call(app, "PUT", elsewhere, {"leaf": {"name": "x"}}).status_int == 404
    assert call(app, "DELETE", elsewhere).status_int == 404
    renamed = call(
        app, "PUT", f"/things/{thing}/leaves/{leaf['id']}", {"leaf": {"name": "m"}}
    )
    assert renamed.json["leaf"]["name"] == "m"
    # NOTE: a body naming another parent is refused.
    moved = {"leaf": {"thing_id": other}}
    assert call(app, "POST", f"/things/{thing}/leaves", moved).status_int == 400
    gone = call(app, "DELETE", f"/things/{thing}/leaves/{leaf['id']}")
    assert gone.status_int == 204
    assert call(app, "GET", f"/things/{thing}/leaves").json["leaves"] == []


def test_a_parent_the_caller_may_not_see_hides_its_children(app: ApiV2) -> None:
    thing = _thing(app)
    assert call(app, "GET", f"/things/{thing}/leaves").status_int == 200
    for method, body in (("GET", None), ("POST", {"leaf": {"name": "l"}})):
        hidden = call(app, method, f"/things/{thing}/leaves", body, tenant="other")
        assert hidden.status_int == 404


def test_an_action_the_policy_refuses_is_403_for_who_may_see_the_item(
    plugin: Plugin, tmp_path: Any
) -> None:
    rules = tmp_path / "policy.yaml"
    rules.write_text('"poke": "rule:context_is_admin"\n')
    engine = Policy(rules)
    engine.register(policy.rules([THING]))
    app = ApiV2(
        plugin,  # type: ignore[arg-type]  # NOTE: reached only through bind
        engine,
        [Served(resource=THING, operations=bind(THING, plugin))],
        [],
        max_body=4096,
        max_limit=100,
    )
    thing = _thing(app)
    refused = call(app, "PUT", f"/things/{thing}/poke", {})
    assert refused.status_int == 403
    assert refused.json["NeutronError"]["type"] == "PolicyNotAuthorized"
    assert plugin.things.pokes == []
    # NOTE: the positive control: the default rule lets the owner act.
    rules.write_text("")
    assert call(app, "PUT", f"/things/{thing}/poke", {}).status_int == 200


def test_the_openapi_document_describes_actions_and_sub_resources() -> None:
    from quantum.api.v2 import openapi

    paths = openapi.document([THING, LEAF])["paths"]
    assert "put" in paths["/things/{thing_id}/poke"]
    assert {"get", "post"} <= set(paths["/things/{thing_id}/leaves"])
    assert {"get", "put", "delete"} <= set(paths["/things/{thing_id}/leaves/{leaf_id}"])
    assert "/leaves" not in paths


def test_a_resource_nothing_serves_stops_the_start(plugin: Plugin) -> None:
    twig = Resource(name="twig", collection="twigs", fields=COMMON)
    with pytest.raises(exc.ConfigError, match="no service twigs"):
        bind(twig, plugin)
    # NOTE: the positive control: a service plugin's service of that name serves it.
    operations = bind(twig, plugin, {"twigs": Store("twig")})
    assert operations.list(Scope(tenant_id="acme"), ListQuery()) == []


def test_a_reader_may_see_the_item_but_not_act_on_it(
    app: ApiV2, plugin: Plugin
) -> None:
    # NOTE: a member action other than a GET is a write: readers read, nothing else
    # (issue 11 item 4), whatever rule the resource declared for the action.
    thing = _thing(app)
    reader = Request.blank(f"/things/{thing}/poke", method="PUT")
    reader.environ[ENVIRON_KEY] = RequestContext(
        project_id="acme", roles=frozenset({"reader"})
    )
    reader.body = b"{}"
    reader.content_type = "application/json"
    shown = Request.blank(f"/things/{thing}")
    shown.environ[ENVIRON_KEY] = reader.environ[ENVIRON_KEY]
    assert shown.get_response(app).status_int == 200
    refused = reader.get_response(app)
    assert refused.status_int == 403
    assert refused.json["NeutronError"]["type"] == "PolicyNotAuthorized"
    assert plugin.things.pokes == []
    # NOTE: the positive control: a member of the same project may.
    assert call(app, "PUT", f"/things/{thing}/poke", {}).status_int == 200
