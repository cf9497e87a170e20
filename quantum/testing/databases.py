# SPDX-License-Identifier: Apache-2.0
"""Scratch databases on the local PostgreSQL and MariaDB servers (and SQLite files).

``provision(backend, name, directory)`` creates an empty database and returns its URL;
``drop`` removes it. Server addresses come from ``QUANTUM_TEST_PG_URL`` and
``QUANTUM_TEST_MYSQL_URL`` (admin URLs), defaulting to the trust/root accounts on
127.0.0.1 that the development machines and CI provide.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

BACKENDS = ("sqlite", "postgresql", "mysql")

PG_ADMIN = os.environ.get(
    "QUANTUM_TEST_PG_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
)
MYSQL_ADMIN = os.environ.get(
    "QUANTUM_TEST_MYSQL_URL", "mysql+pymysql://root@127.0.0.1:3306/?charset=utf8mb4"
)


class Unavailable(RuntimeError):
    """The database server for a back-end cannot be reached."""


def _admin(backend: str) -> str:
    return PG_ADMIN if backend == "postgresql" else MYSQL_ADMIN


def provision(backend: str, name: str, directory: Path) -> str:
    """Create an empty database ``name`` and return its URL."""
    if backend == "sqlite":
        path = directory / f"{name}.sqlite"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    admin_url = _admin(backend)
    try:
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            if backend == "postgresql":
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                conn.execute(text(f"CREATE DATABASE \"{name}\" ENCODING 'UTF8'"))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
                conn.execute(
                    text(
                        f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 "
                        "COLLATE utf8mb4_nopad_bin"
                    )
                )
        engine.dispose()
    except Exception as error:  # noqa: BLE001  # NOTE: any driver/connect failure
        raise Unavailable(f"{backend} at {make_url(admin_url)!r}: {error}") from error
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop(backend: str, name: str) -> None:
    if backend == "sqlite":
        return
    engine = create_engine(_admin(backend), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if backend == "postgresql":
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        else:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
    engine.dispose()
