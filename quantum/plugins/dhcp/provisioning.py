# SPDX-License-Identifier: Apache-2.0
"""A port is ACTIVE only once its DHCP is in place too (the DHCP provisioning
condition).

A VM is started once its ports are ACTIVE (``quantum.compute``: the boot waits for
it); its first DHCPDISCOVER goes out at once. If dnsmasq does not know the VM's MAC
yet, that DISCOVER goes unanswered and the client asks again only after its
retransmission delay (a second or more). So a port that a DHCP agent will serve is
held back until it is:

* **blocked at create**: in the create's transaction, a port (not a DHCP port) with
  an address on a DHCP-enabled subnet of an up network scheduled to a live,
  enabled DHCP agent gets ``ports.dhcp_provisioning`` set;
* **L2 reports**: an agent's UP for a blocked port records ``PROVISIONING`` (v2
  ``BUILD``), not UP;
* **DHCP reports**: a DHCP agent of the port's network that has the port's host
  entry in dnsmasq (files written, dnsmasq told to re-read them) reports the port;
  the block goes, and a ``PROVISIONING`` port becomes UP.

Each step is one UPDATE of the port's row whose new values are computed from that
row, so the two reports, in either order and at once, end in UP on every back-end.
A network with no live DHCP agent at the port's create blocks nothing (nobody
would lift it); a DHCP agent that dies after the create leaves the port BUILD
until the network's next agent (the scheduler moves it after ``agent_down_time``)
reports it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, case, select, update
from sqlalchemy.orm import Session

from quantum.core.agents import DHCP_AGENT_TYPE
from quantum.core.dhcp import DHCP_OWNER
from quantum.core.ports import Port
from quantum.core.status import OpStatus
from quantum.db.models import (
    AgentHostRow,
    NetworkDhcpAgentRow,
    NetworkRow,
    PortRow,
    SubnetRow,
)

CHUNK = 500


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def needs_dhcp(s: Session, port: Port, alive_since: datetime) -> bool:
    """Whether a live, enabled DHCP agent will serve ``port``: it has an address on
    a DHCP-enabled subnet of an up network scheduled to one (DHCP ports never
    wait)."""
    if port.device_owner == DHCP_OWNER or not port.fixed_ips or not port.mac_address:
        return False
    subnets = sorted({ip.subnet_id for ip in port.fixed_ips})
    found = s.execute(
        select(SubnetRow.id)
        .join(
            NetworkDhcpAgentRow, NetworkDhcpAgentRow.network_id == SubnetRow.network_id
        )
        .join(AgentHostRow, AgentHostRow.id == NetworkDhcpAgentRow.agent_id)
        .join(NetworkRow, NetworkRow.id == SubnetRow.network_id)
        .where(
            SubnetRow.id.in_(subnets),
            SubnetRow.enable_dhcp,
            NetworkRow.admin_state_up,
            AgentHostRow.agent_type == DHCP_AGENT_TYPE,
            AgentHostRow.admin_state_up,
            AgentHostRow.last_seen >= alive_since,
        )
        .limit(1)
    ).first()
    return found is not None


def block(s: Session, port: Port, alive_since: datetime) -> bool:
    """In the port's create transaction: set its block if DHCP will serve it."""
    if not needs_dhcp(s, port, alive_since):
        return False
    s.execute(
        update(PortRow).where(PortRow.id == port.id).values(dhcp_provisioning=True)
    )
    return True


def reported_up() -> ColumnElement[str]:
    """The status an agent's UP writes: PROVISIONING while the block holds."""
    return case(
        (PortRow.dhcp_provisioning, OpStatus.PROVISIONING.value),
        else_=OpStatus.UP.value,
    )


def provisioned(s: Session, host: str, port_ids: Collection[str]) -> int:
    """Lift the block of ``port_ids`` that the DHCP agent of ``host`` serves (their
    network is scheduled to it); a PROVISIONING port becomes UP. How many ports
    were unblocked."""
    agent = s.scalars(
        select(AgentHostRow.id).where(
            AgentHostRow.agent_type == DHCP_AGENT_TYPE, AgentHostRow.host == host
        )
    ).one_or_none()
    if agent is None or not port_ids:
        return 0
    served = select(NetworkDhcpAgentRow.network_id).where(
        NetworkDhcpAgentRow.agent_id == agent
    )
    lifted = 0
    for chunk in _chunks(sorted(set(port_ids))):
        done = s.execute(
            update(PortRow)
            .where(
                PortRow.id.in_(chunk),
                PortRow.dhcp_provisioning,
                PortRow.network_id.in_(served),
            )
            .values(
                dhcp_provisioning=False,
                status=case(
                    (
                        PortRow.status == OpStatus.PROVISIONING.value,
                        OpStatus.UP.value,
                    ),
                    else_=PortRow.status,
                ),
            )
            .execution_options(synchronize_session=False)
        )
        lifted += done.rowcount  # type: ignore[attr-defined]  # NOTE: CursorResult
    return lifted
