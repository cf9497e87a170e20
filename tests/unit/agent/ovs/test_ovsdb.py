# SPDX-License-Identifier: Apache-2.0
"""The agent's OVSDB side without a database: names, the managed bridges, and
``read_observed`` over rows shaped as the IDL has them (optional columns are lists,
maps are dicts, references are the rows themselves). The calls against a real
ovsdb-server are in tests/functional/agent/test_ovsdb.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from quantum.agent.ovs.model import Interface, PatchLink, TunnelPort, TunnelType
from quantum.agent.ovs.ovsdb import (
    BridgeConfig,
    Observed,
    int_patch_name,
    phys_patch_name,
    read_observed,
)


@dataclass
class IfaceRow:
    name: str
    ofport: list[int] = field(default_factory=list)
    type: str = ""
    external_ids: dict[str, str] = field(default_factory=dict)
    options: dict[str, str] = field(default_factory=dict)
    ingress_policing_rate: int = 0
    ingress_policing_burst: int = 0
    statistics: dict[str, int] = field(default_factory=dict)


@dataclass
class PortRow:
    name: str
    interfaces: list[IfaceRow]
    tag: list[int] = field(default_factory=list)


@dataclass
class BridgeRow:
    name: str
    ports: list[PortRow]


def port(name: str, ofport: int | None = None, **columns: Any) -> PortRow:
    tag = columns.pop("tag", None)
    iface = IfaceRow(name, [] if ofport is None else [ofport], **columns)
    return PortRow(name, [iface], [] if tag is None else [tag])


def patch(name: str, peer: str, ofport: int | None) -> PortRow:
    return port(name, ofport, type="patch", options={"peer": peer})


CONFIG = BridgeConfig(bridge_mappings={"physnet1": "br-eth1", "physnet2": "br-eth2"})


def test_patch_names_fit_a_linux_interface_name() -> None:
    assert int_patch_name("br-eth1") == "int-br-eth1"
    assert phys_patch_name("br-eth1") == "phy-br-eth1"
    long = "br-a-very-long-bridge"
    assert len(int_patch_name(long)) == len(phys_patch_name(long)) == 15
    assert int_patch_name(long) != phys_patch_name(long)


def test_managed_bridges_integration_tunnel_then_physical_once_each() -> None:
    config = BridgeConfig(bridge_mappings={"a": "br-x", "b": "br-x", "c": "br-w"})
    assert config.names == ("br-int", "br-tun", "br-w", "br-x")
    assert BridgeConfig(tunnel_bridge=None).names == ("br-int",)


def test_no_bridges_yet_nothing_observed() -> None:
    assert read_observed([], CONFIG) == Observed()


def test_integration_bridge_interfaces_with_their_ids_tags_and_ofports() -> None:
    vif = port(
        "tap1",
        5,
        tag=3,
        external_ids={"iface-id": "vif-1", "attached-mac": "fa:16:3e:00:00:01"},
    )
    pending = port("tap2", None, external_ids={"iface-id": "vif-2"})
    failed = port("tap3", -1)
    other = BridgeRow("br-other", [port("tap9", 9, external_ids={"iface-id": "x"})])
    observed = read_observed(
        [BridgeRow("br-int", [vif, pending, failed]), other], CONFIG
    )
    assert observed.interfaces == (
        Interface(
            name="tap1",
            ofport=5,
            iface_id="vif-1",
            attached_mac="fa:16:3e:00:00:01",
            tag=3,
        ),
        Interface(name="tap2", ofport=0, iface_id="vif-2"),
        Interface(name="tap3", ofport=-1),
    )


def test_tunnel_ports_and_the_link_to_the_integration_bridge() -> None:
    int_br = BridgeRow("br-int", [patch("patch-tun", "patch-int", 1)])
    tun_br = BridgeRow(
        "br-tun",
        [
            patch("patch-int", "patch-tun", 1),
            port("vxlan-c0000202", 12, type="vxlan",
                 options={"remote_ip": "192.0.2.2", "key": "flow"}),
            port("gre-c0000203", None, type="gre", options={"remote_ip": "192.0.2.3"}),
            port("br-tun", 65534, type="internal"),
        ],
    )  # fmt: skip
    observed = read_observed([int_br, tun_br], CONFIG)
    assert observed.tunnel_link == PatchLink(
        bridge="br-tun", int_ofport=1, peer_ofport=1
    )
    assert observed.tunnel_ports == (
        TunnelPort(
            name="vxlan-c0000202",
            type=TunnelType.VXLAN,
            remote_ip="192.0.2.2",
            ofport=12,
        ),
        TunnelPort(
            name="gre-c0000203", type=TunnelType.GRE, remote_ip="192.0.2.3", ofport=0
        ),
    )


@pytest.mark.parametrize(("int_end", "tun_end"), [(None, 1), (2, None), (-1, 1)])
def test_a_link_without_both_ofports_is_not_there_yet(
    int_end: int | None, tun_end: int | None
) -> None:
    int_br = BridgeRow("br-int", [patch("patch-tun", "patch-int", int_end)])
    tun_br = BridgeRow("br-tun", [patch("patch-int", "patch-tun", tun_end)])
    assert read_observed([int_br, tun_br], CONFIG).tunnel_link is None


def test_without_a_tunnel_bridge_its_ports_are_not_read() -> None:
    tun_br = BridgeRow(
        "br-tun",
        [port("vxlan-1", 3, type="vxlan", options={"remote_ip": "192.0.2.2"})],
    )
    observed = read_observed([tun_br], BridgeConfig(tunnel_bridge=None))
    assert observed.tunnel_ports == ()


def test_physical_links_by_physical_network() -> None:
    int_br = BridgeRow(
        "br-int",
        [
            patch("int-br-eth1", "phy-br-eth1", 7),
            patch("int-br-eth2", "phy-br-eth2", 8),
        ],
    )
    eth1 = BridgeRow("br-eth1", [patch("phy-br-eth1", "int-br-eth1", 2)])
    eth2 = BridgeRow("br-eth2", [patch("phy-br-eth2", "int-br-eth2", None)])
    observed = read_observed([int_br, eth1, eth2], CONFIG)
    assert observed.physical_links == {
        "physnet1": PatchLink(bridge="br-eth1", int_ofport=7, peer_ofport=2)
    }
    # NOTE: br-int's ends of the links are interfaces too (the plan ignores them).
    assert [i.name for i in observed.interfaces] == ["int-br-eth1", "int-br-eth2"]


def test_interfaces_policing_and_counters() -> None:
    stats = {"rx_packets": 4, "rx_bytes": 400, "tx_errors": 1, "collisions": 0}
    vif = port(
        "tap1",
        5,
        external_ids={"iface-id": "vif-1"},
        ingress_policing_rate=10_000,
        ingress_policing_burst=2_000,
        statistics=stats,
    )
    observed = read_observed([BridgeRow("br-int", [vif])], CONFIG)
    assert observed.interfaces[0].policing == (10_000, 2_000)
    assert observed.counters == {"tap1": stats}
