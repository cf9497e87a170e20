# SPDX-License-Identifier: Apache-2.0
"""Subnets' ``ipv6_ra_mode`` and ``ipv6_address_mode``.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("subnets", sa.Column("ipv6_ra_mode", sa.String(16), nullable=True))
    op.add_column(
        "subnets", sa.Column("ipv6_address_mode", sa.String(16), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("subnets") as batch:
        batch.drop_column("ipv6_address_mode")
        batch.drop_column("ipv6_ra_mode")
