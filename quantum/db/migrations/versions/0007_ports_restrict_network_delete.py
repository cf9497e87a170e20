# SPDX-License-Identifier: Apache-2.0
"""A network with ports cannot be deleted: ``ports.network_id`` no longer cascades.

With the cascade, a port committed between a network delete's "no ports left" check
and its DELETE went with the network, after its create had been acknowledged. Now
the back-end refuses that DELETE (an integrity error), and the store answers 409 or
deletes what it may and tries again.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

FK = "fk_ports_network_id_networks"


def _network_fk(ondelete: str | None) -> None:
    # NOTE: SQLite cannot alter a constraint: batch mode copies the table, which
    # ``quantum.db.migration`` runs with foreign keys off (else dropping the old
    # table would cascade into ip_allocations and the extension tables).
    with op.batch_alter_table("ports") as batch:
        batch.drop_constraint(FK, type_="foreignkey")
        batch.create_foreign_key(
            FK, "networks", ["network_id"], ["id"], ondelete=ondelete
        )


def upgrade() -> None:
    _network_fk(None)


def downgrade() -> None:
    _network_fk("CASCADE")
