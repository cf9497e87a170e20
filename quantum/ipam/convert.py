# SPDX-License-Identifier: Apache-2.0
"""Decoded JSON -> IPAM request values, for the v2 subnet and port attributes.

Each converter raises ``InvalidInput`` (400) naming the bad value; ``null`` becomes the
empty list where the spec says so.
"""

from __future__ import annotations

import re
import uuid

from quantum.core import exceptions as exc
from quantum.core.ports import (
    AddressOnNetwork,
    AnyAddress,
    FixedIPRequest,
    SpecificAddress,
)
from quantum.core.subnets import AllocationPool, HostRoute, IPAddress
from quantum.ipam import allocate
from quantum.ipam.requests import Limits

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def to_uuid(value: object, what: str) -> str:
    """A canonical lower-case UUID (the form the API hands out)."""
    if not isinstance(value, str) or not _UUID.match(value):
        raise exc.InvalidInput(reason=f"{what} '{value}' is not a valid UUID")
    uuid.UUID(value)
    return value


def _list(value: object, what: str) -> list[object]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise exc.InvalidInput(reason=f"{what} must be a list, not {value!r}")
    return value


def _entry(
    item: object, what: str, keys: set[str], required: set[str]
) -> dict[str, object]:
    if not isinstance(item, dict):
        raise exc.InvalidInput(reason=f"each {what} entry must be an object: {item!r}")
    unknown = set(item) - keys
    missing = required - set(item)
    if unknown or missing:
        raise exc.InvalidInput(
            reason=f"{what} entry {item!r} must have exactly the keys "
            f"{', '.join(sorted(keys))}"
        )
    return item


def to_fixed_ips(value: object, limits: Limits) -> list[FixedIPRequest]:
    """A port's ``fixed_ips`` list; ``null`` is the empty list."""
    items = _list(value, "fixed_ips")
    if len(items) > limits.max_fixed_ips_per_port:
        raise exc.InvalidInput(
            reason=f"a port may have at most {limits.max_fixed_ips_per_port} fixed IPs"
        )
    requests: list[FixedIPRequest] = []
    seen: set[IPAddress] = set()
    for item in items:
        entry = _entry(item, "fixed_ips", {"subnet_id", "ip_address"}, set())
        if not entry:
            raise exc.InvalidInput(
                reason="each fixed_ips entry needs a subnet_id or an ip_address"
            )
        subnet_id = (
            to_uuid(entry["subnet_id"], "subnet_id") if "subnet_id" in entry else None
        )
        if "ip_address" not in entry:
            assert subnet_id is not None  # noqa: S101  # NOTE: entry is not empty
            requests.append(AnyAddress(subnet_id=subnet_id))
            continue
        address = allocate.parse_address(entry["ip_address"], "ip_address")
        if address in seen:
            raise exc.InvalidInput(
                reason=f"duplicate ip_address {address} in fixed_ips"
            )
        seen.add(address)
        if subnet_id is None:
            requests.append(AddressOnNetwork(ip_address=address))
        else:
            requests.append(SpecificAddress(subnet_id=subnet_id, ip_address=address))
    return requests


def to_pools(value: object) -> list[AllocationPool]:
    """``allocation_pools``: a list of ``{"start", "end"}`` (``null`` refused)."""
    if value is None:
        raise exc.InvalidInput(reason="allocation_pools may not be null")
    pools = []
    for item in _list(value, "allocation_pools"):
        entry = _entry(item, "allocation_pools", {"start", "end"}, {"start", "end"})
        start = allocate.parse_address(entry["start"], "allocation pool start")
        end = allocate.parse_address(entry["end"], "allocation pool end")
        pools.append(AllocationPool(start=start, end=end))
    return pools


def to_nameservers(value: object) -> list[IPAddress]:
    """``dns_nameservers``: IP literals; ``null`` is the empty list."""
    return [
        allocate.parse_address(item, "dns nameserver")
        for item in _list(value, "dns_nameservers")
    ]


def to_host_routes(value: object) -> list[HostRoute]:
    """``host_routes``: ``{"destination": CIDR, "nexthop": IP}``; ``null`` is []."""
    routes = []
    for item in _list(value, "host_routes"):
        entry = _entry(
            item, "host_routes", {"destination", "nexthop"}, {"destination", "nexthop"}
        )
        routes.append(
            HostRoute(
                destination=allocate.parse_cidr(entry["destination"]),
                nexthop=allocate.parse_address(entry["nexthop"], "host route nexthop"),
            )
        )
    return routes
