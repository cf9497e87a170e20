# SPDX-License-Identifier: Apache-2.0
"""Conditional deletes (``If-Match: revision_number=N``): the condition is part of
the DELETE itself (``... WHERE id = :id AND revision_number IN (:n)``), so a write
that commits between the caller's read and the delete cannot be deleted over; when
no row went, ``stale`` says why."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc


def at_revisions(query: Any, row_type: Any, revisions: Sequence[int]) -> Any:
    """``query`` (a DELETE of one row of ``row_type``) limited to ``revisions``
    (none: unconditional)."""
    if not revisions:
        return query
    return query.where(row_type.revision_number.in_(list(revisions)))


def stale(
    s: Session, row_type: Any, item_id: str, revisions: Sequence[int]
) -> exc.RevisionNumberConstraintFailed | None:
    """After a conditional DELETE of ``item_id`` that deleted nothing: the 412 if
    the row is there at another revision; None if it is gone (the caller's
    not-found)."""
    current = s.scalar(select(row_type.revision_number).where(row_type.id == item_id))
    if current is None:
        return None
    return exc.RevisionNumberConstraintFailed(
        expected=" or ".join(map(str, revisions)), current=current
    )
