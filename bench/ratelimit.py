# SPDX-License-Identifier: Apache-2.0
"""Rate limiter benchmark: one tenant floods, another's latency is measured.

Starts a quantum-server (SQL plugin, SQLite, one process) twice: with the rate
limiter on (``--rate``/``--burst`` for GET) and off. Each time both tenants get
``--networks`` networks (the flood tenant ``--flood-networks``); the calm tenant
lists its networks in detail ``--probes`` times at 25/s alone (the floor of this run),
then again while the flood tenant lists its own on ``--threads`` connections from
another process, ``--flood-rate`` requests per second in all (0: back to back).
Prints the flood's accepted rate against the configured one, and the calm tenant's
p50/p99 alone and under the flood, with the ratio to its own floor.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quantum.testing.client import write_config  # noqa: E402
from quantum.testing.flood import Fairness, Probe, fairness  # noqa: E402
from quantum.testing.server import ServerProcess, db_manage, free_port  # noqa: E402

HOST = "127.0.0.1"


def run(limited: bool, args: argparse.Namespace, scratch: Path) -> Fairness:
    port = free_port(HOST)
    config = write_config(
        scratch / ("limited" if limited else "unlimited"),
        bind_host=HOST,
        bind_port=port,
        core_plugin="sql",
        rate_limit_enabled=str(limited).lower(),
        rate_limits=f"GET:{args.rate}:{args.burst},POST:10000:10000",
    )
    done = db_manage(config, "upgrade", "head")
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    server = ServerProcess(config, HOST, port)
    server.start()
    try:
        conn = server.connection()
        for tenant, count in (("calm", args.networks), ("flood", args.flood_networks)):
            for n in range(count):
                conn.request(
                    "POST",
                    f"/v1.1/tenants/{tenant}/networks.json",
                    json.dumps({"network": {"name": f"n{n}"}}),
                    {"Content-Type": "application/json"},
                )
                conn.getresponse().read()
        conn.close()
        return fairness(
            port,
            calm_path="/v1.1/tenants/calm/networks/detail.json",
            flood_path="/v1.1/tenants/flood/networks/detail.json",
            probes=args.probes,
            interval=0.04,
            threads=args.threads,
            flood_rate=args.flood_rate,
        )
    finally:
        server.stop(timeout=15)


def _latency(probe: Probe) -> str:
    p50, p90, p99 = (probe.percentile(q) * 1000 for q in (50, 90, 99))
    return f"p50 {p50:.1f} ms  p90 {p90:.1f} ms  p99 {p99:.1f} ms  {probe.statuses}"


def report(name: str, found: Fairness, args: argparse.Namespace, limited: bool) -> None:
    flood = found.flood
    print(f"== {name}")  # noqa: T201
    configured = f" (configured {args.rate:g}/s, burst {args.burst})" if limited else ""
    others = {k: v for k, v in flood.statuses.items() if k not in (200, 413)}
    print(  # noqa: T201
        f"flood: {flood.sent} requests in {flood.wall:.1f} s = "
        f"{flood.sent / flood.wall:.0f}/s sent; {flood.accepted} accepted = "
        f"{flood.accepted / flood.wall:.1f}/s{configured}; "
        f"{flood.refused} refused (413); other statuses {others}"
    )
    print(f"calm tenant alone:      {_latency(found.baseline)}")  # noqa: T201
    print(f"calm tenant with flood: {_latency(found.flooded)}")  # noqa: T201
    for q in (50, 90, 99):
        ratio = found.flooded.percentile(q) / found.baseline.percentile(q)
        print(f"  p{q} with flood / alone: x{ratio:.2f}")  # noqa: T201


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--networks", type=int, default=20)
    parser.add_argument(
        "--flood-networks",
        type=int,
        default=200,
        help="networks the flood lists per request (what an accepted request costs)",
    )
    parser.add_argument("--probes", type=int, default=200)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--flood-rate",
        type=float,
        default=400.0,
        help="requests/s the flood sends in all; 0: back to back (then the figures "
        "say how much CPU a client can take from the server)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="quantum-bench-") as scratch:
        for limited in (True, False):
            found = run(limited, args, Path(scratch))
            report("limiter on" if limited else "limiter off", found, args, limited)
    return 0


if __name__ == "__main__":
    sys.exit(main())
