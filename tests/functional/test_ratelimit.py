# SPDX-License-Identifier: Apache-2.0
"""Rate limiting on a real quantum-server: under a flood from one tenant, another
tenant's requests all succeed at their normal latency, and the flooding tenant gets
about the configured rate."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from quantum.testing.client import write_config
from quantum.testing.flood import fairness
from quantum.testing.server import ServerProcess, db_manage, free_port
from tests.conftest import UNLIMITED

HOST = "127.0.0.1"
RATE, BURST = 50.0, 50
FLOOD_RATE = 400.0
"""Eight times the flooding tenant's rate: a flood, paced so that what is measured is
the limiter, not how much CPU a client on this machine can take from the server."""


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    port = free_port(HOST)
    config = write_config(
        tmp_path,
        bind_host=HOST,
        bind_port=port,
        core_plugin="sql",
        api_workers=0,  # NOTE: buckets are per process (docs/operations.md)
        rate_limit_enabled="true",
        rate_limits=f"GET:{RATE}:{BURST},POST:1000:1000",
    )
    with config.open("a") as conf:
        conf.write(UNLIMITED)  # NOTE: the tenants seed more networks than [QUOTAS]
    assert db_manage(config, "upgrade", "head").returncode == 0
    found = ServerProcess(config, HOST, port)
    found.start()
    yield found
    found.stop(timeout=15)


def _seed(server: ServerProcess, tenant: str, networks: int) -> None:
    conn = server.connection()
    for n in range(networks):
        conn.request(
            "POST",
            f"/v1.1/tenants/{tenant}/networks.json",
            json.dumps({"network": {"name": f"n{n}"}}),
            {"Content-Type": "application/json"},
        )
        answer = conn.getresponse()
        answer.read()
        assert answer.status == 202
    conn.close()


def test_a_flood_from_one_tenant_leaves_another_at_normal_latency(
    server: ServerProcess,
) -> None:
    for tenant in ("calm", "flood"):
        _seed(server, tenant, 20)
    found = fairness(
        server.port,
        calm_path="/v1.1/tenants/calm/networks/detail.json",
        flood_path="/v1.1/tenants/flood/networks/detail.json",
        probes=100,
        interval=0.04,  # NOTE: 25/s, well inside the calm tenant's own 50/s
        flood_rate=FLOOD_RATE,
    )
    # the calm tenant is never refused, alone or beside the flood
    assert found.baseline.statuses == {200: 100}
    assert found.flooded.statuses == {200: 100}
    # the flood was real, and got about the configured rate, not more
    flood = found.flood
    # NOTE: on a loaded machine the flood sends less than FLOOD_RATE, since each
    # connection waits for its answer; it still sends far more than the limit.
    assert flood.refused >= flood.accepted, flood.statuses
    assert set(flood.statuses) <= {200, 413}, flood.statuses  # never a 5xx
    assert flood.accepted <= BURST + RATE * flood.wall * 1.1 + 5, flood
    assert flood.accepted >= RATE * (flood.wall - 1.0), flood
    # and the calm tenant kept its normal latency (same run, same machine)
    base, loaded = found.baseline.percentile(50), found.flooded.percentile(50)
    assert loaded <= 3 * base + 0.010, (base, loaded)


def test_over_the_limit_is_413_with_retry_after_on_the_wire(
    server: ServerProcess,
) -> None:
    conn = server.connection()
    statuses: list[int] = []
    while 413 not in statuses and len(statuses) < 2000:
        conn.request("GET", "/v1.0/tenants/t/networks.json")
        answer = conn.getresponse()
        body = answer.read()
        statuses.append(answer.status)
    conn.close()
    # the burst first (plus what refilled meanwhile), then the refusal
    assert statuses[:BURST] == [200] * BURST
    assert statuses[-1] == 413
    assert answer.getheader("Retry-After") == "1"
    assert json.loads(body) == {
        "overLimit": {
            "code": 413,
            "message": "This request was rate-limited.",
            "detail": "Too many requests; retry after 1 seconds.",
        }
    }
