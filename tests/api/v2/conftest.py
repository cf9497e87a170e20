# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the v2 suite.

* ``v2``: a v2 client over every plugin with a v2 view of the store: the SQL plugin
  on each back-end and the Open vSwitch plugin (VLAN tenant networks) on SQLite.
* ``sqlite_v2``: the SQL plugin on SQLite only, for behaviour that lives wholly in
  the API layer (routing, bodies, listing syntax).
* ``l3``: as ``v2`` with the L3 service plugin (``service_plugins = router``) and
  ``allow_overlapping_ips`` (tenants' private CIDRs may repeat); ``sqlite_l3`` on
  SQLite only.
* ``lbaas``: as ``v2`` with the LBaaS service plugin (``service_plugins = lbaas``);
  ``sqlite_lbaas`` on SQLite only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.v2.client import V2
from tests.conftest import PLUGINS, make_api

V2_PLUGINS = tuple(p for p in PLUGINS if p != "fake")


@pytest.fixture(params=V2_PLUGINS)
def v2(request: pytest.FixtureRequest, scratch_dir: Path, tmp_path: Path) -> V2:
    api = make_api(request.param, scratch_dir, tmp_path)
    return V2(api.client, api.plugin)


@pytest.fixture
def sqlite_v2(scratch_dir: Path, tmp_path: Path) -> V2:
    api = make_api("sql-sqlite", scratch_dir, tmp_path)
    return V2(api.client, api.plugin)


@pytest.fixture(params=V2_PLUGINS)
def l3(request: pytest.FixtureRequest, scratch_dir: Path, tmp_path: Path) -> V2:
    api = make_api(
        request.param,
        scratch_dir,
        tmp_path,
        service_plugins="router",
        overlapping_ips=True,
    )
    return V2(api.client, api.plugin)


@pytest.fixture
def sqlite_l3(scratch_dir: Path, tmp_path: Path) -> V2:
    api = make_api(
        "sql-sqlite",
        scratch_dir,
        tmp_path,
        service_plugins="router",
        overlapping_ips=True,
    )
    return V2(api.client, api.plugin)


@pytest.fixture(params=V2_PLUGINS)
def lbaas(request: pytest.FixtureRequest, scratch_dir: Path, tmp_path: Path) -> V2:
    """As ``v2`` with the LBaaS service plugin (``service_plugins = lbaas``)."""
    api = make_api(request.param, scratch_dir, tmp_path, service_plugins="lbaas")
    return V2(api.client, api.plugin)


@pytest.fixture
def sqlite_lbaas(scratch_dir: Path, tmp_path: Path) -> V2:
    api = make_api("sql-sqlite", scratch_dir, tmp_path, service_plugins="lbaas")
    return V2(api.client, api.plugin)
