# SPDX-License-Identifier: Apache-2.0
"""The core plugin contract: per-domain services.

A core plugin owns the logical model (networks, their subnets and ports, the
attachment plugged into a port, quotas) and offers it as services, one per domain:
``plugin.networks``, ``plugin.subnets``, ``plugin.ports``, ``plugin.quotas``. Both
API doors call the same services, so each invariant has one write path: v2.0 through
the uniform ``Service`` shape, v1 through each service's "v1 door" calls, which take
the tenant of the URL and see only that tenant's networks. The API layer calls them
with plain typed values and receives the ``quantum.core`` domain dataclasses back; it
never sees HTTP. Service plugins (``service_plugins``, ``quantum.plugins.services``)
add further services by name; back-ends plug in below the services as one
``quantum.plugins.mechanism.Mechanism``.

Rules every implementation keeps:

* **Tenancy.** Every call names the tenant (v1) or the caller's ``Scope`` (v2.0). A
  network the caller may not see is ``NetworkNotFound``, exactly like a network that
  does not exist. For v1 port calls the network is checked first: a bad network wins
  over a bad port.
* **Errors.** Only ``quantum.core.exceptions`` errors are raised on purpose; each method
  lists the ones it may raise. Anything else is a bug and becomes a 500.
* **Atomicity.** A call either does all it says or nothing. Invariants that concurrent
  calls could break (quotas; an attachment id is plugged into at most one port in the
  whole service; a port holds at most one attachment; a network with a plugged port
  cannot be deleted; an address belongs to one port) are enforced by the store, not
  by read-then-write in Python.
* **Blocking.** Calls may block on the store; they must not block on agents or
  switches. Agents reconcile toward the store; nothing runs after commit.
* **Validation.** Values arrive validated for type and length by the API layer
  (``quantum.core.text.NAME_MAX``); the plugin validates against state only.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Protocol, TypeVar, runtime_checkable

from quantum.core.agents import Agent, AgentHost, AgentUpdate, HostState, PortCounters
from quantum.core.dhcp import DhcpHostState, DhcpLease
from quantum.core.feed import Topic
from quantum.core.l3_agents import L3HostState
from quantum.core.listing import ListQuery
from quantum.core.networks import Network, NetworkCreate, NetworkUpdate
from quantum.core.ports import Port, PortCreate, PortUpdate
from quantum.core.quotas import QuotaResource
from quantum.core.scope import Scope
from quantum.core.status import OpStatus
from quantum.core.subnets import Subnet
from quantum.ipam.requests import SubnetRequest, SubnetUpdate

Item = TypeVar("Item", covariant=True)
Create = TypeVar("Create", contravariant=True)
Change = TypeVar("Change", contravariant=True)


class Service(Protocol[Item, Create, Change]):
    """The uniform shape of a per-domain service (``plugin.networks`` ...), which
    the v2 controller calls; member actions are further methods of the service.

    Every call names the caller's ``Scope``. Tenancy: a non-admin scope sees its own
    resources and networks that are shared or external; anything else is NotFound,
    as if it did not exist, and so is a change to a shared network it does not own.
    Each call is one transaction: creates are all-or-nothing (a bulk create too) and
    check quotas in that transaction. Listing: ``ListQuery`` filters (unknown
    attributes ignored), sorts (InvalidInput for a key that is not a column) and
    pages by keyset (MarkerNotFound).
    """

    def list(self, scope: Scope, query: ListQuery) -> Sequence[Item]: ...

    def get(self, scope: Scope, id: str) -> Item:
        """Raises the domain's NotFound."""
        ...

    def create(self, scope: Scope, items: Sequence[Create]) -> Sequence[Item]: ...

    def update(
        self,
        scope: Scope,
        id: str,
        changes: Change,
        authorize: Callable[[Item], None] | None = None,
    ) -> Item:
        """Raises the domain's NotFound; and whatever ``authorize`` raises: it is
        called with the item as it is, in the same transaction, before anything
        changes (the update's policy check)."""
        ...

    def delete(self, scope: Scope, id: str) -> None:
        """Raises the domain's NotFound. A service of items with
        ``revision_number`` also takes ``revisions`` (``If-Match``): it deletes the
        item only at one of them, in the DELETE statement itself, and raises
        RevisionNumberConstraintFailed otherwise (``NetworkStore.delete``)."""
        ...


class NetworkService(Service[Network, NetworkCreate, NetworkUpdate], Protocol):
    """Networks. create raises OverQuota, InvalidInput (provider segment),
    SegmentInUse, NoNetworkAvailable; update NetworkNotFound,
    InvalidSharedSetting; delete NetworkNotFound, NetworkHasPorts (a port other
    than DHCP)."""

    # -- the v1 door: the tenant's own networks, never another's (shared or not) --

    def create_owned(self, tenant_id: str, name: str | None) -> Network:
        """Through ``create`` (quota, segment): raises OverQuota,
        NoNetworkAvailable."""
        ...

    def list_owned(
        self, tenant_id: str, *, with_ports: bool = False
    ) -> Sequence[Network]:
        """The tenant's networks, oldest first; ``ports`` filled when asked."""
        ...

    def get_owned(
        self, tenant_id: str, network_id: str, *, with_ports: bool = False
    ) -> Network:
        """Raises NetworkNotFound."""
        ...

    def rename_owned(self, tenant_id: str, network_id: str, name: str | None) -> None:
        """Raises NetworkNotFound."""
        ...

    def delete_owned(self, tenant_id: str, network_id: str) -> None:
        """Delete the network and its unplugged ports. Raises NetworkNotFound, or
        NetworkInUse (and deletes nothing) when any port has an attachment."""
        ...


class PortService(Service[Port, PortCreate, PortUpdate], Protocol):
    """Ports. get, update, delete raise PortNotFound; create NetworkNotFound,
    NotAuthorized, OverQuota, MacAddressInUse, MacAddressGenerationFailure;
    delete L3PortInUse (the owner guard). Who may set which attribute is policy,
    the API's. A deleted
    port's pool addresses are held for ``dhcp_lease_duration``
    (docs/architecture.md, "IP addresses")."""

    # -- the v1 door: ports on the tenant's own network, and their attachment ------

    def list_on_network(self, tenant_id: str, network_id: str) -> Sequence[Port]:
        """The network's ports, oldest first. Raises NetworkNotFound."""
        ...

    def get_on_network(self, tenant_id: str, network_id: str, port_id: str) -> Port:
        """Raises NetworkNotFound, PortNotFound."""
        ...

    def create_on_network(
        self, tenant_id: str, network_id: str, *, admin_state_up: bool
    ) -> Port:
        """As ``create_on_networks`` for one network."""
        ...

    def create_on_networks(
        self, tenant_id: str, network_ids: Sequence[str], *, admin_state_up: bool
    ) -> Sequence[Port]:
        """One unplugged port on each network, all or none, through ``create``
        (quota, addresses). Raises NetworkNotFound (the first network that is not
        the tenant's), OverQuota, MacAddressGenerationFailure."""
        ...

    def set_state_on_network(
        self, tenant_id: str, network_id: str, port_id: str, *, admin_state_up: bool
    ) -> None:
        """Raises NetworkNotFound, PortNotFound."""
        ...

    def delete_on_network(self, tenant_id: str, network_id: str, port_id: str) -> None:
        """Through the one delete path (owner guard, addresses held). Raises
        NetworkNotFound, PortNotFound, PortInUse (the port has an attachment),
        L3PortInUse."""
        ...

    def plug(
        self, tenant_id: str, network_id: str, port_id: str, attachment_id: str
    ) -> None:
        """Plug an interface id into the port.

        Raises NetworkNotFound, PortNotFound, PortInUse (the port already holds an
        attachment, whichever), AlreadyAttached (the id is plugged into another port
        anywhere in the service; AttachedToAnotherTenant, which names no port, when
        that port is another tenant's), checked in that order.
        """
        ...

    def unplug(self, tenant_id: str, network_id: str, port_id: str) -> None:
        """Unplug; a no-op on an empty port. Raises NetworkNotFound, PortNotFound."""
        ...


class SubnetService(Service[Subnet, SubnetRequest, SubnetUpdate], Protocol):
    """Subnets: own ones and those of shared networks (all, for an admin). create
    is all or nothing and raises InvalidInput (CIDR, gateway, overlap...), the
    allocation-pool errors, DNSNameServersExhausted, HostRoutesExhausted,
    NetworkNotFound, NotAuthorized (another tenant's network), OverQuota; delete
    SubnetNotFound, SubnetInUse (a port other than DHCP has an address from it;
    held addresses do not count, nor a port's automatic EUI-64 address on a SLAAC
    or DHCPv6-stateless subnet unless a service owns the port: the delete drops
    those addresses and bumps their ports' revision)."""


class QuotaService(Protocol):
    """Per-tenant limits (admin only at the API)."""

    def limits(self, tenant_id: str) -> dict[QuotaResource, int]:
        """The tenant's limits: configured defaults merged with its overrides."""
        ...

    def overrides(self) -> dict[str, dict[QuotaResource, int]]:
        """Every tenant with an override, with its limits."""
        ...

    def defaults(self) -> dict[QuotaResource, int]:
        """The configured limits, which a tenant without overrides has."""
        ...

    def usage(self, tenant_id: str) -> dict[QuotaResource, int]:
        """What the tenant owns of each resource its quota limits."""
        ...

    def update(
        self,
        tenant_id: str,
        limits: Mapping[QuotaResource, int],
        *,
        check_limit: bool = False,
    ) -> dict[QuotaResource, int]:
        """Raises QuotaBelowUsage when ``check_limit`` and a non-negative limit is
        below what the tenant owns (nothing is then written)."""
        ...

    def reset(self, tenant_id: str) -> None: ...


@runtime_checkable
class CoreServices(Protocol):
    """The per-domain services of a core plugin (read-only: each is one object for
    the plugin's life)."""

    @property
    def networks(self) -> NetworkService: ...

    @property
    def subnets(self) -> SubnetService: ...

    @property
    def ports(self) -> PortService: ...

    @property
    def quotas(self) -> QuotaService: ...


@runtime_checkable
class CorePlugin(CoreServices, Protocol):
    """What ``core_plugin`` names: the services, and the service around them."""

    supported_extension_aliases: Sequence[str]
    """Aliases of the API extensions this plugin implements; only these are exposed."""

    def check_health(self) -> None:
        """One cheap indexed read of the store. Raises ServiceUnavailable."""
        ...

    def close(self) -> None:
        """Release connections; the plugin is not used afterwards."""
        ...


@runtime_checkable
class ServicePlugin(Protocol):
    """What ``service_plugins`` names (L3 routers and load balancing will be such):
    ``factory(settings, core)`` builds it with the core plugin, whose services it may
    call, and it contributes further services by name, each in the shape of
    ``Service`` plus its member actions. It writes its own tables through its own
    ``Database`` or the core's; the core's invariants stay the core services'."""

    supported_extension_aliases: Sequence[str]
    """Aliases of the API extensions its services implement."""

    def services(self) -> Mapping[str, object]:
        """Service name (the collection it serves, e.g. ``routers``) -> service.
        A name the core or another service plugin already gives stops the start."""
        ...

    def close(self) -> None:
        """Release what it holds; it is not used afterwards."""
        ...


@runtime_checkable
class AgentStateSource(Protocol):
    """What a plugin offers to serve the agent API (``quantum/agentapi``).

    Optional: only a plugin that can tell agents where each network lives (its
    segments) implements it; the agent API answers 404 under any other plugin. Agents
    are trusted (they hold the shared secret), so no call names a tenant. Each call
    is one transaction and may block on the store only.
    """

    def current_revision(self) -> int:
        """The store revision as committed now: one cheap indexed read. Every
        committed change of desired state leaves it greater than before."""
        ...

    def wait_for_revision(
        self, since: int, timeout: float, topics: Collection[Topic] | None = None
    ) -> int:
        """The store revision (with ``topics``: that of the last write to one of
        them) once it is greater than ``since``, or as it is after ``timeout``
        seconds (the change feed's long-poll). Blocks on the store and on a
        wake-up from writes committed in this process."""
        ...

    def report_host(self, host: AgentHost) -> int:
        """Record the host's tunnel endpoint and heartbeat (``last_seen`` = now);
        returns the revision. Bumps the revision only when what other agents see
        changes (a new host, a moved endpoint)."""
        ...

    def host_state(self, host: str, iface_ids: Collection[str]) -> HostState:
        """The desired state of ``host``: the ports whose attachment is one of
        ``iface_ids`` (with their segments and binding hosts) and the other
        registered hosts' endpoints (alive or not: liveness never tears down
        forwarding). The revision is read first, so the state is at least that new.
        A port bound to no host is bound to ``host`` first (a conditional write: of
        two hosts, one wins; the other is told the port is bound to the winner, and
        must not wire it)."""
        ...

    def set_port_status(
        self,
        port_id: str,
        status: OpStatus,
        *,
        host: str | None = None,
        reason: str = "",
    ) -> None:
        """Record the op-status the agent of ``host`` observed, and why a DOWN port
        is down; an unknown port is ignored. A host the port is not bound to
        (``binding:host_id``) cannot make it UP, nor DOWN while it is UP."""
        ...

    def record_port_counters(self, host: str, counters: Sequence[PortCounters]) -> None:
        """Record the interface counters the agent of ``host`` read from the switch;
        unknown ports are ignored. Bumps no revision."""
        ...

    def wait_for_port_status(
        self, port_ids: Collection[str], until: OpStatus, timeout: float
    ) -> Mapping[str, OpStatus]:
        """Port id -> op-status (DOWN while admin-down) of those ports that exist,
        once every one of them is ``until`` or one is gone, or as they are after
        ``timeout`` seconds (the compute service's long-poll: a status report
        committed in this process or a sibling worker ends it at once, one through
        another server is seen within ``quantum.db.session.REVISION_POLL``)."""
        ...


@runtime_checkable
class DhcpStateSource(Protocol):
    """What a plugin offers the DHCP agents over the agent API (optional, like
    ``AgentStateSource``; today the Open vSwitch plugin's)."""

    def dhcp_state(self, host: str) -> DhcpHostState:
        """What the DHCP agent of ``host`` serves (``core.dhcp``). Schedules first
        (networks needing DHCP to live, enabled DHCP agents; networks off agents
        dead for ``agent_down_time``), then creates, mends or deletes the agent's
        DHCP ports (writes through the ports service, so they bump the revision),
        then reads the state, revision first."""
        ...

    def dhcp_ports_provisioned(self, host: str, port_ids: Sequence[str]) -> int:
        """The DHCP agent of ``host`` has these ports' host entries in dnsmasq:
        lift their DHCP provisioning block (a port an agent has wired becomes UP;
        ``plugins.dhcp.provisioning``). Ports it does not serve, or that wait for
        nothing, are ignored; how many waited."""
        ...

    def dhcp_leases(self, host: str, leases: Sequence[DhcpLease]) -> int:
        """Record the leases the DHCP agent of ``host`` read from its dnsmasq, on
        the networks it serves: an address's lease end, which a release holds it
        at least until, and the hold of an address released before its lease was
        renewed (``ipam.store.record_leases``). How many addresses moved."""
        ...


@runtime_checkable
class DhcpAgentScheduler(Protocol):
    """What a plugin with DHCP agents offers the ``dhcp_agent_scheduler``
    extension (spec §5.9, admin only). Each call is one transaction."""

    def dhcp_networks_of_agent(self, agent_id: str) -> Sequence[str]:
        """Ids of the networks the agent serves. Raises AgentNotFound."""
        ...

    def dhcp_agents_of_network(self, network_id: str) -> Sequence[str]:
        """Ids of the DHCP agents serving the network. Raises NetworkNotFound."""
        ...

    def add_network_to_dhcp_agent(self, agent_id: str, network_id: str) -> None:
        """Raises AgentNotFound, InvalidDHCPAgent, NetworkNotFound,
        NetworkHostedByDHCPAgent."""
        ...

    def remove_network_from_dhcp_agent(self, agent_id: str, network_id: str) -> None:
        """Raises AgentNotFound, NetworkNotHostedByDhcpAgent."""
        ...


@runtime_checkable
class AgentAdmin(Protocol):
    """What a plugin whose agents report to it offers ``/v2.0/agents`` (admin only).

    Optional, like ``AgentStateSource``: other plugins have no agents to show. Each
    call is one transaction. ``alive`` is computed at read time from the last
    heartbeat and ``agent_down_time``; nothing else depends on it.
    """

    def list_agents(self, query: ListQuery) -> Sequence[Agent]:
        """A page of the agents (filters ``id``, ``host``, ``agent_type``,
        ``alive``)."""
        ...

    def get_agent(self, agent_id: str) -> Agent:
        """Raises AgentNotFound."""
        ...

    def update_agent(
        self,
        agent_id: str,
        changes: AgentUpdate,
        authorize: Callable[[Agent], None],
    ) -> Agent:
        """Change ``admin_state_up`` and ``description``, after ``authorize`` saw
        the agent (in the transaction; it raises to refuse). Turning
        ``admin_state_up`` off takes the host out of scheduling and tells its agent
        (the revision is bumped); it never stops forwarding. Raises AgentNotFound."""
        ...

    def delete_agent(self, agent_id: str) -> None:
        """Remove the agent and its host's tunnel endpoint (the other agents take
        their tunnels to it down); its next heartbeat registers it again. Raises
        AgentNotFound."""
        ...


UNBOUND = "unbound"
"""``binding:vif_type`` under a plugin that binds no port to a host."""


@runtime_checkable
class PortBinder(Protocol):
    """A plugin whose agents wire ports on hosts; ``vif_type`` is what they plug
    (``binding:vif_type``, spec §5.7: ``ovs``, ``bridge``...)."""

    vif_type: str


@runtime_checkable
class RouterHosting(Protocol):
    """What the L3 service plugin offers the L3 agents over the agent API (the
    service ``l3_agents``). Agents are trusted (they hold the shared secret), so no
    call names a tenant. Each call is one or two transactions over the store.
    """

    def report_l3_agent(self, host: AgentHost) -> int:
        """Record the L3 agent of ``host`` and its heartbeat (``/v2.0/agents``
        lists it as an ``L3 agent``); returns the revision."""
        ...

    def l3_host_state(
        self, host: str, router_ids: Collection[str] | None = None
    ) -> L3HostState:
        """The routers scheduled to the L3 agent of ``host`` (those of
        ``router_ids`` only, when given). Routers hosted by no agent are first
        scheduled, each to the least loaded live, enabled L3 agent that serves its
        external network (this one or another: a binding wakes its agent)."""
        ...

    def agents_of_router(self, router_id: str) -> Sequence[str]:
        """The id of the L3 agent hosting the router (none or one)."""
        ...

    def routers_of_agent(self, agent_id: str) -> Sequence[str]:
        """The ids of the routers the agent hosts. Raises AgentNotFound."""
        ...

    def add_router_to_agent(self, agent_id: str, router_id: str) -> None:
        """Host the router on the agent (spec §5.9). Raises AgentNotFound,
        RouterNotFound, InvalidL3Agent, RouterHostedByL3Agent,
        RouterSchedulingFailed."""
        ...

    def remove_router_from_agent(self, agent_id: str, router_id: str) -> None:
        """Take the router off the agent. Raises AgentNotFound,
        RouterNotHostedByL3Agent."""
        ...
