# SPDX-License-Identifier: Apache-2.0
"""br-int: VIFs are access ports on their network's local VLAN; NORMAL switches.

Nothing is switched by default: a port forwards only once the agent has wired it
(a bound VIF, the tunnel link) or translated what it brings (a physical link), so
a VIF plugged while the agent is stopped, or before it has been told about it,
carries no traffic. What a port brings is marked with its network (``reg6`` =
local VLAN) and goes to the switch table (20), through the egress firewall first
(table 10, ``bridges/firewall.py``) when the port has port security.
"""

from __future__ import annotations

from quantum.agent.ovs import tables
from quantum.agent.ovs.flows import (
    UNTAGGED,
    Action,
    Flow,
    Goto,
    Match,
    Meter,
    Normal,
    PushVlan,
    SetField,
    SetVlan,
)


def _mark(local_vlan: int, secured: bool = False) -> tuple[Action, ...]:
    """Mark the frame's network and send it on: to the egress firewall or the
    switch table."""
    onward = tables.EGRESS_TABLE if secured else tables.SWITCH_TABLE
    return (SetField(tables.NETWORK_REG, local_vlan), Goto(onward))


def drop_by_default() -> Flow:
    """What no flow below claims is dropped: unwired ports carry nothing."""
    return Flow(table=tables.INT_TABLE, priority=tables.INT_DEFAULT_PRIORITY)


def switch_normally() -> Flow:
    """The switch table: what no firewalled port claims, NORMAL switches on its
    access tag (frames a VIF sends tagged are dropped by NORMAL)."""
    return Flow(
        table=tables.SWITCH_TABLE,
        priority=tables.INT_DEFAULT_PRIORITY,
        actions=(Normal(),),
    )


def forward_port(ofport: int, local_vlan: int, *, secured: bool = False) -> Flow:
    """A bound VIF: what it sends is on its network (firewalled first when it has
    port security)."""
    return Flow(
        table=tables.INT_TABLE,
        priority=tables.INT_FORWARD_PRIORITY,
        match=Match(in_port=ofport),
        actions=_mark(local_vlan, secured),
    )


def tunnel_inbound(link_ofport: int, local_vlan: int) -> Flow:
    """Frames br-tun hands over on a network's local VLAN."""
    return Flow(
        table=tables.INT_TABLE,
        priority=tables.INT_FORWARD_PRIORITY,
        match=Match(in_port=link_ofport, vlan=local_vlan),
        actions=_mark(local_vlan),
    )


def isolate_port(ofport: int) -> Flow:
    """Drop all traffic from a VIF (its tag is also the dead VLAN)."""
    return Flow(
        table=tables.INT_TABLE,
        priority=tables.INT_DROP_PRIORITY,
        match=Match(in_port=ofport),
    )


def police_port(ofport: int, local_vlan: int, *, secured: bool = False) -> Flow:
    """What a VIF sends passes its meter (``meter_id`` = its ofport) first."""
    return Flow(
        table=tables.INT_TABLE,
        priority=tables.INT_POLICE_PRIORITY,
        match=Match(in_port=ofport),
        actions=(Meter(ofport), *_mark(local_vlan, secured)),
    )


def block_link(ofport: int) -> Flow:
    """Drop what arrives from a physical bridge unless a translation flow claims it."""
    return isolate_port(ofport)


def physnet_inbound(
    link_ofport: int, segmentation_id: int | None, local_vlan: int
) -> Flow:
    """Frames from a physical network onto the network's local VLAN.

    ``segmentation_id`` ``None`` is a flat network: untagged frames get the tag.
    """
    if segmentation_id is None:
        match = Match(in_port=link_ofport, vlan=UNTAGGED)
        actions: tuple[Action, ...] = (
            PushVlan(),
            SetVlan(local_vlan),
            *_mark(local_vlan),
        )
    else:
        match = Match(in_port=link_ofport, vlan=segmentation_id)
        actions = (SetVlan(local_vlan), *_mark(local_vlan))
    return Flow(
        table=tables.INT_TABLE,
        priority=tables.INT_TRANSLATE_PRIORITY,
        match=match,
        actions=actions,
    )
