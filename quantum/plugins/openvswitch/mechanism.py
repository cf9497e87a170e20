# SPDX-License-Identifier: Apache-2.0
"""Open vSwitch as a mechanism (``quantum.plugins.mechanism``): a segment for every
network, from the ranges of the plugin's ini file (``SegmentAllocator``).

A provider network gets the segment it asks for (``provider`` extension); any
other network gets one of the tenant network type, in the network's create
transaction. The agents read the segments back over the agent API; they count
their ports' traffic (``portstats``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from quantum.core.networks import NetworkSegment
from quantum.core.ports import Port
from quantum.core.status import OpStatus
from quantum.plugins.dhcp import provisioning
from quantum.plugins.mechanism import PROVIDER
from quantum.plugins.openvswitch.segments import SegmentAllocator, SegmentConfig

PORTSTATS = "portstats"


class OpenVSwitchMechanism:
    vif_type = "ovs"
    extension_aliases: Sequence[str] = (PORTSTATS, PROVIDER)
    initial_port_status = OpStatus.DOWN
    """Until the agent of the port's host has wired it."""

    def __init__(self, config: SegmentConfig) -> None:
        self.allocator = SegmentAllocator(config)
        self.dhcp_alive_since: Callable[[], datetime] | None = None
        """When a DHCP agent must have last beaten to count as alive (set by the
        plugin): a port its DHCP agent will serve waits for it."""

    def network_precommit(
        self, s: Session, network_id: str, requested: NetworkSegment | None
    ) -> None:
        if requested is not None:
            self.allocator.claim(s, network_id, requested)
        else:
            self.allocator.allocate(s, network_id)

    def port_precommit(self, s: Session, port: Port) -> None:
        """Any port may be wired by the agents: nothing to check. A port a live
        DHCP agent will serve waits for it (``plugins.dhcp.provisioning``)."""
        if self.dhcp_alive_since is not None:
            provisioning.block(s, port, self.dhcp_alive_since())

    def segments(
        self, s: Session, network_ids: Collection[str] | None
    ) -> Mapping[str, NetworkSegment]:
        return self.allocator.get_many(s, network_ids)
