# SPDX-License-Identifier: Apache-2.0
"""br-int: VIFs are access ports on their network's local VLAN; NORMAL switches.

Nothing is switched by default: a port forwards only once the agent has wired it
(a bound VIF, the tunnel link) or translated what it brings (a physical link), so
a VIF plugged while the agent is stopped, or before it has been told about it,
carries no traffic.
"""

from __future__ import annotations

from quantum.agent.ovs import tables
from quantum.agent.ovs.flows import (
    UNTAGGED,
    Flow,
    Match,
    Meter,
    Normal,
    PushVlan,
    SetVlan,
)


def drop_by_default() -> Flow:
    """What no flow below claims is dropped: unwired ports carry nothing."""
    return Flow(table=tables.INT_TABLE, priority=tables.INT_DEFAULT_PRIORITY)


def forward_port(ofport: int) -> Flow:
    """A wired port (a bound VIF, the tunnel link): NORMAL switches what it sends
    on its access tag (frames it sends tagged are dropped by NORMAL)."""
    return Flow(
        table=tables.INT_TABLE,
        priority=tables.INT_FORWARD_PRIORITY,
        match=Match(in_port=ofport),
        actions=(Normal(),),
    )


def isolate_port(ofport: int) -> Flow:
    """Drop all traffic from a VIF (its tag is also the dead VLAN)."""
    return Flow(
        table=tables.INT_TABLE,
        priority=tables.INT_DROP_PRIORITY,
        match=Match(in_port=ofport),
    )


def police_port(ofport: int) -> Flow:
    """What a VIF sends passes its meter (``meter_id`` = its ofport) first."""
    return Flow(
        table=tables.INT_TABLE,
        priority=tables.INT_POLICE_PRIORITY,
        match=Match(in_port=ofport),
        actions=(Meter(ofport), Normal()),
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
        actions: tuple[PushVlan | SetVlan | Normal, ...] = (
            PushVlan(),
            SetVlan(local_vlan),
            Normal(),
        )
    else:
        match = Match(in_port=link_ofport, vlan=segmentation_id)
        actions = (SetVlan(local_vlan), Normal())
    return Flow(
        table=tables.INT_TABLE,
        priority=tables.INT_TRANSLATE_PRIORITY,
        match=match,
        actions=actions,
    )
