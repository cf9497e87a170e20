# SPDX-License-Identifier: Apache-2.0
"""Plug a VIF into its network's Linux bridge: the compute side's half of the Linux
Bridge back-end (``binding:vif_type`` ``bridge``).

Plugging makes the VIF's device (a veth pair whose peer, the VM's NIC with the port's
MAC, goes into the "VM"'s namespace, or a tap a hypervisor opens), both ends with the
network's MTU, then the network's bridge ``brq`` + the network id's first 11
characters if it is missing (with the same MTU), and enslaves the device to it, up.
The Linux Bridge agent does the rest (it is not built yet): it adds the network's
physical, VLAN or VXLAN interface to the bridge and reports the port up. Until it
has, the VIFs on one bridge reach each other and nothing else.

Unplugging removes the device, then deletes its bridge if, and only if, the bridge
is empty: a ``brq`` Linux bridge with no interface enslaved to it. A bridge that
holds anything else (another VM's device, the interface the agent added) stays, and
so does a bridge not named ``brq…`` (one an operator made).

Both are idempotent. The bridges of one host are changed under one lock (a file
lock per host namespace, ``LOCK_DIR``), so that an unplug that finds a bridge empty
and deletes it cannot race a plug enslaving a new device into it; a bridge that
another process made meanwhile ("File exists") is used as it is.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from quantum.compute.devices import Devices, check_name
from quantum.compute.vif import Plugged, PortOnOtherBridge, Vif

BRIDGE_PREFIX = "brq"
NETWORK_ID_CHARS = 11
LOCK_DIR = Path("/run/lock/quantum-vif")
"""Where the per-host lock files live (``brq.lock``, ``brq@<host netns>.lock``)."""


def bridge_name(network_id: str) -> str:
    """A network's bridge: ``brq`` + the network id's first 11 characters."""
    try:
        return check_name(BRIDGE_PREFIX + network_id[:NETWORK_ID_CHARS])
    except ValueError as error:
        raise ValueError(
            f"cannot derive a bridge name from network id {network_id!r} ({error}); "
            "name the bridge explicitly"
        ) from None


def lock_path(lock_dir: Path, host_netns: str | None) -> Path:
    name = BRIDGE_PREFIX if host_netns is None else f"{BRIDGE_PREFIX}@{host_netns}"
    return lock_dir / f"{name}.lock"


@contextlib.contextmanager
def _bridges_locked(lock_dir: Path, host_netns: str | None) -> Iterator[None]:
    lock_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path(lock_dir, host_netns), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # NOTE: releases the lock


@dataclass(frozen=True, slots=True)
class Unplugged:
    device: str
    removed: bool
    """Whether there was a device to remove."""
    bridge: str | None
    """The bridge it was on (or was named), if any."""
    bridge_deleted: bool
    """Whether the bridge was left empty and deleted."""


def plug(
    vif: Vif,
    *,
    bridge: str,
    mtu: int | None = None,
    devices: Devices | None = None,
    lock_dir: Path = LOCK_DIR,
) -> Plugged:
    """Make ``vif``'s device (with ``mtu``), and ``bridge`` if missing (with the
    same MTU), and enslave the device to it. ``PortOnOtherBridge`` if the device
    is already a port of another bridge (it is left as it is)."""
    check_name(bridge)
    devices = devices or Devices()
    if vif.netns is None:
        created = devices.ensure_tap(vif.device, mtu)
    else:
        created = devices.ensure_veth(vif.device, vif.peer, vif.netns, vif.mac, mtu)
    with _bridges_locked(lock_dir, devices.host_netns):
        found = None if created else devices.link(vif.device)
        master = found.get("master") if found else None
        if master is not None and master != bridge:
            raise PortOnOtherBridge(device=vif.device, actual=master, bridge=bridge)
        devices.ensure_bridge(bridge, mtu)
        if master is None:
            devices.enslave(vif.device, bridge)
    return Plugged(device=vif.device, bridge=bridge, ofport=None, created=created)


def unplug(
    device: str,
    *,
    bridge: str | None = None,
    devices: Devices | None = None,
    lock_dir: Path = LOCK_DIR,
) -> Unplugged:
    """Remove ``device``, then its bridge if that is left empty (see the module's
    docstring). ``bridge``: the bridge it must be on (None: whichever it is on);
    named, it is also deleted when empty after an unplug that found no device."""
    devices = devices or Devices()
    with _bridges_locked(lock_dir, devices.host_netns):
        found = devices.link(device)
        master = found.get("master") if found else None
        if bridge is not None and master is not None and master != bridge:
            raise PortOnOtherBridge(device=device, actual=master, bridge=bridge)
        if found is not None:
            devices.delete(device)
        on = master or bridge
        deleted = on is not None and _delete_if_empty(devices, on)
    return Unplugged(
        device=device, removed=found is not None, bridge=on, bridge_deleted=deleted
    )


def _delete_if_empty(devices: Devices, bridge: str) -> bool:
    if not bridge.startswith(BRIDGE_PREFIX):
        return False
    found = devices.link(bridge)
    if found is None or found.get("linkinfo", {}).get("info_kind") != "bridge":
        return False
    if devices.bridge_ports(bridge):
        return False
    devices.delete(bridge)
    return True
