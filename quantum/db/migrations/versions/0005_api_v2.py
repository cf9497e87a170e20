# SPDX-License-Identifier: Apache-2.0
"""The v2 API: shared/external networks, port attributes and MACs, quotas.

Revision ID: 0005
Revises: 0004
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_nopad_bin",
}


def upgrade() -> None:
    op.add_column(
        "networks",
        sa.Column("shared", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "networks",
        sa.Column(
            "router_external", sa.Boolean(), nullable=False, server_default=sa.false()
        ),
    )
    op.create_index("ix_networks_tenant_id_id", "networks", ["tenant_id", "id"])
    for name in ("name", "device_id", "device_owner", "binding_host_id"):
        op.add_column(
            "ports",
            sa.Column(name, sa.String(255), nullable=False, server_default=""),
        )
    op.add_column("ports", sa.Column("mac_address", sa.String(17), nullable=True))
    op.create_index(
        "uq_ports_network_id_mac_address",
        "ports",
        ["network_id", "mac_address"],
        unique=True,
    )
    op.create_index("ix_ports_tenant_id_id", "ports", ["tenant_id", "id"])
    op.create_index("ix_ports_device_id", "ports", ["device_id"])
    op.create_table(
        "quotas",
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("resource", sa.String(64), nullable=False),
        sa.Column("hard_limit", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "resource", name="pk_quotas"),
        **MYSQL,
    )
    op.create_table(
        "quota_locks",
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("creates", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_quota_locks"),
        **MYSQL,
    )


def downgrade() -> None:
    op.drop_table("quota_locks")
    op.drop_table("quotas")
    op.drop_index("ix_ports_device_id", "ports")
    op.drop_index("ix_ports_tenant_id_id", "ports")
    op.drop_index("uq_ports_network_id_mac_address", "ports")
    with op.batch_alter_table("ports") as batch:
        for name in ("mac_address", "binding_host_id", "device_owner", "device_id"):
            batch.drop_column(name)
        batch.drop_column("name")
    op.drop_index("ix_networks_tenant_id_id", "networks")
    with op.batch_alter_table("networks") as batch:
        batch.drop_column("router_external")
        batch.drop_column("shared")
