# SPDX-License-Identifier: Apache-2.0
"""Free address ranges per subnet (IPAM allocation independent of the fill).

Built for the existing subnets from their pools and allocations: the pool addresses
neither a port's nor held, and each held address as a range of its own available when
its hold expires.

Revision ID: 0017
Revises: 0016
"""

from collections import defaultdict
from datetime import datetime
from ipaddress import ip_address
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_nopad_bin",
}
TIMESTAMP = sa.DateTime().with_variant(
    sa.dialects.mysql.DATETIME(fsp=6), "mysql", "mariadb"
)


def _key(value: int) -> str:
    return f"{value:032x}"


def upgrade() -> None:
    table = op.create_table(
        "ip_availability_ranges",
        sa.Column("subnet_id", sa.String(36), nullable=False),
        sa.Column("last_key", sa.String(32), nullable=False),
        sa.Column("first_key", sa.String(32), nullable=False),
        sa.Column("available_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint(
            "subnet_id", "last_key", name="pk_ip_availability_ranges"
        ),
        sa.ForeignKeyConstraint(
            ["subnet_id"],
            ["subnets.id"],
            name="fk_ip_availability_ranges_subnet_id_subnets",
            ondelete="CASCADE",
        ),
        **MYSQL,
    )
    bind = op.get_bind()
    pools: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for subnet_id, first, last in bind.execute(
        sa.text("SELECT subnet_id, first_ip, last_ip FROM subnet_allocation_pools")
    ):
        pools[subnet_id].append((int(ip_address(first)), int(ip_address(last))))
    used: dict[str, set[int]] = defaultdict(set)
    held: dict[str, list[tuple[int, datetime]]] = defaultdict(list)
    for subnet_id, text, port_id, expiration in bind.execute(
        sa.text(
            "SELECT subnet_id, ip_address, port_id, expiration FROM ip_allocations"
        ).columns(expiration=TIMESTAMP)
    ):
        value = int(ip_address(text))
        used[subnet_id].add(value)
        if port_id is None and expiration is not None:
            held[subnet_id].append((value, expiration))
    rows: list[dict[str, Any]] = []
    for subnet_id, ranges in pools.items():
        taken = used.get(subnet_id, set())
        for start, end in sorted(ranges):
            for value in sorted(v for v in taken if start <= v <= end):
                if value > start:
                    rows.append(_row(subnet_id, start, value - 1, None))
                start = value + 1
            if start <= end:
                rows.append(_row(subnet_id, start, end, None))
        for value, expiration in held.get(subnet_id, ()):
            if any(start <= value <= end for start, end in ranges):
                rows.append(_row(subnet_id, value, value, expiration))
    if rows:
        op.bulk_insert(table, rows)


def _row(
    subnet_id: str, first: int, last: int, available_at: datetime | None
) -> dict[str, Any]:
    return {
        "subnet_id": subnet_id,
        "first_key": _key(first),
        "last_key": _key(last),
        "available_at": available_at,
    }


def downgrade() -> None:
    op.drop_table("ip_availability_ranges")
