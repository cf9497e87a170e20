# SPDX-License-Identifier: Apache-2.0
"""L3 benchmark: a floating IP from the API call to the first packet through
it; NAT throughput against a direct veth path; 100 routers on one agent.

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

NAT throughput: one TCP transfer at a time (``tests/dataplane/tcp_tool.py``,
``--mib`` MiB, best of ``--transfers``) from the VM to the outside by SNAT and from
the outside to the VM by its floating IP, against the same transfer over a veth
pair joining two namespaces directly (no bridge, no router), in the same run.

Routers: with the L3 agent stopped, ``--routers`` routers each with a gateway and
two interfaces (two subnets) are made through the API; then the agent starts and
the clock runs until every router's namespace shows, from the device side
(``ip addr``, ``iptables-save``), its three addresses and its SNAT rule. Then the
agent's resident set (VmRSS, and its peak VmHWM) and CPU time; then an agent
restart over all of them: until its first round (which adopts, changes nothing)
is done.

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
from tests.dataplane.test_l3_agent import (  # noqa: E402
    OUTSIDE_IP,
    TENANT,
    World,
    world,
)

TARGET_P50 = 0.500
PROBE = Path(__file__).resolve().parent / "icmp_probe.py"
SINK_PORT = 5201


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


def _mbit(transfer: harness.Transfer) -> float:
    return transfer.bytes * 8 / transfer.seconds / 1e6


def best_throughput(
    sender: harness.VM, receiver: harness.VM, dst: str, mib: int, transfers: int
) -> float:
    """Mbit/s, the best of ``transfers`` TCP transfers of ``mib`` MiB."""
    sink = receiver.serve_tcp(SINK_PORT)
    try:
        return max(
            _mbit(sender.tcp_transfer(dst, SINK_PORT, mib << 20, timeout=120))
            for _ in range(transfers)
        )
    finally:
        sink.stop()
        receiver.processes.remove(sink)


def direct_veth(w: World, mib: int, transfers: int) -> float:
    """The floor: two namespaces joined by one veth pair."""
    left = w.stack.lab.vm("veth-l", "fa:16:3e:0f:0f:01")
    right = w.stack.lab.vm("veth-r", "fa:16:3e:0f:0f:02")
    harness.run(
        ["ip", "link", "add", "vl0", "netns", left.netns.name, "type", "veth",
         "peer", "name", "vr0", "netns", right.netns.name]
    )  # fmt: skip
    for vm, nic, address in (
        (left, "vl0", "192.0.2.1/24"),
        (right, "vr0", "192.0.2.2/24"),
    ):
        vm.netns.ip("addr", "add", address, "dev", nic)
        vm.netns.ip("link", "set", nic, "up")
    return best_throughput(left, right, "192.0.2.2", mib, transfers)


def nat_throughput(w: World, mib: int, transfers: int) -> dict[str, float]:
    subnet = w.network("10.81.0.0/24")
    router = w.router(subnet)
    w.router_runs(router["id"])
    vm, port = w.vm("nat", subnet)
    if not vm.can_reach(OUTSIDE_IP, timeout=20):
        raise RuntimeError("the VM does not reach the outside")
    snat = best_throughput(vm, w.outside, OUTSIDE_IP, mib, transfers)
    fip = _fip(w, port["id"])
    floating = str(fip["floating_ip_address"])
    if not w.outside.can_reach(floating, timeout=20):
        raise RuntimeError("the floating IP does not answer")
    dnat = best_throughput(w.outside, vm, floating, mib, transfers)
    return {"snat": snat, "floating_ip": dnat, "veth": direct_veth(w, mib, transfers)}


def _rss(pid: int) -> dict[str, float]:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    kib = {
        line.split(":")[0]: int(line.split()[1])
        for line in status
        if line.startswith(("VmRSS", "VmHWM"))
    }
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return {
        "rss_mib": kib["VmRSS"] / 1024,
        "hwm_mib": kib["VmHWM"] / 1024,
        "cpu_s": (int(fields[11]) + int(fields[12])) / tick,
    }


def _converged(netns: str, addresses: Sequence[str], gateway: str) -> bool:
    shown = harness.run(["ip", "-n", netns, "-o", "addr", "show"], check=False).stdout
    if not all(f" {a} " in shown for a in addresses):
        return False
    saved = harness.run(
        ["ip", "netns", "exec", netns, "iptables-save", "-t", "nat"], check=False
    ).stdout
    return f"-j SNAT --to-source {gateway}\n" in saved


def _provider_subnet(w: World, cidr: str, segment: int) -> dict[str, Any]:
    """A network and its subnet; an admin's VXLAN segment, past the tenant range
    (the harness's server has 100 tunnel ids)."""
    net = w.api.v2(
        "POST",
        "/networks",
        {
            "network": {
                "tenant_id": TENANT,
                "provider:network_type": "vxlan",
                "provider:segmentation_id": segment,
            }
        },
    )["network"]
    body = {
        "tenant_id": TENANT,
        "network_id": net["id"],
        "ip_version": 4,
        "cidr": cidr,
        "enable_dhcp": False,
    }
    subnet: dict[str, Any] = w.api.v2("POST", "/subnets", {"subnet": body})["subnet"]
    return subnet


def many_routers(w: World, count: int, log: Path | None) -> dict[str, float]:
    w.stop_l3_agent()
    started = time.monotonic()
    expected: dict[str, tuple[list[str], str]] = {}
    for index in range(count):
        subnets = [
            _provider_subnet(
                w,
                f"10.{100 + index // 100}.{(index % 100) * 2 + side}.0/24",
                5000 + index * 2 + side,
            )
            for side in (0, 1)
        ]
        router = w.router(*subnets)
        gateway = w.gateway_ip(router["id"])
        addresses = [f"{s['gateway_ip']}/24" for s in subnets] + [f"{gateway}/24"]
        expected[w.namespace(router["id"])] = (addresses, gateway)
    made = time.monotonic() - started
    print(f"  {count} routers made through the API in {made:.1f} s", flush=True)

    start = time.monotonic()
    agent = w.start_l3_agent()
    pending = dict(expected)
    while pending:
        if time.monotonic() - start > 600:
            raise TimeoutError(f"{len(pending)} routers not in place after 600 s")
        present = set(harness.netns_list())
        for netns, (addresses, gateway) in list(pending.items()):
            if netns in present and _converged(netns, addresses, gateway):
                del pending[netns]
        time.sleep(0.1)
    converge = time.monotonic() - start
    print(f"  all {count} in place {converge:.1f} s after the agent started")
    figures = {"api_s": made, "converge_s": converge, **_rss(agent.pid)}

    rounds = w.l3_log().count("full resync done")
    w.stop_l3_agent()
    start = time.monotonic()
    w.start_l3_agent()
    harness.wait_until(
        lambda: w.l3_log().count("full resync done") > rounds,
        300,
        message="the restarted agent's first round",
    )
    figures["restart_s"] = time.monotonic() - start
    tail = w.l3_log().split("L3 agent for host")[-1]
    figures["restart_applies"] = tail.count(": apply")
    if log is not None:
        log.write_text(w.l3_log())
    return figures


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
            # NOTE: the routers part makes more than the default quotas allow
            unlimited = dict.fromkeys(
                ("network", "subnet", "port", "router", "floatingip"), -1
            )
            w.api.v2("PUT", f"/quotas/{TENANT}", {"quota": unlimited})
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
            if args.mib > 0:
                print(f"NAT throughput: {args.mib} MiB TCP transfers", flush=True)
                figures["throughput"] = nat_throughput(w, args.mib, args.transfers)
            if args.routers > 0:
                print(f"{args.routers} routers x 2 interfaces", flush=True)
                figures["routers"] = many_routers(w, args.routers, args.agent_log)
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
    t = figures.get("throughput")
    if t is not None:
        print("TCP throughput, best of the transfers:")
        for key, label in (
            ("snat", "VM -> outside by SNAT"),
            ("floating_ip", "outside -> VM by floating IP"),
        ):
            print(
                f"  {label}: {t[key]:.0f} Mbit/s   {t[key] / t['veth']:.3f}x the "
                f"direct veth ({t['veth']:.0f} Mbit/s)"
            )
    r = figures.get("routers")
    if r is not None:
        n = figures["args"]["routers"]
        print(f"{n} routers x 2 interfaces (+ a gateway each), one L3 agent:")
        print(
            f"  made through the API in {r['api_s']:.1f} s; agent start -> all in "
            f"place (device side) {r['converge_s']:.1f} s; agent RSS "
            f"{r['rss_mib']:.0f} MiB "
            f"(peak {r['hwm_mib']:.0f} MiB), CPU {r['cpu_s']:.1f} s"
        )
        print(
            f"  agent restart -> first round done {r['restart_s']:.1f} s, "
            f"{r['restart_applies']} routers changed"
        )
    met = bool(f["p50"] < TARGET_P50)
    print(f"\n  {'met   ' if met else 'MISSED'} p50 < {ms(TARGET_P50)}")
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="l3", description=__doc__)
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--interval", type=float, default=0.005)
    parser.add_argument("--mib", type=int, default=64, help="0: no throughput")
    parser.add_argument("--transfers", type=int, default=3)
    parser.add_argument("--routers", type=int, default=100, help="0: none")
    parser.add_argument("--json", type=Path)
    parser.add_argument(
        "--agent-log", type=Path, help="where to keep the L3 agent's log (routers)"
    )
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
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
