# SPDX-License-Identifier: Apache-2.0
"""Network segments and the segment ids in use (the Open vSwitch plugin).

Revision ID: 0002
Revises: 0001
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_nopad_bin",
}


def _network_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["network_id"],
        ["networks.id"],
        name=f"fk_{table}_network_id_networks",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "network_segments",
        sa.Column("network_id", sa.String(36), nullable=False),
        sa.Column("network_type", sa.String(16), nullable=False),
        sa.Column("physical_network", sa.String(64), nullable=True),
        sa.Column("segmentation_id", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("network_id", name="pk_network_segments"),
        _network_fk("network_segments"),
        **MYSQL,
    )
    # NOTE: uniqueness of ids in use lives in these NOT NULL primary keys, not in a
    # UNIQUE over network_segments, whose NULL physical_network (tunnels) would let
    # duplicates through on every back-end.
    op.create_table(
        "vlan_allocations",
        sa.Column("physical_network", sa.String(64), nullable=False),
        sa.Column("vlan_id", sa.Integer(), nullable=False),
        sa.Column("network_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint(
            "physical_network", "vlan_id", name="pk_vlan_allocations"
        ),
        _network_fk("vlan_allocations"),
        **MYSQL,
    )
    op.create_index(
        "ix_vlan_allocations_network_id", "vlan_allocations", ["network_id"]
    )
    op.create_table(
        "tunnel_allocations",
        sa.Column("tunnel_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("network_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("tunnel_id", name="pk_tunnel_allocations"),
        _network_fk("tunnel_allocations"),
        **MYSQL,
    )
    op.create_index(
        "ix_tunnel_allocations_network_id", "tunnel_allocations", ["network_id"]
    )


def downgrade() -> None:
    op.drop_table("tunnel_allocations")
    op.drop_table("vlan_allocations")
    op.drop_table("network_segments")
