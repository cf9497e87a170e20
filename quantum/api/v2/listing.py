# SPDX-License-Identifier: Apache-2.0
"""Query strings of v2 list requests (spec §1.8): filters, fields, sort, paging.

``parse`` turns the query into the store's ``ListQuery`` plus the fields to show,
naming each attribute as the store does (``Field.column``);
``links`` builds the ``<collection>_links`` of a page. Paging is always on: an
absent or zero ``limit`` (or one above it) is ``pagination_max_limit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from webob.multidict import MultiDict

from quantum.api.v2.attributes import Resource
from quantum.core import exceptions as exc
from quantum.core.listing import NO_MATCH, ListQuery, SortKey
from quantum.core.scope import Scope

RESERVED = frozenset(
    {"fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse"}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Listing:
    query: ListQuery
    fields: tuple[str, ...]
    """Attributes to show; empty: all."""


def fields_of(params: MultiDict[str, str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in params.getall("fields") if v))


def _filters(
    params: MultiDict[str, str], resource: Resource, scope: Scope
) -> dict[str, tuple[Any, ...]]:
    """The filters by the store's name of each attribute (``Field.column``): the
    values of one attribute OR; two attributes on one column (``tenant_id`` and
    ``project_id``) AND, so the column takes the values they share."""
    found: dict[str, list[Any]] = {}
    for key, value in params.items():
        if key in RESERVED or value == "":
            continue
        field = resource.field(key)
        # NOTE: filters on unknown attributes are ignored (spec §1.8), and so are
        # filters a caller could use to probe attributes it may not see.
        if (
            field is None
            or not field.filterable
            or (field.admin_only and not scope.is_admin)
        ):
            continue
        found.setdefault(key, []).append(field.query(value))
    filters: dict[str, tuple[Any, ...]] = {}
    for key, values in found.items():
        column = resource.column(key)
        if column in filters:
            shared = tuple(v for v in filters[column] if v in values)
            filters[column] = shared or (NO_MATCH,)
        else:
            filters[column] = tuple(values)
    return filters


def _sorts(params: MultiDict[str, str], resource: Resource) -> tuple[SortKey, ...]:
    keys = params.getall("sort_key")
    dirs = params.getall("sort_dir")
    if dirs and len(dirs) != len(keys):
        raise exc.InvalidInput(reason="the numbers of sort_key and sort_dir differ")
    sorts = []
    for i, key in enumerate(keys):
        field = resource.field(key)
        if field is None or not field.sortable:
            raise exc.InvalidInput(
                reason=f"{key} is not a sort key of {resource.collection}"
            )
        direction = dirs[i] if dirs else "asc"
        if direction not in ("asc", "desc"):
            raise exc.InvalidInput(
                reason=f"sort_dir must be asc or desc, not {direction}"
            )
        sorts.append(
            SortKey(attribute=resource.column(key), ascending=direction == "asc")
        )
    return tuple(sorts)


def _limit(params: MultiDict[str, str], max_limit: int) -> int | None:
    text = params.get("limit")
    limit = 0
    if text is not None:
        try:
            limit = int(text)
        except ValueError:
            raise exc.InvalidInput(
                reason=f"limit must be an integer, not {text}"
            ) from None
        if limit < 0:
            raise exc.InvalidInput(reason=f"limit must be 0 or more, not {text}")
    if max_limit < 0:
        return limit or None
    return min(limit, max_limit) if limit else max_limit


def parse(
    params: MultiDict[str, str], resource: Resource, scope: Scope, max_limit: int
) -> Listing:
    """Raises InvalidInput (400) for a bad sort or limit, or a bad filter value."""
    limit = _limit(params, max_limit)
    marker = params.get("marker") or None
    fields = fields_of(params)
    query = ListQuery(
        filters=_filters(params, resource, scope),
        sorts=_sorts(params, resource),
        limit=limit,
        marker=marker if limit is not None else None,
        page_reverse=limit is not None
        and params.get("page_reverse", "").lower() == "true",
        reads=_reads(resource, fields),
    )
    return Listing(query=query, fields=fields)


def _reads(resource: Resource, fields: tuple[str, ...]) -> frozenset[str] | None:
    """The domain attributes the shown ``fields`` read (``id`` always: the page's
    links); None: all of them (no ``fields``, or one computed by a render hook)."""
    if not fields:
        return None
    reads = {"id"}
    for name in fields:
        field = resource.field(name)
        if field is None:
            continue
        # NOTE: as_is too, as when tags had a render hook: such a list is
        # rendered whole, its keys in the order fields= names them.
        if field.computed or field.as_is or field.attr is None:
            return None
        reads.add(field.attr)
    return frozenset(reads)


def links(
    url: str, params: MultiDict[str, str], query: ListQuery, ids: Sequence[str]
) -> list[dict[str, str]]:
    """The next/previous links of a page whose items have ``ids``."""
    if query.limit is None:
        return []
    short = len(ids) < query.limit
    if short and "limit" not in params and "marker" not in params:
        # NOTE: paging the client did not ask for, and everything fit: no links.
        return []
    kept = [(k, v) for k, v in params.items() if k not in ("marker", "page_reverse")]
    found = []
    if not (short and not query.page_reverse):
        marker = [("marker", ids[-1])] if ids else []
        found.append({"rel": "next", "href": f"{url}?{urlencode(kept + marker)}"})
    if not (short and query.page_reverse):
        marker = [("marker", ids[0])] if ids else []
        backwards = urlencode([*kept, *marker, ("page_reverse", "True")])
        found.append({"rel": "previous", "href": f"{url}?{backwards}"})
    return found
