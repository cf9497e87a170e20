# SPDX-License-Identifier: Apache-2.0
"""The L3 agent's kind of the agent skeleton (``quantum.agent.loop``).

* **heartbeat**: ``POST /agent/v1/l3/hosts/{host}`` with the agent's configuration
  and counts of what it runs (``/v2.0/agents`` shows them).
* **observe**: the driver's view of every ``qrouter-`` namespace on the host.
* **desired**: the routers the server scheduled to this host's agent
  (``POST .../state``), each turned into a ``model.Router``. A router this agent
  does not serve (its gateway on another external network than the configured
  one, or no gateway while ``handle_internal_only_routers`` is off) is not
  desired, so its namespace goes. A router the model refuses (the server sent
  something inconsistent) is *left as it runs*, neither changed nor removed, and
  logged; so is everything when the answer cannot be had (the round fails).
* **plan**: the device layer's pure planner over the routers left to plan.
* **apply**: the driver; one router failing does not stop the others (the round
  then fails and the next is a full resync).
* **report**: nothing per round: the qr- ports are reported UP by the OVS agent
  that wires them; the heartbeat carries the counts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Protocol

from quantum.agent.dhcp.model import Ipv6Mode
from quantum.agent.l3 import plan as planner
from quantum.agent.l3.model import (
    Advertised,
    FloatingIp,
    Gateway,
    Interface,
    Route,
    Router,
)
from quantum.agent.l3.plan import Desired, Plan, Running
from quantum.agent.loop import AgentLoop, Timing
from quantum.agentapi.l3 import messages as msg

LOG = logging.getLogger(__name__)

AGENT_VERSION = "quantum-l3-agent"


class Server(Protocol):
    """The agent API calls the kind needs (``agentapi.l3.client.L3Client``)."""

    def register(self, report: msg.L3Report) -> int: ...
    def routers(self, router_ids: Iterable[str] | None = None) -> msg.RouterSet: ...


class Devices(Protocol):
    """The device layer (``driver.Driver``)."""

    def observe(self) -> dict[str, Running]: ...
    def apply(self, result: Plan) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class L3Config:
    host: str
    external_network_bridge: str = "br-ex"
    gateway_external_network_id: str = ""
    """The external network this agent serves ("": whichever a router names)."""
    handle_internal_only_routers: bool = True
    heartbeat_interval: float = 10.0
    resync_interval: float = 60.0


@dataclass(frozen=True, slots=True)
class L3Desired:
    """The routers to plan, and those left as they run (``kept``)."""

    routers: Desired
    kept: frozenset[str] = frozenset()
    admin_state_up: bool = True


@dataclass(slots=True)
class _Memory:
    counts: Mapping[str, int] = field(default_factory=dict)
    admin_state_up: bool = True


def _advertised(given: msg.RouterInterface) -> tuple[Advertised, ...]:
    """The interface's IPv6 subnets whose ``ipv6_ra_mode`` has the router
    advertise (those it has an address on; each once)."""
    networks = {a.network for a in given.addresses}
    found: dict[str, Advertised] = {}
    for subnet in given.subnets:
        if subnet.cidr.version != 6 or subnet.ipv6_ra_mode is None:
            continue
        if subnet.cidr not in networks:
            continue
        found.setdefault(
            str(subnet.cidr),
            Advertised(cidr=str(subnet.cidr), mode=Ipv6Mode(subnet.ipv6_ra_mode)),
        )
    return tuple(found.values())


def _interface(given: msg.RouterInterface) -> Interface | None:
    if not given.addresses:
        return None  # NOTE: a port without an address routes nothing
    return Interface(
        port_id=given.port_id,
        mac_address=given.mac_address,
        addresses=tuple(str(a) for a in given.addresses),
        advertise=_advertised(given),
    )


def _gateway(given: msg.RouterGateway) -> Gateway:
    return Gateway(
        port_id=given.port_id,
        mac_address=given.mac_address,
        address=str(given.address),
        gateway_ip=None if given.gateway_ip is None else str(given.gateway_ip),
        enable_snat=given.enable_snat,
    )


def router_from_server(given: msg.RouterState) -> Router:
    """The device layer's router; raises ``ValueError`` when it is inconsistent.

    Interfaces without an address are left out; so are floating IPs whose fixed
    address is behind no interface and extra routes whose next hop is on no
    subnet of the router (each logged): the rest of the router still runs.
    """
    interfaces = tuple(
        i for i in (_interface(g) for g in given.interfaces) if i is not None
    )
    gateway = None if given.gateway is None else _gateway(given.gateway)
    networks = [n for i in interfaces for n in i.networks]
    reachable = [*networks, *(() if gateway is None else (gateway.network,))]
    routes = []
    for route in given.routes:
        if any(route.nexthop in n for n in reachable):
            routes.append(
                Route(destination=str(route.destination), nexthop=str(route.nexthop))
            )
        else:
            LOG.warning(
                "router %s: route to %s via %s: the next hop is on no subnet "
                "of the router; left out",
                given.id, route.destination, route.nexthop,
            )  # fmt: skip
    floating = []
    for fip in given.floating_ips if gateway is not None else ():
        if any(fip.fixed_ip_address in n for n in networks):
            floating.append(
                FloatingIp(
                    floating_ip_address=str(fip.floating_ip_address),
                    fixed_ip_address=str(fip.fixed_ip_address),
                )
            )
        else:
            LOG.warning(
                "router %s: floating IP %s: %s is behind no interface; left out",
                given.id, fip.floating_ip_address, fip.fixed_ip_address,
            )  # fmt: skip
    return Router(
        id=given.id,
        admin_state_up=given.admin_state_up,
        interfaces=interfaces,
        gateway=gateway,
        routes=tuple(routes),
        floating_ips=tuple(floating),
    )


def serves(config: L3Config, given: msg.RouterState) -> bool:
    """Whether this agent runs ``given`` (Grizzly's rules, ``l3_agent.py``)."""
    if given.gateway is None:
        return config.handle_internal_only_routers
    wanted = config.gateway_external_network_id
    return not wanted or given.gateway.network_id == wanted


def desired_from_server(config: L3Config, answer: msg.RouterSet) -> L3Desired:
    routers: dict[str, Router] = {}
    kept: set[str] = set()
    for given in answer.routers:
        if not serves(config, given):
            LOG.debug("router %s: not for this agent's external network", given.id)
            continue
        try:
            routers[given.id] = router_from_server(given)
        except ValueError as error:
            LOG.error("router %s left as it runs: %s", given.id, error)
            kept.add(given.id)
    return L3Desired(
        routers=Desired(MappingProxyType(routers)),
        kept=frozenset(kept),
        admin_state_up=answer.admin_state_up,
    )


def counts(desired: Desired) -> dict[str, int]:
    """What ``/v2.0/agents`` shows in ``configurations`` (Grizzly's names)."""
    up = [r for r in desired.routers.values() if r.admin_state_up]
    return {
        "routers": len(up),
        "interfaces": sum(len(r.interfaces) for r in up),
        "ex_gw_ports": sum(r.gateway is not None for r in up),
        "floating_ips": sum(len(r.floating_ips) for r in up),
    }


class L3Kind:
    """The L3 agent's part of the loop (``quantum.agent.loop.Kind``)."""

    def __init__(self, config: L3Config, server: Server, devices: Devices) -> None:
        self.config = config
        self.server = server
        self.devices = devices
        self.memory = _Memory()

    def heartbeat(self) -> None:
        config = self.config
        self.server.register(
            msg.L3Report(
                agent_version=AGENT_VERSION,
                configurations={
                    "external_network_bridge": config.external_network_bridge,
                    "gateway_external_network_id": config.gateway_external_network_id,
                    "handle_internal_only_routers": (
                        config.handle_internal_only_routers
                    ),
                    "use_namespaces": True,
                    **self.memory.counts,
                },
            )
        )

    def local_token(self) -> int:
        """Nothing on the host tells of changes: a full resync finds them."""
        return 0

    def observe(self) -> dict[str, Running]:
        return self.devices.observe()

    def desired(self, observed: Mapping[str, Running]) -> L3Desired:
        desired = desired_from_server(self.config, self.server.routers())
        if desired.admin_state_up != self.memory.admin_state_up:
            LOG.warning(
                "an administrator %s this host's L3 agent; its routers run on",
                "enabled" if desired.admin_state_up else "disabled",
            )
            self.memory.admin_state_up = desired.admin_state_up
        self.memory.counts = counts(desired.routers)
        return desired

    def plan(
        self, desired: L3Desired, observed: Mapping[str, Running], *, full: bool
    ) -> Plan:
        actual = {k: v for k, v in observed.items() if k not in desired.kept}
        return planner.plan(desired.routers, actual)

    def apply(self, plan: Plan, observed: Mapping[str, Running]) -> None:
        self.devices.apply(plan)

    def report(
        self,
        plan: Plan,
        desired: L3Desired,
        observed: Mapping[str, Running],
        *,
        full: bool,
        heartbeat: bool,
    ) -> None:
        changed = [c.router_id for c in plan.changes if c.action != planner.Action.KEEP]
        if changed:
            LOG.info("routers changed: %s", ", ".join(changed))


class L3Agent(AgentLoop[Mapping[str, Running], L3Desired, Plan]):
    """The L3 agent: the skeleton's loop over ``L3Kind``."""

    def __init__(self, config: L3Config, server: Server, devices: Devices) -> None:
        self.config = config
        super().__init__(
            L3Kind(config, server, devices),
            Timing(
                heartbeat_interval=config.heartbeat_interval,
                resync_interval=config.resync_interval,
            ),
        )
