# SPDX-License-Identifier: Apache-2.0
"""Security groups, their rules and ports in them; port security on networks and
ports; allowed address pairs (spec §5.5).

Revision ID: 0018
Revises: 0017
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_nopad_bin",
}
Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    for table in ("networks", "ports"):
        op.add_column(
            table,
            sa.Column(
                "port_security_enabled",
                sa.Boolean(),
                nullable=False,
                server_default=sa.true(),
            ),
        )
    op.add_column("ports", sa.Column("security_groups", sa.Text(), nullable=True))
    op.add_column("ports", sa.Column("allowed_address_pairs", sa.Text(), nullable=True))
    op.create_table(
        "securitygroups",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False, server_default=""),
        sa.Column("description", sa.String(255), nullable=False, server_default=""),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_securitygroups"),
        **MYSQL,
    )
    op.create_index(
        "ix_securitygroups_tenant_id_id", "securitygroups", ["tenant_id", "id"]
    )
    # NOTE: one default group per tenant, by its key; no cascade from the group,
    # so the default group cannot go while it is the default.
    op.create_table(
        "default_security_groups",
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("security_group_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_default_security_groups"),
        sa.UniqueConstraint(
            "security_group_id",
            name="uq_default_security_groups_security_group_id",
        ),
        sa.ForeignKeyConstraint(
            ["security_group_id"],
            ["securitygroups.id"],
            name="fk_default_security_groups_security_group_id_securitygroups",
        ),
        **MYSQL,
    )
    op.create_table(
        "securitygrouprules",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("security_group_id", sa.String(36), nullable=False),
        sa.Column("remote_group_id", sa.String(36), nullable=True),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("ethertype", sa.String(8), nullable=False),
        sa.Column("protocol", sa.String(40), nullable=True),
        sa.Column("port_range_min", sa.Integer(), nullable=True),
        sa.Column("port_range_max", sa.Integer(), nullable=True),
        sa.Column("remote_ip_prefix", sa.String(64), nullable=True),
        sa.Column("description", sa.String(255), nullable=False, server_default=""),
        sa.Column("rule_key", sa.String(255), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_securitygrouprules"),
        sa.ForeignKeyConstraint(
            ["security_group_id"],
            ["securitygroups.id"],
            name="fk_securitygrouprules_security_group_id_securitygroups",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["remote_group_id"],
            ["securitygroups.id"],
            name="fk_securitygrouprules_remote_group_id_securitygroups",
            ondelete="CASCADE",
        ),
        **MYSQL,
    )
    # NOTE: what makes "8 concurrent creations of the same rule give one success".
    op.create_index(
        "uq_securitygrouprules_security_group_id_rule_key",
        "securitygrouprules",
        ["security_group_id", "rule_key"],
        unique=True,
    )
    op.create_index(
        "ix_securitygrouprules_tenant_id_id", "securitygrouprules", ["tenant_id", "id"]
    )
    op.create_index(
        "ix_securitygrouprules_remote_group_id",
        "securitygrouprules",
        ["remote_group_id"],
    )
    # NOTE: no cascade from the group: a group a port is in cannot be deleted, and
    # a port cannot join a group being deleted, whichever commits first.
    op.create_table(
        "securitygroupportbindings",
        sa.Column("port_id", sa.String(36), nullable=False),
        sa.Column("security_group_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint(
            "port_id", "security_group_id", name="pk_securitygroupportbindings"
        ),
        sa.ForeignKeyConstraint(
            ["port_id"],
            ["ports.id"],
            name="fk_securitygroupportbindings_port_id_ports",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["security_group_id"],
            ["securitygroups.id"],
            name="fk_securitygroupportbindings_security_group_id_securitygroups",
        ),
        **MYSQL,
    )
    op.create_index(
        "ix_securitygroupportbindings_security_group_id",
        "securitygroupportbindings",
        ["security_group_id"],
    )


def downgrade() -> None:
    op.drop_table("securitygroupportbindings")
    op.drop_table("securitygrouprules")
    op.drop_table("default_security_groups")
    op.drop_table("securitygroups")
    with op.batch_alter_table("ports") as batch:
        batch.drop_column("allowed_address_pairs")
        batch.drop_column("security_groups")
        batch.drop_column("port_security_enabled")
    with op.batch_alter_table("networks") as batch:
        batch.drop_column("port_security_enabled")
