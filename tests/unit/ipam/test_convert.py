# SPDX-License-Identifier: Apache-2.0
"""Wire values of subnets and fixed IPs become typed requests, or a clear 400."""

from __future__ import annotations

from collections.abc import Callable
from ipaddress import ip_address, ip_network
from typing import Any

import pytest

from quantum.core import exceptions as exc
from quantum.core.ports import AddressOnNetwork, AnyAddress, SpecificAddress
from quantum.core.subnets import AllocationPool, HostRoute
from quantum.ipam import convert
from quantum.ipam.requests import Limits

S = "2b1f0c52-7d39-4d0e-8c1a-0f4f3b2f6e01"


def test_fixed_ips_become_one_request_per_entry() -> None:
    got = convert.to_fixed_ips(
        [
            {"subnet_id": S},
            {"subnet_id": S, "ip_address": "10.0.0.9"},
            {"ip_address": "fd00::9"},
        ],
        Limits(),
    )
    assert got == [
        AnyAddress(subnet_id=S),
        SpecificAddress(subnet_id=S, ip_address=ip_address("10.0.0.9")),
        AddressOnNetwork(ip_address=ip_address("fd00::9")),
    ]
    assert convert.to_fixed_ips(None, Limits()) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([{}], "needs a subnet_id or an ip_address"),
        (["10.0.0.2"], "must be an object"),
        ({"subnet_id": S}, "must be a list"),
        ([{"subnet_id": S.upper()}], "not a valid UUID"),
        ([{"subnet_id": "x"}], "not a valid UUID"),
        ([{"ip_address": "1011.0.0.5"}], "not a valid IP address"),
        ([{"ip_address": 5}], "not a valid IP address"),
        ([{"ip_address": "10.0.0.5"}, {"ip_address": "10.0.0.5"}], "duplicate"),
        ([{"ip_address": "10.0.0.5", "mac": "x"}], "exactly the keys"),
        ([{"subnet_id": S}] * 6, "at most 5"),
    ],
)
def test_bad_fixed_ips_are_refused(value: object, message: str) -> None:
    with pytest.raises(exc.InvalidInput, match=message):
        convert.to_fixed_ips(value, Limits())


def test_pools_nameservers_and_routes() -> None:
    assert convert.to_pools([{"start": "10.0.0.2", "end": "10.0.0.9"}]) == [
        AllocationPool(start=ip_address("10.0.0.2"), end=ip_address("10.0.0.9"))
    ]
    assert convert.to_nameservers(None) == []
    assert convert.to_nameservers(["8.8.8.8"]) == [ip_address("8.8.8.8")]
    assert convert.to_host_routes(
        [{"destination": "10.9.0.0/16", "nexthop": "10.0.0.1"}]
    ) == [
        HostRoute(destination=ip_network("10.9.0.0/16"), nexthop=ip_address("10.0.0.1"))
    ]
    assert convert.to_host_routes(None) == []


@pytest.mark.parametrize(
    ("convert_", "value", "message"),
    [
        (convert.to_pools, None, "may not be null"),
        (convert.to_pools, [{"start": "10.0.0.2"}], "exactly the keys"),
        (convert.to_pools, [{"start": "10.0.0.2", "end": "x"}], "not a valid IP"),
        (convert.to_nameservers, ["dns.example.com"], "not a valid IP"),
        (convert.to_nameservers, "8.8.8.8", "must be a list"),
        (
            convert.to_host_routes,
            [{"destination": "10.9.0.0", "nexthop": "10.0.0.1"}],
            "CIDR",
        ),
        (convert.to_host_routes, [{"destination": "10.9.0.0/16"}], "exactly the keys"),
    ],
)
def test_bad_subnet_lists_are_refused(
    convert_: Callable[[Any], object], value: object, message: str
) -> None:
    with pytest.raises(exc.InvalidInput, match=message):
        convert_(value)
