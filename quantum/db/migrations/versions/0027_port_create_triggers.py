# SPDX-License-Identifier: Apache-2.0
"""SQLite and MariaDB: a port create in at most six statements, BEGIN and COMMIT
included (issue 16 item 1): the writes that followed the port's INSERT and its
address's are done by the database, as part of those statements, by triggers.
PostgreSQL does them in data-modifying WITHs already (``quantum.plugins.core.
ports._insert_claiming``) and gets none of these.

``ports.quota_limit`` (every back-end; written on MariaDB only): the port limit a
create asks MariaDB's insert trigger to enforce for the port's tenant when it
has no override (the configured default), NULL for none to enforce. That trigger
clears it, so it is NULL in every stored row.

The triggers:

* ``ports_bind_groups`` (SQLite, MariaDB), AFTER INSERT ON ports: the new port's
  rows of ``securitygroupportbindings``, one per group id of its
  ``security_groups`` (the sorted JSON list every port keeps of them): the port's
  INSERT writes its bindings (it was one INSERT more). Every writer of a new
  port gives that list, so none inserts bindings of its own on these back-ends;
  a group deleted since it was checked fails the port's INSERT on the bindings'
  foreign key (MariaDB; SQLite's writers are one at a time). An update of a
  port's groups still writes its bindings itself (``SecurityGroups.bind``).

* ``ports_quota`` (MariaDB), BEFORE INSERT ON ports, for a row with a
  ``quota_limit``: what the create's transaction did at its end before (issue 16
  item 2's ``quota_locks``, ``quantum.plugins.core.quotas``), in the port's own
  INSERT: it upserts the tenant's ``quota_locks`` row (locked until the commit,
  so one tenant's creates count one after the other), reads the tenant's port
  override (else ``quota_limit``; below 0: unlimited) and counts the tenant's
  ports. READ COMMITTED: the trigger's first read takes the statement's
  snapshot, after the lock was granted, so both see what a create that held the
  lock committed; concurrent creates at the limit cannot overshoot it together.
  At the limit it raises SQLSTATE 45000 "Quota exceeded for resources: port"
  (``quantum.db.session`` makes it OverQuota; the statement writes nothing, the
  transaction is rolled back). It saved the upsert and the count (two
  statements); the lock is now taken at the port's INSERT, before the address's
  range, which no create takes in the other order.

* ``ip_allocations_take`` (MariaDB), BEFORE INSERT ON ip_allocations, for a row
  whose ``ip_address`` is ``range:<last key>``: the allocation of the first
  address of the subnet's available free range ending at that key (the one the
  create read with its network), as it is when the trigger gets its lock (``FOR
  UPDATE``): the range shrinks by that address (or goes, if it was the last), and
  the row gets the address. Creates racing on one subnet each wait for the
  previous one's commit and take the next address, as the UPDATE of the range
  did before, in one statement instead of two (that UPDATE and the allocation's
  INSERT). No such range (taken whole, held, gone with its subnet): SQLSTATE 45000
  "No free range as read", the statement writes nothing and the create takes its
  address the locking way (``quantum.ipam.store.allocate_seen``). IPv4 only: the
  address is computed from the key in SQL, and MariaDB's text of an IPv6 address
  is not always Python's (the primary key compares text).

* ``ip_allocations_take`` (SQLite), AFTER INSERT ON ip_allocations of an IPv4
  address: the available free range that starts at the new address no longer
  claims it (it shrinks, or goes if it held only that address). SQLite's writers
  are one at a time, so the range a create read is the range as it is: its INSERT
  ... SELECT inserts the range's first address if the range is still as read, and
  the trigger takes it out (one statement instead of two). Every other writer of
  ``ip_allocations`` takes the address out of its range first or after (no range
  starts at the address then, or the change is the one the writer makes), so for
  them the trigger changes nothing. IPv4 only: SQLite has no integer wide enough
  for an IPv6 address's key.

A SQLite migration that rebuilds ``ports`` or ``ip_allocations`` (``batch_alter_
table``) drops their triggers: it must create them again.

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None

SQLITE_BIND_GROUPS = """
CREATE TRIGGER ports_bind_groups AFTER INSERT ON ports
WHEN NEW.security_groups IS NOT NULL
BEGIN
    INSERT INTO securitygroupportbindings (port_id, security_group_id)
    SELECT NEW.id, value FROM json_each(NEW.security_groups);
END
"""

# NOTE: the new IPv4 address's integer, from its dotted text.
_SQLITE_VALUE = """(
    SELECT (a << 24) + (b << 16) + (c << 8) + d FROM (
        SELECT a, b,
            CAST(substr(rest, 1, instr(rest, '.') - 1) AS INTEGER) AS c,
            CAST(substr(rest, instr(rest, '.') + 1) AS INTEGER) AS d
        FROM (
            SELECT a,
                CAST(substr(rest, 1, instr(rest, '.') - 1) AS INTEGER) AS b,
                substr(rest, instr(rest, '.') + 1) AS rest
            FROM (
                SELECT
                    CAST(substr(NEW.ip_address, 1, instr(NEW.ip_address, '.') - 1)
                        AS INTEGER) AS a,
                    substr(NEW.ip_address, instr(NEW.ip_address, '.') + 1) AS rest
            )
        )
    )
)"""

# NOTE: S608: the text is this module's own constants.
SQLITE_TAKE = f"""
CREATE TRIGGER ip_allocations_take AFTER INSERT ON ip_allocations
WHEN instr(NEW.ip_address, ':') = 0
BEGIN
    DELETE FROM ip_availability_ranges
    WHERE subnet_id = NEW.subnet_id AND last_key = printf('%032x', {_SQLITE_VALUE})
        AND first_key = last_key AND available_at IS NULL;
    UPDATE ip_availability_ranges
    SET first_key = printf('%032x', {_SQLITE_VALUE} + 1)
    WHERE subnet_id = NEW.subnet_id
        AND last_key = (
            SELECT min(last_key) FROM ip_availability_ranges
            WHERE subnet_id = NEW.subnet_id
                AND last_key > printf('%032x', {_SQLITE_VALUE})
        )
        AND first_key = printf('%032x', {_SQLITE_VALUE}) AND available_at IS NULL;
END
"""  # noqa: S608

MYSQL_BIND_GROUPS = """
CREATE TRIGGER ports_bind_groups AFTER INSERT ON ports FOR EACH ROW
INSERT INTO securitygroupportbindings (port_id, security_group_id)
SELECT NEW.id, bound.id
FROM JSON_TABLE(NEW.security_groups, '$[*]' COLUMNS (id VARCHAR(36) PATH '$'))
    AS bound
"""

# NOTE: the override and the count as scalar subqueries: no "no data" warning.
MYSQL_QUOTA = """
CREATE TRIGGER ports_quota BEFORE INSERT ON ports FOR EACH ROW
BEGIN
    DECLARE hard BIGINT;
    IF NEW.quota_limit IS NOT NULL THEN
        INSERT INTO quota_locks (tenant_id, creates) VALUES (NEW.tenant_id, 1)
            ON DUPLICATE KEY UPDATE creates = creates + 1;
        SET hard = (SELECT hard_limit FROM quotas
                    WHERE tenant_id = NEW.tenant_id AND resource = 'port');
        IF hard IS NULL THEN
            SET hard = NEW.quota_limit;
        END IF;
        IF hard >= 0 AND (SELECT COUNT(*) FROM ports
                          WHERE tenant_id = NEW.tenant_id) >= hard THEN
            SIGNAL SQLSTATE '45000'
                SET MESSAGE_TEXT = 'Quota exceeded for resources: port';
        END IF;
        SET NEW.quota_limit = NULL;
    END IF;
END
"""

MYSQL_TAKE = """
CREATE TRIGGER ip_allocations_take BEFORE INSERT ON ip_allocations FOR EACH ROW
BEGIN
    DECLARE seen_last VARCHAR(32);
    DECLARE taken VARCHAR(32);
    IF NEW.ip_address LIKE 'range:%' THEN
        SET seen_last = SUBSTRING(NEW.ip_address, 7);
        SELECT first_key INTO taken FROM ip_availability_ranges
            WHERE subnet_id = NEW.subnet_id AND last_key = seen_last
                AND available_at IS NULL
            FOR UPDATE;
        IF taken IS NULL THEN
            SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'No free range as read';
        END IF;
        IF taken = seen_last THEN
            DELETE FROM ip_availability_ranges
            WHERE subnet_id = NEW.subnet_id AND last_key = seen_last;
        ELSE
            UPDATE ip_availability_ranges
            SET first_key = LPAD(
                LOWER(CONV(CONV(SUBSTRING(taken, 25), 16, 10) + 1, 10, 16)), 32, '0')
            WHERE subnet_id = NEW.subnet_id AND last_key = seen_last;
        END IF;
        SET NEW.ip_address = INET_NTOA(CONV(SUBSTRING(taken, 25), 16, 10));
    END IF;
END
"""


def upgrade() -> None:
    op.add_column("ports", sa.Column("quota_limit", sa.Integer(), nullable=True))
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(SQLITE_BIND_GROUPS)
        op.execute(SQLITE_TAKE)
    elif dialect in ("mysql", "mariadb"):
        op.execute(MYSQL_BIND_GROUPS)
        op.execute(MYSQL_QUOTA)
        op.execute(MYSQL_TAKE)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect in ("mysql", "mariadb"):
        op.execute("DROP TRIGGER ports_quota")
    if dialect != "postgresql":
        op.execute("DROP TRIGGER ip_allocations_take")
        op.execute("DROP TRIGGER ports_bind_groups")
    with op.batch_alter_table("ports") as batch:
        batch.drop_column("quota_limit")
