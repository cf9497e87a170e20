# SPDX-License-Identifier: Apache-2.0
"""The L3 rules that need no store (``quantum.plugins.l3.checks``)."""

from __future__ import annotations

from ipaddress import ip_address, ip_network
from typing import Any

import pytest

from quantum.core import exceptions as exc
from quantum.core.routers import InterfaceRequest, Route
from quantum.plugins.l3 import checks

ATTACHED = {
    "theirs-v4": ip_network("10.0.0.0/24"),
    "theirs-v6": ip_network("2001:db8::/64"),
}


@pytest.mark.parametrize(
    ("body", "adding", "expected"),
    [
        ({"subnet_id": "s"}, True, InterfaceRequest(subnet_id="s")),
        ({"port_id": "p"}, True, InterfaceRequest(port_id="p")),
        (
            {"port_id": "p", "subnet_id": "s"},
            False,
            InterfaceRequest(port_id="p", subnet_id="s"),
        ),
        ({"port_id": "p", "other": 1}, True, InterfaceRequest(port_id="p")),
    ],
)
def test_interface_requests(
    body: Any, adding: bool, expected: InterfaceRequest
) -> None:
    assert checks.interface_request(body, adding=adding) == expected


@pytest.mark.parametrize(
    "body",
    [
        None,
        {},
        {"subnet_id": None},
        {"subnet_id": 1},
        {"port_id": "p", "subnet_id": "s"},
    ],
)
def test_bad_interface_requests(body: Any) -> None:
    with pytest.raises(exc.InvalidInput):
        checks.interface_request(body, adding=True)


@pytest.mark.parametrize(
    ("cidr", "subnet_id", "refused"),
    [
        ("10.0.1.0/24", "c", False),
        ("10.0.0.0/24", "c", True),
        ("10.0.0.0/16", "c", True),
        ("10.0.0.128/25", "c", True),
        ("10.0.1.0/24", "theirs-v4", True),
        ("2001:db8::/48", "c", True),
        ("2001:db8:1::/64", "c", False),
    ],
)
def test_overlapping(cidr: str, subnet_id: str, refused: bool) -> None:
    found = checks.overlapping(ip_network(cidr), subnet_id, ATTACHED)
    assert (found is not None) == refused
    if found is not None and subnet_id == "c":
        # NOTE: the other subnet may be another tenant's: never named
        assert "theirs" not in found.reason


def route(destination: str, nexthop: str) -> Route:
    return Route(destination=ip_network(destination), nexthop=ip_address(nexthop))


def test_routes_within_the_limit_on_the_routers_subnets_pass() -> None:
    checks.check_routes(
        "r",
        [route("0.0.0.0/0", "10.0.0.5"), route("2001:db8:9::/48", "2001:db8::5")],
        max_routes=2,
        subnets=ATTACHED.values(),
        own_addresses=[ip_address("10.0.0.1")],
    )


@pytest.mark.parametrize(
    ("routes", "error"),
    [
        ([route("1.0.0.0/8", "10.0.0.5")] * 3, exc.RoutesExhausted),
        ([route("1.0.0.0/8", "10.0.0.1")], exc.InvalidInput),
        ([route("1.0.0.0/8", "10.0.1.5")], exc.InvalidInput),
        ([route("1.0.0.0/8", "2001:db9::1")], exc.InvalidInput),
    ],
)
def test_bad_routes(routes: list[Route], error: type[Exception]) -> None:
    with pytest.raises(error):
        checks.check_routes(
            "r",
            routes,
            max_routes=2,
            subnets=ATTACHED.values(),
            own_addresses=[ip_address("10.0.0.1")],
        )
