# SPDX-License-Identifier: Apache-2.0
"""A router that reaches the agent is consistent: the model refuses the rest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from quantum.agent.dhcp.model import Ipv6Mode
from quantum.agent.l3.model import Advertised, FloatingIp, Interface, Route, Router
from tests.unit.agent.l3.routers import EXTRA, FIP_A, GATEWAY, SLAAC_B, A, B, router


def test_a_consistent_router_is_accepted_and_lists_its_subnets() -> None:
    made = router()
    assert [str(n) for n in made.internal_networks] == [
        "10.1.0.0/24",
        "10.2.0.0/24",
        "fd00:2::/64",
    ]
    assert GATEWAY.ip == "172.24.4.10"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"interfaces": (A, replace(B, port_id="other", addresses=("10.1.0.9/16",)))},
         "overlaps"),
        ({"interfaces": (A, A)}, "plugged twice"),
        ({"interfaces": (A, replace(B, port_id=A.port_id[:11] + "x"))}, "collide"),
        ({"gateway": None}, "floating IPs need a gateway"),
        ({"floating_ips": (FIP_A, replace(FIP_A, fixed_ip_address="10.1.0.6"))},
         "twice"),
        ({"floating_ips": (FloatingIp(floating_ip_address="172.24.4.9",
                                      fixed_ip_address="10.9.0.5"),)},
         "behind no interface"),
        ({"routes": (Route(destination="192.168.0.0/16", nexthop="10.77.0.1"),)},
         "on no subnet"),
        ({"routes": (EXTRA, EXTRA)}, "twice"),
        ({"interfaces": (replace(A, addresses=("172.24.4.99/24",)),),
          "floating_ips": ()},
         "overlaps the external subnet"),
        ({"id": "bad id"}, "not a valid id"),
        ({"metadata_port": 70000}, "out of range"),
    ],
)  # fmt: skip
def test_an_inconsistent_router_is_refused(
    fields: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        router(**fields)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Interface(port_id="p", mac_address="fa:16:3e:00:00:01",
                           addresses=()), "no address"),
        (lambda: Interface(port_id="p", mac_address="fa:16:3e:00:00:01",
                           addresses=("10.0.0.1",)), "normalized"),
        (lambda: Interface(port_id="p", mac_address="FA:16:3E:00:00:01",
                           addresses=("10.0.0.1/24",)), "lower-case MAC"),
        (lambda: Interface(port_id="p", mac_address="fa:16:3e:00:00:01",
                           addresses=("10.0.0.0/24",)), "network address"),
        (lambda: replace(GATEWAY, gateway_ip="192.0.2.1"), "is not on"),
        (lambda: replace(GATEWAY, address="fd00::5/64", gateway_ip=None), "IPv4"),
        (lambda: FloatingIp(floating_ip_address="fd00::5",
                            fixed_ip_address="fd00::6"), "IPv4 only"),
        (lambda: Route(destination="10.1.0.1/24", nexthop="10.1.0.2"),
         "host bits"),
        (lambda: Route(destination="fd00::/64", nexthop="10.1.0.2"), "versions"),
    ],
)  # fmt: skip
def test_malformed_parts_are_refused(make: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_a_router_without_gateway_takes_extra_routes_through_its_subnets() -> None:
    made = Router(id="r", interfaces=(A, B), routes=(EXTRA,))
    assert made.gateway is None
    with pytest.raises(ValueError, match="on no subnet"):
        Router(
            id="r",
            interfaces=(A,),
            routes=(Route(destination="0.0.0.0/0", nexthop="172.24.4.1"),),
        )


@pytest.mark.parametrize(
    ("advertise", "message"),
    [
        ((Advertised(cidr="fd00:9::/64", mode=Ipv6Mode.SLAAC),), "no address on"),
        ((SLAAC_B, SLAAC_B), "advertised twice"),
    ],
)
def test_an_interface_advertises_only_its_own_ipv6_subnets_once(
    advertise: tuple[Advertised, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        replace(B, advertise=advertise)


@pytest.mark.parametrize(
    ("cidr", "mode", "message"),
    [
        ("10.2.0.0/24", Ipv6Mode.SLAAC, "not a normalized IPv6"),
        ("fd00:2:0::/64", Ipv6Mode.SLAAC, "not a normalized IPv6"),
        ("fd00:2::1/64", Ipv6Mode.SLAAC, "host bits set"),
        ("fd00:2::/80", Ipv6Mode.SLAAC, "needs a /64"),
        ("fd00:2::/80", Ipv6Mode.DHCPV6_STATELESS, "needs a /64"),
        ("fd00:2::/64", "managed", "not a valid Ipv6Mode"),
    ],
)
def test_an_advertised_subnet_is_ipv6_and_autoconfigured_ones_are_64s(
    cidr: str, mode: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Advertised(cidr=cidr, mode=mode)  # type: ignore[arg-type]


def test_dhcpv6_stateful_needs_no_64_and_sets_no_autonomous_flag() -> None:
    stateful = Advertised(cidr="fd00:2::/80", mode=Ipv6Mode.DHCPV6_STATEFUL)
    assert not stateful.autonomous
    assert SLAAC_B.autonomous
