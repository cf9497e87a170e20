# SPDX-License-Identifier: Apache-2.0
"""The agent's model agrees with the server's segment values."""

from __future__ import annotations

import pytest

from quantum.agent.ovs.model import NetworkType, Segment, segment_from_server
from quantum.core import models


@pytest.mark.parametrize("kind", list(models.NetworkType))
def test_every_server_network_type_is_known_to_the_agent(
    kind: models.NetworkType,
) -> None:
    physnet = "physnet1" if kind is models.NetworkType.VLAN else None
    seg = None if kind is models.NetworkType.LOCAL else 7
    server = models.NetworkSegment(
        network_id="net-a",
        network_type=kind,
        physical_network=physnet,
        segmentation_id=seg,
    )
    assert segment_from_server(server) == Segment(
        type=NetworkType(kind.value), physical_network=physnet, segmentation_id=seg
    )
