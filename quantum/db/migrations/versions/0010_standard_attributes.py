# SPDX-License-Identifier: Apache-2.0
"""Standard attributes of networks, subnets and ports: ``description``,
``updated_at`` (``created_at`` was there), ``revision_number``, and tags: a
table each (what filters use; its key keeps a tag on an item once) and a copy on
the row (what reads use).

Revision ID: 0010
Revises: 0009
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_nopad_bin",
}
TABLES = (
    ("networks", "network_tags"),
    ("subnets", "subnet_tags"),
    ("ports", "port_tags"),
)
Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    for table, tags in TABLES:
        op.add_column(
            table,
            sa.Column("description", sa.String(255), nullable=False, server_default=""),
        )
        op.add_column(table, sa.Column("updated_at", Timestamp, nullable=True))
        op.add_column(
            table,
            sa.Column(
                "revision_number", sa.BigInteger(), nullable=False, server_default="0"
            ),
        )
        op.add_column(table, sa.Column("tags", sa.Text(), nullable=True))
        # NOTE: the primary key is what keeps a tag on a resource once, however
        # many requests add it at the same time.
        op.create_table(
            tags,
            sa.Column("resource_id", sa.String(36), nullable=False),
            sa.Column("tag", sa.String(60), nullable=False),
            sa.PrimaryKeyConstraint("resource_id", "tag", name=f"pk_{tags}"),
            sa.ForeignKeyConstraint(
                ["resource_id"],
                [f"{table}.id"],
                name=f"fk_{tags}_resource_id_{table}",
                ondelete="CASCADE",
            ),
            **MYSQL,
        )
        op.create_index(f"ix_{tags}_tag", tags, ["tag"])


def downgrade() -> None:
    for table, tags in reversed(TABLES):
        op.drop_index(f"ix_{tags}_tag", tags)
        op.drop_table(tags)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("tags")
            batch.drop_column("revision_number")
            batch.drop_column("updated_at")
            batch.drop_column("description")
