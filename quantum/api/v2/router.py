# SPDX-License-Identifier: Apache-2.0
"""The v2.0 application: one generic controller for every declared resource.

Each request runs the same steps (``ApiV2.respond``): strip ``.json``, find the
route, read who asks (``context.scope_of``), parse and validate the body against
the resource's spec, check the attribute rules (admin-only attributes), call the
backend through the resource's ``Operations`` (``quantum.api.v2.backend``), render
the view and drop what the
caller may not see or did not ask for. Any ``QuantumError`` becomes its fault
(``faults.fault``); anything else is a logged 500 with a generic body.
"""

from __future__ import annotations

import builtins
import gc
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from webob import Request, Response

from quantum.api.bodies import read_body
from quantum.api.extensions import ExtensionDescriptor
from quantum.api.policy import Policy
from quantum.api.v2 import faults, listing
from quantum.api.v2.attributes import (
    Action,
    NotFromRows,
    Operations,
    Resource,
    Subpath,
    SubRequest,
    compile_page_view,
    compile_view,
    wire,
)
from quantum.api.v2.context import Caller, caller_of
from quantum.api.wire import Format as WireFormat
from quantum.api.wire import MalformedBody, encode_json_fast
from quantum.api.wire import decode as wire_decode
from quantum.core import exceptions as exc
from quantum.core import text
from quantum.core.listing import ListQuery
from quantum.core.scope import Scope
from quantum.core.unset import UNSET
from quantum.plugins.interface import CoreServices

LOG = logging.getLogger(__name__)

ANYBODY = Scope(tenant_id=None, is_admin=True)
"""The scope of the controller's own reads for policy targets (never shown)."""

VERBS = {"GET": "get", "POST": "create", "PUT": "update", "DELETE": "delete"}
"""The policy verb of each method (``<verb>_<resource>``)."""


NARROW_VIEWS = 256
"""Views of a list's ``fields=`` kept compiled (the clients choose the sets: the
cache starts over past this many)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Served:
    """A resource and its operations, as the route table holds them."""

    resource: Resource
    operations: Operations

    def id_match(self, item_id: str) -> bool:
        # NOTE: re.match with "$", as ever: an id may end in one newline and then
        # simply not be found (the resource's own not-found).
        return re.match(f"^{self.resource.id_pattern}$", item_id) is not None


@dataclass(frozen=True, slots=True)
class Under:
    """The parent of a sub-resource request: the child's attribute naming it, and
    the parent's id from the path."""

    field: str
    parent_id: str

    def fill(self, raw: Any) -> Any:
        """A create item with its parent set (400 if it names another)."""
        if not isinstance(raw, dict):
            return raw
        given = raw.get(self.field, self.parent_id)
        if given != self.parent_id:
            raise exc.InvalidInput(
                reason=f"{self.field} is the parent's of the path, {self.parent_id}"
            )
        return {**raw, self.field: self.parent_id}


class _NoRoute(Exception):
    """A path that routes nowhere (WebOb-style plain 404 of the v2 body)."""


def _json(status: str, payload: Any) -> Response:
    # NOTE: default=wire: a list's views hold structured values as the items do
    # (``compile_view``'s ``encoded``).
    response = Response(status=status, body=encode_json_fast(payload, wire))
    response.headers["Content-Type"] = "application/json"
    return response


class ApiV2:
    """WSGI app mounted at ``/v2.0``."""

    def __init__(
        self,
        plugin: CoreServices,
        policy: Policy,
        served: Sequence[Served],
        extensions: Sequence[ExtensionDescriptor],
        *,
        max_body: int,
        max_limit: int,
    ) -> None:
        self.plugin = plugin
        self.policy = policy
        self.served = {
            s.resource.segment: s for s in served if s.resource.parent is None
        }
        self.children = {
            (s.resource.parent.collection, s.resource.segment): s
            for s in served
            if s.resource.parent is not None
        }
        self.extensions = {e.alias: e for e in extensions}
        self.max_body = max_body
        self.max_limit = max_limit
        self._narrow_views: dict[
            tuple[str, frozenset[str]], Callable[[Any], dict[str, Any]]
        ] = {}
        self._page_views: dict[
            tuple[str, tuple[str, ...]], Callable[..., list[dict[str, Any]]] | None
        ] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self.respond(request)
        except _NoRoute:
            response = faults.not_found()
        except exc.QuantumError as error:
            response = faults.fault(error)
        except Exception:  # noqa: BLE001  # NOTE: never a traceback to the client
            LOG.exception(
                "unexpected error serving %s %s", request.method, request.path
            )
            response = faults.internal()
        if request.method == "HEAD":
            response.body = b""
        return response(environ, start_response)  # type: ignore[no-any-return]

    # -- routing -----------------------------------------------------------------------

    def respond(self, request: Request) -> Response:
        try:
            path = request.path_info
        except UnicodeDecodeError:
            return faults.not_found()
        path = path.removesuffix(".json")
        parts = path.split("/")[1:] if path.startswith("/") else path.split("/")
        if parts == [""]:
            parts = []
        method = "GET" if request.method == "HEAD" else request.method
        _check_query(request)
        caller = caller_of(request.environ)
        if not parts:
            return self._only(method, "GET") or self.index(request)
        if parts[0] == "extensions":
            return self._only(method, "GET") or self.extension(parts[1:])
        return self.route(request, method, parts, caller)

    def route(
        self, request: Request, method: str, parts: list[str], caller: Caller
    ) -> Response:
        """A resource's path: ``/<collection>[/<id>[/<action>]]``, or a
        sub-resource's ``/<parent collection>/<id>/<collection>[/<id>]``. A
        resource whose segment has two parts (``Resource.path``: ``lb/pools``)
        is found by both."""
        if len(parts) > 1 and f"{parts[0]}/{parts[1]}" in self.served:
            parts = [f"{parts[0]}/{parts[1]}", *parts[2:]]
        served = self.served.get(parts[0])
        if served is None or len(parts) > 4 or "" in parts:
            return faults.not_found()
        if served.resource.admin_only:
            self._check_admin(served.resource, method, caller)
        resource = served.resource
        if len(parts) == 1:
            return self.collection(request, method, served, caller)
        if len(parts) == 2:
            found = resource.action(parts[1])
            if found is not None and found.collection and found.method == method:
                return self.action(request, method, served, caller, None, found)
            return self.member(request, method, served, caller, parts[1])
        found = resource.action(parts[2]) if len(parts) == 3 else None
        if found is not None and not found.collection:
            return self.action(request, method, served, caller, parts[1], found)
        below = resource.subpath(parts[2])
        if below is not None:
            key = parts[3] if len(parts) == 4 else None
            return self.subpath(request, method, served, caller, parts[1], below, key)
        child = self.children.get((parts[0], parts[2]))
        if child is None:
            return faults.not_found()
        if child.resource.admin_only:
            self._check_admin(child.resource, method, caller)
        self._check_id(served, parts[1])
        self._load(served, caller, "get", parts[1])
        under = Under(child.resource.parent_field, parts[1])
        if len(parts) == 3:
            return self.collection(request, method, child, caller, under)
        return self.member(request, method, child, caller, parts[3], under)

    def collection(
        self,
        request: Request,
        method: str,
        served: Served,
        caller: Caller,
        under: Under | None = None,
    ) -> Response:
        if method == "GET":
            return self.list(request, served, caller, under)
        if not served.resource.creatable:
            if method == "POST":
                return faults.error_response(
                    "501 Not Implemented", "HTTPNotImplemented", "Not implemented"
                )
            return faults.method_not_allowed("GET")
        if method == "POST":
            return self.create(request, served, caller, under)
        return faults.method_not_allowed("GET, POST")

    def member(
        self,
        request: Request,
        method: str,
        served: Served,
        caller: Caller,
        item_id: str,
        under: Under | None = None,
    ) -> Response:
        self._check_id(served, item_id)
        if method == "GET":
            return self.show(request, served, caller, item_id, under)
        if method == "PUT":
            return self.update(request, served, caller, item_id, under)
        if method == "DELETE":
            expected = if_match(request, served.resource)
            item = self._load(served, caller, "delete", item_id, under)
            delete_at = served.operations.delete_at
            if expected:
                # NOTE: on the item as read (so a stale revision is 412 before any
                # other refusal), then again in the DELETE itself where the service
                # can: a write that commits in between is not deleted over.
                check_revision(served.operations.view(item), expected)
            if expected and delete_at is not None:
                delete_at(caller.scope, item_id, expected)
            else:
                served.operations.delete(caller.scope, item_id)
            return Response(status="204 No Content")
        return faults.method_not_allowed("GET, PUT, DELETE")

    def action(
        self,
        request: Request,
        method: str,
        served: Served,
        caller: Caller,
        item_id: str | None,
        action: Action,
    ) -> Response:
        """``PUT /<collection>/<id>/<action>`` (or the action's method; a collection
        action has no id): the backend's answer as the body. Whoever may not see
        the item gets its not-found; whoever may see it but not act on it, 403."""
        if method != action.method:
            return faults.method_not_allowed(action.method)
        name = action.name
        if item_id is not None:
            self._check_id(served, item_id)
            item = self._load(served, caller, "get", item_id)
            allowed = action.rule is None or self._allows(
                caller, name, target(served.operations.view(item))
            )
            if not allowed:
                raise exc.PolicyNotAuthorized(action=name)
        body = None
        if method != "GET":
            body = self._body(request)
            if not isinstance(body, dict):
                raise exc.InvalidInput(reason="the body must be a JSON object")
        answer = served.operations.actions[name](caller.scope, item_id, body)
        # NOTE: a domain value (a dataclass) shows as its fields.
        return _json("200 OK", wire(answer))

    def subpath(
        self,
        request: Request,
        method: str,
        served: Served,
        caller: Caller,
        item_id: str,
        below: Subpath,
        key: str | None,
    ) -> Response:
        """``/<collection>/<id>/<subpath>[/<key>]`` (``Subpath``): the item must be
        one the caller may see (GET) or update (a write), else its not-found."""
        allowed = below.methods if key is None else below.key_methods
        if method not in allowed:
            return faults.method_not_allowed(", ".join(allowed))
        self._check_id(served, item_id)
        self._load(served, caller, "get" if method == "GET" else "update", item_id)
        writes = method in ("PUT", "POST")
        body = self._body(request) if writes and key is None else None
        status, payload = below.serve(
            SubRequest(
                plugin=served.operations.plugin,
                resource=served.resource,
                scope=caller.scope,
                method=method,
                item_id=item_id,
                key=key,
                body=body,
                services=served.operations.services,
            )
        )
        if payload is None:
            return Response(status=status)
        return _json(status, payload)

    @staticmethod
    def _check_id(served: Served, item_id: str) -> None:
        """A member id of the resource's form, else the plain 404 of a path that
        routes nowhere; an id the store cannot keep (``id_check``: 400, else the
        resource's not-found). The v2 edge's one check of the store's text rule
        for path ids: nothing below asks again."""
        if not served.id_match(item_id):
            raise _NoRoute()
        if served.resource.id_check is not None:
            served.resource.id_check(item_id)
        if text.unstorable(item_id) is not None:
            raise served.operations.not_found(item_id)

    def _check_admin(self, resource: Resource, method: str, caller: Caller) -> None:
        """403 for a resource only administrators may use (``Resource.admin_only``)."""
        verb = VERBS.get(method)
        if verb is None:
            return
        action = f"{verb}_{resource.name}"
        if not self._allows(caller, action, {}):
            raise exc.PolicyNotAuthorized(action=action)

    @staticmethod
    def _only(method: str, allowed: str) -> Response | None:
        return None if method == allowed else faults.method_not_allowed(allowed)

    def index(self, request: Request) -> Response:
        base = request.application_url
        return _json(
            "200 OK",
            {
                "resources": [
                    {
                        "name": s.resource.name,
                        "collection": s.resource.collection,
                        "links": [
                            {"rel": "self", "href": f"{base}/{s.resource.segment}"}
                        ],
                    }
                    for s in self.served.values()
                    if s.resource.listed
                ]
            },
        )

    def extension(self, rest: list[str]) -> Response:
        if not rest:
            return _json(
                "200 OK", {"extensions": [e.wire() for e in self.extensions.values()]}
            )
        found = self.extensions.get(rest[0]) if len(rest) == 1 else None
        if found is None:
            return faults.not_found(
                f"Extension with alias {'/'.join(rest)} does not exist"
            )
        return _json("200 OK", {"extension": found.wire()})

    # -- bodies ------------------------------------------------------------------------

    def _body(self, request: Request) -> Any:
        raw = read_body(request, self.max_body)
        if not raw.strip():
            raise exc.InvalidInput(reason="a request body is required")
        try:
            body = wire_decode(raw, WireFormat.JSON)
        except MalformedBody:
            raise exc.InvalidInput(reason="malformed JSON request body") from None
        _check_strings(body)
        return body

    # -- policy ------------------------------------------------------------------------

    def _allows(self, caller: Caller, action: str, target: dict[str, Any]) -> bool:
        return self.policy.allows(caller.context, action, target)

    def _hidden(self, resource: Resource, caller: Caller) -> set[str]:
        """Attributes ``get_<resource>:<attribute>`` keeps from this caller.

        NOTE: those rules (admin only, by default) are checked once per request,
        against no particular item, so a list costs no policy check per item.
        """
        # PERF: the same for every request of these credentials (5 decisions a
        # port request), so remembered with the policy's decisions.
        return set(
            self.policy.remembered(
                ("hidden", resource.name, caller.context.policy_key),
                lambda: frozenset(
                    f.name
                    for f in resource.fields
                    if f.admin_only
                    and not self._allows(caller, f"get_{resource.name}:{f.name}", {})
                ),
            )
        )

    def _hidden_member(self, resource: Resource, caller: Caller) -> set[str]:
        """``_hidden``, and what only lists show (``Field.in_member``)."""
        hidden = self._hidden(resource, caller)
        hidden.update(f.name for f in resource.fields if not f.in_member)
        return hidden

    def _check_attributes(
        self,
        resource: Resource,
        verb: str,
        attrs: Mapping[str, Any],
        caller: Caller,
        target: dict[str, Any],
        owner: Callable[[], Mapping[str, Any]] | None = None,
    ) -> None:
        """The attribute rules of a write: ``admin_only`` and ``set_by_admin``
        attributes, and those with a ``policy`` of their own, whose target also
        holds what ``owner`` says (the network's owner of a port)."""
        for name, value in attrs.items():
            field = resource.field(name)
            if field is None:
                continue
            if field.policy is not None:
                if field.policy_when is not None and not field.policy_when(value):
                    continue
                action = f"{verb}_{resource.name}:{name}"
                full = target if owner is None else {**target, **owner()}
                if not self._allows(caller, action, full):
                    raise exc.PolicyNotAuthorized(action=action)
                continue
            if not (field.admin_only or field.set_by_admin):
                continue
            # NOTE: spec §2.2: the rule applies to a value that differs from the
            # default, on update as on create (an owner may unshare, not share).
            if field.set_by_admin and value == field.default:
                continue
            action = f"{verb}_{resource.name}:{name}"
            if not self._allows(caller, action, target):
                raise exc.PolicyNotAuthorized(action=action)

    def _owner(
        self, resource: Resource, item: Mapping[str, Any], scope: Scope
    ) -> dict[str, Any]:
        """The policy target ``resource.owner`` adds for ``item``: the owner of
        what it belongs to, as ``scope`` may see it (its not-found otherwise)."""
        owner = resource.owner
        served = None if owner is None else self.served.get(owner.collection)
        if owner is None or served is None or owner.field not in item:
            return {}
        parent = served.operations.view(
            served.operations.show(scope, item[owner.field])
        )
        return {owner.key: parent.get("tenant_id")}

    def _load(
        self,
        served: Served,
        caller: Caller,
        verb: str,
        item_id: str,
        under: Under | None = None,
    ) -> Any:
        """The item, if ``<verb>_<resource>`` allows the caller (and it is a child
        of ``under``'s parent); else its not-found error, so nobody learns what
        exists."""
        return self._load_viewed(served, caller, verb, item_id, under)[0]

    def _load_viewed(
        self,
        served: Served,
        caller: Caller,
        verb: str,
        item_id: str,
        under: Under | None = None,
    ) -> tuple[Any, dict[str, Any]]:
        """``_load``, with the item's view (PERF: a show renders it once)."""
        item = served.operations.show(caller.scope, item_id)
        view = served.operations.view(item)
        if under is not None and view.get(under.field) != under.parent_id:
            raise served.operations.not_found(item_id)
        action = f"{verb}_{served.resource.name}"
        if not self._allows(caller, action, target(view)):
            raise _denied(served, action, item_id)
        return item, view

    @staticmethod
    def _shown(
        body: dict[str, Any], hidden: set[str], fields: Sequence[str]
    ) -> dict[str, Any]:
        for name in hidden:
            body.pop(name, None)
        if fields:
            return {k: body[k] for k in fields if k in body}
        return body

    # -- operations --------------------------------------------------------------------

    def list(
        self,
        request: Request,
        served: Served,
        caller: Caller,
        under: Under | None = None,
    ) -> Response:
        """A page of the collection.

        PERF: without the cyclic garbage collector: a list of 1,000 ports makes
        some 10,000 tracked objects (rows, items, views), none in a cycle, which
        made it run about nine times per list (3.5 ms of 24). Reference counting
        still frees everything; the collector runs again right after."""
        if not gc.isenabled():
            return self._list(request, served, caller, under)
        gc.disable()
        try:
            return self._list(request, served, caller, under)
        finally:
            gc.enable()

    def _list(
        self,
        request: Request,
        served: Served,
        caller: Caller,
        under: Under | None,
    ) -> Response:
        params = request.GET
        resource = served.resource
        if resource.list_rule is not None and not self._allows(
            caller, resource.list_rule, target({"tenant_id": ""})
        ):
            raise exc.PolicyNotAuthorized(action=resource.list_rule)
        if not resource.paged:
            everything = served.operations.list(caller.scope, ListQuery())
            return _json(
                "200 OK",
                {resource.collection: [served.operations.view(i) for i in everything]},
            )
        parsed = listing.parse(params, resource, caller.scope, self.max_limit)
        query = parsed.query
        if under is not None:
            column = resource.column(under.field)
            filters = {**query.filters, column: (under.parent_id,)}
            query = replace(query, filters=filters)
        hidden = self._hidden(resource, caller)
        rendered = self._rendered_page(served, caller, query, parsed.fields, hidden)
        if rendered is not None:
            shown, ids = rendered
        elif parsed.fields and query.reads is None:
            items = served.operations.list(caller.scope, query)
            views = [served.operations.view(i) for i in items]
            shown = [self._shown(v, hidden, parsed.fields) for v in views]
            ids = [v["id"] for v in views]
        else:
            items = served.operations.list(caller.scope, query)
            # PERF: the view of the shown fields alone (all but the hidden ones
            # without ``fields=``), no dict per item cut, its values as the
            # encoder takes them.
            view = self._list_view(served, parsed.fields, hidden)
            shown = [view(i) for i in items]
            ids = [i.id for i in items]
        body: dict[str, Any] = {resource.collection: shown}
        page_links = listing.links(request.path_url, params, query, ids)
        if page_links:
            body[f"{resource.collection}_links"] = page_links
        return _json("200 OK", body)

    def _list_view(
        self, served: Served, fields: Sequence[str], hidden: set[str]
    ) -> Callable[[Any], dict[str, Any]]:
        """The view of only ``fields`` (every attribute, without ``fields=``) but
        the ``hidden`` ones, compiled once per resource and set of fields, for the
        encoder only (``compile_view``'s ``encoded``). PERF: a list no longer
        renders every attribute of every item to drop some or most of them, nor
        builds a list or dict per structured value; with ``fields=``, the store
        reads only their columns (``ListQuery.reads``)."""
        shown = (
            frozenset(fields)
            if fields
            else frozenset(f.name for f in served.resource.fields if f.visible)
        )
        key = (served.resource.collection, shown - hidden)
        found = self._narrow_views.get(key)
        if found is None:
            if len(self._narrow_views) >= NARROW_VIEWS:
                self._narrow_views.clear()
            found = compile_view(
                served.resource, served.operations.plugin, key[1], encoded=True
            )
            self._narrow_views[key] = found
        return found

    def _rendered_page(
        self,
        served: Served,
        caller: Caller,
        query: ListQuery,
        fields: Sequence[str],
        hidden: set[str],
    ) -> tuple[builtins.list[dict[str, Any]], Sequence[str]] | None:
        """The shown items of a page and their ids, rendered from the store's
        rows (``Operations.list_page``); None where the store gives none, or the
        shown fields cannot be rendered from them (then its items are listed)."""
        lister = served.operations.list_page
        if lister is None or query.reads is not None:
            return None
        view = self._page_view(served, fields, hidden)
        if view is None:
            return None
        rows = lister(caller.scope, query)
        if rows is None:
            return None
        if rows.shape is not served.operations.row_shape:
            raise ValueError(f"{served.resource.collection}: rows of another shape")
        return view(rows.rows, *rows.page), rows.ids

    def _page_view(
        self, served: Served, fields: Sequence[str], hidden: set[str]
    ) -> Callable[..., builtins.list[dict[str, Any]]] | None:
        """``_list_view`` of a page of the store's rows (``compile_page_view``),
        compiled once per resource and set of fields; None when the service
        gives no rows, or a shown field cannot be rendered from them."""
        shape = served.operations.row_shape
        if shape is None:
            return None
        # NOTE: with fields=, in their order (as ``_shown`` cuts a view), each once.
        names = fields or [f.name for f in served.resource.fields if f.visible]
        key = (
            served.resource.collection,
            tuple(dict.fromkeys(n for n in names if n not in hidden)),
        )
        if key in self._page_views:
            return self._page_views[key]
        if len(self._page_views) >= NARROW_VIEWS:
            self._page_views.clear()
        try:
            found = compile_page_view(
                served.resource, served.operations.plugin, shape, key[1]
            )
        except NotFromRows:
            LOG.debug("%s: listed as items", key)
            found = None
        self._page_views[key] = found
        return found

    def show(
        self,
        request: Request,
        served: Served,
        caller: Caller,
        item_id: str,
        under: Under | None = None,
    ) -> Response:
        _, view = self._load_viewed(served, caller, "get", item_id, under)
        body = self._shown(
            view,
            self._hidden_member(served.resource, caller),
            listing.fields_of(request.GET) if served.resource.paged else (),
        )
        return _json("200 OK", {served.resource.name: body})

    def create(
        self,
        request: Request,
        served: Served,
        caller: Caller,
        under: Under | None = None,
    ) -> Response:
        resource = served.resource
        body = self._body(request)
        if not isinstance(body, dict):
            raise exc.InvalidInput(reason="the body must be a JSON object")
        bulk = resource.collection in body
        if bulk:
            raw_items = body[resource.collection]
            if not isinstance(raw_items, list) or not raw_items:
                raise exc.InvalidInput(
                    reason=f"{resource.collection} must be a non-empty list"
                )
            raw_items = [
                i[resource.name]
                if isinstance(i, dict) and set(i) == {resource.name}
                else i
                for i in raw_items
            ]
        elif resource.name in body:
            raw_items = [body[resource.name]]
        else:
            raise exc.InvalidInput(
                reason=f"the body needs '{resource.name}' or '{resource.collection}'"
            )
        if len(body) != 1:
            raise exc.InvalidInput(reason="unexpected keys beside the resource")
        items = []
        owners: dict[Any, Mapping[str, Any]] = {}
        for raw in raw_items:
            if under is not None:
                raw = under.fill(raw)
            attrs, given = creating(resource, raw, caller.scope)
            item_target = target(attrs)
            action = f"create_{resource.name}"
            if not self._allows(caller, action, item_target):
                raise exc.PolicyNotAuthorized(action=action)
            explicit = {k: attrs[k] for k in given if k in attrs}

            def owner(attrs: Mapping[str, Any] = attrs) -> Mapping[str, Any]:
                # NOTE: as the caller sees it: what it may not see is not found,
                # as the store would say.
                key = attrs.get(resource.owner.field) if resource.owner else None
                if key not in owners:
                    owners[key] = self._owner(resource, attrs, caller.scope)
                return owners[key]

            self._check_attributes(
                resource, "create", explicit, caller, item_target, owner
            )
            items.append(resource.to_create(attrs))
        created = served.operations.create(caller.scope, items)
        hidden = self._hidden_member(resource, caller)
        views = [self._shown(served.operations.view(c), hidden, ()) for c in created]
        if bulk:
            return _json("201 Created", {resource.collection: views})
        return _json("201 Created", {resource.name: views[0]})

    def update(
        self,
        request: Request,
        served: Served,
        caller: Caller,
        item_id: str,
        under: Under | None = None,
    ) -> Response:
        resource = served.resource
        if not resource.hide_denied:
            # NOTE: nothing to hide: a refusal comes before any word on the body.
            self._load(served, caller, "update", item_id, under)
        body = self._body(request)
        if not isinstance(body, dict) or set(body) != {resource.name}:
            raise exc.InvalidInput(
                reason=f"the body must be {{'{resource.name}': {{...}}}}"
            )
        raw = body[resource.name]
        if not isinstance(raw, dict):
            raise exc.InvalidInput(reason=f"{resource.name} must be a JSON object")
        changes = updating(resource, raw)
        expected = if_match(request, resource)
        action = f"update_{resource.name}"
        extra: Mapping[str, Any] = {}
        if resource.owner is not None and any(
            (f := resource.field(k)) is not None and f.policy is not None
            for k in changes
        ):
            # NOTE: read before the update, only when a rule needs it: the owner
            # of what the item belongs to, whoever may see that (a port's network
            # never changes).
            seen = served.operations.view(served.operations.show(caller.scope, item_id))
            extra = self._owner(resource, seen, ANYBODY)

        def authorize(item: Any) -> None:
            view = served.operations.view(item)
            if under is not None and view.get(under.field) != under.parent_id:
                raise served.operations.not_found(item_id)
            item_target = target(view)
            if not self._allows(caller, action, item_target):
                raise _denied(served, action, item_id)
            self._check_attributes(
                resource, "update", changes, caller, item_target, lambda: extra
            )
            if expected:
                # NOTE: in the update's transaction; the store's UPDATE is
                # conditional on the revision read here (quantum.db.models), so a
                # concurrent change makes it run again and fail here.
                check_revision(view, expected)

        # PERF: the item is loaded, checked and changed in one transaction.
        updated = served.operations.update(
            caller.scope, item_id, resource.to_update(changes), authorize
        )
        view = self._shown(
            served.operations.view(updated), self._hidden_member(resource, caller), ()
        )
        return _json("200 OK", {resource.name: view})


def _denied(served: Served, action: str, item_id: str) -> exc.QuantumError:
    """The refusal of ``action`` on an item: its not-found, so nobody learns what
    exists (``Resource.hide_denied``), else 403."""
    if served.resource.hide_denied:
        return served.operations.not_found(item_id)
    return exc.PolicyNotAuthorized(action=action)


REVISION = "revision_number"
"""The attribute ``If-Match: revision_number=N`` names (``standard-attr-revisions``)."""


def if_match(request: Request, resource: Resource) -> tuple[int, ...]:
    """The revisions an ``If-Match`` header allows (``revision_number=N``, several
    comma-separated: any of them); empty when there is no such constraint, or the
    resource has no revisions. Other entity tags are ignored. Raises InvalidInput
    for a revision that is no number."""
    header = request.headers.get("If-Match")
    if not header or resource.field(REVISION) is None:
        return ()
    found = []
    for entry in header.split(","):
        key, sep, value = entry.strip().partition("=")
        if not sep or key != REVISION:
            continue
        if not value.isdigit() or not value.isascii():
            raise exc.InvalidInput(
                reason=f"If-Match: {REVISION} must be a non-negative integer, "
                f"not '{value}'"
            )
        found.append(int(value))
    return tuple(found)


def check_revision(view: Mapping[str, Any], expected: Sequence[int]) -> None:
    """RevisionNumberConstraintFailed (412) unless the item is at a revision
    ``expected`` names."""
    current = view.get(REVISION)
    if current not in expected:
        raise exc.RevisionNumberConstraintFailed(
            expected=" or ".join(map(str, expected)), current=current
        )


def _check_query(request: Request) -> None:
    """The query string as text the store could hold. Raises InvalidInput."""
    try:
        params = request.GET
    except UnicodeDecodeError:
        raise exc.InvalidInput(reason="the query string is not UTF-8") from None
    for key, value in params.items():
        bad = text.unstorable(key + value)
        if bad is not None:
            raise exc.InvalidInput(reason=f"the query string contains {bad}")


def _check_strings(body: Any) -> None:
    """Every string of a decoded JSON body, keys too, as text the store could hold,
    so no converter needs to ask again. Raises InvalidInput."""
    bad = text.first_unstorable(body)
    if bad is not None:
        raise exc.InvalidInput(reason=f"the body contains {bad}")


def target(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """A policy target: the attributes, with ``project_id`` and ``tenant_id``."""
    found = dict(attrs)
    tenant = found.get("tenant_id", found.get("project_id"))
    found["tenant_id"] = found["project_id"] = tenant
    return found


def _tenant(raw: Mapping[str, Any], scope: Scope) -> str:
    given = [raw[k] for k in ("tenant_id", "project_id") if k in raw]
    if len(given) == 2 and given[0] != given[1]:
        raise exc.InvalidInput(reason="tenant_id and project_id differ")
    if given:
        tenant: str = given[0]
        if not scope.is_admin and tenant != scope.tenant_id:
            raise exc.InvalidInput(
                reason="only an admin may create resources for another tenant"
            )
        return tenant
    if scope.tenant_id is None:
        raise exc.InvalidInput(
            reason="tenant_id is required: the request names no tenant (no "
            "X-Project-Id header, no tenant_id in the body)"
        )
    return scope.tenant_id


def creating(
    resource: Resource, raw: Any, scope: Scope
) -> tuple[dict[str, Any], set[str]]:
    """One item of a create body, validated, with defaults filled in (UNSET
    attributes are left out) and ``tenant_id`` resolved; and the attributes the
    client gave. Raises InvalidInput (400)."""
    if not isinstance(raw, dict):
        raise exc.InvalidInput(reason=f"each {resource.name} must be a JSON object")
    for key in raw:
        field = resource.field(key)
        if field is None:
            raise exc.InvalidInput(reason=f"Unrecognized attribute(s) '{key}'")
        if not field.on_create:
            raise exc.InvalidInput(reason=f"Attribute '{key}' not allowed in POST")
    attrs: dict[str, Any] = {}
    for field in resource.fields:
        if not field.on_create or field.name in ("tenant_id", "project_id"):
            continue
        if field.name in raw:
            attrs[field.name] = field.convert(field.name, raw[field.name])
        elif field.required:
            raise exc.InvalidInput(
                reason=f"Required attribute '{field.name}' not specified"
            )
        elif field.default is not UNSET:
            attrs[field.name] = field.default
    tenant_field = resource.field("tenant_id")
    converted = {
        k: tenant_field.convert(k, raw[k]) if tenant_field else raw[k]
        for k in ("tenant_id", "project_id")
        if k in raw
    }
    attrs["tenant_id"] = _tenant(converted, scope)
    return attrs, set(raw)


def updating(resource: Resource, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The changes of an update body, validated. Raises InvalidInput."""
    changes = {}
    for key, value in raw.items():
        field = resource.field(key)
        if field is None:
            raise exc.InvalidInput(reason=resource.unknown.format(key))
        if not field.on_update:
            raise exc.InvalidInput(reason=f"Cannot update read-only attribute {key}")
        changes[key] = field.convert(key, value)
    return changes
