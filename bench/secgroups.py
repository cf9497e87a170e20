# SPDX-License-Identifier: Apache-2.0
"""Security-group benchmark (issue 15, item 5): what a rule costs on the wire.

A real ``quantum-server`` (openvswitch plugin, SQLite) and two simulated
hypervisors of the data-plane harness, each with a real
``quantum-openvswitch-agent`` (VXLAN between them); everything goes through
``/v2.0``. Three phases:

1. **rule create -> enforced**: a target VM on hv1 in a group that lets nothing
   in; a prober on hv2 pings it every ``--interval``. The clock starts at ``POST
   /v2.0/security-group-rules`` (ICMP in from the prober's address) and stops at
   the first echo reply; the rule is then deleted and the next sample waits until
   the target is closed again. The floor, in the same run, is the same probe path
   against a target that is already open: a prober already running, the clock
   started at an arbitrary instant and stopped at the next reply (its wait for
   the next probe plus one round trip).
2. **one loaded host**: ``--ports`` ports (100) bound to hv1 in ``--groups``
   groups of ``--rules`` rules (20) naming each other as remote groups are made,
   then their interfaces are plugged on hv1's br-int in one OVSDB transaction;
   the clock runs until every port is ``ACTIVE`` and the agent's flow count has
   not moved for 2 s. Printed: the time, the flows the agent installed (before
   and after), the agent's RSS (before, when the flows settled, 10 s later, and
   its peak, ``VmHWM``). Then the interfaces are removed, and the clock runs
   until the agent's flows are back (not moved for 2 s).
3. **TCP throughput** between two VMs on the two hosts, ``--size`` bytes a
   transfer, alternately through the firewall (both ports in a group that allows
   the port) and without it (port security off on both), ``--rounds`` times; the
   ratio is firewall / without (the floor).

At the end the agents' logs are kept in the run's temporary directory, and the
os-ken send timeouts, bridge (re)connects and failed rounds in them are counted.

Before phase 1 the run checks that the target is closed at all: a server whose
agents do not enforce groups (issue 15's firewall missing) answers the prober
before the rule exists, and the run then says so instead of timing nothing.

Needs root and Open vSwitch; run it under the data-plane lock (bench/README.md):
``flock /tmp/quantum-dataplane.lock .venv/bin/python bench/secgroups.py``.
"""

from __future__ import annotations

import argparse
import functools
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

from tests.dataplane import cloud, harness  # noqa: E402
from tests.dataplane.harness import VM  # noqa: E402
from tests.dataplane.secgroups_world import TENANT, Net, World  # noqa: E402

PROBE = Path(__file__).resolve().parent / "icmp_probe.py"
TARGET_P50 = 1.0
"""Rule create -> enforced, p50 (seconds)."""
TARGET_RATIO = 0.5
"""Throughput through the firewall at least half of that without."""
SETTLE = 10.0
"""Seconds the loaded host idles before its agent's settled RSS is read."""


class Prober:
    """``icmp_probe.py`` in a VM's namespace: with ``each`` (``--each``), the
    first reply's time; without, every reply's, in order."""

    def __init__(
        self, vm: VM, target: str, interval: float, timeout: float, each: bool = True
    ) -> None:
        argv = ["ip", "netns", "exec", vm.netns.name, sys.executable, str(PROBE)]
        argv += ["--interval", f"{interval:g}", "--timeout", f"{timeout:g}"]
        argv += ["--each", target] if each else [target]
        self.popen = subprocess.Popen(  # noqa: S603  # NOTE: argv built here
            argv, stdout=subprocess.PIPE, text=True
        )
        if self.popen.stdout is None:
            raise RuntimeError("no pipe from the prober")
        self.out = self.popen.stdout
        line = self.out.readline()
        if line.strip() != "ready":
            raise RuntimeError(f"prober did not start: {line!r}")

    def reply(self) -> float | None:
        """The time of the first reply (None: none within the timeout)."""
        line = self.out.readline()
        return float(line.split()[1]) if line else None

    def stop(self) -> None:
        self.popen.terminate()
        self.popen.wait(5)
        self.out.close()


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def _answers(vm: VM, target: str, within: float) -> bool:
    prober = Prober(vm, target, 0.01, within)
    try:
        return prober.reply() is not None
    finally:
        prober.stop()


def rule_to_enforced(
    w: World, group: str, client: VM, target: VM, count: int, interval: float
) -> list[float]:
    samples = []
    for index in range(count):
        harness.wait_until(
            lambda: not _answers(client, target.address, 0.3),
            20,
            message="the target is closed again",
        )
        prober = Prober(client, target.address, interval, 30)
        try:
            time.sleep(0.05)  # NOTE: a few probes unanswered before the call
            start = time.time()
            rule = w.rule(
                group,
                direction="ingress",
                protocol="icmp",
                remote_ip_prefix=f"{client.address}/32",
            )
            stamp = prober.reply()
        finally:
            prober.stop()
        if stamp is None:
            raise TimeoutError("no reply within 30 s of the rule")
        samples.append(stamp - start)
        print(f"  {index + 1}/{count}: {ms(samples[-1])}", flush=True)
        w.v2("DELETE", f"/security-group-rules/{rule}")
    return samples


def floor(client: VM, target: str, rounds: int, interval: float) -> list[float]:
    """The same probe path against a target already open: a prober running
    (started, then 50 ms, as for a sample), the clock started at an arbitrary
    instant, stopped at the first reply after it (its wait for the next probe
    plus one round trip): what a sample would take if the rule cost nothing."""
    samples = []
    prober = Prober(client, target, interval, 60 + rounds, each=False)
    try:
        for _ in range(rounds):
            time.sleep(0.05)
            start = time.time()
            while (stamp := prober.reply()) is not None and stamp < start:
                pass
            if stamp is None:
                raise TimeoutError("the open target did not answer")
            samples.append(stamp - start)
    finally:
        prober.stop()
    return samples


def _agent_flows(w: World) -> int:
    return len(w.stack.flows(w.hv1))


def _rss_kib(pid: int, field: str = "VmRSS") -> int:
    """``VmRSS`` (now) or ``VmHWM`` (the peak so far) of ``pid``, KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    return 0


def loaded_host(w: World, ports: int, groups: int, rules: int) -> dict[str, Any]:
    net = w.network()
    made = [w.group(f"load-{n}") for n in range(groups)]
    for n, group in enumerate(made):
        remote = made[(n + 1) % groups]
        for r in range(rules - 2):  # NOTE: a new group has its 2 egress rules
            w.rule(
                group,
                direction="ingress",
                protocol="tcp",
                port_range_min=2000 + r,
                port_range_max=2000 + r,
                remote_group_id=remote,
            )
    port_rows = []
    for n in range(ports):
        mac = f"fa:16:3e:7{n // 256:x}:{n % 256:02x}:01"
        body = {
            "port": {
                "tenant_id": TENANT,
                "network_id": net.id,
                "mac_address": mac,
                "binding:host_id": w.hv1.name,
                "security_groups": [made[n % groups]],
                "device_id": "bench-load",
            }
        }
        port_rows.append(w.v2("POST", "/ports", body)["port"])
    flows_before = _agent_flows(w)
    agent = w.stack.agents[w.hv1.name]
    rss_before = _rss_kib(agent.popen.pid)
    args: list[str] = []
    for n, port in enumerate(port_rows):
        name = f"ld{n}"
        args += ["--", "add-port", "br-int", name, "--", "set", "Interface", name,
                 "type=internal", f"external_ids:iface-id={port['id']}",
                 f"external_ids:attached-mac={port['mac_address']}",
                 "external_ids:iface-status=active"]  # fmt: skip
    start = time.monotonic()
    w.hv1.vsctl(*args[1:], timeout=60)

    def active() -> bool:
        listed = w.v2("GET", f"/ports?device_id=bench-load&network_id={net.id}")
        statuses = [str(p["status"]) for p in listed["ports"]]
        return statuses.count("ACTIVE") == ports

    harness.wait_until(active, 120, interval=0.1, message="every port ACTIVE")
    up = time.monotonic() - start
    last, since = _agent_flows(w), time.monotonic()
    while time.monotonic() - since < 2.0:
        time.sleep(0.2)
        now = _agent_flows(w)
        if now != last:
            last, since = now, time.monotonic()
    settled = since - start
    rss_after = _rss_kib(agent.popen.pid)
    time.sleep(SETTLE)
    figures = {
        "ports": ports,
        "groups": groups,
        "rules_per_group": rules,
        "seconds_to_active": up,
        "seconds_to_flows_settled": settled,
        "flows_before": flows_before,
        "flows_after": last,
        "agent_rss_kib_before": rss_before,
        "agent_rss_kib_after": rss_after,
        "agent_rss_kib_settled": _rss_kib(agent.popen.pid),
        "agent_rss_kib_peak": _rss_kib(agent.popen.pid, "VmHWM"),
    }
    removed = time.monotonic()
    w.hv1.vsctl(*[a for n in range(ports) for a in ("--", "del-port", f"ld{n}")][1:])
    # NOTE: the throughput phase starts only once the agent has deleted the
    # loaded host's flows: a transfer during the deletion times that instead.
    # A dump of 39,000 flows loads vswitchd too, so once a second.
    last, since = _agent_flows(w), time.monotonic()
    while last >= figures["flows_after"] or time.monotonic() - since < 2.0:
        if time.monotonic() - removed > 300:
            raise TimeoutError(f"the agent still has {last} flows after 300 s")
        time.sleep(1.0)
        now = _agent_flows(w)
        if now != last:
            last, since = now, time.monotonic()
    figures["seconds_to_flows_removed"] = since - removed
    figures["flows_left"] = last
    return figures


def _transfers(sender: VM, address: str) -> bool:
    try:
        return sender.tcp_transfer(address, 5001, size=1024, timeout=2).bytes == 1024
    except (harness.CommandFailed, subprocess.TimeoutExpired, ValueError):
        return False


def throughput(w: World, rounds: int, size: int) -> dict[str, Any]:
    net = w.network()
    group = w.group(
        "tput",
        {"direction": "ingress", "protocol": "tcp", "port_range_min": 5001,
         "port_range_max": 5001},
    )  # fmt: skip
    guarded = (
        w.vm("tp-a", w.hv1, net, 11, security_groups=[group]),
        w.vm("tp-b", w.hv2, net, 12, security_groups=[group]),
    )
    bare = (
        w.vm("tp-c", w.hv1, net, 13, security_groups=[], port_security_enabled=False),
        w.vm("tp-d", w.hv2, net, 14, security_groups=[], port_security_enabled=False),
    )
    for sender, sink in (guarded, bare):
        sink.serve_tcp(5001)
        # NOTE: by TCP to the port: the guarded pair's group allows no ICMP.
        # NOTE: 60 s: the loaded host's agent may still be removing its 39,000
        # flows when these ports are bound.
        harness.wait_until(
            functools.partial(_transfers, sender, sink.address),
            60,
            message=f"{sender.name} reaches {sink.name}'s port 5001",
        )
    results: dict[str, list[float]] = {"firewall": [], "without": []}
    for _ in range(rounds):
        for key, (sender, sink) in (("firewall", guarded), ("without", bare)):
            done = sender.tcp_transfer(sink.address, 5001, size=size, timeout=120)
            results[key].append(done.bytes / done.seconds / 1e6)
    return {
        "rounds": rounds,
        "size": size,
        "firewall_mbps": sorted(results["firewall"]),
        "without_mbps": sorted(results["without"]),
    }


def run(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "loadavg_before": os.getloadavg(),
        "cpus": os.cpu_count(),
    }
    session = harness.Session.start()
    tmp = Path(tempfile.mkdtemp(prefix="quantum-secgroups-bench-"))
    try:
        with cloud.deploy(session, tmp, "vxlan") as stack:
            hv1, hv2 = stack.hypervisors("hv1", "hv2")
            w = World(stack, hv1, hv2)
            unlimited = {"security_group": -1, "security_group_rule": -1, "port": -1}
            w.v2("PUT", f"/quotas/{TENANT}", {"quota": unlimited})
            net: Net = w.network()
            closed = w.group("closed")
            target = w.vm("rt-t", hv1, net, 5, security_groups=[closed])
            out = w.group("out")  # NOTE: egress anywhere, nothing in
            client = w.vm("rt-c", hv2, net, 11, security_groups=[out])
            opened = w.vm("rt-o", hv1, net, 6)  # NOTE: default group, for the floor
            w.rule(w.default_group(), direction="ingress", protocol="icmp")
            harness.wait_until(lambda: client.can_reach(opened.address, 1), 30)
            enforced = not _answers(client, target.address, 1.0)
            figures["enforced"] = enforced
            if enforced:
                print(f"rule create -> enforced: {args.count} rules", flush=True)
                latencies = rule_to_enforced(
                    w, closed, client, target, args.count, args.interval
                )
                floors = floor(client, opened.address, args.count, args.interval)
                figures["rule_to_enforced"] = {
                    "samples": latencies,
                    "p50": percentile(latencies, 0.5),
                    "p99": percentile(latencies, 0.99),
                    "floor_p50": percentile(floors, 0.5),
                    "floor_p99": percentile(floors, 0.99),
                }
                print(
                    f"  p50 {ms(percentile(latencies, 0.5))}, floor p50 "
                    f"{ms(percentile(floors, 0.5))}",
                    flush=True,
                )
            print("one loaded host", flush=True)
            figures["loaded_host"] = loaded_host(w, args.ports, args.groups, args.rules)
            print(loaded_line(figures["loaded_host"]), flush=True)
            print("TCP throughput", flush=True)
            figures["loadavg_throughput"] = os.getloadavg()
            figures["throughput"] = throughput(w, args.rounds, args.size)
            figures["agent_trouble"] = agent_trouble(w, tmp)
            figures["agent_logs"] = str(tmp)
    finally:
        session.close()
    figures["loadavg_after"] = os.getloadavg()
    return figures


def loaded_line(h: dict[str, Any]) -> str:
    return (
        f"one host, {h['ports']} ports x {h['rules_per_group']} rules "
        f"({h['groups']} groups naming each other as remote): ACTIVE in "
        f"{h['seconds_to_active']:.2f} s, flows settled in "
        f"{h['seconds_to_flows_settled']:.2f} s; agent flows "
        f"{h['flows_before']} -> {h['flows_after']}; agent RSS "
        f"{h['agent_rss_kib_before'] / 1024:.1f} -> "
        f"{h['agent_rss_kib_after'] / 1024:.1f} MiB, "
        f"{h['agent_rss_kib_settled'] / 1024:.1f} MiB {SETTLE:g} s later, "
        f"peak {h['agent_rss_kib_peak'] / 1024:.1f} MiB; ports removed: flows "
        f"{h['flows_after']} -> {h['flows_left']} in "
        f"{h['seconds_to_flows_removed']:.2f} s"
    )


#: What an agent logs when it lost a bridge or a round failed.
TROUBLE = {
    "os-ken send timeouts": "Socket timed out while sending data",
    "bridge connects": "connected (dpid",  # NOTE: br-int and br-tun: 2 at start
    "failed rounds": "reconcile failed",
}


def agent_trouble(w: World, keep: Path) -> dict[str, dict[str, int]]:
    """Copy each agent's log to ``keep``; count in it what ``TROUBLE`` names."""
    counts: dict[str, dict[str, int]] = {}
    for hv in (w.hv1, w.hv2):
        text = w.stack.agent_log(hv.name)
        (keep / f"{hv.name}-agent.log").write_text(text)
        counts[hv.name] = {what: text.count(line) for what, line in TROUBLE.items()}
    return counts


def report(figures: dict[str, Any]) -> bool:
    before = " ".join(f"{x:.2f}" for x in figures["loadavg_before"])
    after = " ".join(f"{x:.2f}" for x in figures["loadavg_after"])
    print(f"\n{figures['cpus']} CPUs; load average before: {before}   after: {after}")
    met = True
    if figures["enforced"]:
        f = figures["rule_to_enforced"]
        print(
            f"POST security-group-rule -> first packet through ({len(f['samples'])}):"
        )
        print(
            f"  p50 {ms(f['p50'])}   p99 {ms(f['p99'])}   floor p50 "
            f"{ms(f['floor_p50'])} (p99 {ms(f['floor_p99'])})   "
            f"p50/floor {f['p50'] / f['floor_p50']:.1f}x"
        )
        ok = bool(f["p50"] < TARGET_P50)
        met &= ok
        print(f"  {'met   ' if ok else 'MISSED'} p50 < {ms(TARGET_P50)}")
    else:
        print(
            "NOT ENFORCED: the target answered before any rule let it: this "
            "server's agents filter nothing (no rule -> enforced figures)"
        )
        met = False
    print(loaded_line(figures["loaded_host"]))
    for name, counts in figures["agent_trouble"].items():
        listed = ", ".join(f"{what} {n}" for what, n in counts.items())
        print(f"agent of {name}: {listed}")
    print(f"agent logs: {figures['agent_logs']}")
    load = " ".join(f"{x:.2f}" for x in figures["loadavg_throughput"])
    print(f"load average when the throughput phase started: {load}")
    t = figures["throughput"]
    fw, bare = percentile(t["firewall_mbps"], 0.5), percentile(t["without_mbps"], 0.5)
    print(
        f"TCP {t['size'] >> 20} MiB x {t['rounds']}, median: through the firewall "
        f"{fw:.1f} MB/s, without (floor) {bare:.1f} MB/s, ratio {fw / bare:.2f}"
    )
    ok = fw / bare >= TARGET_RATIO
    met &= ok
    print(f"  {'met   ' if ok else 'MISSED'} ratio >= {TARGET_RATIO}")
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="secgroups", description=__doc__)
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--interval", type=float, default=0.005)
    parser.add_argument("--ports", type=int, default=100)
    parser.add_argument("--groups", type=int, default=5)
    parser.add_argument("--rules", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--size", type=int, default=16 << 20)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    problem = harness.environment_problem()
    if problem:
        print(f"secgroups: {problem}", file=sys.stderr)
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
