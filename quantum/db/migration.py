# SPDX-License-Identifier: Apache-2.0
"""Schema versions: upgrade, inspect, and refuse to serve on a schema that is behind."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

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


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as conn:
        config = _config()
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        config = _config()
        config.attributes["connection"] = conn
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
