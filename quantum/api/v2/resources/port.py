# SPDX-License-Identifier: Apache-2.0
"""``/v2.0/ports``: spec §3.3. ``status_reason`` (admin only: it may name hosts)
says why a port is DOWN. The ``binding:*`` attributes are the ``binding``
extension's (``quantum.api.v2.extensions.binding``)."""

from __future__ import annotations

from typing import Any

from quantum.api.v2.attributes import (
    Field,
    Resource,
    string,
    to_bool,
    to_mac,
    to_tenant,
    to_uuid,
)
from quantum.api.v2.resources.network import STATUS, status
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

PORT = Resource(
    name="port",
    collection="ports",
    create_type=PortCreate,
    update_type=PortUpdate,
    not_found=lambda i: exc.PortNotFoundV2(port_id=i),
    fields=(
        Field(name="id", convert=to_uuid, on_create=False),
        Field(name="name", convert=string(), default="", on_update=True),
        Field(name="network_id", convert=to_uuid, required=True),
        Field(name="tenant_id", convert=to_tenant),
        Field(name="project_id", convert=to_tenant, attr="tenant_id"),
        Field(name="admin_state_up", convert=to_bool, default=True, on_update=True),
        Field(name="status", on_create=False, schema=STATUS, render=status),
        Field(name="mac_address", convert=to_mac),
        Field(
            name="fixed_ips",
            convert=fixed_ips,
            on_update=True,
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
        Field(name="device_owner", convert=string(), default="", on_update=True),
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
