# SPDX-License-Identifier: Apache-2.0
"""``plan(desired, actual) -> Plan``: what the L3 agent must change, as data.

Pure: no processes, no namespaces. The driver applies a plan idempotently;
observing and planning again from the result gives an empty plan.

Rules, per router:

* A router the agent hosts and that is up has a namespace with IPv4 (and IPv6)
  forwarding on, one ``qr-`` device per interface and a ``qg-`` device for its
  gateway (plugged again when missing or carrying another MAC), exactly the
  rendered addresses, routes and rules of our iptables chains. Devices of ports
  the router no longer has are unplugged.
* Only what differs is changed: an address or route is added or removed alone,
  so traffic through the rest does not notice; the iptables chains are
  reloaded (one commit per table) only when their rules differ from the
  rendered ones or a built-in chain lacks its jump.
* Every IPv4 address the plan adds (the gateway's, a floating IP, an
  interface's) is announced by gratuitous ARP once it is in place, so
  neighbours that cached another MAC for it learn the router's.
* A router with IPv6 subnets whose ``ipv6_ra_mode`` is set runs one radvd in
  its namespace with the rendered configuration (``render.radvd_config``):
  started when none runs (the first time, or it died), reloaded (its file
  rewritten, SIGHUP) when the configuration differs, left alone when it is the
  same (an agent restart adopts it), stopped when nothing is advertised.
* A router no longer hosted (deleted, down, or scheduled elsewhere) loses its
  devices (unplugged from their bridges), its radvd and its namespace, which
  takes its addresses, routes and rules along.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from quantum.agent.l3 import render
from quantum.agent.l3.model import Router

NAMESPACE_PREFIX = "qrouter-"
DEVICE_PREFIXES = ("qr-", "qg-")


class Bridge(enum.StrEnum):
    INTEGRATION = "integration"
    EXTERNAL = "external"


@dataclass(frozen=True, slots=True, kw_only=True)
class Device:
    """A ``qr-``/``qg-`` device as the host shows it."""

    mac: str | None = None
    addresses: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class Running:
    """What the host shows of one router (observed by the driver)."""

    router_id: str
    namespace: bool = False
    forwarding: bool = False
    devices: Mapping[str, Device] = field(default_factory=lambda: MappingProxyType({}))
    routes: frozenset[render.RouteEntry] = frozenset()
    iptables: render.Saved | None = None
    radvd_pid: int | None = None
    """The router's live radvd (None: none runs)."""
    radvd_config: str | None = None
    """Its configuration file's text (None: no file)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Plug:
    """Plug port ``port_id`` as ``device`` (namespace end) into ``bridge``."""

    device: str
    port_id: str
    mac: str
    bridge: Bridge


class Radvd(enum.StrEnum):
    """What to do with the router's radvd."""

    NONE = "none"
    START = "start"
    """Write the configuration and start it (stopping a stale one first)."""
    RELOAD = "reload"
    """Rewrite the configuration, SIGHUP the running one."""
    STOP = "stop"
    """Stop it (if it runs) and remove its files."""


class Action(enum.StrEnum):
    KEEP = "keep"
    APPLY = "apply"
    REMOVE = "remove"


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    """What to do for one router, applied in this order: namespace and
    forwarding, unplug, plug, addresses (removed, then added), routes (removed,
    then added), iptables, radvd, gratuitous ARP."""

    router_id: str
    action: Action
    create_namespace: bool = False
    forwarding: bool = False
    """Switch forwarding on in the namespace."""
    unplug: tuple[str, ...] = ()
    """Namespace devices to remove (their bridge ends go with them)."""
    plug: tuple[Plug, ...] = ()
    remove_addresses: tuple[tuple[str, str], ...] = ()
    add_addresses: tuple[tuple[str, str], ...] = ()
    """(device, ``<ip>/<prefix>``)."""
    remove_routes: tuple[render.RouteEntry, ...] = ()
    add_routes: tuple[render.RouteEntry, ...] = ()
    iptables: str | None = None
    """``iptables-restore --noflush`` input (None: the chains are right)."""
    radvd: Radvd = Radvd.NONE
    radvd_config: str | None = None
    """What radvd's configuration file is to hold (START, RELOAD)."""
    radvd_pid: int | None = None
    """The radvd running (RELOAD, STOP)."""
    announce: tuple[tuple[str, str], ...] = ()
    """(device, IPv4 address) to announce by gratuitous ARP."""


@dataclass(frozen=True, slots=True)
class Plan:
    changes: tuple[Change, ...]

    @property
    def is_empty(self) -> bool:
        return all(change.action is Action.KEEP for change in self.changes)

    def of(self, router_id: str) -> Change | None:
        return next((c for c in self.changes if c.router_id == router_id), None)


@dataclass(frozen=True, slots=True)
class Desired:
    """The routers this agent hosts, by id (up or not)."""

    routers: Mapping[str, Router] = field(default_factory=lambda: MappingProxyType({}))


def _plain(rules: render.Rules) -> dict[str, dict[str, tuple[str, ...]]]:
    return {table: dict(chains) for table, chains in rules.items() if chains}


def _ports(router: Router) -> list[Plug]:
    plugs = [
        Plug(
            device=render.internal_device(i.port_id),
            port_id=i.port_id,
            mac=i.mac_address,
            bridge=Bridge.INTEGRATION,
        )
        for i in router.interfaces
    ]
    if router.gateway is not None:
        plugs.append(
            Plug(
                device=render.gateway_device(router.gateway.port_id),
                port_id=router.gateway.port_id,
                mac=router.gateway.mac_address,
                bridge=Bridge.EXTERNAL,
            )
        )
    return plugs


def _radvd(router: Router, running: Running) -> tuple[Radvd, str | None]:
    wanted = render.radvd_config(router)
    if wanted is None:
        if running.radvd_pid is not None or running.radvd_config is not None:
            return Radvd.STOP, None
        return Radvd.NONE, None
    if running.radvd_pid is None or not running.namespace:
        return Radvd.START, wanted
    if running.radvd_config != wanted:
        return Radvd.RELOAD, wanted
    return Radvd.NONE, None


def _route(router: Router, running: Running) -> Change:
    ports = _ports(router)
    wanted_devices = {p.device for p in ports}
    plug = tuple(
        p
        for p in ports
        if p.device not in running.devices
        or running.devices[p.device].mac != p.mac
        or not running.namespace
    )
    unplug = tuple(sorted(set(running.devices) - wanted_devices))
    wanted_addresses = render.addresses(router)
    add: list[tuple[str, str]] = []
    remove: list[tuple[str, str]] = []
    for device in sorted(wanted_devices):
        have = running.devices.get(device, Device()).addresses
        want = wanted_addresses.get(device, frozenset())
        remove.extend((device, a) for a in sorted(have - want))
        add.extend((device, a) for a in sorted(want - have))
    wanted_routes = render.routes(router)
    add_routes = tuple(sorted(wanted_routes - running.routes))
    remove_routes = tuple(sorted(running.routes - wanted_routes))
    wanted_rules = render.rules(router)
    saved = running.iptables
    missing = frozenset(render.HOOKS) - (saved.jumps if saved else frozenset())
    iptables = None
    if saved is None or missing or _plain(saved.rules) != _plain(wanted_rules):
        iptables = render.restore_input(wanted_rules, missing)
    radvd, radvd_config = _radvd(router, running)
    announce = tuple(
        (device, address.split("/")[0])
        for device, address in add
        if ipaddress.ip_interface(address).version == 4
    )
    changed = bool(
        not running.namespace
        or not running.forwarding
        or plug
        or unplug
        or add
        or remove
        or add_routes
        or remove_routes
        or iptables is not None
        or radvd is not Radvd.NONE
    )
    return Change(
        router_id=router.id,
        action=Action.APPLY if changed else Action.KEEP,
        create_namespace=not running.namespace,
        forwarding=not running.forwarding,
        unplug=unplug,
        plug=plug,
        remove_addresses=tuple(remove),
        add_addresses=tuple(add),
        remove_routes=remove_routes,
        add_routes=add_routes,
        iptables=iptables,
        radvd=radvd,
        radvd_config=radvd_config,
        radvd_pid=running.radvd_pid,
        announce=announce,
    )


def plan(desired: Desired, actual: Mapping[str, Running]) -> Plan:
    """The changes from ``actual`` (by router id) to ``desired``, by router id."""
    changes = []
    for router_id in sorted(set(desired.routers) | set(actual)):
        router = desired.routers.get(router_id)
        running = actual.get(router_id, Running(router_id=router_id))
        if router is None or not router.admin_state_up:
            if router_id in actual:
                changes.append(
                    Change(
                        router_id=router_id,
                        action=Action.REMOVE,
                        unplug=tuple(sorted(running.devices)),
                        radvd_pid=running.radvd_pid,
                    )
                )
            continue
        changes.append(_route(router, running))
    return Plan(tuple(changes))
