# SPDX-License-Identifier: Apache-2.0
"""How a caller asks for one page of a collection: filters, sort keys, marker."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, kw_only=True)
class SortKey:
    attribute: str
    ascending: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class ListQuery:
    """One page of a collection, as the store computes it (keyset pagination).

    ``filters`` maps an attribute to the values it may take (OR); different
    attributes AND. Items come in ``sorts`` order with ``id`` ascending appended as
    the tie-breaker; ``marker`` is the id of the item the page starts after (before,
    with ``page_reverse``); ``limit`` None means every item.
    """

    filters: Mapping[str, tuple[object, ...]] = field(default_factory=dict)
    sorts: tuple[SortKey, ...] = ()
    limit: int | None = None
    marker: str | None = None
    page_reverse: bool = False
