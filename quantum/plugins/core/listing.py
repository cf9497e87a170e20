# SPDX-License-Identifier: Apache-2.0
"""Filters, sorting and keyset pagination, compiled to one SQL query.

A page is "the first ``limit`` rows strictly after the marker row in sort order",
with ``id`` appended as the last sort key so the order is total. The condition is
the lexicographic expansion ``(a > ma) OR (a = ma AND b > mb) OR ...``, so with an
index on the sort keys (``id`` alone: the primary key; a tenant's rows:
``(tenant_id, id)``) the database seeks straight to the page: its cost does not
grow with the number of rows before it, unlike ``OFFSET``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    bindparam,
    false,
    func,
    inspect,
    literal,
    or_,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import ColumnProperty, InstrumentedAttribute, Session

from quantum.core import exceptions as exc
from quantum.core.listing import NO_MATCH, ListQuery

Expr = ColumnElement[Any] | InstrumentedAttribute[Any]
"""A column, or an expression over columns, of the listed table."""


def _same(value: object) -> object:
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Column:
    """How one attribute is stored.

    ``expr`` is what is filtered and sorted on (a nullable column is coalesced so
    keyset comparisons never meet NULL); ``convert`` turns an API value into the
    stored one (None: the value cannot be stored, so it matches nothing);
    ``sortable`` is False for attributes outside the row (a join, a subquery).
    """

    expr: Expr
    convert: Callable[[object], object | None] = _same
    sortable: bool = True
    matches: Callable[[Sequence[object]], ColumnElement[bool]] | None = None
    """A custom filter for attributes that are not a plain column."""


class Columns(Protocol):
    """What a listing filters and sorts on, by the query's attribute names."""

    def get(self, attribute: str, /) -> Column | None: ...


def _stored(value: object) -> object:
    """A domain value as a column holds it (an enum: its value)."""
    return value.value if isinstance(value, enum.Enum) else value


def row_columns(row: type, **own: Column) -> Mapping[str, Column]:
    """The columns of a listing of ``row``, derived from the row: a domain
    attribute (``ListQuery`` names them: the v2 API from ``Field.column``) is the
    row's column of the same name, a nullable text column coalesced to ``""`` so
    keyset comparisons never meet NULL, an enum value compared as the value it
    stores. ``own`` adds the store's filters that are no column of the row
    (``tags-any``, ``fixed_ips``, ``segment.network_type``); they take precedence.
    Built once per store, at import."""
    found: dict[str, Column] = {}
    props: Sequence[ColumnProperty[Any]] = inspect(row).column_attrs
    for prop in props:
        (column,) = prop.columns
        expr: Expr = getattr(row, prop.key)
        if column.nullable and isinstance(column.type, String):
            expr = func.coalesce(expr, "")
        found[prop.key] = Column(expr=expr, convert=_stored)
    found.update(own)
    return found


def where_filters(
    columns: Columns, filters: Mapping[str, Sequence[object]]
) -> list[ColumnElement[bool]]:
    """One condition per filtered attribute; unknown attributes are ignored."""
    conditions = []
    for attribute, values in filters.items():
        column = columns.get(attribute)
        if column is None or not values:
            continue
        if column.matches is not None:
            conditions.append(column.matches(values))
            continue
        # NOTE: the v2 API refuses a query string holding what no back-end can
        # store (core/text.py), so every value here can be compared.
        stored = [
            v
            for v in (column.convert(v) for v in values if v is not NO_MATCH)
            if v is not None
        ]
        conditions.append(column.expr.in_(stored) if stored else false())
    return conditions


def sort_keys(
    columns: Columns, query: ListQuery, id_expr: Expr
) -> list[tuple[Expr, bool]]:
    """(expression, ascending) in order, ``id`` last; flipped for page_reverse."""
    keys: list[tuple[Expr, bool]] = []
    seen_id = False
    for key in query.sorts:
        column = columns.get(key.attribute)
        if column is None or not column.sortable:
            raise exc.InvalidInput(reason=f"{key.attribute} is not a sort key")
        keys.append((column.expr, key.ascending))
        seen_id = seen_id or column.expr is id_expr
    if not seen_id:
        keys.append((id_expr, True))
    if query.page_reverse:
        keys = [(expr, not asc) for expr, asc in keys]
    return keys


def after(
    keys: Sequence[tuple[Expr, bool]], values: Sequence[Any]
) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order of ``keys``."""
    # NOTE: bound as parameters of the column's type: SQLAlchemy refuses ``<`` and
    # ``>`` against a Python True/False (the marker row of a boolean sort key).
    bound = [
        literal(v, type_=expr.type) for (expr, _), v in zip(keys, values, strict=True)
    ]
    return _after_bound(keys, bound)


def _after_bound(
    keys: Sequence[tuple[Expr, bool]], bound: Sequence[Any]
) -> ColumnElement[bool]:
    """``after``, the marker's values being ``bound`` (one element per key)."""
    branches = []
    for i, (expr, asc) in enumerate(keys):
        equal = [keys[j][0] == bound[j] for j in range(i)]
        branches.append(and_(*equal, expr > bound[i] if asc else expr < bound[i]))
    return or_(*branches)


def page(
    s: Session | Connection,
    base: Any,
    columns: Columns,
    id_expr: Expr,
    query: ListQuery,
    visible: Sequence[ColumnElement[bool]] = (),
    *,
    core: bool = False,
    wrap: Callable[[Any, Sequence[tuple[Expr, bool]]], Any] | None = None,
) -> list[Any]:
    """The rows of ``base`` on the requested page, in the requested order.

    ``visible`` scopes both the page and the marker: a marker the caller cannot
    see is MarkerNotFound. ``core``: ``base`` selects columns, not ORM entities,
    and runs on the session's connection (PERF: no ORM step per statement);
    ``s`` may be that connection (``Database.read``).
    ``wrap``: the statement run is ``wrap(page's statement, its sort keys)``
    (what the page's rows join), which orders its rows by those keys as they come
    (the rows are then reversed for ``page_reverse``, as the page's own).
    """
    keys = sort_keys(columns, query, id_expr)
    statement = base.where(*visible, *where_filters(columns, query.filters))
    if query.marker is not None and query.limit is not None:
        marker_values = s.execute(
            select(*(expr for expr, _ in keys)).where(id_expr == query.marker, *visible)
        ).one_or_none()
        if marker_values is None:
            raise exc.MarkerNotFound(marker=query.marker)
        statement = statement.where(after(keys, tuple(marker_values)))
    statement = statement.order_by(
        *(expr.asc() if asc else expr.desc() for expr, asc in keys)
    )
    if query.limit is not None:
        statement = statement.limit(query.limit)
    if wrap is not None:
        statement = wrap(statement, keys)
    run: Callable[[Any], Any]
    if isinstance(s, Connection):
        run = s.execute
    else:
        run = s.connection().execute if core else s.execute
    rows = list(run(statement).all())
    if query.page_reverse:
        rows.reverse()
    return rows


PREPARED_SHAPES = 256
"""Statements a ``PreparedPage`` keeps (one per shape of query and back-end)
before it starts over."""


@dataclass(frozen=True, slots=True)
class _Prepared:
    statement: Any
    keys: list[tuple[Expr, bool]]
    processors: tuple[Callable[[Any], Any] | None, ...]


class PreparedPage:
    """``page``'s statement built once per shape of query (which attributes are
    filtered and by how many values, the sorts, whether there is a limit and a
    marker, ``page_reverse``) and back-end, its values bound per request; the
    rows as the driver gives them (``rows``).

    PERF: a list of 1,000 ports built its SELECT (the page a subquery joined
    with its addresses: 23 column proxies, a cache key) and SQLAlchemy's 1,000
    result rows at every request; the DBAPI rows are tuples already.

    ``scope``: the columns a caller's scope compares equal to its values (a
    tenant's ``tenant_id``; an admin gives none). A filter that is no plain
    column (``Column.matches``), or whose values match nothing, is not
    prepared: ``rows`` gives None, and the caller runs ``page``."""

    def __init__(
        self,
        base: Any,
        columns: Columns,
        id_expr: Expr,
        scope: Sequence[Expr],
        *,
        wrap: Callable[[Any, Sequence[tuple[Expr, bool]], bool, Any, str], Any]
        | None = None,
    ) -> None:
        """``wrap``: as ``page``'s, given ``page_reverse`` too and the page's
        statement without its limit, the limit's bind parameter (None: no
        limit), to apply itself (``edge`` is bound to the limit less one), and
        the back-end's name."""
        self.base = base
        self.columns = columns
        self.id_expr = id_expr
        self.scope = tuple(scope)
        self.wrap = wrap
        self._built: dict[Hashable, _Prepared] = {}

    def rows(
        self, s: Session | Connection, query: ListQuery, scope: Sequence[object]
    ) -> tuple[list[Any], tuple[Callable[[Any], Any] | None, ...]] | None:
        """The page's DBAPI rows, in the requested order, and each column's
        result processor (what SQLAlchemy would have made of its value; None:
        the value as it is); None when the query is not prepared (above)."""
        filters: list[tuple[str, int]] = []
        values: list[object] = []
        for attribute, given in query.filters.items():
            column = self.columns.get(attribute)
            if column is None or not given:
                continue
            if column.matches is not None:
                return None
            stored = [
                v
                for v in (column.convert(v) for v in given if v is not NO_MATCH)
                if v is not None
            ]
            if not stored:
                return None
            filters.append((attribute, len(stored)))
            values.extend(stored)
        marker = query.marker if query.limit is not None else None
        connection = s if isinstance(s, Connection) else s.connection()
        key = (
            connection.dialect.name,
            len(scope),
            tuple(filters),
            tuple((k.attribute, k.ascending) for k in query.sorts),
            query.limit is not None,
            marker is not None,
            query.page_reverse,
        )
        found = self._built.get(key)
        if found is None:
            found = self._build(connection.dialect, query, len(scope), filters)
            if len(self._built) >= PREPARED_SHAPES:
                self._built.clear()
            self._built[key] = found
        params: dict[str, object] = {f"v{i}": v for i, v in enumerate(scope)}
        params.update((f"f{i}", v) for i, v in enumerate(values))
        if marker is not None:
            visible = [
                e == v for e, v in zip(self.scope[: len(scope)], scope, strict=True)
            ]
            marker_values = s.execute(
                select(*(expr for expr, _ in found.keys)).where(
                    self.id_expr == marker, *visible
                )
            ).one_or_none()
            if marker_values is None:
                raise exc.MarkerNotFound(marker=marker)
            params.update((f"m{i}", v) for i, v in enumerate(marker_values))
        if query.limit is not None:
            if query.limit < 1:
                return None
            params["lim"] = query.limit
            params["edge"] = query.limit - 1
        result = connection.execute(found.statement, params)
        try:
            rows = list(result.cursor.fetchall())
        finally:
            result.close()
        if query.page_reverse:
            rows.reverse()
        return rows, found.processors

    def _build(
        self,
        dialect: Any,
        query: ListQuery,
        scoped: int,
        filters: Sequence[tuple[str, int]],
    ) -> _Prepared:
        """The statement of ``query``'s shape, its values as bind parameters
        (``v<i>`` the scope's, ``f<i>`` the filters', ``m<i>`` the marker's,
        ``lim`` the limit, ``edge`` the limit less one)."""
        keys = sort_keys(self.columns, query, self.id_expr)
        conditions: list[ColumnElement[bool]] = [
            expr == bindparam(f"v{i}", type_=expr.type)
            for i, expr in enumerate(self.scope[:scoped])
        ]
        at = 0
        for attribute, count in filters:
            column = self.columns.get(attribute)
            assert column is not None  # noqa: S101  # NOTE: rows found it
            expr = column.expr
            conditions.append(
                expr.in_(
                    [bindparam(f"f{at + j}", type_=expr.type) for j in range(count)]
                )
            )
            at += count
        if query.marker is not None and query.limit is not None:
            bound = [
                bindparam(f"m{i}", type_=expr.type) for i, (expr, _) in enumerate(keys)
            ]
            conditions.append(_after_bound(keys, bound))
        statement = self.base.where(*conditions).order_by(
            *(expr.asc() if asc else expr.desc() for expr, asc in keys)
        )
        limit = None if query.limit is None else bindparam("lim", type_=Integer)
        if self.wrap is not None:
            statement = self.wrap(
                statement, keys, query.page_reverse, limit, dialect.name
            )
        elif limit is not None:
            statement = statement.limit(limit)
        processors = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in statement.selected_columns
        )
        return _Prepared(statement=statement, keys=keys, processors=processors)
