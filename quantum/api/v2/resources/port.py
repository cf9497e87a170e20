# SPDX-License-Identifier: Apache-2.0
"""``/v2.0/ports``: spec §3.3. ``status_reason`` (admin only: it may name hosts)
says why a port is DOWN. Only the network's owner (or an admin) may choose a port's
``mac_address`` or ``fixed_ips``, or give it a reserved ``device_owner``
(``network:*``): the rules ``create_port:<attribute>`` and
``update_port:<attribute>``, ``admin_or_network_owner`` by default (spec §2.1).
The ``binding:*`` attributes are the ``binding`` extension's
(``quantum.api.v2.extensions.binding``)."""

from __future__ import annotations

from typing import Any

from quantum.api.v2.attributes import (
    Field,
    Owner,
    Resource,
    string,
    to_bool,
    to_mac,
    to_tenant,
    to_uuid,
)
from quantum.api.v2.resources.network import STATUS, status, status_filter
from quantum.core import exceptions as exc
from quantum.core.ports import FixedIPRequest, PortCreate, PortUpdate
from quantum.ipam.convert import to_fixed_ips
from quantum.ipam.requests import Limits


def fixed_ips(name: str, value: Any) -> list[FixedIPRequest]:
    """The entries' shapes; the store applies ``max_fixed_ips_per_port``."""
    return to_fixed_ips(value, Limits(max_fixed_ips_per_port=1 << 30))


FIXED_IPS: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "subnet_id": {"type": "string", "format": "uuid"},
            "ip_address": {"type": "string"},
        },
    },
}

NETWORK_OWNER = "rule:admin_or_network_owner"
RESERVED_OWNER_PREFIX = "network:"


def reserved_owner(device_owner: str) -> bool:
    """A ``device_owner`` of the network's own ports (``network:dhcp``...).

    NOTE: any case: agents and clients compare owners loosely, and ``NETWORK:dhcp``
    must not pass for a tenant where ``network:dhcp`` won't."""
    return device_owner.lower().startswith(RESERVED_OWNER_PREFIX)


PORT = Resource(
    name="port",
    collection="ports",
    owner=Owner(field="network_id", collection="networks", key="network_tenant_id"),
    create_type=PortCreate,
    update_type=PortUpdate,
    not_found=lambda i: exc.PortNotFound(port_id=i),
    fields=(
        Field(name="id", convert=to_uuid, on_create=False),
        Field(name="name", convert=string(), default="", on_update=True),
        Field(name="network_id", convert=to_uuid, required=True),
        Field(name="tenant_id", convert=to_tenant),
        Field(name="project_id", convert=to_tenant, attr="tenant_id"),
        Field(name="admin_state_up", convert=to_bool, default=True, on_update=True),
        Field(
            name="status",
            on_create=False,
            schema=STATUS,
            show=status,
            query_convert=status_filter,
        ),
        Field(name="mac_address", convert=to_mac, policy=NETWORK_OWNER),
        Field(
            name="fixed_ips",
            convert=fixed_ips,
            on_update=True,
            policy=NETWORK_OWNER,
            sortable=False,
            schema=FIXED_IPS,
            shown={
                **FIXED_IPS,
                "items": {
                    **FIXED_IPS["items"],
                    "required": ["subnet_id", "ip_address"],
                },
            },
        ),
        Field(name="device_id", convert=string(), default="", on_update=True),
        Field(
            name="device_owner",
            convert=string(),
            default="",
            on_update=True,
            policy=NETWORK_OWNER,
            policy_when=reserved_owner,
        ),
        Field(
            name="status_reason",
            on_create=False,
            schema={"type": "string"},
            admin_only=True,
            sortable=False,
            filterable=False,
        ),
    ),
)
