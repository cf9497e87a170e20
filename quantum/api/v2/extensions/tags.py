# SPDX-License-Identifier: Apache-2.0
"""``standard-attr-tag`` (also listed as ``tag-ext`` and ``tag``, the aliases
older clients look for): tags on networks, subnets and ports.

* ``tags``: read-only in the item, sorted;
* ``/<collection>/<id>/tags``: GET ``{"tags": [...]}``, PUT ``{"tags": [...]}``
  replaces them all (200, the tags), POST ``{"tags": [...]}`` adds them (201, the
  tags; openstacksdk's ``add_tags``), DELETE removes them all (204);
* ``/<collection>/<id>/tags/<tag>``: PUT adds one (201), GET is 204 when the item
  has it (404 otherwise), DELETE removes it (204; 404 when it has not);
* list filters ``tags`` (all of them), ``tags-any``, ``not-tags`` (not all of them),
  ``not-tags-any`` (none of them), each comma-separated.

Reading them needs ``get_<resource>`` on the item, changing them
``update_<resource>``; a change bumps the item's ``revision_number``. A tag is 1
to 60 characters without a comma; an item has at most 50 (400 otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import (
    Extend,
    Extension,
    Field,
    Subpath,
    SubRequest,
)
from quantum.api.v2.extensions.standard import RESOURCES
from quantum.core import exceptions as exc
from quantum.core.text import TAG_MAX, TAGS_MAX

SCHEMA = {"type": "array", "items": {"type": "string", "maxLength": TAG_MAX}}


def check_tag(tag: Any) -> str:
    """A tag as given, or InvalidInput (400)."""
    if not isinstance(tag, str) or not tag:
        raise exc.InvalidInput(reason=f"'{tag}' is not a tag: a non-empty string")
    if len(tag) > TAG_MAX:
        raise exc.InvalidInput(reason=f"a tag is at most {TAG_MAX} characters")
    if "," in tag:
        raise exc.InvalidInput(reason="a tag may not contain a comma")
    return tag


def check_count(tags: Sequence[str]) -> Sequence[str]:
    if len(set(tags)) > TAGS_MAX:
        raise exc.InvalidInput(reason=f"an item has at most {TAGS_MAX} tags")
    return tags


def _body_tags(body: Any) -> list[str]:
    if not isinstance(body, dict) or set(body) != {"tags"}:
        raise exc.InvalidInput(reason="the body must be {'tags': [...]}")
    tags = body["tags"]
    if not isinstance(tags, list):
        raise exc.InvalidInput(reason="tags must be a list")
    return list(check_count([check_tag(t) for t in tags]))


def store_of(plugin: Any) -> Any:
    """The plugin's tag store (``quantum.plugins.core.tags.Tags``)."""
    return plugin.tags


def serve(request: SubRequest) -> tuple[str, Any]:
    store = store_of(request.plugin)
    name, item_id = request.resource.name, request.item_id
    missing = request.resource.missing
    method, key = request.method, request.key
    if key is None:
        if method == "GET":
            return "200 OK", {"tags": list(store.get(name, item_id, missing))}
        if method == "POST":
            more = _body_tags(request.body)
            after = store.change(
                name, item_id, lambda tags: check_count([*tags, *more]), missing
            )
            return "201 Created", {"tags": list(after)}
        wanted = _body_tags(request.body) if method == "PUT" else []
        after = store.change(name, item_id, lambda _: wanted, missing)
        if method == "PUT":
            return "200 OK", {"tags": list(after)}
        return "204 No Content", None
    tag = check_tag(key)

    def not_found() -> exc.QuantumError:
        return exc.TagNotFound(tag=tag, resource=name, resource_id=item_id)

    if method == "GET":
        if tag not in store.get(name, item_id, missing):
            raise not_found()
        return "204 No Content", None
    if method == "PUT":
        store.change(name, item_id, lambda tags: check_count([*tags, tag]), missing)
        return "201 Created", None

    def without(tags: tuple[str, ...]) -> list[str]:
        if tag not in tags:
            raise not_found()
        return [t for t in tags if t != tag]

    store.change(name, item_id, without, missing)
    return "204 No Content", None


def _split(name: str, text: str) -> tuple[str, ...]:
    return tuple(t for t in text.split(",") if t)


def _filter(name: str, doc: str) -> Field:
    return Field(
        name=name,
        attr=None,
        column=name,
        visible=False,
        on_create=False,
        sortable=False,
        query_convert=_split,
        filter_doc=doc,
    )


TAGS = Subpath(
    name="tags",
    serve=serve,
    methods=("GET", "PUT", "POST", "DELETE"),
    doc="The item's tags (standard-attr-tag): GET {tags}; PUT {tags} replaces "
    "them (200), POST {tags} adds them (201), DELETE removes them (204). Below "
    "/{key}, one tag: PUT adds it (201), GET is 204 if the item has it, DELETE "
    "removes it (204); 404 TagNotFound. A tag is 1-60 characters without a comma; "
    "an item has at most 50.",
)

FIELDS = (
    Field(
        name="tags",
        # PERF: the tuple as it is (JSON shows it as a list), no walk over it.
        as_is=True,
        on_create=False,
        sortable=False,
        query_convert=_split,
        schema=SCHEMA,
        filter_doc="Filter: items with every tag of the comma-separated list.",
    ),
    _filter("tags-any", "Filter: items with any tag of the comma-separated list."),
    _filter(
        "not-tags",
        "Filter: items without every tag of the comma-separated list together.",
    ),
    _filter("not-tags-any", "Filter: items with no tag of the comma-separated list."),
)

EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="standard-attr-tag",
        name="Tag support for resources with standard attribute: network, subnet, port",
        description="Enables to set tag on resources with standard attribute.",
        namespace="http://docs.openstack.org/ext/standard-attr-tag/api/v2.0",
        updated="2017-01-01T00:00:00-00:00",
    ),
    extends={name: Extend(fields=FIELDS, subpaths=(TAGS,)) for name in RESOURCES},
)

ALIASES = tuple(
    Extension(
        descriptor=ExtensionDescriptor(
            alias=alias,
            name=name,
            description=f"Tags on {what} (served as standard-attr-tag).",
            namespace=f"http://docs.openstack.org/ext/{alias}/api/v2.0",
            updated=updated,
        )
    )
    for alias, name, what, updated in (
        ("tag", "Tag support", "networks", "2016-01-01T00:00:00-00:00"),
        (
            "tag-ext",
            "Tag support for resources: subnet, port",
            "subnets and ports",
            "2017-01-01T00:00:00-00:00",
        ),
    )
)
"""The older aliases, listed so that clients probing them find tags."""
