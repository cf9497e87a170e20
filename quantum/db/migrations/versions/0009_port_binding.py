# SPDX-License-Identifier: Apache-2.0
"""Port binding (spec §5.7): ``binding:profile``, and why a port is down.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NOTE: the profile is a JSON object; NULL is the empty one (TEXT has no
    # default on MariaDB).
    op.add_column("ports", sa.Column("binding_profile", sa.Text(), nullable=True))
    op.add_column(
        "ports",
        sa.Column("status_reason", sa.String(255), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("ports") as batch:
        batch.drop_column("status_reason")
        batch.drop_column("binding_profile")
