# SPDX-License-Identifier: Apache-2.0
"""A port waiting for its DHCP agents (``ports.dhcp_provisioning``).

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "ports",
        sa.Column(
            "dhcp_provisioning", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("ports") as batch:
        batch.drop_column("dhcp_provisioning")
