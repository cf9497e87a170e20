# SPDX-License-Identifier: Apache-2.0
"""Segment ranges: parsing, merging, choosing the lowest free id, and the checks that
make a configuration usable."""

from __future__ import annotations

from typing import Any

import pytest

from quantum.core.networks import NetworkType
from quantum.plugins.openvswitch.segments import (
    GRE_KEYS,
    VLAN_IDS,
    VXLAN_VNIS,
    IdRange,
    SegmentConfig,
    lowest_free,
    merge_ranges,
    parse_range,
    parse_tunnel_ranges,
    parse_vlan_ranges,
)


def test_a_range_is_min_colon_max_inclusive() -> None:
    assert parse_range("1000:2999", VLAN_IDS) == IdRange(1000, 2999)
    assert parse_range(" 7 : 7 ", VLAN_IDS) == IdRange(7, 7)
    assert str(IdRange(1, 4)) == "1:4"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("1000", "is not 'min:max'"),
        ("1:2:3", "is not 'min:max'"),
        ("a:b", "is not 'min:max'"),
        ("-1:5", "is not 'min:max'"),
        ("1_000:2000", "is not 'min:max'"),
        ("10:9", "min is greater than max"),
        ("0:10", "is outside 1..4094"),
        ("4000:4095", "is outside 1..4094"),
    ],
)
def test_bad_ranges_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says) as raised:
        parse_range(text, VLAN_IDS)
    assert repr(text) in str(raised.value)


def test_tunnel_ranges_merge_and_respect_the_key_width() -> None:
    assert parse_tunnel_ranges(["1:10", "5:20", "30:40", "21:29", " "]) == (
        IdRange(1, 40),
    )
    assert parse_tunnel_ranges([f"1:{GRE_KEYS.last}"]) == (GRE_KEYS,)
    with pytest.raises(ValueError, match="outside"):
        parse_tunnel_ranges([f"1:{GRE_KEYS.last + 1}"])


def test_merge_keeps_gaps() -> None:
    assert merge_ranges([IdRange(10, 12), IdRange(1, 3), IdRange(4, 5)]) == (
        IdRange(1, 5),
        IdRange(10, 12),
    )


def test_vlan_ranges_per_physical_network_in_order() -> None:
    parsed = parse_vlan_ranges(
        ["physnet2:100:199", "physnet1:1000:2999", "physnet2:300:399", "external"]
    )
    assert list(parsed) == ["physnet2", "physnet1", "external"]
    assert parsed["physnet2"] == (IdRange(100, 199), IdRange(300, 399))
    assert parsed["physnet1"] == (IdRange(1000, 2999),)
    assert parsed["external"] == ()


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        (":1:2", "has no physical network name"),
        ("physnet1:1000", "is not 'physnet:min:max'"),
        ("physnet1:1:5000", "is outside 1..4094"),
        ("p" * 65 + ":1:2", "at most 64 characters"),
    ],
)
def test_bad_vlan_ranges_name_the_entry(entry: str, says: str) -> None:
    with pytest.raises(ValueError, match=says) as raised:
        parse_vlan_ranges([entry])
    assert repr(entry) in str(raised.value)


def test_lowest_free_fills_gaps_then_moves_to_the_next_range() -> None:
    ranges = (IdRange(1, 3), IdRange(10, 11))
    assert lowest_free(ranges, set()) == 1
    assert lowest_free(ranges, {1, 3}) == 2
    assert lowest_free(ranges, {1, 2, 3, 99}) == 10
    assert lowest_free(ranges, {1, 2, 3, 10}) == 11
    assert lowest_free(ranges, {1, 2, 3, 10, 11}) is None
    assert lowest_free((), set()) is None


def test_lowest_free_on_a_huge_range_does_not_walk_it() -> None:
    assert lowest_free((GRE_KEYS,), set(range(1, 1001))) == 1001


def test_local_needs_no_pool() -> None:
    assert SegmentConfig().tenant_network_type is NetworkType.LOCAL


@pytest.mark.parametrize(
    ("config", "says"),
    [
        (
            {"tenant_network_type": NetworkType.VLAN},
            "tenant_network_type = vlan needs at least one 'physnet:min:max' in "
            "network_vlan_ranges",
        ),
        (
            {"tenant_network_type": NetworkType.VLAN, "vlan_ranges": {"ext": ()}},
            "tenant_network_type = vlan needs",
        ),
        (
            {"tenant_network_type": NetworkType.GRE},
            "tenant_network_type = gre needs at least one 'min:max' in "
            "tunnel_id_ranges",
        ),
        (
            {"tenant_network_type": NetworkType.VXLAN},
            "tenant_network_type = vxlan needs",
        ),
        (
            {
                "tenant_network_type": NetworkType.VXLAN,
                "tunnel_ranges": (IdRange(1, VXLAN_VNIS.last + 1),),
            },
            "tunnel_id_ranges must stay inside 1..16777215",
        ),
    ],
)
def test_a_tenant_type_without_a_pool_is_refused(
    config: dict[str, Any], says: str
) -> None:
    with pytest.raises(ValueError, match=says):
        SegmentConfig(**config)
