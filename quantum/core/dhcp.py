# SPDX-License-Identifier: Apache-2.0
"""DHCP agents and the networks they serve: what the server tells one of them.

A network with a DHCP-enabled subnet is *scheduled* to ``dhcp_agents_per_network``
live, enabled DHCP agents (``network_dhcp_agents``); each of them keeps a dnsmasq
for it behind its own DHCP port (``device_owner`` ``network:dhcp``, ``device_id``
``dhcp_device_id(host, network)``, one address per DHCP-enabled subnet, bound to
the agent's host), which the server creates when the agent asks for its state and
deletes once the network has no DHCP-enabled subnet or leaves the agent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from quantum.core.networks import Network
from quantum.core.ports import Port
from quantum.core.subnets import Subnet

DHCP_OWNER = "network:dhcp"


def dhcp_device_id(host: str, network_id: str) -> str:
    """The ``device_id`` of the DHCP port of ``host``'s agent on the network
    (spec §4.6): stable per host and network."""
    return f"dhcp{uuid.uuid5(uuid.NAMESPACE_DNS, host)}-{network_id}"


def dhcp_device_prefix(host: str) -> str:
    """What every ``device_id`` of ``host``'s DHCP ports starts with."""
    return f"dhcp{uuid.uuid5(uuid.NAMESPACE_DNS, host)}-"


@dataclass(frozen=True, slots=True, kw_only=True)
class DhcpNetwork:
    """A network a DHCP agent serves: its subnets (DHCP-enabled or not, in creation
    order), its ports with their addresses (the DHCP ports too) and this agent's
    DHCP port (None: the network has no DHCP-enabled subnet)."""

    network: Network
    mtu: int | None
    subnets: tuple[Subnet, ...]
    ports: tuple[Port, ...]
    dhcp_port: Port | None


@dataclass(frozen=True, slots=True, kw_only=True)
class DhcpHostState:
    """What the DHCP agent of ``host`` serves, as of ``revision`` (or later).

    ``admin_state_up`` false: an administrator disabled the agent; it then serves
    no network (``networks`` is empty) and its networks go to other agents.
    """

    host: str
    revision: int
    admin_state_up: bool = True
    networks: tuple[DhcpNetwork, ...] = ()
    lease_duration: int = 120
    """Seconds a lease lasts: the server's ``dhcp_lease_duration``, for which a
    released address stays held (spec §4.5), so no address is handed to another
    port while a VM may still hold its lease."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DhcpLease:
    """A DHCP lease as a DHCP agent read it from dnsmasq: ``expires_at`` is UTC
    (naive, as the store keeps times)."""

    network_id: str
    ip_address: str
    mac_address: str
    expires_at: datetime
