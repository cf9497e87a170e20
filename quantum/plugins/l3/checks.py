# SPDX-License-Identifier: Apache-2.0
"""The L3 rules that need no store (spec §5.2, §5.3): pure functions over values
the services read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from quantum.core import exceptions as exc
from quantum.core.routers import InterfaceRequest, Route
from quantum.core.subnets import IPAddress, IPNetwork


def interface_request(
    body: Mapping[str, Any] | None, *, adding: bool
) -> InterfaceRequest:
    """The body of an interface action: ``{"subnet_id": ...}`` or ``{"port_id":
    ...}``; adding takes exactly one of them, removing at least one. Raises
    InvalidInput."""
    body = body or {}
    subnet_id, port_id = body.get("subnet_id"), body.get("port_id")
    for name, value in (("subnet_id", subnet_id), ("port_id", port_id)):
        if value is not None and not isinstance(value, str):
            raise exc.InvalidInput(reason=f"'{value}' is not a valid UUID for {name}")
    if subnet_id is None and port_id is None:
        raise exc.InvalidInput(reason="Either subnet_id or port_id must be specified")
    if adding and subnet_id is not None and port_id is not None:
        raise exc.InvalidInput(
            reason="Cannot specify both subnet_id and port_id when adding an "
            "interface to a router"
        )
    return InterfaceRequest(subnet_id=subnet_id, port_id=port_id)


def overlapping(
    cidr: IPNetwork, subnet_id: str, attached: Mapping[str, IPNetwork]
) -> exc.InvalidInput | None:
    """The refusal of a subnet on a router whose subnets are ``attached`` (id ->
    CIDR, interfaces and gateway): the same subnet, or a CIDR containing or inside
    one of theirs (spec §5.2). None: it may join."""
    for other_id, other in sorted(attached.items()):
        if other_id == subnet_id:
            return exc.InvalidInput(
                reason=f"Router already has a port on subnet {subnet_id}"
            )
        if cidr.version == other.version and (
            cidr.subnet_of(other) or other.subnet_of(cidr)  # type: ignore[arg-type]  # NOTE: same version checked
        ):
            # NOTE: the other subnet may be another tenant's (an admin attached
            # it): its CIDR, not its id.
            return exc.InvalidInput(
                reason=f"Cidr {cidr} of subnet {subnet_id} overlaps with cidr "
                f"{other} of a subnet the router is attached to"
            )
    return None


def check_routes(
    router_id: str,
    routes: Sequence[Route],
    *,
    max_routes: int,
    subnets: Iterable[IPNetwork],
    own_addresses: Iterable[IPAddress],
) -> None:
    """Extra routes a router may take (spec §5.3): at most ``max_routes``, each
    next hop inside one of its ``subnets`` (interfaces or gateway) and none of its
    own addresses. Raises RoutesExhausted, InvalidInput."""
    if len(routes) > max_routes:
        raise exc.RoutesExhausted(router_id=router_id, quota=max_routes)
    cidrs = list(subnets)
    own = set(own_addresses)
    for route in routes:
        nexthop = route.nexthop
        if nexthop in own:
            raise exc.InvalidInput(
                reason=f"the nexthop {nexthop} is used by router {router_id}"
            )
        if not any(
            nexthop.version == cidr.version and nexthop in cidr for cidr in cidrs
        ):
            raise exc.InvalidInput(
                reason=f"the nexthop {nexthop} is not connected with router {router_id}"
            )
