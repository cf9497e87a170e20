# SPDX-License-Identifier: Apache-2.0
"""The change feed by topic: the revision of the last write to each topic.

Revision ID: 0012
Revises: 0011
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_nopad_bin",
}
# NOTE: quantum.core.feed.Topic as of this revision; a later topic adds its row.
TOPICS = ("hosts", "networks", "ports", "qos", "subnets")


def upgrade() -> None:
    table = op.create_table(
        "store_topics",
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("topic", name="pk_store_topics"),
        sa.CheckConstraint("revision >= 0", name="ck_store_topics_revision"),
        **MYSQL,
    )
    # NOTE: every topic starts at the revision as it is: no agent misses a write
    # made before, and none is woken for one.
    now = op.get_bind().scalar(sa.text("SELECT revision FROM store_revision"))
    op.bulk_insert(table, [{"topic": t, "revision": int(now or 0)} for t in TOPICS])


def downgrade() -> None:
    op.drop_table("store_topics")
