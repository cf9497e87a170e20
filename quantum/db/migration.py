# SPDX-License-Identifier: Apache-2.0
"""Schema versions: upgrade, inspect, and refuse to serve on a schema that is behind.

PERF: the server's start-up check (``require_current``) reads the head revision from
the migration files' text and the current one with one SELECT: importing alembic and
its script directory (every migration module, mako) cost each server process 10 MiB
and 140 modules it never used again. ``upgrade``/``downgrade`` import alembic.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

from quantum.core.exceptions import ConfigError

if TYPE_CHECKING:
    from alembic.config import Config

VERSIONS = Path(__file__).resolve().parent / "migrations" / "versions"
VERSION_TABLE = "alembic_version"
_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.M)


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "quantum.db:migrations")
    return config


def revisions() -> dict[str, str | None]:
    """Each migration's revision and its ``down_revision``, read from the files."""
    found: dict[str, str | None] = {}
    for path in sorted(VERSIONS.glob("*.py")):
        names = {k: v.strip("\"'") for k, v in _REVISION.findall(path.read_text())}
        if "revision" in names:
            down = names.get("down_revision")
            found[names["revision"]] = None if down in (None, "None") else down
    return found


def head_revision() -> str:
    """The one revision no migration revises (alembic agrees: a unit test checks)."""
    chain = revisions()
    heads = set(chain) - set(chain.values())
    assert len(heads) == 1, heads  # noqa: S101  # NOTE: the package ships one line
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).all()
    return str(rows[0][0]) if rows else None


def _sqlite_foreign_keys(conn: Connection, on: bool) -> None:
    raw = conn.connection.dbapi_connection
    assert raw is not None  # noqa: S101  # NOTE: a checked-out connection has one
    cursor = raw.cursor()
    cursor.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")
    cursor.close()


@contextlib.contextmanager
def _migrating(engine: Engine) -> Iterator[Config]:
    """An alembic config on one connection, in one transaction.

    On SQLite, foreign keys are off meanwhile (set outside the transaction, where
    the pragma takes effect): batch mode rebuilds a table by copying it and
    dropping the old one, and that drop would cascade into every table referring
    to it. What the migration left is checked before it commits.
    """
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:
            _sqlite_foreign_keys(conn, on=False)
        try:
            with conn.begin():
                config = _config()
                config.attributes["connection"] = conn
                yield config
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"foreign keys broken: {broken[:5]}")
        finally:
            if sqlite:
                _sqlite_foreign_keys(conn, on=True)


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    with _migrating(engine) as config:
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    from alembic import command

    with _migrating(engine) as config:
        command.downgrade(config, revision)


def require_current(engine: Engine, config_file: str | None) -> None:
    """Raise ConfigError, naming the fix, unless the schema is at head."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    where = f" --config-file {config_file}" if config_file else ""
    state = "empty" if current is None else f"at revision {current}"
    raise ConfigError(
        reason=f"The database schema is {state}, but this version of Quantum needs "
        f"revision {head}. Run: quantum-db-manage{where} upgrade head"
    )
