# SPDX-License-Identifier: Apache-2.0
"""The OpenAPI 3.0 document of v2.0, generated from the resource specs.

``document`` describes each served resource from its ``Resource``: which attributes
a create or an update takes (and which it requires), their JSON schemas (from the
converter, or the field's own ``schema``/``shown``), the sort keys and filters of
the list, and the faults each operation can answer; the fixed routes (``/``,
``/extensions``) are written here once. ``etc/openapi/quantum-v2.0.json``
is its output (``python -m quantum.api.v2.openapi``); a test keeps the two equal, so
the published document cannot drift from the code.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from quantum.api.v2.attributes import (
    Action,
    Field,
    OneOf,
    Resource,
    String,
    Subpath,
    to_bool,
    to_int,
    to_mac,
    to_tenant,
    to_uuid,
)
from quantum.api.v2.catalog import EVERYTHING
from quantum.core.text import TENANT_MAX

Schema = dict[str, Any]

UUID: Schema = {"type": "string", "format": "uuid"}
MAC: Schema = {
    "type": "string",
    "description": "EUI-48, unicast: colon, dash, bare or dotted hex.",
}
CONVERTED: dict[Any, Schema] = {
    to_bool: {
        "type": "boolean",
        "description": "Also accepted: 0, 1 and the strings true, false, 0, 1.",
    },
    to_int: {"type": "integer"},
    to_uuid: UUID,
    to_tenant: {"type": "string", "maxLength": TENANT_MAX},
    to_mac: MAC,
}
"""Converters and what they accept; ``String`` and ``OneOf`` say it themselves."""

LINK: Schema = {
    "type": "object",
    "required": ["rel", "href"],
    "additionalProperties": False,
    "properties": {"rel": {"type": "string"}, "href": {"type": "string"}},
}

FAULTS = {
    "400": "InvalidInput and the other bad requests: a body, attribute, query string "
    "or tenant id the service cannot use (text a store cannot keep: NUL, a lone "
    "surrogate, a query string that is not UTF-8; a tenant id over "
    f"{TENANT_MAX} characters).",
    "401": "Under auth_strategy = keystone: no valid token.",
    "403": "A policy refuses the action or an attribute (admin-only attributes).",
    "404": "Not found, or not visible to the caller (also: an id that is no UUID, "
    "an unknown marker, a path parameter that leaves the path unrouted such as an "
    "empty tenant id).",
    "409": "The request conflicts with the store (in use, address taken, over quota).",
    "413": "The body is larger than max_request_body_size.",
    "503": "The store cannot be reached.",
}

DESCRIPTION = """\
Generated from the resource specs of quantum/api/v2/resources and the
extensions of quantum/api/v2/extensions (all of them on) by
`python -m quantum.api.v2.openapi`; do not edit.

**Who asks.** Under `auth_strategy = noauth` the tenant is `X-Project-Id` (else
`X-Tenant-Id`) and the roles are `X-Roles` (comma-separated; `admin` is an
administrator); a request with neither is an administrator without a tenant. Under
`keystone` a valid `X-Auth-Token` says both.

**Paths.** Every path also takes a `.json` suffix on its last segment. A path or
method not listed answers the NeutronError body (404, 405 with `Allow`), never a
plain page; `POST /quotas` is 501.

**Listing.** Filters on unknown attributes, and on admin-only ones for other callers,
are ignored; a filter repeated matches any of its values. Paging is always on: a page
holds at most `pagination_max_limit` items, and `<collection>_links` holds the `next`
and `previous` links when there is more.
"""


def schema_of(resource: Resource, field: Field) -> Schema:
    """What the attribute accepts on the wire."""
    if field.schema is not None:
        return dict(field.schema)
    convert = field.convert
    if isinstance(convert, String):
        return {"type": "string", "maxLength": convert.max_length}
    if isinstance(convert, OneOf):
        return {"type": "string", "enum": list(convert.choices)}
    if convert in CONVERTED:
        return dict(CONVERTED[convert])
    raise ValueError(
        f"{resource.name}.{field.name}: no JSON schema for its converter; "
        "give the Field a schema"
    )


def shown_of(resource: Resource, field: Field) -> Schema:
    """What the attribute looks like in a response."""
    if field.shown is not None:
        return dict(field.shown)
    return schema_of(resource, field)


def _object(properties: dict[str, Schema], required: Sequence[str] = ()) -> Schema:
    found: Schema = {"type": "object"}
    if required:
        found["required"] = list(required)
    found["additionalProperties"] = False
    found["properties"] = properties
    return found


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _title(resource: Resource) -> str:
    return resource.name.capitalize()


def _item_schemas(resource: Resource) -> dict[str, Schema]:
    title = _title(resource)
    creatable = [f for f in resource.fields if f.on_create]
    updatable = [f for f in resource.fields if f.on_update]
    visible = [f for f in resource.fields if f.visible]
    shown = {f.name: shown_of(resource, f) for f in visible if f.in_member}
    create = _object(
        {f.name: schema_of(resource, f) for f in creatable},
        [f.name for f in creatable if f.required],
    )
    name, collection = resource.name, resource.collection
    listed = title
    found: dict[str, Schema] = {
        title: {
            **_object(shown),
            "description": "Every attribute is optional: `fields` selects them, and "
            "admin-only ones are shown to administrators only."
            if resource.paged
            else "Every attribute is optional.",
        },
    }
    if len(shown) < len(visible):
        # NOTE: attributes shown in lists only (a quota's tenant_id).
        listed = f"{title}Listed"
        found[listed] = _object({f.name: shown_of(resource, f) for f in visible})
    links = {f"{collection}_links": {"type": "array", "items": LINK}}
    if resource.creatable:
        found[f"{title}Create"] = create
    found[f"{title}Update"] = _object(
        {f.name: schema_of(resource, f) for f in updatable}
    )
    if resource.creatable:
        found[f"{title}CreateRequest"] = {
            "oneOf": [
                _object({name: _ref(f"{title}Create")}, [name]),
                _object(
                    {
                        collection: {
                            "type": "array",
                            "minItems": 1,
                            "items": _ref(f"{title}Create"),
                        }
                    },
                    [collection],
                ),
            ]
        }
    found[f"{title}UpdateRequest"] = _object({name: _ref(f"{title}Update")}, [name])
    found[f"{title}Envelope"] = _object({name: _ref(title)}, [name])
    if resource.creatable:
        found[f"{title}Created"] = {
            "oneOf": [
                _ref(f"{title}Envelope"),
                _object(
                    {collection: {"type": "array", "items": _ref(title)}},
                    [collection],
                ),
            ]
        }
    found[f"{title}List"] = _object(
        {
            collection: {"type": "array", "items": _ref(listed)},
            **(links if resource.paged else {}),
        },
        [collection],
    )
    return found


def _json(schema: Schema, description: str) -> Schema:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def _faults(*codes: str) -> dict[str, Any]:
    return {code: {"$ref": f"#/components/responses/Fault{code}"} for code in codes}


def _array_query(name: str, items: Schema, description: str) -> Schema:
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": {"type": "array", "items": items},
    }


FIELDS_PARAMETER = {"$ref": "#/components/parameters/fields"}


def _list_parameters(resource: Resource) -> list[Schema]:
    if not resource.paged:
        # NOTE: every item, as it is: no fields, sort keys, paging or filters.
        return []
    sortable = [f.name for f in resource.fields if f.sortable and f.visible]
    parameters: list[Schema] = [
        FIELDS_PARAMETER,
        _array_query(
            "sort_key", {"type": "string", "enum": sortable}, "Sort keys, in order."
        ),
        _array_query(
            "sort_dir",
            {"type": "string", "enum": ["asc", "desc"]},
            "One per sort_key (none: all ascending).",
        ),
        {
            "name": "limit",
            "in": "query",
            "description": "Items per page; 0 or absent: pagination_max_limit.",
            "schema": {"type": "integer", "minimum": 0},
        },
        {
            "name": "marker",
            "in": "query",
            "description": "The id of the item the page starts after.",
            "schema": {"type": "string"},
        },
        {
            "name": "page_reverse",
            "in": "query",
            "description": "The page before the marker instead.",
            "schema": {"type": "boolean"},
        },
    ]
    for field in resource.fields:
        if field.filterable and (field.visible or field.filter_doc):
            parameters.append(
                _array_query(
                    field.name,
                    {"type": "string"},
                    field.filter_doc
                    or f"Filter: {field.name} equals one of the values.",
                )
            )
    return parameters


def _member_parameter(resource: Resource) -> Schema:
    schema = UUID if resource.id_schema is None else dict(resource.id_schema)
    return {
        "name": f"{resource.name}_id",
        "in": "path",
        "required": True,
        "schema": schema,
    }


def _shown(resource: Resource) -> Schema:
    """A show's answer: the item, or, where a collection action reads by the same
    method (``GET /quotas/tenant``, tried before a member of that id), the
    action's answer."""
    envelope = _ref(f"{_title(resource)}Envelope")
    reads = [a for a in resource.actions if a.collection and a.method == "GET"]
    if not reads:
        return envelope
    return {"oneOf": [envelope, *(_answer(a) for a in reads)]}


def _answer(action: Action) -> Schema:
    return {"type": "object"} if action.answer is None else dict(action.answer)


def _resource_paths(resource: Resource) -> dict[str, Any]:
    title, name, collection = _title(resource), resource.name, resource.collection
    member_id = f"{name}_id"
    at = resource.segment
    envelope = _ref(f"{title}Envelope")
    paths: dict[str, Any] = {
        f"/{at}": {
            "get": {
                "tags": [collection],
                "operationId": f"list_{collection}",
                "parameters": _list_parameters(resource),
                "responses": {
                    "200": _json(_ref(f"{title}List"), f"A page of {collection}."),
                    **_faults("400", "401", "403", "404", "503"),
                },
            },
            "post": {
                "tags": [collection],
                "operationId": f"create_{name}",
                "description": "One item, or several (all or nothing).",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": _ref(f"{title}CreateRequest")}
                    },
                },
                "responses": {
                    "201": _json(_ref(f"{title}Created"), "Created."),
                    **_faults("400", "401", "403", "404", "409", "413", "503"),
                },
            },
        },
        f"/{at}/{{{member_id}}}": {
            "parameters": [_member_parameter(resource)],
            "get": {
                "tags": [collection],
                "operationId": f"show_{name}",
                "parameters": [FIELDS_PARAMETER],
                "responses": {
                    "200": _json(_shown(resource), f"The {name}."),
                    **_faults("400", "401", "403", "404", "503"),
                },
            },
            "put": {
                "tags": [collection],
                "operationId": f"update_{name}",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {"schema": _ref(f"{title}UpdateRequest")}
                    },
                },
                "responses": {
                    "200": _json(envelope, "Updated."),
                    **_faults("400", "401", "403", "404", "409", "413", "503"),
                },
            },
            "delete": {
                "tags": [collection],
                "operationId": f"delete_{name}",
                "responses": {
                    "204": {"description": "Deleted."},
                    **_faults("400", "401", "403", "404", "409", "503"),
                },
            },
        },
    }
    # NOTE: a resource nobody may create or change (agents) answers POST and PUT
    # with 400 whatever the body; the document leaves those operations out.
    # (A resource that is not creatable, quotas, answers POST 501: left out too.)
    if not resource.creatable or not any(f.on_create for f in resource.fields):
        del paths[f"/{at}"]["post"]
    if not any(f.on_update for f in resource.fields):
        del paths[f"/{at}/{{{member_id}}}"]["put"]
    if not resource.paged:
        del paths[f"/{at}"]["get"]["parameters"]
        del paths[f"/{at}/{{{member_id}}}"]["get"]["parameters"]
        paths[f"/{at}"]["get"]["responses"]["200"]["description"] = f"All {collection}."
    for action in resource.actions:
        if action.collection:
            paths[f"/{at}/{action.name}"] = _action_path(resource, action)
        else:
            paths[f"/{at}/{{{member_id}}}/{action.name}"] = _action_path(
                resource, action
            )
    for below in resource.subpaths:
        paths.update(_subpaths(resource, below))
    if resource.parent is not None:
        parent = {
            "name": resource.parent.field,
            "in": "path",
            "required": True,
            "schema": UUID,
        }
        prefix = f"/{resource.parent.collection}/{{{resource.parent.field}}}"
        nested = {}
        for path, item in paths.items():
            item = dict(item)
            item["parameters"] = [parent, *item.get("parameters", [])]
            nested[prefix + path] = item
        paths = nested
    return paths


def _action_path(resource: Resource, action: Action) -> dict[str, Any]:
    method = action.method.lower()
    operation: dict[str, Any] = {
        "tags": [resource.collection],
        "operationId": f"{action.name}_{resource.name}",
        "description": action.doc
        or f"The member action {action.name} (policy rule {action.name}).",
    }
    if method != "get":
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    writes = ("409", "413") if method != "get" else ()
    operation["responses"] = {
        "200": _json(_answer(action), "Done."),
        **_faults("400", "401", "403", "404", *writes, "503"),
    }
    if action.collection:
        return {method: operation}
    return {"parameters": [_member_parameter(resource)], method: operation}


def _subpaths(resource: Resource, below: Subpath) -> dict[str, Any]:
    """The paths of a ``Subpath`` (an item's ``tags``): each method documented by
    the subpath's ``doc``."""
    member = _member_parameter(resource)
    key = {
        "name": "key",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
    }
    found: dict[str, Any] = {}
    base = f"/{resource.segment}/{{{resource.name}_id}}/{below.name}"
    for path, methods, params in (
        (base, below.methods, [member]),
        (base + "/{key}", below.key_methods, [member, key]),
    ):
        item: dict[str, Any] = {"parameters": params}
        for method in methods:
            operation: dict[str, Any] = {
                "tags": [resource.collection],
                "operationId": f"{method.lower()}_{resource.name}_{below.name}"
                + ("_key" if path != base else ""),
                "description": below.doc,
                "responses": {
                    "200": _json({"type": "object"}, "Done."),
                    "201": {"description": "Added."},
                    "204": {"description": "Done (no body)."},
                    **_faults("400", "401", "403", "404", "503"),
                },
            }
            if method in ("PUT", "POST") and path == base:
                operation["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            item[method.lower()] = operation
        found[path] = item
    return found


def _fixed_paths() -> dict[str, Any]:
    return {
        "/": {
            "get": {
                "operationId": "list_resources",
                "responses": {
                    "200": _json(_ref("ResourceIndex"), "What this API serves."),
                    **_faults("400", "401"),
                },
            }
        },
        "/extensions": {
            "get": {
                "tags": ["extensions"],
                "operationId": "list_extensions",
                "responses": {
                    "200": _json(
                        _object(
                            {
                                "extensions": {
                                    "type": "array",
                                    "items": _ref("Extension"),
                                }
                            },
                            ["extensions"],
                        ),
                        "The extensions served.",
                    ),
                    **_faults("400", "401"),
                },
            }
        },
        "/extensions/{alias}": {
            "parameters": [
                {
                    "name": "alias",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1},
                }
            ],
            "get": {
                "tags": ["extensions"],
                "operationId": "show_extension",
                "responses": {
                    "200": _json(
                        _object({"extension": _ref("Extension")}, ["extension"]),
                        "The extension.",
                    ),
                    **_faults("400", "401", "404"),
                },
            },
        },
    }


def _components(resources: Sequence[Resource]) -> dict[str, Any]:
    error = _object(
        {
            "type": {"type": "string"},
            "message": {"type": "string"},
            "detail": {"type": "string"},
        },
        ["type", "message", "detail"],
    )
    schemas: dict[str, Schema] = {
        "NeutronError": {
            **_object(
                {
                    "NeutronError": error,
                    "QuantumError": {"oneOf": [error, {"type": "string"}]},
                },
                ["NeutronError", "QuantumError"],
            ),
            "description": "NeutronError for openstacksdk and python-neutronclient; "
            "QuantumError for the Grizzly client: the same object for the types it "
            "has a class for, else the message alone.",
        },
        "Extension": _object(
            {
                key: {"type": "string"}
                for key in ("name", "alias", "description", "namespace", "updated")
            }
            | {"links": {"type": "array", "items": LINK}},
            ["name", "alias", "description", "namespace", "updated", "links"],
        ),
        "ResourceIndex": _object(
            {
                "resources": {
                    "type": "array",
                    "items": _object(
                        {
                            "name": {"type": "string"},
                            "collection": {"type": "string"},
                            "links": {"type": "array", "items": LINK},
                        },
                        ["name", "collection", "links"],
                    ),
                }
            },
            ["resources"],
        ),
    }
    for resource in resources:
        schemas.update(_item_schemas(resource))
    return {
        "parameters": {
            "fields": _array_query(
                "fields", {"type": "string"}, "Attributes to show (all when absent)."
            )
        },
        "responses": {
            f"Fault{code}": _json(_ref("NeutronError"), text)
            for code, text in FAULTS.items()
        },
        "schemas": schemas,
    }


def document(resources: Sequence[Resource] = EVERYTHING.resources) -> dict[str, Any]:
    """The OpenAPI document of the v2.0 API serving ``resources``."""
    paths: dict[str, Any] = {}
    for resource in resources:
        paths.update(_resource_paths(resource))
    paths.update(_fixed_paths())
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Quantum networking API",
            "version": "2.0",
            "description": DESCRIPTION,
            "license": {"name": "Apache-2.0"},
        },
        "servers": [{"url": "/v2.0"}],
        "paths": paths,
        "components": _components(resources),
    }


def render(resources: Sequence[Resource] = EVERYTHING.resources) -> str:
    """The document as etc/openapi/quantum-v2.0.json holds it."""
    return json.dumps(document(resources), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render())
