# SPDX-License-Identifier: Apache-2.0
"""The pure allocator: default pools, pool checks, next free address, release-hold."""

from __future__ import annotations

from datetime import datetime, timedelta
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from quantum.core import exceptions as exc
from quantum.core.ports import AddressOnNetwork, AnyAddress, SpecificAddress
from quantum.core.subnets import AllocationPool, HostRoute, IPAddress, IPNetwork, Subnet
from quantum.ipam import allocate
from quantum.ipam.requests import Limits, SubnetRequest, SubnetUpdate

LIMITS = Limits()


def pool(start: str, end: str) -> AllocationPool:
    return AllocationPool(start=ip_address(start), end=ip_address(end))


def hosts(cidr: IPNetwork) -> set[IPAddress]:
    return {a for a in cidr if allocate.is_host_address(cidr, a)}


def members(pools: tuple[AllocationPool, ...]) -> list[IPAddress]:
    out: list[IPAddress] = []
    for p in pools:
        a = p.start
        while True:
            out.append(a)
            if a == p.end:
                break
            a += 1
    return out


@st.composite
def small_cidrs(draw: st.DrawFn) -> IPNetwork:
    """IPv4 /24../30 and IPv6 /120../126 networks anywhere in the address space."""
    if draw(st.booleans()):
        prefix = draw(st.integers(24, 30))
        base = draw(st.integers(0, 2**32 - 1))
        return ip_network((IPv4Address(base), prefix), strict=False)
    prefix = draw(st.integers(120, 126))
    base = draw(st.integers(0, 2**128 - 1))
    return ip_network((IPv6Address(base), prefix), strict=False)


@st.composite
def cidr_and_member(draw: st.DrawFn) -> tuple[IPNetwork, IPAddress]:
    cidr = draw(small_cidrs())
    offset = draw(st.integers(0, cidr.num_addresses - 1))
    return cidr, cidr.network_address + offset


# -- spec examples ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cidr", "gateway", "expected"),
    [
        ("10.0.0.0/24", "10.0.0.1", [("10.0.0.2", "10.0.0.254")]),
        ("10.0.0.0/24", "10.0.0.254", [("10.0.0.1", "10.0.0.253")]),
        ("10.0.0.0/24", "100.0.0.1", [("10.0.0.1", "10.0.0.254")]),
        ("10.0.0.0/24", None, [("10.0.0.1", "10.0.0.254")]),
        (
            "10.0.0.0/29",
            "10.0.0.3",
            [("10.0.0.1", "10.0.0.2"), ("10.0.0.4", "10.0.0.6")],
        ),
        ("fd00::/64", "fd00::1", [("fd00::2", "fd00::ffff:ffff:ffff:fffe")]),
        ("10.0.0.0/31", None, []),
        ("10.0.0.0/32", None, []),
    ],
)
def test_default_pools_sit_around_the_gateway(
    cidr: str, gateway: str | None, expected: list[tuple[str, str]]
) -> None:
    net = ip_network(cidr)
    gw = ip_address(gateway) if gateway else None
    assert allocate.default_pools(net, gw) == tuple(pool(a, b) for a, b in expected)


def test_first_ports_get_the_lowest_addresses_in_order() -> None:
    net = ip_network("10.0.0.0/29")
    pools = allocate.default_pools(net, ip_address("10.0.0.3"))
    used: set[IPAddress] = set()
    got = []
    while (address := allocate.next_free(pools, used)) is not None:
        got.append(str(address))
        used.add(address)
    assert got == ["10.0.0.1", "10.0.0.2", "10.0.0.4", "10.0.0.5", "10.0.0.6"]


def test_ipv6_allocation_starts_after_the_default_gateway() -> None:
    net = ip_network("fe80::/124")
    pools = allocate.default_pools(net, allocate.default_gateway(net))
    first = allocate.next_free(pools, set())
    assert first == ip_address("fe80::2")
    assert allocate.next_free(pools, {first}) == ip_address("fe80::3")


def test_a_64_is_allocated_without_walking_it() -> None:
    net = ip_network("2001:db8::/64")
    pools = allocate.default_pools(net, allocate.default_gateway(net))
    used = {ip_address("2001:db8::2") + i for i in range(1000)}
    assert allocate.next_free(pools, used) == ip_address("2001:db8::2") + 1000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("10.0.2.0", "not a valid CIDR"),
        ("fe80::", "not a valid CIDR"),
        ("invalid/24", "not a valid CIDR"),
        ("10.0.0.0/33", "not a valid CIDR"),
        ("10.0.0.225/28", "host bits set; the network is 10.0.0.224/28"),
    ],
)
def test_bad_cidrs_are_refused_with_a_reason(text: str, message: str) -> None:
    with pytest.raises(exc.InvalidInput, match=message):
        allocate.parse_cidr(text)


def test_cidr_version_must_match_ip_version() -> None:
    with pytest.raises(exc.InvalidInput, match="not an IPv6 network"):
        allocate.parse_cidr("10.0.0.0/24", 6)
    assert allocate.parse_cidr("FD00::/64", 6) == ip_network("fd00::/64")


@pytest.mark.parametrize(
    ("pools", "gateway", "error"),
    [
        ([pool("10.0.0.5", "10.0.0.2")], None, exc.InvalidAllocationPool),
        ([pool("fd00::2", "fd00::5")], None, exc.InvalidAllocationPool),
        ([pool("10.0.0.0", "10.0.0.5")], None, exc.OutOfBoundsAllocationPool),
        ([pool("10.0.0.2", "10.0.0.255")], None, exc.OutOfBoundsAllocationPool),
        ([pool("10.0.1.2", "10.0.1.5")], None, exc.OutOfBoundsAllocationPool),
        (
            [pool("10.0.0.2", "10.0.0.10"), pool("10.0.0.10", "10.0.0.20")],
            None,
            exc.OverlappingAllocationPools,
        ),
        (
            [pool("10.0.0.1", "10.0.0.5")],
            "10.0.0.1",
            exc.GatewayConflictWithAllocationPools,
        ),
    ],
)
def test_bad_pools_are_refused(
    pools: list[AllocationPool], gateway: str | None, error: type[Exception]
) -> None:
    gw = ip_address(gateway) if gateway else None
    with pytest.raises(error):
        allocate.check_pools(ip_network("10.0.0.0/24"), pools, gw)


def test_the_default_gateway_conflicts_with_a_pool_that_holds_it() -> None:
    request = SubnetRequest(
        tenant_id="t",
        network_id="n",
        ip_version=4,
        cidr="10.0.0.0/24",
        allocation_pools=[pool("10.0.0.1", "10.0.0.5")],
    )
    with pytest.raises(exc.GatewayConflictWithAllocationPools):
        allocate.plan_subnet(request, "s", LIMITS)


def test_a_subnet_plan_fills_in_gateway_and_pools() -> None:
    request = SubnetRequest(
        tenant_id="t", network_id="n", ip_version=4, cidr="192.168.1.0/24"
    )
    subnet = allocate.plan_subnet(request, "s", LIMITS)
    assert subnet.gateway_ip == ip_address("192.168.1.1")
    assert subnet.allocation_pools == (pool("192.168.1.2", "192.168.1.254"),)
    no_gateway = allocate.plan_subnet(
        SubnetRequest(
            tenant_id="t",
            network_id="n",
            ip_version=4,
            cidr="192.168.1.0/24",
            gateway_ip=None,
        ),
        "s",
        LIMITS,
    )
    assert no_gateway.gateway_ip is None
    assert no_gateway.allocation_pools == (pool("192.168.1.1", "192.168.1.254"),)


@pytest.mark.parametrize(
    "cidr", ["ff05::/64", "ff00::/8", "224.0.0.0/24", "239.1.0.0/16"]
)
def test_a_multicast_cidr_is_no_subnet(cidr: str) -> None:
    version = 6 if ":" in cidr else 4
    request = SubnetRequest(
        tenant_id="t", network_id="n", ip_version=version, cidr=cidr
    )
    with pytest.raises(exc.InvalidInput, match="is a multicast network"):
        allocate.plan_subnet(request, "s", LIMITS)
    # NOTE: the control: their unicast neighbours are subnets.
    neighbour = {6: "fe80::/64", 4: "223.255.255.0/24"}[version]
    allocate.plan_subnet(
        SubnetRequest(
            tenant_id="t", network_id="n", ip_version=version, cidr=neighbour
        ),
        "s",
        LIMITS,
    )


@pytest.mark.parametrize(
    ("gateway", "message"),
    [
        ("fd00::1", "not an IPv4 address"),
        ("10.0.0.0", "not a host address"),
        ("10.0.0.255", "not a host address"),
    ],
)
def test_bad_gateways_are_refused(gateway: str, message: str) -> None:
    with pytest.raises(exc.InvalidInput, match=message):
        allocate.check_gateway(ip_network("10.0.0.0/24"), ip_address(gateway))


def test_a_gateway_outside_the_subnet_is_allowed() -> None:
    allocate.check_gateway(ip_network("10.0.0.0/24"), ip_address("10.1.0.1"))


def test_nameserver_and_route_checks() -> None:
    v4 = [ip_address(f"10.0.9.{i}") for i in range(1, 7)]
    with pytest.raises(exc.DNSNameServersExhausted):
        allocate.check_nameservers(4, v4, 5, "s")
    with pytest.raises(exc.InvalidInput, match="duplicate"):
        allocate.check_nameservers(4, [v4[0], v4[0]], 5, "s")
    with pytest.raises(exc.InvalidInput, match="not an IPv4"):
        allocate.check_nameservers(4, [ip_address("fd00::1")], 5, "s")
    route = HostRoute(destination=ip_network("10.9.0.0/16"), nexthop=v4[0])
    allocate.check_host_routes(4, [route], 20, "s")
    with pytest.raises(exc.InvalidInput, match="duplicate"):
        allocate.check_host_routes(4, [route, route], 20, "s")
    with pytest.raises(exc.HostRoutesExhausted):
        allocate.check_host_routes(4, [route] * 3, 2, "s")
    with pytest.raises(exc.InvalidInput, match="not IPv6"):
        allocate.check_host_routes(6, [route], 20, "s")


def test_a_gateway_update_may_not_move_into_a_pool() -> None:
    subnet = allocate.plan_subnet(
        SubnetRequest(tenant_id="t", network_id="n", ip_version=4, cidr="10.0.0.0/24"),
        "s",
        LIMITS,
    )
    with pytest.raises(exc.GatewayConflictWithAllocationPools):
        allocate.apply_update(
            subnet, SubnetUpdate(gateway_ip=ip_address("10.0.0.9")), LIMITS
        )
    moved = allocate.apply_update(
        subnet, SubnetUpdate(gateway_ip=None, name="x"), LIMITS
    )
    assert (moved.gateway_ip, moved.name) == (None, "x")
    assert moved.allocation_pools == subnet.allocation_pools


# -- properties ----------------------------------------------------------------------


@given(cidr_and_member())
def test_default_pools_cover_every_host_but_the_gateway(
    case: tuple[IPNetwork, IPAddress],
) -> None:
    cidr, gateway = case
    pools = allocate.default_pools(cidr, gateway)
    got = members(pools)
    assert len(got) == len(set(got))
    assert set(got) == hosts(cidr) - {gateway}
    # and they pass the checks explicit pools get, with that gateway
    if allocate.is_host_address(cidr, gateway):
        assert allocate.check_pools(cidr, pools, gateway) == pools


@given(
    small_cidrs(),
    st.lists(st.tuples(st.integers(0, 70), st.integers(0, 70)), max_size=4),
)
def test_check_pools_refuses_exactly_the_bad_ones(
    cidr: IPNetwork, offsets: list[tuple[int, int]]
) -> None:
    base = cidr.network_address
    assume(int(base) + 70 < 2**cidr.max_prefixlen)
    pools = [AllocationPool(start=base + a, end=base + b) for a, b in offsets]
    last = cidr.num_addresses - 1
    # NOTE: pools are checked one by one, each for order and then bounds
    first_bad = next(
        ((a, b) for a, b in offsets if b < a or min(a, b) < 1 or max(a, b) > last - 1),
        None,
    )
    inverted = first_bad is not None and first_bad[1] < first_bad[0]
    outside = first_bad is not None and not inverted
    spans = sorted(offsets)
    overlap = any(
        x[0] <= y[1] and y[0] <= x[1]
        for i, x in enumerate(spans)
        for y in spans[i + 1 :]
    )
    if inverted:
        with pytest.raises(exc.InvalidAllocationPool):
            allocate.check_pools(cidr, pools, None)
    elif outside:
        with pytest.raises(exc.OutOfBoundsAllocationPool):
            allocate.check_pools(cidr, pools, None)
    elif overlap:
        with pytest.raises(exc.OverlappingAllocationPools):
            allocate.check_pools(cidr, pools, None)
    else:
        ordered = allocate.check_pools(cidr, pools, None)
        assert sorted(members(ordered)) == sorted(members(tuple(pools)))


@given(small_cidrs(), st.data())
def test_next_free_is_the_lowest_unused_pool_address(
    cidr: IPNetwork, data: st.DataObject
) -> None:
    gateway = allocate.default_gateway(cidr)
    pools = allocate.default_pools(cidr, gateway)
    everything = members(pools)
    assume(everything)
    used = set(
        data.draw(st.lists(st.sampled_from(everything), max_size=len(everything)))
    )
    # an unrelated address of the other version never counts
    used_with_noise = used | {
        ip_address("fd00::5") if cidr.version == 4 else ip_address("10.0.0.5")
    }
    got = allocate.next_free(pools, used_with_noise)
    free = [a for a in everything if a not in used]
    assert got == (min(free, key=int) if free else None)


@given(small_cidrs(), st.data())
def test_free_ranges_are_exactly_the_unused_pool_addresses(
    cidr: IPNetwork, data: st.DataObject
) -> None:
    gateway = allocate.default_gateway(cidr)
    pools = allocate.default_pools(cidr, gateway)
    everything = members(pools)
    assume(everything)
    used = set(
        data.draw(st.lists(st.sampled_from(everything), max_size=len(everything)))
    )
    noise = ip_address("fd00::5") if cidr.version == 4 else ip_address("10.0.0.5")
    ranges = allocate.free_ranges(pools, used | {noise, cidr.network_address})
    # disjoint, in order, never touching (each taken address splits)
    for (_, last), (first, _) in zip(ranges, ranges[1:], strict=False):
        assert last + 1 < first
    covered = [
        allocate.as_address(v, cidr.version)
        for first, last in ranges
        for v in range(first, last + 1)
    ]
    assert covered == [a for a in everything if a not in used]
    # the lowest free address is the first range's first (what the store takes)
    expected = allocate.next_free(pools, used)
    assert (allocate.as_address(ranges[0][0], cidr.version) if ranges else None) == (
        expected
    )
    # keys sort as the addresses do
    keys = [allocate.address_key(first) for first, _ in ranges]
    assert keys == sorted(keys)


@given(small_cidrs())
def test_allocating_until_exhausted_hands_out_each_pool_address_once(
    cidr: IPNetwork,
) -> None:
    pools = allocate.default_pools(cidr, allocate.default_gateway(cidr))
    used: set[IPAddress] = set()
    order = []
    while (address := allocate.next_free(pools, used)) is not None:
        assert address not in used
        assert allocate.in_pools(pools, address)
        used.add(address)
        order.append(address)
    assert order == members(pools)


# -- release-hold --------------------------------------------------------------------

NOW = datetime(2026, 1, 1, 12, 0, 0)
POOLS = (pool("10.0.0.2", "10.0.0.254"),)


def test_a_pool_address_is_held_for_the_lease() -> None:
    hold = timedelta(seconds=120)
    assert allocate.hold_until(POOLS, ip_address("10.0.0.7"), NOW, hold) == NOW + hold


def test_an_address_outside_the_pools_is_freed_at_once() -> None:
    hold = timedelta(seconds=120)
    assert allocate.hold_until(POOLS, ip_address("10.0.0.1"), NOW, hold) is None


def test_a_zero_hold_frees_at_once() -> None:
    assert allocate.hold_until(POOLS, ip_address("10.0.0.7"), NOW, timedelta(0)) is None


# -- matching requests to subnets ----------------------------------------------------


def _subnets() -> tuple[Subnet, Subnet]:
    v4 = allocate.plan_subnet(
        SubnetRequest(tenant_id="t", network_id="n", ip_version=4, cidr="10.0.0.0/24"),
        "s4",
        LIMITS,
    )
    v6 = allocate.plan_subnet(
        SubnetRequest(tenant_id="t", network_id="n", ip_version=6, cidr="fd00::/64"),
        "s6",
        LIMITS,
    )
    return v4, v6


def test_resolve_matches_each_kind_of_request() -> None:
    v4, v6 = _subnets()
    got = allocate.resolve(
        [
            AnyAddress(subnet_id="s6"),
            SpecificAddress(subnet_id="s4", ip_address=ip_address("10.0.0.1")),
            AddressOnNetwork(ip_address=ip_address("fd00::9")),
        ],
        [v4, v6],
        "n",
    )
    assert got == [
        (v6, None),
        (v4, ip_address("10.0.0.1")),
        (v6, ip_address("fd00::9")),
    ]


@pytest.mark.parametrize(
    ("request_", "error", "message"),
    [
        (AnyAddress(subnet_id="elsewhere"), exc.InvalidInput, "not on network n"),
        (AnyAddress(subnet_id="nowhere"), exc.SubnetNotFound, "nowhere"),
        (
            SpecificAddress(subnet_id="s4", ip_address=ip_address("10.0.0.255")),
            exc.InvalidInput,
            "not a host address",
        ),
        (
            SpecificAddress(subnet_id="s4", ip_address=ip_address("10.0.1.5")),
            exc.InvalidInput,
            "not a host address",
        ),
        (
            AddressOnNetwork(ip_address=ip_address("10.0.0.0")),
            exc.InvalidInput,
            "no subnet",
        ),
    ],
)
def test_resolve_refuses_what_cannot_be_had(
    request_: object, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        allocate.resolve([request_], list(_subnets()), "n", elsewhere={"elsewhere"})  # type: ignore[list-item]


def test_a_release_is_held_until_the_later_of_the_hold_and_the_lease() -> None:
    pools = [AllocationPool(start=ip_address("10.0.0.2"), end=ip_address("10.0.0.9"))]
    now = datetime(2026, 1, 1, 12, 0, 0)
    hold = timedelta(seconds=120)
    inside, outside = ip_address("10.0.0.3"), ip_address("10.0.0.1")
    later = now + timedelta(minutes=10)
    assert allocate.hold_until(pools, inside, now, hold) == now + hold
    assert allocate.hold_until(pools, inside, now, hold, later) == later
    assert allocate.hold_until(pools, inside, now, hold, now) == now + hold
    assert allocate.hold_until(pools, inside, now, timedelta(0), later) == later
    assert allocate.hold_until(pools, inside, now, timedelta(0), now) is None
    assert allocate.hold_until(pools, inside, now, timedelta(0)) is None
    assert allocate.hold_until(pools, outside, now, hold, later) is None
