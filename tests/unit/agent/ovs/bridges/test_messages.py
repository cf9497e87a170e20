# SPDX-License-Identifier: Apache-2.0
"""Flows <-> os-ken messages, without a switch: build, serialize, parse back."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from os_ken.ofproto import ofproto_v1_3 as ofp
from os_ken.ofproto import ofproto_v1_3_parser as parser

from quantum.agent.ovs import tables
from quantum.agent.ovs.bridges import (
    firewall,
    integration,
    messages,
    physical,
    tunnel,
)
from quantum.agent.ovs.flows import (
    Flow,
    FlowDiff,
    Goto,
    InstalledFlow,
    Match,
    Opaque,
    Output,
)
from quantum.agent.ovs.model import (
    AddressPair,
    Direction,
    PortSecurity,
    SecurityRule,
    TunnelType,
)

DATAPATH = SimpleNamespace(ofproto=ofp, ofproto_parser=parser, id=1)

FLOWS = [
    integration.drop_by_default(),
    integration.isolate_port(5),
    integration.police_port(6, 3),
    integration.police_port(6, 3, secured=True),
    integration.forward_port(7, 3, secured=True),
    integration.tunnel_inbound(1, 3),
    integration.switch_normally(),
    integration.physnet_inbound(2, None, 3),
    integration.physnet_inbound(2, 101, 4),
    physical.outbound(1, 3, None),
    physical.outbound(1, 4, 101),
    *tunnel.base(1, [(10, TunnelType.GRE), (11, TunnelType.VXLAN)]),
    tunnel.outbound(3, 1001, [10, 11]),
    tunnel.unicast(3, "fa:16:3e:00:0a:02", 1001, 11),
    tunnel.inbound(TunnelType.VXLAN, 5001, 3, 1),
    Flow(table=0, priority=9, match=Match(eth_dst="fa:16:3e:00:00:01")),
]
FIREWALL = sorted(
    firewall.firewall_flows(
        [
            firewall.FirewalledPort(
                ofport=5,
                local_vlan=3,
                security=PortSecurity(
                    mac_address="fa:16:3e:00:00:05",
                    fixed_ips=("10.0.0.5", "fd00::5"),
                    allowed_address_pairs=(
                        AddressPair(
                            ip_address="10.0.1.0/24", mac_address="fa:16:3e:00:00:55"
                        ),
                    ),
                ),
                rules=(
                    SecurityRule(
                        direction=Direction.INGRESS,
                        ethertype=4,
                        protocol=6,
                        port_min=1000,
                        port_max=1999,
                        remote_ip_prefix="192.168.0.0/16",
                    ),
                    SecurityRule(
                        direction=Direction.EGRESS,
                        ethertype=6,
                        protocol=58,
                        port_min=128,
                        port_max=0,
                        remote_ip_prefix="fd00::/64",
                    ),
                ),
            )
        ]
    ),
    key=lambda f: f.render(),
)
FLOWS += FIREWALL


def _stats(mod: object, cookie: int) -> object:
    return parser.OFPFlowStats(
        table_id=mod.table_id,  # type: ignore[attr-defined]
        priority=mod.priority,  # type: ignore[attr-defined]
        cookie=cookie,
        match=mod.match,  # type: ignore[attr-defined]
        instructions=mod.instructions,  # type: ignore[attr-defined]
    )


@pytest.mark.parametrize("flow", FLOWS, ids=lambda f: f.render())
def test_flow_round_trips_through_os_ken(flow: Flow) -> None:
    mod = messages.add_flow(DATAPATH, flow)
    mod.serialize()
    assert mod.cookie == tables.AGENT_COOKIE
    assert mod.command == ofp.OFPFC_ADD
    assert messages.from_stats(_stats(mod, 7)) == InstalledFlow(cookie=7, flow=flow)


@pytest.mark.parametrize(
    "flow",
    [
        integration.physnet_inbound(2, None, 3),
        tunnel.unicast(3, "fa:16:3e:00:0a:02", 1001, 11),
        *FIREWALL,
    ],
    ids=lambda f: f.render(),
)
def test_serialized_match_parses_back(flow: Flow) -> None:
    """The bytes sent parse back to the same flow: match and instructions
    (conntrack and register actions included), as a dump returns them."""
    mod = messages.add_flow(DATAPATH, flow)
    mod.serialize()
    buf = bytes(mod.buf)
    offset = ofp.OFP_HEADER_SIZE + 40
    match = parser.OFPMatch.parser(buf, offset)
    offset += (match.length + 7) // 8 * 8
    instructions = []
    while offset < len(buf):
        instruction = parser.OFPInstruction.parser(buf, offset)
        instructions.append(instruction)
        offset += instruction.len
    assert (
        messages.from_stats(
            _stats(
                SimpleNamespace(
                    table_id=flow.table,
                    priority=flow.priority,
                    match=match,
                    instructions=instructions,
                ),
                1,
            )
        ).flow
        == flow
    )


def test_delete_is_strict_and_bound_to_the_dumped_cookie() -> None:
    item = InstalledFlow(cookie=0x1, flow=integration.isolate_port(5))
    mod = messages.delete_flow(DATAPATH, item)
    mod.serialize()
    assert mod.command == ofp.OFPFC_DELETE_STRICT
    assert (mod.cookie, mod.cookie_mask) == (0x1, tables.COOKIE_MASK)
    assert mod.priority == tables.INT_DROP_PRIORITY


def test_apply_messages_orders_adds_before_deletes() -> None:
    diff = FlowDiff(
        add=(integration.isolate_port(5),),
        delete=(InstalledFlow(cookie=1, flow=integration.isolate_port(6)),),
    )
    adds, deletes = messages.apply_messages(DATAPATH, diff)
    assert [m.command for m in adds] == [ofp.OFPFC_ADD]
    assert [m.command for m in deletes] == [ofp.OFPFC_DELETE_STRICT]


def test_stats_request_by_cookie() -> None:
    assert messages.flow_stats_request(DATAPATH, 5).cookie_mask == tables.COOKIE_MASK
    assert messages.flow_stats_request(DATAPATH).cookie_mask == 0


def test_foreign_flows_parse_into_extra_and_opaque() -> None:
    stats = parser.OFPFlowStats(
        table_id=2,
        priority=1,
        cookie=9,
        match=parser.OFPMatch(
            in_port=3,
            eth_type=0x800,
            vlan_vid=(0x1000, 0x1000),
            eth_dst=("01:00:00:00:00:00", "01:00:00:00:00:00"),
        ),
        instructions=[
            parser.OFPInstructionActions(
                ofp.OFPIT_APPLY_ACTIONS,
                [
                    parser.OFPActionSetField(eth_src="fa:16:3e:00:00:01"),
                    parser.OFPActionOutput(4),
                ],
            ),
            parser.OFPInstructionActions(ofp.OFPIT_CLEAR_ACTIONS, []),
            parser.OFPInstructionGotoTable(3),
        ],
    )
    flow = messages.from_stats(stats).flow
    assert flow.match.in_port == 3
    assert flow.match.vlan is None
    assert dict(flow.match.extra) == {
        "eth_type": 0x800,
        "vlan_vid": (0x1000, 0x1000),
        "eth_dst": ("01:00:00:00:00:00", "01:00:00:00:00:00"),
    }
    assert isinstance(flow.actions[0], Opaque)
    assert flow.actions[1:] == (Output(4), flow.actions[2], Goto(3))
    assert isinstance(flow.actions[2], Opaque)
    # a foreign flow can still be deleted exactly
    mod = messages.delete_flow(DATAPATH, InstalledFlow(cookie=9, flow=flow))
    mod.serialize()
    assert dict(mod.match.items())["vlan_vid"] == (0x1000, 0x1000)


def test_vlan_match_without_present_bit_is_kept_verbatim() -> None:
    stats = parser.OFPFlowStats(
        table_id=0,
        priority=0,
        cookie=0,
        match=parser.OFPMatch(vlan_vid=5),
        instructions=[],
    )
    assert messages.from_stats(stats).flow.match.extra == (("vlan_vid", 5),)


def test_opaque_actions_cannot_be_sent() -> None:
    with pytest.raises(ValueError, match="not an apply-action"):
        messages.to_instructions((Opaque("meter:1"),))


def test_meters_are_built_and_read_back() -> None:
    mod = messages.meter_mod(DATAPATH, ofp.OFPMC_ADD, 6, 10_000, 2_000)
    mod.serialize()
    assert mod.flags == ofp.OFPMF_KBPS | ofp.OFPMF_BURST
    config = parser.OFPMeterConfigStats(
        flags=mod.flags, meter_id=mod.meter_id, bands=mod.bands
    )
    assert messages.from_meter_config(config) == (6, (10_000, 2_000))
    no_burst = messages.meter_mod(DATAPATH, ofp.OFPMC_MODIFY, 6, 500, 0)
    config = parser.OFPMeterConfigStats(
        flags=no_burst.flags, meter_id=6, bands=no_burst.bands
    )
    assert messages.from_meter_config(config) == (6, (500, 0))
    delete = messages.meter_delete(DATAPATH, 6)
    delete.serialize()
    assert delete.command == ofp.OFPMC_DELETE
    assert integration.police_port(6, 3).render() == (
        "table=0, priority=2,in_port=6 actions=meter:6,set_field:0x3->reg6,"
        "goto_table:20"
    )
