# SPDX-License-Identifier: Apache-2.0
"""Agents in the API (spec §5.8): ``admin_state_up``, ``description`` and the
``configurations`` the agent reports.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "agent_hosts",
        sa.Column(
            "admin_state_up", sa.Boolean(), nullable=False, server_default=sa.true()
        ),
    )
    op.add_column(
        "agent_hosts",
        sa.Column("description", sa.String(255), nullable=False, server_default=""),
    )
    # NOTE: a JSON object; NULL is the empty one (TEXT has no default on MariaDB).
    op.add_column("agent_hosts", sa.Column("configurations", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("agent_hosts") as batch:
        batch.drop_column("configurations")
        batch.drop_column("description")
        batch.drop_column("admin_state_up")
