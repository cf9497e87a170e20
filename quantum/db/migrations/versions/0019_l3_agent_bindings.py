# SPDX-License-Identifier: Apache-2.0
"""The L3 agent that runs each router (``router_l3_agent_bindings``).

Revision ID: 0019
Revises: 0018
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_nopad_bin",
}


def upgrade() -> None:
    op.create_table(
        "router_l3_agent_bindings",
        sa.Column("router_id", sa.String(36), nullable=False),
        sa.Column("l3_agent_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("router_id", name="pk_router_l3_agent_bindings"),
        sa.ForeignKeyConstraint(
            ["router_id"],
            ["routers.id"],
            name="fk_router_l3_agent_bindings_router_id_routers",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["l3_agent_id"],
            ["agent_hosts.id"],
            name="fk_router_l3_agent_bindings_l3_agent_id_agent_hosts",
            ondelete="CASCADE",
        ),
        **MYSQL,
    )
    op.create_index(
        "ix_router_l3_agent_bindings_l3_agent_id",
        "router_l3_agent_bindings",
        ["l3_agent_id"],
    )


def downgrade() -> None:
    op.drop_table("router_l3_agent_bindings")
