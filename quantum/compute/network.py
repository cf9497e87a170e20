# SPDX-License-Identifier: Apache-2.0
"""The compute service's side of an instance's networking (essex-internals §15).

    net = ComputeNetwork(v2.Client(...), AgentClient(url, host=host, secret=...),
                         Hypervisor(host="hv1"))
    vifs = net.allocate_for_instance(Instance("vm-uuid", "tenant"), [Nic(net_id)])
    for index, vif in enumerate(vifs):
        net.plug(vif, instance, netns="vm1", peer=f"eth{index}")
    net.wait_until_active([v.port_id for v in vifs], timeout=30)
    ...
    net.deallocate_for_instance(instance.id)

* ``allocate_for_instance`` makes one v2 port per requested network in ONE bulk
  request (all are made or none): ``device_id`` the instance, ``device_owner``
  ``compute:<zone>``, ``binding:host_id`` this host (admin only: the compute service
  holds admin credentials, as it does with the original's successors), the requested
  fixed IPs, and the instance's security groups (by name or id, the instance's
  project's; none asked: the server gives the project's ``default`` group). It
  returns what the hypervisor needs per VIF (``VifInfo``: MAC, IPs with prefix,
  gateway and DNS servers, MTU, VIF type, bridge, device name). If anything after
  the ports were made fails, it deletes them again.
* ``plug``/``unplug``: by the port's ``binding:vif_type``: ``ovs`` (and ``unbound``,
  a plugin that binds nothing) the OVS VIF driver (``quantum.compute.vif``; the VIF's
  ``iface-id`` is the v2 port id) into the hypervisor's integration bridge;
  ``bridge`` the Linux bridge one (``quantum.compute.linuxbridge``) into the
  network's ``brq`` bridge. Any other type is ``UnsupportedVifType``.
* ``wait_until_active``: returns once the agents have reported every port UP
  (``ACTIVE`` in v2). It waits on the event the server offers for that: the agent
  API's ``GET /ports?id=..&until=UP&wait=S`` long-poll, which a status report ends
  (in the server process that took it at once, through another one within 0.2 s),
  authenticated with the host's agent secret (the compute service runs on the
  hypervisor beside the agent). The caller never polls: each call is one long-poll
  that the server cuts to ``agent_max_wait``.
* ``deallocate_for_instance``: unplugs and deletes every port of the instance on
  every step it can, and says which it could not; a second call finishes the job.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import ip_address, ip_network
from typing import Any

from quantum.agentapi.client import AgentApiError, AgentClient
from quantum.client import errors, v2
from quantum.compute import linuxbridge
from quantum.compute import vif as vifs
from quantum.compute.devices import Devices
from quantum.core.families import Conflict, QuantumError, ServiceUnavailable

LOG = logging.getLogger(__name__)

OWNER_PREFIX = "compute:"
ACTIVE = "ACTIVE"
UP = "UP"
DEFAULT_VIF_TYPE = "ovs"
VIF_OVS = "ovs"
VIF_BRIDGE = "bridge"
PLUGGED_AS_OVS = (VIF_OVS, "unbound")
"""``unbound``: a plugin that binds no port (``fake``); the OVS plug, as ever."""


class ComputeError(QuantumError):
    """What the compute side could not do (its subclasses say what)."""


class AllocationFailed(ComputeError):
    template = "cannot allocate networking for instance {instance}: {reason}"

    instance: str
    reason: str


class UnsupportedVifType(ComputeError):
    template = "{what}: binding:vif_type {vif_type} is not one this host plugs"

    what: str
    vif_type: str


class PortsNotActive(ComputeError):
    template = "ports not ACTIVE after {timeout:g} s: {ports}"

    timeout: float
    ports: str


class PortsGone(Conflict):
    template = "ports deleted while waiting for them: {ports}"

    ports: str


class EventsUnavailable(ServiceUnavailable):
    template = "cannot wait for port status through the agent API: {reason}"

    reason: str


class GuestDhcpFailed(ComputeError):
    template = "the guest's DHCP client on {nic}: {reason}"

    nic: str
    reason: str


class LeftBehind(ComputeError):
    template = "deallocating instance {instance} left behind: {what}"

    instance: str
    what: str


@dataclass(frozen=True, slots=True)
class Instance:
    """The VM: its id (a port's ``device_id``), the project its ports belong to and
    its security groups (names or ids of the project's groups, on every port; None:
    the server's choice, the project's ``default`` group)."""

    id: str
    project_id: str
    zone: str = "nova"
    security_groups: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        vifs.check_id(self.id, "instance id")
        vifs.check_id(self.project_id, "project id")
        vifs.check_id(self.zone, "availability zone")
        for group in self.security_groups or ():
            if not group or not isinstance(group, str):
                raise ValueError(f"security group {group!r}: a name or an id")

    @property
    def device_owner(self) -> str:
        return OWNER_PREFIX + self.zone


@dataclass(frozen=True, slots=True)
class Nic:
    """One requested NIC: a network (id) and, optionally, the address it wants."""

    network_id: str
    fixed_ip: str | None = None

    def __post_init__(self) -> None:
        vifs.check_id(self.network_id, "network id")
        if self.fixed_ip is not None:
            ip_address(self.fixed_ip)  # NOTE: raises ValueError naming it


@dataclass(frozen=True, slots=True)
class FixedIp:
    address: str
    prefixlen: int
    subnet_id: str
    version: int
    gateway: str | None = None
    dns: tuple[str, ...] = ()
    dhcp: bool = False
    """Whether its subnet has DHCP (the guest may ask for the address)."""

    @property
    def interface(self) -> str:
        """``address/prefixlen``, as ``ip addr add`` takes it."""
        return f"{self.address}/{self.prefixlen}"


@dataclass(frozen=True, slots=True)
class VifInfo:
    """What the hypervisor needs to plug one NIC and configure the guest."""

    port_id: str
    network_id: str
    mac: str
    fixed_ips: tuple[FixedIp, ...]
    mtu: int | None
    vif_type: str
    device: str
    """The host-side device: ``tap`` + the port id's first 11 characters."""
    dhcp_served: bool = False
    """Whether a live DHCP agent serves the network (leases can be had)."""
    bridge: str | None = None
    """The bridge the device goes into: the integration bridge (``ovs``), the
    network's ``brq`` + its id's first 11 characters (``bridge``); None for a VIF
    type this host cannot plug."""

    @property
    def gateway(self) -> str | None:
        return next((f.gateway for f in self.fixed_ips if f.gateway), None)

    @property
    def dhcp(self) -> bool:
        """Whether the guest can get this NIC's IPv4 address by DHCP: it has one,
        on a subnet with DHCP, and a live DHCP agent serves the network."""
        v4 = [f for f in self.fixed_ips if f.version == 4]
        return self.dhcp_served and bool(v4) and all(f.dhcp for f in v4)

    def to_json(self) -> dict[str, Any]:
        return {
            "port_id": self.port_id,
            "network_id": self.network_id,
            "mac_address": self.mac,
            "fixed_ips": [
                {
                    "ip_address": f.address,
                    "prefixlen": f.prefixlen,
                    "subnet_id": f.subnet_id,
                    "gateway_ip": f.gateway,
                    "dns_nameservers": list(f.dns),
                    "enable_dhcp": f.dhcp,
                }
                for f in self.fixed_ips
            ],
            "mtu": self.mtu,
            "vif_type": self.vif_type,
            "device": self.device,
            "dhcp_served": self.dhcp_served,
            "bridge": self.bridge,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Hypervisor:
    """Where VIFs are plugged: this host's name (``binding:host_id``), its OVSDB
    and integration bridge, and the namespace holding host-side devices."""

    host: str
    ovsdb: str = vifs.DEFAULT_OVSDB
    bridge: str = vifs.DEFAULT_BRIDGE
    host_netns: str | None = None
    timeout: float = 10.0
    devices: Devices = field(init=False)

    def __post_init__(self) -> None:
        vifs.check_id(self.host, "host")
        vifs.check_ovsdb(self.ovsdb)
        object.__setattr__(self, "devices", Devices(host_netns=self.host_netns))


def _ids(items: Iterable[Mapping[str, Any]]) -> list[str]:
    return [str(item["id"]) for item in items]


class ComputeNetwork:
    """The flow of ``quantum.compute.network``'s docstring over a v2 ``client``
    (admin credentials), this host's ``events`` (the agent API) and ``hypervisor``."""

    def __init__(
        self, client: v2.Client, events: AgentClient | None, hypervisor: Hypervisor
    ) -> None:
        self.client = client
        self.events = events
        self.hypervisor = hypervisor

    # -- allocate -------------------------------------------------------------------

    def allocate_for_instance(
        self, instance: Instance, nics: Sequence[Nic]
    ) -> list[VifInfo]:
        """One port per NIC, made in one request; their ``VifInfo`` in order."""
        if not nics:
            raise AllocationFailed(instance=instance.id, reason="no network requested")
        groups = self._security_groups(instance)
        bodies = []
        for nic in nics:
            body: dict[str, Any] = {
                "network_id": nic.network_id,
                "tenant_id": instance.project_id,
                "device_id": instance.id,
                "device_owner": instance.device_owner,
                "binding:host_id": self.hypervisor.host,
            }
            if nic.fixed_ip is not None:
                body["fixed_ips"] = [{"ip_address": nic.fixed_ip}]
            if groups is not None:
                body["security_groups"] = groups
            bodies.append(body)
        ports = self.client.ports.create_many(bodies)  # NOTE: all or none
        try:
            return self._describe(ports)
        except BaseException as error:
            left = self._delete_ports(_ids(ports))
            if left:
                LOG.error("rollback of %s left ports %s", instance.id, left)
            if isinstance(error, errors.ClientError | QuantumError):
                raise AllocationFailed(
                    instance=instance.id, reason=str(error)
                ) from error
            raise

    def _security_groups(self, instance: Instance) -> list[str] | None:
        """The ids of the instance's groups, each looked up in its project (the
        client is an admin's: it sees every project's ``default``)."""
        if instance.security_groups is None:
            return None
        project = instance.project_id
        names: dict[str, list[str]] = {}
        ids: set[str] = set()
        for g in self.client.security_groups.list(("id", "name"), tenant_id=project):
            ids.add(str(g["id"]))
            names.setdefault(str(g["name"]), []).append(str(g["id"]))
        chosen: list[str] = []
        for wanted in dict.fromkeys(instance.security_groups):
            matches = [wanted] if wanted in ids else sorted(names.get(wanted, ()))
            if not matches:
                reason = f"security group {wanted} not found in project {project}"
                raise AllocationFailed(instance=instance.id, reason=reason)
            if len(matches) > 1:
                reason = (
                    f"security group name {wanted} is ambiguous in project "
                    f"{project}: {', '.join(matches)}"
                )
                raise AllocationFailed(instance=instance.id, reason=reason)
            chosen.extend(matches)
        return chosen

    def _describe(self, ports: Sequence[Mapping[str, Any]]) -> list[VifInfo]:
        net_ids = sorted({str(p["network_id"]) for p in ports})
        subnet_ids = sorted(
            {str(f["subnet_id"]) for p in ports for f in p.get("fixed_ips", [])}
        )
        networks = {str(n["id"]): n for n in self.client.networks.list(id=net_ids)}
        subnets = (
            {str(s["id"]): s for s in self.client.subnets.list(id=subnet_ids)}
            if subnet_ids
            else {}
        )
        served = self._dhcp_served(net_ids)
        described = []
        for port in ports:
            fixed = []
            for entry in port.get("fixed_ips", []):
                subnet = subnets[str(entry["subnet_id"])]
                cidr = ip_network(str(subnet["cidr"]))
                fixed.append(
                    FixedIp(
                        address=str(entry["ip_address"]),
                        prefixlen=cidr.prefixlen,
                        subnet_id=str(subnet["id"]),
                        version=cidr.version,
                        gateway=subnet.get("gateway_ip") or None,
                        dns=tuple(str(d) for d in subnet.get("dns_nameservers") or ()),
                        dhcp=bool(subnet.get("enable_dhcp")),
                    )
                )
            network = networks.get(str(port["network_id"]), {})
            mtu = network.get("mtu")
            vif_type = str(port.get("binding:vif_type") or DEFAULT_VIF_TYPE)
            described.append(
                VifInfo(
                    port_id=str(port["id"]),
                    network_id=str(port["network_id"]),
                    mac=vifs.normalize_mac(str(port["mac_address"])),
                    fixed_ips=tuple(fixed),
                    mtu=int(mtu) if mtu else None,
                    vif_type=vif_type,
                    device=vifs.device_name(str(port["id"])),
                    dhcp_served=served.get(str(port["network_id"]), False),
                    bridge=self._bridge_of(vif_type, str(port["network_id"])),
                )
            )
        return described

    def _bridge_of(self, vif_type: str, network_id: str) -> str | None:
        if vif_type == VIF_BRIDGE:
            return linuxbridge.bridge_name(network_id)
        if vif_type in PLUGGED_AS_OVS:
            return self.hypervisor.bridge
        return None

    def _dhcp_served(self, network_ids: Sequence[str]) -> dict[str, bool]:
        """Network id -> whether a live DHCP agent serves it (False when the
        server does not say: no scheduler extension, or not an admin)."""
        served = {}
        for network_id in network_ids:
            try:
                agents = self.client.networks.dhcp_agents(network_id)
            except errors.ClientError:
                agents = []
            served[network_id] = any(a.get("alive") for a in agents)
        return served

    # -- plug -----------------------------------------------------------------------

    def plug(
        self, vif: VifInfo, instance: Instance, *, netns: str, peer: str = "eth0"
    ) -> vifs.Plugged:
        """Plug ``vif`` as a veth whose end ``peer`` (with the port's MAC) goes into
        the guest's namespace ``netns``, into ``vif.bridge`` as its VIF type says."""
        hv = self.hypervisor
        device = vifs.Vif(
            iface_id=vif.port_id,
            mac=vif.mac,
            instance_id=instance.id,
            device=vif.device,
            netns=netns,
            peer=peer,
        )
        if vif.vif_type == VIF_BRIDGE:
            return linuxbridge.plug(
                device,
                bridge=vif.bridge or linuxbridge.bridge_name(vif.network_id),
                mtu=vif.mtu,
                devices=hv.devices,
            )
        if vif.vif_type not in PLUGGED_AS_OVS:
            raise UnsupportedVifType(what=f"port {vif.port_id}", vif_type=vif.vif_type)
        return vifs.plug(
            device,
            ovsdb=hv.ovsdb,
            bridge=vif.bridge or hv.bridge,
            timeout=hv.timeout,
            devices=hv.devices,
        )

    def unplug(
        self,
        device: str,
        *,
        vif_type: str = DEFAULT_VIF_TYPE,
        network_id: str | None = None,
    ) -> bool:
        """Remove ``device`` (and, for ``bridge``, the network's bridge if that is
        left empty); whether there was anything to remove."""
        hv = self.hypervisor
        if vif_type == VIF_BRIDGE:
            bridge = linuxbridge.bridge_name(network_id) if network_id else None
            gone = linuxbridge.unplug(device, bridge=bridge, devices=hv.devices)
            return gone.removed
        if vif_type not in PLUGGED_AS_OVS:
            raise UnsupportedVifType(what=f"device {device}", vif_type=vif_type)
        return vifs.unplug(
            device,
            ovsdb=hv.ovsdb,
            bridge=hv.bridge,
            timeout=hv.timeout,
            devices=hv.devices,
        )

    # -- wait -----------------------------------------------------------------------

    def wait_until_active(self, port_ids: Sequence[str], timeout: float) -> None:
        """Return once every port is ACTIVE; ``PortsNotActive`` after ``timeout``
        seconds (naming each port's status), ``PortsGone`` if one is deleted."""
        if self.events is None:
            raise EventsUnavailable(reason="no agent API configured")
        wanted = list(dict.fromkeys(port_ids))
        deadline = time.monotonic() + timeout
        while True:
            left = max(deadline - time.monotonic(), 0.0)
            try:
                found = self.events.wait_for_ports(wanted, UP, wait=left)
            except AgentApiError as error:
                raise EventsUnavailable(reason=str(error)) from error
            gone = [p for p in wanted if p not in found]
            if gone:
                raise PortsGone(ports=", ".join(gone))
            if all(found[p] == UP for p in wanted):
                return
            if deadline - time.monotonic() <= 0:
                raise PortsNotActive(
                    timeout=timeout,
                    ports=", ".join(f"{p} {found[p]}" for p in wanted),
                )

    # -- deallocate -----------------------------------------------------------------

    def instance_ports(self, instance_id: str) -> list[dict[str, Any]]:
        """The instance's ports (``device_id``, a ``compute:`` owner)."""
        return [
            p
            for p in self.client.ports.list(device_id=instance_id)
            if str(p.get("device_owner", "")).startswith(OWNER_PREFIX)
        ]

    def deallocate_for_instance(self, instance_id: str) -> list[str]:
        """Unplug every VIF of the instance here and delete its ports; returns the
        port ids deleted. ``LeftBehind`` names what could not be removed (after
        trying everything else)."""
        ports = self.instance_ports(instance_id)
        left: list[str] = []
        for port in ports:
            device = vifs.device_name(str(port["id"]))
            try:
                self.unplug(
                    device,
                    vif_type=str(port.get("binding:vif_type") or DEFAULT_VIF_TYPE),
                    network_id=str(port["network_id"]),
                )
            except QuantumError as error:
                left.append(f"device {device} ({error})")
        left += self._delete_ports(_ids(ports))
        if left:
            raise LeftBehind(instance=instance_id, what="; ".join(left))
        return _ids(ports)

    def _delete_ports(self, port_ids: Sequence[str]) -> list[str]:
        """Delete each port (one already gone counts as deleted); what failed."""
        left = []
        for port_id in port_ids:
            try:
                self.client.ports.delete(port_id)
            except errors.NotFound:
                pass
            except errors.ClientError as error:
                left.append(f"port {port_id} ({error})")
        return left
