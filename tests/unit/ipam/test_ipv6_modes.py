# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

from ipaddress import ip_network

import pytest

from quantum.agent.dhcp.model import eui64_address
from quantum.core import exceptions as exc
from quantum.ipam.allocate import check_ipv6_modes, eui64


def test_eui64_is_the_address_the_mac_forms() -> None:
    cidr = ip_network("2001:db8:1::/64")
    assert str(eui64(cidr, "fa:16:3e:12:34:56")) == "2001:db8:1:0:f816:3eff:fe12:3456"
    assert str(eui64(cidr, "00:00:00:00:00:01")) == eui64_address(
        "2001:db8:1::/64", "00:00:00:00:00:01"
    )


@pytest.mark.parametrize(
    ("cidr", "ra", "address", "dhcp"),
    [
        ("10.0.0.0/24", "slaac", None, True),
        ("fd00::/64", "slaac", "dhcpv6-stateless", True),
        ("fd00::/64", None, "slaac", False),
        ("fd00::/80", None, "slaac", True),
        ("fd00::/80", "dhcpv6-stateless", None, True),
        ("fd00::/64", "nope", None, True),
    ],
)
def test_refused(cidr: str, ra: str | None, address: str | None, dhcp: bool) -> None:
    with pytest.raises(exc.InvalidInput):
        check_ipv6_modes(ip_network(cidr), ra, address, dhcp)


def test_accepted() -> None:
    check_ipv6_modes(ip_network("fd00::/80"), None, "dhcpv6-stateful", True)
    check_ipv6_modes(ip_network("fd00::/64"), "slaac", "slaac", True)
    check_ipv6_modes(ip_network("10.0.0.0/24"), None, None, False)
