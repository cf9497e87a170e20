# SPDX-License-Identifier: Apache-2.0
"""The ``security_groups`` change-feed topic: groups, rules and their ports'
bindings wake the Open vSwitch agents only (they were ``ports``, which every kind
follows).

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NOTE: at the revision as it is: no agent misses a write made before.
    now = op.get_bind().scalar(sa.text("SELECT revision FROM store_revision"))
    op.bulk_insert(
        sa.table(
            "store_topics",
            sa.column("topic", sa.String(32)),
            sa.column("revision", sa.BigInteger()),
        ),
        [{"topic": "security_groups", "revision": int(now or 0)}],
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM store_topics WHERE topic = 'security_groups'"))
