# SPDX-License-Identifier: Apache-2.0
"""API benchmark: a network/port/attachment workload against a real quantum-server.

By default it starts its own server (``--workers``, ``--db``) on a scratch database;
``--config-file`` starts one from that quantum.conf instead, ``--url`` uses a running
one. Each concurrency level runs the whole workload under a fresh tenant and prints,
per phase, ops/s, p50/p99 latency, the server's CPU per op, and the p50 against a
floor measured the same way in the same run: ``GET /healthcheck`` (one indexed SQL
read through the same stack). See bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quantum.core.settings import load_settings  # noqa: E402
from quantum.testing import databases  # noqa: E402
from quantum.testing.client import write_config  # noqa: E402
from quantum.testing.server import (  # noqa: E402
    ServerProcess,
    children,
    db_manage,
    free_port,
    status_kib,
)

JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Size:
    networks: int = 100
    ports_per_network: int = 10
    list_rounds: int = 20
    shows: int = 200
    renames: int = 200
    state_changes: int = 200
    floor_requests: int = 1000


FULL = Size()
QUICK = Size(networks=10, list_rounds=5, shows=50, renames=50, state_changes=50,
             floor_requests=200)  # fmt: skip


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: dict[str, Any] | None = None


@dataclass
class PhaseResult:
    name: str
    latencies: list[float]
    wall: float
    server_cpu: float | None
    client_cpu: float
    results: list[Any] = field(repr=False, default_factory=list)

    @property
    def ops(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.ops / self.wall if self.wall else 0.0

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class BenchError(RuntimeError):
    pass


# -- the client -----------------------------------------------------------------------


class Client:
    """One keep-alive connection, used by one thread."""

    def __init__(self, host: str, port: int) -> None:
        self.conn = http.client.HTTPConnection(host, port, timeout=60)

    def call(self, req: Request) -> tuple[float, Any]:
        body = json.dumps(req.body) if req.body is not None else None
        headers = JSON_HEADERS if body is not None else {"Accept": "application/json"}
        started = time.perf_counter()
        self.conn.request(req.method, req.path, body, headers)
        response = self.conn.getresponse()
        raw = response.read()
        elapsed = time.perf_counter() - started
        if not 200 <= response.status < 300:
            raise BenchError(
                f"{req.method} {req.path} -> {response.status}: {raw[:300]!r}"
            )
        if (
            response.getheader("Content-Type", "").startswith("application/json")
            and raw
        ):
            return elapsed, json.loads(raw)
        return elapsed, raw

    def close(self) -> None:
        self.conn.close()


class Server:
    """Where the server is, and (when known) its processes for CPU and RSS figures."""

    def __init__(
        self, host: str, port: int, pid: int | None, database_url: str | None = None
    ) -> None:
        self.host, self.port, self.pid = host, port, pid
        self.database_url = database_url

    def pids(self) -> list[int]:
        return [self.pid, *children(self.pid)] if self.pid else []

    def cpu_seconds(self) -> float | None:
        if not self.pid:
            return None
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / TICKS

    def peak_rss_kib(self) -> dict[int, int]:
        return {pid: status_kib(pid, "VmHWM") for pid in self.pids()}


def run_phase(
    name: str, server: Server, clients: Sequence[Client], requests: Sequence[Request]
) -> PhaseResult:
    """Send ``requests`` over ``clients``, one thread each, taking them in order."""
    latencies = [0.0] * len(requests)
    results: list[Any] = [None] * len(requests)
    cursor = iter(range(len(requests)))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(client: Client) -> None:
        while True:
            with lock:
                i = next(cursor, None)
            if i is None or errors:
                return
            try:
                latencies[i], results[i] = client.call(requests[i])
            except BaseException as error:  # noqa: BLE001  # NOTE: re-raised below
                errors.append(error)
                return

    cpu_before = server.cpu_seconds()
    client_before = time.process_time()
    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    client_cpu = time.process_time() - client_before
    cpu_after = server.cpu_seconds()
    if errors:
        raise BenchError(f"phase {name!r} failed: {errors[0]}") from errors[0]
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return PhaseResult(name, latencies, wall, cpu, client_cpu, results)


# -- the workload ---------------------------------------------------------------------


def unlimited(client: Client, tenant: str) -> None:
    """Lift the tenant's quotas (through the v2.0 admin API; v1 creates count
    against them too): the workload exceeds the defaults."""
    client.call(
        Request(
            "PUT",
            f"/v2.0/quotas/{tenant}",
            {"quota": {"network": -1, "subnet": -1, "port": -1}},
        )
    )


def workload(
    server: Server, clients: Sequence[Client], size: Size, tenant: str
) -> list[PhaseResult]:
    base = f"/v1.1/tenants/{tenant}"
    unlimited(clients[0], tenant)
    phases: list[PhaseResult] = []

    def phase(name: str, requests: Sequence[Request]) -> PhaseResult:
        result = run_phase(name, server, clients, requests)
        phases.append(result)
        return result

    phase(
        "floor: GET /healthcheck",
        [Request("GET", "/healthcheck")] * size.floor_requests,
    )

    created = phase(
        "create network",
        [
            Request("POST", f"{base}/networks", {"network": {"name": f"net-{i}"}})
            for i in range(size.networks)
        ],
    )
    nets = [r["network"]["id"] for r in created.results]
    created = phase(
        "create port",
        [
            Request(
                "POST", f"{base}/networks/{net}/ports", {"port": {"state": "ACTIVE"}}
            )
            for net in nets
            for _ in range(size.ports_per_network)
        ],
    )
    port_ids = [r["port"]["id"] for r in created.results]
    ports = [
        (nets[i // size.ports_per_network], port_id)
        for i, port_id in enumerate(port_ids)
    ]
    phase(
        "plug attachment",
        [
            Request(
                "PUT",
                f"{base}/networks/{net}/ports/{port}/attachment",
                {"attachment": {"id": f"vif-{uuid.uuid4()}"}},
            )
            for net, port in ports
        ],
    )
    phase(
        f"list {size.networks} networks (detail)",
        [Request("GET", f"{base}/networks/detail")] * size.list_rounds,
    )
    phase(
        f"list a network's {size.ports_per_network} ports (detail)",
        [
            Request("GET", f"{base}/networks/{net}/ports/detail")
            for _ in range(size.list_rounds)
            for net in nets
        ],
    )
    phase(
        "show port (detail)",
        [
            Request("GET", f"{base}/networks/{net}/ports/{port}/detail")
            for net, port in _cycle(ports, size.shows)
        ],
    )
    phase(
        "rename network",
        [
            Request(
                "PUT", f"{base}/networks/{net}", {"network": {"name": f"renamed-{i}"}}
            )
            for i, net in enumerate(_cycle(nets, size.renames))
        ],
    )
    phase(
        "set port state",
        [
            Request(
                "PUT",
                f"{base}/networks/{net}/ports/{port}",
                {"port": {"state": "DOWN" if i % 2 == 0 else "ACTIVE"}},
            )
            for i, (net, port) in enumerate(_cycle(ports, size.state_changes))
        ],
    )
    phase(
        "unplug attachment",
        [
            Request("DELETE", f"{base}/networks/{net}/ports/{port}/attachment")
            for net, port in ports
        ],
    )
    phase(
        "delete port",
        [
            Request("DELETE", f"{base}/networks/{net}/ports/{port}")
            for net, port in ports
        ],
    )
    phase(
        "delete network", [Request("DELETE", f"{base}/networks/{net}") for net in nets]
    )
    return phases


def _cycle(items: Sequence[Any], count: int) -> list[Any]:
    return [items[i % len(items)] for i in range(count)]


def warm_up(server: Server, clients: Sequence[Client]) -> None:
    """Run every operation once per connection: no phase pays first-use costs."""
    tenant = f"warmup-{uuid.uuid4().hex[:8]}"
    base = f"/v1.1/tenants/{tenant}"
    unlimited(clients[0], tenant)
    for client in clients:
        for _ in range(20):
            client.call(Request("GET", "/healthcheck"))
        _, body = client.call(
            Request("POST", f"{base}/networks", {"network": {"name": "w"}})
        )
        net = body["network"]["id"]
        _, body = client.call(
            Request(
                "POST", f"{base}/networks/{net}/ports", {"port": {"state": "ACTIVE"}}
            )
        )
        port = f"{base}/networks/{net}/ports/{body['port']['id']}"
        client.call(
            Request("PUT", f"{port}/attachment", {"attachment": {"id": tenant}})
        )
        client.call(Request("GET", f"{base}/networks/detail"))
        client.call(Request("GET", f"{base}/networks/{net}/ports/detail"))
        client.call(Request("GET", f"{port}/detail"))
        client.call(
            Request("PUT", f"{base}/networks/{net}", {"network": {"name": "x"}})
        )
        client.call(Request("PUT", port, {"port": {"state": "DOWN"}}))
        client.call(Request("DELETE", f"{port}/attachment"))
        client.call(Request("DELETE", port))
        client.call(Request("DELETE", f"{base}/networks/{net}"))


# -- reporting ------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


def print_table(concurrency: int, phases: list[PhaseResult]) -> None:
    floor = phases[0].percentile(0.5)
    print(f"\nconcurrency {concurrency}")
    header = (
        f"{'phase':<36} {'ops':>5} {'ops/s':>8} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'p50/floor':>9} {'srv cpu/op':>10} {'cli cpu/op':>10}"
    )
    print(header)
    print("-" * len(header))
    for p in phases:
        cpu = f"{p.server_cpu * 1000 / p.ops:.2f}" if p.server_cpu is not None else "-"
        print(
            f"{p.name:<36} {p.ops:>5} {p.rate:>8.0f} {ms(p.percentile(0.5)):>8} "
            f"{ms(p.percentile(0.99)):>8} {p.percentile(0.5) / floor:>9.2f} {cpu:>10} "
            f"{p.client_cpu * 1000 / p.ops:>10.2f}"
        )
    work = phases[1:]
    ops = sum(p.ops for p in work)
    wall = sum(p.wall for p in work)
    print(f"{'workload total (floor excluded)':<36} {ops:>5} {ops / wall:>8.0f}")


def workload_rate(phases: list[PhaseResult]) -> float:
    work = phases[1:]
    return sum(p.ops for p in work) / sum(p.wall for p in work)


@dataclass(frozen=True)
class Target:
    description: str
    met: bool
    detail: str


def check_targets(
    runs: dict[int, list[PhaseResult]], rss: dict[int, int], workers: int | None
) -> list[Target]:
    targets = []
    if 1 in runs:
        by_name = {p.name.split(" (")[0]: p for p in runs[1]}

        def p50(prefix: str) -> tuple[str, float]:
            for name, p in by_name.items():
                if name.startswith(prefix):
                    return p.name, p.percentile(0.5) * 1000
            raise KeyError(prefix)

        limits = [
            ("create network", 2.5),
            ("create port", 2.5),
            ("plug attachment", 2.5),
            ("show port", 1.5),
            ("list a network's", 3.0),
            ("list ", 5.0),
        ]
        for prefix, limit in limits:
            name, value = p50(prefix)
            targets.append(
                Target(f"c=1 p50 {name} < {limit} ms", value < limit, f"{value:.2f} ms")
            )
    if 1 in runs and 8 in runs:
        ratio = workload_rate(runs[8]) / workload_rate(runs[1])
        label = f"api_workers={workers}" if workers is not None else "workers unknown"
        targets.append(
            Target(
                f"throughput c=8 >= 1.5x c=1 ({label})",
                ratio >= 1.5,
                f"{ratio:.2f}x",
            )
        )
    if rss:
        biggest = max(rss.values()) / 1024
        targets.append(
            Target(
                "server RSS < 100 MiB (peak, largest process)",
                biggest < 100,
                f"{biggest:.1f} MiB; all processes together "
                f"{sum(rss.values()) / 1024:.1f} MiB (shared pages counted in each)",
            )
        )
    return targets


# -- the server under test ------------------------------------------------------------


@contextmanager
def started_server(
    args: argparse.Namespace,
) -> Iterator[tuple[Server, str, int | None]]:
    """The server to measure, its description, and its api_workers (when known)."""
    if args.url:
        parts = urlsplit(args.url)
        yield (
            Server(parts.hostname or "127.0.0.1", parts.port or 80, args.server_pid),
            f"{args.url} (already running)",
            None,
        )
        return
    with tempfile.TemporaryDirectory(prefix="quantum-bench-") as tmp:
        scratch = Path(tmp)
        db_name = f"quantum_bench_{os.getpid()}"
        if args.config_file:
            config = Path(args.config_file).resolve()
            settings = load_settings(config)
            workers, backend = settings.api_workers, "from config"
        else:
            url = databases.provision(args.db, db_name, scratch)
            config = write_config(
                scratch,
                bind_host="127.0.0.1",
                bind_port=free_port(),
                api_workers=args.workers,
                core_plugin="sql",
                sql_connection=url,
                log_file=scratch / "quantum.log",
                **getattr(args, "server_options", {}),
            )
            settings = load_settings(config)
            workers, backend = args.workers, args.db
        done = db_manage(config, "upgrade", "head")
        if done.returncode != 0:
            raise BenchError(f"quantum-db-manage failed: {done.stderr}")
        process = ServerProcess(config, settings.bind_host, settings.bind_port)
        process.start(timeout=60)
        try:
            if workers:
                _wait_for_workers(process, workers)
            yield (
                Server(
                    settings.bind_host,
                    settings.bind_port,
                    process.pid,
                    settings.database_url,
                ),
                f"quantum-server pid {process.pid}, api_workers={workers}, "
                f"db={backend}",
                workers,
            )
        finally:
            code = process.stop(timeout=60)
            if code != 0:
                print(f"warning: quantum-server exited {code}: {process.stderr()}")
            if not args.config_file and args.db != "sqlite":
                databases.drop(args.db, db_name)


def _wait_for_workers(process: ServerProcess, workers: int) -> None:
    deadline = time.monotonic() + 60
    while len(process.worker_pids()) < workers and time.monotonic() < deadline:
        time.sleep(0.05)
    # NOTE: a worker is forked before it has loaded the app; give them all a request.
    process.wait_ready()
    time.sleep(1.0)


# -- main -----------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--url", help="benchmark a running server, e.g. http://127.0.0.1:9696"
    )
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
        "--concurrency",
        default="1,8",
        help="comma-separated client threads (default 1,8)",
    )
    parser.add_argument("--quick", action="store_true", help="a smaller workload")
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    size = QUICK if args.quick else FULL
    levels = [int(c) for c in args.concurrency.split(",")]
    try:
        with started_server(args) as (server, description, workers):
            print(f"server: {description}")
            print(
                f"client: python {platform.python_version()}, {os.cpu_count()} CPUs "
                "(shared with the server), http.client keep-alive, one connection per "
                "thread"
            )
            print(f"workload: {size}")
            print(f"load average before: {_loadavg()} (other host work skews it)")
            runs: dict[int, list[PhaseResult]] = {}
            for concurrency in levels:
                clients = [Client(server.host, server.port) for _ in range(concurrency)]
                try:
                    warm_up(server, clients)
                    tenant = f"bench-c{concurrency}-{uuid.uuid4().hex[:8]}"
                    runs[concurrency] = workload(server, clients, size, tenant)
                finally:
                    for client in clients:
                        client.close()
                print_table(concurrency, runs[concurrency])
            rss = server.peak_rss_kib()
    except (BenchError, databases.Unavailable, RuntimeError) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    print(f"load average after: {_loadavg()}")
    report(runs, rss, workers, args)
    return 0


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def report(
    runs: dict[int, list[PhaseResult]],
    rss: dict[int, int],
    workers: int | None,
    args: argparse.Namespace,
) -> None:
    if len(runs) > 1:
        rates = ", ".join(
            f"c={c}: {workload_rate(p):.0f} ops/s" for c, p in runs.items()
        )
        print(f"\nworkload throughput: {rates}")
    if rss:
        parts = ", ".join(f"pid {pid}: {kib / 1024:.1f}" for pid, kib in rss.items())
        print(
            f"server peak RSS (VmHWM, MiB): {parts}; sum {sum(rss.values()) / 1024:.1f}"
        )
    print("\ntargets:")
    for target in check_targets(runs, rss, workers):
        verdict = "met" if target.met else "MISSED"
        print(f"  [{verdict}] {target.description}: {target.detail}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "args": vars(args),
                    "rss_kib": rss,
                    "runs": {
                        c: [
                            {
                                "phase": p.name,
                                "ops": p.ops,
                                "ops_per_s": p.rate,
                                "p50_ms": p.percentile(0.5) * 1000,
                                "p99_ms": p.percentile(0.99) * 1000,
                                "server_cpu_s": p.server_cpu,
                                "client_cpu_s": p.client_cpu,
                            }
                            for p in phases
                        ]
                        for c, phases in runs.items()
                    },
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    sys.exit(main())
