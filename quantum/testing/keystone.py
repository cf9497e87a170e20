# SPDX-License-Identifier: Apache-2.0
"""A real Keystone for the authentication tests: SQLite, fernet tokens, gunicorn.

Keystone lives in its own virtualenv (``requirements-keystone.txt``, made by
``scripts/venv.sh``'s ``ensure_keystone_venv``; ``$QUANTUM_KEYSTONE_VENV`` or
``.venv-keystone``), so its dependencies never meet the service's pins. ``start``
bootstraps a fresh identity store in a directory and serves it on a free loopback port;
a second server on the same store and keys issues tokens that expire after
``SHORT_LIVED`` seconds, for the expired-token test. ``stop`` ends both.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quantum.testing.server import REPO, free_port

SHORT_LIVED = 4
"""Seconds a token of the short-lived server stays valid."""

ADMIN_PASSWORD = "s3cret-admin"  # noqa: S105  # NOTE: a throw-away test Keystone
SERVICE_PASSWORD = "s3cret-quantum"  # noqa: S105

WSGI_WRAPPER = """\
# keystone parses sys.argv with oslo.config at import; gunicorn's own arguments
# would stop every worker.
import sys

sys.argv = sys.argv[:1]
from keystone.wsgi.api import application  # noqa: E402,F401
"""


class KeystoneUnavailable(Exception):
    """Keystone cannot be installed or started here (the reason says why)."""


def keystone_venv() -> Path:
    return Path(os.environ.get("QUANTUM_KEYSTONE_VENV", REPO / ".venv-keystone"))


def _config(directory: Path, expiration: int) -> str:
    return f"""[DEFAULT]
log_dir = {directory}
log_file = keystone-{expiration}.log
[database]
connection = sqlite:///{directory / "keystone.db"}
[token]
provider = fernet
expiration = {expiration}
[fernet_tokens]
key_repository = {directory / "fernet-keys"}
[fernet_receipts]
key_repository = {directory / "fernet-receipts"}
[credential]
key_repository = {directory / "credential-keys"}
[identity]
password_hash_rounds = 4
[cache]
enabled = false
"""


@dataclass
class User:
    name: str
    password: str
    project: str
    """The project's name."""
    project_id: str = ""
    user_id: str = ""


@dataclass
class Keystone:
    directory: Path
    port: int = 0
    short_port: int = 0
    projects: dict[str, str] = field(default_factory=dict)
    """Project name -> id."""
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _admin: str = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- life cycle -----------------------------------------------------------------

    def start(self) -> None:
        venv = keystone_venv()
        manage = venv / "bin" / "keystone-manage"
        if not (manage.exists() and (venv / "bin" / "gunicorn").exists()):
            raise KeystoneUnavailable(
                f"no Keystone virtualenv at {venv} (scripts/venv.sh: "
                "ensure_keystone_venv makes it)"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "ks_wsgi.py").write_text(WSGI_WRAPPER)
        main_conf = self.directory / "keystone.conf"
        main_conf.write_text(_config(self.directory, 86400))
        short_conf = self.directory / "keystone-short.conf"
        short_conf.write_text(_config(self.directory, SHORT_LIVED))
        self.port, self.short_port = free_port(), free_port()

        def km(*args: str) -> None:
            self._run([str(manage), "--config-file", str(main_conf), *args])

        owner = ("--keystone-user", "root", "--keystone-group", "root")
        with ThreadPoolExecutor(3) as pool:
            jobs = [
                pool.submit(km, "db_sync"),
                pool.submit(km, "fernet_setup", *owner),
                pool.submit(km, "credential_setup", *owner),
            ]
            for job in jobs:
                job.result()
        endpoint = f"{self.url}/v3/"
        km(
            "bootstrap",
            "--bootstrap-password", ADMIN_PASSWORD,
            "--bootstrap-admin-url", endpoint,
            "--bootstrap-public-url", endpoint,
            "--bootstrap-internal-url", endpoint,
            "--bootstrap-region-id", "RegionOne",
        )  # fmt: skip
        self._serve(venv, main_conf, self.port, workers=2)
        self._serve(venv, short_conf, self.short_port, workers=1)
        for port in (self.port, self.short_port):
            self._wait_ready(port)

    def _run(self, argv: list[str]) -> None:
        done = subprocess.run(  # noqa: S603  # NOTE: keystone-manage, fixed arguments
            argv, capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise KeystoneUnavailable(
                f"{' '.join(argv[:1] + argv[3:4])} failed: {done.stderr[-2000:]}"
            )

    def _serve(self, venv: Path, conf: Path, port: int, workers: int) -> None:
        env = {**os.environ, "OS_KEYSTONE_CONFIG_FILES": str(conf)}
        log = (self.directory / f"gunicorn-{port}.out").open("wb")
        self._procs.append(
            subprocess.Popen(  # noqa: S603  # NOTE: our venv's gunicorn, fixed args
                [
                    str(venv / "bin" / "gunicorn"),
                    "-b",
                    f"127.0.0.1:{port}",
                    "-w",
                    str(workers),
                    "--chdir",
                    str(self.directory),
                    "ks_wsgi:application",
                ],  # fmt: skip
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )

    def _wait_ready(self, port: int, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in self._procs):
                raise KeystoneUnavailable(f"gunicorn exited; see {self.directory}")
            try:
                with urllib.request.urlopen(  # noqa: S310  # NOTE: loopback http
                    f"http://127.0.0.1:{port}/v3", timeout=5
                ) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise KeystoneUnavailable(f"Keystone on port {port} not ready in {timeout}s")

    def stop(self) -> None:
        for proc in self._procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self._procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self._procs.clear()

    # -- the identity API -----------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
        port: int | None = None,
    ) -> tuple[int, dict[str, str], Any]:
        """One request to Keystone: (status, headers, decoded JSON or None)."""
        request = urllib.request.Request(  # noqa: S310  # NOTE: loopback http
            f"http://127.0.0.1:{port or self.port}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                **({"X-Auth-Token": token} if token else {}),
                **(headers or {}),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
                raw = answer.read()
                return answer.status, dict(answer.headers), json.loads(raw or "null")
        except urllib.error.HTTPError as error:
            raw = error.read()
            return error.code, dict(error.headers), json.loads(raw or "null")

    def token(self, user: str, password: str, project: str, short: bool = False) -> str:
        """A project-scoped token (from the short-lived server if ``short``)."""
        status, headers, _ = self.call(
            "POST",
            "/v3/auth/tokens",
            {
                "auth": {
                    "identity": {
                        "methods": ["password"],
                        "password": {
                            "user": {
                                "name": user,
                                "domain": {"id": "default"},
                                "password": password,
                            }
                        },
                    },
                    "scope": {
                        "project": {"name": project, "domain": {"id": "default"}}
                    },
                }
            },
            port=self.short_port if short else None,
        )
        if status != 201:
            raise KeystoneUnavailable(f"token for {user}: HTTP {status}")
        return headers["X-Subject-Token"]

    def admin_token(self) -> str:
        """The bootstrap admin's token (fetched once)."""
        if not self._admin:
            self._admin = self.token("admin", ADMIN_PASSWORD, "admin")
        return self._admin

    def revoke(self, token: str) -> None:
        status, _, _ = self.call(
            "DELETE",
            "/v3/auth/tokens",
            token=self.admin_token(),
            headers={"X-Subject-Token": token},
        )
        if status != 204:
            raise KeystoneUnavailable(f"revoking a token: HTTP {status}")

    def _role_id(self, admin: str, name: str) -> str:
        _, _, found = self.call("GET", f"/v3/roles?name={name}", token=admin)
        if found["roles"]:
            return str(found["roles"][0]["id"])
        _, _, made = self.call("POST", "/v3/roles", {"role": {"name": name}}, admin)
        return str(made["role"]["id"])

    def _project_id(self, admin: str, name: str) -> str:
        if name not in self.projects:
            _, _, found = self.call("GET", f"/v3/projects?name={name}", token=admin)
            if found["projects"]:
                self.projects[name] = found["projects"][0]["id"]
            else:
                _, _, made = self.call(
                    "POST",
                    "/v3/projects",
                    {"project": {"name": name, "domain_id": "default"}},
                    admin,
                )
                self.projects[name] = made["project"]["id"]
        return self.projects[name]

    def add_user(self, name: str, password: str, project: str, *roles: str) -> User:
        """A user with ``roles`` on ``project`` (made if needed)."""
        admin = self.admin_token()
        project_id = self._project_id(admin, project)
        status, _, made = self.call(
            "POST",
            "/v3/users",
            {"user": {"name": name, "password": password, "domain_id": "default"}},
            admin,
        )
        if status != 201:
            raise KeystoneUnavailable(f"creating user {name}: HTTP {status}")
        user_id = made["user"]["id"]
        for role in roles:
            role_id = self._role_id(admin, role)
            status, _, _ = self.call(
                "PUT",
                f"/v3/projects/{project_id}/users/{user_id}/roles/{role_id}",
                token=admin,
            )
            if status != 204:
                raise KeystoneUnavailable(f"granting {role} to {name}: HTTP {status}")
        return User(name, password, project, project_id, user_id)

    def authtoken_section(self, **extra: object) -> str:
        """``[keystone_authtoken]`` for a quantum.conf validating against this."""
        lines = [
            "[keystone_authtoken]",
            f"www_authenticate_uri = {self.url}",
            "auth_type = password",
            f"auth_url = {self.url}/v3",
            "username = quantum",
            f"password = {SERVICE_PASSWORD}",
            "project_name = service",
            "user_domain_name = Default",
            "project_domain_name = Default",
            *(f"{key} = {value}" for key, value in extra.items()),
        ]
        return "\n".join(lines) + "\n"
