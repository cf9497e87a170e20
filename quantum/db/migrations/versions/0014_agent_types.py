# SPDX-License-Identifier: Apache-2.0
"""Agents keyed by type and host: one host runs an Open vSwitch agent and a DHCP
agent (and an L3 agent), each its own row of ``agent_hosts``. The rows there are the
Open vSwitch agents of the first releases.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

OVS_TYPE = "Open vSwitch agent"
OVS_BINARY = "quantum-openvswitch-agent"


def upgrade() -> None:
    op.add_column(
        "agent_hosts",
        sa.Column("agent_type", sa.String(64), nullable=False, server_default=OVS_TYPE),
    )
    op.add_column(
        "agent_hosts",
        sa.Column("binary", sa.String(64), nullable=False, server_default=OVS_BINARY),
    )
    with op.batch_alter_table("agent_hosts") as batch:
        batch.drop_constraint("pk_agent_hosts", type_="primary")
        batch.create_primary_key("pk_agent_hosts", ["agent_type", "host"])
        # NOTE: every agent names its type and binary; the defaults only filled in
        # the rows of before.
        batch.alter_column(
            "agent_type", existing_type=sa.String(64), server_default=None
        )
        batch.alter_column("binary", existing_type=sa.String(64), server_default=None)


def downgrade() -> None:
    op.get_bind().execute(
        sa.text("DELETE FROM agent_hosts WHERE agent_type <> :ovs"), {"ovs": OVS_TYPE}
    )
    with op.batch_alter_table("agent_hosts") as batch:
        batch.drop_constraint("pk_agent_hosts", type_="primary")
        batch.create_primary_key("pk_agent_hosts", ["host"])
        batch.drop_column("binary")
        batch.drop_column("agent_type")
