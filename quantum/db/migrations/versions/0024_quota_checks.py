# SPDX-License-Identifier: Apache-2.0
"""Quota counts at COMMIT on PostgreSQL (issue 16 item 2): ``quota_checks`` (every
back-end, written on PostgreSQL only) and, on PostgreSQL, the deferred constraint
trigger that checks each of its rows as the create's transaction commits
(``quantum.db.models.QuotaCheckRow``).

Revision ID: 0024
Revises: 0023
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

MYSQL: dict[str, Any] = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_nopad_bin",
}

# NOTE: READ COMMITTED: each statement of a (volatile) PL/pgSQL function takes its
# own snapshot, so the override and the count are read after the tenant's lock
# was granted: they see what a create that held it committed. The lock is the
# quota_locks row every quota count of the tenant takes (the quotas API's too).
FUNCTION = """
CREATE FUNCTION quantum_quota_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    used bigint;
    hard integer;
BEGIN
    DELETE FROM quota_checks WHERE id = NEW.id;
    INSERT INTO quota_locks (tenant_id, creates) VALUES (NEW.tenant_id, 1)
        ON CONFLICT (tenant_id) DO UPDATE SET creates = quota_locks.creates + 1;
    SELECT hard_limit INTO hard FROM quotas
        WHERE tenant_id = NEW.tenant_id AND resource = NEW.resource;
    IF hard IS NULL THEN
        hard := NEW.hard_limit;
    END IF;
    IF hard < 0 THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT count(*) FROM %I WHERE %I = $1',
                   NEW.counted_table, NEW.counted_column)
        INTO used USING NEW.tenant_id;
    IF used > hard THEN
        RAISE EXCEPTION 'Quota exceeded for resources: %', NEW.resource
            USING ERRCODE = 'QQ001', DETAIL = NEW.resource;
    END IF;
    RETURN NULL;
END
$$
"""

TRIGGER = """
CREATE CONSTRAINT TRIGGER quota_checked AFTER INSERT ON quota_checks
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION quantum_quota_check()
"""


def upgrade() -> None:
    op.create_table(
        "quota_checks",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("tenant_id", sa.String(255), nullable=False),
        sa.Column("resource", sa.String(64), nullable=False),
        sa.Column("counted_table", sa.String(64), nullable=False),
        sa.Column("counted_column", sa.String(64), nullable=False),
        sa.Column("hard_limit", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_quota_checks"),
        **MYSQL,
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)
        op.execute(TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER quota_checked ON quota_checks")
        op.execute("DROP FUNCTION quantum_quota_check()")
    op.drop_table("quota_checks")
