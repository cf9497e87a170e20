# SPDX-License-Identifier: Apache-2.0
"""The ``loadbalancers`` change-feed topic's row: 0023 placed the load-balancing
tables under that topic but gave it no ``store_topics`` row, so their writes
stamped nothing and a wait on the topic never ended early.

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NOTE: at the revision as it is (0020's reasoning): nothing written before is
    # missed by a follower that starts from here.
    now = op.get_bind().scalar(sa.text("SELECT revision FROM store_revision"))
    op.bulk_insert(
        sa.table(
            "store_topics",
            sa.column("topic", sa.String(32)),
            sa.column("revision", sa.BigInteger()),
        ),
        [{"topic": "loadbalancers", "revision": int(now or 0)}],
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM store_topics WHERE topic = 'loadbalancers'"))
