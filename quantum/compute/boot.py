# SPDX-License-Identifier: Apache-2.0
"""The whole flow for a namespace "VM" on a (simulated) hypervisor.

``boot``: the guest's namespace, its ports (one bulk request), one veth per NIC
plugged into the integration bridge (``eth0``, ``eth1``... in the guest), the guest's
NICs configured from the network info as a DHCP client would (address, MTU, default
route through the first NIC's gateway, no TX checksum offload: the userspace datapath
leaves it unfinished), then the wait until the agents report every port ACTIVE. Any
failure on the way undoes all of it (VIFs, ports, the namespace if it made it) before
the error is raised.

``delete``: unplug and delete every port of the instance, then its namespace.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Sequence

from quantum.client import errors
from quantum.compute.network import ComputeNetwork, Instance, Nic, VifInfo
from quantum.core.families import QuantumError

LOG = logging.getLogger(__name__)


def nic_name(index: int) -> str:
    return f"eth{index}"


def configure_guest(
    net: ComputeNetwork, netns: str, vif: VifInfo, nic: str, *, default_route: bool
) -> None:
    """What the guest does with its NIC (here, from the network info)."""
    devices = net.hypervisor.devices
    if vif.mtu:
        devices.ip_in(netns, "link", "set", "dev", nic, "mtu", str(vif.mtu))
    for fixed in vif.fixed_ips:
        devices.ip_in(netns, "addr", "replace", fixed.interface, "dev", nic)
    if default_route and vif.gateway:
        devices.ip_in(netns, "route", "replace", "default", "via", vif.gateway)
    if shutil.which("ethtool"):
        devices.in_netns(netns, "ethtool", "-K", nic, "tx", "off", check=False)


def boot(
    net: ComputeNetwork,
    instance: Instance,
    nics: Sequence[Nic],
    *,
    netns: str,
    timeout: float,
    timings: dict[str, float] | None = None,
) -> list[VifInfo]:
    """Boot the instance's networking in ``netns``; its VIFs, all ACTIVE.

    ``timings`` (if given) gets the seconds each step took: ``allocate``, ``plug``
    (with the guest's configuration) and ``wait``."""
    devices = net.hypervisor.devices
    clock = timings if timings is not None else {}
    made_netns = devices.ensure_netns(netns)
    try:
        began = time.monotonic()
        vifs = net.allocate_for_instance(instance, nics)
        allocated = time.monotonic()
        for index, vif in enumerate(vifs):
            net.plug(vif, instance, netns=netns, peer=nic_name(index))
            configure_guest(net, netns, vif, nic_name(index), default_route=index == 0)
        plugged = time.monotonic()
        net.wait_until_active([v.port_id for v in vifs], timeout)
        clock.update(
            allocate=allocated - began,
            plug=plugged - allocated,
            wait=time.monotonic() - plugged,
        )
    except BaseException:
        _undo(net, instance.id, netns if made_netns else None)
        raise
    return vifs


def _undo(net: ComputeNetwork, instance_id: str, netns: str | None) -> None:
    try:
        net.deallocate_for_instance(instance_id)
    except (QuantumError, errors.ClientError) as error:
        LOG.error("undoing the boot of %s: %s", instance_id, error)
    if netns is not None:
        try:
            net.hypervisor.devices.delete_netns(netns)
        except QuantumError as error:
            LOG.error("undoing the boot of %s: %s", instance_id, error)


def delete(
    net: ComputeNetwork,
    instance_id: str,
    *,
    netns: str | None,
    timings: dict[str, float] | None = None,
) -> list[str]:
    """Unplug and delete the instance's ports, then delete ``netns``; the port ids.

    ``timings`` (if given) gets the seconds of ``deallocate`` and ``netns``."""
    clock = timings if timings is not None else {}
    began = time.monotonic()
    try:
        return net.deallocate_for_instance(instance_id)
    finally:
        deallocated = time.monotonic()
        if netns is not None:
            net.hypervisor.devices.delete_netns(netns)
        clock.update(
            deallocate=deallocated - began, netns=time.monotonic() - deallocated
        )
