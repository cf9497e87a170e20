# SPDX-License-Identifier: Apache-2.0
"""The original's extensions: QoS policies, port profiles and their bindings,
credentials, instance ports, port statistics.

Revision ID: 0006
Revises: 0005
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_nopad_bin",
}
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _named(table: str, *columns: sa.Column[Any]) -> None:
    """A tenant-owned table with an id, a name and a creation time."""
    op.create_table(
        table,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        *columns,
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        **MYSQL,
    )
    op.create_index(f"ix_{table}_tenant_id", table, ["tenant_id"])


def upgrade() -> None:
    _named(
        "qos_policies",
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("rate_kbps", sa.BigInteger(), nullable=True),
        sa.Column("burst_kb", sa.BigInteger(), nullable=True),
    )
    _named("port_profiles", sa.Column("qos_name", sa.String(255), nullable=False))
    op.create_table(
        "port_profile_bindings",
        sa.Column("port_id", sa.String(36), nullable=False),
        sa.Column("profile_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("port_id", name="pk_port_profile_bindings"),
        sa.ForeignKeyConstraint(
            ["port_id"],
            ["ports.id"],
            name="fk_port_profile_bindings_port_id_ports",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["port_profiles.id"],
            name="fk_port_profile_bindings_profile_id_port_profiles",
            ondelete="RESTRICT",
        ),
        **MYSQL,
    )
    op.create_index(
        "ix_port_profile_bindings_profile_id", "port_profile_bindings", ["profile_id"]
    )
    _named(
        "credentials",
        sa.Column("user_name", sa.String(255), nullable=False),
        sa.Column("password_token", sa.Text(), nullable=False),
    )
    op.create_table(
        "instance_ports",
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("instance_id", sa.String(255), nullable=False),
        sa.Column("vif_id", sa.String(255), nullable=False),
        sa.Column("user_id", sa.String(255), nullable=False),
        sa.Column("project_id", sa.String(255), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "instance_id", "vif_id", name="pk_instance_ports"
        ),
        **MYSQL,
    )
    op.create_table(
        "port_statistics",
        sa.Column("port_id", sa.String(36), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        *(
            sa.Column(name, sa.BigInteger(), nullable=False)
            for name in (
                "rx_packets",
                "rx_bytes",
                "rx_errors",
                "tx_packets",
                "tx_bytes",
                "tx_errors",
            )
        ),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("port_id", name="pk_port_statistics"),
        sa.ForeignKeyConstraint(
            ["port_id"],
            ["ports.id"],
            name="fk_port_statistics_port_id_ports",
            ondelete="CASCADE",
        ),
        **MYSQL,
    )
    op.create_index("ix_port_statistics_host", "port_statistics", ["host"])


def downgrade() -> None:
    for table in (
        "port_statistics",
        "instance_ports",
        "credentials",
        "port_profile_bindings",
        "port_profiles",
        "qos_policies",
    ):
        op.drop_table(table)
