# SPDX-License-Identifier: Apache-2.0
"""IPAM fill benchmark: a single port create in one /16 as it fills to 50,000 ports.

The same harness as ``bench/api.py`` (it imports it): its own server on a scratch
database by default (``--db``, ``--workers``), or ``--config-file`` / ``--url``. One
network with one 10.0.0.0/16 subnet (65,533 pool addresses) is filled with bulk
creates (``POST /v2.0/ports`` with ``ports``, ``--bulk`` at a time); at each level
(``--levels``, 500, 5,000 and 50,000 by default) ``--samples`` single creates are timed
at concurrency 1. Per level: the single-create p50/p99, the p50 against the same-run
floor (``GET /healthcheck``) and against the first level's p50, and the bulk rate of
the last fill request. Filling stops when it has taken ``--budget`` seconds (the
levels not reached are reported as such). See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import uuid
from collections.abc import Sequence
from ipaddress import IPv4Address
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api import (  # noqa: E402  # NOTE: the v1 benchmark's harness
    BenchError,
    Client,
    PhaseResult,
    Request,
    Server,
    ms,
    run_phase,
    started_server,
)
from api_v2 import unlimited  # noqa: E402
from sqlalchemy import insert, inspect, text  # noqa: E402

from quantum.db.models import IpAllocationRow, PortRow, utcnow  # noqa: E402
from quantum.db.session import make_engine  # noqa: E402
from quantum.testing import databases  # noqa: E402  # NOTE: api put the repo on the path

TARGET_RATIO = 1.3
"""Largest p50 of a level over the smallest (issue 16, item 3)."""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--url", help="benchmark a running server (noauth)")
    where.add_argument(
        "--config-file", help="start quantum-server with this quantum.conf"
    )
    parser.add_argument(
        "--server-pid", type=int, help="with --url: pid for CPU and RSS"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="api_workers (default 2)"
    )
    parser.add_argument("--db", choices=databases.BACKENDS, default="sqlite")
    parser.add_argument(
        "--levels", default="500,5000,50000", help="fill levels (ports in the /16)"
    )
    parser.add_argument(
        "--samples", type=int, default=200, help="single creates timed per level"
    )
    parser.add_argument("--bulk", type=int, default=500, help="ports per bulk create")
    parser.add_argument(
        "--budget", type=float, default=900.0, help="seconds of filling at most"
    )
    parser.add_argument("--floor-requests", type=int, default=500)
    parser.add_argument(
        "--fill",
        choices=("api", "direct"),
        default="api",
        help="fill with bulk creates (api) or rows written straight into the tables",
    )
    return parser.parse_args(argv)


def single_creates(network: str, tenant: str, count: int) -> list[Request]:
    body = {"port": {"network_id": network, "tenant_id": tenant}}
    return [Request("POST", "/v2.0/ports", body)] * count


def bulk_create(network: str, tenant: str, count: int) -> Request:
    port = {"network_id": network, "tenant_id": tenant}
    return Request("POST", "/v2.0/ports", {"ports": [port] * count})


def direct_fill(
    server: Server, network: str, subnet: str, tenant: str, filled: int, count: int
) -> None:
    """``count`` ports with the next addresses of the subnet, written straight into
    the tables (as ``bench/pagination.py`` fills); the fill is dense from 10.0.0.2
    because every create so far took the lowest free address. The free range is set
    to what is left when the store keeps one (``ip_availability_ranges``). The ports
    are another tenant's, so that the timed creates' quota count (the tenant's own
    ports, issue 16 item 2) does not grow with the fill: what grows is IPAM's."""
    if server.database_url is None:
        raise BenchError("--fill direct needs the server's database (not --url)")
    engine = make_engine(server.database_url)
    now = utcnow()
    first = int(IPv4Address("10.0.0.2")) + filled
    try:
        with engine.begin() as conn:
            for start in range(0, count, 5000):
                ports, allocations = [], []
                for i in range(start, min(count, start + 5000)):
                    port_id, n = str(uuid.uuid4()), filled + i
                    ports.append(
                        {
                            "id": port_id, "network_id": network,
                            "tenant_id": f"{tenant}-fill",
                            "admin_state_up": True, "status": "DOWN",
                            "created_at": now,
                            "mac_address": f"02:00:00:{n >> 16 & 255:02x}:"
                            f"{n >> 8 & 255:02x}:{n & 255:02x}",
                        }
                    )  # fmt: skip
                    allocations.append(
                        {
                            "subnet_id": subnet, "network_id": network,
                            "ip_address": str(IPv4Address(first + i)),
                            "port_id": port_id, "position": 0,
                        }
                    )  # fmt: skip
                conn.execute(insert(PortRow), ports)
                conn.execute(insert(IpAllocationRow), allocations)
            if inspect(conn).has_table("ip_availability_ranges"):
                conn.execute(
                    text(
                        "UPDATE ip_availability_ranges SET first_key = :key "
                        "WHERE subnet_id = :subnet"
                    ),
                    {"key": f"{first + count:032x}", "subnet": subnet},
                )
        with engine.begin() as conn:
            if engine.dialect.name != "mysql":
                conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    levels = sorted(int(x) for x in args.levels.split(","))
    rows: list[tuple[int, PhaseResult | None, float | None]] = []
    try:
        with started_server(args) as (server, description, _workers):
            print(f"server: {description}")
            print(
                f"client: python {platform.python_version()}, {os.cpu_count()} CPUs "
                "(shared with the server), one keep-alive connection"
            )
            print(f"load average before: {_loadavg()}")
            client = Client(server.host, server.port)
            try:
                tenant = f"fill-{uuid.uuid4().hex[:8]}"
                unlimited(client, tenant)
                _, body = client.call(
                    Request(
                        "POST", "/v2.0/networks", {"network": {"tenant_id": tenant}}
                    )
                )
                network = body["network"]["id"]
                _, body = client.call(
                    Request(
                        "POST",
                        "/v2.0/subnets",
                        {
                            "subnet": {
                                "network_id": network,
                                "tenant_id": tenant,
                                "ip_version": 4,
                                "cidr": "10.0.0.0/16",
                            }
                        },
                    )
                )
                subnet = body["subnet"]["id"]
                # NOTE: warm-up on a subnet of its own network, not counted.
                _, body = client.call(
                    Request(
                        "POST", "/v2.0/networks", {"network": {"tenant_id": tenant}}
                    )
                )
                warm = body["network"]["id"]
                client.call(
                    Request(
                        "POST",
                        "/v2.0/subnets",
                        {
                            "subnet": {
                                "network_id": warm,
                                "tenant_id": tenant,
                                "ip_version": 4,
                                "cidr": "10.1.0.0/24",
                            }
                        },
                    )
                )
                for request in single_creates(warm, tenant, 20):
                    client.call(request)
                client.call(bulk_create(warm, tenant, 10))
                floor = run_phase(
                    "floor",
                    server,
                    [client],
                    [Request("GET", "/healthcheck")] * args.floor_requests,
                )
                filled, fill_time = 0, 0.0
                for level in levels:
                    last_bulk: float | None = None
                    while filled < level and fill_time < args.budget:
                        count = min(args.bulk, level - filled)
                        started = time.perf_counter()
                        if args.fill == "direct":
                            count = level - filled
                            direct_fill(server, network, subnet, tenant, filled, count)
                        else:
                            try:
                                _, body = client.call(
                                    bulk_create(network, tenant, count)
                                )
                            except TimeoutError:
                                print(f"a bulk create of {count} took over 60 s")
                                fill_time = args.budget
                                break
                            if len(body["ports"]) != count:
                                raise BenchError("a bulk create made the wrong number")
                        took = time.perf_counter() - started
                        fill_time += took
                        filled += count
                        last_bulk = count / took
                    if filled < level:
                        print(
                            f"fill budget ({args.budget:.0f} s) spent at {filled} "
                            f"ports: level {level} not reached"
                        )
                        rows.append((level, None, last_bulk))
                        break
                    if args.fill == "direct":
                        # NOTE: the server may have closed the idle keep-alive.
                        client.close()
                        client = Client(server.host, server.port)
                    sample = run_phase(
                        f"create at {level}",
                        server,
                        [client],
                        single_creates(network, tenant, args.samples),
                    )
                    filled += args.samples
                    rows.append((level, sample, last_bulk))
                    print(
                        f"  {level} ports: single create p50 "
                        f"{ms(sample.percentile(0.5))} ms ({fill_time:.0f} s filling)",
                        flush=True,
                    )
            finally:
                client.close()
    except (BenchError, databases.Unavailable, RuntimeError) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    print(f"load average after: {_loadavg()}")
    report(floor, rows)
    return 0


def report(
    floor: PhaseResult, rows: list[tuple[int, PhaseResult | None, float | None]]
) -> None:
    base = floor.percentile(0.5)
    print(f"\nfloor GET /healthcheck p50 {ms(base)} ms")
    header = (
        f"{'ports in the /16':>16} {'p50 ms':>8} {'p99 ms':>8} {'p50/floor':>9} "
        f"{'p50/first':>9} {'bulk ports/s':>12}"
    )
    print(header)
    print("-" * len(header))
    measured = [(lvl, p) for lvl, p, _ in rows if p is not None]
    first = measured[0][1].percentile(0.5) if measured else 0.0
    for level, phase, bulk in rows:
        rate = f"{bulk:.0f}" if bulk else "-"
        if phase is None:
            print(f"{level:>16} {'not reached':>8} {'':>8} {'':>9} {'':>9} {rate:>12}")
            continue
        p50 = phase.percentile(0.5)
        print(
            f"{level:>16} {ms(p50):>8} {ms(phase.percentile(0.99)):>8} "
            f"{p50 / base:>9.2f} {p50 / first:>9.2f} {rate:>12}"
        )
    p50s = [p.percentile(0.5) for _, p in measured]
    if len(p50s) == len(rows) and p50s:
        spread = max(p50s) / min(p50s)
        met = "met" if spread <= TARGET_RATIO else "MISSED"
        print(f"\n[{met}] largest/smallest p50 {spread:.2f} <= {TARGET_RATIO}")
    else:
        print("\n[MISSED] not every level was reached")


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
