# SPDX-License-Identifier: Apache-2.0
"""Routers, their interfaces and extra routes, floating IPs (the L3 service
plugin), with their tag tables, and the ``routers`` change-feed topic.

No foreign key into routers, ports or subnets cascades: a router with an interface
or a floating IP, a port a router or a floating IP holds, a subnet with an interface
cannot be deleted, so a write racing a delete fails one of them instead of vanishing
(the associated internal port of a floating IP is the exception: deleting it
disassociates, SET NULL).

Revision ID: 0013
Revises: 0012
"""

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_nopad_bin",
}
Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _standard() -> list[sa.Column[Any]]:
    return [
        sa.Column("description", sa.String(255), nullable=False, server_default=""),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=True),
        sa.Column(
            "revision_number", sa.BigInteger(), nullable=False, server_default="0"
        ),
        sa.Column("tags", sa.Text(), nullable=True),
    ]


def _tags(table: str, tags: str) -> None:
    op.create_table(
        tags,
        sa.Column("resource_id", sa.String(36), nullable=False),
        sa.Column("tag", sa.String(60), nullable=False),
        sa.PrimaryKeyConstraint("resource_id", "tag", name=f"pk_{tags}"),
        sa.ForeignKeyConstraint(
            ["resource_id"],
            [f"{table}.id"],
            name=f"fk_{tags}_resource_id_{table}",
            ondelete="CASCADE",
        ),
        **MYSQL,
    )
    op.create_index(f"ix_{tags}_tag", tags, ["tag"])


def upgrade() -> None:
    op.create_table(
        "routers",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("name", sa.String(255), nullable=False, server_default=""),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("admin_state_up", sa.Boolean(), nullable=False),
        sa.Column("gw_port_id", sa.String(36), nullable=True),
        sa.Column(
            "enable_snat", sa.Boolean(), nullable=False, server_default=sa.true()
        ),
        *_standard(),
        sa.PrimaryKeyConstraint("id", name="pk_routers"),
        sa.ForeignKeyConstraint(
            ["gw_port_id"], ["ports.id"], name="fk_routers_gw_port_id_ports"
        ),
        sa.UniqueConstraint("gw_port_id", name="uq_routers_gw_port_id"),
        **MYSQL,
    )
    op.create_index("ix_routers_tenant_id_id", "routers", ["tenant_id", "id"])
    _tags("routers", "router_tags")
    op.create_table(
        "router_interfaces",
        sa.Column("port_id", sa.String(36), nullable=False),
        sa.Column("router_id", sa.String(36), nullable=False),
        sa.Column("subnet_id", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("port_id", name="pk_router_interfaces"),
        sa.ForeignKeyConstraint(
            ["port_id"], ["ports.id"], name="fk_router_interfaces_port_id_ports"
        ),
        sa.ForeignKeyConstraint(
            ["router_id"],
            ["routers.id"],
            name="fk_router_interfaces_router_id_routers",
        ),
        sa.ForeignKeyConstraint(
            ["subnet_id"],
            ["subnets.id"],
            name="fk_router_interfaces_subnet_id_subnets",
        ),
        **MYSQL,
    )
    # NOTE: one interface per subnet on a router, however many add one at once.
    op.create_index(
        "uq_router_interfaces_router_id_subnet_id",
        "router_interfaces",
        ["router_id", "subnet_id"],
        unique=True,
    )
    op.create_index(
        "ix_router_interfaces_subnet_id", "router_interfaces", ["subnet_id"]
    )
    op.create_table(
        "router_routes",
        sa.Column("router_id", sa.String(36), nullable=False),
        sa.Column("destination", sa.String(64), nullable=False),
        sa.Column("nexthop", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "router_id", "destination", "nexthop", name="pk_router_routes"
        ),
        sa.ForeignKeyConstraint(
            ["router_id"],
            ["routers.id"],
            name="fk_router_routes_router_id_routers",
            ondelete="CASCADE",
        ),
        **MYSQL,
    )
    op.create_table(
        "floatingips",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("floating_network_id", sa.String(36), nullable=False),
        sa.Column("floating_port_id", sa.String(36), nullable=False),
        sa.Column("floating_ip_address", sa.String(64), nullable=False),
        sa.Column("fixed_port_id", sa.String(36), nullable=True),
        sa.Column("fixed_ip_address", sa.String(64), nullable=True),
        sa.Column("router_id", sa.String(36), nullable=True),
        *_standard(),
        sa.PrimaryKeyConstraint("id", name="pk_floatingips"),
        sa.ForeignKeyConstraint(
            ["floating_network_id"],
            ["networks.id"],
            name="fk_floatingips_floating_network_id_networks",
        ),
        sa.ForeignKeyConstraint(
            ["floating_port_id"],
            ["ports.id"],
            name="fk_floatingips_floating_port_id_ports",
        ),
        sa.ForeignKeyConstraint(
            ["fixed_port_id"],
            ["ports.id"],
            name="fk_floatingips_fixed_port_id_ports",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["router_id"], ["routers.id"], name="fk_floatingips_router_id_routers"
        ),
        sa.UniqueConstraint("floating_port_id", name="uq_floatingips_floating_port_id"),
        **MYSQL,
    )
    op.create_index("ix_floatingips_tenant_id_id", "floatingips", ["tenant_id", "id"])
    # NOTE: one floating IP per (external network, port, fixed IP): of two
    # concurrent associations, one fails here.
    op.create_index(
        "uq_floatingips_floating_network_id_fixed_port_id",
        "floatingips",
        ["floating_network_id", "fixed_port_id", "fixed_ip_address"],
        unique=True,
    )
    op.create_index("ix_floatingips_fixed_port_id", "floatingips", ["fixed_port_id"])
    op.create_index("ix_floatingips_router_id", "floatingips", ["router_id"])
    _tags("floatingips", "floatingip_tags")
    now = op.get_bind().scalar(sa.text("SELECT revision FROM store_revision"))
    op.bulk_insert(
        sa.table(
            "store_topics",
            sa.column("topic", sa.String(32)),
            sa.column("revision", sa.BigInteger()),
        ),
        [{"topic": "routers", "revision": int(now or 0)}],
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM store_topics WHERE topic = 'routers'"))
    op.drop_index("ix_floatingip_tags_tag", "floatingip_tags")
    op.drop_table("floatingip_tags")
    op.drop_table("floatingips")
    op.drop_table("router_routes")
    op.drop_table("router_interfaces")
    op.drop_index("ix_router_tags_tag", "router_tags")
    op.drop_table("router_tags")
    op.drop_table("routers")
