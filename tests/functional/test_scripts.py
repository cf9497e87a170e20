# SPDX-License-Identifier: Apache-2.0
"""scripts/venv.sh: serve and test share one .venv and install only what changed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

FAKE_PYTHON = """#!/bin/sh
# Records each pip call instead of installing.
echo "$*" >> "$(dirname "$0")/../calls.log"
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """The files ensure_venv reads, and a venv whose python only logs pip calls."""
    for name in ("setup.py", *(p.name for p in REPO.glob("requirements*.txt"))):
        shutil.copy(REPO / name, tmp_path / name)
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "venv.sh", tmp_path / "scripts" / "venv.sh")
    python = tmp_path / ".venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(FAKE_PYTHON)
    python.chmod(0o755)
    return tmp_path


def ensure(checkout: Path, want: str) -> list[str]:
    """The requirement files ``ensure_venv want`` installed (none if satisfied)."""
    log = checkout / ".venv" / "calls.log"
    log.unlink(missing_ok=True)
    subprocess.run(  # noqa: S603  # NOTE: our own script
        ["bash", "-c", f'. scripts/venv.sh && ensure_venv "{want}"'],  # noqa: S607
        cwd=checkout,
        check=True,
        env={"PATH": "/usr/bin:/bin", "QUANTUM_VENV": ".venv"},
        timeout=60,
    )
    if not log.exists():
        return []
    calls = log.read_text().splitlines()
    return [c.rsplit(" ", 1)[1] for c in calls if " -r " in c]


def test_serve_and_test_alternating_install_once_each(checkout: Path) -> None:
    assert ensure(checkout, "") == ["requirements.txt"]
    assert ensure(checkout, "test") == ["requirements-test.txt"]
    assert ensure(checkout, "") == []
    assert ensure(checkout, "test") == []
    assert ensure(checkout, "") == []


def test_a_venv_made_for_the_tests_serves_as_it_is(checkout: Path) -> None:
    assert ensure(checkout, "test") == ["requirements-test.txt"]
    assert ensure(checkout, "") == []


def test_a_changed_requirement_file_installs_again(checkout: Path) -> None:
    assert ensure(checkout, "test") == ["requirements-test.txt"]
    with (checkout / "requirements.txt").open("a") as requirements:
        requirements.write("# changed\n")
    assert ensure(checkout, "") == ["requirements.txt"]
    assert ensure(checkout, "test") == ["requirements-test.txt"]
    assert ensure(checkout, "") == []
    stamps = sorted(p.name for p in (checkout / ".venv").glob(".installed-*"))
    assert [s.rsplit("-", 1)[1] for s in stamps] == ["base", "test"]
