# SPDX-License-Identifier: Apache-2.0
"""Subnets, their pools, DNS servers and host routes; IP allocations.

Revision ID: 0004
Revises: 0003
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_nopad_bin",
}
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
IP = sa.String(64)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=f"fk_{table}_{column}_{target}",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "subnets",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("network_id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("ip_version", sa.Integer(), nullable=False),
        sa.Column("cidr", IP, nullable=False),
        sa.Column("gateway_ip", IP, nullable=True),
        sa.Column("enable_dhcp", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_subnets"),
        _fk("subnets", "network_id", "networks"),
        sa.CheckConstraint("ip_version IN (4, 6)", name="ck_subnets_ip_version"),
        **MYSQL,
    )
    op.create_index("ix_subnets_tenant_id", "subnets", ["tenant_id"])
    op.create_index("ix_subnets_network_id", "subnets", ["network_id"])
    op.create_table(
        "subnet_allocation_pools",
        sa.Column("subnet_id", sa.String(36), nullable=False),
        sa.Column("first_ip", IP, nullable=False),
        sa.Column("last_ip", IP, nullable=False),
        sa.PrimaryKeyConstraint(
            "subnet_id", "first_ip", name="pk_subnet_allocation_pools"
        ),
        _fk("subnet_allocation_pools", "subnet_id", "subnets"),
        **MYSQL,
    )
    op.create_table(
        "subnet_dns_nameservers",
        sa.Column("subnet_id", sa.String(36), nullable=False),
        sa.Column("address", IP, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "subnet_id", "address", name="pk_subnet_dns_nameservers"
        ),
        _fk("subnet_dns_nameservers", "subnet_id", "subnets"),
        **MYSQL,
    )
    op.create_table(
        "subnet_host_routes",
        sa.Column("subnet_id", sa.String(36), nullable=False),
        sa.Column("destination", IP, nullable=False),
        sa.Column("nexthop", IP, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "subnet_id", "destination", "nexthop", name="pk_subnet_host_routes"
        ),
        _fk("subnet_host_routes", "subnet_id", "subnets"),
        **MYSQL,
    )
    # NOTE: the primary key (subnet, address) is the invariant "one address, one
    # holder" under any number of concurrent allocations; addresses are stored in
    # ipaddress's canonical text, so one address has one spelling.
    op.create_table(
        "ip_allocations",
        sa.Column("subnet_id", sa.String(36), nullable=False),
        sa.Column("ip_address", IP, nullable=False),
        sa.Column("network_id", sa.String(36), nullable=False),
        sa.Column("port_id", sa.String(36), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("expiration", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("subnet_id", "ip_address", name="pk_ip_allocations"),
        _fk("ip_allocations", "subnet_id", "subnets"),
        _fk("ip_allocations", "network_id", "networks"),
        _fk("ip_allocations", "port_id", "ports"),
        **MYSQL,
    )
    op.create_index("ix_ip_allocations_network_id", "ip_allocations", ["network_id"])
    op.create_index("ix_ip_allocations_port_id", "ip_allocations", ["port_id"])


def downgrade() -> None:
    op.drop_table("ip_allocations")
    op.drop_table("subnet_host_routes")
    op.drop_table("subnet_dns_nameservers")
    op.drop_table("subnet_allocation_pools")
    op.drop_table("subnets")
