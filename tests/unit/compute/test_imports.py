# SPDX-License-Identifier: Apache-2.0
"""``quantum-vif plug`` stays a small process (issue 9, item 6): what it imports on
its way to OVSDB is the ``ovs`` library's JSON-RPC and our own modules, never
eventlet (0.2-0.3 s of a plug's start-up before 96625bf, which the ``ovs`` library
pulls in only to ask whether ``select`` is monkey-patched), ovsdbapp (pbr,
importlib.metadata), nor the server's or the API client's libraries, nor the
service's whole error hierarchy (only its families, ``quantum.core.families``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

#: Top-level packages a plug must not import.
HEAVY = (
    "eventlet", "dns", "ovsdbapp", "pbr", "sqlalchemy", "oslo_config", "webob",
    "requests", "keystoneauth1", "os_ken", "cryptography",
)  # fmt: skip

#: Modules of our own a plug does not need: every error the service knows is a
#: dataclass made at import (about 19 ms); a plug needs only the families.
OURS = ("quantum.core.exceptions", "quantum.api", "quantum.db", "quantum.plugins")

PLUG = """
import json, sys
from quantum.compute import cli
code = cli.main([
    "plug", "--iface-id", "3b9b7c1e-5d2e-4c6a-9f0e-000000000001",
    "--mac", "fa:16:3e:00:01:01", "--instance-id", "vm-1", "--netns", "vm1",
    "--ovsdb", sys.argv[1], "--timeout", "0.2", *sys.argv[2:],
])
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _plug_modules(ovsdb: str, *extra: str) -> tuple[int, set[str], str]:
    """Run a plug that fails at OVSDB (nothing listens at ``ovsdb``) in a fresh
    interpreter; its exit code, every module it had imported by then, and what it
    said on standard error."""
    done = subprocess.run(  # noqa: S603  # NOTE: our own interpreter and script
        [sys.executable, "-c", PLUG, ovsdb, *extra],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.splitlines()[-1])
    return result["code"], set(result["modules"]), done.stderr


def test_a_plug_reaches_ovsdb_without_eventlet_or_ovsdbapp(tmp_path: Path) -> None:
    code, modules, _ = _plug_modules(f"unix:{tmp_path / 'db.sock'}")
    assert code == 1  # cannot reach OVSDB: nothing listens there
    # positive control: it did get as far as OVSDB, through the ovs library
    assert {"quantum.compute.switch", "ovs.jsonrpc"} <= modules
    loaded = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert loaded == [], loaded
    ours = sorted(m for m in modules if m.startswith(OURS))
    assert ours == [], ours


@pytest.mark.skipif(shutil.which("ip") is None, reason="needs iproute2's ip")
def test_a_linux_bridge_plug_does_not_even_load_the_ovs_library(
    tmp_path: Path,
) -> None:
    # NOTE: a host namespace that does not exist: ``ip`` refuses before any change
    absent = f"absent-{os.getpid()}"
    code, modules, said = _plug_modules(
        f"unix:{tmp_path / 'db.sock'}", "--vif-type", "bridge",
        "--network-id", "5b0e8a3e-6f3c", "--host-netns", absent,
    )  # fmt: skip
    assert code == 1
    # positive control: it got as far as making the device (in no namespace)
    assert said.startswith(f"quantum-vif: ip -n {absent} link add tap3b9b7c1e-5d"), said
    unwanted = sorted(
        m for m in modules if m.split(".")[0] in {*HEAVY, "ovs"} or m.startswith(OURS)
    )
    assert unwanted == [], unwanted
    assert "quantum.compute.switch" not in modules
