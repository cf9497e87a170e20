# SPDX-License-Identifier: Apache-2.0
"""IP address management as pure functions over ``ipaddress`` values.

Nothing here reads the store or the clock: ``quantum.ipam.store`` loads what is in
use, calls these, and writes the result. Every check raises a
``quantum.core.exceptions`` error whose family (400/409) the spec fixes.

Host addresses of a subnet are ``network + 1`` .. ``last - 1`` for IPv4 and IPv6 alike
(the last IPv6 address is kept back like a broadcast, as the original did); /31, /32,
/127 and /128 therefore have no host addresses, no default gateway and no pools.
"""

from __future__ import annotations

import bisect
from collections.abc import Collection, Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

from quantum.core import exceptions as exc
from quantum.core.ports import AddressOnNetwork, AnyAddress, FixedIPRequest
from quantum.core.subnets import (
    AUTOCONFIGURED,
    IPV6_MODES,
    AllocationPool,
    HostRoute,
    IPAddress,
    IPNetwork,
    Subnet,
)
from quantum.core.unset import UNSET, Unset
from quantum.ipam.requests import Limits, SubnetRequest, SubnetUpdate


def parse_cidr(text: object, version: int | None = None) -> IPNetwork:
    """A subnet CIDR: ``address/prefix`` with no host bits set, of ``version``."""
    if not isinstance(text, str) or "/" not in text:
        raise exc.InvalidInput(reason=f"'{text}' is not a valid CIDR (address/prefix)")
    try:
        cidr = ip_network(text)
    except ValueError:
        try:
            loose = ip_network(text, strict=False)
        except ValueError:
            raise exc.InvalidInput(reason=f"'{text}' is not a valid CIDR") from None
        # NOTE: the original stored "10.0.0.225/28" verbatim and later refused its
        # own gateway; we refuse it and name the network the client probably meant.
        raise exc.InvalidInput(
            reason=f"'{text}' has host bits set; the network is {loose}"
        ) from None
    if version is not None and cidr.version != version:
        raise exc.InvalidInput(
            reason=f"cidr {cidr} is not an IPv{version} network (ip_version {version})"
        )
    return cidr


def parse_address(text: object, what: str, version: int | None = None) -> IPAddress:
    """An IP literal (``what`` names the field in the error)."""
    if not isinstance(text, str):
        raise exc.InvalidInput(reason=f"{what} '{text}' is not a valid IP address")
    try:
        address = ip_address(text)
    except ValueError:
        raise exc.InvalidInput(
            reason=f"{what} '{text}' is not a valid IP address"
        ) from None
    if version is not None and address.version != version:
        raise exc.InvalidInput(
            reason=f"{what} {address} is not an IPv{version} address"
        )
    return address


def first_host(cidr: IPNetwork) -> IPAddress:
    return cidr.network_address + 1


def last_host(cidr: IPNetwork) -> IPAddress:
    return cidr.broadcast_address - 1


def has_hosts(cidr: IPNetwork) -> bool:
    return cidr.num_addresses > 2


def is_host_address(cidr: IPNetwork, address: IPAddress) -> bool:
    """Inside the CIDR and neither its network nor its last (broadcast) address."""
    return (
        address.version == cidr.version
        and has_hosts(cidr)
        and int(first_host(cidr)) <= int(address) <= int(last_host(cidr))
    )


def default_gateway(cidr: IPNetwork) -> IPAddress | None:
    """The first host address; none when the subnet has no host addresses."""
    return first_host(cidr) if has_hosts(cidr) else None


def check_gateway(cidr: IPNetwork, gateway: IPAddress | None) -> None:
    """The gateway may lie outside the subnet (an upstream router), but it must be of
    the subnet's version and may not be its network or broadcast address."""
    if gateway is None:
        return
    if gateway.version != cidr.version:
        raise exc.InvalidInput(
            reason=f"gateway_ip {gateway} is not an IPv{cidr.version} address"
        )
    if gateway in cidr and not is_host_address(cidr, gateway):
        raise exc.InvalidInput(
            reason=f"gateway_ip {gateway} is not a host address of {cidr}"
        )


def default_pools(
    cidr: IPNetwork, gateway: IPAddress | None
) -> tuple[AllocationPool, ...]:
    """Every host address but the gateway, as one or two pools around it."""
    if not has_hosts(cidr):
        return ()
    first, last = first_host(cidr), last_host(cidr)
    if (
        gateway is None
        or gateway.version != cidr.version
        or not int(first) <= int(gateway) <= int(last)
    ):
        return (AllocationPool(start=first, end=last),)
    pools = []
    if int(gateway) > int(first):
        pools.append(AllocationPool(start=first, end=gateway - 1))
    if int(gateway) < int(last):
        pools.append(AllocationPool(start=gateway + 1, end=last))
    return tuple(pools)


def pool_text(pool: AllocationPool) -> str:
    return f"{pool.start}-{pool.end}"


def check_pools(
    cidr: IPNetwork, pools: Sequence[AllocationPool], gateway: IPAddress | None
) -> tuple[AllocationPool, ...]:
    """Validate explicit pools; returns them sorted by start address.

    Raises InvalidAllocationPool (wrong version, end before start),
    OutOfBoundsAllocationPool (beyond the host addresses), OverlappingAllocationPools,
    GatewayConflictWithAllocationPools, in that order.
    """
    for pool in pools:
        if pool.start.version != cidr.version or pool.end.version != cidr.version:
            raise exc.InvalidAllocationPool(
                pool=pool_text(pool), reason=f"not IPv{cidr.version} addresses"
            )
        if int(pool.end) < int(pool.start):
            raise exc.InvalidAllocationPool(
                pool=pool_text(pool), reason="the end is before the start"
            )
        if not (is_host_address(cidr, pool.start) and is_host_address(cidr, pool.end)):
            raise exc.OutOfBoundsAllocationPool(pool=pool_text(pool), cidr=str(cidr))
    ordered = tuple(sorted(pools, key=lambda p: (int(p.start), int(p.end))))
    for before, after in zip(ordered, ordered[1:], strict=False):
        if int(after.start) <= int(before.end):
            raise exc.OverlappingAllocationPools(
                pool_1=pool_text(before), pool_2=pool_text(after), cidr=str(cidr)
            )
    if gateway is not None:
        for pool in ordered:
            if gateway in pool:
                raise exc.GatewayConflictWithAllocationPools(
                    ip_address=str(gateway), pool=pool_text(pool)
                )
    return ordered


def check_nameservers(
    version: int, servers: Sequence[IPAddress], limit: int, subnet: str
) -> None:
    """DNS servers: of the subnet's version, no duplicates, at most ``limit``."""
    if len(servers) > limit:
        raise exc.DNSNameServersExhausted(subnet_id=subnet, quota=limit)
    seen: set[IPAddress] = set()
    for server in servers:
        if server.version != version:
            raise exc.InvalidInput(
                reason=f"dns nameserver {server} is not an IPv{version} address"
            )
        if server in seen:
            raise exc.InvalidInput(reason=f"duplicate dns nameserver {server}")
        seen.add(server)


def check_host_routes(
    version: int, routes: Sequence[HostRoute], limit: int, subnet: str
) -> None:
    """Host routes: of the subnet's version, no duplicates, at most ``limit``."""
    if len(routes) > limit:
        raise exc.HostRoutesExhausted(subnet_id=subnet, quota=limit)
    seen: set[HostRoute] = set()
    for route in routes:
        if route.destination.version != version or route.nexthop.version != version:
            raise exc.InvalidInput(
                reason=f"host route {route.destination} via {route.nexthop} is not "
                f"IPv{version}"
            )
        if route in seen:
            raise exc.InvalidInput(
                reason=f"duplicate host route {route.destination} via {route.nexthop}"
            )
        seen.add(route)


def overlapping(cidr: IPNetwork, others: Iterable[IPNetwork]) -> IPNetwork | None:
    """The first of ``others`` that shares an address with ``cidr``."""
    for other in others:
        if other.version == cidr.version and cidr.overlaps(other):
            return other
    return None


def next_free(
    pools: Sequence[AllocationPool], used: Collection[IPAddress]
) -> IPAddress | None:
    """The lowest pool address not in ``used``; ``None`` when every one is taken.

    Costs O(len(used) log len(used)) whatever the pool size (an IPv6 /64 included).
    """
    for pool in sorted(pools, key=lambda p: int(p.start)):
        version = pool.start.version
        taken = sorted(int(a) for a in used if a.version == version)
        candidate, end = int(pool.start), int(pool.end)
        i = bisect.bisect_left(taken, candidate)
        while i < len(taken) and taken[i] == candidate and candidate < end:
            candidate += 1
            i += 1
        if i == len(taken) or taken[i] != candidate:
            return ip_address(candidate) if version == 4 else IPv6Address(candidate)
    return None


def free_ranges(
    pools: Sequence[AllocationPool], used: Collection[IPAddress]
) -> list[tuple[int, int]]:
    """The pool addresses not in ``used`` as disjoint ``(first, last)`` runs of
    integers, lowest first (what ``ip_availability_ranges`` stores).

    Costs O(len(pools) + len(used) log len(used)) whatever the pool size.
    """
    found: list[tuple[int, int]] = []
    for pool in sorted(pools, key=lambda p: int(p.start)):
        start, end = int(pool.start), int(pool.end)
        version = pool.start.version
        taken = sorted(
            {int(a) for a in used if a.version == version and start <= int(a) <= end}
        )
        for address in taken:
            if address > start:
                found.append((start, address - 1))
            start = address + 1
        if start <= end:
            found.append((start, end))
    return found


def address_key(value: int) -> str:
    """An address as ``ip_availability_ranges`` keys it: text order is address order."""
    return f"{value:032x}"


def as_address(value: int, version: int) -> IPAddress:
    """The address of ``version`` whose integer is ``value``."""
    return IPv4Address(value) if version == 4 else IPv6Address(value)


def in_pools(pools: Iterable[AllocationPool], address: IPAddress) -> bool:
    return any(address in pool for pool in pools)


def hold_until(
    pools: Iterable[AllocationPool],
    address: IPAddress,
    now: datetime,
    hold: timedelta,
    lease_end: datetime | None = None,
) -> datetime | None:
    """Release-hold (see docs/dhcp.md): when a released address becomes reusable,
    or ``None`` to free it at once.

    An address from a pool is held for ``hold`` (the DHCP lease a VM may still be
    using), and at least until ``lease_end``, the end of its DHCP lease as dnsmasq
    last recorded it; one outside every pool (a gateway, a manual pick) is freed at
    once, as is a pool address when neither keeps it.
    """
    if not in_pools(pools, address):
        return None
    ends = [now + hold] if hold > timedelta(0) else []
    if lease_end is not None:
        ends.append(lease_end)
    until = max(ends, default=now)
    return until if until > now else None


def resolve(
    requests: Sequence[FixedIPRequest],
    subnets: Sequence[Subnet],
    network_id: str,
    elsewhere: Collection[str] = (),
) -> list[tuple[Subnet, IPAddress | None]]:
    """Match each request to one of the network's ``subnets`` (and its address).

    ``elsewhere`` holds requested subnet ids that exist on other networks (400); any
    other unknown id is SubnetNotFound. A requested address must be a host address of
    its subnet (400); a bare address picks the subnet that holds it (400 if none).
    """
    by_id = {subnet.id: subnet for subnet in subnets}
    wanted: list[tuple[Subnet, IPAddress | None]] = []
    for request in requests:
        if isinstance(request, AddressOnNetwork):
            holder = next(
                (s for s in subnets if is_host_address(s.cidr, request.ip_address)),
                None,
            )
            if holder is None:
                raise exc.InvalidInput(
                    reason=f"no subnet of network {network_id} holds the host "
                    f"address {request.ip_address}"
                )
            wanted.append((holder, request.ip_address))
            continue
        subnet = by_id.get(request.subnet_id)
        if subnet is None:
            if request.subnet_id in elsewhere:
                raise exc.InvalidInput(
                    reason=f"subnet {request.subnet_id} is not on network {network_id}"
                )
            raise exc.SubnetNotFound(subnet_id=request.subnet_id)
        if isinstance(request, AnyAddress):
            wanted.append((subnet, None))
            continue
        if not is_host_address(subnet.cidr, request.ip_address):
            raise exc.InvalidInput(
                reason=f"{request.ip_address} is not a host address of subnet "
                f"{subnet.id} ({subnet.cidr})"
            )
        wanted.append((subnet, request.ip_address))
    return wanted


def check_ipv6_modes(
    cidr: IPNetwork, ra_mode: str | None, address_mode: str | None, enable_dhcp: bool
) -> None:
    """The spec's rules for ``ipv6_ra_mode``/``ipv6_address_mode`` (InvalidInput):
    IPv6 only; each one of ``IPV6_MODES``; both set means equal; not with DHCP off;
    an autoconfigured (SLAAC) subnet is a /64, as EUI-64 needs."""
    if ra_mode is None and address_mode is None:
        return
    for name, mode in (("ipv6_ra_mode", ra_mode), ("ipv6_address_mode", address_mode)):
        if mode is not None and mode not in IPV6_MODES:
            raise exc.InvalidInput(
                reason=f"'{mode}' is not one of {', '.join(IPV6_MODES)} for {name}"
            )
    if cidr.version != 6:
        raise exc.InvalidInput(
            reason="ipv6_ra_mode and ipv6_address_mode are for IPv6 subnets only"
        )
    if ra_mode is not None and address_mode is not None and ra_mode != address_mode:
        raise exc.InvalidInput(
            reason=f"ipv6_ra_mode set to '{ra_mode}' with ipv6_address_mode set to "
            f"'{address_mode}' is not valid. If both attributes are set, they must "
            "be the same value"
        )
    if not enable_dhcp:
        raise exc.InvalidInput(
            reason="ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp "
            "is set to False"
        )
    if (address_mode or ra_mode) in AUTOCONFIGURED and cidr.prefixlen != 64:
        raise exc.InvalidInput(
            reason=f"Invalid CIDR {cidr} for IPv6 address mode. OpenStack uses the "
            "EUI-64 address format, which requires the prefix to be /64"
        )


def eui64(cidr: IPNetwork, mac: str) -> IPAddress:
    """The address a host with ``mac`` forms by SLAAC in the /64 ``cidr`` (RFC 4291
    appendix A: the MAC with ``ff:fe`` in the middle, the U/L bit flipped)."""
    octets = bytes.fromhex(mac.replace(":", ""))
    interface = bytes([octets[0] ^ 0x02, *octets[1:3], 0xFF, 0xFE, *octets[3:]])
    return ip_address(int(cidr.network_address) | int.from_bytes(interface, "big"))


def plan_subnet(request: SubnetRequest, subnet_id: str, limits: Limits) -> Subnet:
    """The subnet to store: gateway and pools defaulted, everything checked that does
    not need the store (the network and CIDR overlap are the store's)."""
    if request.ip_version not in (4, 6):
        raise exc.InvalidInput(
            reason=f"ip_version {request.ip_version} is not supported (4 or 6)"
        )
    cidr = parse_cidr(request.cidr, request.ip_version)
    if cidr.is_multicast:
        # NOTE: the original took any CIDR; a multicast address is never a host's
        # own, so no port on such a subnet could use the address it is given.
        raise exc.InvalidInput(
            reason=f"{cidr} is a multicast network: its addresses cannot be a port's"
        )
    gateway = (
        default_gateway(cidr) if request.gateway_ip is UNSET else request.gateway_ip
    )
    check_gateway(cidr, gateway)
    if request.allocation_pools is UNSET:
        pools = default_pools(cidr, gateway)
    else:
        pools = check_pools(cidr, request.allocation_pools, gateway)
    check_nameservers(
        cidr.version, request.dns_nameservers, limits.max_dns_nameservers, subnet_id
    )
    check_host_routes(
        cidr.version, request.host_routes, limits.max_subnet_host_routes, subnet_id
    )
    check_ipv6_modes(
        cidr, request.ipv6_ra_mode, request.ipv6_address_mode, request.enable_dhcp
    )
    return Subnet(
        id=subnet_id,
        tenant_id=request.tenant_id,
        network_id=request.network_id,
        name=request.name,
        cidr=cidr,
        gateway_ip=gateway,
        allocation_pools=pools,
        dns_nameservers=tuple(request.dns_nameservers),
        host_routes=tuple(request.host_routes),
        enable_dhcp=request.enable_dhcp,
        ipv6_ra_mode=request.ipv6_ra_mode,
        ipv6_address_mode=request.ipv6_address_mode,
        description=request.description,
    )


def apply_update(subnet: Subnet, update: SubnetUpdate, limits: Limits) -> Subnet:
    """The subnet after ``update``, checked as on create (pools stay as they are)."""
    changes: dict[str, object] = {}
    if not isinstance(update.name, Unset):
        changes["name"] = update.name
    if update.gateway_ip is not UNSET:
        gateway = update.gateway_ip
        check_gateway(subnet.cidr, gateway)
        if gateway is not None:
            for pool in subnet.allocation_pools:
                if gateway in pool:
                    raise exc.GatewayConflictWithAllocationPools(
                        ip_address=str(gateway), pool=pool_text(pool)
                    )
        changes["gateway_ip"] = gateway
    if not isinstance(update.dns_nameservers, Unset):
        check_nameservers(
            subnet.ip_version,
            update.dns_nameservers,
            limits.max_dns_nameservers,
            subnet.id,
        )
        changes["dns_nameservers"] = tuple(update.dns_nameservers)
    if not isinstance(update.host_routes, Unset):
        check_host_routes(
            subnet.ip_version,
            update.host_routes,
            limits.max_subnet_host_routes,
            subnet.id,
        )
        changes["host_routes"] = tuple(update.host_routes)
    if not isinstance(update.enable_dhcp, Unset):
        changes["enable_dhcp"] = update.enable_dhcp
    if not isinstance(update.description, Unset):
        changes["description"] = update.description
    return replace(subnet, **changes)  # type: ignore[arg-type]  # NOTE: field names
