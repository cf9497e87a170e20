# SPDX-License-Identifier: Apache-2.0
"""Convergence benchmark: from the API call to packets, with the real OVS agent.

One simulated hypervisor of the data-plane harness (its own ovsdb-server and
ovs-vswitchd, userspace datapath, in a network namespace) runs a real
``quantum-openvswitch-agent``; a real ``quantum-server`` (openvswitch plugin, local
networks, SQLite) runs on the host. Everything goes through the v1.1 REST API. VMs
are namespaces whose VIF is already plugged (isolated: its port has no attachment);
the clock starts at ``PUT .../attachment`` and stops at the first ICMP echo reply
through the new port, seen by a prober in an "anchor" VM on the same network.

Figures: the per-port latency (p50, p99 over ``--ports`` ports, one at a time), the
same from the VIF plug (``ovs-vsctl add-port`` with the external ids and dead-VLAN
tag ``quantum-vif`` sets) for ports whose attachment is already set (the OVSDB
monitor's path), the operator's end to end (``POST /v2.0/ports``, then the real
``quantum-vif plug`` run on the hypervisor, then the guest's address, to the first
reply), with the wall time of ``quantum-vif plug`` itself as a figure of its own,
the time for ``--burst`` ports attached at once to all pass traffic, and the agent's
CPU and RSS while idle with them. The floor, measured the same way in the same run,
is the prober against a port that is already wired: its interval plus one round
trip. Needs root and Open vSwitch; run it under the data-plane lock (see
bench/README.md).
"""

from __future__ import annotations

import argparse
import http.client
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from quantum.compute.vif import DEAD_VLAN, Vif, device_name  # noqa: E402
from quantum.testing.client import write_config  # noqa: E402
from quantum.testing.server import ServerProcess, db_manage, free_port  # noqa: E402
from tests.dataplane import harness  # noqa: E402

PROBE = Path(__file__).resolve().parent / "icmp_probe.py"
AGENT = REPO / "bin" / "quantum-openvswitch-agent"
SECRET = "convergence-bench"  # noqa: S105  # NOTE: a scratch server's secret
TENANT = "/v1.1/tenants/bench"
TICKS = os.sysconf("SC_CLK_TCK")
ANCHOR_MAC = "fa:16:3e:ff:ff:fe"
ANCHOR_IP = "10.1.255.254"
PREFIX = 16
TARGET_P50 = 0.200
TARGET_BURST = 10.0
#: issue 16: the agent idle with 200 ports, MiB of VmRSS.
TARGET_AGENT_RSS = 50.0
TARGET_PLUG = 0.150
TARGET_CREATE = 0.250


# ------------------------------------------------------------------------------ API


class Api:
    """The v1.1 API of the server for tenant ``bench``, one keep-alive connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self._conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: Any = None) -> Any:
        for attempt in (1, 2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection("127.0.0.1", self.port, 30)
            try:
                self._conn.request(
                    method,
                    TENANT + path,
                    body=None if body is None else json.dumps(body),
                    headers={"Content-Type": "application/json"},
                )
                response = self._conn.getresponse()
                raw = response.read()
                break
            except (OSError, http.client.HTTPException):
                self._conn.close()
                self._conn = None
                if attempt == 2:
                    raise
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {raw!r}")
        return json.loads(raw) if raw else None

    def network(self, name: str) -> str:
        body = self.call("POST", "/networks.json", {"network": {"name": name}})
        return str(body["network"]["id"])

    def new_port(self, net: str) -> str:
        body = self.call(
            "POST", f"/networks/{net}/ports.json", {"port": {"state": "ACTIVE"}}
        )
        return str(body["port"]["id"])

    def plug(self, net: str, port_id: str, iface_id: str) -> None:
        self.call(
            "PUT",
            f"/networks/{net}/ports/{port_id}/attachment.json",
            {"attachment": {"id": iface_id}},
        )

    def unplug(self, net: str, port_id: str) -> None:
        self.call("DELETE", f"/networks/{net}/ports/{port_id}/attachment.json")

    def delete_port(self, net: str, port_id: str) -> None:
        self.call("DELETE", f"/networks/{net}/ports/{port_id}.json")

    def create_v2_port(self, net: str, mac: str, host: str) -> str:
        """``POST /v2.0/ports`` as the compute service makes a VM's port (noauth
        without a project is an admin: it may bind the port to its host)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, 30)
        try:
            body = {
                "port": {
                    "tenant_id": "bench",
                    "network_id": net,
                    "mac_address": mac,
                    "binding:host_id": host,
                    # NOTE: no security group: the tenant's default one admits no
                    # echo request from the anchor (a v1 port, in no group).
                    "port_security_enabled": False,
                }
            }
            conn.request(
                "POST",
                "/v2.0/ports",
                body=json.dumps(body),
                headers={"Content-Type": "application/json"},
            )
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        if response.status != 201:
            raise RuntimeError(f"POST /v2.0/ports: {response.status} {raw!r}")
        return str(json.loads(raw)["port"]["id"])


# --------------------------------------------------------------------------- world


@dataclass
class Guest:
    name: str
    mac: str
    ip: str
    iface_id: str
    port_id: str
    device: str = ""


def mac_of(index: int) -> str:
    return f"fa:16:3e:00:{index >> 8 & 0xFF:02x}:{index & 0xFF:02x}"


def ip_of(index: int) -> str:
    return f"10.1.{index // 250}.{index % 250 + 1}"


def start_server(root: Path, workers: int) -> ServerProcess:
    port = free_port()
    (root / "ovs.ini").write_text("[OVS]\ntenant_network_type = local\n")
    config = write_config(
        root,
        bind_host="127.0.0.1",
        bind_port=port,
        core_plugin="openvswitch",
        core_plugin_config="ovs.ini",
        sql_connection=f"sqlite:///{root / 'quantum.sqlite'}",
        agent_secret=SECRET,
        api_workers=workers,
        shutdown_timeout=5,
    )
    with config.open("a") as conf:
        # NOTE: the burst alone is 200 ports; the default port quota is 50.
        conf.write("\n[QUOTAS]\nquota_network = -1\nquota_port = -1\n")
    done = db_manage(config, "upgrade", "head")
    if done.returncode != 0:
        raise RuntimeError(f"quantum-db-manage: {done.stderr}")
    server = ServerProcess(config, "127.0.0.1", port)
    server.start()
    return server


def start_agent(hv: harness.Hypervisor, server_port: int) -> harness.Process:
    """The agent as a deployment would run it: default intervals, no --debug."""
    ini = hv.dir / "agent.ini"
    ini.write_text(
        "[AGENT]\n"
        f"server_url = http://127.0.0.1:{server_port}\n"
        f"agent_secret = {SECRET}\n"
        f"host = {hv.name}\n"
        "datapath_type = netdev\n"
        f"ovsdb_connection = {hv.db}\n"
        "openflow_listen_port = 6653\n"
    )
    return hv.spawn("agent", sys.executable, str(AGENT), "--config-file", str(ini))


def neighbours(lab_vm: harness.VM, guests: Sequence[Guest]) -> None:
    """Static ARP entries, so no guest ARP timer (100 ms retries) is measured."""
    lines = "".join(
        f"neigh replace {g.ip} lladdr {g.mac} dev eth0 nud permanent\n" for g in guests
    )
    harness.run(["ip", "-n", lab_vm.netns.name, "-batch", "-"], input=lines)


def guest_address(guest: Guest) -> str:
    """``ip -batch`` lines: the guest's address, and the anchor as a static
    neighbour."""
    return (
        f"addr add {guest.ip}/{PREFIX} dev eth0\n"
        f"neigh replace {ANCHOR_IP} lladdr {ANCHOR_MAC} dev eth0 nud permanent\n"
    )


def make_vms(
    lab: harness.Lab, hv: harness.Hypervisor, guests: Sequence[Guest], *, plug: bool
) -> None:
    """A namespace each with a veth into the hypervisor; with ``plug``, every VIF
    is also added to br-int (one OVSDB transaction)."""
    vms = [lab.vm(guest.name, guest.mac) for guest in guests]
    hv_lines = []
    for guest, vm in zip(guests, vms, strict=True):
        guest.device = device_name(guest.iface_id)
        hv_lines.append(
            f"link add {guest.device} type veth peer name eth0 netns {vm.netns.name}\n"
            f"link set {guest.device} up\n"
        )
    harness.run(["ip", "-n", hv.netns.name, "-batch", "-"], input="".join(hv_lines))
    for guest, vm in zip(guests, vms, strict=True):
        harness.run(
            ["ip", "-n", vm.netns.name, "-batch", "-"],
            input=(
                f"link set eth0 address {guest.mac}\nlink set eth0 up\n"
                + guest_address(guest)
            ),
        )
    if plug:
        plug_vifs(hv, guests)


def plug_vifs(hv: harness.Hypervisor, guests: Sequence[Guest]) -> None:
    """Add the VIFs to br-int with the external ids ``quantum-vif`` sets, in one
    ``ovs-vsctl`` transaction (it returns once ovs-vswitchd has them)."""
    args: list[str] = []
    for guest in guests:
        vif = Vif(
            iface_id=guest.iface_id,
            mac=guest.mac,
            instance_id=f"vm-{guest.name}",
            device=guest.device,
        )
        ids = ",".join(f'"{k}"="{v}"' for k, v in vif.external_ids.items())
        args += [
            "--", "add-port", "br-int", guest.device, f"tag={DEAD_VLAN}",
            "--", "set", "Interface", guest.device, f"external_ids={{{ids}}}",
        ]  # fmt: skip
    hv.vsctl(*args, timeout=60)


def remove_vifs(hv: harness.Hypervisor, guests: Sequence[Guest]) -> None:
    args: list[str] = []
    for guest in guests:
        args += ["--", "--if-exists", "del-port", "br-int", guest.device]
    hv.vsctl(*args, timeout=60)


class Prober:
    """``icmp_probe.py`` in the anchor's namespace."""

    def __init__(
        self, netns: str, targets: Sequence[str], *, each: bool, interval: float
    ) -> None:
        argv = ["ip", "netns", "exec", netns, sys.executable, str(PROBE)]
        argv += ["--interval", f"{interval:g}", "--timeout", "120"]
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


# ------------------------------------------------------------------------ figures


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def summary(latencies: Sequence[float], floors: Sequence[float]) -> dict[str, Any]:
    return {
        "ports": len(latencies),
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies),
        "floor_p50": percentile(floors, 0.5),
        "floor_p99": percentile(floors, 0.99),
        "samples": list(latencies),
    }


def cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def smaps_mib(pid: int) -> dict[str, float]:
    """Pss and USS (Private_Clean + Private_Dirty) of a process, MiB."""
    kib: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        kib[name] = int(value.split()[0])
    uss = kib.get("Private_Clean", 0) + kib.get("Private_Dirty", 0)
    return {"pss": kib.get("Pss", 0) / 1024, "uss": uss / 1024}


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


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


# -------------------------------------------------------------------------- phases


def wait_quiet(agent_pid: int, quiet: float = 1.0, timeout: float = 60.0) -> None:
    """Until the agent has used no CPU for ``quiet`` seconds (its rounds are done)."""
    deadline = time.monotonic() + timeout
    last = cpu_ticks(agent_pid)
    since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = cpu_ticks(agent_pid)
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return


def per_port(
    api: Api,
    net: str,
    anchor: harness.VM,
    hv: harness.Hypervisor,
    guests: Sequence[Guest],
    agent_pid: int,
    interval: float,
    *,
    vif_first: bool,
) -> list[float]:
    """One port at a time, the time to the first reply through it: from the API
    call attaching it (``vif_first``: its VIF is already on br-int) or from plugging
    its VIF (its port already attached)."""
    latencies = []
    for guest in guests:
        if not vif_first:
            api.plug(net, guest.port_id, guest.iface_id)
        wait_quiet(agent_pid, quiet=0.5)
        prober = Prober(anchor.netns.name, [guest.ip], each=True, interval=interval)
        try:
            time.sleep(0.05)  # NOTE: some probes dropped before the call
            start = time.time()
            if vif_first:
                api.plug(net, guest.port_id, guest.iface_id)
            else:
                plug_vifs(hv, [guest])
            _, stamp = prober.reply()
        finally:
            prober.stop()
        if stamp < start:
            raise RuntimeError(f"{guest.name} answered before it was plugged")
        latencies.append(stamp - start)
    return latencies


def create_to_reply(
    lab: harness.Lab,
    api: Api,
    net: str,
    anchor: harness.VM,
    hv: harness.Hypervisor,
    count: int,
    agent_pid: int,
    interval: float,
) -> tuple[list[float], list[float]]:
    """One VM at a time, as an operator sees it: ``POST /v2.0/ports``, then
    ``quantum-vif plug`` on the hypervisor, then the guest sets its address; the
    time from the POST to the first reply through the port, and the wall time of
    the ``quantum-vif plug`` command (a process, as the compute service runs it)."""
    ends, plugs = [], []
    for index in range(count):
        guest = Guest(f"c{index}", mac_of(1500 + index), ip_of(1500 + index), "", "")
        vm = lab.vm(guest.name, guest.mac)
        neighbours(anchor, [guest])
        wait_quiet(agent_pid, quiet=0.5)
        prober = Prober(anchor.netns.name, [guest.ip], each=True, interval=interval)
        try:
            time.sleep(0.05)  # NOTE: some probes dropped before the call
            start = time.time()
            port_id = api.create_v2_port(net, guest.mac, hv.name)
            began = time.monotonic()
            vm.quantum_vif(
                hv, "plug", "--iface-id", port_id, "--mac", guest.mac,
                "--instance-id", f"vm-{guest.name}", "--netns", vm.netns.name,
            )  # fmt: skip
            plugs.append(time.monotonic() - began)
            harness.run(
                ["ip", "-n", vm.netns.name, "-batch", "-"], input=guest_address(guest)
            )
            _, stamp = prober.reply()
        finally:
            prober.stop()
        if stamp < start:
            raise RuntimeError(f"{guest.name} answered before it was created")
        ends.append(stamp - start)
    return ends, plugs


def floor(
    anchor: harness.VM, guest: Guest, rounds: int, interval: float
) -> list[float]:
    """The prober against a wired port: from a mark to the next reply after it."""
    prober = Prober(anchor.netns.name, [guest.ip], each=False, interval=interval)
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


def burst(
    api: Api,
    net: str,
    anchor: harness.VM,
    guests: Sequence[Guest],
    interval: float,
) -> tuple[float, float, list[float]]:
    """Attach every port at once (4 API connections); time until all answered.

    Returns (time to the last reply, time the API calls took, per-port times).
    """
    prober = Prober(
        anchor.netns.name, [g.ip for g in guests], each=True, interval=interval
    )
    apis = [Api(api.port) for _ in range(4)]
    try:
        time.sleep(0.1)
        start = time.time()

        local = threading.local()

        def attach_on_own(item: tuple[int, Guest]) -> None:
            if not hasattr(local, "index"):
                local.index = item[0] % len(apis)
            apis[local.index].plug(net, item[1].port_id, item[1].iface_id)

        with ThreadPoolExecutor(len(apis)) as pool:
            list(pool.map(attach_on_own, enumerate(guests)))
        api_done = time.time() - start
        times: dict[str, float] = {}
        while len(times) < len(guests):
            address, stamp = prober.reply()
            times[address] = stamp - start
    finally:
        prober.stop()
    return max(times.values()), api_done, sorted(times.values())


def idle(pids: dict[str, int], seconds: float) -> dict[str, float]:
    before = {name: cpu_ticks(pid) for name, pid in pids.items()}
    time.sleep(seconds)
    return {
        name: (cpu_ticks(pid) - before[name]) / TICKS / seconds * 100
        for name, pid in pids.items()
    }


# ---------------------------------------------------------------------------- main


def run(args: argparse.Namespace) -> dict[str, Any]:
    figures: dict[str, Any] = {"machine": machine(), "args": vars(args)}
    session = harness.Session.start()
    tmp = Path(tempfile.mkdtemp(prefix="quantum-convergence-"))
    server = start_server(tmp, args.workers)
    try:
        with harness.lab(session) as lab:
            hv = lab.hypervisor("hv1")
            hv.forward_host_port(server.port)
            agent = start_agent(hv, server.port)
            api = Api(server.port)
            net = api.network("bench")
            harness.wait_until(
                lambda: "br-int" in hv.vsctl("list-br").split(), 30, message="br-int"
            )
            anchor = lab.vm("anchor", ANCHOR_MAC, f"{ANCHOR_IP}/{PREFIX}")
            anchor_port = api.new_port(net)
            api.plug(net, anchor_port, "bench-anchor")
            anchor.plug(hv, "bench-anchor")

            # -- per port, one at a time: API call, then VIF plug
            print(f"per-port: {args.ports} ports, one at a time", flush=True)
            guests = [
                Guest(f"p{i}", mac_of(i), ip_of(i), f"bench-p{i}", api.new_port(net))
                for i in range(args.ports)
            ]
            make_vms(lab, hv, guests, plug=True)
            neighbours(anchor, guests)
            latencies = per_port(
                api, net, anchor, hv, guests, agent.pid, args.interval, vif_first=True
            )
            floors = floor(anchor, guests[0], args.ports, args.interval)
            figures["per_port"] = summary(latencies, floors)
            for guest in guests:
                api.unplug(net, guest.port_id)
                api.delete_port(net, guest.port_id)
            remove_vifs(hv, guests)

            print(f"per-VIF: {args.ports} VIFs, one at a time", flush=True)
            guests = [
                Guest(f"v{i}", mac_of(500 + i), ip_of(500 + i), f"bench-v{i}",
                      api.new_port(net))
                for i in range(args.ports)
            ]  # fmt: skip
            make_vms(lab, hv, guests, plug=False)
            neighbours(anchor, guests)
            latencies = per_port(
                api, net, anchor, hv, guests, agent.pid, args.interval, vif_first=False
            )
            figures["per_vif"] = summary(latencies, floors)
            for guest in guests:
                api.unplug(net, guest.port_id)
                api.delete_port(net, guest.port_id)
            remove_vifs(hv, guests)

            # -- the operator's end to end: API create, quantum-vif plug, reply
            print(f"create -> reply: {args.ports} VMs, one at a time", flush=True)
            ends, plugs = create_to_reply(
                lab, api, net, anchor, hv, args.ports, agent.pid, args.interval
            )
            figures["create_to_reply"] = summary(ends, floors)
            figures["quantum_vif_plug"] = {
                "plugs": len(plugs),
                "p50": percentile(plugs, 0.5),
                "p99": percentile(plugs, 0.99),
                "max": max(plugs),
                "samples": plugs,
            }

            # -- a burst of ports on one host
            print(f"burst: {args.burst} ports at once", flush=True)
            many = [
                Guest(f"b{i}", mac_of(1000 + i), ip_of(1000 + i), f"bench-b{i}",
                      api.new_port(net))
                for i in range(args.burst)
            ]  # fmt: skip
            make_vms(lab, hv, many, plug=True)
            neighbours(anchor, many)
            wait_quiet(agent.pid, quiet=2.0, timeout=120)
            last, api_time, times = burst(api, net, anchor, many, args.burst_interval)
            figures["burst"] = {
                "ports": len(many),
                "all_pass_traffic": last,
                "api_calls": api_time,
                "p50": percentile(times, 0.5),
            }

            # -- idle with the burst's ports
            wait_quiet(agent.pid, quiet=2.0, timeout=120)
            print(f"idle: {args.idle:g} s with {len(many) + 1} ports", flush=True)
            server_pids = {"server": server.pid, **{
                f"worker{i}": p for i, p in enumerate(server.worker_pids())
            }}  # fmt: skip
            cpu = idle({"agent": agent.pid, **server_pids}, args.idle)
            figures["idle"] = {
                "seconds": args.idle,
                "ports": len(many) + 1,
                "agent_cpu_percent": cpu["agent"],
                "agent_rss_mib": rss_mib(agent.pid),
                **{f"agent_{k}_mib": v for k, v in smaps_mib(agent.pid).items()},
                "server_cpu_percent": sum(v for k, v in cpu.items() if k != "agent"),
            }
    finally:
        server.stop(timeout=15)
        session.close()
    figures["machine"]["loadavg_after"] = os.getloadavg()
    return figures


def report(figures: dict[str, Any]) -> bool:
    m = figures["machine"]
    print(
        f"\nmachine: {m['cpus']} CPUs, kernel {m['kernel']}, Python {m['python']}, "
        f"{m['ovs']}, commit {m['commit']}"
    )
    before = " ".join(f"{x:.2f}" for x in m["loadavg_before"])
    after = " ".join(f"{x:.2f}" for x in m["loadavg_after"])
    print(f"load average before: {before}   after: {after}")
    p = figures["per_port"]
    for key, title in (
        ("per_port", "API call (VIF already plugged)"),
        ("per_vif", "VIF plug (port already attached)"),
    ):
        f = figures[key]
        print(
            f"\nper port, {title} -> first reply ({f['ports']} ports, one at a time):"
        )
        print(
            f"  p50 {ms(f['p50'])}   p99 {ms(f['p99'])}   max {ms(f['max'])}   "
            f"floor p50 {ms(f['floor_p50'])} (p99 {ms(f['floor_p99'])})   "
            f"p50/floor {f['p50'] / f['floor_p50']:.1f}x"
        )
    c, q = figures["create_to_reply"], figures["quantum_vif_plug"]
    print(
        f"\nper VM, POST /v2.0/ports -> quantum-vif plug -> first reply "
        f"({c['ports']} VMs, one at a time):"
    )
    print(f"  p50 {ms(c['p50'])}   p99 {ms(c['p99'])}   max {ms(c['max'])}")
    print(f"quantum-vif plug, wall time of the command ({q['plugs']} plugs):")
    print(f"  p50 {ms(q['p50'])}   p99 {ms(q['p99'])}   max {ms(q['max'])}")
    b = figures["burst"]
    print(f"\n{b['ports']} ports attached at once -> all pass traffic:")
    print(
        f"  {b['all_pass_traffic']:.2f} s   (API calls took {b['api_calls']:.2f} s; "
        f"median port {b['p50']:.2f} s)   vs floor p50: "
        f"{b['all_pass_traffic'] / p['floor_p50']:.0f}x"
    )
    i = figures["idle"]
    print(f"\nidle {i['seconds']:g} s with {i['ports']} ports:")
    print(
        f"  agent CPU {i['agent_cpu_percent']:.2f} %   agent RSS "
        f"{i['agent_rss_mib']:.1f} MiB (Pss {i['agent_pss_mib']:.1f}, USS "
        f"{i['agent_uss_mib']:.1f})   server CPU {i['server_cpu_percent']:.2f} %"
    )
    checks = [
        (f"per-port p50 < {ms(TARGET_P50)}", p["p50"] < TARGET_P50),
        (f"quantum-vif plug p50 < {ms(TARGET_PLUG)}", q["p50"] < TARGET_PLUG),
        (f"create -> reply p50 < {ms(TARGET_CREATE)}", c["p50"] < TARGET_CREATE),
        (
            f"{b['ports']} ports converged < {TARGET_BURST:g} s",
            b["all_pass_traffic"] < TARGET_BURST,
        ),
        (
            f"agent RSS <= {TARGET_AGENT_RSS:g} MiB idle with {i['ports']} ports",
            i["agent_rss_mib"] <= TARGET_AGENT_RSS,
        ),
    ]
    print()
    for name, ok in checks:
        print(f"  {'met   ' if ok else 'MISSED'} {name}")
    return all(ok for _, ok in checks)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="convergence", description=__doc__)
    parser.add_argument("--ports", type=int, default=50)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--idle", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument(
        "--interval", type=float, default=0.005, help="probe interval, one port"
    )
    parser.add_argument(
        "--burst-interval",
        type=float,
        default=0.001,
        help="probe interval over all ports of the burst (round-robin)",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    problem = harness.environment_problem()
    if problem:
        print(f"convergence: {problem}", file=sys.stderr)
        return 2
    for what in harness.reap_leftovers():
        print(f"reaped a crashed run's leftover: {what}", file=sys.stderr)
    figures = run(args)
    met = report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
