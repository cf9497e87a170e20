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
    server: Server, concurrency: int, ports: int, lifted: bool
) -> tuple[float, float, float, float]:
    """Creates/s, p50, p99 (s) of ``ports`` creates at ``concurrency``, and the
    floor's p50."""
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
        created = run_phase(
            "create port",
            server,
            clients,
            [
                Request(
                    "POST",
                    "/v2.0/ports",
                    {"port": {"network_id": nets[i // 10], "tenant_id": tenant}},
                )
                for i in range(ports)
            ],
        )
        return (
            created.rate,
            created.percentile(0.5),
            created.percentile(0.99),
            floor.percentile(0.5),
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
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    trees = [t.resolve() for t in (args.tree or [HERE])]
    levels = [int(c) for c in args.concurrency.split(",")]
    found: dict[tuple[Path, int], list[tuple[float, float, float]]] = {}
    print(
        f"db={args.db} api_workers={args.workers} ports/level={args.ports} "
        f"quota={'lifted' if args.lifted else 'enforced'} {os.cpu_count()} CPUs"
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
                            rate, p50, p99, floor = _level(
                                server, c, args.ports, args.lifted
                            )
                            found.setdefault((tree, c), []).append((rate, p50, p99))
                            line.append(
                                f"c={c} {rate:.0f}/s p50 {p50 * 1000:.1f} "
                                f"p99 {p99 * 1000:.1f} ms (floor {floor * 1000:.2f})"
                            )
                        print(f"round {round_} {tree} load {load:.1f}: "
                              + "; ".join(line))  # fmt: skip
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
            rates[c] = statistics.median(r[0] for r in runs)
            p50 = statistics.median(r[1] for r in runs) * 1000
            p99 = statistics.median(r[2] for r in runs) * 1000
            print(f"  {tree} c={c}: {rates[c]:.0f} creates/s, p50 {p50:.1f} ms, "
                  f"p99 {p99:.1f} ms")  # fmt: skip
        if len(levels) > 1:
            print(f"  {tree} c={levels[-1]}/c={levels[0]}: "
                  f"{rates[levels[-1]] / rates[levels[0]]:.2f}x")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
