# SPDX-License-Identifier: Apache-2.0
"""The store revision: a counter every desired-state write bumps in its transaction.

``bump`` runs last in a write transaction (``Database.run`` calls it), so the row
lock is held only until commit and is always taken after the rows the work touched:
writers queue on it instead of deadlocking. A reader that sees revision N sees every
write of the transactions that produced revisions up to N.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from quantum.db.models import REVISION_ROW_ID, StoreRevisionRow


def bump(s: Session) -> None:
    """Add one to the revision, inside ``s``'s transaction."""
    s.execute(
        update(StoreRevisionRow)
        .where(StoreRevisionRow.id == REVISION_ROW_ID)
        .values(revision=StoreRevisionRow.revision + 1)
    )


def current(s: Session) -> int:
    """The revision as committed now (0 before the first write)."""
    value = s.scalar(
        select(StoreRevisionRow.revision).where(StoreRevisionRow.id == REVISION_ROW_ID)
    )
    return int(value or 0)
