# SPDX-License-Identifier: Apache-2.0
"""Plug a VIF into an Open vSwitch bridge the way a compute service's OVS driver does.

Plugging creates the device (a veth pair whose peer goes into the "VM"'s network
namespace, or a tap a hypervisor opens) and adds it to the integration bridge in one
OVSDB transaction, with the ``external_ids`` the OVS agent looks for:

* ``iface-id``: the name the server knows the VIF by. Either front door works: a v1
  attachment id (the compute service plugs its VIF uuid as the attachment) or a v2
  port id (ARCHITECTURE §1); this module does not care which.
* ``attached-mac``: the MAC the VM uses on this VIF.
* ``iface-status``: ``active``.
* ``vm-uuid``: the instance the VIF belongs to.

A new port is an access port of the dead VLAN (4095, ``tables.DEAD_VLAN``), the
VLAN the agent isolates ports in: br-int forwards nothing from or to it until the
agent has wired the port (its network's local VLAN and a forwarding flow), so a VIF
plugged while the agent is stopped or the server unreachable carries no traffic.

Both operations are idempotent: plugging twice leaves one port with the latest
values (and the tag the agent gave it); unplugging what is not there succeeds.
Plugging does not need ovs-vswitchd to be running: it waits up to ``timeout`` for
the port's ofport and otherwise reports it pending (ovs-vswitchd picks the port
up when it is back).
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from quantum.agent.ovs import tables
from quantum.compute.devices import Devices, check_name, check_netns
from quantum.core.families import Conflict, NotFound, QuantumError

DEFAULT_OVSDB = "unix:/var/run/openvswitch/db.sock"
DEFAULT_BRIDGE = "br-int"
DEVICE_PREFIX = "tap"
DEVICE_ID_CHARS = 11
_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
_OVSDB_METHODS = ("unix:", "tcp:", "ssl:")
DEAD_VLAN = tables.DEAD_VLAN
"""The access VLAN a new port is plugged into: the agent's isolation VLAN."""


class BridgeNotFound(NotFound):
    template = "bridge {bridge} does not exist"

    bridge: str


class PortOnOtherBridge(Conflict):
    template = "port {device} is on bridge {actual}, not {bridge}"

    device: str
    actual: str
    bridge: str


class DeviceTaken(Conflict):
    template = "device {device} already carries iface id {other}, not {iface_id}"

    device: str
    other: str | None
    iface_id: str


class InterfaceFailed(QuantumError):
    template = "Open vSwitch could not use {device}: {reason}"

    device: str
    reason: str


@contextlib.contextmanager
def _eventlet_probe_fails() -> Iterator[None]:
    """Import ``quantum.compute.switch`` (the ``ovs`` library) inside this.

    PERF: the ``ovs`` library imports eventlet only to ask whether it has
    monkey-patched ``select``; importing eventlet (its DNS modules, cryptography)
    is two thirds of a plug's 0.3 s of imports. Unless this process has imported
    eventlet, the answer is no: the probe fails fast, and eventlet stays importable.
    """
    blocked = "eventlet" not in sys.modules
    if blocked:
        sys.modules["eventlet"] = None  # type: ignore[assignment]  # NOTE: see above
    try:
        yield
    finally:
        if blocked and sys.modules.get("eventlet", False) is None:
            del sys.modules["eventlet"]


def normalize_mac(value: str) -> str:
    """Return a unicast MAC as ``aa:bb:cc:dd:ee:ff`` or raise ValueError."""
    mac = value.strip().lower().replace("-", ":")
    if not _MAC.match(mac):
        raise ValueError(f"{value!r} is not a MAC address (aa:bb:cc:dd:ee:ff)")
    if int(mac[:2], 16) & 1:
        raise ValueError(f"{value!r} is a multicast MAC; a VIF needs a unicast one")
    return mac


def check_id(value: str, what: str) -> str:
    """An external id value: non-empty, printable, without white space."""
    if not value or not value.isprintable() or any(c.isspace() for c in value):
        raise ValueError(
            f"{what} {value!r} must be non-empty, printable, without white space"
        )
    return value


def check_ovsdb(remote: str) -> str:
    if not remote.startswith(_OVSDB_METHODS) or remote in _OVSDB_METHODS:
        raise ValueError(
            f"OVSDB remote {remote!r} must look like unix:/path, "
            "tcp:host:port or ssl:host:port"
        )
    return remote


def device_name(iface_id: str) -> str:
    """The host-side device for a VIF: ``tap`` + the id's first 11 characters."""
    try:
        return check_name(DEVICE_PREFIX + iface_id[:DEVICE_ID_CHARS])
    except ValueError as error:
        raise ValueError(
            f"cannot derive a device name from iface id {iface_id!r} ({error}); "
            "name the device explicitly"
        ) from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Vif:
    """One virtual interface as the compute service plugs it.

    ``netns`` set: a veth pair, ``device`` on the bridge and ``peer`` (the VM's NIC,
    carrying ``mac``) in ``netns``. ``netns`` unset: a tap named ``device``.
    """

    iface_id: str
    mac: str
    instance_id: str
    device: str
    netns: str | None = None
    peer: str = "eth0"

    def __post_init__(self) -> None:
        check_id(self.iface_id, "iface id")
        check_id(self.instance_id, "instance id")
        if normalize_mac(self.mac) != self.mac:
            raise ValueError(f"MAC {self.mac!r} is not normalized")
        check_name(self.device)
        check_name(self.peer)
        if self.netns is not None:
            check_netns(self.netns)

    @property
    def external_ids(self) -> dict[str, str]:
        return {
            "iface-id": self.iface_id,
            "attached-mac": self.mac,
            "iface-status": "active",
            "vm-uuid": self.instance_id,
        }


@dataclass(frozen=True, slots=True)
class Plugged:
    device: str
    bridge: str
    ofport: int | None
    """Assigned by ovs-vswitchd; ``None`` when it did not answer in time."""
    created: bool
    """Whether this call created the device (False: it was already there)."""


def plug(
    vif: Vif,
    *,
    ovsdb: str = DEFAULT_OVSDB,
    bridge: str = DEFAULT_BRIDGE,
    timeout: float = 10.0,
    devices: Devices | None = None,
    tag: int | None = DEAD_VLAN,
    wait_ofport: bool = True,
) -> Plugged:
    """Create ``vif``'s device and add it to ``bridge`` with its external ids.

    ``tag``: the access VLAN a new port gets (the dead VLAN; None: untagged, and
    an existing port loses its tag, in the same transaction). ``wait_ofport``
    False: return without waiting for ovs-vswitchd to give the port an ofport
    (``ofport`` is then None, and an interface vswitchd cannot use is not
    reported): for callers that never use the ofport, as the L3 agent.
    """
    with _eventlet_probe_fails():
        from quantum.compute import switch  # NOTE: on use; see its docstring
    check_ovsdb(ovsdb)
    devices = devices or Devices()
    with switch.open_switch(ovsdb, timeout) as ovs:
        exists, actual, interface = ovs.look(bridge, vif.device)
        if not exists:
            raise BridgeNotFound(bridge=bridge)
        if actual is not None and actual != bridge:
            raise PortOnOtherBridge(device=vif.device, actual=actual, bridge=bridge)
        # NOTE: derived names keep 11 characters of the id; two ids sharing them
        # must not take over each other's port.
        ids = switch.map_values(interface["external_ids"]) if interface else {}
        other = None if actual is None else ids.get("iface-id")
        if other not in (None, vif.iface_id):
            raise DeviceTaken(device=vif.device, other=other, iface_id=vif.iface_id)
        if vif.netns is None:
            created = devices.ensure_tap(vif.device)
        else:
            created = devices.ensure_veth(vif.device, vif.peer, vif.netns, vif.mac)
        if actual is None:
            # NOTE: into the dead VLAN (by default), so the port carries nothing
            # (not even as a trunk of every local VLAN) until the agent has wired it.
            ovs.add_port(bridge, vif.device, vif.external_ids, tag)
        elif interface is not None:
            untag = vif.device if tag is None else None
            ovs.set_external_ids(interface["_uuid"][1], vif.external_ids, untag)
        if not wait_ofport:
            return Plugged(
                device=vif.device, bridge=bridge, ofport=None, created=created
            )
        assigned = ovs.wait_for_ofport(vif.device, timeout)
        ofport = None if assigned is None else assigned[0]
        if assigned is not None and ofport == -1:
            raise InterfaceFailed(device=vif.device, reason=assigned[1])
    return Plugged(device=vif.device, bridge=bridge, ofport=ofport, created=created)


def unplug(
    device: str,
    *,
    ovsdb: str = DEFAULT_OVSDB,
    bridge: str | None = DEFAULT_BRIDGE,
    timeout: float = 10.0,
    devices: Devices | None = None,
) -> bool:
    """Remove port ``device`` from ``bridge`` (any bridge if None), then the device.

    Returns whether there was anything to remove.
    """
    with _eventlet_probe_fails():
        from quantum.compute import switch  # NOTE: on use; see its docstring
    check_ovsdb(ovsdb)
    devices = devices or Devices()
    with switch.open_switch(ovsdb, timeout) as ovs:
        _, actual, _ = ovs.look(bridge or "", device)
        if actual is not None and bridge is not None and actual != bridge:
            raise PortOnOtherBridge(device=device, actual=actual, bridge=bridge)
        if actual is not None:
            ovs.del_port(actual, device)
    removed = devices.remove(device)
    return actual is not None or removed
