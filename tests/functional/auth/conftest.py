# SPDX-License-Identifier: Apache-2.0
"""A real Keystone (SQLite, fernet, gunicorn on a free loopback port) for the session,
its users, and the Quantum app validating tokens against it.

* ``keystone``: the running Keystone; users ``demo`` and ``alt`` (role member, each
  in its own project), ``reader`` (role reader only, in ``demo``'s project),
  ``admin`` (the bootstrap admin) and ``nova`` (the compute service: roles admin and
  service in project service); ``quantum`` is the service user auth_token validates
  tokens with.
* ``keystone_api``: the v1 app under ``auth_strategy = keystone`` over the SQL plugin
  on SQLite, validated tokens cached (keystonemiddleware's default).
* ``uncached_api``: the same with ``token_cache_time = -1``: Keystone is asked on
  every request, so a revocation is seen at once.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from quantum.api.app import Service, load_app, service_for
from quantum.core.settings import load_settings
from quantum.db import migration
from quantum.db.session import make_engine
from quantum.testing.client import Client, write_config
from quantum.testing.keystone import (
    SERVICE_PASSWORD,
    Keystone,
    KeystoneUnavailable,
    User,
)
from tests.conftest import unavailable

PASSWORDS = {"demo": "pw-demo", "alt": "pw-alt", "nova": "pw-nova", "reader": "pw-r"}


@dataclass
class Identity:
    keystone: Keystone
    users: dict[str, User]

    tokens: dict[str, str] = field(default_factory=dict)

    def token(self, name: str) -> str:
        """A token of user ``name``, the same one each time (cached)."""
        if name == "admin":
            return self.keystone.admin_token()
        if name not in self.tokens:
            self.tokens[name] = self.fresh_token(name)
        return self.tokens[name]

    def fresh_token(self, name: str) -> str:
        user = self.users[name]
        return self.keystone.token(user.name, user.password, user.project)

    def project(self, name: str) -> str:
        return self.users[name].project_id


@pytest.fixture(scope="session")
def keystone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Identity]:
    server = Keystone(tmp_path_factory.mktemp("keystone"))
    try:
        server.start()
        server.add_user("quantum", SERVICE_PASSWORD, "service", "service")
        users = {
            "demo": server.add_user("demo", PASSWORDS["demo"], "demo", "member"),
            "alt": server.add_user("alt", PASSWORDS["alt"], "alt", "member"),
            "reader": server.add_user("reader", PASSWORDS["reader"], "demo", "reader"),
            "nova": server.add_user(
                "nova", PASSWORDS["nova"], "service", "admin", "service"
            ),
        }
        _, _, found = server.call(
            "GET", "/v3/projects?name=admin", token=server.admin_token()
        )
        users["admin"] = User("admin", "", "admin", found["projects"][0]["id"])
    except KeystoneUnavailable as error:
        server.stop()
        unavailable(str(error))
    try:
        yield Identity(server, users)
    finally:
        server.stop()


@dataclass
class KeystoneApi:
    client: Client
    service: Service


def _api(directory: Path, keystone: Keystone, **authtoken: object) -> KeystoneApi:
    url = f"sqlite:///{directory / 'quantum.sqlite'}"
    config = write_config(
        directory, core_plugin="sql", sql_connection=url, auth_strategy="keystone"
    )
    with config.open("a") as conf:
        conf.write(keystone.authtoken_section(**authtoken))
        # NOTE: the matrix makes a network or two per cell for one project; it is
        # about who may do what, so the default quotas (which v1 now obeys) are off.
        conf.write(
            "\n[QUOTAS]\nquota_network = -1\nquota_subnet = -1\nquota_port = -1\n"
            "quota_router = -1\nquota_floatingip = -1\n"
        )
    engine = make_engine(url)
    migration.upgrade(engine)
    engine.dispose()
    app = load_app(load_settings(config))
    return KeystoneApi(Client(app), service_for({"config_file": str(config)}))


@pytest.fixture(scope="module")
def keystone_api(
    keystone: Identity, tmp_path_factory: pytest.TempPathFactory
) -> KeystoneApi:
    return _api(tmp_path_factory.mktemp("cached"), keystone.keystone)


@pytest.fixture(scope="module")
def uncached_api(
    keystone: Identity, tmp_path_factory: pytest.TempPathFactory
) -> KeystoneApi:
    directory = tmp_path_factory.mktemp("uncached")
    return _api(directory, keystone.keystone, token_cache_time=-1)
