# SPDX-License-Identifier: Apache-2.0
"""Agents get an id and a creation time, for ``/v2.0/agents``.

Revision ID: 0008
Revises: 0007
"""

import uuid

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.add_column("agent_hosts", sa.Column("id", sa.String(36), nullable=True))
    op.add_column("agent_hosts", sa.Column("created_at", TIMESTAMP, nullable=True))
    hosts = sa.table(
        "agent_hosts",
        sa.column("host", sa.String(255)),
        sa.column("id", sa.String(36)),
        sa.column("created_at", TIMESTAMP),
        sa.column("last_seen", TIMESTAMP),
    )
    bind = op.get_bind()
    for (host,) in bind.execute(sa.select(hosts.c.host)).all():
        bind.execute(
            hosts.update()
            .where(hosts.c.host == host)
            .values(id=str(uuid.uuid4()), created_at=hosts.c.last_seen)
        )
    with op.batch_alter_table("agent_hosts") as batch:
        batch.alter_column("id", existing_type=sa.String(36), nullable=False)
        batch.alter_column("created_at", existing_type=TIMESTAMP, nullable=False)
        batch.create_unique_constraint("uq_agent_hosts_id", ["id"])


def downgrade() -> None:
    with op.batch_alter_table("agent_hosts") as batch:
        batch.drop_constraint("uq_agent_hosts_id", type_="unique")
        batch.drop_column("created_at")
        batch.drop_column("id")
