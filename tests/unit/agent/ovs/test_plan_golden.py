# SPDX-License-Identifier: Apache-2.0
"""Rendered plans for a few hosts, kept under tests/golden/ovs/ for reviewers.

Regenerate after an intended change with ``QUANTUM_UPDATE_GOLDEN=1 pytest ...`` and
read the diff.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType

import pytest

from quantum.agent.ovs.model import (
    ActualState,
    AddressPair,
    DesiredPort,
    DesiredState,
    Direction,
    Interface,
    PatchLink,
    PortSecurity,
    RemoteMac,
    SecurityRule,
    Segment,
    TunnelEndpoint,
    TunnelType,
)
from quantum.agent.ovs.plan import plan, render_plan
from quantum.core.networks import NetworkType

GOLDEN = Path(__file__).parents[3] / "golden" / "ovs"

PEERS = (
    TunnelEndpoint(host="hv2", ip="192.168.50.2", type=TunnelType.GRE),
    TunnelEndpoint(host="hv2", ip="192.168.50.2", type=TunnelType.VXLAN),
    TunnelEndpoint(host="hv3", ip="192.168.50.3", type=TunnelType.GRE),
    TunnelEndpoint(host="hv3", ip="192.168.50.3", type=TunnelType.VXLAN),
    TunnelEndpoint(host="hv1", ip="192.168.50.1", type=TunnelType.VXLAN),
)
TUN_LINK = PatchLink(bridge="br-tun", int_ofport=1, peer_ofport=1)
ETH1 = PatchLink(bridge="br-eth1", int_ofport=2, peer_ofport=1)


def _port(n: int, network: str, segment: Segment, *, up: bool = True) -> DesiredPort:
    return DesiredPort(
        port_id=f"port-{n}",
        iface_id=f"iface-{n}",
        network_id=network,
        segment=segment,
        admin_state_up=up,
    )


def _vif(n: int, ofport: int, iface_id: str | None = None) -> Interface:
    return Interface(
        name=f"tap{n}",
        ofport=ofport,
        iface_id=iface_id or f"iface-{n}",
        attached_mac=f"fa:16:3e:00:00:{n:02x}",
    )


def _host(
    ports: tuple[DesiredPort, ...],
    interfaces: tuple[Interface, ...],
    tunnel_types: frozenset[TunnelType],
) -> tuple[DesiredState, ActualState]:
    desired = DesiredState(
        host="hv1",
        ports=ports,
        endpoints=PEERS,
        local_ip="192.168.50.1",
        tunnel_types=tunnel_types,
        bridge_mappings=MappingProxyType({"physnet1": "br-eth1"}),
    )
    actual = ActualState(
        interfaces=interfaces,
        tunnel_link=TUN_LINK if tunnel_types else None,
        physical_links=MappingProxyType({"physnet1": ETH1}),
    )
    return desired, actual


def _vlan(seg: int) -> Segment:
    return Segment(
        type=NetworkType.VLAN, physical_network="physnet1", segmentation_id=seg
    )


SCENARIOS = {
    # two VLAN networks and a flat one on physnet1; one port admin-down, one
    # interface nobody knows
    "vlan": _host(
        (
            _port(1, "net-a", _vlan(101)),
            _port(2, "net-a", _vlan(101)),
            _port(3, "net-b", _vlan(102)),
            _port(4, "net-b", _vlan(102), up=False),
            _port(
                5, "net-c", Segment(type=NetworkType.FLAT, physical_network="physnet1")
            ),
        ),
        (
            _vif(1, 5),
            _vif(2, 6),
            _vif(3, 7),
            _vif(4, 8),
            _vif(5, 9),
            _vif(9, 10, "who"),
        ),
        frozenset(),
    ),
    # two GRE networks, two GRE peers (hv1's own endpoint is skipped)
    "gre": _host(
        (
            _port(1, "net-a", Segment(type=NetworkType.GRE, segmentation_id=1001)),
            _port(2, "net-b", Segment(type=NetworkType.GRE, segmentation_id=1002)),
        ),
        (_vif(1, 5), _vif(2, 6)),
        frozenset({TunnelType.GRE}),
    ),
    # VXLAN with one port not plugged yet (ofport -1)
    "vxlan": _host(
        (
            _port(1, "net-a", Segment(type=NetworkType.VXLAN, segmentation_id=5001)),
            _port(2, "net-a", Segment(type=NetworkType.VXLAN, segmentation_id=5001)),
        ),
        (_vif(1, 5), _vif(2, -1)),
        frozenset({TunnelType.VXLAN}),
    ),
    # local, VLAN, GRE and VXLAN side by side; GRE and VXLAN use the same key
    "mixed": _host(
        (
            _port(1, "net-a", Segment(type=NetworkType.LOCAL)),
            _port(2, "net-b", _vlan(200)),
            _port(3, "net-c", Segment(type=NetworkType.GRE, segmentation_id=77)),
            _port(4, "net-d", Segment(type=NetworkType.VXLAN, segmentation_id=77)),
            _port(
                5,
                "net-e",
                Segment(
                    type=NetworkType.VLAN,
                    physical_network="physnet9",
                    segmentation_id=5,
                ),
            ),
        ),
        (_vif(1, 5), _vif(2, 6), _vif(3, 7), _vif(4, 8), _vif(5, 9)),
        frozenset(TunnelType),
    ),
}


def _unicast() -> tuple[DesiredState, ActualState]:
    """A VXLAN and a GRE network whose other ports are on hv2 and hv3: known
    unicast to one tunnel each; a MAC on a host without an endpoint (hv9), one on
    this host and one of a network not here get no flow (flooded, or not ours)."""
    desired, actual = _host(
        (
            _port(1, "net-a", Segment(type=NetworkType.VXLAN, segmentation_id=5001)),
            _port(2, "net-b", Segment(type=NetworkType.GRE, segmentation_id=1002)),
        ),
        (_vif(1, 5), _vif(2, 6)),
        frozenset(TunnelType),
    )
    macs = (
        RemoteMac(network_id="net-a", mac="fa:16:3e:00:0a:02", host="hv2"),
        RemoteMac(network_id="net-a", mac="fa:16:3e:00:0a:03", host="hv3"),
        RemoteMac(network_id="net-b", mac="fa:16:3e:00:0b:03", host="hv3"),
        RemoteMac(network_id="net-a", mac="fa:16:3e:00:0a:09", host="hv9"),
        RemoteMac(network_id="net-a", mac="fa:16:3e:00:0a:01", host="hv1"),
        RemoteMac(network_id="net-z", mac="fa:16:3e:00:0f:02", host="hv2"),
    )
    return replace(desired, remote_macs=macs), actual


SCENARIOS["unicast"] = _unicast()


def _secgroups() -> tuple[DesiredState, ActualState]:
    """Two VMs with port security on a VXLAN network (one with a QoS limit and an
    allowed pair), a router port without; the default group (everything out,
    anything in from its members) and a "web" group (TCP 80-81 from anywhere,
    ping from a remote group's members)."""
    vxlan = Segment(type=NetworkType.VXLAN, segmentation_id=5001)
    desired, actual = _host(
        (
            replace(
                _port(1, "net-a", vxlan),
                port_security=PortSecurity(
                    mac_address="fa:16:3e:00:00:01",
                    fixed_ips=("10.0.0.1",),
                    security_groups=("default",),
                ),
            ),
            replace(
                _port(2, "net-a", vxlan),
                qos=(1000, 100),
                port_security=PortSecurity(
                    mac_address="fa:16:3e:00:00:02",
                    fixed_ips=("10.0.0.2",),
                    allowed_address_pairs=(
                        AddressPair(
                            ip_address="10.0.0.50", mac_address="fa:16:3e:00:00:02"
                        ),
                    ),
                    security_groups=("default", "web"),
                ),
            ),
            _port(3, "net-a", vxlan),
        ),
        (_vif(1, 5), _vif(2, 6), _vif(3, 7)),
        frozenset({TunnelType.VXLAN}),
    )
    rules = {
        "default": (
            SecurityRule(direction=Direction.EGRESS, ethertype=4),
            SecurityRule(
                direction=Direction.INGRESS, ethertype=4, remote_group_id="default"
            ),
        ),
        "web": (
            SecurityRule(
                direction=Direction.INGRESS,
                ethertype=4,
                protocol=6,
                port_min=80,
                port_max=81,
            ),
            SecurityRule(
                direction=Direction.INGRESS,
                ethertype=4,
                protocol=1,
                port_min=8,
                remote_group_id="admins",
            ),
        ),
    }
    members = {
        "default": ("10.0.0.1", "10.0.0.2", "10.0.0.50"),
        "admins": ("192.168.9.0/24",),
    }
    return (
        replace(
            desired,
            group_rules=MappingProxyType(rules),
            group_members=MappingProxyType(members),
        ),
        actual,
    )


SCENARIOS["secgroups"] = _secgroups()


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_rendered_plan_matches_golden(name: str) -> None:
    desired, actual = SCENARIOS[name]
    text = render_plan(plan(desired, actual))
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("QUANTUM_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert text == path.read_text()
