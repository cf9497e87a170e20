# SPDX-License-Identifier: Apache-2.0
"""SQLite and MariaDB: the store revision's bump stamps its topics itself
(``store_revision.topics`` and the trigger ``store_revision_stamp``), so a write
ends with one UPDATE instead of two (issue 16 item 1; PostgreSQL does both in one
statement of a data-modifying WITH already, ``quantum.db.revision``). On MariaDB
with binary logging on, the migrating user needs the TRIGGER privilege and SUPER
(or the server's ``log_bin_trust_function_creators``) to create a trigger.

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

# NOTE: ``topics`` is the bump's topics as ",networks,ports," (NULL: none); every
# bump sets it, so a bump never stamps another's topics. The topics' rows are
# locked after the revision row, in their key's order, as before.
SQLITE = """
CREATE TRIGGER store_revision_stamp AFTER UPDATE OF revision ON store_revision
WHEN NEW.topics IS NOT NULL
BEGIN
    UPDATE store_topics SET revision = NEW.revision
    WHERE instr(NEW.topics, ',' || topic || ',') > 0;
END
"""

MYSQL = """
CREATE TRIGGER store_revision_stamp AFTER UPDATE ON store_revision FOR EACH ROW
BEGIN
    IF NEW.topics IS NOT NULL AND NEW.revision <> OLD.revision THEN
        UPDATE store_topics SET revision = NEW.revision
        WHERE INSTR(NEW.topics, CONCAT(',', topic, ',')) > 0;
    END IF;
END
"""


def upgrade() -> None:
    op.add_column("store_revision", sa.Column("topics", sa.String(255), nullable=True))
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE)
    elif dialect in ("mysql", "mariadb"):
        op.execute(MYSQL)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        op.execute("DROP TRIGGER store_revision_stamp")
    with op.batch_alter_table("store_revision") as batch:
        batch.drop_column("topics")
