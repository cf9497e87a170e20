# SPDX-License-Identifier: Apache-2.0
"""Load balancing v1 (spec §5.10): pools, VIPs, members, health monitors, their
associations with pools and the pools' stats.

Revision ID: 0023
Revises: 0022
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_nopad_bin",
}
Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _object(table: str) -> list[Any]:
    """The columns every load-balancing object has, and its key."""
    return [
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("admin_state_up", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_description", sa.String(255), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def _named(table: str) -> list[Any]:
    return [
        sa.Column("name", sa.String(255), nullable=False, server_default=""),
        sa.Column("description", sa.String(255), nullable=False, server_default=""),
    ]


def upgrade() -> None:
    op.create_table(
        "lb_pools",
        *_object("lb_pools"),
        *_named("lb_pools"),
        sa.Column("subnet_id", sa.String(36), nullable=False),
        sa.Column("protocol", sa.String(8), nullable=False),
        sa.Column("lb_method", sa.String(32), nullable=False),
        **MYSQL,
    )
    op.create_index("ix_lb_pools_tenant_id_id", "lb_pools", ["tenant_id", "id"])
    # NOTE: one VIP per pool by its unique key, however many are made at once; no
    # cascade from the pool or the port: neither goes while the VIP names it.
    op.create_table(
        "lb_vips",
        *_object("lb_vips"),
        *_named("lb_vips"),
        sa.Column("subnet_id", sa.String(36), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("port_id", sa.String(36), nullable=False),
        sa.Column("protocol_port", sa.Integer(), nullable=False),
        sa.Column("protocol", sa.String(8), nullable=False),
        sa.Column("pool_id", sa.String(36), nullable=False),
        sa.Column("persistence_type", sa.String(16), nullable=True),
        sa.Column("cookie_name", sa.String(1024), nullable=True),
        sa.Column("connection_limit", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["port_id"], ["ports.id"], name="fk_lb_vips_port_id_ports"
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"], ["lb_pools.id"], name="fk_lb_vips_pool_id_lb_pools"
        ),
        sa.UniqueConstraint("port_id", name="uq_lb_vips_port_id"),
        sa.UniqueConstraint("pool_id", name="uq_lb_vips_pool_id"),
        **MYSQL,
    )
    op.create_index("ix_lb_vips_tenant_id_id", "lb_vips", ["tenant_id", "id"])
    op.create_table(
        "lb_members",
        *_object("lb_members"),
        sa.Column("pool_id", sa.String(36), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("protocol_port", sa.Integer(), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["lb_pools.id"],
            name="fk_lb_members_pool_id_lb_pools",
            ondelete="CASCADE",
        ),
        **MYSQL,
    )
    op.create_index("ix_lb_members_tenant_id_id", "lb_members", ["tenant_id", "id"])
    op.create_index("ix_lb_members_pool_id", "lb_members", ["pool_id"])
    op.create_table(
        "lb_health_monitors",
        *_object("lb_health_monitors"),
        sa.Column("type", sa.String(8), nullable=False),
        sa.Column("delay", sa.Integer(), nullable=False),
        sa.Column("timeout", sa.Integer(), nullable=False),
        sa.Column("max_retries", sa.Integer(), nullable=False),
        sa.Column("http_method", sa.String(16), nullable=False),
        sa.Column("url_path", sa.String(255), nullable=False),
        sa.Column("expected_codes", sa.String(64), nullable=False),
        **MYSQL,
    )
    op.create_index(
        "ix_lb_health_monitors_tenant_id_id",
        "lb_health_monitors",
        ["tenant_id", "id"],
    )
    op.create_table(
        "lb_pool_monitors",
        sa.Column("pool_id", sa.String(36), nullable=False),
        sa.Column("monitor_id", sa.String(36), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("pool_id", "monitor_id", name="pk_lb_pool_monitors"),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["lb_pools.id"],
            name="fk_lb_pool_monitors_pool_id_lb_pools",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["monitor_id"],
            ["lb_health_monitors.id"],
            name="fk_lb_pool_monitors_monitor_id_lb_health_monitors",
            ondelete="CASCADE",
        ),
        **MYSQL,
    )
    op.create_index(
        "ix_lb_pool_monitors_monitor_id", "lb_pool_monitors", ["monitor_id"]
    )
    op.create_table(
        "lb_pool_stats",
        sa.Column("pool_id", sa.String(36), nullable=False),
        sa.Column("bytes_in", sa.BigInteger(), nullable=False),
        sa.Column("bytes_out", sa.BigInteger(), nullable=False),
        sa.Column("active_connections", sa.BigInteger(), nullable=False),
        sa.Column("total_connections", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("pool_id", name="pk_lb_pool_stats"),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["lb_pools.id"],
            name="fk_lb_pool_stats_pool_id_lb_pools",
            ondelete="CASCADE",
        ),
        **MYSQL,
    )


def downgrade() -> None:
    for table in (
        "lb_pool_stats",
        "lb_pool_monitors",
        "lb_health_monitors",
        "lb_members",
        "lb_vips",
        "lb_pools",
    ):
        op.drop_table(table)
