# SPDX-License-Identifier: Apache-2.0
"""How long each v2 write holds SQLite's write lock, in process.

The write phases of ``bench/api_v2.py`` (100 networks, a /24 subnet each, 10 ports
a network, 200 renames, then every delete) called through the WSGI app with a
prebuilt environ (``bench/v2_request_cpu.py``), on a scratch SQLite database,
``quantum.db.session.WriterLock`` timed from its acquisition to its release: per
phase the mean wall time and the mean process CPU time of a hold (CPU: steadier on
a shared machine). Two rounds under fresh tenants; the second is printed. At
concurrency 8 a writer waits for up to seven others' holds: their length is what
the c=8 write p99 is made of. See bench/README.md.

    python bench/write_holds.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from v2_request_cpu import environ  # noqa: E402

from quantum.api.app import close_services, load_app  # noqa: E402
from quantum.core.settings import load_settings  # noqa: E402
from quantum.db import session as db_session  # noqa: E402
from quantum.testing import databases  # noqa: E402
from quantum.testing.client import write_config  # noqa: E402
from quantum.testing.server import db_manage  # noqa: E402

Holds = dict[str, list[tuple[float, float]]]


def timed_lock(holds: Holds, phase: list[str]) -> None:
    """Record every WriterLock hold under ``phase[0]``: (wall, CPU) seconds."""
    enter, leave = db_session.WriterLock.__enter__, db_session.WriterLock.__exit__
    started: list[tuple[float, float]] = []

    def timed_enter(lock: db_session.WriterLock) -> None:
        enter(lock)
        started.append((time.perf_counter(), time.process_time()))

    def timed_exit(lock: db_session.WriterLock, *exc_info: Any) -> None:
        wall, cpu = started.pop()
        holds.setdefault(phase[0], []).append(
            (time.perf_counter() - wall, time.process_time() - cpu)
        )
        leave(lock, *exc_info)

    db_session.WriterLock.__enter__ = timed_enter  # type: ignore[method-assign]
    db_session.WriterLock.__exit__ = timed_exit  # type: ignore[method-assign]


def workload(app: Any, phase: list[str], round_: int) -> None:
    def call(method: str, path: str, body: Any = None) -> Any:
        status: list[str] = []

        def start(given: str, headers: Any, exc_info: Any = None) -> None:
            status.append(given)

        out = b"".join(app(environ(method, path, body), start))
        if not status[0].startswith("2"):
            raise RuntimeError(f"{method} {path}: {status[0]} {out[:200]!r}")
        return json.loads(out) if out else None

    def run(name: str, each: Callable[[int], Any], items: Iterable[int]) -> list[Any]:
        phase[0] = name
        return [each(i) for i in items]

    tenant = uuid.uuid4().hex
    unlimited = {"quota": {"port": -1, "network": -1, "subnet": -1}}
    call("PUT", f"/v2.0/quotas/{tenant}", unlimited)
    networks = run(
        "create network",
        lambda i: call(
            "POST",
            "/v2.0/networks",
            {"network": {"name": f"n{i}", "tenant_id": tenant}},
        )["network"]["id"],
        range(100),
    )
    subnets = run(
        "create subnet",
        lambda i: call(
            "POST",
            "/v2.0/subnets",
            {
                "subnet": {
                    "network_id": networks[i],
                    "tenant_id": tenant,
                    "cidr": f"10.{round_}.{i}.0/24",
                    "ip_version": 4,
                }
            },
        )["subnet"]["id"],
        range(100),
    )
    ports = run(
        "create port",
        lambda i: call(
            "POST",
            "/v2.0/ports",
            {"port": {"network_id": networks[i % 100], "tenant_id": tenant}},
        )["port"]["id"],
        range(1000),
    )
    run(
        "rename port",
        lambda i: call("PUT", f"/v2.0/ports/{ports[i]}", {"port": {"name": f"x{i}"}}),
        range(200),
    )
    run("delete port", lambda i: call("DELETE", f"/v2.0/ports/{ports[i]}"), range(1000))
    run(
        "delete subnet",
        lambda i: call("DELETE", f"/v2.0/subnets/{subnets[i]}"),
        range(100),
    )
    run(
        "delete network",
        lambda i: call("DELETE", f"/v2.0/networks/{networks[i]}"),
        range(100),
    )


def main() -> int:
    holds: Holds = {}
    phase = ["setup"]
    timed_lock(holds, phase)
    with tempfile.TemporaryDirectory(prefix="quantum-holds-") as tmp:
        scratch = Path(tmp)
        url = databases.provision("sqlite", "holds", scratch)
        config = write_config(scratch, core_plugin="sql", sql_connection=url)
        done = db_manage(config, "upgrade", "head")
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        try:
            app = load_app(load_settings(config))
            for round_ in range(2):
                holds.clear()
                workload(app, phase, round_)
        finally:
            close_services()
    print("SQLite write-lock holds per write, in process (round 2 of 2)")
    print(f"{'phase':16} {'holds':>6} {'wall ms':>8} {'cpu ms':>8}")
    for name, found in holds.items():
        if name == "setup":
            continue
        wall = sum(w for w, _ in found) / len(found) * 1e3
        cpu = sum(c for _, c in found) / len(found) * 1e3
        print(f"{name:16} {len(found):6} {wall:8.2f} {cpu:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
