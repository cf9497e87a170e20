# SPDX-License-Identifier: Apache-2.0
"""Schema versions: upgrade, inspect, and refuse to serve on a schema that is behind."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from quantum.core.exceptions import ConfigError


def _config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "quantum.db:migrations")
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None  # noqa: S101  # NOTE: the package always ships migrations
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


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
    with _migrating(engine) as config:
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
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
