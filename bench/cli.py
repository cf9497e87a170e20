# SPDX-License-Identifier: Apache-2.0
"""``quantum net-list`` beside ``openstack network list`` with N networks stored.

Starts ``quantum-server`` (SQL plugin, noauth) on a scratch SQLite store, makes N
networks (default 1,000) in one project through ``quantum.client`` (bulk creates of
100), then times each command's whole run (process start to exit, output to
/dev/null), alternating the two so a busy machine weighs on both alike. The
openstack CLI comes from ``.venv-clients`` (``QUANTUM_CLIENTS_VENV``; the client tests
make it), with ``--os-auth-type none --os-endpoint``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from quantum.client import transport, v2  # noqa: E402
from quantum.testing.client import write_config  # noqa: E402
from quantum.testing.server import ServerProcess, db_manage, free_port  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PROJECT = "bench"


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds of one run, and how many lines it printed."""
    start = time.perf_counter()
    done = subprocess.run(  # noqa: S603  # NOTE: the commands under test
        argv, capture_output=True, text=True, check=False, env=env, timeout=300
    )
    took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{argv[0]} failed: {done.stderr}")
    return took, len(done.stdout.splitlines())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    venv = Path(os.environ.get("QUANTUM_CLIENTS_VENV", REPO / ".venv-clients"))
    openstack = venv / "bin" / "openstack"
    if not openstack.exists():
        raise SystemExit(f"no openstack CLI at {openstack}: run the client tests once")
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        port = free_port(HOST)
        config = write_config(
            directory, bind_host=HOST, bind_port=port, core_plugin="sql"
        )
        assert db_manage(config, "upgrade", "head").returncode == 0  # noqa: S101
        server = ServerProcess(config, HOST, port)
        server.start()
        try:
            url = f"http://{HOST}:{port}"
            v2.Client(transport.without_auth(url)).quotas.update(PROJECT, network=-1)
            client = v2.Client(transport.without_auth(url, PROJECT))
            for start in range(0, args.networks, 100):
                count = min(100, args.networks - start)
                client.networks.create_many(
                    {"name": f"net-{start + i}"} for i in range(count)
                )
            env = {k: v for k, v in os.environ.items() if not k.startswith("OS_")}
            env["HOME"] = str(directory)  # NOTE: no clouds.yaml or cache leaks in
            commands = {
                "quantum net-list": [
                    sys.executable, str(REPO / "bin" / "quantum"), "--os-url", url,
                    "--os-project-id", PROJECT, "net-list",
                ],
                "openstack network list": [
                    str(openstack), "--os-auth-type", "none", "--os-endpoint", url,
                    "network", "list",
                ],
            }  # fmt: skip
            times: dict[str, list[float]] = {name: [] for name in commands}
            for _ in range(args.rounds):
                for name, argv in commands.items():
                    took, lines = timed(argv, env)
                    # NOTE: a table: 3 rules and a header around one line a network
                    assert lines == args.networks + 4, (name, lines)  # noqa: S101
                    times[name].append(took)
        finally:
            server.stop()
    print(f"{args.networks} networks, {args.rounds} rounds, wall seconds per run")
    print(f"{'command':<24} {'median':>7} {'min':>7} {'max':>7}")
    for name, runs in times.items():
        print(
            f"{name:<24} {statistics.median(runs):7.2f} {min(runs):7.2f} "
            f"{max(runs):7.2f}"
        )


if __name__ == "__main__":
    main()
