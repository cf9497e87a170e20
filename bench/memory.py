# SPDX-License-Identifier: Apache-2.0
"""Memory per process: the server tree (supervisor and workers) and the agents.

Issue 16 item 5. For each ``--tree`` (a checkout; default this one), in one run:

- the floor: a bare ``python`` and a ``python`` that imported only webob, each held
  open and read from outside like the server;
- ``quantum-server`` from that tree (``--workers``, SQLite, scratch database): each
  process's VmRSS, Pss and USS (``/proc/<pid>/smaps_rollup``: Private_Clean +
  Private_Dirty) after start-up and after the ``bench/api_v2.py`` workload at
  concurrency 1 and 8 (``--quick``: its smaller workload), and the tree's sums;
  with ``--repeat N``, the tree's sums again after each of N - 1 more workloads
  (what a server keeps as it serves on: memos, caches);
- what each process imports, in a fresh interpreter of that tree: the supervisor
  (``import quantum.server``), a worker (``load_app``, noauth, SQLite), and what
  the OVS, DHCP and L3 agents' ``run()`` import, with the RSS of that interpreter.

A running OVS agent with 200 ports is measured by ``bench/convergence.py`` (its idle
phase), which needs root, Open vSwitch and the data-plane lock. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from api import BenchError, Client, Server  # noqa: E402  # NOTE: the v1 harness
from api_v2 import FULL, QUICK, unlimited, warm_up, workload  # noqa: E402
from port_creates import _run_tree_server, _stop  # noqa: E402

from quantum.testing import databases  # noqa: E402  # NOTE: api put the repo on the path
from quantum.testing.server import status_kib  # noqa: E402

HERE = Path(__file__).resolve().parent.parent

REPORT = """
import json, sys
def kib(path, key):
    for line in open(path):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0
smaps = "/proc/self/smaps_rollup"
print(json.dumps({
    "modules": sum(1 for v in sys.modules.values() if v is not None),
    "rss": kib("/proc/self/status", "VmRSS"),
    "pss": kib(smaps, "Pss"),
    "uss": kib(smaps, "Private_Clean") + kib(smaps, "Private_Dirty"),
}))
"""

# NOTE: each probe is what that process imports before it serves, in the order it
# does; they use only entry points both trees have.
PROBES = {
    "supervisor (import quantum.server)": "import quantum.server\n",
    "worker (+ load_app, noauth, SQLite)": """
import sys
import quantum.server
from quantum.core.settings import load_settings
quantum.server.load_app(load_settings(sys.argv[1] + "/quantum.conf"))
""",
    "OVS agent (what run() imports)": """
from quantum.agent.ovs import main
main.keep_eventlet_out()
try:  # NOTE: a tree that loads os-ken's OpenFlow 1.3 alone, as its run() does
    from quantum.agent.ovs.openflow13 import load_openflow13_only
except ImportError:
    pass
else:
    load_openflow13_only()
from quantum.agent.loop import follow_changes
from quantum.agent.ovs import openflow
from quantum.agent.ovs.ovsdb import Ovsdb
from quantum.agent.ovs.reconcile import Agent, AgentConfig
from quantum.agentapi.ovs.client import OvsClient
""",
    "DHCP agent (what run() imports)": """
from quantum.agent.dhcp import main
from quantum.agent.dhcp.agent import DhcpAgent, DhcpConfig
from quantum.agent.dhcp.driver import Driver, DriverConfig
from quantum.agent.dhcp.leases import LeaseWatch
from quantum.agent.loop import follow_changes
from quantum.agentapi.dhcp.client import DhcpClient
""",
    "L3 agent (what run() imports)": """
from quantum.agent.l3 import main
from quantum.agent.l3.agent import L3Agent, L3Config
from quantum.agent.l3.driver import Driver, DriverConfig
from quantum.agent.loop import follow_changes
from quantum.agentapi.l3.client import L3Client
""",
}

FLOORS = {
    "floor: python, bare": "",
    "floor: python + import webob": "import webob\n",
}


def _env(tree: Path) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    for name in ("EVENTLET_NO_GREENDNS", "OSKEN_HUB_TYPE"):
        env.pop(name, None)
    return env


def probe(tree: Path, script: str, scratch: Path) -> dict[str, int]:
    """Modules and memory of a fresh interpreter of ``tree`` after ``script``."""
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        _worker_config(tree, Path(tmp))
        done = subprocess.run(  # noqa: S603  # NOTE: our interpreter, our scripts
            [sys.executable, "-W", "ignore", "-c", script + REPORT, tmp],
            capture_output=True, text=True, cwd=tree, env=_env(tree), timeout=120,
            check=False,
        )  # fmt: skip
    if done.returncode != 0:
        raise BenchError(f"{tree}: probe failed: {done.stderr[-500:]}")
    return dict(json.loads(done.stdout.splitlines()[-1]))


def _worker_config(tree: Path, directory: Path) -> None:
    """A noauth SQLite quantum.conf in ``directory``, its schema at head."""
    config = directory / "quantum.conf"
    config.write_text(
        f"[DEFAULT]\nstate_path = {directory}\n"
        f"api_paste_config = {tree / 'etc' / 'api-paste.ini'}\n"
        f"core_plugin = sql\nsql_connection = sqlite:///{directory / 'q.sqlite'}\n"
        "auth_strategy = noauth\n"
    )
    subprocess.run(  # noqa: S603  # NOTE: the tree's own script
        [sys.executable, str(tree / "bin" / "quantum-db-manage"), "--config-file",
         str(config), "upgrade", "head"],
        capture_output=True, cwd=tree, env=_env(tree), timeout=120, check=True,
    )  # fmt: skip


def held_floor(script: str) -> dict[str, int]:
    """A python that ran ``script`` and waits, read from outside as the server is."""
    process = subprocess.Popen(  # noqa: S603  # NOTE: our interpreter
        [sys.executable, "-c", script + "import sys\nprint(1, flush=True)\n"
         "sys.stdin.read()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert process.stdout is not None  # noqa: S101  # NOTE: piped above
        process.stdout.readline()
        return memory(process.pid)
    finally:
        assert process.stdin is not None  # noqa: S101  # NOTE: piped above
        process.stdin.close()
        process.wait(10)


def memory(pid: int) -> dict[str, int]:
    """VmRSS, Pss and USS (KiB) of a process."""
    rollup: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        rollup[key] = int(value.split()[0])
    return {
        "rss": status_kib(pid, "VmRSS"),
        "pss": rollup["Pss"],
        "uss": rollup["Private_Clean"] + rollup["Private_Dirty"],
    }


def tree_memory(server: Server) -> dict[str, dict[str, int]]:
    pids = server.pids()
    found = {"supervisor" if len(pids) > 1 else "server": memory(pids[0])}
    for i, pid in enumerate(pids[1:], 1):
        found[f"worker {i}"] = memory(pid)
    found["tree (sum)"] = {
        k: sum(m[k] for m in found.values()) for k in ("rss", "pss", "uss")
    }
    return found


def run_workload(server: Server, quick: bool) -> None:
    size = QUICK if quick else FULL
    for concurrency in (1, 8):
        clients = [Client(server.host, server.port) for _ in range(concurrency)]
        try:
            warm_up(clients)
            tenant = f"mem-c{concurrency}-{uuid.uuid4().hex[:8]}"
            unlimited(clients[0], tenant)
            workload(server, clients, size, tenant)
        finally:
            for client in clients:
                client.close()


def measure_tree(
    tree: Path, workers: int, quick: bool, scratch: Path, repeat: int = 1
) -> dict[str, dict[str, int]]:
    rows: dict[str, dict[str, int]] = {}
    for name, script in FLOORS.items():
        rows[name] = held_floor(script)
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        process, server, name = _run_tree_server(tree, "sqlite", workers, Path(tmp))
        try:
            for proc, sizes in tree_memory(server).items():
                rows[f"{proc}, started"] = sizes
            run_workload(server, quick)
            time.sleep(1.0)
            for proc, sizes in tree_memory(server).items():
                rows[f"{proc}, after the workload"] = sizes
            for n in range(2, repeat + 1):
                run_workload(server, quick)
                time.sleep(1.0)
                rows[f"tree (sum), after workload {n}"] = tree_memory(server)[
                    "tree (sum)"
                ]
        finally:
            _stop(process)
            databases.drop("sqlite", name)
    for name, script in PROBES.items():
        try:
            rows[f"imports: {name}"] = probe(tree, script, scratch)
        except BenchError as error:  # NOTE: an older tree may lack the entry point
            print(f"{tree}: {name}: {str(error).splitlines()[-1]}", file=sys.stderr)
    return rows


def _mib(kib: int) -> str:
    return f"{kib / 1024:.1f}"


def print_rows(
    trees: Sequence[Path], found: dict[Path, dict[str, dict[str, int]]]
) -> None:
    print("\nMiB: VmRSS / Pss / USS (modules, for the fresh-interpreter probes)")
    header = "| process | " + " | ".join(str(t) for t in trees) + " |"
    print(header)
    print("|---" * (len(trees) + 1) + "|")
    for row in found[trees[0]]:
        cells = []
        for tree in trees:
            m = found[tree].get(row)
            if m is None:
                cells.append("")
                continue
            cell = f"{_mib(m['rss'])} / {_mib(m['pss'])} / {_mib(m['uss'])}"
            if "modules" in m:
                cell += f" ({m['modules']})"
            cells.append(cell)
        print(f"| {row} | " + " | ".join(cells) + " |")


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--tree",
        type=Path,
        action="append",
        help="a checkout to measure (repeatable; default: this one)",
    )
    parser.add_argument("--workers", type=int, default=2, help="api_workers")
    parser.add_argument("--quick", action="store_true", help="a smaller workload")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the workload this many times, the tree's sums after each",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    trees = [t.resolve() for t in (args.tree or [HERE])]
    print(f"api_workers={args.workers} SQLite, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.2f}")  # fmt: skip
    found: dict[Path, dict[str, dict[str, int]]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="quantum-mem-") as scratch:
            for tree in trees:
                found[tree] = measure_tree(
                    tree, args.workers, args.quick, Path(scratch), args.repeat
                )
    except (BenchError, databases.Unavailable) as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    print_rows(trees, found)
    print(f"load after: {os.getloadavg()[0]:.2f}")
    if args.json:
        args.json.write_text(
            json.dumps({str(t): r for t, r in found.items()}, indent=1)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
