# SPDX-License-Identifier: Apache-2.0
"""Which tracked connections a rule change cuts, from real dump-conntrack lines."""

from __future__ import annotations

from quantum.agent.ovs import conntrack
from quantum.agent.ovs.bridges.firewall import FirewalledPort
from quantum.agent.ovs.model import (
    AddressPair,
    Direction,
    PortSecurity,
    SecurityRule,
)

# NOTE: as ovs-appctl dpctl/dump-conntrack zone=5 prints them (OVS 3.1)
DUMP = """\
tcp,orig=(src=10.0.0.9,dst=10.0.0.5,sport=48802,dport=22),reply=(src=10.0.0.5,dst=10.0.0.9,sport=22,dport=48802),zone=5,protoinfo=(state=ESTABLISHED)
tcp,orig=(src=10.0.0.9,dst=10.0.0.5,sport=48804,dport=80),reply=(src=10.0.0.5,dst=10.0.0.9,sport=80,dport=48804),zone=5,protoinfo=(state=ESTABLISHED)
icmp,orig=(src=10.0.0.9,dst=10.0.0.5,id=17621,type=8,code=0),reply=(src=10.0.0.5,dst=10.0.0.9,id=17621,type=0,code=0),zone=5
udp,orig=(src=10.0.0.5,dst=8.8.8.8,sport=40000,dport=53),reply=(src=8.8.8.8,dst=10.0.0.5,sport=53,dport=40000),zone=5
tcp6,orig=(src=fd00::9,dst=fd00::5,sport=5000,dport=443),reply=(src=fd00::5,dst=fd00::9,sport=443,dport=5000),zone=5,protoinfo=(state=SYN_SENT)
icmp,orig=(src=10.0.0.9,dst=10.0.0.5,id=1,type=8,code=0),reply=(src=10.0.0.5,dst=10.0.0.9,id=1,type=0,code=0),zone=6
tcp,orig=(src=10.0.0.77,dst=10.0.0.78,sport=1,dport=2),reply=(src=10.0.0.78,dst=10.0.0.77,sport=2,dport=1),zone=5,protoinfo=(state=ESTABLISHED)
"""

IN, OUT = Direction.INGRESS, Direction.EGRESS


def _port(*rules: SecurityRule) -> FirewalledPort:
    return FirewalledPort(
        ofport=5,
        local_vlan=1,
        security=PortSecurity(
            mac_address="fa:16:3e:00:00:05",
            fixed_ips=("10.0.0.5", "fd00::5"),
            allowed_address_pairs=(
                AddressPair(ip_address="10.0.1.0/24", mac_address="fa:16:3e:00:00:05"),
            ),
        ),
        rules=rules,
        members={"admins": ("10.0.0.9",)},
    )


def _stale(*rules: SecurityRule) -> list[str]:
    port = _port(*rules)
    return [
        conntrack.flush_tuple(c)
        for c in conntrack.stale(port, conntrack.parse_dump(DUMP))
    ]


SSH = SecurityRule(direction=IN, ethertype=4, protocol=6, port_min=22)
WEB = SecurityRule(direction=IN, ethertype=4, protocol=6, port_min=80, port_max=81)
PING = SecurityRule(direction=IN, ethertype=4, protocol=1, port_min=8)
OUT4 = SecurityRule(direction=OUT, ethertype=4)
WEB6 = SecurityRule(direction=IN, ethertype=6, protocol=6, port_min=443)
SPOOFED = (
    "ct_nw_src=10.0.0.77,ct_nw_dst=10.0.0.78,ct_nw_proto=6,ct_tp_src=1,ct_tp_dst=2"
)


def test_parse_reads_every_tracked_protocol_of_every_zone() -> None:
    found = conntrack.parse_dump(DUMP + "garbage\n\n")
    assert len(found) == 7
    assert found[0].dport == 22
    assert found[0].zone == 5
    assert found[2].icmp == (8, 0)
    assert found[2].icmp_id == 17621
    assert found[2].dport is None
    assert found[4].src.version == 6


def test_everything_still_allowed_is_kept() -> None:
    assert _stale(SSH, WEB, PING, OUT4, WEB6) == [SPOOFED]


def test_a_removed_rule_cuts_what_only_it_allowed() -> None:
    assert _stale(WEB, PING, OUT4, WEB6) == [
        "ct_nw_src=10.0.0.9,ct_nw_dst=10.0.0.5,ct_nw_proto=6,"
        "ct_tp_src=48802,ct_tp_dst=22",
        SPOOFED,
    ]
    assert _stale(SSH, WEB, PING, WEB6) == [
        "ct_nw_src=10.0.0.5,ct_nw_dst=8.8.8.8,ct_nw_proto=17,"
        "ct_tp_src=40000,ct_tp_dst=53",
        SPOOFED,
    ]
    assert _stale(SSH, WEB, OUT4, WEB6) == [
        "ct_nw_src=10.0.0.9,ct_nw_dst=10.0.0.5,ct_nw_proto=1,"
        "icmp_type=8,icmp_code=0,icmp_id=17621",
        SPOOFED,
    ]
    assert _stale(SSH, WEB, PING, OUT4) == [
        "ct_ipv6_src=fd00::9,ct_ipv6_dst=fd00::5,ct_nw_proto=6,"
        "ct_tp_src=5000,ct_tp_dst=443",
        SPOOFED,
    ]


def test_a_change_that_still_allows_keeps_it() -> None:
    """SSH by port range 20-30 instead of 22, from the remote group instead of
    anyone: the SSH connection survives; a prefix without it does not."""
    wider = SecurityRule(
        direction=IN,
        ethertype=4,
        protocol=6,
        port_min=20,
        port_max=30,
        remote_group_id="admins",
    )
    assert _stale(wider, WEB, PING, OUT4, WEB6) == [SPOOFED]
    elsewhere = SecurityRule(
        direction=IN,
        ethertype=4,
        protocol=6,
        port_min=22,
        remote_ip_prefix="192.168.0.0/16",
    )
    assert "ct_tp_dst=22" in _stale(elsewhere, WEB, PING, OUT4, WEB6)[0]


def test_icmp_code_and_type_are_checked() -> None:
    echo_only_code_3 = SecurityRule(
        direction=IN, ethertype=4, protocol=1, port_min=8, port_max=3
    )
    assert "ct_nw_proto=1" in _stale(SSH, WEB, echo_only_code_3, OUT4, WEB6)[0]


# NOTE: a ping stream from 10.61.0.11 to a port whose ICMP rule admits its
# remote group, as vswitchd's zone held it after .11 left the group (the
# data-plane run that logged "failed to flush conntrack (No such file or
# directory)": the flush named no ICMP identifier, so no connection).
MEMBERSHIP_DUMP = """\
icmp,orig=(src=10.61.0.11,dst=10.61.0.5,id=22736,type=8,code=0),reply=(src=10.61.0.5,dst=10.61.0.11,id=22736,type=0,code=0),zone=3
icmp,orig=(src=10.61.0.12,dst=10.61.0.5,id=22843,type=8,code=0),reply=(src=10.61.0.5,dst=10.61.0.12,id=22843,type=0,code=0),zone=3
icmpv6,orig=(src=fd3d::5,dst=fd3d::c,id=7,type=128,code=0),reply=(src=fd3d::c,dst=fd3d::5,id=7,type=129,code=0),zone=3
udp,orig=(src=fe80::f816:3eff:fe3d:5,dst=ff02::fb,sport=5353,dport=5353),reply=(src=ff02::fb,dst=fe80::f816:3eff:fe3d:5,sport=5353,dport=5353),zone=3
"""


def test_a_member_that_left_the_remote_group_is_cut_by_its_whole_tuple() -> None:
    port = FirewalledPort(
        ofport=3,
        local_vlan=2,
        security=PortSecurity(
            mac_address="fa:16:3e:3d:00:05", fixed_ips=("10.61.0.5", "fd3d::5")
        ),
        rules=(
            SecurityRule(direction=OUT, ethertype=4),
            SecurityRule(direction=OUT, ethertype=6),
            SecurityRule(
                direction=IN, ethertype=4, protocol=1, remote_group_id="pingers"
            ),
        ),
        members={"pingers": ("10.61.0.12/32", "10.61.0.13/32", "fd3d::c/128")},
    )
    connections = conntrack.parse_dump(MEMBERSHIP_DUMP)
    assert len(connections) == 4
    # the member still in the group keeps its ping; the port's own outgoing
    # ICMPv6 echo and its link-local multicast (egress rules) are kept too
    assert [conntrack.flush_tuple(c) for c in conntrack.stale(port, connections)] == [
        "ct_nw_src=10.61.0.11,ct_nw_dst=10.61.0.5,ct_nw_proto=1,"
        "icmp_type=8,icmp_code=0,icmp_id=22736"
    ]
    ping6 = connections[2]
    assert conntrack.flush_tuple(ping6) == (
        "ct_ipv6_src=fd3d::5,ct_ipv6_dst=fd3d::c,ct_nw_proto=58,"
        "icmp_type=128,icmp_code=0,icmp_id=7"
    )
