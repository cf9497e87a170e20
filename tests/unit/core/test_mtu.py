# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest

from quantum.core.mtu import network_mtu
from quantum.core.networks import NetworkType


@pytest.mark.parametrize(
    ("network_type", "mtu"),
    [
        (NetworkType.VXLAN, 1450),
        (NetworkType.GRE, 1458),
        (NetworkType.VLAN, 1500),
        (NetworkType.FLAT, 1500),
        (NetworkType.LOCAL, 1500),
        (None, 1500),
    ],
)
def test_the_mtu_is_the_physnet_s_minus_the_encapsulation(
    network_type: NetworkType | None, mtu: int
) -> None:
    assert network_mtu(1500, network_type) == mtu
    assert network_mtu(9000, network_type) == mtu + 7500
