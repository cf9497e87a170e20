# SPDX-License-Identifier: Apache-2.0
"""The DHCP agent's kind of the agent skeleton (``quantum.agent.loop``).

* **heartbeat**: ``POST /agent/v1/dhcp/hosts/{host}`` with the agent's
  configuration and counts of what it serves (``/v2.0/agents`` shows them).
* **observe**: the driver's view of every ``qdhcp-`` namespace and state directory.
* **desired**: the networks the server scheduled to this agent (``POST .../state``;
  the server makes their DHCP ports first), each turned into a ``model.Network``.
  A network told without a DHCP port (none can be made yet, or no subnet has DHCP)
  is not served, so its namespace goes. One the model refuses (the server sent
  something inconsistent) is *left as it runs*, neither changed nor removed, and
  logged.
* **plan**: the device layer's pure planner (``plan.plan``): a change of ports,
  addresses, gateway, routes or DNS reaches dnsmasq by a reload (SIGHUP), never a
  restart; a network no longer told loses its dnsmasq, port device and namespace.
* **apply**: the driver; one network failing does not stop the others (the round
  then fails and the next is a full resync).
* **report**: the ports whose host entries are now in a dnsmasq (the files
  written, dnsmasq started or told to re-read them) and were not reported yet, so
  the server lifts their DHCP provisioning block and they can turn ACTIVE
  (``plugins.dhcp.provisioning``: a VM is started only then, and its first
  DHCPDISCOVER is answered). The DHCP ports are reported UP by the OVS agent that
  wires them; the heartbeat carries the counts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from quantum.agent.dhcp import plan as planner
from quantum.agent.dhcp.model import (
    DEFAULT_DOMAIN,
    DEFAULT_LEASE_TIME,
    MIN_LEASE_TIME,
    DhcpPort,
    FixedIp,
    HostRoute,
    Ipv6Mode,
    Network,
    Port,
    Subnet,
)
from quantum.agent.dhcp.plan import Desired, Layout, Plan, Running
from quantum.agent.loop import AgentLoop, Timing
from quantum.agentapi.dhcp import messages as msg

LOG = logging.getLogger(__name__)

AGENT_VERSION = "quantum-dhcp-agent"


class Server(Protocol):
    """The agent API calls the kind needs (``agentapi.dhcp.client.DhcpClient``)."""

    def register(self, report: msg.AgentReport) -> int: ...
    def desired_state(self) -> msg.DhcpState: ...
    def report_provisioned(self, port_ids: Sequence[str]) -> None: ...


class Devices(Protocol):
    """The device layer (``driver.Driver``)."""

    layout: Layout

    def observe(self) -> dict[str, Running]: ...
    def apply(self, result: Plan, desired: Desired) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class DhcpConfig:
    host: str
    dhcp_domain: str = DEFAULT_DOMAIN
    dhcp_lease_time: int = DEFAULT_LEASE_TIME
    heartbeat_interval: float = 10.0
    resync_interval: float = 60.0


@dataclass(frozen=True, slots=True)
class DhcpDesired:
    """The networks to plan, and those left as they run (``kept``)."""

    networks: Desired
    kept: frozenset[str] = frozenset()
    admin_state_up: bool = True


@dataclass(slots=True)
class _Memory:
    counts: Mapping[str, int] = field(default_factory=dict)
    admin_state_up: bool = True
    lease_time: int | None = None
    planned: Desired = field(default_factory=Desired)
    """The networks the last plan was made for (``apply`` serves them)."""
    provisioned: frozenset[str] = frozenset()
    """The ports reported provisioned (and still served)."""


def _fixed(given: msg.PortInfo) -> tuple[FixedIp, ...]:
    return tuple(
        FixedIp(subnet_id=i.subnet_id, ip_address=i.ip_address) for i in given.fixed_ips
    )


def _mode(value: str | None) -> Ipv6Mode | None:
    return None if value is None else Ipv6Mode(value)  # NOTE: ValueError if unknown


def lease_time(config: DhcpConfig, answer: msg.DhcpState) -> int:
    """How long leases last: the server's hold of released addresses
    (``dhcp_lease_duration``) when it says, so that no address is given to another
    port while a VM may hold it; never under dnsmasq's minimum."""
    if answer.lease_duration is None:
        return config.dhcp_lease_time
    return max(MIN_LEASE_TIME, answer.lease_duration)


def network_from_server(
    given: msg.NetworkInfo, config: DhcpConfig, lease: int | None = None
) -> Network | None:
    """The device layer's network, None when it has no DHCP port to serve from;
    raises ``ValueError`` when it is inconsistent."""
    if given.dhcp_port is None:
        return None
    subnets = tuple(
        Subnet(
            id=s.id,
            cidr=s.cidr,
            gateway_ip=s.gateway_ip,
            enable_dhcp=s.enable_dhcp,
            dns_nameservers=s.dns_nameservers,
            host_routes=tuple(
                HostRoute(destination=r.destination, nexthop=r.nexthop)
                for r in s.host_routes
            ),
            ipv6_ra_mode=_mode(s.ipv6_ra_mode),
            ipv6_address_mode=_mode(s.ipv6_address_mode),
        )
        for s in given.subnets
    )
    dhcp = given.dhcp_port
    return Network(
        id=given.id,
        subnets=subnets,
        ports=tuple(
            Port(
                id=p.id,
                mac_address=p.mac_address,
                fixed_ips=_fixed(p),
                device_owner=p.device_owner,
            )
            for p in given.ports
        ),
        dhcp_port=DhcpPort(
            id=dhcp.id,
            mac_address=dhcp.mac_address,
            fixed_ips=_fixed(dhcp),
            device_id=dhcp.device_id,
        ),
        domain=config.dhcp_domain,
        mtu=given.mtu,
        lease_time=config.dhcp_lease_time if lease is None else lease,
        admin_state_up=given.admin_state_up,
    )


def desired_from_server(config: DhcpConfig, answer: msg.DhcpState) -> DhcpDesired:
    networks: dict[str, Network] = {}
    kept: set[str] = set()
    lease = lease_time(config, answer)
    for given in answer.networks:
        try:
            network = network_from_server(given, config, lease)
        except ValueError as error:
            LOG.error("network %s left as it runs: %s", given.id, error)
            kept.add(given.id)
            continue
        if network is None:
            LOG.info("network %s: no DHCP port (yet): not served", given.id)
            continue
        networks[given.id] = network
    return DhcpDesired(
        networks=Desired(MappingProxyType(networks)),
        kept=frozenset(kept),
        admin_state_up=answer.admin_state_up,
    )


def counts(desired: Desired) -> dict[str, int]:
    """What ``/v2.0/agents`` shows in ``configurations`` (Grizzly's names)."""
    served = [n for n in desired.networks.values() if n.serves]
    return {
        "networks": len(served),
        "subnets": sum(len(n.dhcp_subnets) for n in served),
        "ports": sum(len(n.ports) for n in served),
    }


def provisioned_ports(desired: Desired) -> frozenset[str]:
    """The ports of the networks served: once a plan for ``desired`` is applied,
    dnsmasq has their host entries."""
    return frozenset(
        port.id
        for network in desired.networks.values()
        if network.serves
        for port in network.ports
    )


def _timings(clock: Mapping[str, float], end: float, ports: int) -> str:
    """A round's steps in ms, and when it began (epoch seconds): what
    ``bench/dhcp.py`` reads back from the log."""
    steps = ("observe", "state", "plan", "apply", "report")
    marks = [clock[step] for step in steps] + [end]
    spent = " ".join(
        f"{step}={(marks[i + 1] - marks[i]) * 1000:.1f}ms"
        for i, step in enumerate(steps)
    )
    return f"began={clock['began']:.3f} {spent} provisioned={ports}"


class DhcpKind:
    """The DHCP agent's part of the loop (``quantum.agent.loop.Kind``)."""

    def __init__(self, config: DhcpConfig, server: Server, devices: Devices) -> None:
        self.config = config
        self.server = server
        self.devices = devices
        self.memory = _Memory()
        self.clock: dict[str, float] = {}
        """When the current round's steps began (``_timings``)."""

    def heartbeat(self) -> None:
        config = self.config
        self.server.register(
            msg.AgentReport(
                agent_version=AGENT_VERSION,
                configurations={
                    "dhcp_driver": "dnsmasq",
                    "use_namespaces": True,
                    "dhcp_lease_time": self.memory.lease_time or config.dhcp_lease_time,
                    "dhcp_domain": config.dhcp_domain,
                    "networks": 0,
                    "subnets": 0,
                    "ports": 0,
                    **self.memory.counts,
                },
            )
        )

    def local_token(self) -> int:
        """A dnsmasq that dies is found by the next full resync (or round)."""
        return 0

    def observe(self) -> dict[str, Running]:
        self.clock = {"began": time.time(), "observe": time.monotonic()}
        return self.devices.observe()

    def desired(self, observed: Mapping[str, Running]) -> DhcpDesired:
        self.clock["state"] = time.monotonic()
        answer = self.server.desired_state()
        self.clock["plan"] = time.monotonic()
        desired = desired_from_server(self.config, answer)
        self.memory.lease_time = lease_time(self.config, answer)
        if desired.admin_state_up != self.memory.admin_state_up:
            LOG.warning(
                "an administrator %s this host's DHCP agent",
                "enabled" if desired.admin_state_up else "disabled",
            )
            self.memory.admin_state_up = desired.admin_state_up
        self.memory.counts = counts(desired.networks)
        return desired

    def plan(
        self, desired: DhcpDesired, observed: Mapping[str, Running], *, full: bool
    ) -> Plan:
        actual = {k: v for k, v in observed.items() if k not in desired.kept}
        self.memory.planned = desired.networks
        return planner.plan(desired.networks, actual, self.devices.layout)

    def apply(self, plan: Plan, observed: Mapping[str, Running]) -> None:
        self.clock["apply"] = time.monotonic()
        if not plan.is_empty:
            self.devices.apply(plan, self.memory.planned)

    def report(
        self,
        plan: Plan,
        desired: DhcpDesired,
        observed: Mapping[str, Running],
        *,
        full: bool,
        heartbeat: bool,
    ) -> None:
        changed = [f"{c.network_id} {c.action}" for c in plan.changes if not c.is_empty]
        if changed:
            LOG.info("networks changed: %s", ", ".join(changed))
        served = provisioned_ports(desired.networks)
        new = sorted(served - self.memory.provisioned)
        self.clock["report"] = time.monotonic()
        if new:
            self.server.report_provisioned(new)
        self.memory.provisioned = served
        if changed or new:
            LOG.info("round %s", _timings(self.clock, time.monotonic(), len(new)))


class DhcpAgent(AgentLoop[Mapping[str, Running], DhcpDesired, Plan]):
    """The DHCP agent: the skeleton's loop over ``DhcpKind``."""

    def __init__(self, config: DhcpConfig, server: Server, devices: Devices) -> None:
        self.config = config
        super().__init__(
            DhcpKind(config, server, devices),
            Timing(
                heartbeat_interval=config.heartbeat_interval,
                resync_interval=config.resync_interval,
            ),
        )
