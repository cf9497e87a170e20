# SPDX-License-Identifier: Apache-2.0
"""The whole flow for a namespace "VM" on a (simulated) hypervisor.

``boot``: the guest's namespace, its ports (one bulk request), one veth per NIC
plugged as its port's ``binding:vif_type`` says, into the integration bridge (``ovs``)
or the network's Linux bridge (``bridge``) (``eth0``, ``eth1``... in the guest, no TX
checksum offload: the userspace datapath leaves it unfinished), then the wait until
the agents report every port ACTIVE, then the guest configures its NICs:

* by **DHCP** (``guest="dhcp"``, or ``"auto"`` for a NIC whose IPv4 addresses are
  all on DHCP-enabled subnets of a network a live DHCP agent serves): the guest's
  DHCP client (busybox ``udhcpc``) asks,
  as a VM's OS does once it runs, and gets the address, MTU, routes and (first NIC)
  default route; the leased address must be the port's. A port is ACTIVE only once
  its DHCP agent has it too, so the first DISCOVER is answered;
* **statically** (``"static"``, or ``"auto"`` without DHCP) from the network info,
  before the wait: address, MTU, default route through the first NIC's gateway.

Any failure on the way undoes all of it (VIFs, ports, the namespace if it made it)
before the error is raised.

``delete``: unplug and delete every port of the instance, then its namespace.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from quantum.client import errors
from quantum.compute.devices import DeviceError
from quantum.compute.network import (
    ComputeNetwork,
    GuestDhcpFailed,
    Instance,
    Nic,
    VifInfo,
)
from quantum.core.families import QuantumError

LOG = logging.getLogger(__name__)

GUEST_MODES = ("auto", "dhcp", "static")
"""How the guest configures its NICs (see the module's docstring)."""

UDHCPC_SCRIPT = """#!/bin/sh
# quantum-vif boot: busybox udhcpc's event script (busybox ships none). It applies
# the lease to the guest's NIC and prints it on one line.
case "$1" in
deconfig)
    ip link set dev "$interface" up
    ip -4 addr flush dev "$interface"
    ;;
bound|renew)
    [ -n "$mtu" ] && ip link set dev "$interface" mtu "$mtu"
    ip -4 addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    set -- $staticroutes
    while [ $# -ge 2 ]; do
        if [ "$1" != 0.0.0.0/0 ] || [ "$QUANTUM_DEFAULT_ROUTE" = 1 ]; then
            ip route replace "$1" via "$2" dev "$interface"
        fi
        shift 2
    done
    if [ -z "$staticroutes" ] && [ -n "$router" ] && [ "$QUANTUM_DEFAULT_ROUTE" = 1 ]
    then
        ip route replace default via "${router%% *}" dev "$interface"
    fi
    echo "lease ip=$ip mask=$mask router=$router mtu=$mtu"
    ;;
esac
exit 0
"""
DHCP_TRIES = 5
"""DISCOVERs the guest's client sends, a second apart, before it gives up."""


def nic_name(index: int) -> str:
    return f"eth{index}"


def by_dhcp(vif: VifInfo, guest: str) -> bool:
    """Whether the guest asks DHCP for ``vif``'s IPv4 address."""
    return guest == "dhcp" or (guest == "auto" and vif.dhcp)


def configure_guest(
    net: ComputeNetwork,
    netns: str,
    vif: VifInfo,
    nic: str,
    *,
    default_route: bool,
    dhcp: bool = False,
) -> None:
    """What the guest does with its NIC before it runs: everything from the network
    info, or (``dhcp``) only its IPv6 addresses, the rest left to its DHCP client."""
    devices = net.hypervisor.devices
    if shutil.which("ethtool"):
        devices.in_netns(netns, "ethtool", "-K", nic, "tx", "off", check=False)
    if dhcp:
        devices.ip_in(netns, "link", "set", "dev", nic, "up")
    if vif.mtu and not dhcp:
        devices.ip_in(netns, "link", "set", "dev", nic, "mtu", str(vif.mtu))
    for fixed in vif.fixed_ips:
        if not (dhcp and fixed.version == 4):
            devices.ip_in(netns, "addr", "replace", fixed.interface, "dev", nic)
    if default_route and vif.gateway and not dhcp:
        devices.ip_in(netns, "route", "replace", "default", "via", vif.gateway)


def ask_dhcp(
    net: ComputeNetwork, netns: str, vif: VifInfo, nic: str, *, default_route: bool
) -> str:
    """The guest's DHCP client (busybox ``udhcpc``) gets and applies the NIC's
    lease; the address. ``GuestDhcpFailed`` without a lease, or with an address
    the port does not have."""
    if shutil.which("busybox") is None:
        raise GuestDhcpFailed(nic=nic, reason="busybox (udhcpc) is not installed")
    with tempfile.TemporaryDirectory(prefix="quantum-vif-") as scratch:
        script = Path(scratch) / "udhcpc-event"
        script.write_text(UDHCPC_SCRIPT)
        script.chmod(0o755)
        try:
            out = net.hypervisor.devices.output_in(
                netns, "env", f"QUANTUM_DEFAULT_ROUTE={int(default_route)}",
                "busybox", "udhcpc", "-i", nic, "-f", "-q", "-n",
                "-t", str(DHCP_TRIES), "-T", "1", "-A", "1",
                "-O", "mtu", "-O", "staticroutes", "-s", str(script),
            )  # fmt: skip
        except DeviceError as error:
            raise GuestDhcpFailed(nic=nic, reason=f"no lease: {error}") from error
    leased = [
        word.removeprefix("ip=")
        for line in out.splitlines()
        if line.startswith("lease ")
        for word in line.split()
        if word.startswith("ip=")
    ]
    wanted = [f.address for f in vif.fixed_ips if f.version == 4]
    if not leased or leased[-1] not in wanted:
        raise GuestDhcpFailed(
            nic=nic, reason=f"leased {leased[-1:] or 'nothing'}, the port has {wanted}"
        )
    return leased[-1]


def boot(
    net: ComputeNetwork,
    instance: Instance,
    nics: Sequence[Nic],
    *,
    netns: str,
    timeout: float,
    timings: dict[str, float] | None = None,
    guest: str = "auto",
) -> list[VifInfo]:
    """Boot the instance's networking in ``netns``; its VIFs, all ACTIVE, the
    guest configured (``guest``: one of ``GUEST_MODES``).

    ``timings`` (if given) gets the seconds each step took: ``allocate``, ``plug``
    (with the guest's static configuration), ``wait`` and ``dhcp`` (the guest's
    DHCP clients)."""
    devices = net.hypervisor.devices
    clock = timings if timings is not None else {}
    made_netns = devices.ensure_netns(netns)
    try:
        began = time.monotonic()
        vifs = net.allocate_for_instance(instance, nics)
        allocated = time.monotonic()
        for index, vif in enumerate(vifs):
            net.plug(vif, instance, netns=netns, peer=nic_name(index))
            configure_guest(
                net,
                netns,
                vif,
                nic_name(index),
                default_route=index == 0,
                dhcp=by_dhcp(vif, guest),
            )
        plugged = time.monotonic()
        net.wait_until_active([v.port_id for v in vifs], timeout)
        active = time.monotonic()
        for index, vif in enumerate(vifs):
            if by_dhcp(vif, guest):
                ask_dhcp(net, netns, vif, nic_name(index), default_route=index == 0)
        clock.update(
            allocate=allocated - began,
            plug=plugged - allocated,
            wait=active - plugged,
            dhcp=time.monotonic() - active,
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
