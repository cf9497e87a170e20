# SPDX-License-Identifier: Apache-2.0
"""``plan(desired, actual) -> Plan``: what the DHCP agent must change, as data.

Pure: no processes, no namespaces, no files. The driver applies a plan idempotently;
observing and planning again from the result gives a plan of ``KEEP`` only.

Rules, per network:

* A network the agent serves (``Network.serves``: up, a subnet with DHCP) has a
  namespace, the DHCP port's device in it (plugged into the integration bridge with
  ``iface-id`` = the port id), the port's addresses on its DHCP subnets, the hosts
  and options files as ``render`` makes them, and one live dnsmasq with the
  rendered arguments.
* dnsmasq is **reloaded** (SIGHUP: it re-reads both files and keeps its leases,
  its sockets and its pid) when only the files change: a port added, removed or
  given another address, a subnet's gateway, routes or DNS servers changed.
* It is **restarted** only when its arguments or its interface's addresses must
  change (a DHCP subnet added or removed, IPv6 modes, domain, lease time, MTU of
  the advertisements, the DHCP port's addresses), and **started** when none runs
  (never started, or it died).
* A network no longer served (DHCP off on every subnet, network down or gone, or
  not hosted by this agent) loses its dnsmasq, its device and port, its
  namespace and its files.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from quantum.agent.dhcp import render
from quantum.agent.dhcp.model import Network

NAMESPACE_PREFIX = "qdhcp-"
DEVICE_CHARS = 11
"""Both ends of the DHCP port's veth keep this much of the port id (IFNAMSIZ)."""


def host_device(port_id: str) -> str:
    """The DHCP port's device on the integration bridge: ``tap<port id[:11]>``."""
    return "tap" + port_id[:DEVICE_CHARS]


def ns_device(port_id: str) -> str:
    """The DHCP port's device inside the namespace, where dnsmasq listens."""
    return "ns-" + port_id[:DEVICE_CHARS]


def host_device_of(ns_name: str) -> str:
    """The bridge-side end of namespace device ``ns_name``."""
    return "tap" + ns_name.removeprefix("ns-")


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a network's things live on this host."""

    state_dir: Path
    """``<state_path>/dhcp``: one directory per network."""
    namespace_prefix: str = NAMESPACE_PREFIX

    def namespace(self, network_id: str) -> str:
        return self.namespace_prefix + network_id

    def files(self, network_id: str) -> render.Files:
        return render.Files(self.state_dir / network_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Running:
    """What the host shows of one network (observed by the driver).

    ``pid`` is a live dnsmasq whose pid file is the network's and whose command
    line names that pid file (after an agent restart, the one to adopt);
    ``argv`` its arguments. ``hosts``/``opts`` are the files' contents (None:
    missing). ``device`` is the ``ns-…`` device found in the namespace, with its
    MAC and global addresses.
    """

    network_id: str
    namespace: bool = False
    device: str | None = None
    device_mac: str | None = None
    addresses: frozenset[str] = frozenset()
    pid: int | None = None
    argv: tuple[str, ...] = ()
    hosts: str | None = None
    opts: str | None = None


class Action(enum.StrEnum):
    KEEP = "keep"
    RELOAD = "reload"
    START = "start"
    RESTART = "restart"
    REMOVE = "remove"


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """What to do for one network, applied in this order: (un)plug, addresses,
    files, then the process action."""

    network_id: str
    action: Action
    plug: bool = False
    """Create the namespace and plug the DHCP port's device (idempotent)."""
    unplug: str | None = None
    """An ``ns-…`` device to remove first (another DHCP port's), or on REMOVE."""
    add_addresses: tuple[str, ...] = ()
    remove_addresses: tuple[str, ...] = ()
    hosts: str | None = None
    """New content of the hosts file (None: unchanged)."""
    opts: str | None = None
    argv: tuple[str, ...] = ()
    """dnsmasq's arguments (for START and RESTART)."""
    pid: int | None = None
    """The running dnsmasq (RELOAD, RESTART, REMOVE)."""

    @property
    def is_empty(self) -> bool:
        return self.action is Action.KEEP and not (
            self.plug
            or self.unplug
            or self.add_addresses
            or self.remove_addresses
            or self.hosts is not None
            or self.opts is not None
        )


@dataclass(frozen=True, slots=True)
class Plan:
    changes: tuple[Change, ...]

    @property
    def is_empty(self) -> bool:
        return all(change.is_empty for change in self.changes)

    def of(self, network_id: str) -> Change | None:
        return next((c for c in self.changes if c.network_id == network_id), None)


@dataclass(frozen=True, slots=True)
class Desired:
    """The networks this agent hosts, by id (served or not)."""

    networks: Mapping[str, Network] = field(
        default_factory=lambda: MappingProxyType({})
    )


def _remove(running: Running) -> Change:
    return Change(
        network_id=running.network_id,
        action=Action.REMOVE,
        unplug=running.device,
        pid=running.pid,
    )


def _serve(network: Network, running: Running, layout: Layout) -> Change:
    port = network.dhcp_port
    device = ns_device(port.id)
    files = layout.files(network.id)
    argv = render.dnsmasq_args(network, files, device)
    hosts = render.hosts_file(network)
    opts = render.opts_file(network)
    wanted = frozenset(render.interface_addresses(network))
    stale_device = running.device if running.device not in (None, device) else None
    fresh = stale_device is not None or running.device_mac != port.mac_address
    plug = not running.namespace or running.device != device or fresh
    current = frozenset() if plug else running.addresses
    add = tuple(sorted(wanted - current))
    remove = tuple(sorted(current - wanted))
    if running.pid is None:
        action = Action.START
    elif running.argv != argv or plug or add or remove:
        action = Action.RESTART
    elif running.hosts != hosts or running.opts != opts:
        action = Action.RELOAD
    else:
        action = Action.KEEP
    return Change(
        network_id=network.id,
        action=action,
        plug=plug,
        unplug=stale_device,
        add_addresses=add,
        remove_addresses=remove,
        hosts=hosts if running.hosts != hosts else None,
        opts=opts if running.opts != opts else None,
        argv=argv,
        pid=running.pid,
    )


def plan(desired: Desired, actual: Mapping[str, Running], layout: Layout) -> Plan:
    """The changes from ``actual`` (by network id) to ``desired``, by network id."""
    changes = []
    for network_id in sorted(set(desired.networks) | set(actual)):
        network = desired.networks.get(network_id)
        running = actual.get(network_id, Running(network_id=network_id))
        if network is None or not network.serves:
            if network_id in actual:
                changes.append(_remove(running))
            continue
        changes.append(_serve(network, running, layout))
    return Plan(tuple(changes))
