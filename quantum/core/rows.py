# SPDX-License-Identifier: Apache-2.0
"""A store's rows as its domain items, declared once as expressions: the store
builds its items from the declaration, and a list may render a page straight
from the rows with the same expressions
(``quantum.api.v2.attributes.compile_page_view``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class RowShape:
    """How a store's rows are its domain items, as Python expressions over the
    rows' values (``compile_page_view``; the store builds its items from the same
    declaration, so a listed page cannot show what its items would not).

    A page's rows are tuples of ``columns`` (values of the item's own row) and
    ``extras`` (what the store read beside it: a port's fixed IPs), as
    ``(values, *extras)``; ``page`` names values given once per page (the dead
    agents' hosts). ``attrs`` maps each domain attribute to its expression over
    those names and ``namespace``'s (whose names start with ``_``)."""

    columns: tuple[str, ...]
    extras: tuple[str, ...] = ()
    page: tuple[str, ...] = ()
    attrs: Mapping[str, str]
    namespace: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    plain: frozenset[str] = frozenset()
    """Attributes whose values JSON takes as they are (text, numbers, a tuple
    of texts, a decoded JSON object): shown without a walk over them."""

    def __post_init__(self) -> None:
        names = (*self.columns, *self.extras, *self.page)
        bad = [n for n in names if not n.isidentifier() or n.startswith("_")]
        if bad or len(set(names)) != len(names):
            raise ValueError(f"row names must be distinct identifiers: {names}")
        if any(not n.startswith("_") for n in self.namespace):
            raise ValueError("a row shape's namespace names start with _")
        if not self.plain <= set(self.attrs):
            raise ValueError(
                f"plain, but no attributes: {self.plain - set(self.attrs)}"
            )

    @property
    def target(self) -> str:
        """What a loop over a page's rows binds (``(id, ...), fixed_ips``)."""
        return ", ".join((f"({', '.join(self.columns)},)", *self.extras))

    def maker(
        self, make: Callable[..., Any], defaults: Mapping[str, str]
    ) -> Callable[..., Any]:
        """``(values, *extras, *page) -> make(**attributes)``, compiled: the
        domain item of one row (``defaults``: expressions for the extras and page
        values not given)."""
        params = ["values"] + [
            f"{n}={defaults[n]}" if n in defaults else n
            for n in (*self.extras, *self.page)
        ]
        body = ", ".join(f"{a}={e}" for a, e in self.attrs.items())
        namespace = {**self.namespace, "_make": make}
        source = (
            f"def item({', '.join(params)}):\n"
            f"    ({', '.join(self.columns)},) = values\n"
            f"    return _make({body})\n"
        )
        exec(source, namespace)  # noqa: S102  # NOTE: the store's own declaration
        return namespace["item"]  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True, kw_only=True)
class RowPage:
    """A page of a store's rows in their ``shape``: ``rows`` in the page's order,
    ``page`` the values of ``shape.page``, ``ids`` the items' ids in order."""

    shape: RowShape
    rows: Sequence[Any]
    ids: Sequence[str]
    page: tuple[Any, ...] = ()
