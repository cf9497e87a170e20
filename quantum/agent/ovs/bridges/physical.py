# SPDX-License-Identifier: Apache-2.0
"""Physical bridge, one per physical network: local VLAN -> segment VLAN or none."""

from __future__ import annotations

from quantum.agent.ovs import tables
from quantum.agent.ovs.flows import Flow, Match, Normal, PopVlan, SetVlan


def base(link_ofport: int) -> list[Flow]:
    """NORMAL for the uplink side; nothing from br-int crosses untranslated."""
    return [
        Flow(
            table=tables.PHYS_TABLE,
            priority=tables.PHYS_NORMAL_PRIORITY,
            actions=(Normal(),),
        ),
        Flow(
            table=tables.PHYS_TABLE,
            priority=tables.PHYS_DROP_PRIORITY,
            match=Match(in_port=link_ofport),
        ),
    ]


def outbound(link_ofport: int, local_vlan: int, segmentation_id: int | None) -> Flow:
    """Frames from br-int on a local VLAN leave on the segment's VLAN (flat: none)."""
    actions = (
        (PopVlan(), Normal())
        if segmentation_id is None
        else (SetVlan(segmentation_id), Normal())
    )
    return Flow(
        table=tables.PHYS_TABLE,
        priority=tables.PHYS_TRANSLATE_PRIORITY,
        match=Match(in_port=link_ofport, vlan=local_vlan),
        actions=actions,
    )
