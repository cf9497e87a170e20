# SPDX-License-Identifier: Apache-2.0
"""Every place that builds a ``QuantumError`` names exactly its fields.

mypy checks the calls it can reach; this test reads every module that uses the
error hierarchy and checks all of them, including calls mypy deems unreachable
(a branch on a value whose type says it is never None), where a wrong field would
otherwise be a ``TypeError``, and so a 500, only when that branch runs.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from quantum.core.exceptions import QuantumError

ROOT = Path(__file__).resolve().parents[3]
MARKERS = ("quantum.core.exceptions", "quantum.core import exceptions")


def _modules() -> list[Path]:
    found = []
    for top in ("quantum", "tests", "bench"):
        for path in sorted((ROOT / top).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if any(marker in text for marker in MARKERS):
                found.append(path)
    return found


def _resolve(namespace: Any, node: ast.expr) -> Any:
    if isinstance(node, ast.Name):
        return getattr(namespace, node.id, None)
    if isinstance(node, ast.Attribute):
        owner = _resolve(namespace, node.value)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def _wrong_calls(namespace: Any, source: str) -> list[str]:
    """The calls in ``source`` building an error (as ``namespace`` resolves names)
    with a field it does not have, or without one it needs."""
    wrong = []
    lines = source.splitlines()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        kind = _resolve(namespace, node.func)
        if not (isinstance(kind, type) and issubclass(kind, QuantumError)):
            continue
        if any(isinstance(a, ast.Starred) for a in node.args) or any(
            k.arg is None for k in node.keywords
        ):
            continue  # NOTE: *args / **fields: nothing to check statically
        if "type: ignore[call-arg]" in lines[node.lineno - 1]:
            continue  # NOTE: a wrong call on purpose (a test of the refusal)
        given = {k.arg: None for k in node.keywords if k.arg}
        try:
            inspect.signature(kind).bind(*[None] * len(node.args), **given)
        except TypeError as error:
            wrong.append(f"line {node.lineno}: {kind.__name__}: {error}")
    return wrong


def test_the_scan_sees_a_wrong_field_in_code_mypy_skips() -> None:
    namespace = importlib.import_module("quantum.plugins.core.networks")
    source = (
        "def f(found):\n"
        "    if found is None:\n"
        "        raise exc.NetworkNotFound(net_id='n')\n"
        "    raise exc.NetworkNotFound(network_id='n')\n"
    )
    wrong = _wrong_calls(namespace, source)
    assert len(wrong) == 1
    assert "line 3: NetworkNotFound" in wrong[0]


#: Modules whose import changes the whole process: quantum.server monkey-patches it
#: with eventlet (green threads and sockets), which every later test in this pytest
#: process would inherit. They are checked in an interpreter of their own.
PATCH_ON_IMPORT = frozenset({"quantum.server"})

CHECK_ALONE = """
import importlib, json, sys
from pathlib import Path
from tests.unit.core.test_exception_fields import _wrong_calls
name, path = sys.argv[1:]
namespace = importlib.import_module(name)
print(json.dumps(_wrong_calls(namespace, Path(path).read_text(encoding="utf-8"))))
"""


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_error_is_built_with_its_own_fields(path: Path) -> None:
    name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    if name in PATCH_ON_IMPORT:
        done = subprocess.run(  # noqa: S603  # NOTE: this interpreter, fixed code
            [sys.executable, "-W", "ignore", "-c", CHECK_ALONE, name, str(path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == []
        return
    with warnings.catch_warnings():
        # NOTE: the ovs library (quantum.compute.switch) imports eventlet, which warns
        warnings.simplefilter("ignore")
        namespace = importlib.import_module(name)
    assert _wrong_calls(namespace, path.read_text(encoding="utf-8")) == []


def test_this_process_is_not_monkey_patched_by_the_check() -> None:
    """The check of quantum.server ran without patching the test process (the
    control: the module is among those checked)."""
    assert any(p.name == "server.py" and p.parent.name == "quantum" for p in _modules())
    patcher = sys.modules.get("eventlet.patcher")
    assert patcher is None or not patcher.is_monkey_patched("thread")
