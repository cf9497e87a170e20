# SPDX-License-Identifier: Apache-2.0
"""Networks scheduled to DHCP agents.

Revision ID: 0015
Revises: 0014
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_nopad_bin",
}


def upgrade() -> None:
    op.create_table(
        "network_dhcp_agents",
        sa.Column("network_id", sa.String(36), nullable=False),
        sa.Column("agent_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint(
            "network_id", "agent_id", name="pk_network_dhcp_agents"
        ),
        sa.ForeignKeyConstraint(
            ["network_id"],
            ["networks.id"],
            name="fk_network_dhcp_agents_network_id_networks",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agent_hosts.id"],
            name="fk_network_dhcp_agents_agent_id_agent_hosts",
            ondelete="CASCADE",
        ),
        **MYSQL,
    )
    op.create_index(
        "ix_network_dhcp_agents_agent_id", "network_dhcp_agents", ["agent_id"]
    )


def downgrade() -> None:
    op.drop_table("network_dhcp_agents")
