# SPDX-License-Identifier: Apache-2.0
"""README.md works as printed: its curl walk-throughs against a running server, and
its paste.deploy line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from paste.deploy import loadapp

from quantum.testing import markdown
from quantum.testing.client import Client, write_config
from quantum.testing.markdown import blocks
from quantum.testing.server import ServerProcess, free_port, start_sql_server

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text()
HOST = "127.0.0.1"
PRINTED = "127.0.0.1:9696"


def section(title: str) -> str:
    return markdown.section(README, title)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """The server as ./scripts/serve starts it (SQL plugin, noauth), on a free port."""
    process = start_sql_server(tmp_path_factory.mktemp("readme"), HOST)
    yield process
    process.stop(timeout=15)


def run(block: str, server: ServerProcess) -> list[str]:
    """A shell block as printed, but against the test server's port."""
    script = block.replace(PRINTED, f"{server.host}:{server.port}")
    done = subprocess.run(  # noqa: S603  # NOTE: the README's own commands
        ["bash", "-e", "-u", "-o", "pipefail", "-c", script],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout.splitlines()


def documents(lines: list[str]) -> list[object]:
    """The JSON documents in the output (``python3 -m json.tool`` pretty-prints)."""
    found, decoder, text = [], json.JSONDecoder(), "\n".join(lines)
    position = 0
    while (start := text.find("{", position)) != -1:
        value, position = decoder.raw_decode(text, start)
        found.append(value)
    return found


def test_the_v1_walk_through(server: ServerProcess) -> None:
    (block,) = blocks(section("Walk-through with curl"), "sh")
    lines = run(block, server)
    assert lines[0] == "204"
    nets, detail = documents([line for line in lines if not line.startswith("<")])
    assert [n["name"] for n in nets["networks"]] == ["web"]  # type: ignore[index]
    (port,) = detail["network"]["ports"]  # type: ignore[index]
    assert port["attachment"] == {"id": "vif-0001"}
    assert port["state"] == "ACTIVE"
    assert lines[-1].startswith("<network ")
    assert 'name="web"' in lines[-1]


def test_the_v2_walk_through(server: ServerProcess) -> None:
    text = section("Walk-through of v2.0 with curl")
    (block,) = blocks(text, "sh")
    lines = run(block, server)
    assert json.loads(lines[-1]) == {"networks": []}
    subnet, port, ports = documents(lines[:-1])
    assert subnet["subnet"]["cidr"] == "10.0.0.0/24"  # type: ignore[index]
    made = port["port"]  # type: ignore[index]
    assert made["tenant_id"] == "demo"
    assert made["fixed_ips"][0]["ip_address"] == "10.0.0.2"
    assert ports == {"ports": [made]}
    # NOTE: what the warning says: no header is an administrator, who sees demo's
    # network, and who must name a tenant to create one (the 400 names the header)
    client = ["curl", "-s", f"http://{server.host}:{server.port}/v2.0/networks"]
    seen = json.loads(subprocess.run(client, capture_output=True, check=True).stdout)  # noqa: S603
    assert any(n["tenant_id"] == "demo" for n in seen["networks"])
    create = [*client, "-H", "Content-Type: application/json", "-d", "{}"]
    create[-1] = '{"network": {"name": "x"}}'
    refused = subprocess.run(create, capture_output=True, check=True).stdout  # noqa: S603
    assert "X-Project-Id" in json.loads(refused)["NeutronError"]["message"]
    assert "X-Project-Id" in text
    assert "administrator" in text


def test_the_standard_attributes_walk_through(server: ServerProcess) -> None:
    (block,) = blocks(section("Descriptions, revisions and tags (v2.0)"), "sh")
    lines = run(block, server)
    assert json.loads(lines[0]) == {"tags": ["db", "prod"]}
    assert lines[1] == "201"
    listed = json.loads(lines[2])["networks"]
    assert listed == [{"name": "db", "tags": ["db", "eu", "prod"]}]
    assert lines[3] == "412"
    (renamed,) = documents(lines[4:])
    net = renamed["network"]  # type: ignore[index]
    assert (net["name"], net["revision_number"]) == ("db-2", 4)
    assert net["description"] == "the database tier"
    assert net["updated_at"] >= net["created_at"]


def test_the_paste_deploy_line_loads_the_app(tmp_path: Path) -> None:
    (block,) = blocks(section("Running it for real"), "python")
    write_config(tmp_path, core_plugin="fake")
    shutil.copy(REPO / "etc" / "api-paste.ini", tmp_path / "api-paste.ini")
    code = textwrap.dedent(block).replace("/etc/quantum/", f"{tmp_path}/")
    assert code != block
    scope: dict[str, object] = {}
    exec(code, scope)  # noqa: S102  # NOTE: the README's own two lines
    client = Client(scope["application"])  # type: ignore[arg-type]
    created = client.post("/v1.1/tenants/t1/networks", {"network": {"name": "n"}})
    assert created.status_int == 202
    # NOTE: positive control: the line as README printed it before (no name) fails
    with pytest.raises(LookupError, match="No section 'main'"):
        loadapp(f"config:{tmp_path}/api-paste.ini")


def _http(
    url: str, method: str = "GET", body: object = None, project: str = "readme"
) -> tuple[int, str]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310  # NOTE: our own loopback URL
        url,
        data=data,
        method=method,
        headers={"X-Project-Id": project, "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
        return answer.status, answer.read().decode()


def test_the_dashboard_command_serves_the_page_and_the_servers_api(
    server: ServerProcess, tmp_path: Path
) -> None:
    """``./scripts/dashboard`` as the README prints it, its two ports moved to free
    ones: it serves the page, and the API of the running server behind it."""
    assert "./scripts/dashboard" in README
    api = f"http://{server.host}:{server.port}"
    network = {"network": {"name": "seen-through-the-dashboard"}}
    assert _http(f"{api}/v2.0/networks", "POST", network)[0] == 201
    port = free_port(HOST)
    log = tmp_path / "dashboard.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603  # NOTE: the README's command
            [str(REPO / "scripts" / "dashboard"), "--api-url", api,
             "--bind-port", str(port)],
            cwd=REPO,
            env={**os.environ, "QUANTUM_VENV": sys.prefix},
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        page = f"http://{HOST}:{port}"
        deadline = time.monotonic() + 120  # NOTE: the script may install first
        while True:
            assert process.poll() is None, log.read_text()
            try:
                status, html = _http(f"{page}/")
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        assert status == 200
        assert "<html" in html.lower()
        status, text = _http(f"{page}/v2.0/networks")
        assert status == 200
        names = [n["name"] for n in json.loads(text)["networks"]]
        assert names == ["seen-through-the-dashboard"]
        status, text = _http(f"{page}/v2.0/networks", project="someone-else")
        assert (status, json.loads(text)["networks"]) == (200, [])
    finally:
        process.terminate()
    assert process.wait(15) == 0, log.read_text()
