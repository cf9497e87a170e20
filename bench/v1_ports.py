# SPDX-License-Identifier: Apache-2.0
"""v1 port create and delete in process: the WSGI app of a checkout (this one, or
``--tree``) over SQLite in /dev/shm, quotas lifted, no HTTP; prints the process CPU
and the wall time per operation. Run it with the same interpreter against two
checkouts, alternating, to compare them on a machine whose load drifts (CPU time is
less skewed by other work than wall time). See bench/README.md."""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

UNLIMITED = "\n[QUOTAS]\nquota_network = -1\nquota_subnet = -1\nquota_port = -1\n"
JSON = {"Content-Type": "application/json"}
BASE = "/v1.1/tenants/bench/networks"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tree", type=Path, default=Path(__file__).parent.parent)
    parser.add_argument("--ports", type=int, default=300)
    args = parser.parse_args()
    tree = args.tree.resolve()
    sys.path.insert(0, str(tree))
    # NOTE: imported from the checkout measured, not this one.
    from quantum.api.app import load_app
    from quantum.core.settings import load_settings
    from quantum.testing.client import Client, write_config

    scratch = Path(tempfile.mkdtemp(dir="/dev/shm"))
    config = write_config(
        scratch, core_plugin="sql", sql_connection=f"sqlite:///{scratch}/q.db"
    )
    with config.open("a") as conf:
        conf.write(UNLIMITED)
    subprocess.run(  # noqa: S603  # NOTE: the checkout's own script
        [sys.executable, str(tree / "bin" / "quantum-db-manage"), "--config-file",
         str(config), "upgrade", "head"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    client = Client(load_app(load_settings(config)))

    def call(method: str, path: str, body: Any = None) -> Any:
        return client.request(method, path, body, JSON)

    net = call("POST", f"{BASE}.json", {"network": {"name": "n"}}).json["network"]
    ports = f"{BASE}/{net['id']}/ports"

    def create() -> list[str]:
        body = {"port": {"state": "ACTIVE"}}
        made = [call("POST", f"{ports}.json", body) for _ in range(args.ports)]
        return [answer.json["port"]["id"] for answer in made]

    def delete(ids: list[str]) -> None:
        for port_id in ids:
            assert call("DELETE", f"{ports}/{port_id}.json").status_int == 204  # noqa: S101

    delete(create())  # NOTE: warm up (imports, caches, the SQLite file)
    cpu, wall = time.process_time(), time.perf_counter()
    ids = create()
    created = time.process_time() - cpu, time.perf_counter() - wall
    cpu, wall = time.process_time(), time.perf_counter()
    delete(ids)
    deleted = time.process_time() - cpu, time.perf_counter() - wall
    n = args.ports / 1000
    print(
        f"{tree}: create cpu {created[0] / n:.2f} ms (wall {created[1] / n:.2f}), "
        f"delete cpu {deleted[0] / n:.2f} ms (wall {deleted[1] / n:.2f})"
    )


if __name__ == "__main__":
    main()
