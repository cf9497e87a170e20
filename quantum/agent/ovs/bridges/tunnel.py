# SPDX-License-Identifier: Apache-2.0
"""br-tun: local VLAN <-> tunnel key (the segmentation id); known unicast to the
MAC's host, the rest flooded to every peer."""

from __future__ import annotations

from collections.abc import Iterable

from quantum.agent.ovs import tables
from quantum.agent.ovs.flows import (
    Flow,
    Goto,
    Match,
    Output,
    PopVlan,
    PushVlan,
    SetTunnel,
    SetVlan,
)
from quantum.agent.ovs.model import TunnelType

INBOUND_TABLES = {
    TunnelType.GRE: tables.GRE_INBOUND_TABLE,
    TunnelType.VXLAN: tables.VXLAN_INBOUND_TABLE,
}


def base(
    patch_ofport: int, tunnel_ports: Iterable[tuple[int, TunnelType]]
) -> list[Flow]:
    """Classify by ingress port; drop whatever no later flow claims."""
    flows = [
        Flow(table=table, priority=tables.TUN_DROP_PRIORITY)
        for table in (
            tables.TUN_INPUT_TABLE,
            tables.TUN_OUTBOUND_TABLE,
            *INBOUND_TABLES.values(),
        )
    ]
    flows.append(
        Flow(
            table=tables.TUN_INPUT_TABLE,
            priority=tables.TUN_FLOW_PRIORITY,
            match=Match(in_port=patch_ofport),
            actions=(Goto(tables.TUN_OUTBOUND_TABLE),),
        )
    )
    flows.extend(
        Flow(
            table=tables.TUN_INPUT_TABLE,
            priority=tables.TUN_FLOW_PRIORITY,
            match=Match(in_port=ofport),
            actions=(Goto(INBOUND_TABLES[tunnel_type]),),
        )
        for ofport, tunnel_type in tunnel_ports
    )
    return flows


def outbound(local_vlan: int, key: int, tunnel_ofports: Iterable[int]) -> Flow:
    """A frame from br-int on ``local_vlan`` goes to every peer, tunnel key ``key``."""
    outputs = tuple(Output(port) for port in sorted(tunnel_ofports))
    return Flow(
        table=tables.TUN_OUTBOUND_TABLE,
        priority=tables.TUN_FLOW_PRIORITY,
        match=Match(vlan=local_vlan),
        actions=(PopVlan(), SetTunnel(key), *outputs),
    )


def unicast(local_vlan: int, mac: str, key: int, tunnel_ofport: int) -> Flow:
    """A frame from br-int on ``local_vlan`` to ``mac`` goes to its host's tunnel."""
    return Flow(
        table=tables.TUN_OUTBOUND_TABLE,
        priority=tables.TUN_UNICAST_PRIORITY,
        match=Match(vlan=local_vlan, eth_dst=mac),
        actions=(PopVlan(), SetTunnel(key), Output(tunnel_ofport)),
    )


def inbound(
    tunnel_type: TunnelType, key: int, local_vlan: int, patch_ofport: int
) -> Flow:
    """A frame from a peer with ``key`` enters br-int on the network's local VLAN."""
    return Flow(
        table=INBOUND_TABLES[tunnel_type],
        priority=tables.TUN_FLOW_PRIORITY,
        match=Match(tunnel_id=key),
        actions=(PushVlan(), SetVlan(local_vlan), Output(patch_ofport)),
    )
