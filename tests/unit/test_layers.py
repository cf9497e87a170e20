# SPDX-License-Identifier: Apache-2.0
"""The layers of docs/architecture.md, read off the import statements (every one,
inside functions and ``TYPE_CHECKING`` blocks included)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import quantum

ROOT = Path(quantum.__file__).parent


def imported_packages(package: str) -> dict[str, set[str]]:
    """Each module of ``quantum.<package>``: the ``quantum.<x>`` packages it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
        found[str(path.relative_to(ROOT.parent))] = {
            name.split(".")[1]
            for name in names
            if name.startswith("quantum.") and name.count(".") >= 1
        }
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("core", {"api", "agentapi", "agent", "db", "plugins", "ipam", "compute"}),
        ("api", {"agentapi", "agent", "db"}),
        ("agentapi", {"db", "agent"}),
        ("agent", {"api", "db", "plugins", "server"}),
        ("compute", {"api", "db", "plugins", "server"}),
        ("ipam", {"api", "agentapi", "agent", "plugins"}),
        # The dashboard talks to the service through its public API only (issue 18).
        (
            "dashboard",
            {"agent", "agentapi", "api", "cli", "client", "compute", "core", "db"}
            | {"extensions", "ipam", "plugins", "testing"},
        ),
    ],
)
def test_a_layer_imports_nothing_above_or_beside_it(
    package: str, forbidden: set[str]
) -> None:
    imports = imported_packages(package)
    assert imports, f"no modules found under quantum/{package}"
    offenders = {
        module: sorted(packages & forbidden)
        for module, packages in imports.items()
        if packages & forbidden
    }
    assert offenders == {}


def test_the_reader_sees_a_violation() -> None:
    """The positive control: the agent API does import the API layer's faults."""
    imports = imported_packages("agentapi")
    assert "api" in imports["quantum/agentapi/server.py"]


def test_the_dashboard_reaches_no_database() -> None:
    """No module of quantum/dashboard imports a database driver or SQLAlchemy;
    positive control: the reader sees quantum/db's SQLAlchemy import."""

    def top_level(path: Path) -> set[str]:
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        return names

    drivers = {"sqlalchemy", "sqlite3", "pymysql", "MySQLdb", "psycopg2", "alembic"}
    seen = set().union(*(top_level(p) for p in (ROOT / "db").rglob("*.py")))
    assert "sqlalchemy" in seen
    modules = sorted((ROOT / "dashboard").rglob("*.py"))
    assert modules
    assert {str(p): top_level(p) & drivers for p in modules} == {
        str(p): set() for p in modules
    }
