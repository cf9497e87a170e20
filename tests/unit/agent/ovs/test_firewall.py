# SPDX-License-Identifier: Apache-2.0
"""Security groups and port security compiled to flows: exact flows for
representative rule sets (golden), and the properties they rest on."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from quantum.agent.ovs.bridges import firewall
from quantum.agent.ovs.flows import render_table
from quantum.agent.ovs.model import (
    AddressPair,
    Direction,
    PortSecurity,
    SecurityRule,
)

GOLDEN = Path(__file__).parents[3] / "golden" / "ovs"
MAC = "fa:16:3e:00:00:05"
IN, OUT = Direction.INGRESS, Direction.EGRESS


def _port(*rules: SecurityRule, **security: object) -> firewall.FirewalledPort:
    return firewall.FirewalledPort(
        ofport=5,
        local_vlan=3,
        security=PortSecurity(
            mac_address=MAC,
            fixed_ips=("10.0.0.5",),
            security_groups=("g1",),
            **security,  # type: ignore[arg-type]
        ),
        rules=rules,
        members={"g2": ("10.0.0.7", "10.0.0.9", "fd00::7", "10.0.1.0/24")},
    )


def _rule_flows(*rules: SecurityRule) -> list[str]:
    """Only the flows of tables 11 and 31 that the rules make."""
    text = render_table(firewall.port_flows(_port(*rules)))
    return [
        line
        for line in text.splitlines()
        if line.startswith(("table=11, priority=50", "table=31, priority=50"))
    ]


NEW = "ct_state=+new-est-inv+trk"
IN_ACCEPT = "actions=ct(commit,zone=5),goto_table:40"
OUT_ACCEPT = "actions=ct(commit,zone=5),goto_table:20"


def test_tcp_port_range_compiles_to_prefix_masks() -> None:
    assert _rule_flows(
        SecurityRule(direction=IN, ethertype=4, protocol=6, port_min=22, port_max=25)
    ) == [
        f"table=31, priority=50,{NEW},eth_type=0x0800,ip_proto=6,reg7=5,"
        f"tcp_dst=0x16/0xfffe {IN_ACCEPT}",
        f"table=31, priority=50,{NEW},eth_type=0x0800,ip_proto=6,reg7=5,"
        f"tcp_dst=0x18/0xfffe {IN_ACCEPT}",
    ]


def test_single_port_is_exact_and_full_range_is_any_port() -> None:
    assert _rule_flows(
        SecurityRule(direction=IN, ethertype=4, protocol=17, port_min=53),
        SecurityRule(direction=OUT, ethertype=4, protocol=6, port_min=1, port_max=1),
        SecurityRule(
            direction=OUT, ethertype=4, protocol=6, port_min=0, port_max=65535
        ),
    ) == [
        f"table=11, priority=50,in_port=5,{NEW},eth_type=0x0800,"
        f"ip_proto=6 {OUT_ACCEPT}",
        f"table=11, priority=50,in_port=5,{NEW},eth_type=0x0800,ip_proto=6,"
        f"tcp_dst=1 {OUT_ACCEPT}",
        f"table=31, priority=50,{NEW},eth_type=0x0800,ip_proto=17,reg7=5,"
        f"udp_dst=53 {IN_ACCEPT}",
    ]


def test_icmp_type_and_code() -> None:
    assert _rule_flows(
        SecurityRule(direction=IN, ethertype=4, protocol=1, port_min=8, port_max=0),
        SecurityRule(direction=IN, ethertype=4, protocol=1, port_min=3),
        SecurityRule(direction=IN, ethertype=4, protocol=1),
    ) == [
        f"table=31, priority=50,{NEW},eth_type=0x0800,icmpv4_code=0,icmpv4_type=8,"
        f"ip_proto=1,reg7=5 {IN_ACCEPT}",
        f"table=31, priority=50,{NEW},eth_type=0x0800,icmpv4_type=3,ip_proto=1,"
        f"reg7=5 {IN_ACCEPT}",
        f"table=31, priority=50,{NEW},eth_type=0x0800,ip_proto=1,reg7=5 {IN_ACCEPT}",
    ]


def test_remote_prefix_is_the_source_in_and_the_destination_out() -> None:
    assert _rule_flows(
        SecurityRule(
            direction=IN,
            ethertype=4,
            protocol=6,
            port_min=80,
            remote_ip_prefix="192.168.1.77/24",
        ),
        SecurityRule(direction=OUT, ethertype=4, remote_ip_prefix="172.16.0.1/32"),
        SecurityRule(direction=IN, ethertype=4, remote_ip_prefix="0.0.0.0/0"),
        # a prefix of the other IP version allows nothing
        SecurityRule(direction=IN, ethertype=4, remote_ip_prefix="fd00::/8"),
    ) == [
        f"table=11, priority=50,in_port=5,{NEW},eth_type=0x0800,"
        f"ipv4_dst=172.16.0.1 {OUT_ACCEPT}",
        f"table=31, priority=50,{NEW},eth_type=0x0800,ip_proto=6,"
        f"ipv4_src=192.168.1.0/255.255.255.0,reg7=5,tcp_dst=80 {IN_ACCEPT}",
        f"table=31, priority=50,{NEW},eth_type=0x0800,reg7=5 {IN_ACCEPT}",
    ]


def test_remote_group_expands_to_its_members_of_the_rules_version() -> None:
    assert _rule_flows(
        SecurityRule(
            direction=IN, ethertype=4, protocol=6, port_min=22, remote_group_id="g2"
        ),
        SecurityRule(direction=IN, ethertype=6, remote_group_id="g2"),
        # a group without members (or unknown) allows no one
        SecurityRule(direction=IN, ethertype=4, remote_group_id="empty"),
    ) == [
        f"table=31, priority=50,{NEW},eth_type=0x0800,ip_proto=6,ipv4_src=10.0.0.7,"
        f"reg7=5,tcp_dst=22 {IN_ACCEPT}",
        f"table=31, priority=50,{NEW},eth_type=0x0800,ip_proto=6,ipv4_src=10.0.0.9,"
        f"reg7=5,tcp_dst=22 {IN_ACCEPT}",
        f"table=31, priority=50,{NEW},eth_type=0x0800,ip_proto=6,"
        f"ipv4_src=10.0.1.0/255.255.255.0,reg7=5,tcp_dst=22 {IN_ACCEPT}",
        f"table=31, priority=50,{NEW},eth_type=0x86dd,ipv6_src=fd00::7,"
        f"reg7=5 {IN_ACCEPT}",
    ]


def test_ipv6_rules_and_icmp_on_ipv6_is_icmpv6() -> None:
    assert _rule_flows(
        SecurityRule(direction=IN, ethertype=6, protocol=1, port_min=128),
        SecurityRule(
            direction=OUT,
            ethertype=6,
            protocol=6,
            port_min=443,
            remote_ip_prefix="2001:db8::/32",
        ),
    ) == [
        f"table=11, priority=50,in_port=5,{NEW},eth_type=0x86dd,ip_proto=6,"
        f"ipv6_dst=2001:db8::/ffff:ffff::,tcp_dst=443 {OUT_ACCEPT}",
        f"table=31, priority=50,{NEW},eth_type=0x86dd,icmpv6_type=128,ip_proto=58,"
        f"reg7=5 {IN_ACCEPT}",
    ]


def test_no_rules_no_rule_flows() -> None:
    assert _rule_flows() == []


def test_a_port_with_pairs_matches_golden() -> None:
    """Everything one port gets: anti-spoofing for its MAC, fixed IPs (v4, v6),
    link-local address and two allowed pairs (one with its own MAC, one a CIDR),
    switching to it, ingress, and the default group's rules."""
    port = firewall.FirewalledPort(
        ofport=5,
        local_vlan=3,
        security=PortSecurity(
            mac_address="FA:16:3E:00:00:05",
            fixed_ips=("10.0.0.5", "fd00::5"),
            allowed_address_pairs=(
                AddressPair(ip_address="10.0.0.99", mac_address="fa:16:3e:00:00:99"),
                AddressPair(ip_address="10.0.2.0/24", mac_address="fa:16:3e:00:00:05"),
            ),
            security_groups=("default",),
        ),
        rules=(
            SecurityRule(direction=OUT, ethertype=4),
            SecurityRule(direction=OUT, ethertype=6),
            SecurityRule(direction=IN, ethertype=4, remote_group_id="default"),
            SecurityRule(direction=IN, ethertype=6, remote_group_id="default"),
        ),
        members={"default": ("10.0.0.5", "fd00::5", "10.0.0.6")},
    )
    text = render_table(firewall.firewall_flows([port]))
    path = GOLDEN / "firewall-port.txt"
    if os.environ.get("QUANTUM_UPDATE_GOLDEN") == "1":
        path.write_text(text)
    assert text == path.read_text()


@pytest.mark.parametrize("seed", range(20))
def test_port_range_masks_cover_exactly_the_range(seed: int) -> None:
    rng = random.Random(seed)
    low = rng.randrange(0, 65536)
    high = rng.randrange(low, min(65536, low + rng.choice((1, 40, 3000, 70000))))
    blocks = firewall.port_range_masks(low, high)
    covered = {
        port
        for value, mask in blocks
        for port in range(value, value + (~mask & 0xFFFF) + 1)
    }
    assert covered == set(range(low, high + 1))
    assert all(value & ~mask & 0xFFFF == 0 for value, mask in blocks)
    # minimal: at most two blocks per bit of the range's length
    assert len(blocks) <= 2 * 16


def test_port_range_masks_known_and_bad() -> None:
    assert firewall.port_range_masks(80, 80) == [(80, 0xFFFF)]
    assert firewall.port_range_masks(0, 65535) == [(0, 0)]
    assert firewall.port_range_masks(1, 65535)[:2] == [(1, 0xFFFF), (2, 0xFFFE)]
    assert len(firewall.port_range_masks(1, 65535)) == 16
    with pytest.raises(ValueError, match="bad port range"):
        firewall.port_range_masks(10, 9)


def test_link_local_from_mac() -> None:
    assert str(firewall.link_local("fa:16:3e:12:34:56")) == "fe80::f816:3eff:fe12:3456"
