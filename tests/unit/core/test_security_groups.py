# SPDX-License-Identifier: Apache-2.0
"""The pure part of security groups: a rule checked and made canonical, and what
makes two rules the same."""

from __future__ import annotations

import pytest

from quantum.core import exceptions as exc
from quantum.core.security_groups import (
    Direction,
    EtherType,
    SecurityGroupRuleCreate,
    canonical_protocol,
    canonical_rule,
    default_rules,
    protocol_number,
    rule_key,
)


def make(**attrs: object) -> SecurityGroupRuleCreate:
    base: dict[str, object] = {
        "tenant_id": "t",
        "security_group_id": "g",
        "direction": Direction.INGRESS,
    }
    return SecurityGroupRuleCreate(**{**base, **attrs})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        (None, None),
        ("any", None),
        ("TCP", "tcp"),
        (" udp ", "udp"),
        (6, "6"),
        ("006", "6"),
        (0, "0"),
        (255, "255"),
        ("ICMPv6", "icmpv6"),
    ],
)
def test_protocols_by_name_or_number(given: object, stored: str | None) -> None:
    assert canonical_protocol(given) == stored


@pytest.mark.parametrize("bad", [256, -1, "tcp/ip", True, 1.5, "1000", [6]])
def test_other_protocols_are_refused(bad: object) -> None:
    with pytest.raises(exc.SecurityGroupRuleInvalidProtocol):
        canonical_protocol(bad)


def test_icmp_in_an_ipv6_rule_is_icmpv6() -> None:
    assert protocol_number("icmp", EtherType.IPV6) == 58
    assert protocol_number("icmp", EtherType.IPV4) == 1
    assert protocol_number("58", EtherType.IPV6) == 58
    v6 = make(ethertype=EtherType.IPV6, protocol="icmp")
    assert rule_key(v6) == rule_key(make(ethertype=EtherType.IPV6, protocol="icmpv6"))


def test_canonical_form() -> None:
    rule = canonical_rule(
        make(
            protocol="TCP",
            port_range_min=80,
            port_range_max=90,
            remote_ip_prefix="10.1.2.3/8",
        )
    )
    assert (rule.protocol, rule.remote_ip_prefix) == ("tcp", "10.0.0.0/8")
    host = canonical_rule(make(remote_ip_prefix="10.1.2.3"))
    assert host.remote_ip_prefix == "10.1.2.3/32"
    icmp = canonical_rule(make(protocol="icmp", port_range_min=8, port_range_max=0))
    assert (icmp.port_range_min, icmp.port_range_max) == (8, 0)


@pytest.mark.parametrize(
    ("attrs", "error"),
    [
        (
            {"remote_ip_prefix": "10.0.0.0/8", "remote_group_id": "g"},
            exc.SecurityGroupRemoteGroupAndRemoteIpPrefix,
        ),
        (
            {"ethertype": EtherType.IPV6, "remote_ip_prefix": "10.0.0.0/8"},
            exc.SecurityGroupRuleParameterConflict,
        ),
        ({"protocol": "icmpv6"}, exc.SecurityGroupRuleParameterConflict),
        (
            {"port_range_min": 1, "port_range_max": 2},
            exc.SecurityGroupProtocolRequiredWithPorts,
        ),
        (
            {"protocol": "tcp", "port_range_min": 2, "port_range_max": 1},
            exc.SecurityGroupInvalidPortRange,
        ),
        (
            {"protocol": "tcp", "port_range_min": 0, "port_range_max": 1},
            exc.SecurityGroupInvalidPortValue,
        ),
        ({"protocol": "tcp", "port_range_max": 1}, exc.SecurityGroupInvalidPortRange),
        ({"protocol": "udp", "port_range_min": 1}, exc.SecurityGroupInvalidPortRange),
        (
            {"protocol": "tcp", "port_range_min": 65536},
            exc.SecurityGroupInvalidPortValue,
        ),
        (
            {"protocol": "icmp", "port_range_min": 300},
            exc.SecurityGroupInvalidIcmpValue,
        ),
        ({"protocol": "icmp", "port_range_max": 3}, exc.SecurityGroupMissingIcmpType),
        ({"protocol": "47", "port_range_min": 1}, exc.InvalidInput),
        ({"remote_ip_prefix": "nonsense"}, exc.InvalidInput),
    ],
)
def test_bad_rules(attrs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        canonical_rule(make(**attrs))


def test_rule_keys_compare_every_field_exactly() -> None:
    tcp = canonical_rule(make(protocol="tcp"))
    assert rule_key(tcp) == rule_key(canonical_rule(make(protocol="6")))
    assert rule_key(tcp) != rule_key(canonical_rule(make()))
    assert rule_key(tcp) != rule_key(
        canonical_rule(make(protocol="tcp", direction=Direction.EGRESS))
    )
    ranged = canonical_rule(make(protocol="tcp", port_range_min=1, port_range_max=2))
    assert rule_key(ranged) != rule_key(tcp)


def test_default_rules() -> None:
    plain = default_rules("t", "g", same_group=False)
    assert [(r.direction, r.ethertype, r.remote_group_id) for r in plain] == [
        (Direction.EGRESS, EtherType.IPV4, None),
        (Direction.EGRESS, EtherType.IPV6, None),
    ]
    default = default_rules("t", "g", same_group=True)
    assert [(r.direction, r.ethertype, r.remote_group_id) for r in default[2:]] == [
        (Direction.INGRESS, EtherType.IPV4, "g"),
        (Direction.INGRESS, EtherType.IPV6, "g"),
    ]
