# SPDX-License-Identifier: Apache-2.0
"""Two or more checkouts, one request at a time each, in turn: a before/after
comparison that holds on a busy machine.

``bench/api.py`` and ``bench/api_v2.py`` run one checkout after the other, and
their ``--quick`` phases are a handful of requests: on a machine other work keeps
loaded, the load moves between two runs more than a change of 10% does. Here
every checkout's server runs at once (each started by its own ``bench/api.py``
harness, on its own scratch database), each is given the same data (under one
tenant: 10 networks with a /24 subnet and 10 ports each), and then each phase's
requests alternate between the servers (the order reversed every round), so both
see the same machine. Per phase and checkout: p50 and p25-p75 in ms, and the last
checkout's p50 against the first's. See bench/README.md.

    python bench/paired.py --db sqlite /tmp/before /work/main
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

SERVE = """
import argparse, sys
sys.path.insert(0, "bench")
import api
ns = argparse.Namespace(url=None, config_file=None, server_pid=None, db=sys.argv[1],
                        workers=2)
with api.started_server(ns) as (server, _, _):
    print(f"{server.host}:{server.port}", flush=True)
    sys.stdin.read()
"""
"""Run in a checkout: its server as its bench/api.py starts it, until stdin ends."""


class Checkout:
    def __init__(self, tree: Path, db: str) -> None:
        self.name = tree.name
        # NOTE: our own interpreter on our own script, in a checkout we were given.
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", SERVE, db],
            cwd=tree,
            env={**os.environ, "PYTHONPATH": str(tree)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        out = self.process.stdout
        host, _, port = (out.readline() if out else "").strip().partition(":")
        if not port:
            raise SystemExit(f"{tree}: its server did not start")
        self.connection = http.client.HTTPConnection(host, int(port))

    def call(self, method: str, path: str, body: Any, tenant: str) -> Any:
        headers = {
            "X-Project-Id": tenant,
            "X-Roles": "member,admin",
            "Content-Type": "application/json",
        }
        data = json.dumps(body) if body is not None else None
        self.connection.request(method, path, data, headers)
        response = self.connection.getresponse()
        answer = response.read()
        if response.status >= 300:
            raise SystemExit(f"{self.name}: {method} {path}: {response.status}")
        return json.loads(answer) if answer[:1] == b"{" else answer

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


def populate(checkout: Checkout, tenant: str) -> None:
    quota = {"quota": {"network": -1, "subnet": -1, "port": -1}}
    checkout.call("PUT", f"/v2.0/quotas/{tenant}", quota, tenant)
    for i in range(10):
        body = {"network": {"name": f"net-{i}"}}
        net = checkout.call("POST", "/v2.0/networks", body, tenant)["network"]["id"]
        subnet = {"network_id": net, "cidr": f"10.{i}.0.0/24", "ip_version": 4}
        checkout.call("POST", "/v2.0/subnets", {"subnet": subnet}, tenant)
        for _ in range(10):
            checkout.call("POST", "/v2.0/ports", {"port": {"network_id": net}}, tenant)


Phase = Callable[[Checkout, str], Any]

PHASES: dict[str, Phase] = {
    "floor: GET /healthcheck": lambda c, t: c.call("GET", "/healthcheck", None, t),
    "v2 list 100 ports": lambda c, t: c.call(
        "GET", f"/v2.0/ports?tenant_id={t}", None, t
    ),
    "v2 create network": lambda c, t: c.call(
        "POST", "/v2.0/networks", {"network": {"name": "n"}}, t
    ),
    "v1 create network": lambda c, t: c.call(
        "POST", f"/v1.1/tenants/{t}/networks.json", {"network": {"name": "n"}}, t
    ),
}


def measure(checkouts: Sequence[Checkout], rounds: int, tenant: str) -> None:
    print(f"load average before: {os.getloadavg()}")
    print(
        "phase".ljust(26)
        + "".join(f"{c.name + ' p50 (p25-p75)':>28}" for c in checkouts)
        + "  last/first"
    )
    for name, phase in PHASES.items():
        for checkout in checkouts:
            phase(checkout, tenant)
        times: list[list[float]] = [[] for _ in checkouts]
        for r in range(rounds):
            order = list(range(len(checkouts)))
            for i in order if r % 2 == 0 else reversed(order):
                start = time.perf_counter()
                phase(checkouts[i], tenant)
                times[i].append((time.perf_counter() - start) * 1000)
        cells = []
        for samples in times:
            q1, _, q3 = statistics.quantiles(samples, n=4)
            cells.append(f"{statistics.median(samples):.2f} ({q1:.2f}-{q3:.2f})")
        ratio = statistics.median(times[-1]) / statistics.median(times[0])
        print(name.ljust(26) + "".join(f"{c:>28}" for c in cells) + f"  {ratio:.2f}")
    print(f"load average after: {os.getloadavg()}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", type=Path, help="checkouts to compare")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args(argv)
    checkouts: list[Checkout] = []
    try:
        for tree in args.trees:
            checkouts.append(Checkout(tree.resolve(), args.db))
        tenant = f"paired-{uuid.uuid4().hex[:8]}"
        for checkout in checkouts:
            populate(checkout, tenant)
        measure(checkouts, args.rounds, tenant)
    finally:
        for checkout in checkouts:
            checkout.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
