# SPDX-License-Identifier: Apache-2.0
"""``/v2.0/subnets``: spec §3.2 and §4 (IPAM)."""

from __future__ import annotations

from typing import Any

from quantum.api.v2.attributes import (
    Field,
    Resource,
    string,
    to_bool,
    to_int,
    to_tenant,
    to_uuid,
)
from quantum.core import exceptions as exc
from quantum.core.subnets import IPV6_MODES, AllocationPool, HostRoute, IPAddress
from quantum.ipam import allocate, convert
from quantum.ipam.requests import SubnetRequest, SubnetUpdate


def _ip_version(name: str, value: Any) -> int:
    version = to_int(name, value)
    if version not in (4, 6):
        raise exc.InvalidInput(reason=f"'{value}' is not 4 or 6 for {name}")
    return version


def _cidr(name: str, value: Any) -> str:
    return str(allocate.parse_cidr(value))


def _pools(name: str, value: Any) -> list[AllocationPool]:
    return convert.to_pools(value)


def _nameservers(name: str, value: Any) -> list[IPAddress]:
    return convert.to_nameservers(value)


def _routes(name: str, value: Any) -> list[HostRoute]:
    return convert.to_host_routes(value)


def _ipv6_mode(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in IPV6_MODES:
        raise exc.InvalidInput(
            reason=f"'{value}' is not one of {', '.join(IPV6_MODES)} for {name}"
        )
    return value


def _gateway(name: str, value: Any) -> IPAddress | None:
    return None if value is None else allocate.parse_address(value, name)


def _list_of(*keys: str) -> dict[str, Any]:
    """The schema of a list of objects with exactly ``keys``, all strings."""
    return {
        "type": "array",
        "items": {
            "type": "object",
            "required": list(keys),
            "additionalProperties": False,
            "properties": {k: {"type": "string"} for k in keys},
        },
    }


SUBNET = Resource(
    name="subnet",
    collection="subnets",
    create_type=SubnetRequest,
    update_type=SubnetUpdate,
    not_found=lambda i: exc.SubnetNotFound(subnet_id=i),
    fields=(
        Field(name="id", convert=to_uuid, on_create=False),
        Field(name="name", convert=string(), default="", on_update=True),
        Field(name="tenant_id", convert=to_tenant),
        Field(name="project_id", convert=to_tenant, attr="tenant_id"),
        Field(name="network_id", convert=to_uuid, required=True),
        # NOTE: a filter value is an integer (?ip_version=abc is 400), as the
        # original converted it; ?ip_version=5 simply matches nothing.
        Field(
            name="ip_version",
            convert=_ip_version,
            required=True,
            query_convert=to_int,
            schema={"type": "integer", "enum": [4, 6]},
        ),
        Field(name="cidr", convert=_cidr, required=True, schema={"type": "string"}),
        Field(
            name="gateway_ip",
            convert=_gateway,
            on_update=True,
            schema={"type": "string", "nullable": True},
        ),
        Field(
            name="allocation_pools",
            convert=_pools,
            sortable=False,
            filterable=False,
            schema=_list_of("start", "end"),
        ),
        Field(
            name="dns_nameservers",
            convert=_nameservers,
            default=[],
            on_update=True,
            sortable=False,
            filterable=False,
            schema={"type": "array", "items": {"type": "string"}},
        ),
        Field(
            name="host_routes",
            convert=_routes,
            default=[],
            on_update=True,
            sortable=False,
            filterable=False,
            schema=_list_of("destination", "nexthop"),
        ),
        Field(name="enable_dhcp", convert=to_bool, default=True, on_update=True),
        Field(
            name="ipv6_ra_mode",
            convert=_ipv6_mode,
            default=None,
            sortable=False,
            schema={"type": "string", "nullable": True, "enum": [*IPV6_MODES, None]},
        ),
        Field(
            name="ipv6_address_mode",
            convert=_ipv6_mode,
            default=None,
            sortable=False,
            schema={"type": "string", "nullable": True, "enum": [*IPV6_MODES, None]},
        ),
        # NOTE: the network's, for the policy's "shared" rule; never settable, and
        # shown to administrators only (the original hid it from everybody).
        Field(
            name="shared",
            on_create=False,
            admin_only=True,
            filterable=False,
            schema={"type": "boolean"},
        ),
    ),
)
