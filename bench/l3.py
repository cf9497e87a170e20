# SPDX-License-Identifier: Apache-2.0
"""Floating IP benchmark: from the API call to the first packet through it.

A real ``quantum-server`` (openvswitch plugin, ``service_plugins = router``,
SQLite) and one simulated hypervisor of the data-plane harness running a real
``quantum-openvswitch-agent`` and a real ``quantum-l3-agent``; an "outside" host
on the external bridge ``br-ex``; a VM behind a router. Everything goes through
``/v2.0``.

Per sample: a floating IP is made (not associated) and a prober on the outside
host starts probing its address; the clock starts at
``PUT /v2.0/floatingips/<id> {"port_id": <the VM's port>}`` and stops at the
first ICMP echo reply from the VM through it. Then it is disassociated and
deleted, and the next sample waits until the router no longer holds the address.
The floor, measured the same way in the same run, is the prober against a
floating IP that is already associated: its interval plus one round trip.

Needs root and Open vSwitch; run it under the data-plane lock (bench/README.md):
``flock /tmp/quantum-dataplane.lock .venv/bin/python bench/l3.py``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.dataplane import harness  # noqa: E402
from tests.dataplane.test_l3_agent import TENANT, World, world  # noqa: E402

TARGET_P50 = 0.500
PROBE = Path(__file__).resolve().parent / "icmp_probe.py"


class Prober:
    """``icmp_probe.py`` in a namespace (as bench/convergence.py runs it)."""

    def __init__(
        self, netns: str, targets: Sequence[str], *, each: bool, interval: float
    ) -> None:
        argv = ["ip", "netns", "exec", netns, sys.executable, str(PROBE)]
        argv += ["--interval", f"{interval:g}", "--timeout", "60"]
        argv += [*(["--each"] if each else []), *targets]
        self.popen = subprocess.Popen(  # noqa: S603  # NOTE: argv built here
            argv, stdout=subprocess.PIPE, text=True
        )
        if self.popen.stdout is None:
            raise RuntimeError("no pipe from the prober")
        self.out = self.popen.stdout
        line = self.out.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"prober did not start: {line!r}")

    def reply(self) -> tuple[str, float]:
        line = self.out.readline()
        if not line:
            raise TimeoutError("the prober gave up (no reply within its timeout)")
        address, stamp = line.split()
        return address, float(stamp)

    def stop(self) -> None:
        self.popen.terminate()
        self.popen.wait(5)
        self.out.close()


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _fip(w: World, port_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tenant_id": TENANT,
        "floating_network_id": w.external["network_id"],
    }
    if port_id is not None:
        body["port_id"] = port_id
    fip: dict[str, Any] = w.api.v2("POST", "/floatingips", {"floatingip": body})[
        "floatingip"
    ]
    return fip


def _holds(w: World, router_id: str, address: str) -> bool:
    out = subprocess.run(  # noqa: S603  # NOTE: fixed argv
        ["ip", "-n", w.namespace(router_id), "-o", "addr", "show"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return f" {address}/32 " in out


def associate_to_reply(
    w: World, router_id: str, port_id: str, count: int, interval: float
) -> list[float]:
    samples = []
    for index in range(count):
        fip = _fip(w)
        address = str(fip["floating_ip_address"])

        def released(address: str = address) -> bool:
            return not _holds(w, router_id, address)

        harness.wait_until(
            released,
            20,
            message=f"the router lets {address} go",
        )
        prober = Prober(w.outside.netns.name, [address], each=True, interval=interval)
        try:
            time.sleep(0.05)  # NOTE: a few probes unanswered before the call
            start = time.time()
            w.api.v2(
                "PUT", f"/floatingips/{fip['id']}", {"floatingip": {"port_id": port_id}}
            )
            _, stamp = prober.reply()
        finally:
            prober.stop()
        samples.append(stamp - start)
        print(f"  {index + 1}/{count}: {ms(samples[-1])}", flush=True)
        w.api.v2("PUT", f"/floatingips/{fip['id']}", {"floatingip": {"port_id": None}})
        w.api.v2("DELETE", f"/floatingips/{fip['id']}")
    return samples


def floor(w: World, address: str, rounds: int, interval: float) -> list[float]:
    """The prober against an associated floating IP: a mark to the next reply."""
    prober = Prober(w.outside.netns.name, [address], each=False, interval=interval)
    samples = []
    try:
        for index in range(rounds):
            time.sleep(0.02 + (index % 7) * 0.003)
            start = time.time()
            while True:
                _, stamp = prober.reply()
                if stamp >= start:
                    break
            samples.append(stamp - start)
    finally:
        prober.stop()
    return samples


def run(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "args": vars(args),
        "loadavg_before": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    session = harness.Session.start()
    tmp = Path(tempfile.mkdtemp(prefix="quantum-l3-bench-"))
    try:
        with world(session, tmp) as w:
            w.start_l3_agent()
            subnet = w.network("10.80.0.0/24")
            router = w.router(subnet)
            w.router_runs(router["id"])
            vm, port = w.vm("a", subnet)
            print(f"associate -> first reply: {args.count} floating IPs", flush=True)
            latencies = associate_to_reply(
                w, router["id"], port["id"], args.count, args.interval
            )
            held = _fip(w, port["id"])
            harness.wait_until(
                lambda: w.outside.ping(held["floating_ip_address"]),
                20,
                message="the floor's floating IP answers",
            )
            floors = floor(w, held["floating_ip_address"], args.count, args.interval)
    finally:
        session.close()
    figures["loadavg_after"] = os.getloadavg()
    figures["associate_to_reply"] = {
        "samples": latencies,
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
        "floor_p50": percentile(floors, 0.5),
        "floor_p99": percentile(floors, 0.99),
    }
    return figures


def report(figures: dict[str, Any]) -> bool:
    before = " ".join(f"{x:.2f}" for x in figures["loadavg_before"])
    after = " ".join(f"{x:.2f}" for x in figures["loadavg_after"])
    print(f"\n{figures['cpus']} CPUs; load average before: {before}   after: {after}")
    f = figures["associate_to_reply"]
    print(
        f"PUT floatingip (associate) -> first reply from the outside "
        f"({len(f['samples'])} floating IPs, one at a time):"
    )
    print(
        f"  p50 {ms(f['p50'])}   p99 {ms(f['p99'])}   max {ms(f['max'])}   "
        f"floor p50 {ms(f['floor_p50'])} (p99 {ms(f['floor_p99'])})   "
        f"p50/floor {f['p50'] / f['floor_p50']:.1f}x"
    )
    met = bool(f["p50"] < TARGET_P50)
    print(f"\n  {'met   ' if met else 'MISSED'} p50 < {ms(TARGET_P50)}")
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="l3", description=__doc__)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.005)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    problem = harness.environment_problem()
    if problem:
        print(f"l3: {problem}", file=sys.stderr)
        return 2
    for what in harness.reap_leftovers():
        print(f"reaped a crashed run's leftover: {what}", file=sys.stderr)
    figures = run(args)
    met = report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
