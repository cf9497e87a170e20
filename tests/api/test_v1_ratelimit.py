# SPDX-License-Identifier: Apache-2.0
"""Rate limiting (issue 4): per tenant and verb, v1's 413 over-limit fault, off by
default, and a refused request changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from quantum.api.app import load_app
from quantum.core.settings import load_settings
from quantum.testing.client import Client, write_config
from tests.api.v1client import NS10, NS11, V1, V10, Expected, Fmt, Version, assert_fault
from tests.conftest import ApiUnderTest

MESSAGE = "This request was rate-limited."


def over_limit(version: Version, retry_after: int) -> Expected:
    detail = f"Too many requests; retry after {retry_after} seconds."
    status = "413 Request Entity Too Large"
    if version is V10:
        payload = {"overLimit": {"code": 413, "message": MESSAGE, "detail": detail}}
        xml = (
            f'<overLimit code="413" xmlns="{NS10}"><message>{MESSAGE}</message>'
            f"<detail>{detail}</detail></overLimit>"
        )
        return Expected(status, payload, xml.encode())
    error = {"type": "OverLimit", "message": MESSAGE, "detail": detail}
    xml = (
        f'<QuantumError xmlns="{NS11}"><type>OverLimit</type>'
        f"<message>{MESSAGE}</message><detail>{detail}</detail></QuantumError>"
    )
    return Expected(status, {"QuantumError": error}, xml.encode())


def _api(tmp_path: Path, **options: object) -> ApiUnderTest:
    config = write_config(tmp_path / "limited", core_plugin="fake", **options)
    return ApiUnderTest(Client(load_app(load_settings(config))), "fake", "UP")


@pytest.fixture
def limited(tmp_path: Path) -> ApiUnderTest:
    # NOTE: a slow refill, so that no token comes back while a test runs.
    return _api(tmp_path, rate_limit_enabled=True, rate_limits="GET:0.01:3,POST:0.01:2")


def test_over_the_burst_gets_413_with_retry_after_and_others_go_on(
    limited: ApiUnderTest, version: Version, fmt: Fmt
) -> None:
    flood = V1(limited, version, fmt, tenant="flood")
    calm = V1(limited, version, fmt, tenant="calm")
    assert [flood.get("/networks").status_int for _ in range(3)] == [200] * 3
    refused = flood.get("/networks")
    assert_fault(refused, over_limit(version, 100), fmt)
    assert refused.headers["Retry-After"] == "100"
    assert flood.get("/networks/detail").status_int == 413  # one GET bucket
    # another tenant, and the same tenant's other verbs, have their own buckets
    assert calm.get("/networks").status_int == 200
    created = flood.create_network("still-allowed")
    assert flood.as_tenant("flood").get(f"/networks/{created}").status_int == 413


def test_a_refused_write_changes_nothing(tmp_path: Path, version: Version) -> None:
    api = _api(tmp_path, rate_limit_enabled=True, rate_limits="POST:0.01:2")
    flood = V1(api, version, tenant="flood")
    first, second = flood.create_network("one"), flood.create_network("two")
    refused = flood.call("POST", "/networks", {"network": {"name": "three"}})
    assert refused.status_int == 413
    port_refused = flood.call("POST", f"/networks/{first}/ports", {"port": {}})
    assert port_refused.status_int == 413
    assert sorted(flood.network_ids()) == sorted([first, second])  # GET is free
    assert flood.port_ids(first) == []


def test_rate_limiting_is_off_by_default(tmp_path: Path, version: Version) -> None:
    v1 = V1(_api(tmp_path), version)
    assert all(v1.get("/networks").status_int == 200 for _ in range(100))
