# SPDX-License-Identifier: Apache-2.0
"""docs/cli.md works as printed: each ``$`` line of its console blocks runs in
bash (bin/ on PATH, the server moved to a free port, the project made unique) and
prints what the document shows (stdout and stderr as one; ids may differ), and its
Python block runs. The console blocks have a server of their own, with routers (an
external network is every tenant's to see: it would show in other tests' lists) and
load balancing."""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from quantum.testing.server import start_sql_server
from tests.functional.clients.conftest import HOST, post

REPO = Path(__file__).resolve().parents[3]
DOC = (REPO / "docs" / "cli.md").read_text()
PRINTED = "http://127.0.0.1:9696"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _steps(block: str) -> list[tuple[str, str]]:
    """(command, expected output) of each ``$`` line of a console block."""
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return [(cmd, "".join(f"{ln}\n" for ln in out)) for cmd, out in steps]


def _ids_as_seen(text: str) -> str:
    """Ids numbered by first appearance, so equal ids stay equal."""
    seen: dict[str, str] = {}
    return UUID.sub(lambda m: seen.setdefault(m.group(), f"<id{len(seen)}>"), text)


@pytest.fixture(scope="module")
def docs_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("cli-docs")
    server = start_sql_server(
        directory,
        HOST,
        service_plugins="router,lbaas",
        log_file=directory / "quantum.log",
    )
    yield f"http://{server.host}:{server.port}"
    server.stop(timeout=15)


def test_the_console_blocks_print_what_they_show(docs_endpoint: str) -> None:
    endpoint = docs_endpoint
    blocks = re.findall(r"```console\n(.*?)```", DOC, flags=re.DOTALL)
    assert len(blocks) >= 5
    env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
    # NOTE: bin/quantum, run by the python that has the dependencies
    env["PATH"] = f"{REPO / 'bin'}:{Path(sys.executable).parent}:{env['PATH']}"
    exports = ""
    ids: dict[str, str] = {}
    for block in blocks:
        for command, expected in _steps(block):
            if command.startswith("export "):
                exports += command.replace(PRINTED, endpoint).replace(
                    "OS_PROJECT_ID=demo", "OS_PROJECT_ID=cli-docs"
                )
                exports += "\n"
                assert expected == ""
                continue
            # NOTE: an id the document types is the one it was shown earlier
            typed = UUID.sub(lambda m: ids[m.group()], command)
            done = subprocess.run(  # noqa: S603  # NOTE: the document's commands
                ["bash", "-c", exports + typed],  # noqa: S607
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                check=False,
                timeout=120,
                env=env,
                cwd=REPO,
            )
            got = done.stdout
            assert _ids_as_seen(got) == _ids_as_seen(expected), command
            for printed, real in zip(
                UUID.findall(expected), UUID.findall(got), strict=True
            ):
                ids.setdefault(printed, real)


def test_the_python_block_runs(endpoint: str) -> None:
    (block,) = re.findall(r"```python\n(.*?)```", DOC, flags=re.DOTALL)
    # another tenant's network is not counted
    post(endpoint, "/v2.0/networks", {"network": {"name": "x", "tenant_id": "other"}})
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(block.replace(PRINTED, endpoint), {})  # noqa: S102  # NOTE: the doc's code
    assert out.getvalue() == "db-1\nNetworkInUse\n1\n"
