# SPDX-License-Identifier: Apache-2.0
"""DHCP benchmark: from the API call to the VM's first lease, with the real agents.

A real ``quantum-server`` (openvswitch plugin, VXLAN, SQLite), one simulated
hypervisor of the data-plane harness with a real ``quantum-openvswitch-agent`` and
a real ``quantum-dhcp-agent`` (default intervals, no ``--debug``: as a deployment
runs them): the cloud of tests/dataplane/test_dhcp_agent.py. Figures:

* **create to lease**, over ``--ports`` ports one at a time: the clock starts at
  ``POST /v2.0/ports`` (the VM's namespace is made beforehand), the VIF is plugged
  at once (``iface-id`` = the port id) and busybox ``udhcpc`` asks at once; it
  stops when ``udhcpc`` is bound. Beside it, for the same ports: create to the MAC
  in dnsmasq's hosts file (the agent woken by the change feed, the file rewritten,
  dnsmasq HUPped). NOTE: ``udhcpc`` retransmits once a second (``-T 1``, its
  shortest), so a DISCOVER sent before dnsmasq knows the MAC costs a second.
* **floor**: the same ``udhcpc`` for a port dnsmasq knows already (process start,
  DISCOVER/OFFER/REQUEST/ACK), measured in the same run on the same host.
* **burst**: ``--burst`` ports made at once (bulk ``POST /v2.0/ports`` of 100) on
  the network: time until every MAC is in the hosts file; the DHCP agent's CPU
  (seconds) and RSS while idle and during the burst.

Needs root, Open vSwitch, dnsmasq and busybox; run it under the data-plane lock
(bench/README.md).
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
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from quantum.agent.dhcp.driver import Driver, DriverConfig  # noqa: E402
from quantum.agent.dhcp.render import Files  # noqa: E402
from tests.dataplane import cloud, harness  # noqa: E402

DHCP_AGENT = REPO / "bin" / "quantum-dhcp-agent"
TENANT = "bench"
CIDR = "10.88.0.0/16"
TICK = os.sysconf("SC_CLK_TCK")


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def stats(values: Sequence[float]) -> dict[str, Any]:
    return {
        "n": len(values),
        "p50": percentile(values, 0.5),
        "p99": percentile(values, 0.99),
        "max": max(values),
    }


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def machine() -> dict[str, Any]:
    commit = subprocess.run(  # noqa: S603
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return {
        "commit": commit,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load": os.getloadavg(),
        "dnsmasq": harness.run(["dnsmasq", "--version"]).stdout.split("\n")[0],
    }


def mac_of(index: int) -> str:
    return f"fa:16:3e:88:{index // 256:02x}:{index % 256:02x}"


def udhcpc(vm: harness.VM) -> subprocess.CompletedProcess[str]:
    argv = ["busybox", "udhcpc", "-i", vm.NIC, "-f", "-q", "-n", "-t", "30", "-T", "1"]
    argv += ["-s", "/bin/true"]
    return vm.netns.exec(*argv, check=False, timeout=60)


class HostsWatch:
    """Polls the hosts file; records when each MAC first appeared in it."""

    def __init__(self, files: Files) -> None:
        self.files = files
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.stop.is_set():
            try:
                text = self.files.hosts.read_text()
            except OSError:
                text = ""
            now = time.monotonic()
            for line in text.splitlines():
                self.seen.setdefault(line.split(",", 1)[0], now)
            time.sleep(0.005)

    def wait(self, macs: Sequence[str], timeout: float) -> float:
        harness.wait_until(
            lambda: all(m in self.seen for m in macs), timeout, interval=0.01
        )
        return max(self.seen[m] for m in macs)


def run(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {"machine": machine(), "args": vars(args)}
    session = harness.Session.start()
    root = Path(tempfile.mkdtemp(prefix="quantum-bench-dhcp-"))
    state = session.root / "dhcp-bench"
    prefix = f"{session.prefix}-qdhcp-"
    with cloud.deploy(session, root, "vxlan") as c:
        hv = c.hypervisor("hv1")
        ini = root / "dhcp_agent.ini"
        ini.write_text(
            "[DEFAULT]\n"
            f"server_url = http://127.0.0.1:{c.server.port}\n"
            f"agent_secret = {cloud.SECRET}\nhost = {hv.name}\n"
            f"ovsdb_connection = {hv.db}\nnamespace_prefix = {prefix}\n"
            f"state_path = {state}\nhost_netns = {hv.netns.name}\n"
        )
        # NOTE: in the root namespace, as on a real host (tests/dataplane/
        # test_dhcp_agent.py says why)
        agent = session.spawn(
            "hv1-dhcp-agent", sys.executable, str(DHCP_AGENT), "--config-file", str(ini)
        )
        driver = Driver(
            DriverConfig(
                state_dir=state / "dhcp",
                namespace_prefix=prefix,
                ovsdb=hv.db,
                host_netns=hv.netns.name,
            )
        )
        try:
            net = c.api.v2("POST", "/networks", {"network": {"tenant_id": TENANT}})
            network_id = net["network"]["id"]
            c.api.v2("PUT", f"/quotas/{TENANT}", {"quota": {"port": -1}})
            c.api.v2(
                "POST",
                "/subnets",
                {
                    "subnet": {
                        "tenant_id": TENANT,
                        "network_id": network_id,
                        "ip_version": 4,
                        "cidr": CIDR,
                    }
                },
            )
            files = Files(state / "dhcp" / network_id)
            harness.wait_until(
                lambda: driver.running_pid(network_id) is not None,
                60,
                message="the DHCP agent serves the network",
            )
            watch = HostsWatch(files)
            vms = [c.lab.vm(f"b{i}", mac_of(i)) for i in range(args.ports)]
            leases: list[float] = []
            in_hosts: list[float] = []
            print(f"create to lease: {args.ports} ports, one at a time", flush=True)
            for i, vm in enumerate(vms):
                start = time.monotonic()
                port = c.api.v2(
                    "POST",
                    "/ports",
                    {
                        "port": {
                            "tenant_id": TENANT,
                            "network_id": network_id,
                            "mac_address": vm.mac,
                            "binding:host_id": hv.name,
                        }
                    },
                )["port"]
                vm.plug(hv, port["id"])
                done = udhcpc(vm)
                if done.returncode != 0:
                    raise RuntimeError(f"no lease for {vm.mac}: {done.stderr}")
                leases.append(time.monotonic() - start)
                in_hosts.append(watch.wait([vm.mac], 10) - start)
                print(f"  {i}: lease {ms(leases[-1])}", flush=True)
            print("floor: udhcpc for a port dnsmasq knows", flush=True)
            floors = []
            for vm in vms[: min(len(vms), 20)]:
                start = time.monotonic()
                done = udhcpc(vm)
                floors.append(time.monotonic() - start)
            figures["create_to_lease"] = stats(leases)
            figures["create_to_hosts_file"] = stats(in_hosts)
            figures["floor_lease"] = stats(floors)

            pid = agent.pid
            before = cpu_seconds(pid)
            time.sleep(args.idle)
            figures["agent_idle"] = {
                "cpu_s_per_s": (cpu_seconds(pid) - before) / args.idle,
                "rss_mib": rss_mib(pid),
            }
            print(f"burst: {args.burst} ports at once", flush=True)
            macs = [mac_of(10_000 + i) for i in range(args.burst)]
            cpu0 = cpu_seconds(pid)
            start = time.monotonic()
            for first in range(0, len(macs), 100):
                body = {
                    "ports": [
                        {
                            "tenant_id": TENANT,
                            "network_id": network_id,
                            "mac_address": m,
                        }
                        for m in macs[first : first + 100]
                    ]
                }
                c.api.v2("POST", "/ports", body)
            peak = rss_mib(pid)
            all_in = watch.wait(macs, 300) - start
            peak = max(peak, rss_mib(pid))
            figures["burst"] = {
                "ports": args.burst,
                "all_in_hosts_file_s": all_in,
                "agent_cpu_s": cpu_seconds(pid) - cpu0,
                "agent_rss_mib_after": peak,
            }
            watch.stop.set()
        finally:
            agent.stop()
            driver.reconcile([])
    figures["machine"]["load_after"] = os.getloadavg()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ports", type=int, default=50)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    figures = run(args)
    for name in ("create_to_lease", "create_to_hosts_file", "floor_lease"):
        f = figures[name]
        print(f"{name}: p50 {ms(f['p50'])} p99 {ms(f['p99'])} max {ms(f['max'])}")
    print(f"agent idle: {figures['agent_idle']}")
    print(f"burst: {figures['burst']}")
    print(f"load before/after: {figures['machine']['load']} / "
          f"{figures['machine']['load_after']}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
