# SPDX-License-Identifier: Apache-2.0
"""The agent's model keeps every segment the server hands out."""

from __future__ import annotations

import pytest

from quantum.agent.ovs.model import Segment, segment_from_server
from quantum.core.networks import NetworkSegment, NetworkType


@pytest.mark.parametrize("kind", list(NetworkType))
def test_every_server_network_type_is_known_to_the_agent(kind: NetworkType) -> None:
    physnet = "physnet1" if kind in (NetworkType.VLAN, NetworkType.FLAT) else None
    seg = None if kind in (NetworkType.LOCAL, NetworkType.FLAT) else 7
    server = NetworkSegment(
        network_id="net-a",
        network_type=kind,
        physical_network=physnet,
        segmentation_id=seg,
    )
    assert segment_from_server(server) == Segment(
        type=kind, physical_network=physnet, segmentation_id=seg
    )
