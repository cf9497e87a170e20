# SPDX-License-Identifier: Apache-2.0
"""``extraroute`` (spec §5.3): a router's ``routes``, set by PUT only (the whole
list; ``[]`` clears it), checked by the store against the router's subnets and
``max_routes``."""

from __future__ import annotations

from typing import Any

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import Extend, Extension, Field
from quantum.core import exceptions as exc
from quantum.core.routers import Route
from quantum.ipam import convert

ROUTES = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["destination", "nexthop"],
        "properties": {
            "destination": {"type": "string"},
            "nexthop": {"type": "string"},
        },
    },
}


def to_routes(name: str, value: Any) -> tuple[Route, ...]:
    """A list of ``{"destination": CIDR, "nexthop": IP}``, no route twice
    (``null`` refused)."""
    if value is None:
        raise exc.InvalidInput(reason=f"{name} may not be null")
    found: list[Route] = []
    for item in convert.to_host_routes(value):
        route = Route(destination=item.destination, nexthop=item.nexthop)
        if route in found:
            raise exc.InvalidInput(
                reason=f"Duplicate route {route.destination} via {route.nexthop}"
            )
        found.append(route)
    return tuple(found)


EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="extraroute",
        name="Quantum Extra Route",
        description="Extra routes configuration for L3 router",
        namespace="http://docs.openstack.org/ext/quantum/extraroutes/api/v1.0",
        updated="2013-02-01T10:00:00-00:00",
    ),
    extends={
        "router": Extend(
            fields=(
                Field(
                    name="routes",
                    convert=to_routes,
                    on_create=False,
                    on_update=True,
                    sortable=False,
                    filterable=False,
                    schema=ROUTES,
                ),
            )
        )
    },
)
