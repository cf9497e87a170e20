# SPDX-License-Identifier: Apache-2.0
"""mypy's configuration (pyproject.toml) is what issue 12 item 11 asks: plain
``mypy``, which scripts/test and so CI run under ``set -e``, checks quantum/, tests/
and bench/; bench/ is strict like quantum/, and tests/ have every body type-checked
(``check_untyped_defs``) while a test may leave its signature unannotated."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def _mypy() -> dict[str, Any]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    found: dict[str, Any] = config["tool"]["mypy"]
    return found


def _overrides_of(mypy: dict[str, Any], prefix: str) -> list[dict[str, Any]]:
    found = []
    for override in mypy.get("overrides", []):
        modules = override["module"]
        modules = [modules] if isinstance(modules, str) else modules
        if any(m == prefix or m.startswith(f"{prefix}.") for m in modules):
            found.append(override)
    return found


def test_mypy_checks_tests_and_bench_with_untyped_defs_checked() -> None:
    mypy = _mypy()
    assert {"quantum", "tests", "bench"} <= set(mypy["files"])
    assert mypy["strict"] is True  # strict includes check_untyped_defs
    (tests,) = _overrides_of(mypy, "tests")
    assert tests["check_untyped_defs"] is True
    # NOTE: only the annotation requirements are relaxed for tests, never the
    # checking of bodies or the error codes.
    assert set(tests) - {"module"} <= {
        "check_untyped_defs",
        "disallow_untyped_defs",
        "disallow_incomplete_defs",
        "disallow_untyped_calls",
    }
    assert _overrides_of(mypy, "bench") == []
    assert "exclude" not in mypy


def test_the_test_script_runs_plain_mypy_and_stops_on_its_failure() -> None:
    script = (REPO / "scripts" / "test").read_text()
    assert "set -euo pipefail" in script
    assert re.search(r'^echo "== mypy"; "\$VENV/bin/mypy"$', script, re.MULTILINE)
    assert (REPO / ".ci" / "run").read_text().rstrip().endswith("exec ./scripts/test")


def test_the_reader_sees_an_override() -> None:
    """The positive control: the override found for tests is a real one."""
    mypy = _mypy()
    assert _overrides_of(mypy, "os_ken") != []
    assert _overrides_of(mypy, "nothing_like_this") == []
