# SPDX-License-Identifier: Apache-2.0
"""The agent API: the store revision (one row) and the agents' hosts.

Revision ID: 0003
Revises: 0002
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_nopad_bin",
}
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    table = op.create_table(
        "store_revision",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_store_revision"),
        # NOTE: exactly one row; every write bumps it, so a second row would split
        # the feed.
        sa.CheckConstraint("id = 1", name="ck_store_revision_one_row"),
        sa.CheckConstraint("revision >= 0", name="ck_store_revision_revision"),
        **MYSQL,
    )
    op.bulk_insert(table, [{"id": 1, "revision": 0}])
    op.create_table(
        "agent_hosts",
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("tunnel_ip", sa.String(64), nullable=True),
        sa.Column("tunnel_types", sa.String(64), nullable=False),
        sa.Column("agent_version", sa.String(64), nullable=False),
        sa.Column("last_seen", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("host", name="pk_agent_hosts"),
        **MYSQL,
    )
    op.create_index("ix_agent_hosts_last_seen", "agent_hosts", ["last_seen"])


def downgrade() -> None:
    op.drop_table("agent_hosts")
    op.drop_table("store_revision")
