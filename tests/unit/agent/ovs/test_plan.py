# SPDX-License-Identifier: Apache-2.0
"""The OVS agent's planner: scenarios, then properties over random hosts."""

from __future__ import annotations

import dataclasses
from collections import Counter
from types import MappingProxyType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quantum.agent.ovs import tables
from quantum.agent.ovs.bridges import integration, physical, tunnel
from quantum.agent.ovs.flows import (
    UNTAGGED,
    Flow,
    InstalledFlow,
    Match,
    Normal,
    Output,
    PopVlan,
    SetTunnel,
)
from quantum.agent.ovs.model import (
    ActualState,
    DesiredPort,
    DesiredState,
    Interface,
    PatchLink,
    Segment,
    TunnelEndpoint,
    TunnelPort,
    TunnelType,
)
from quantum.agent.ovs.plan import (
    Plan,
    PortStatus,
    SetTag,
    assign_local_vlans,
    plan,
    recover_local_vlans,
    tunnel_port_name,
)
from quantum.core.networks import NetworkType
from quantum.core.status import ReportedStatus
from quantum.testing.ovs_host import apply_plan

HOST = "hv1"
LOCAL_IP = "192.168.50.1"
TUN_LINK = PatchLink(bridge="br-tun", int_ofport=900, peer_ofport=1)
ETH1_LINK = PatchLink(bridge="br-eth1", int_ofport=901, peer_ofport=1)
ETH2_LINK = PatchLink(bridge="br-eth2", int_ofport=902, peer_ofport=1)
MAPPINGS = MappingProxyType({"physnet1": "br-eth1", "physnet2": "br-eth2"})

LOCAL = Segment(type=NetworkType.LOCAL)
VLAN_101 = Segment(
    type=NetworkType.VLAN, physical_network="physnet1", segmentation_id=101
)
FLAT_2 = Segment(type=NetworkType.FLAT, physical_network="physnet2")
GRE_7 = Segment(type=NetworkType.GRE, segmentation_id=7)
VXLAN_7 = Segment(type=NetworkType.VXLAN, segmentation_id=7)


def port(
    n: int, network: str, segment: Segment, *, up: bool = True, bound_to: str = ""
) -> DesiredPort:
    return DesiredPort(
        port_id=f"port-{n}",
        iface_id=f"iface-{n}",
        network_id=network,
        segment=segment,
        admin_state_up=up,
        binding_host=bound_to,
    )


def vif(n: int, ofport: int | None = None, *, tag: int | None = None) -> Interface:
    return Interface(
        name=f"tap{n}",
        ofport=n if ofport is None else ofport,
        iface_id=f"iface-{n}",
        attached_mac=f"fa:16:3e:00:00:{n:02x}",
        tag=tag,
    )


def desired(*ports: DesiredPort, **kwargs: object) -> DesiredState:
    values: dict[str, object] = {
        "host": HOST,
        "ports": ports,
        "local_ip": LOCAL_IP,
        "tunnel_types": frozenset(TunnelType),
        "bridge_mappings": MAPPINGS,
    }
    values.update(kwargs)
    return DesiredState(**values)  # type: ignore[arg-type]


def actual(*interfaces: Interface, **kwargs: object) -> ActualState:
    values: dict[str, object] = {
        "interfaces": interfaces,
        "tunnel_link": TUN_LINK,
        "physical_links": MappingProxyType(
            {"physnet1": ETH1_LINK, "physnet2": ETH2_LINK}
        ),
    }
    values.update(kwargs)
    return ActualState(**values)  # type: ignore[arg-type]


def converge(want: DesiredState, have: ActualState) -> tuple[Plan, ActualState]:
    first = plan(want, have)
    return first, apply_plan(have, first)


def status(p: Plan, port_id: str) -> PortStatus:
    return next(s for s in p.statuses if s.port_id == port_id)


# -- local VLANs -------------------------------------------------------------------


def test_new_networks_take_the_lowest_free_vlans_in_id_order() -> None:
    assert assign_local_vlans(["b", "a", "c"], {}) == {"a": 1, "b": 2, "c": 3}


def test_existing_assignments_are_kept_and_freed_ones_reused() -> None:
    assert assign_local_vlans(["a", "c", "d"], {"a": 5, "b": 1, "c": 2}) == {
        "a": 5,
        "c": 2,
        "d": 1,
    }


def test_invalid_or_duplicate_current_vlans_are_reassigned() -> None:
    current = {"a": 3, "b": 3, "c": 0, "d": 4095}
    assert assign_local_vlans("abcd", current) == {"a": 3, "b": 1, "c": 2, "d": 4}


def test_networks_beyond_the_pool_get_no_vlan() -> None:
    current = {f"n{i:04}": i for i in range(1, 4095)}
    assigned = assign_local_vlans([*current, "zz"], current)
    assert "zz" not in assigned
    assert len(assigned) == 4094


def test_a_starved_network_isolates_its_ports() -> None:
    full = {f"n{i:04}": i for i in range(1, 4095)}
    ports = [port(i, f"n{i:04}", LOCAL) for i in range(1, 4095)]
    extra = port(5000, "zz", LOCAL)
    have = actual(
        *(vif(i, tag=i) for i in range(1, 4095)),
        vif(5000),
        local_vlans=full,
        tunnel_link=None,
        physical_links=MappingProxyType({}),
    )
    p = plan(desired(*ports, extra), have)
    assert SetTag(interface="tap5000", tag=tables.DEAD_VLAN) in p.tags
    assert status(p, "port-5000") == PortStatus(
        port_id="port-5000",
        state=ReportedStatus.DOWN,
        reason="no free local VLAN on this host",
    )
    assert status(p, "port-1").state is ReportedStatus.UP


def test_recover_local_vlans_from_tags_a_previous_run_left() -> None:
    want = desired(
        port(1, "net-a", LOCAL),
        port(2, "net-a", LOCAL),
        port(3, "net-b", LOCAL),
        port(4, "net-c", LOCAL),
        port(5, "net-d", LOCAL),
    )
    interfaces = [
        vif(1, tag=4),
        vif(2, tag=9),  # conflicting tag for the same network: the first port wins
        vif(3, tag=4),  # already taken by net-a
        vif(4, tag=4095),
        vif(5, tag=None),
        Interface(name="stray", ofport=9, iface_id="unknown", tag=7),
    ]
    assert recover_local_vlans(want, interfaces) == {"net-a": 4}


def test_restart_keeps_wired_ports_on_their_vlan() -> None:
    want = desired(port(1, "net-a", LOCAL), port(2, "net-b", LOCAL))
    have = actual(vif(1, tag=7), vif(2, tag=3))
    recovered = recover_local_vlans(want, have.interfaces)
    p = plan(want, dataclasses.replace(have, local_vlans=MappingProxyType(recovered)))
    assert dict(p.local_vlans) == {"net-a": 7, "net-b": 3}
    assert p.tags == ()


# -- binding and isolation ---------------------------------------------------------


def test_bound_port_is_tagged_and_reported_up() -> None:
    p = plan(desired(port(1, "net-a", LOCAL)), actual(vif(1)))
    assert p.tags == (SetTag(interface="tap1", tag=1),)
    assert p.statuses == (PortStatus(port_id="port-1", state=ReportedStatus.UP),)
    assert p.flows["br-int"] == frozenset(
        {
            integration.drop_by_default(),
            integration.switch_normally(),
            integration.forward_port(1, 1),
            integration.block_link(ETH1_LINK.int_ofport),
            integration.block_link(ETH2_LINK.int_ofport),
        }
    )


@pytest.mark.parametrize(
    ("want", "interface", "reason"),
    [
        (port(1, "net-a", LOCAL, up=False), vif(1), "administratively down"),
        (
            port(1, "net-a", LOCAL, bound_to="hv2"),
            vif(1),
            "bound to host hv2, plugged on hv1",
        ),
        (port(1, "net-a", LOCAL), vif(1, ofport=-1), "interface not plugged"),
        (
            port(
                1, "net-a", Segment(type=NetworkType.FLAT, physical_network="nowhere")
            ),
            vif(1),
            "no bridge for physical network nowhere",
        ),
        (
            port(1, "net-a", Segment(type=NetworkType.FLAT)),
            vif(1),
            "flat network without a physical network",
        ),
        (
            port(
                1,
                "net-a",
                Segment(
                    type=NetworkType.VLAN,
                    physical_network="physnet1",
                    segmentation_id=4095,
                ),
            ),
            vif(1),
            "invalid VLAN id 4095",
        ),
        (
            port(1, "net-a", Segment(type=NetworkType.VXLAN, segmentation_id=2**24)),
            vif(1),
            "invalid vxlan key",
        ),
        (
            port(1, "net-a", Segment(type=NetworkType.GRE)),
            vif(1),
            "invalid gre key None",
        ),
    ],
)
def test_unwirable_port_is_isolated_with_its_reason(
    want: DesiredPort, interface: Interface, reason: str
) -> None:
    p = plan(desired(want), actual(interface))
    assert p.tags == (SetTag(interface="tap1", tag=tables.DEAD_VLAN),)
    (got,) = p.statuses
    assert got.state is ReportedStatus.DOWN
    assert reason in str(got.reason)
    drop = integration.isolate_port(interface.ofport)
    assert (drop in p.flows["br-int"]) is (interface.ofport > 0)
    assert p.local_vlans == {}


def test_a_port_bound_here_or_to_no_host_is_wired() -> None:
    for bound_to in (HOST, ""):
        p = plan(desired(port(1, "net-a", LOCAL, bound_to=bound_to)), actual(vif(1)))
        assert p.statuses == (PortStatus(port_id="port-1", state=ReportedStatus.UP),)
        assert integration.forward_port(1, 1) in p.flows["br-int"]


def test_tunnel_network_without_tunnelling_is_isolated() -> None:
    p = plan(
        desired(port(1, "net-a", GRE_7), tunnel_types=frozenset()),
        actual(vif(1), tunnel_link=None),
    )
    assert "tunnel type gre is not enabled" in str(p.statuses[0].reason)
    p = plan(desired(port(1, "net-a", GRE_7)), actual(vif(1), tunnel_link=None))
    assert p.statuses[0].reason == "the tunnel bridge is not ready"
    assert set(p.flows) == {"br-int", "br-eth1", "br-eth2"}


def test_unknown_vif_is_isolated_and_non_vifs_are_left_alone() -> None:
    stranger = Interface(name="tapx", ofport=5, iface_id="who", tag=None)
    patch = Interface(name="patch-tun", ofport=900)
    link = Interface(name="int-br-eth1", ofport=901, iface_id="odd")
    p = plan(desired(), actual(stranger, patch, link))
    assert p.tags == (SetTag(interface="tapx", tag=tables.DEAD_VLAN),)
    assert integration.isolate_port(5) in p.flows["br-int"]


def test_port_without_interface_is_down_and_gets_no_vlan() -> None:
    p = plan(desired(port(1, "net-a", LOCAL)), actual())
    assert p.statuses[0].reason == "no interface on the integration bridge"
    assert p.local_vlans == {}


def test_two_interfaces_with_one_iface_id_are_both_bound() -> None:
    twin = dataclasses.replace(vif(2), iface_id="iface-1")
    plugged_later = dataclasses.replace(vif(3, ofport=-1), iface_id="iface-1")
    p = plan(desired(port(1, "net-a", LOCAL)), actual(vif(1), twin, plugged_later))
    assert p.tags == (
        SetTag(interface="tap1", tag=1),
        SetTag(interface="tap2", tag=1),
        SetTag(interface="tap3", tag=tables.DEAD_VLAN),
    )
    assert p.statuses[0].state is ReportedStatus.UP


def test_segment_conflicts_leave_the_first_network_wired() -> None:
    other = Segment(
        type=NetworkType.VLAN, physical_network="physnet1", segmentation_id=101
    )
    p = plan(
        desired(port(1, "net-a", VLAN_101), port(2, "net-b", other)),
        actual(vif(1), vif(2)),
    )
    assert status(p, "port-1").state is ReportedStatus.UP
    assert status(p, "port-2").reason == "segment already used by network net-a"


def test_port_disagreeing_with_its_network_segment_is_isolated() -> None:
    p = plan(
        desired(port(1, "net-a", LOCAL), port(2, "net-a", GRE_7)),
        actual(vif(1), vif(2)),
    )
    assert status(p, "port-1").state is ReportedStatus.UP
    assert status(p, "port-2").reason == "segment differs from the network's"


# -- flows per network type ----------------------------------------------------------


def test_vlan_network_translates_on_both_sides() -> None:
    p = plan(desired(port(1, "net-a", VLAN_101)), actual(vif(1)))
    assert integration.physnet_inbound(901, 101, 1) in p.flows["br-int"]
    assert integration.block_link(901) in p.flows["br-int"]
    assert p.flows["br-eth1"] == frozenset(
        [*physical.base(1), physical.outbound(1, 1, 101)]
    )
    assert p.flows["br-eth2"] == frozenset(physical.base(1))


def test_flat_network_tags_untagged_frames() -> None:
    p = plan(desired(port(1, "net-a", FLAT_2)), actual(vif(1)))
    inbound = integration.physnet_inbound(902, None, 1)
    assert inbound.match == Match(in_port=902, vlan=UNTAGGED)
    assert inbound in p.flows["br-int"]
    outbound = physical.outbound(1, 1, None)
    assert outbound.actions == (PopVlan(), Normal())
    assert outbound in p.flows["br-eth2"]


def test_gre_and_vxlan_share_a_key_in_separate_tables() -> None:
    endpoints = (
        TunnelEndpoint(host="hv2", ip="192.168.50.2", type=TunnelType.GRE),
        TunnelEndpoint(host="hv2", ip="192.168.50.2", type=TunnelType.VXLAN),
    )
    want = desired(
        port(1, "net-a", GRE_7), port(2, "net-b", VXLAN_7), endpoints=endpoints
    )
    p, after = converge(want, actual(vif(1), vif(2)))
    names = {tp.name: tp.ofport for tp in p.add_tunnel_ports}
    assert names == {"gre-c0a83202": 10, "vxlan-c0a83202": 11}
    flows = p.flows["br-tun"]
    assert tunnel.inbound(TunnelType.GRE, 7, 1, 1) in flows
    assert tunnel.inbound(TunnelType.VXLAN, 7, 2, 1) in flows
    assert tunnel.outbound(1, 7, [10]) in flows
    assert tunnel.outbound(2, 7, [11]) in flows
    assert plan(want, after).is_empty


def test_tunnel_network_without_peers_has_no_outbound_flow() -> None:
    p = plan(desired(port(1, "net-a", GRE_7)), actual(vif(1)))
    assert p.statuses[0].state is ReportedStatus.UP
    assert not [
        f
        for f in p.flows["br-tun"]
        if f.table == tables.TUN_OUTBOUND_TABLE and f.actions
    ]
    assert tunnel.inbound(TunnelType.GRE, 7, 1, 1) in p.flows["br-tun"]


# -- tunnel mesh ----------------------------------------------------------------------


def test_tunnel_ports_follow_the_endpoints() -> None:
    endpoints = (
        TunnelEndpoint(host="hv2", ip="192.168.50.2", type=TunnelType.VXLAN),
        TunnelEndpoint(host="hv3", ip="192.168.50.3", type=TunnelType.VXLAN),
        TunnelEndpoint(host=HOST, ip=LOCAL_IP, type=TunnelType.VXLAN),
        TunnelEndpoint(host="hv4", ip="192.168.50.4", type=TunnelType.GRE),
    )
    want = desired(endpoints=endpoints, tunnel_types=frozenset({TunnelType.VXLAN}))
    stale = TunnelPort(
        name="vxlan-c0a83209",
        type=TunnelType.VXLAN,
        remote_ip="192.168.50.9",
        ofport=10,
    )
    moved = TunnelPort(
        name="vxlan-c0a83203", type=TunnelType.GRE, remote_ip="192.168.50.3", ofport=12
    )
    kept = TunnelPort(
        name="vxlan-c0a83202",
        type=TunnelType.VXLAN,
        remote_ip="192.168.50.2",
        ofport=11,
    )
    p, after = converge(want, actual(tunnel_ports=(stale, moved, kept)))
    assert p.remove_tunnel_ports == (moved, stale)
    assert p.add_tunnel_ports == (
        TunnelPort(
            name="vxlan-c0a83203",
            type=TunnelType.VXLAN,
            remote_ip="192.168.50.3",
            ofport=13,
        ),
    )
    assert {tp.name for tp in after.tunnel_ports} == {
        "vxlan-c0a83202",
        "vxlan-c0a83203",
    }
    assert plan(want, after).is_empty


def test_tunnel_port_names_fit_the_interface_name_limit() -> None:
    assert tunnel_port_name(TunnelType.VXLAN, "10.0.0.1") == "vxlan-0a000001"
    v6 = tunnel_port_name(TunnelType.VXLAN, "fd00::1")
    assert v6.startswith("vxlan-")
    assert len(v6) <= 15
    assert v6 != tunnel_port_name(TunnelType.VXLAN, "fd00::2")


def test_broken_tunnel_ports_are_kept_but_not_flooded_to() -> None:
    endpoints = (TunnelEndpoint(host="hv2", ip="192.168.50.2", type=TunnelType.GRE),)
    broken = TunnelPort(
        name="gre-c0a83202", type=TunnelType.GRE, remote_ip="192.168.50.2", ofport=-1
    )
    p = plan(
        desired(port(1, "net-a", GRE_7), endpoints=endpoints),
        actual(vif(1), tunnel_ports=(broken,)),
    )
    assert p.add_tunnel_ports == p.remove_tunnel_ports == ()
    assert all(Output(-1) not in f.actions for f in p.flows["br-tun"])


# -- flow diffs ------------------------------------------------------------------------


def test_a_changed_flow_is_re_added_not_deleted() -> None:
    want = desired(
        port(1, "net-a", GRE_7),
        endpoints=(
            TunnelEndpoint(host="hv2", ip="192.168.50.2", type=TunnelType.GRE),
            TunnelEndpoint(host="hv3", ip="192.168.50.3", type=TunnelType.GRE),
        ),
    )
    have = actual(vif(1, tag=1), local_vlans=MappingProxyType({"net-a": 1}))
    _, after = converge(want, have)
    fewer = dataclasses.replace(want, endpoints=want.endpoints[:1])
    p = plan(fewer, after)
    diff = p.flow_diffs["br-tun"]
    assert tunnel.outbound(1, 7, [10]) in diff.add
    assert all(item.flow.key != tunnel.outbound(1, 7, [10]).key for item in diff.delete)
    assert [item.flow.match.in_port for item in diff.delete] == [11]
    assert p.remove_tunnel_ports[0].name == "gre-c0a83203"


def test_foreign_flows_are_swept_only_when_asked() -> None:
    foreign = InstalledFlow(
        cookie=0x1, flow=Flow(table=5, priority=9, actions=(Normal(),))
    )
    mine_dup = InstalledFlow(cookie=0x2, flow=integration.drop_by_default())
    have = actual(flows=MappingProxyType({"br-int": frozenset({foreign, mine_dup})}))
    swept = plan(desired(), have).flow_diffs["br-int"]
    assert set(swept.delete) == {foreign, mine_dup}
    assert integration.drop_by_default() in swept.add
    kept = plan(desired(), have, sweep=False).flow_diffs["br-int"]
    assert kept.delete == ()
    after = apply_plan(have, plan(desired(), have))
    assert after.flows["br-int"] == frozenset(
        InstalledFlow(cookie=tables.AGENT_COOKIE, flow=f)
        for f in plan(desired(), have).flows["br-int"]
    )


def test_network_removal_clears_its_mappings() -> None:
    endpoints = (TunnelEndpoint(host="hv2", ip="192.168.50.2", type=TunnelType.VXLAN),)
    both = desired(
        port(1, "net-a", VXLAN_7), port(2, "net-b", VLAN_101), endpoints=endpoints
    )
    _, after = converge(both, actual(vif(1), vif(2)))
    only_b = dataclasses.replace(both, ports=both.ports[1:])
    p, final = converge(only_b, dataclasses.replace(after, interfaces=(vif(2, tag=2),)))
    assert dict(p.local_vlans) == {"net-b": 2}
    assert not any(
        isinstance(a, SetTunnel) for f in p.flows["br-tun"] for a in f.actions
    )
    assert plan(only_b, final).is_empty


# -- properties --------------------------------------------------------------------

NETWORKS = [f"net-{c}" for c in "abcd"]
SEGMENTS = st.one_of(
    st.just(LOCAL),
    st.builds(
        Segment,
        type=st.just(NetworkType.FLAT),
        physical_network=st.sampled_from(["physnet1", "physnet2", "physnet3"]),
    ),
    st.builds(
        Segment,
        type=st.just(NetworkType.VLAN),
        physical_network=st.sampled_from(["physnet1", "physnet2", "physnet3"]),
        segmentation_id=st.sampled_from([0, 1, 2, 3, 5000]),
    ),
    st.builds(
        Segment,
        type=st.sampled_from([NetworkType.GRE, NetworkType.VXLAN]),
        segmentation_id=st.sampled_from([None, 1, 2, 3]),
    ),
)
IPS = [f"192.168.50.{i}" for i in range(1, 6)]


MOSTLY = st.sampled_from([True, True, True, False])


@st.composite
def hosts(draw: st.DrawFn) -> tuple[DesiredState, ActualState]:
    segments = {net: draw(st.one_of(st.just(LOCAL), SEGMENTS)) for net in NETWORKS}
    n_ports = draw(st.integers(0, 10))
    ports = tuple(
        DesiredPort(
            port_id=f"port-{i}",
            iface_id=f"iface-{i}",
            network_id=(net := draw(st.sampled_from(NETWORKS))),
            segment=segments[net],
            admin_state_up=draw(MOSTLY),
        )
        for i in range(n_ports)
    )
    plugged = [f"iface-{i}" for i in range(n_ports) if draw(MOSTLY)]
    strays = draw(st.lists(st.sampled_from(["stray-1", "stray-2", None]), max_size=3))
    free_ofports = draw(st.permutations(range(2, 2 + len(plugged) + len(strays))))
    interfaces = []
    for i, iface_id in enumerate(plugged + strays):
        unplugged = draw(st.sampled_from([False] * 5 + [True]))
        interfaces.append(
            Interface(
                name=f"tap{i}",
                ofport=draw(st.sampled_from([-1, 0])) if unplugged else free_ofports[i],
                iface_id=iface_id,
                tag=draw(st.sampled_from([None, 0, 1, 2, 3, 4095, 5000])),
            )
        )
    endpoints = tuple(
        draw(
            st.lists(
                st.builds(
                    TunnelEndpoint,
                    host=st.sampled_from([HOST, "hv2", "hv3"]),
                    ip=st.sampled_from(IPS),
                    type=st.sampled_from(TunnelType),
                ),
                max_size=6,
            )
        )
    )
    tunnel_types = (
        frozenset(TunnelType)
        if draw(MOSTLY)
        else frozenset(draw(st.sets(st.sampled_from(TunnelType))))
    )
    tunnel_link = TUN_LINK if draw(MOSTLY) else None
    links = {"physnet1": ETH1_LINK, "physnet2": ETH2_LINK}
    physical_links = {k: v for k, v in links.items() if draw(MOSTLY)}
    tunnel_ports: list[TunnelPort] = []
    if tunnel_link is not None:
        tun_ofports = draw(st.lists(st.integers(2, 14), unique=True, max_size=4))
        for ofport in tun_ofports:
            kind = draw(st.sampled_from(TunnelType))
            ip = draw(st.sampled_from(IPS))
            name = tunnel_port_name(draw(st.sampled_from(TunnelType)), ip)
            if name not in {tp.name for tp in tunnel_ports}:
                tunnel_ports.append(
                    TunnelPort(name=name, type=kind, remote_ip=ip, ofport=ofport)
                )
    local_vlans = draw(
        st.dictionaries(
            st.sampled_from(NETWORKS), st.sampled_from([0, 1, 1, 1, 2, 2, 2, 3, 4095])
        )
    )
    junk = [
        InstalledFlow(cookie=cookie, flow=flow)
        for cookie, flow in draw(
            st.lists(
                st.tuples(
                    st.sampled_from([tables.AGENT_COOKIE, 0, 7]),
                    st.sampled_from(
                        [
                            integration.drop_by_default(),
                            integration.isolate_port(3),
                            tunnel.outbound(1, 1, [10]),
                            tunnel.inbound(TunnelType.GRE, 2, 1, 1),
                            physical.outbound(1, 2, 3),
                            Flow(
                                table=9,
                                priority=9,
                                match=Match(extra=(("ip_proto", 6),)),
                            ),
                        ]
                    ),
                ),
                max_size=5,
            )
        )
    ]
    flows = {
        bridge: frozenset(item for item in junk if draw(st.booleans()))
        for bridge in ("br-int", "br-tun", "br-eth1", "br-eth2")
    }
    want = DesiredState(
        host=HOST,
        ports=ports,
        endpoints=endpoints,
        local_ip=LOCAL_IP,
        tunnel_types=tunnel_types,
        bridge_mappings=MAPPINGS,
    )
    have = ActualState(
        interfaces=tuple(interfaces),
        local_vlans=MappingProxyType(local_vlans),
        tunnel_ports=tuple(tunnel_ports),
        tunnel_link=tunnel_link,
        physical_links=MappingProxyType(physical_links),
        flows=MappingProxyType(flows),
    )
    return want, have


@settings(max_examples=200, deadline=None)
@given(hosts())
def test_planning_after_applying_is_empty(
    host: tuple[DesiredState, ActualState],
) -> None:
    want, have = host
    first, after = converge(want, have)
    second = plan(want, after)
    assert second.is_empty, second
    assert second.flows == first.flows
    assert second.statuses == first.statuses
    assert second.local_vlans == first.local_vlans


@settings(max_examples=200, deadline=None)
@given(hosts())
def test_local_vlans_are_unique_valid_and_stable(
    host: tuple[DesiredState, ActualState],
) -> None:
    want, have = host
    p = plan(want, have)
    vlans = list(p.local_vlans.values())
    assert len(vlans) == len(set(vlans))
    assert all(tables.MIN_LOCAL_VLAN <= v <= tables.MAX_LOCAL_VLAN for v in vlans)
    current = Counter(v for n, v in have.local_vlans.items() if n in p.local_vlans)
    for network, vlan in have.local_vlans.items():
        valid = tables.MIN_LOCAL_VLAN <= vlan <= tables.MAX_LOCAL_VLAN
        if network in p.local_vlans and valid and current[vlan] == 1:
            assert p.local_vlans[network] == vlan
    # a network joining later does not move the others
    _, after = converge(want, have)
    newcomer = DesiredPort(
        port_id="port-new", iface_id="iface-new", network_id="net-new", segment=LOCAL
    )
    grown = dataclasses.replace(want, ports=(*want.ports, newcomer))
    extra = Interface(name="tapnew", ofport=99, iface_id="iface-new")
    later = plan(
        grown, dataclasses.replace(after, interfaces=(*after.interfaces, extra))
    )
    assert {n: v for n, v in later.local_vlans.items() if n != "net-new"} == dict(
        p.local_vlans
    )
    assert "net-new" in later.local_vlans


@settings(max_examples=200, deadline=None)
@given(hosts())
def test_every_vif_that_cannot_be_wired_is_isolated(
    host: tuple[DesiredState, ActualState],
) -> None:
    want, have = host
    p, after = converge(want, have)
    ports = {port.iface_id: port for port in want.ports}
    before = {interface.name: interface.tag for interface in have.interfaces}
    up = {s.port_id for s in p.statuses if s.state is ReportedStatus.UP}
    int_flows = p.flows["br-int"]
    for interface in after.interfaces:
        if interface.iface_id is None:
            assert interface.tag == before[interface.name]
            continue
        port = ports.get(interface.iface_id)
        wired = (
            port is not None
            and port.admin_state_up
            and interface.ofport > 0
            and port.port_id in up
        )
        if wired:
            assert port is not None
            assert interface.tag == p.local_vlans[port.network_id]
            assert integration.isolate_port(interface.ofport) not in int_flows
        else:
            assert interface.tag == tables.DEAD_VLAN
            if interface.ofport > 0:
                assert integration.isolate_port(interface.ofport) in int_flows
    for status in p.statuses:
        assert (status.state is ReportedStatus.UP) is (status.reason is None)


@settings(max_examples=200, deadline=None)
@given(hosts(), st.sampled_from(NETWORKS))
def test_removing_a_network_clears_its_vlan_and_flows(
    host: tuple[DesiredState, ActualState], gone: str
) -> None:
    want, have = host
    _, after = converge(want, have)
    without = dataclasses.replace(
        want, ports=tuple(p for p in want.ports if p.network_id != gone)
    )
    p = plan(without, after)
    assert gone not in p.local_vlans
    remaining = set(p.local_vlans.values())
    old_vlan = after.local_vlans.get(gone)
    if old_vlan is None or old_vlan in remaining:
        return
    for bridge, flows in p.flows.items():
        for flow in flows:
            sets = {getattr(action, "vlan", None) for action in flow.actions}
            if bridge in ("br-int", "br-tun"):
                assert old_vlan not in sets
            if bridge != "br-int":
                assert flow.match.vlan != old_vlan


@settings(max_examples=200, deadline=None)
@given(hosts())
def test_tunnel_mesh_is_one_port_per_remote_endpoint(
    host: tuple[DesiredState, ActualState],
) -> None:
    want, have = host
    _, after = converge(want, have)
    expected = (
        {
            (endpoint.type, endpoint.ip)
            for endpoint in want.endpoints
            if endpoint.type in want.tunnel_types
            and endpoint.ip != LOCAL_IP
            and endpoint.host != HOST
        }
        if have.tunnel_link is not None
        else set()
    )
    got = [(tp.type, tp.remote_ip) for tp in after.tunnel_ports]
    assert sorted(got) == sorted(expected)
    names = [tp.name for tp in after.tunnel_ports]
    assert len(names) == len(set(names))
    ofports = [tp.ofport for tp in after.tunnel_ports if tp.ofport > 0]
    assert len(ofports) == len(set(ofports))
    assert (have.tunnel_link is None) or have.tunnel_link.peer_ofport not in ofports


@settings(max_examples=200, deadline=None)
@given(hosts())
def test_no_two_wanted_flows_share_a_key(
    host: tuple[DesiredState, ActualState],
) -> None:
    want, have = host
    for flows in plan(want, have).flows.values():
        keys = [flow.key for flow in flows]
        assert len(keys) == len(set(keys))
