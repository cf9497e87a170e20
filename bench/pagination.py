# SPDX-License-Identifier: Apache-2.0
"""Pagination benchmark: a v2 page of ports with 1,000 and with 100,000 stored.

For each store size it fills a scratch database (half the ports a tenant's, half
another's, written straight into the tables: the API is not what is measured), starts
``quantum-server`` on it and times, over HTTP, ``GET /v2.0/ports?limit=100`` as the
tenant (first page, and a page deep in the collection by marker) and as an admin,
against a floor measured the same way in the same run: ``GET /healthcheck`` (one
indexed SQL read through the same stack). Requests alternate between the sizes'
servers, so whatever else loads the machine weighs on both alike. Keyset
pagination should make every page cost about the same at both sizes; the last
table says how far it does.
"""

from __future__ import annotations

import argparse
import http.client
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402

from quantum.core.settings import load_settings  # noqa: E402
from quantum.db.models import NetworkRow, PortRow, utcnow  # noqa: E402
from quantum.db.session import make_engine  # noqa: E402
from quantum.testing import databases  # noqa: E402
from quantum.testing.client import write_config  # noqa: E402
from quantum.testing.server import ServerProcess, db_manage, free_port  # noqa: E402

TENANT = {"X-Project-Id": "bench", "X-Roles": "member", "Accept": "application/json"}
ADMIN = {"X-Project-Id": "admin", "X-Roles": "admin", "Accept": "application/json"}
PORTS_PER_NETWORK = 100


@dataclass
class Phase:
    name: str
    latencies: list[float]

    def p(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def fill(url: str, total: int) -> list[str]:
    """``total`` ports (half the tenant's), on networks of 100; the tenant's port
    ids in id order."""
    engine = make_engine(url)
    now = utcnow()
    tenant_ports: list[str] = []
    with engine.begin() as conn:
        for start in range(0, total, PORTS_PER_NETWORK):
            tenant = "bench" if (start // PORTS_PER_NETWORK) % 2 == 0 else "other"
            net = str(uuid.uuid4())
            conn.execute(
                insert(NetworkRow).values(
                    id=net, tenant_id=tenant, name="", status="UP",
                    admin_state_up=True, created_at=now,
                )
            )  # fmt: skip
            rows = []
            for i in range(start, min(total, start + PORTS_PER_NETWORK)):
                port_id = str(uuid.uuid4())
                rows.append(
                    {
                        "id": port_id, "network_id": net, "tenant_id": tenant,
                        "admin_state_up": True, "status": "DOWN", "created_at": now,
                        "name": f"port-{i}",
                        "mac_address": f"fa:16:3e:{i >> 16 & 255:02x}:"
                        f"{i >> 8 & 255:02x}:{i & 255:02x}",
                    }
                )  # fmt: skip
                if tenant == "bench":
                    tenant_ports.append(port_id)
            conn.execute(insert(PortRow), rows)
    # NOTE: statistics, as autovacuum (PostgreSQL) gathers them within a minute of
    # such a load; without them PostgreSQL sorts the tenant's 50,000 ports for a
    # page (90 ms) instead of walking (tenant_id, id) (0.2 ms).
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return sorted(tenant_ports)


@dataclass
class Store:
    """One scratch database and the server on it."""

    total: int
    server: ServerProcess
    host: str
    port: int
    deep: str
    """A tenant port id 90% of the way through the tenant's ports."""


@contextmanager
def started(db: str, total: int, scratch: Path) -> Iterator[Store]:
    db_name = f"quantum_bench_{os.getpid()}_{total}"
    directory = scratch / str(total)
    url = databases.provision(db, db_name, directory)
    try:
        config = write_config(
            directory,
            bind_host="127.0.0.1",
            bind_port=free_port(),
            api_workers=0,
            core_plugin="sql",
            sql_connection=url,
            log_file=directory / "quantum.log",
        )
        done = db_manage(config, "upgrade", "head")
        if done.returncode != 0:
            raise RuntimeError(f"quantum-db-manage failed: {done.stderr}")
        began = time.perf_counter()
        ids = fill(url, total)
        print(f"filled {total} ports in {time.perf_counter() - began:.1f} s")
        settings = load_settings(config)
        server = ServerProcess(config, settings.bind_host, settings.bind_port)
        server.start(timeout=60)
        try:
            yield Store(
                total, server, settings.bind_host, settings.bind_port,
                ids[int(len(ids) * 0.9)],
            )  # fmt: skip
        finally:
            server.stop(timeout=60)
    finally:
        if db != "sqlite":
            databases.drop(db, db_name)


def phases(page: int, deep: str) -> list[tuple[str, str, dict[str, str]]]:
    """(name, path, headers) of every measured request kind; the floor first."""
    return [
        ("floor: GET /healthcheck", "/healthcheck", TENANT),
        (f"tenant, first page of {page}", f"/v2.0/ports?limit={page}", TENANT),
        (
            f"tenant, page of {page} at 90%",
            f"/v2.0/ports?limit={page}&marker={deep}",
            TENANT,
        ),
        (
            f"tenant, page of {page} backwards at 90%",
            f"/v2.0/ports?limit={page}&marker={deep}&page_reverse=True",
            TENANT,
        ),
        (
            f"admin, page of {page} at 90%",
            f"/v2.0/ports?limit={page}&marker={deep}",
            ADMIN,
        ),
    ]


def timed(
    conn: http.client.HTTPConnection, path: str, headers: dict[str, str]
) -> float:
    start = time.perf_counter()
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status} {body[:200]!r}")
    return elapsed


def measure(stores: Sequence[Store], page: int, count: int) -> dict[int, list[Phase]]:
    """Every phase on every store, requests interleaved across the stores (so load
    from elsewhere on the machine falls on all sizes alike)."""
    conns = {s.total: http.client.HTTPConnection(s.host, s.port, timeout=60)
             for s in stores}  # fmt: skip
    kinds = {s.total: phases(page, s.deep) for s in stores}
    found: dict[int, list[Phase]] = {
        s.total: [Phase(name, []) for name, _, _ in kinds[s.total]] for s in stores
    }
    for i in range(len(kinds[stores[0].total])):
        for round_ in range(count + 5):
            for store in stores:
                _, path, headers = kinds[store.total][i]
                elapsed = timed(conns[store.total], path, headers)
                if round_ >= 5:  # NOTE: the first few warm the connection
                    found[store.total][i].latencies.append(elapsed)
    for conn in conns.values():
        conn.close()
    return found


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--sizes", default="1000,100000", help="ports stored")
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--requests", type=int, default=200, help="per phase")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"pagination benchmark: db={args.db}, page={args.page}, "
          f"{args.requests} requests per phase, one server per size, "
          "requests interleaved across them")  # fmt: skip
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="qb-")))
        stores = [stack.enter_context(started(args.db, n, tmp)) for n in sizes]
        results = measure(stores, args.page, args.requests)
    for total in sizes:
        phases_ = results[total]
        floor = phases_[0].p(0.5)
        print(f"\n{total} ports stored")
        print(f"  {'phase':<42} {'p50 ms':>8} {'p99 ms':>8} {'p50/floor':>9}")
        for phase in phases_:
            print(
                f"  {phase.name:<42} {ms(phase.p(0.5)):>8} {ms(phase.p(0.99)):>8} "
                f"{phase.p(0.5) / floor:>9.2f}"
            )
    small, big = min(sizes), max(sizes)
    print(
        f"\np50 with {big} ports / p50 with {small} ports (target: about 1); "
        "the same, each p50 first divided by its run's floor"
    )
    floor_small, floor_big = results[small][0].p(0.5), results[big][0].p(0.5)
    for a, b in zip(results[small][1:], results[big][1:], strict=True):
        raw = b.p(0.5) / a.p(0.5)
        normalised = (b.p(0.5) / floor_big) / (a.p(0.5) / floor_small)
        print(f"  {a.name:<42} {raw:>6.2f} {normalised:>6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
