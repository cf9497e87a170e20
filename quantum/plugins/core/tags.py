# SPDX-License-Identifier: Apache-2.0
"""Tags of networks, subnets and ports (``standard-attr-tag``), over the store.

Each resource type has its tag table (``quantum.db.models.NetworkTagRow`` ...),
whose primary key keeps a tag on an item once, and its rows carry the tags as
JSON too (``StandardAttributes.tags``), which is what reads show. A change writes
both in one transaction, after the row's UPDATE, which bumps ``revision_number``
conditionally on the revision read (``Database.run`` runs a loser again): so
concurrent changes of one item's tags apply one after the other.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, not_, select
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.db.models import (
    FloatingIpRow,
    FloatingIpTagRow,
    NetworkRow,
    NetworkTagRow,
    PortRow,
    PortTagRow,
    RouterRow,
    RouterTagRow,
    SubnetRow,
    SubnetTagRow,
)
from quantum.db.session import Database
from quantum.plugins.core.listing import Column

TABLES: Mapping[str, tuple[Any, Any]] = {
    "network": (NetworkRow, NetworkTagRow),
    "subnet": (SubnetRow, SubnetTagRow),
    "port": (PortRow, PortTagRow),
    "router": (RouterRow, RouterTagRow),
    "floatingip": (FloatingIpRow, FloatingIpTagRow),
}
"""Resource -> (its row, its tag row)."""

Change = Callable[[tuple[str, ...]], Sequence[str]]
"""An item's tags as they are -> as they become (raises to refuse)."""


class Tags:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(
        self, resource: str, item_id: str, missing: Callable[[str], exc.QuantumError]
    ) -> tuple[str, ...]:
        """The item's tags, sorted. Raises ``missing(item_id)``."""
        row_type, _ = TABLES[resource]

        def work(s: Session) -> tuple[str, ...]:
            found = s.execute(
                select(row_type.id, row_type.tags).where(row_type.id == item_id)
            ).one_or_none()
            if found is None:
                raise missing(item_id)
            return tuple(json.loads(found.tags)) if found.tags else ()

        return self.db.run(work, write=False)

    def change(
        self,
        resource: str,
        item_id: str,
        change: Change,
        missing: Callable[[str], exc.QuantumError],
    ) -> tuple[str, ...]:
        """Apply ``change`` to the item's tags in one transaction; the tags after.
        Raises ``missing(item_id)``, and what ``change`` raises."""
        row_type, tag_type = TABLES[resource]

        def work(s: Session) -> tuple[str, ...]:
            row = s.get(row_type, item_id)
            if row is None:
                raise missing(item_id)
            before = tuple(json.loads(row.tags)) if row.tags else ()
            after = tuple(sorted(set(change(before))))
            if after == before:
                return before
            # NOTE: the row's UPDATE first: it bumps the revision, conditionally
            # on the one read, and holds the row until the commit.
            row.tags = json.dumps(after) if after else None
            s.flush()
            s.execute(delete(tag_type).where(tag_type.resource_id == item_id))
            if after:
                s.execute(
                    insert(tag_type),
                    [{"resource_id": item_id, "tag": tag} for tag in after],
                )
            return after

        return self.db.run(work, write=True, bump_revision=False)


def _split(values: Sequence[object]) -> set[str]:
    """Filter values (each a tuple of tags, or one comma-separated text) as tags."""
    found: set[str] = set()
    for value in values:
        parts = value if isinstance(value, tuple) else str(value).split(",")
        found.update(str(p) for p in parts if p)
    return found


def tag_columns(id_column: Any, tag_type: Any) -> dict[str, Column]:
    """The tag filters of a resource's listing: ``tags`` (items with all of them),
    ``tags-any`` (with any), ``not-tags`` (without all of them together),
    ``not-tags-any`` (with none)."""

    def with_all(values: Sequence[object]) -> ColumnElement[bool]:
        tags = _split(values)
        found: ColumnElement[bool] = id_column.in_(
            select(tag_type.resource_id)
            .where(tag_type.tag.in_(tags))
            .group_by(tag_type.resource_id)
            .having(func.count() == len(tags))
        )
        return found

    def with_any(values: Sequence[object]) -> ColumnElement[bool]:
        found: ColumnElement[bool] = id_column.in_(
            select(tag_type.resource_id).where(tag_type.tag.in_(_split(values)))
        )
        return found

    return {
        "tags": Column(expr=id_column, sortable=False, matches=with_all),
        "tags-any": Column(expr=id_column, sortable=False, matches=with_any),
        "not-tags": Column(
            expr=id_column, sortable=False, matches=lambda v: not_(with_all(v))
        ),
        "not-tags-any": Column(
            expr=id_column, sortable=False, matches=lambda v: not_(with_any(v))
        ),
    }
