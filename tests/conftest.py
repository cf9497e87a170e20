# SPDX-License-Identifier: Apache-2.0
"""Fixtures shared by every tier.

* ``database_url`` (parametrised over sqlite, postgresql, mysql): an empty, migrated
  database per back-end for the whole session; rows are removed before each test.
* ``api``: the whole Paste app in-process over each plugin: ``fake``, the SQL plugin
  on each back-end, and the Open vSwitch plugin (VLAN tenant networks) on SQLite.
  ``api.port_status`` is the op-status a fresh port shows.

A back-end whose server is unreachable skips its tests locally; with ``CI=true`` it is
a failure, because CI must exercise every tier.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings
from sqlalchemy import create_engine, text

from quantum.api.app import close_services, load_app
from quantum.core.settings import load_settings
from quantum.db import extension_models, migration  # noqa: F401  # NOTE: its tables too
from quantum.db.models import Base
from quantum.db.session import make_engine
from quantum.testing import databases
from quantum.testing.client import Client, write_config

IN_CI = os.environ.get("CI") == "true"

# NOTE: property tests assert behaviour, never speed (bench/ measures speed); on a busy
# 2-core machine hypothesis' default 200 ms deadline fails correct code at random.
settings.register_profile("quantum", deadline=None)
settings.load_profile("quantum")


def unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"required tier cannot run in CI: {reason}")
    pytest.skip(reason)


KEPT = ("store_revision", "store_topics")
CLEARED = tuple(
    table.name
    for table in reversed(Base.metadata.sorted_tables)
    if table.name not in KEPT
)
"""Every table, children first, derived from the models so that a new table is never
left behind (orphan rows there break the next migration's foreign-key check); but
``KEPT``, the feed's revision rows, which must stay."""


@dataclass
class Backend:
    name: str
    url: str

    def clear(self) -> None:
        engine = create_engine(self.url)
        with engine.begin() as conn:
            # NOTE: this engine has no foreign keys on SQLite, so no cascades either.
            for table in CLEARED:
                conn.execute(text(f"DELETE FROM {table}"))  # noqa: S608  # NOTE: ours
        engine.dispose()


_backends: dict[str, Backend] = {}


@pytest.fixture(scope="session")
def scratch_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("quantum")


def _backend(name: str, scratch: Path) -> Backend:
    if name not in _backends:
        db_name = f"quantum_test_{os.getpid()}"
        try:
            url = databases.provision(name, db_name, scratch)
        except databases.Unavailable as error:
            unavailable(str(error))
        engine = make_engine(url)
        migration.upgrade(engine)
        engine.dispose()
        _backends[name] = Backend(name, url)
    return _backends[name]


@pytest.fixture(scope="session", autouse=True)
def _drop_scratch_databases() -> Iterator[None]:
    yield
    close_services()
    for backend in _backends.values():
        databases.drop(backend.name, backend.url.rsplit("/", 1)[-1].split("?")[0])


@pytest.fixture(params=databases.BACKENDS)
def database_url(request: pytest.FixtureRequest, scratch_dir: Path) -> str:
    backend = _backend(request.param, scratch_dir)
    backend.clear()
    return backend.url


@dataclass
class ApiUnderTest:
    client: Client
    plugin: str
    port_status: str
    """op-status of a freshly created port (UP for fake, DOWN until wired for sql)."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)


PLUGINS = ("fake", "sql-sqlite", "sql-postgresql", "sql-mysql", "openvswitch-sqlite")
OVS_INI = """[OVS]
tenant_network_type = vlan
network_vlan_ranges = physnet1:1:4094
"""
_apps: dict[str, Client] = {}


@pytest.fixture(params=PLUGINS)
def api(
    request: pytest.FixtureRequest, scratch_dir: Path, tmp_path: Path
) -> ApiUnderTest:
    return make_api(request.param, scratch_dir, tmp_path)


UNLIMITED = (
    "\n[QUOTAS]\nquota_network = -1\nquota_subnet = -1\nquota_port = -1\n"
    "quota_router = -1\nquota_floatingip = -1\n"
    "quota_security_group = -1\nquota_security_group_rule = -1\n"
)
"""A ``[QUOTAS]`` section lifting every default limit."""


def make_api(
    kind: str,
    scratch_dir: Path,
    tmp_path: Path,
    *,
    unlimited: bool = False,
    service_plugins: str = "",
    overlapping_ips: bool = False,
) -> ApiUnderTest:
    """The app over plugin ``kind`` (one of PLUGINS), its store emptied; with
    ``unlimited``, its tenants have no quotas; with ``service_plugins``, those
    beside it; with ``overlapping_ips``, subnets of different networks may
    overlap."""
    if kind == "fake":
        config = write_config(tmp_path / "fake", core_plugin="fake")
        if unlimited:
            with config.open("a") as conf:
                conf.write(UNLIMITED)
        return ApiUnderTest(Client(load_app(load_settings(config))), "fake", "UP")
    plugin, _, backend_name = kind.partition("-")
    backend = _backend(backend_name, scratch_dir)
    backend.clear()
    key = f"{kind}-unlimited" if unlimited else kind
    if service_plugins:
        key += "-" + service_plugins.replace(",", "-")
    if overlapping_ips:
        key += "-overlapping"
    if key not in _apps:
        options: dict[str, object] = {"sql_connection": backend.url}
        if service_plugins:
            options["service_plugins"] = service_plugins
        if overlapping_ips:
            options["allow_overlapping_ips"] = True
        if plugin == "openvswitch":
            ini = scratch_dir / key / "ovs.ini"
            ini.parent.mkdir(parents=True, exist_ok=True)
            ini.write_text(OVS_INI)
            options["core_plugin_config"] = ini
        config = write_config(scratch_dir / key, core_plugin=plugin, **options)
        if unlimited:
            with config.open("a") as conf:
                conf.write(UNLIMITED)
        _apps[key] = Client(load_app(load_settings(config)))
    return ApiUnderTest(_apps[key], plugin, "DOWN")
