# SPDX-License-Identifier: Apache-2.0
"""Planned flows -> os-ken OpenFlow 1.3 messages, and dumped flow stats -> flows.

The only module that knows os-ken's match and action classes; everything above it
speaks ``flows.Flow``. ``datapath`` is an os-ken ``Datapath`` (anything with its
``ofproto`` and ``ofproto_parser`` attributes will do for building messages).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from os_ken.ofproto import ether
from os_ken.ofproto import ofproto_v1_3 as ofp
from os_ken.ofproto import ofproto_v1_3_parser as parser

from quantum.agent.ovs import tables
from quantum.agent.ovs.flows import (
    UNTAGGED,
    VLAN_PRESENT,
    Action,
    Ct,
    Flow,
    FlowDiff,
    Goto,
    InstalledFlow,
    Match,
    Meter,
    Normal,
    Opaque,
    Output,
    PopVlan,
    PushVlan,
    SetField,
    SetTunnel,
    SetVlan,
    Untagged,
    shared,
)

_KNOWN_FIELDS = frozenset({"in_port", "vlan_vid", "tunnel_id", "eth_dst"})
#: ``ct(commit)``: NX_CT_F_COMMIT; a ``ct`` without ``table`` recirculates nowhere.
_CT_COMMIT = 1
_NO_RECIRC = 0xFF


def to_match(match: Match) -> Any:
    fields: dict[str, object] = dict(match.extra)
    if match.in_port is not None:
        fields["in_port"] = match.in_port
    if match.vlan is UNTAGGED:
        fields["vlan_vid"] = ofp.OFPVID_NONE
    elif match.vlan is not None:
        fields["vlan_vid"] = VLAN_PRESENT | match.vlan
    if match.tunnel_id is not None:
        fields["tunnel_id"] = match.tunnel_id
    if match.eth_dst is not None:
        fields["eth_dst"] = match.eth_dst
    return parser.OFPMatch(**fields)


def _to_action(action: Action) -> Any:  # noqa: C901 - one arm per action type
    match action:
        case Output(port):
            return parser.OFPActionOutput(port, 0)
        case Normal():
            return parser.OFPActionOutput(ofp.OFPP_NORMAL, 0)
        case PushVlan():
            return parser.OFPActionPushVlan(ether.ETH_TYPE_8021Q)
        case PopVlan():
            return parser.OFPActionPopVlan()
        case SetVlan(vlan):
            return parser.OFPActionSetField(vlan_vid=VLAN_PRESENT | vlan)
        case SetTunnel(key):
            return parser.OFPActionSetField(tunnel_id=key)
        case SetField(name, value):
            return parser.OFPActionSetField(**{name: value})
        case Ct(zone, commit, table):
            return parser.NXActionCT(
                flags=_CT_COMMIT if commit else 0,
                zone_src="",
                zone_ofs_nbits=zone,
                recirc_table=_NO_RECIRC if table is None else table,
                alg=0,
                actions=[],
            )
        case Goto() | Meter() | Opaque():
            raise ValueError(f"{action} is not an apply-action")
    raise AssertionError(action)  # pragma: no cover - the match is exhaustive


def to_instructions(actions: tuple[Action, ...]) -> list[Any]:
    """A meter if the flow starts with one, apply-actions, then goto-table if the
    flow ends with one."""
    instructions: list[Any] = []
    if actions and isinstance(actions[0], Meter):
        instructions.append(parser.OFPInstructionMeter(actions[0].meter_id))
        actions = actions[1:]
    goto = actions[-1] if actions and isinstance(actions[-1], Goto) else None
    applied = [_to_action(a) for a in (actions[:-1] if goto else actions)]
    if applied:
        instructions.append(
            parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS, applied)
        )
    if goto is not None:
        instructions.append(parser.OFPInstructionGotoTable(goto.table))
    return instructions


def add_flow(datapath: Any, flow: Flow, *, cookie: int = tables.AGENT_COOKIE) -> Any:
    """OFPFC_ADD: creates the flow, or replaces the one with the same key in place."""
    return parser.OFPFlowMod(
        datapath,
        cookie=cookie,
        table_id=flow.table,
        command=ofp.OFPFC_ADD,
        priority=flow.priority,
        match=to_match(flow.match),
        instructions=to_instructions(flow.actions),
    )


def delete_flow(datapath: Any, installed: InstalledFlow) -> Any:
    """OFPFC_DELETE_STRICT of exactly this flow, and only while it has its cookie."""
    flow = installed.flow
    return parser.OFPFlowMod(
        datapath,
        cookie=installed.cookie,
        cookie_mask=tables.COOKIE_MASK,
        table_id=flow.table,
        command=ofp.OFPFC_DELETE_STRICT,
        priority=flow.priority,
        out_port=ofp.OFPP_ANY,
        out_group=ofp.OFPG_ANY,
        match=to_match(flow.match),
    )


def apply_messages(
    datapath: Any, diff: FlowDiff, *, cookie: int = tables.AGENT_COOKIE
) -> tuple[Iterator[Any], Iterator[Any]]:
    """(adds, deletes) for ``diff``; send a barrier between them so no gap opens.

    Built one at a time as they are sent: an os-ken ``OFPFlowMod`` with its match
    and instructions is about 4 KiB, so 39,000 of them at once were 150 MiB."""
    adds = (add_flow(datapath, flow, cookie=cookie) for flow in diff.add)
    deletes = (delete_flow(datapath, item) for item in diff.delete)
    return adds, deletes


def flow_stats_request(datapath: Any, cookie: int | None = None) -> Any:
    """All flows of every table, or only those carrying ``cookie``."""
    return parser.OFPFlowStatsRequest(
        datapath,
        table_id=ofp.OFPTT_ALL,
        out_port=ofp.OFPP_ANY,
        out_group=ofp.OFPG_ANY,
        cookie=cookie or 0,
        cookie_mask=tables.COOKIE_MASK if cookie is not None else 0,
    )


def _from_match(raw: Any) -> Match:
    """Exact matches on the fields the agent uses become typed; the rest ``extra``."""
    known: dict[str, Any] = {}
    extra: list[tuple[str, object]] = []
    for name, value in raw.items():
        if name in _KNOWN_FIELDS and not isinstance(value, tuple | list):
            known[name] = value
        else:
            extra.append(shared((name, _hashable(value))))
    vlan: int | Untagged | None = None
    raw_vlan = known.pop("vlan_vid", None)
    if raw_vlan == ofp.OFPVID_NONE:
        vlan = UNTAGGED
    elif raw_vlan is not None and raw_vlan & VLAN_PRESENT:
        vlan = raw_vlan & 0xFFF
    elif raw_vlan is not None:
        extra.append(("vlan_vid", raw_vlan))
    return Match(
        in_port=known.get("in_port"),
        vlan=vlan,
        tunnel_id=known.get("tunnel_id"),
        eth_dst=known.get("eth_dst"),
        extra=tuple(sorted(extra, key=lambda item: item[0])),
    )


def _hashable(value: object) -> object:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def _from_action(raw: Any) -> Action:
    if isinstance(raw, parser.OFPActionOutput):
        return Normal() if raw.port == ofp.OFPP_NORMAL else Output(raw.port)
    if isinstance(raw, parser.OFPActionPushVlan) and raw.ethertype == 0x8100:
        return PushVlan()
    if isinstance(raw, parser.OFPActionPopVlan):
        return PopVlan()
    if isinstance(raw, parser.OFPActionSetField):
        if raw.key == "vlan_vid" and raw.value & VLAN_PRESENT:
            return SetVlan(raw.value & 0xFFF)
        if raw.key == "tunnel_id":
            return SetTunnel(raw.value)
        if raw.key.startswith("reg") and isinstance(raw.value, int):
            return SetField(raw.key, raw.value)
    if (
        isinstance(raw, parser.NXActionCT)
        and not raw.zone_src
        and not raw.actions
        and not raw.alg
        and raw.flags in (0, _CT_COMMIT)
    ):
        return Ct(
            zone=raw.zone_ofs_nbits,
            commit=raw.flags == _CT_COMMIT,
            table=None if raw.recirc_table == _NO_RECIRC else raw.recirc_table,
        )
    return Opaque(str(raw))


def from_stats(stats: Any) -> InstalledFlow:
    """A dumped ``OFPFlowStats`` as the flow the agent would have planned."""
    actions: list[Action] = []
    for instruction in stats.instructions:
        if (
            isinstance(instruction, parser.OFPInstructionActions)
            and instruction.type == ofp.OFPIT_APPLY_ACTIONS
        ):
            actions.extend(_from_action(a) for a in instruction.actions)
        elif isinstance(instruction, parser.OFPInstructionGotoTable):
            actions.append(Goto(instruction.table_id))
        elif isinstance(instruction, parser.OFPInstructionMeter):
            actions.insert(0, Meter(instruction.meter_id))
        else:
            actions.append(Opaque(str(instruction)))
    flow = Flow(
        table=stats.table_id,
        priority=stats.priority,
        match=_from_match(stats.match),
        actions=shared(tuple(actions)),
    )
    return InstalledFlow(cookie=stats.cookie, flow=flow)


# -- meters (ingress limits of VIFs on br-int) ---------------------------------------


def meter_mod(datapath: Any, command: int, meter_id: int, rate: int, burst: int) -> Any:
    """Add or modify meter ``meter_id``: drop above ``rate`` kbit/s, bursts of
    ``burst`` kbit (0: let the switch choose)."""
    flags = ofp.OFPMF_KBPS | (ofp.OFPMF_BURST if burst else 0)
    band = parser.OFPMeterBandDrop(rate=rate, burst_size=burst)
    return parser.OFPMeterMod(
        datapath, command=command, flags=flags, meter_id=meter_id, bands=[band]
    )


def meter_delete(datapath: Any, meter_id: int) -> Any:
    return parser.OFPMeterMod(
        datapath, command=ofp.OFPMC_DELETE, flags=0, meter_id=meter_id, bands=[]
    )


def meter_config_request(datapath: Any) -> Any:
    return parser.OFPMeterConfigStatsRequest(datapath, 0, ofp.OFPM_ALL)


def from_meter_config(stats: Any) -> tuple[int, tuple[int, int]]:
    """A dumped meter as ``(meter_id, (rate, burst))`` of its first drop band."""
    bands = [b for b in stats.bands if isinstance(b, parser.OFPMeterBandDrop)]
    if not bands:
        return stats.meter_id, (0, 0)
    burst = bands[0].burst_size if stats.flags & ofp.OFPMF_BURST else 0
    return stats.meter_id, (bands[0].rate, burst)
