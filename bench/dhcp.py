# SPDX-License-Identifier: Apache-2.0
"""DHCP benchmark: from the API call to the VM's first lease, with the real agents.

A real ``quantum-server`` (openvswitch plugin, VXLAN, SQLite), one simulated
hypervisor of the data-plane harness with a real ``quantum-openvswitch-agent`` and
a real ``quantum-dhcp-agent`` (default intervals, no ``--debug``: as a deployment
runs them): the cloud of tests/dataplane/test_dhcp_agent.py. Figures, over
``--ports`` ports one at a time, the two ways alternating (the VM's namespace is
made beforehand; the clock starts at ``POST /v2.0/ports``; the VIF is plugged at
once, in this process as a compute service does, ``iface-id`` = the port id):

* **what a user sees**: the compute side waits until the port is ACTIVE
  (``quantum.compute.network.ComputeNetwork.wait_until_active``, the long-poll of
  the agent API), then the VM's DHCP client (busybox ``udhcpc``) starts; the clock
  stops when it is bound. Split into create -> ACTIVE and DHCP client started ->
  lease. A port is ACTIVE only once its DHCP agent has it in dnsmasq too
  (``plugins.dhcp.provisioning``), so the first DISCOVER is answered.
* **raw create to lease**: ``udhcpc`` asks right after the plug, without waiting
  for ACTIVE (a guest that boots before its network is ready). ``udhcpc``
  retransmits once a second (``-T 1``, its shortest), so a DISCOVER sent before
  dnsmasq knows the MAC costs a second.
* for every port: create to the MAC in dnsmasq's hosts file, the DISCOVERs the
  client sent, and the DHCP agent's round that served it (from its log: change
  feed wake-up, observe, state request, plan, apply, report).
* **floor**: the same ``udhcpc`` for a port dnsmasq knows already (process start,
  DISCOVER/OFFER/REQUEST/ACK), measured in the same run on the same host.
* **burst**: ``--burst`` ports made at once (bulk ``POST /v2.0/ports`` of 100) on
  the network: time until every MAC is in the hosts file; the DHCP agent's CPU
  (seconds, its commands' included) and RSS while idle, and over the burst its
  CPU, its RSS after and its peak RSS (``VmHWM``).

Needs root, Open vSwitch, dnsmasq and busybox; run it under the data-plane lock
(bench/README.md).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
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
from quantum.agentapi.client import AgentClient  # noqa: E402
from quantum.client import transport, v2  # noqa: E402
from quantum.compute import network as compute  # noqa: E402
from quantum.compute import vif  # noqa: E402
from quantum.compute.devices import Devices  # noqa: E402
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
    """The process's CPU and its finished children's (the agent's ``ip``,
    ``ovs-vsctl`` and ``kill`` commands are part of its work)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(f) for f in fields[11:15]) / TICK


def rss_mib(pid: int, field: str = "VmRSS") -> float:
    """``VmRSS`` now, or ``VmHWM``: the highest RSS the process ever had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
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


ROUND = re.compile(
    r"round began=(?P<began>[0-9.]+) observe=(?P<observe>[0-9.]+)ms "
    r"state=(?P<state>[0-9.]+)ms plan=(?P<plan>[0-9.]+)ms "
    r"apply=(?P<apply>[0-9.]+)ms report=(?P<report>[0-9.]+)ms"
)
STEPS = ("observe", "state", "plan", "apply", "report")


def agent_rounds(log: Path) -> list[dict[str, float]]:
    """The DHCP agent's rounds that changed something (its INFO lines)."""
    text = log.read_text() if log.exists() else ""
    return [
        {k: float(v) for k, v in m.groupdict().items()} for m in ROUND.finditer(text)
    ]


def discovers(done: subprocess.CompletedProcess[str]) -> int:
    return (done.stdout + done.stderr).count("broadcasting discover")


def plug(hv: harness.Hypervisor, vm: harness.VM, port_id: str) -> None:
    """Plug the VM's NIC in this process, as a compute service does
    (``quantum.compute.vif``; the harness's ``quantum-vif plug`` would add an
    interpreter's start to every sample)."""
    vif.plug(
        vif.Vif(
            iface_id=port_id,
            mac=vm.mac,
            instance_id=f"vm-{vm.name}",
            device=vif.device_name(port_id),
            netns=vm.netns.name,
            peer=vm.NIC,
        ),
        ovsdb=hv.db,
        devices=Devices(hv.netns.name),
    )
    vm.netns.exec("ethtool", "-K", vm.NIC, "tx", "off")


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
            url = f"http://127.0.0.1:{c.server.port}"
            nova = compute.ComputeNetwork(
                v2.Client(transport.without_auth(url)),
                AgentClient(url, host=hv.name, secret=cloud.SECRET),
                compute.Hypervisor(host=hv.name, ovsdb=hv.db, host_netns=hv.netns.name),
            )
            vms = [c.lab.vm(f"b{i}", mac_of(i)) for i in range(2 * args.ports)]
            user: dict[str, list[float]] = {
                "create_to_lease": [],
                "create_to_plugged": [],
                "create_to_active": [],
                "client_to_lease": [],
                "create_to_hosts_file": [],
                "discovers": [],
            }
            raw: dict[str, list[float]] = {
                "create_to_lease": [],
                "create_to_plugged": [],
                "create_to_hosts_file": [],
                "discovers": [],
            }
            creates: list[float] = []
            print(f"create to lease: {args.ports} ports each way, one at a time")
            for i, vm in enumerate(vms):
                waits = i % 2 == 0
                began = time.time()
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
                creates.append(began)
                plug(hv, vm, port["id"])
                plugged = time.monotonic()
                if waits:
                    nova.wait_until_active([port["id"]], 60)
                    active = time.monotonic()
                done = udhcpc(vm)
                if done.returncode != 0:
                    raise RuntimeError(f"no lease for {vm.mac}: {done.stderr}")
                end = time.monotonic()
                into = user if waits else raw
                into["create_to_lease"].append(end - start)
                into["create_to_hosts_file"].append(watch.wait([vm.mac], 10) - start)
                into["discovers"].append(discovers(done))
                into["create_to_plugged"].append(plugged - start)
                if waits:
                    user["create_to_active"].append(active - start)
                    user["client_to_lease"].append(end - active)
                how = "user" if waits else "raw"
                print(f"  {i} {how}: lease {ms(end - start)}", flush=True)
            print("floor: udhcpc for a port dnsmasq knows", flush=True)
            floors = []
            for vm in vms[: min(len(vms), 20)]:
                start = time.monotonic()
                done = udhcpc(vm)
                floors.append(time.monotonic() - start)
            figures["user"] = {k: stats(v) for k, v in user.items()}
            figures["raw"] = {k: stats(v) for k, v in raw.items()}
            figures["first_discover_answered"] = {
                "user": sum(d == 1 for d in user["discovers"]),
                "raw": sum(d == 1 for d in raw["discovers"]),
                "of": args.ports,
            }
            figures["floor_lease"] = stats(floors)
            rounds = agent_rounds(session.root / "hv1-dhcp-agent.log")
            served = []
            for began in creates:
                after = [r for r in rounds if r["began"] >= began]
                if after:
                    served.append(after[0] | {"wake": after[0]["began"] - began})
            figures["agent_round"] = {
                step: stats([r[step] / 1000 for r in served])
                for step in STEPS
                if served
            } | ({"wake": stats([r["wake"] for r in served])} if served else {})

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
            all_in = watch.wait(macs, 300) - start
            figures["burst"] = {
                "ports": args.burst,
                "all_in_hosts_file_s": all_in,
                "agent_cpu_s": cpu_seconds(pid) - cpu0,
                "agent_rss_mib_after": rss_mib(pid),
                "agent_rss_mib_peak": rss_mib(pid, "VmHWM"),
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
    floor = figures["floor_lease"]
    for way in ("user", "raw"):
        for name, f in figures[way].items():
            unit = (lambda v: f"{v:g}") if name == "discovers" else ms
            print(
                f"{way} {name}: p50 {unit(f['p50'])} p99 {unit(f['p99'])} "
                f"max {unit(f['max'])}"
            )
        total = figures[way]["create_to_lease"]["p50"]
        print(f"{way} create_to_lease p50 / floor p50: {total / floor['p50']:.1f}x")
    print(f"first DISCOVER answered: {figures['first_discover_answered']}")
    print(f"floor_lease: p50 {ms(floor['p50'])} p99 {ms(floor['p99'])}")
    for step, f in figures["agent_round"].items():
        print(f"agent round {step}: p50 {ms(f['p50'])} p99 {ms(f['p99'])}")
    print(f"agent idle: {figures['agent_idle']}")
    print(f"burst: {figures['burst']}")
    print(f"load before/after: {figures['machine']['load']} / "
          f"{figures['machine']['load_after']}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
