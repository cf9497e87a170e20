# SPDX-License-Identifier: Apache-2.0
"""The L3 agent's hands: observe what the host shows of routers, apply a plan.

Per router hosted (``plan`` says what and when):

* a network namespace ``<prefix><router id>`` (``qrouter-`` by default) with
  forwarding on;
* per interface a veth pair plugged by ``quantum.compute.vif`` like a VM's NIC:
  ``tap<port id[:11]>`` on the integration bridge in the dead VLAN with
  ``external_ids:iface-id`` = the port id (the OVS agent wires it), and
  ``qr-<port id[:11]>`` in the namespace with the port's MAC;
* for the gateway the same on the external bridge, ``qg-<port id[:11]>`` in the
  namespace; the bridge end carries no VLAN tag, from the plug's own transaction
  on (the external bridge is the external network itself, not switched by the
  OVS agent);
* no plug waits for ovs-vswitchd to give the port an ofport: nothing here uses
  it (bench/README.md: the wait grew with the ports on the bridge);
* addresses (``ip addr``), routes (``ip route ... proto static``, so ``observe``
  tells ours from the kernel's), the ``quantum-l3`` iptables chains
  (``iptables-restore --noflush``) and gratuitous ARP (``arping -U``);
* for a router that advertises IPv6 subnets, one radvd in the namespace,
  daemonized (it outlives the agent), with its files in
  ``<state_dir>/radvd/<router id>/``: ``radvd.conf``, ``radvd.pid``,
  ``radvd.log``.

Only radvd runs on the host between passes: ``observe`` finds every router
again after an agent restart from the namespaces alone, and adopts a radvd when
the router's pid file names a live process whose command line carries that pid
file. Every step of ``apply`` is idempotent.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from quantum.agent import processes
from quantum.agent.dhcp.model import check_id
from quantum.agent.l3 import render
from quantum.agent.l3.model import Router
from quantum.agent.l3.plan import (
    DEVICE_PREFIXES,
    NAMESPACE_PREFIX,
    Action,
    Bridge,
    Change,
    Desired,
    Device,
    Plan,
    Plug,
    Radvd,
    Running,
    plan,
)
from quantum.compute import vif
from quantum.compute.devices import Devices, Runner
from quantum.compute.devices import run as run_argv
from quantum.core.exceptions import QuantumError

LOG = logging.getLogger(__name__)

ARPING = "arping"
GARP_COUNT = 3
RADVD = "radvd"
DEFAULT_STATE_DIR = Path("/var/lib/quantum/l3")
"""Where radvd's files go when the driver is given no ``state_dir``."""


class RouterDeviceError(QuantumError):
    template = "{command}: {reason}"

    command: str
    reason: str


class RouterApplyFailed(QuantumError):
    template = "router changes failed for router(s) {routers}"

    routers: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DriverConfig:
    """Where the driver works on this host.

    ``host_netns``: the namespace that holds the bridge ends of the router
    ports (None: the agent's own, as on a real host; a simulated hypervisor's
    namespace in the data-plane tests).
    """

    namespace_prefix: str = NAMESPACE_PREFIX
    ovsdb: str = vif.DEFAULT_OVSDB
    integration_bridge: str = vif.DEFAULT_BRIDGE
    external_bridge: str = "br-ex"
    host_netns: str | None = None
    garp_count: int = GARP_COUNT
    """Gratuitous ARPs per added address (0: none)."""
    state_dir: Path | None = None
    """Where radvd's files live (None: ``DEFAULT_STATE_DIR``) and iptables-restore
    input is staged (None: the system's temp dir)."""
    radvd: str = RADVD

    @property
    def radvd_root(self) -> Path:
        return (self.state_dir or DEFAULT_STATE_DIR) / "radvd"


@dataclass(frozen=True, slots=True)
class RadvdFiles:
    """One router's radvd files."""

    directory: Path

    @property
    def config(self) -> Path:
        return self.directory / "radvd.conf"

    @property
    def pid(self) -> Path:
        return self.directory / "radvd.pid"

    @property
    def log(self) -> Path:
        return self.directory / "radvd.log"


def _device_name(line: str) -> str:
    return line.split(":")[1].strip().split("@")[0]


class Driver:
    """Observes and changes one host's router namespaces."""

    def __init__(self, config: DriverConfig, runner: Runner = run_argv) -> None:
        self.config = config
        self._run = runner
        self._announcers: list[subprocess.Popen[bytes]] = []

    # -- commands

    def _cmd(self, argv: list[str], check: bool = True) -> str:
        started = time.monotonic()
        done = self._run(argv)
        # NOTE: with --debug the log times every command: the agent's profile
        # (bench/l3.py --agent-log)
        LOG.debug("%.3f s: %s", time.monotonic() - started, " ".join(argv))
        if check and done.returncode != 0:
            raise RouterDeviceError(
                command=" ".join(argv),
                reason=(done.stderr or done.stdout).strip()
                or f"exit {done.returncode}",
            )
        return done.stdout

    def _ip(self, *args: str, netns: str | None = None, check: bool = True) -> str:
        return self._cmd(["ip", *(("-n", netns) if netns else ()), *args], check)

    def _in(self, netns: str, *argv: str, check: bool = True) -> str:
        return self._cmd(["ip", "netns", "exec", netns, *argv], check)

    def _namespaces(self) -> set[str]:
        out = self._ip("netns", "list")
        return {line.split()[0] for line in out.splitlines() if line.strip()}

    def namespace(self, router_id: str) -> str:
        return self.config.namespace_prefix + router_id

    # -- observe

    def observe(self) -> dict[str, Running]:
        """Every router the host shows a namespace of, by id."""
        prefix = self.config.namespace_prefix
        found: dict[str, Running] = {}
        for name in sorted(self._namespaces()):
            if not name.startswith(prefix):
                continue
            router_id = name.removeprefix(prefix)
            try:
                check_id(router_id, "router id")
            except ValueError:
                continue  # NOTE: not one of ours
            found[router_id] = self._observe(router_id, name)
        return found

    def _observe(self, router_id: str, netns: str) -> Running:
        devices: dict[str, Device] = {}
        for line in self._ip("-o", "link", "show", netns=netns).splitlines():
            name = _device_name(line)
            if not name.startswith(DEVICE_PREFIXES):
                continue
            words = line.split()
            mac = (
                words[words.index("link/ether") + 1] if "link/ether" in words else None
            )
            devices[name] = Device(mac=mac)
        out = self._ip("-o", "addr", "show", "scope", "global", netns=netns)
        addresses: dict[str, set[str]] = {}
        for line in out.splitlines():
            words = line.split()
            if words[2:3] in (["inet"], ["inet6"]):
                addresses.setdefault(words[1].split("@")[0], set()).add(words[3])
        devices = {
            name: Device(mac=d.mac, addresses=frozenset(addresses.get(name, ())))
            for name, d in devices.items()
        }
        routes: set[render.RouteEntry] = set()
        for family in ("-4", "-6"):
            out = self._ip(family, "route", "show", "proto", "static", netns=netns)
            for line in out.splitlines():
                words = line.split()
                if "via" in words:
                    routes.add(
                        render.RouteEntry(words[0], words[words.index("via") + 1])
                    )
        # NOTE: both families: either switched off is switched on again
        forwarding = self._in(
            netns, "sysctl", "-n", "net.ipv4.ip_forward",
            "net.ipv6.conf.all.forwarding", check=False,
        ).split() == ["1", "1"]  # fmt: skip
        saved = self._in(netns, "iptables-save", check=False)
        return Running(
            router_id=router_id,
            namespace=True,
            forwarding=forwarding,
            devices=MappingProxyType(devices),
            routes=frozenset(routes),
            iptables=render.parse_saved(saved),
            radvd_pid=self.radvd_pid(router_id),
            radvd_config=processes.read_text(self.radvd_files(router_id).config),
        )

    def radvd_files(self, router_id: str) -> RadvdFiles:
        return RadvdFiles(self.config.radvd_root / router_id)

    def radvd_pid(self, router_id: str) -> int | None:
        """The router's live radvd: the pid its pid file names, if that process
        is a radvd started with that pid file."""
        pidfile = self.radvd_files(router_id).pid
        try:
            pid = int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        argv = processes.cmdline(pid)
        if (
            argv
            and Path(argv[0]).name == Path(self.config.radvd).name
            and str(pidfile) in argv
            and processes.alive(pid)
        ):
            return pid
        return None

    # -- plan and apply

    def reconcile(self, routers: Iterable[Router]) -> Plan:
        """One observe-plan-apply pass for the routers this agent hosts."""
        desired = Desired({router.id: router for router in routers})
        result = plan(desired, self.observe())
        self.apply(result)
        return result

    def apply(self, result: Plan) -> None:
        """Apply every router's change; one router failing does not keep the
        others from being served. Raises :class:`RouterApplyFailed` naming the
        routers that failed (the next pass plans them again)."""
        self._reap()
        failed: list[str] = []
        for change in result.changes:
            if change.action is Action.KEEP:
                continue
            LOG.info("router %s: %s", change.router_id, change.action)
            try:
                if change.action is Action.REMOVE:
                    self.remove(change.router_id, change.unplug)
                else:
                    self._apply(change)
            except Exception:  # NOTE: any failure; logged, reported at the end
                LOG.exception("router %s: %s failed", change.router_id, change.action)
                failed.append(change.router_id)
        if failed:
            raise RouterApplyFailed(routers=", ".join(failed))

    def _apply(self, change: Change) -> None:
        netns = self.namespace(change.router_id)
        if change.create_namespace and netns not in self._namespaces():
            self._ip("netns", "add", netns)
            self._ip("link", "set", "lo", "up", netns=netns)
        if change.forwarding:
            self._in(
                netns, "sysctl", "-qw", "net.ipv4.ip_forward=1",
                "net.ipv6.conf.all.forwarding=1",
            )  # fmt: skip
        for device in change.unplug:
            self._unplug(device)
        for plug in change.plug:
            self._plug(change.router_id, netns, plug)
        for device, address in change.remove_addresses:
            self._ip("addr", "del", address, "dev", device, netns=netns, check=False)
        for device, address in change.add_addresses:
            extra = ("nodad",) if ":" in address else ()
            self._ip("addr", "replace", address, "dev", device, *extra, netns=netns)
        for route in change.remove_routes:
            self._ip(
                f"-{route.version}", "route", "del", route.destination,
                "via", route.nexthop, "proto", "static", netns=netns, check=False,
            )  # fmt: skip
        for route in change.add_routes:
            self._ip(
                f"-{route.version}", "route", "replace", route.destination,
                "via", route.nexthop, "proto", "static", netns=netns,
            )  # fmt: skip
        if change.iptables is not None:
            self._restore(netns, change.iptables)
        self._radvd(change, netns)
        for device, address in change.announce:
            self._announce(netns, device, address)

    # -- radvd

    def _radvd(self, change: Change, netns: str) -> None:
        files = self.radvd_files(change.router_id)
        if change.radvd is Radvd.STOP:
            self._stop_radvd(change.router_id, change.radvd_pid)
            return
        if change.radvd_config is not None:
            files.directory.mkdir(mode=0o755, parents=True, exist_ok=True)
            # NOTE: atomically (radvd may re-read it at any moment); radvd refuses
            # a configuration file others can write.
            staged = files.config.with_name(".radvd.conf.tmp")
            staged.write_text(change.radvd_config)
            staged.chmod(0o644)
            staged.replace(files.config)
        if change.radvd is Radvd.START:
            self._start_radvd(change.router_id, netns, files)
        elif change.radvd is Radvd.RELOAD and change.radvd_pid is not None:
            LOG.info("router %s: SIGHUP radvd %d", change.router_id, change.radvd_pid)
            os.kill(change.radvd_pid, signal.SIGHUP)

    def _start_radvd(self, router_id: str, netns: str, files: RadvdFiles) -> int:
        stale = self.radvd_pid(router_id)
        if stale is not None:
            processes.stop(stale)  # NOTE: one left in an older namespace of the router
        with contextlib.suppress(FileNotFoundError):
            files.pid.unlink()
        command = [
            "ip", "netns", "exec", netns, self.config.radvd,
            "-C", str(files.config), "-p", str(files.pid),
            "-m", "logfile", "-l", str(files.log),
        ]  # fmt: skip
        errors = files.directory / "start-errors"
        # NOTE: output to a file, not a pipe: the daemon would hold a pipe open.
        with errors.open("w") as err:
            done = subprocess.run(  # noqa: S603  # NOTE: argv list, no shell
                command,
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                timeout=30,
                check=False,
            )
        if done.returncode != 0:
            raise RouterDeviceError(
                command=" ".join(command[:6]) + " ...",
                reason=errors.read_text().strip() or f"exit {done.returncode}",
            )
        deadline = time.monotonic() + 5.0
        while (pid := self.radvd_pid(router_id)) is None:
            if time.monotonic() > deadline:
                raise RouterDeviceError(
                    command=" ".join(command[:6]) + " ...",
                    reason=f"no live radvd in {files.pid}; "
                    + (processes.read_text(files.log) or "")[-500:],
                )
            time.sleep(0.01)
        LOG.info("router %s: started radvd %d in %s", router_id, pid, netns)
        return pid

    def _stop_radvd(self, router_id: str, pid: int | None) -> None:
        """Stop the router's radvd (the one ``pid`` names or its pid file does,
        and any other radvd in its namespace) and remove its files."""
        pids = {p for p in (pid, self.radvd_pid(router_id)) if p is not None}
        netns = self.namespace(router_id)
        if netns in self._namespaces():
            out = self._ip("netns", "pids", netns, check=False)
            name = Path(self.config.radvd).name
            for word in out.split():
                argv = processes.cmdline(int(word)) if word.isdigit() else []
                if argv and Path(argv[0]).name == name:
                    pids.add(int(word))
        for one in sorted(pids):
            LOG.info("router %s: stopping radvd %d", router_id, one)
            processes.stop(one)
        directory = self.radvd_files(router_id).directory
        if directory.is_dir():
            for entry in directory.iterdir():
                entry.unlink()
            directory.rmdir()

    def _bridge(self, plug: Plug) -> str:
        if plug.bridge is Bridge.EXTERNAL:
            return self.config.external_bridge
        return self.config.integration_bridge

    def _plug(self, router_id: str, netns: str, plug: Plug) -> None:
        bridge = self._bridge(plug)
        host_device = render.bridge_device(plug.port_id)
        started = time.monotonic()
        vif.plug(
            vif.Vif(
                iface_id=plug.port_id,
                mac=plug.mac,
                instance_id=router_id,
                device=host_device,
                netns=netns,
                peer=plug.device,
            ),
            ovsdb=self.config.ovsdb,
            bridge=bridge,
            devices=Devices(self.config.host_netns, self._run),
            # NOTE: a br-int port stays in the dead VLAN until the OVS agent wires
            # it; nobody wires the external bridge: untagged, it is the external
            # network (set in the plug's own transaction).
            tag=None if plug.bridge is Bridge.EXTERNAL else vif.DEAD_VLAN,
            # PERF: the L3 agent never uses the ofport; waiting for it was half of
            # a plug's time and grew with the ports on the bridge (bench/README.md)
            wait_ofport=False,
        )
        LOG.debug(
            "%.3f s: plug %s into %s", time.monotonic() - started, host_device, bridge
        )
        # NOTE: a veth on a userspace datapath leaves TCP/UDP checksums unfilled.
        self._in(netns, "ethtool", "-K", plug.device, "tx", "off")

    def _unplug(self, ns_device: str) -> None:
        vif.unplug(
            render.bridge_device_of(ns_device),
            ovsdb=self.config.ovsdb,
            bridge=None,
            devices=Devices(self.config.host_netns, self._run),
        )

    def _restore(self, netns: str, text: str) -> None:
        directory = self.config.state_dir
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix="iptables-", dir=directory)
        try:
            with os.fdopen(fd, "w") as staged:
                staged.write(text)
            self._in(netns, "iptables-restore", "--noflush", name)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name)

    def _announce(self, netns: str, device: str, address: str) -> None:
        """Gratuitous ARP for ``address`` on ``device``, in the background (it
        takes ``garp_count`` seconds; the pass does not wait for it)."""
        if self.config.garp_count <= 0:
            return
        argv = [
            "ip", "netns", "exec", netns, ARPING, "-U", "-I", device,
            "-c", str(self.config.garp_count), address,
        ]  # fmt: skip
        LOG.info("gratuitous ARP for %s on %s in %s", address, device, netns)
        self._announcers.append(
            subprocess.Popen(  # noqa: S603  # NOTE: argv list, no shell
                argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )

    def _reap(self) -> None:
        self._announcers = [p for p in self._announcers if p.poll() is None]

    def wait_announcements(self, timeout: float = 10.0) -> None:
        """Wait for the gratuitous ARPs sent so far (tests; an agent at exit)."""
        for process in self._announcers:
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._announcers.clear()

    def remove(self, router_id: str, devices: Iterable[str] = ()) -> None:
        """Stop the router's radvd, unplug its devices from their bridges, delete
        its namespace."""
        self._stop_radvd(router_id, None)
        netns = self.namespace(router_id)
        names = set(devices)
        if netns in self._namespaces():
            out = self._ip("-o", "link", "show", netns=netns, check=False)
            names |= {
                _device_name(line)
                for line in out.splitlines()
                if _device_name(line).startswith(DEVICE_PREFIXES)
            }
        for name in sorted(names):
            self._unplug(name)
        if netns in self._namespaces():
            self._ip("netns", "del", netns)
