# SPDX-License-Identifier: Apache-2.0
"""Alembic environment: runs on the connection ``quantum.db.migration`` hands in."""

from __future__ import annotations

from alembic import context

import quantum.db.extension_models  # noqa: F401  # NOTE: registers its tables
from quantum.db.models import Base, with_mysql_options

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=with_mysql_options(Base.metadata)
)
with context.begin_transaction():
    context.run_migrations()
