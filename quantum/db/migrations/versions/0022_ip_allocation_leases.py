# SPDX-License-Identifier: Apache-2.0
"""When an address's DHCP lease ends, as its DHCP agent last reported
(``ip_allocations.lease_expires_at``).

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    op.add_column(
        "ip_allocations", sa.Column("lease_expires_at", Timestamp, nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("ip_allocations") as batch:
        batch.drop_column("lease_expires_at")
