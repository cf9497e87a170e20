# SPDX-License-Identifier: Apache-2.0
"""Running quantum-servers and the real OpenStack clients that talk to them.

* ``server``/``endpoint``: SQL plugin, ``auth_strategy = noauth`` (clients use auth
  type none and an endpoint override; the caller is an admin without a project, so
  creates name their project in the body).
* ``cloud``: SQL plugin behind a real Keystone (``tests/functional/auth``), registered
  in its catalog as the network service, and the ``demo`` user's credentials: how the
  openstack CLI creates resources that belong to a project.

The clients live in their own virtualenv (``.venv-clients``, or
``QUANTUM_CLIENTS_VENV``), made from requirements-clients.txt by scripts/test
(scripts/venv.sh: ensure_clients_venv) or, failing that, by the first test that needs
it (about half a minute); it is re-made when that file changes. The Grizzly
``quantum`` CLI (``grizzly``) runs on Python 2.7 in ``.venv-grizzly`` (or
``QUANTUM_GRIZZLY_VENV``), made by scripts/venv.sh's ensure_grizzly_venv, which the
first test that needs it also calls. Tempest (``tempest_venv``, for
test_tempest.py) lives in ``.venv-tempest`` (or ``QUANTUM_TEMPEST_VENV``), made from
requirements-tempest.txt by scripts/venv.sh's ensure_tempest_venv, which that test
calls too.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from quantum.testing.client import write_config
from quantum.testing.keystone import ADMIN_PASSWORD
from quantum.testing.server import (
    ServerProcess,
    db_manage,
    free_port,
    start_sql_server,
)
from tests.conftest import unavailable
from tests.functional.auth.conftest import PASSWORDS, Identity, keystone

__all__ = ["keystone"]  # NOTE: the session's Keystone, for ``cloud``

REPO = Path(__file__).resolve().parents[3]
REQUIREMENTS = REPO / "requirements-clients.txt"
VENV = Path(os.environ.get("QUANTUM_CLIENTS_VENV", REPO / ".venv-clients"))
GRIZZLY_VENV = Path(os.environ.get("QUANTUM_GRIZZLY_VENV", REPO / ".venv-grizzly"))
TEMPEST_VENV = Path(os.environ.get("QUANTUM_TEMPEST_VENV", REPO / ".venv-tempest"))
HOST = "127.0.0.1"


def _ensure_venv() -> Path:
    stamp = VENV / (
        ".installed-" + hashlib.sha1(REQUIREMENTS.read_bytes()).hexdigest()[:12]  # noqa: S324
    )
    python = VENV / "bin" / "python"
    if stamp.exists() and python.exists():
        return VENV
    steps = [
        [sys.executable, "-m", "venv", str(VENV)],
        [str(python), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
    ]
    for step in steps:
        done = subprocess.run(  # noqa: S603  # NOTE: fixed commands
            step, capture_output=True, text=True, check=False, timeout=900
        )
        if done.returncode != 0:
            unavailable(f"cannot install the OpenStack clients: {done.stderr[-2000:]}")
    for old in VENV.glob(".installed-*"):
        old.unlink()
    stamp.touch()
    return VENV


@pytest.fixture(scope="session")
def clients_venv() -> Path:
    return _ensure_venv()


def _venv_sh(function: str, variable: str, venv: Path, what: str) -> Path:
    """Run scripts/venv.sh's ``function`` for ``venv`` (named in ``variable``)."""
    done = subprocess.run(  # noqa: S603  # NOTE: fixed command
        ["/bin/bash", "-c", f". scripts/venv.sh && {function}"],
        cwd=REPO,
        env={**os.environ, variable: str(venv)},
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if done.returncode != 0:
        unavailable(f"cannot install {what}: {done.stderr[-2000:]}")
    return venv


@pytest.fixture(scope="session")
def grizzly_venv() -> Path:
    """python-quantumclient 2.2.3 on Python 2.7 (scripts/venv.sh installs it)."""
    return _venv_sh(
        "ensure_grizzly_venv",
        "QUANTUM_GRIZZLY_VENV",
        GRIZZLY_VENV,
        "the Grizzly client",
    )


@pytest.fixture(scope="session")
def tempest_venv() -> Path:
    """Tempest, pinned in requirements-tempest.txt (scripts/venv.sh installs it)."""
    return _venv_sh(
        "ensure_tempest_venv", "QUANTUM_TEMPEST_VENV", TEMPEST_VENV, "tempest"
    )


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    directory = tmp_path_factory.mktemp("clients-server")
    process = start_sql_server(directory, HOST, log_file=directory / "quantum.log")
    yield process
    process.stop(timeout=15)


@pytest.fixture(scope="session")
def endpoint(server: ServerProcess) -> str:
    return f"http://{server.host}:{server.port}"


@pytest.fixture(scope="session")
def cloud(
    keystone: Identity, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """A keystone-authenticated server (with routers and floating IPs) in the
    catalog; the demo user's OS_* vars, its project's id and the server's ``url``."""
    directory = tmp_path_factory.mktemp("cloud-server")
    port = free_port(HOST)
    config = write_config(
        directory,
        bind_host=HOST,
        bind_port=port,
        core_plugin="sql",
        service_plugins="router",
        auth_strategy="keystone",
        log_file=directory / "quantum.log",
    )
    identity = keystone.keystone
    with config.open("a") as conf:
        conf.write(identity.authtoken_section())
    done = db_manage(config, "upgrade", "head")
    assert done.returncode == 0, done.stderr
    admin = identity.admin_token()
    status, _, made = identity.call(
        "POST",
        "/v3/services",
        {"service": {"type": "network", "name": "quantum"}},
        admin,
    )
    assert status == 201, made
    for interface in ("public", "internal", "admin"):
        status, _, answer = identity.call(
            "POST",
            "/v3/endpoints",
            {
                "endpoint": {
                    "service_id": made["service"]["id"],
                    "interface": interface,
                    "region_id": "RegionOne",
                    "url": f"http://{HOST}:{port}",
                }
            },
            admin,
        )
        assert status == 201, answer
    process = ServerProcess(config, HOST, port)
    process.start()
    yield {
        "OS_AUTH_URL": f"{identity.url}/v3",
        "OS_IDENTITY_API_VERSION": "3",
        "OS_USERNAME": "demo",
        "OS_PASSWORD": PASSWORDS["demo"],
        "OS_PROJECT_NAME": "demo",
        "OS_USER_DOMAIN_NAME": "Default",
        "OS_PROJECT_DOMAIN_NAME": "Default",
        "OS_REGION_NAME": "RegionOne",
        "OS_INTERFACE": "public",
        "project_id": keystone.project("demo"),
        "url": f"http://{HOST}:{port}",
    }
    process.stop(timeout=15)


class Openstack:
    """The ``openstack`` CLI: auth type none and an endpoint override, or the
    ``OS_*`` credentials in ``auth`` (a Keystone user; the catalog has the server)."""

    def __init__(
        self, venv: Path, endpoint: str, auth: dict[str, str] | None = None
    ) -> None:
        self.binary = venv / "bin" / "openstack"
        self.endpoint = endpoint
        self.auth = auth

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "HTTP"))}
        env["HOME"] = str(VENV)  # NOTE: no user clouds.yaml or cache leaks in
        how = ["--os-auth-type", "none", "--os-endpoint", self.endpoint]
        if self.auth is not None:
            how = []
            env.update({k: v for k, v in self.auth.items() if k.startswith("OS_")})
        return subprocess.run(  # noqa: S603  # NOTE: the client under test
            [str(self.binary), *how, *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            env=env,
        )

    def json(self, *args: str) -> Any:
        done = self.run(*args, "-f", "json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    def ok(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode == 0, done.stderr
        return done.stdout


@pytest.fixture(scope="session")
def openstack(clients_venv: Path, endpoint: str) -> Openstack:
    """The CLI with auth type none against the noauth server."""
    return Openstack(clients_venv, endpoint)


@pytest.fixture(scope="session")
def openstack_user(clients_venv: Path, cloud: dict[str, str]) -> Openstack:
    """The CLI as Keystone user demo, finding the server in the catalog."""
    return Openstack(clients_venv, "", cloud)


@pytest.fixture(scope="session")
def openstack_admin(clients_venv: Path, cloud: dict[str, str]) -> Openstack:
    """The CLI as Keystone's bootstrap admin (project admin), through the catalog."""
    admin = {"OS_USERNAME": "admin", "OS_PASSWORD": ADMIN_PASSWORD}
    return Openstack(clients_venv, "", {**cloud, **admin, "OS_PROJECT_NAME": "admin"})


class Quantum:
    """The Grizzly ``quantum`` CLI with a token and the endpoint (no Keystone: its
    password flow is Keystone v2.0's); against the noauth server it is an admin."""

    def __init__(self, venv: Path, endpoint: str) -> None:
        self.binary = venv / "bin" / "quantum"
        self.endpoint = endpoint

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603  # NOTE: the client under test
            [
                str(self.binary),
                "--os-token",
                "unused",
                "--os-url",
                self.endpoint,
                *args,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
            env={k: v for k, v in os.environ.items() if not k.startswith("OS_")},
        )


@pytest.fixture(scope="session")
def quantum(grizzly_venv: Path, endpoint: str) -> Quantum:
    return Quantum(grizzly_venv, endpoint)


def post(endpoint: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """Create over plain HTTP (noauth, so the body names the project)."""
    where = urlsplit(endpoint)
    conn = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
    try:
        conn.request(
            "POST", path, json.dumps(body), {"Content-Type": "application/json"}
        )
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    assert response.status == 201, raw
    return json.loads(raw)  # type: ignore[no-any-return]


def run_python(venv: Path, script: str, *args: str) -> Any:
    """Run ``script`` with the clients' python; its stdout is one JSON document."""
    done = subprocess.run(  # noqa: S603  # NOTE: our own script
        [str(venv / "bin" / "python"), "-c", script, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("OS_")},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
