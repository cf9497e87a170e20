# SPDX-License-Identifier: Apache-2.0
"""v2 port creates at concurrency 1 and 8 under an enforced quota, tree against tree.

Issue 16 item 2: does one tenant's creates scale with concurrency while its port
quota is enforced? ``bench/api_v2.py`` lifts the tenant's quotas (``-1``), which
skips enforcement; here the tenant's limits are finite (above what the run
creates), so every create counts the tenant's ports under the quota's rules.

Each ``--tree`` (a checkout; default this one) gets its own server (its own
``bin/quantum-server`` and ``quantum-db-manage``, ``api_workers`` from
``--workers``) on a scratch database per round; rounds alternate the trees, so a
machine shared with other work loads them alike. Per tree and concurrency: the
median over rounds of creates/s, p50 and p99, and the c=max/c=1 ratio of the
medians. The same-run floor is ``GET /healthcheck`` (p50), printed per round.

Where the CPU went, per level: how many of the machine's CPUs were busy during the
creates (``/proc/stat``) and the CPU time per create of the server's processes, the
benchmark's client, the database server's processes (PostgreSQL's, MariaDB's) and
the rest (the kernel's work for them all, anything else running). ``--spread``
gives each of the ``c`` concurrent creates a network of its own, so none waits for
another's address range: what is left is every write's own queue.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api import (  # noqa: E402  # NOTE: the v1 benchmark's harness
    BenchError,
    Client,
    Request,
    Server,
    run_phase,
)

from quantum.testing import databases  # noqa: E402  # NOTE: api put the repo on the path
from quantum.testing.client import write_config  # noqa: E402
from quantum.testing.server import children, free_port  # noqa: E402

HERE = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")
DATABASE_PROCESSES = {"postgresql": {"postgres"}, "mysql": {"mariadbd", "mysqld"}}


def _machine_ticks() -> tuple[int, int]:
    """(busy, all) clock ticks of every CPU since boot (idle and iowait not busy)."""
    with open("/proc/stat") as stat:
        ticks = [int(t) for t in stat.readline().split()[1:]]
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


def _processes_cpu(names: set[str]) -> float:
    """CPU seconds used so far by the processes called ``names``."""
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if Path(f"/proc/{pid}/comm").read_text().strip() not in names:
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / TICKS


@dataclass
class Level:
    """One concurrency level's creates: rate, latencies, where the CPU went."""

    rate: float
    p50: float
    p99: float
    floor: float
    busy_cpus: float
    """CPUs busy on average during the creates (of ``os.cpu_count()``)."""
    cpu_ms: dict[str, float]
    """CPU ms per create: server, client, database, rest."""

    def cpu_line(self) -> str:
        parts = ", ".join(f"{k} {v:.2f}" for k, v in self.cpu_ms.items())
        return f"busy {self.busy_cpus:.2f} CPUs, CPU ms a create: {parts}"


def _run_tree_server(
    tree: Path, db: str, workers: int, scratch: Path
) -> tuple[subprocess.Popen[bytes], Server, str]:
    name = f"quantum_pc_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = databases.provision(db, name, scratch)
    port = free_port()
    config = write_config(
        scratch,
        bind_host="127.0.0.1",
        bind_port=port,
        api_workers=workers,
        core_plugin="sql",
        sql_connection=url,
        log_file=scratch / "quantum.log",
    )
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(  # noqa: S603  # NOTE: the tree's own script
        [sys.executable, str(tree / "bin" / "quantum-db-manage"), "--config-file",
         str(config), "upgrade", "head"],
        capture_output=True, text=True, check=False, cwd=tree, env=env, timeout=120,
    )  # fmt: skip
    if done.returncode != 0:
        raise BenchError(f"{tree}: quantum-db-manage failed: {done.stderr}")
    stderr = (scratch / "server.stderr").open("ab")
    process = subprocess.Popen(  # noqa: S603  # NOTE: the tree's own script
        [sys.executable, str(tree / "bin" / "quantum-server"), "--config-file",
         str(config)],
        stdout=subprocess.DEVNULL, stderr=stderr, cwd=tree, env=env,
    )  # fmt: skip
    server = Server("127.0.0.1", port, process.pid)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{tree}: server exited {process.returncode}")
        if len(children(process.pid)) >= workers:
            try:
                probe = Client("127.0.0.1", port)
                probe.call(Request("GET", "/healthcheck"))
                probe.close()
                break
            except (OSError, BenchError):
                pass
        time.sleep(0.05)
    else:
        raise BenchError(f"{tree}: server not ready")
    time.sleep(1.0)
    return process, server, name


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def _limit(client: Client, tenant: str, ports: int, lifted: bool) -> None:
    value = -1 if lifted else ports + 1000
    client.call(
        Request(
            "PUT",
            f"/v2.0/quotas/{tenant}",
            {"quota": {"network": value, "subnet": value, "port": value}},
        )
    )


def _level(
    server: Server, db: str, concurrency: int, ports: int, lifted: bool, spread: bool
) -> Level:
    """``ports`` creates at ``concurrency``: creates/s, p50, p99 (s), the floor's
    p50 and where the CPU went."""
    clients = [Client(server.host, server.port) for _ in range(concurrency)]
    try:
        tenant = f"pc-c{concurrency}-{uuid.uuid4().hex[:8]}"
        _limit(clients[0], tenant, ports, lifted)
        floor = run_phase(
            "floor", server, clients, [Request("GET", "/healthcheck")] * 200
        )
        nets = []
        for i in range(max(1, ports // 10)):
            _, body = clients[0].call(
                Request("POST", "/v2.0/networks", {"network": {"tenant_id": tenant}})
            )
            net = body["network"]["id"]
            clients[0].call(
                Request(
                    "POST",
                    "/v2.0/subnets",
                    {
                        "subnet": {
                            "network_id": net,
                            "tenant_id": tenant,
                            "ip_version": 4,
                            "cidr": f"10.{concurrency}.{i}.0/24",
                        }
                    },
                )
            )
            nets.append(net)
        # NOTE: warm every connection (first-use costs) with a create of its own.
        run_phase(
            "warm",
            server,
            clients,
            [Request("POST", "/v2.0/ports", {"port": {"network_id": nets[0],
                                                       "tenant_id": tenant}})]
            * (2 * concurrency),
        )  # fmt: skip
        # NOTE: ten creates a network, in order; spread, the c creates under way
        # at once are each on a network of their own.
        step = concurrency if spread else 1
        requests = [
            Request(
                "POST",
                "/v2.0/ports",
                {
                    "port": {
                        "network_id": nets[i % step + step * (i // (10 * step))],
                        "tenant_id": tenant,
                    }
                },
            )
            for i in range(ports)
        ]
        names = DATABASE_PROCESSES.get(db, set())
        busy, ticks = _machine_ticks()
        database = _processes_cpu(names)
        created = run_phase("create port", server, clients, requests)
        database = _processes_cpu(names) - database
        busy_after, ticks_after = _machine_ticks()
        cpus = os.cpu_count() or 1
        all_cpu = (busy_after - busy) / TICKS
        cpu = {
            "server": created.server_cpu or 0.0,
            "client": created.client_cpu,
            "database": database,
        }
        cpu["rest"] = max(0.0, all_cpu - sum(cpu.values()))
        return Level(
            created.rate,
            created.percentile(0.5),
            created.percentile(0.99),
            floor.percentile(0.5),
            cpus * (busy_after - busy) / max(1, ticks_after - ticks),
            {k: v * 1000 / ports for k, v in cpu.items()},
        )
    finally:
        for client in clients:
            client.close()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--tree",
        type=Path,
        action="append",
        help="a checkout to measure (repeatable; default: this one)",
    )
    parser.add_argument("--db", choices=databases.BACKENDS, default="postgresql")
    parser.add_argument("--workers", type=int, default=2, help="api_workers")
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument(
        "--ports", type=int, default=400, help="creates per level (<= 2560)"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--lifted", action="store_true", help="quotas lifted (-1): no enforcement"
    )
    parser.add_argument(
        "--spread",
        action="store_true",
        help="each of the c creates under way on a network of its own",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    trees = [t.resolve() for t in (args.tree or [HERE])]
    levels = [int(c) for c in args.concurrency.split(",")]
    found: dict[tuple[Path, int], list[Level]] = {}
    print(
        f"db={args.db} api_workers={args.workers} ports/level={args.ports} "
        f"quota={'lifted' if args.lifted else 'enforced'} "
        f"networks={'one per create under way' if args.spread else 'ten creates each'} "
        f"{os.cpu_count()} CPUs"
    )
    try:
        for round_ in range(1, args.rounds + 1):
            for tree in trees:
                with tempfile.TemporaryDirectory(prefix="quantum-pc-") as tmp:
                    process, server, name = _run_tree_server(
                        tree, args.db, args.workers, Path(tmp)
                    )
                    try:
                        load = os.getloadavg()[0]
                        line = []
                        for c in levels:
                            level = _level(
                                server, args.db, c, args.ports, args.lifted, args.spread
                            )
                            found.setdefault((tree, c), []).append(level)
                            line.append(
                                f"c={c} {level.rate:.0f}/s p50 {level.p50 * 1000:.1f} "
                                f"p99 {level.p99 * 1000:.1f} ms "
                                f"(floor {level.floor * 1000:.2f})"
                            )
                        print(f"round {round_} {tree} load {load:.1f}: "
                              + "; ".join(line))  # fmt: skip
                        for c in levels:
                            print(f"  c={c}: {found[(tree, c)][-1].cpu_line()}")
                    finally:
                        _stop(process)
                        databases.drop(args.db, name)
    except (BenchError, databases.Unavailable) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    print("\nmedians over rounds:")
    for tree in trees:
        rates = {}
        for c in levels:
            runs = found[(tree, c)]
            rates[c] = statistics.median(r.rate for r in runs)
            p50 = statistics.median(r.p50 for r in runs) * 1000
            p99 = statistics.median(r.p99 for r in runs) * 1000
            busy = statistics.median(r.busy_cpus for r in runs)
            per_create = statistics.median(sum(r.cpu_ms.values()) for r in runs)
            print(f"  {tree} c={c}: {rates[c]:.0f} creates/s, p50 {p50:.1f} ms, "
                  f"p99 {p99:.1f} ms, busy {busy:.2f} CPUs, "
                  f"{per_create:.2f} CPU ms a create")  # fmt: skip
        if len(levels) > 1:
            print(f"  {tree} c={levels[-1]}/c={levels[0]}: "
                  f"{rates[levels[-1]] / rates[levels[0]]:.2f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
