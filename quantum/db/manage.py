# SPDX-License-Identifier: Apache-2.0
"""``quantum-db-manage``: create and upgrade the store's schema."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from quantum.core.exceptions import ConfigError
from quantum.core.settings import load_settings
from quantum.db import migration
from quantum.db.session import make_engine, redact


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="quantum-db-manage", description="Manage the Quantum database schema."
    )
    parser.add_argument(
        "--config-file", help="quantum.conf to read sql_connection from"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upgrade", help="upgrade the schema (to 'head' by default)")
    up.add_argument("revision", nargs="?", default="head")
    down = sub.add_parser("downgrade", help="downgrade the schema to a revision")
    down.add_argument("revision")
    sub.add_parser("current", help="print the schema's revision")
    sub.add_parser("check", help="exit 1 unless the schema is at head")
    args = parser.parse_args(argv)

    try:
        settings = load_settings(args.config_file)
    except ConfigError as error:
        print(f"quantum-db-manage: {error}", file=sys.stderr)
        return 2
    if not settings.sql_connection:
        Path(settings.state_path).mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    try:
        where = redact(settings.database_url)
        if args.command == "upgrade":
            migration.upgrade(engine, args.revision)
            print(f"{where}: at {migration.current_revision(engine)}")
        elif args.command == "downgrade":
            migration.downgrade(engine, args.revision)
            print(f"{where}: at {migration.current_revision(engine)}")
        elif args.command == "current":
            print(migration.current_revision(engine) or "empty")
        else:
            migration.require_current(engine, args.config_file)
            print(f"at head ({migration.head_revision()})")
    except ConfigError as error:
        print(f"quantum-db-manage: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
