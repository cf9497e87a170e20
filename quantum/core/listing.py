# SPDX-License-Identifier: Apache-2.0
"""How a caller asks for one page of a collection: filters, sort keys, marker."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final


class NoMatch(enum.Enum):
    NO_MATCH = "NO_MATCH"


NO_MATCH: Final = NoMatch.NO_MATCH
"""A filter value no item has (``status=BOGUS``: a wire value with no domain value;
``tenant_id=a&project_id=b``: two filters on one attribute that share no value)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SortKey:
    attribute: str
    ascending: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ListQuery:
    """One page of a collection, as the store computes it (keyset pagination).

    ``filters`` maps an attribute to the values it may take (OR); different
    attributes AND. An attribute is the domain item's (``binding_host_id``), or a
    name the store gives a filter of its own (``segment.network_type``,
    ``tags-any``); the v2 API names them from its fields (``Field.column``).
    Items come in ``sorts`` order with ``id`` ascending appended as the
    tie-breaker; ``marker`` is the id of the item the page starts after (before,
    with ``page_reverse``); ``limit`` None means every item.
    """

    filters: Mapping[str, tuple[object, ...]] = field(default_factory=dict)
    sorts: tuple[SortKey, ...] = ()
    limit: int | None = None
    marker: str | None = None
    page_reverse: bool = False
    reads: frozenset[str] | None = None
    """The item attributes the caller reads (``fields=``); None: all. A store may
    skip what only the others need (ports: the fixed-IP query), and give items
    whose other attributes are wrong or missing (ports: their rows)."""
