# SPDX-License-Identifier: Apache-2.0
"""The server's schema check reads revisions without alembic (issue 16, item 5), and
agrees with alembic on what head is and where a database stands."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from quantum.core.exceptions import ConfigError
from quantum.db import migration


def test_the_head_read_from_the_files_is_alembics_head() -> None:
    script = ScriptDirectory.from_config(migration._config())
    assert migration.head_revision() == script.get_current_head()
    assert migration.revisions() == {
        rev.revision: rev.down_revision for rev in script.walk_revisions()
    }


def test_current_revision_empty_then_behind_then_head(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'q.sqlite'}")
    try:
        assert migration.current_revision(engine) is None
        with pytest.raises(ConfigError, match="schema is empty.*upgrade head"):
            migration.require_current(engine, "q.conf")
        migration.upgrade(engine, "0001")
        assert migration.current_revision(engine) == "0001"
        with pytest.raises(ConfigError, match="at revision 0001.*--config-file q.conf"):
            migration.require_current(engine, "q.conf")
        migration.upgrade(engine)
        with engine.connect() as conn:
            alembics = MigrationContext.configure(conn).get_current_revision()
        assert migration.current_revision(engine) == alembics
        assert alembics == migration.head_revision()
        migration.require_current(engine, "q.conf")
    finally:
        engine.dispose()
