# SPDX-License-Identifier: Apache-2.0
"""A network's MTU: the physical network's minus what its encapsulation adds.

As the ``net-mtu`` extension defines it: the largest IP packet a VM on the network
may send without it being dropped on the underlay, so what DHCP hands to guests.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from quantum.core.networks import NetworkType

ENCAPSULATION_OVERHEAD: Mapping[NetworkType, int] = MappingProxyType(
    {
        # NOTE: outer IPv4 20 + UDP 8 + VXLAN 8 + the inner Ethernet header 14.
        NetworkType.VXLAN: 50,
        # NOTE: outer IPv4 20 + GRE with a key 8 + the inner Ethernet header 14.
        NetworkType.GRE: 42,
        NetworkType.VLAN: 0,
        NetworkType.FLAT: 0,
        NetworkType.LOCAL: 0,
    }
)
"""Bytes a network type adds to each frame on the underlay (IPv4 endpoints)."""


def network_mtu(physnet_mtu: int, network_type: NetworkType | None) -> int:
    """``global_physnet_mtu`` minus the overhead of ``network_type`` (None: a
    network without a segment, which never leaves its host)."""
    if network_type is None:
        return physnet_mtu
    return physnet_mtu - ENCAPSULATION_OVERHEAD[network_type]
