# SPDX-License-Identifier: Apache-2.0
"""The DHCP agent's hands: observe what runs on the host, apply a plan.

Per network served (``plan`` says what and when):

* a network namespace ``<prefix><network id>`` (``qdhcp-`` by default);
* the DHCP port's device: a veth pair plugged by ``quantum.compute.vif`` exactly
  like a VM's NIC (``tap<port id[:11]>`` on the integration bridge with
  ``external_ids:iface-id`` = the port id, so the OVS agent wires it like any VM
  port; ``ns-<port id[:11]>`` in the namespace, with the port's MAC and its
  addresses). A veth rather than an OVS internal port moved into the namespace:
  Open vSwitch loses track of an internal port once it leaves its namespace
  (no MAC, no link state, recreated in the wrong namespace when ovs-vswitchd
  restarts), while a veth's bridge end stays where ovs-vswitchd runs;
* ``<state_dir>/<network id>/``: ``host``, ``opts``, ``leases``, ``log``, ``pid``;
* one dnsmasq, started in the namespace, daemonized (it outlives the agent).

``observe`` finds all of it again after an agent restart: a dnsmasq is adopted
when the network's pid file names a live process whose command line carries that
pid file. Every step of ``apply`` is idempotent.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from quantum.agent import processes
from quantum.agent.dhcp.model import Network, check_id
from quantum.agent.dhcp.plan import (
    Action,
    Change,
    Desired,
    Layout,
    Plan,
    Running,
    host_device,
    host_device_of,
    ns_device,
    plan,
)
from quantum.compute import vif
from quantum.compute.devices import Devices, Runner
from quantum.compute.devices import run as run_argv
from quantum.core.exceptions import QuantumError

LOG = logging.getLogger(__name__)

DNSMASQ = "dnsmasq"


class DhcpDeviceError(QuantumError):
    template = "{command}: {reason}"

    command: str
    reason: str


class DhcpApplyFailed(QuantumError):
    template = "DHCP changes failed for network(s) {networks}"

    networks: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DriverConfig:
    """Where the driver works on this host.

    ``host_netns``: the namespace that holds the integration bridge's side of the
    DHCP port (None: the agent's own, as on a real hypervisor; a simulated
    hypervisor's namespace in the data-plane tests).
    """

    state_dir: Path
    namespace_prefix: str = "qdhcp-"
    ovsdb: str = vif.DEFAULT_OVSDB
    bridge: str = vif.DEFAULT_BRIDGE
    host_netns: str | None = None
    dnsmasq: str = DNSMASQ
    env: Mapping[str, str] | None = None
    """The environment dnsmasq starts with (None: the agent's)."""

    @property
    def layout(self) -> Layout:
        return Layout(self.state_dir, self.namespace_prefix)


def _write(path: Path, text: str) -> None:
    """Replace ``path`` atomically (dnsmasq may re-read it at any moment);
    world-readable, since dnsmasq re-reads it as ``nobody``."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text)
    temporary.chmod(0o644)
    temporary.replace(path)


class Driver:
    """Observes and changes one host's DHCP namespaces and dnsmasq processes."""

    def __init__(self, config: DriverConfig, runner: Runner = run_argv) -> None:
        self.config = config
        self.layout = config.layout
        self._run = runner

    # -- commands

    def _ip(self, *args: str, netns: str | None = None, check: bool = True) -> str:
        argv = ["ip", *(("-n", netns) if netns else ()), *args]
        done = self._run(argv)
        if check and done.returncode != 0:
            raise DhcpDeviceError(
                command=" ".join(argv),
                reason=(done.stderr or done.stdout).strip()
                or f"exit {done.returncode}",
            )
        return done.stdout

    def _namespaces(self) -> set[str]:
        out = self._ip("netns", "list")
        return {line.split()[0] for line in out.splitlines() if line.strip()}

    # -- observe

    def observe(self) -> dict[str, Running]:
        """Every network the host shows traces of, by id."""
        prefix = self.config.namespace_prefix
        namespaces = {
            name.removeprefix(prefix): name
            for name in self._namespaces()
            if name.startswith(prefix)
        }
        ids = set(namespaces)
        if self.layout.state_dir.is_dir():
            ids |= {entry.name for entry in self.layout.state_dir.iterdir()}
        found: dict[str, Running] = {}
        for network_id in sorted(ids):
            try:
                check_id(network_id, "network id")
            except ValueError:
                continue  # NOTE: not one of ours
            found[network_id] = self._observe(network_id, network_id in namespaces)
        return found

    def _observe(self, network_id: str, namespace: bool) -> Running:
        files = self.layout.files(network_id)
        pid = self.running_pid(network_id)
        argv = tuple(processes.cmdline(pid)[1:]) if pid is not None else ()
        device = mac = None
        addresses: frozenset[str] = frozenset()
        if namespace:
            device, mac, addresses = self._device(self.layout.namespace(network_id))
        return Running(
            network_id=network_id,
            namespace=namespace,
            device=device,
            device_mac=mac,
            addresses=addresses,
            pid=pid,
            argv=argv,
            hosts=processes.read_text(files.hosts),
            opts=processes.read_text(files.opts),
        )

    def running_pid(self, network_id: str) -> int | None:
        """The network's live dnsmasq: the pid its pid file names, if that process
        is a dnsmasq started with that pid file."""
        pidfile = self.layout.files(network_id).pid
        try:
            pid = int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        argv = processes.cmdline(pid)
        if (
            argv
            and Path(argv[0]).name == Path(self.config.dnsmasq).name
            and f"--pid-file={pidfile}" in argv
            and processes.alive(pid)
        ):
            return pid
        return None

    def _device(self, netns: str) -> tuple[str | None, str | None, frozenset[str]]:
        """The ``ns-…`` device in ``netns``: name, MAC, global addresses."""
        done = self._run(["ip", "-n", netns, "-o", "link", "show"])
        if done.returncode != 0:
            return None, None, frozenset()
        for line in done.stdout.splitlines():
            name = line.split(":")[1].strip().split("@")[0]
            if not name.startswith("ns-"):
                continue
            words = line.split()
            mac = (
                words[words.index("link/ether") + 1] if "link/ether" in words else None
            )
            out = self._ip(
                "-o", "addr", "show", "dev", name, "scope", "global", netns=netns
            )
            addresses = frozenset(
                line.split()[3]
                for line in out.splitlines()
                if line.split()[2:3] in (["inet"], ["inet6"])
            )
            return name, mac, addresses
        return None, None, frozenset()

    # -- plan and apply

    def reconcile(self, networks: Iterable[Network]) -> Plan:
        """One observe-plan-apply pass for the networks this agent hosts."""
        desired = Desired({network.id: network for network in networks})
        result = plan(desired, self.observe(), self.layout)
        self.apply(result, desired)
        return result

    def apply(self, result: Plan, desired: Desired) -> None:
        """Apply every network's change; one network failing does not keep the
        others from being served. Raises :class:`DhcpApplyFailed` naming the
        networks that failed (the next pass plans them again)."""
        failed: list[str] = []
        for change in result.changes:
            if change.is_empty:
                continue
            LOG.info("network %s: %s", change.network_id, change.action)
            try:
                if change.action is Action.REMOVE:
                    self.remove(change)
                else:
                    self._serve(change, desired.networks[change.network_id])
            except Exception:  # NOTE: any failure; logged, reported at the end
                LOG.exception("network %s: %s failed", change.network_id, change.action)
                failed.append(change.network_id)
        if failed:
            raise DhcpApplyFailed(networks=", ".join(failed))

    def _serve(self, change: Change, network: Network) -> None:
        netns = self.layout.namespace(network.id)
        files = self.layout.files(network.id)
        port = network.dhcp_port
        device = ns_device(port.id)
        if change.action is Action.RESTART and change.pid is not None:
            self._stop(change.pid)
        if change.unplug:
            self._unplug(change.unplug)
        if change.plug:
            self._plug(network, netns, device)
        for address in change.remove_addresses:
            self._ip("addr", "del", address, "dev", device, netns=netns, check=False)
        for address in change.add_addresses:
            extra = ("nodad",) if ":" in address else ()
            self._ip("addr", "replace", address, "dev", device, *extra, netns=netns)
        files.directory.mkdir(mode=0o755, parents=True, exist_ok=True)
        if change.hosts is not None:
            _write(files.hosts, change.hosts)
        if change.opts is not None:
            _write(files.opts, change.opts)
        if change.action in (Action.START, Action.RESTART):
            self._start(netns, change.argv, files.pid)
        elif change.action is Action.RELOAD and change.pid is not None:
            LOG.info("network %s: SIGHUP dnsmasq %d", network.id, change.pid)
            os.kill(change.pid, signal.SIGHUP)

    def _plug(self, network: Network, netns: str, device: str) -> None:
        if netns not in self._namespaces():
            self._ip("netns", "add", netns)
        self._ip("link", "set", "lo", "up", netns=netns)
        # NOTE: the namespace only answers; it must not configure itself from the
        # advertisements it (or anyone) sends.
        self._run(
            ["ip", "netns", "exec", netns, "sysctl", "-qw",
             "net.ipv6.conf.all.accept_ra=0", "net.ipv6.conf.default.accept_ra=0"]
        )  # fmt: skip
        port = network.dhcp_port
        vif.plug(
            vif.Vif(
                iface_id=port.id,
                mac=port.mac_address,
                instance_id=port.device_id or f"dhcp-{network.id}",
                device=host_device(port.id),
                netns=netns,
                peer=device,
            ),
            ovsdb=self.config.ovsdb,
            bridge=self.config.bridge,
            devices=Devices(self.config.host_netns, self._run),
        )
        # NOTE: a veth on a userspace datapath leaves UDP checksums unfilled.
        self._run(["ip", "netns", "exec", netns, "ethtool", "-K", device, "tx", "off"])

    def _unplug(self, ns_name: str) -> None:
        vif.unplug(
            host_device_of(ns_name),
            ovsdb=self.config.ovsdb,
            bridge=self.config.bridge,
            devices=Devices(self.config.host_netns, self._run),
        )

    def _start(self, netns: str, argv: Sequence[str], pidfile: Path) -> int:
        with contextlib.suppress(FileNotFoundError):
            pidfile.unlink()
        command = ["ip", "netns", "exec", netns, self.config.dnsmasq, *argv]
        errors = pidfile.with_name("start-errors")
        # NOTE: output to a file, not a pipe: the daemon would hold a pipe open.
        with errors.open("w") as err:
            done = subprocess.run(  # noqa: S603  # NOTE: argv list, no shell
                command,
                stdin=subprocess.DEVNULL,
                stdout=err,
                stderr=err,
                timeout=30,
                check=False,
                env=dict(self.config.env) if self.config.env is not None else None,
            )
        if done.returncode != 0:
            raise DhcpDeviceError(
                command=" ".join(command[:6]) + " ...",
                reason=errors.read_text().strip() or f"exit {done.returncode}",
            )
        deadline = time.monotonic() + 5.0
        while True:
            try:
                pid = int(pidfile.read_text().split()[0])
                break
            except (OSError, ValueError, IndexError):
                if time.monotonic() > deadline:
                    raise DhcpDeviceError(
                        command=" ".join(command[:6]) + " ...",
                        reason=f"no pid in {pidfile}",
                    ) from None
                time.sleep(0.01)
        LOG.info("started dnsmasq %d in %s", pid, netns)
        return pid

    def _stop(self, pid: int) -> None:
        processes.stop(pid)

    def remove(self, change: Change) -> None:
        """Stop dnsmasq, unplug the DHCP port, delete the namespace and files."""
        network_id = change.network_id
        pid = change.pid if change.pid is not None else self.running_pid(network_id)
        if pid is not None:
            self._stop(pid)
        if change.unplug:
            self._unplug(change.unplug)
        netns = self.layout.namespace(network_id)
        if netns in self._namespaces():
            self._ip("netns", "del", netns)
        directory = self.layout.files(network_id).directory
        if directory.is_dir():
            for entry in directory.iterdir():
                entry.unlink()
            directory.rmdir()
