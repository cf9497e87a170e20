# SPDX-License-Identifier: Apache-2.0
"""One tenant floods a server while another one's latency is measured.

``python -m quantum.testing.flood --port P --path /v1.1/... --seconds S`` runs the
flood in its own process (so its threads never hold the measuring process's GIL):
``--threads`` keep-alive connections send GETs (back to back, or ``--rate`` per second
in all) for at most ``S`` seconds and ``--max-requests`` requests, then print one JSON
line of counts. ``probe`` is the
calm tenant: sequential GETs at a fixed pace, each one timed. Loopback only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

HEADERS = {"Accept": "application/json"}


@dataclass
class FloodResult:
    statuses: dict[int, int]
    wall: float

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    @property
    def accepted(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def refused(self) -> int:
        return self.statuses.get(413, 0)


def _flood_thread(
    host: str,
    port: int,
    path: str,
    headers: dict[str, str],
    deadline: float,
    budget: list[int],
    lock: threading.Lock,
    counts: Counter[int],
    interval: float,
) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    mine: Counter[int] = Counter()
    next_at = time.monotonic()
    try:
        while time.monotonic() < deadline:
            if interval > 0:
                pause = next_at - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                # NOTE: a slow answer delays the next request; no catching up.
                next_at = max(next_at + interval, time.monotonic())
            with lock:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
            try:
                conn.request("GET", path, headers=headers)
                answer = conn.getresponse()
                answer.read()
                mine[answer.status] += 1
                if answer.getheader("Connection", "").lower() == "close":
                    conn.close()
            except (OSError, http.client.HTTPException):
                mine[0] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=10)
    finally:
        conn.close()
        with lock:
            counts.update(mine)


def flood(
    host: str,
    port: int,
    path: str,
    seconds: float,
    threads: int = 4,
    max_requests: int = 200_000,
    headers: dict[str, str] | None = None,
    rate: float = 0.0,
) -> FloodResult:
    """Send GETs on ``threads`` connections until ``seconds`` or the budget is spent;
    at most ``rate`` per second in all (0: back to back)."""
    interval = threads / rate if rate > 0 else 0.0
    counts: Counter[int] = Counter()
    lock = threading.Lock()
    budget = [max_requests]
    start = time.monotonic()
    workers = [
        threading.Thread(
            target=_flood_thread,
            args=(
                host,
                port,
                path,
                {**HEADERS, **(headers or {})},
                start + seconds,
                budget,
                lock,
                counts,
                interval,
            ),
        )
        for _ in range(threads)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return FloodResult(dict(counts), time.monotonic() - start)


@dataclass
class Flooder:
    """The flood running in a child process; ``result`` once it is over."""

    process: subprocess.Popen[str]
    started: float = field(default_factory=time.monotonic)

    @classmethod
    def start(
        cls, port: int, path: str, seconds: float, threads: int = 4, rate: float = 0.0
    ) -> Flooder:
        argv = [
            sys.executable,
            "-m",
            "quantum.testing.flood",
            "--port", str(port),
            "--path", path,
            "--seconds", str(seconds),
            "--threads", str(threads),
            "--rate", str(rate),
        ]  # fmt: skip
        process = subprocess.Popen(  # noqa: S603  # NOTE: this module, fixed arguments
            argv, stdout=subprocess.PIPE, text=True
        )
        return cls(process)

    def result(self, timeout: float = 60.0) -> FloodResult:
        out, _ = self.process.communicate(timeout=timeout)
        data = json.loads(out.strip().splitlines()[-1])
        return FloodResult(
            {int(k): v for k, v in data["statuses"].items()}, data["wall"]
        )


@dataclass
class Probe:
    latencies: list[float]
    statuses: dict[int, int]

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
        return ordered[index]


def probe(host: str, port: int, path: str, count: int, interval: float) -> Probe:
    """``count`` sequential GETs, one every ``interval`` seconds, each timed."""
    conn = http.client.HTTPConnection(host, port, timeout=10)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    next_at = time.monotonic()
    try:
        for _ in range(count):
            pause = next_at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            next_at += interval
            began = time.perf_counter()
            conn.request("GET", path, headers=HEADERS)
            answer = conn.getresponse()
            answer.read()
            latencies.append(time.perf_counter() - began)
            statuses[answer.status] += 1
    finally:
        conn.close()
    return Probe(latencies, dict(statuses))


@dataclass
class Fairness:
    baseline: Probe
    """The calm tenant alone."""
    flooded: Probe
    """The calm tenant while the other floods."""
    flood: FloodResult


def fairness(
    port: int,
    calm_path: str,
    flood_path: str,
    probes: int = 100,
    interval: float = 0.04,
    threads: int = 4,
    host: str = "127.0.0.1",
    flood_rate: float = 0.0,
) -> Fairness:
    """The calm tenant's latency alone, then while another tenant floods (at most
    ``flood_rate`` requests per second; 0: as fast as the server answers)."""
    baseline = probe(host, port, calm_path, probes, interval)
    seconds = probes * interval + 1.0
    flooder = Flooder.start(port, flood_path, seconds, threads, flood_rate)
    time.sleep(0.5)  # NOTE: the flood is under way (and its burst spent) first
    flooded = probe(host, port, calm_path, probes, interval)
    return Fairness(baseline, flooded, flooder.result(timeout=seconds + 60))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument(
        "--rate", type=float, default=0.0, help="requests/s in all; 0: back to back"
    )
    args = parser.parse_args(argv)
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        parser.error("the flood only targets loopback addresses")
    found = flood(
        args.host,
        args.port,
        args.path,
        args.seconds,
        args.threads,
        args.max_requests,
        rate=args.rate,
    )
    out: dict[str, Any] = {"statuses": found.statuses, "wall": found.wall}
    print(json.dumps(out))  # noqa: T201  # NOTE: the parent reads this line
    return 0


if __name__ == "__main__":
    sys.exit(main())
