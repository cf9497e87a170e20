# SPDX-License-Identifier: Apache-2.0
"""Boot-flow benchmark: ``quantum-vif boot`` from the API call to ports ACTIVE.

A real ``quantum-server`` (openvswitch plugin, VXLAN, SQLite) and two simulated
hypervisors of the data-plane harness (a network namespace each with its own
ovsdb-server and ovs-vswitchd, userspace datapath) with a real
``quantum-openvswitch-agent`` each: the same cloud as tests/dataplane/test_boot.py.

``--instances`` instances (one NIC each) are booted one at a time, alternating
between the hosts, with the real command run as an operator would run it on the
host. Figures:

* the wall time of ``quantum-vif boot`` (process start to exit: it exits once the
  agent has reported the port ACTIVE), p50/p99/max;
* the flow inside the command, from the first API call to ACTIVE, and its steps:
  allocate (one bulk ``POST /v2.0/ports`` plus the network and subnet reads), plug
  (veth, OVSDB, the guest's address and route), wait (the agent API long-poll that
  the agent's status report ends);
* ``quantum-vif delete`` wall time (unplug, delete the port and the namespace).

The floor, measured the same way in the same run on the same hosts: the wall time
of ``quantum-vif plug`` for a port made beforehand (the same process start and VIF
plug, without the API calls, the guest configuration and the wait). ``boot p50 /
floor p50`` is what the whole flow costs over plugging a VIF.

Needs root and Open vSwitch; run it under the data-plane lock (bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.dataplane import cloud, harness  # noqa: E402

CIDR = "10.77.0.0/16"


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def stats(values: Sequence[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "p50": percentile(values, 0.5),
        "p99": percentile(values, 0.99),
        "max": max(values),
        "samples": list(values),
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def machine() -> dict[str, Any]:
    ovs = harness.run(["ovs-vswitchd", "--version"]).stdout.splitlines()[0]
    commit = subprocess.run(  # noqa: S603
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "commit": commit,
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "ovs": ovs,
        "loadavg_before": os.getloadavg(),
    }


def vif_command(
    hv: harness.Hypervisor, session: harness.Session, *args: str
) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run ``quantum-vif`` as the host's root would (its agent's ini, its
    devices in its namespace); the wall time and the result."""
    argv = [sys.executable, str(harness.QUANTUM_VIF), *args]
    began = time.monotonic()
    done = harness.run(argv, timeout=120, env=session.env())
    return time.monotonic() - began, done


def flow_args(hv: harness.Hypervisor) -> list[str]:
    return ["--agent-config", str(hv.dir / "agent.ini"), "--host-netns", hv.netns.name]


def run(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {"machine": machine(), "args": vars(args)}
    session = harness.Session.start()
    root = Path(tempfile.mkdtemp(prefix="quantum-boot-bench-"))
    try:
        with cloud.deploy(session, root, "vxlan") as world:
            hvs = world.hypervisors(*(f"hv{i + 1}" for i in range(args.hosts)))
            api = world.api
            net = api.v2("POST", "/networks", {"network": {"tenant_id": "bench"}})
            net_id = net["network"]["id"]
            subnet = {"tenant_id": "bench", "network_id": net_id, "cidr": CIDR}
            api.v2("POST", "/subnets", {"subnet": {"ip_version": 4, **subnet}})

            def boot(name: str, hv: harness.Hypervisor) -> tuple[float, Any]:
                wall, done = vif_command(
                    hv, session, "boot", *flow_args(hv),
                    "--netns", session.netns_name(name), "--project-id", "bench",
                    "--instance-id", f"i-{name}", "--nic", f"net-id={net_id}",
                    "--json",
                )  # fmt: skip
                return wall, json.loads(done.stdout)

            def delete(name: str, hv: harness.Hypervisor) -> tuple[float, Any]:
                wall, done = vif_command(
                    hv, session, "delete", *flow_args(hv),
                    "--instance-id", f"i-{name}", "--netns", session.netns_name(name),
                    "--json",
                )  # fmt: skip
                return wall, json.loads(done.stdout)

            for hv in hvs:  # NOTE: warm-up (page cache, first flows)
                boot(f"warm-{hv.name}", hv)
                delete(f"warm-{hv.name}", hv)

            print(f"boot: {args.instances} instances, one at a time", flush=True)
            walls: list[float] = []
            inside: list[float] = []
            steps: dict[str, list[float]] = {"allocate": [], "plug": [], "wait": []}
            booted = []
            for i in range(args.instances):
                hv = hvs[i % len(hvs)]
                wall, info = boot(f"b{i}", hv)
                (vif,) = info["vifs"]
                status = api.v2("GET", f"/ports/{vif['port_id']}")["port"]["status"]
                if status != "ACTIVE":
                    raise RuntimeError(f"boot returned with the port {status}")
                walls.append(wall)
                inside.append(info["seconds"])
                for step, values in steps.items():
                    values.append(info["timings"][step])
                booted.append((f"b{i}", hv))
            deletes: list[float] = []
            delete_steps: dict[str, list[float]] = {"deallocate": [], "netns": []}
            for name, hv in booted:
                wall, info = delete(name, hv)
                deletes.append(wall)
                for step, values in delete_steps.items():
                    values.append(info["timings"][step])

            print(f"floor: {args.instances} quantum-vif plug", flush=True)
            floors = []
            for i in range(args.instances):
                hv = hvs[i % len(hvs)]
                body = {"tenant_id": "bench", "network_id": net_id}
                body["binding:host_id"] = hv.name
                port = api.v2("POST", "/ports", {"port": body})["port"]
                vm = world.lab.vm(f"f{i}", port["mac_address"])
                wall, _ = vif_command(
                    hv, session, "plug", "--iface-id", port["id"],
                    "--mac", port["mac_address"], "--instance-id", f"f{i}",
                    "--netns", vm.netns.name, "--ovsdb", hv.db,
                    "--host-netns", hv.netns.name,
                )  # fmt: skip
                floors.append(wall)
                vif_command(
                    hv, session, "unplug", "--iface-id", port["id"],
                    "--ovsdb", hv.db, "--host-netns", hv.netns.name,
                )  # fmt: skip
                api.v2("DELETE", f"/ports/{port['id']}")
            figures.update(
                boot=stats(walls),
                inside=stats(inside),
                steps={k: stats(v) for k, v in steps.items()},
                delete=stats(deletes),
                delete_steps={k: stats(v) for k, v in delete_steps.items()},
                floor=stats(floors),
            )
    finally:
        session.close()
    figures["machine"]["loadavg_after"] = os.getloadavg()
    return figures


def report(figures: dict[str, Any]) -> None:
    m = figures["machine"]
    print(
        f"\nmachine: {m['cpus']} CPUs, kernel {m['kernel']}, Python {m['python']}, "
        f"{m['ovs']}, commit {m['commit']}"
    )
    before = " ".join(f"{x:.2f}" for x in m["loadavg_before"])
    after = " ".join(f"{x:.2f}" for x in m["loadavg_after"])
    print(f"load average before: {before}   after: {after}")

    def line(title: str, f: dict[str, Any]) -> None:
        print(
            f"  {title:<44} p50 {ms(f['p50']):>7}   p99 {ms(f['p99']):>7}   "
            f"max {ms(f['max']):>7}"
        )

    b, floor = figures["boot"], figures["floor"]
    print(f"\nboot flow, {b['n']} instances one at a time (1 NIC each):")
    line("quantum-vif boot, wall time (-> ACTIVE)", b)
    line("  first API call -> ports ACTIVE", figures["inside"])
    for step, title in (
        ("allocate", "    allocate (bulk POST, network, subnet)"),
        ("plug", "    plug + guest configuration"),
        ("wait", "    wait for ACTIVE (long-poll)"),
    ):
        line(title, figures["steps"][step])
    line("quantum-vif delete, wall time", figures["delete"])
    line("  unplug + delete the port", figures["delete_steps"]["deallocate"])
    line("  delete the namespace", figures["delete_steps"]["netns"])
    line("floor: quantum-vif plug, wall time", floor)
    print(f"\n  boot p50 / floor p50: {b['p50'] / floor['p50']:.1f}x")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="boot", description=__doc__)
    parser.add_argument("--instances", type=int, default=20)
    parser.add_argument("--hosts", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    if args.instances < 1 or args.hosts < 1:
        parser.error("--instances and --hosts must be at least 1")
    problem = harness.environment_problem()
    if problem:
        print(f"boot: {problem}", file=sys.stderr)
        return 2
    for what in harness.reap_leftovers():
        print(f"reaped a crashed run's leftover: {what}", file=sys.stderr)
    figures = run(args)
    report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
