# SPDX-License-Identifier: Apache-2.0
"""Flows as data: ovs-ofctl text and the diff that makes a table equal a wanted set."""

from __future__ import annotations

from quantum.agent.ovs.flows import (
    UNTAGGED,
    Flow,
    FlowDiff,
    Goto,
    InstalledFlow,
    Match,
    Normal,
    Opaque,
    Output,
    PopVlan,
    PushVlan,
    SetTunnel,
    SetVlan,
    render_table,
)

COOKIE = 0xABC


def test_render_like_ovs_ofctl() -> None:
    flow = Flow(
        table=3,
        priority=1,
        match=Match(in_port=4, vlan=7, eth_dst="fa:16:3e:00:00:01", tunnel_id=26),
        actions=(PopVlan(), PushVlan(), SetVlan(5), SetTunnel(26), Output(2), Normal()),
    )
    assert flow.render() == (
        "table=3, priority=1,in_port=4,dl_vlan=7,dl_dst=fa:16:3e:00:00:01,tun_id=0x1a"
        " actions=pop_vlan,push_vlan:0x8100,set_field:4101->vlan_vid,"
        "set_field:0x1a->tun_id,output:2,NORMAL"
    )
    other = Flow(
        table=0,
        priority=0,
        match=Match(vlan=UNTAGGED, extra=(("ip_proto", 6),)),
        actions=(Opaque("meter:1"), Goto(2)),
    )
    assert other.render() == (
        "table=0, priority=0,vlan_tci=0x0000/0x1fff,ip_proto=6"
        " actions=meter:1,goto_table:2"
    )
    assert Flow(table=1, priority=0).render() == "table=1, priority=0 actions=drop"


def test_tables_sort_by_table_then_highest_priority() -> None:
    flows = [
        Flow(table=1, priority=5),
        Flow(table=0, priority=1),
        Flow(table=0, priority=9),
    ]
    assert render_table(flows).splitlines() == [
        "table=0, priority=9 actions=drop",
        "table=0, priority=1 actions=drop",
        "table=1, priority=5 actions=drop",
    ]


def test_diff_adds_missing_and_deletes_unwanted_own_flows() -> None:
    keep = Flow(table=0, priority=1, actions=(Normal(),))
    new = Flow(table=0, priority=2, match=Match(in_port=3))
    old = Flow(table=0, priority=2, match=Match(in_port=4))
    installed = [InstalledFlow(cookie=COOKIE, flow=f) for f in (keep, old)]
    diff = FlowDiff.compute([keep, new], installed, cookie=COOKIE)
    assert diff.add == (new,)
    assert diff.delete == (InstalledFlow(cookie=COOKIE, flow=old),)
    assert diff
    assert not FlowDiff.compute([keep], [installed[0]], cookie=COOKIE)


def test_changed_actions_replace_in_place() -> None:
    before = Flow(table=1, priority=1, match=Match(vlan=1), actions=(Output(10),))
    after = Flow(table=1, priority=1, match=Match(vlan=1), actions=(Output(11),))
    diff = FlowDiff.compute(
        [after], [InstalledFlow(cookie=COOKIE, flow=before)], cookie=COOKIE
    )
    assert diff.add == (after,)
    assert diff.delete == ()


def test_foreign_cookies_are_swept_only_on_request() -> None:
    wanted = Flow(table=0, priority=1, actions=(Normal(),))
    stale_same = InstalledFlow(cookie=1, flow=wanted)
    stale_other = InstalledFlow(cookie=2, flow=Flow(table=7, priority=7))
    swept = FlowDiff.compute([wanted], [stale_same, stale_other], cookie=COOKIE)
    assert swept.add == (wanted,)
    assert set(swept.delete) == {stale_same, stale_other}
    kept = FlowDiff.compute(
        [wanted], [stale_same, stale_other], cookie=COOKIE, sweep=False
    )
    assert kept.add == (wanted,)
    assert kept.delete == ()


def test_equal_field_pairs_are_one_object_in_every_match() -> None:
    """Planned and dumped flows share their recurring parts (memory)."""
    one = Match.of(reg7=5, eth_type=0x0800, ipv4_src="10.0.0.3")
    two = Match.of({"ipv4_src": "10.0.0.3", "reg7": 5}, eth_type=0x0800)
    assert one == two
    assert all(a is b for a, b in zip(one.extra, two.extra, strict=True))
