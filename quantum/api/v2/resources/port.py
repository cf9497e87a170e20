# SPDX-License-Identifier: Apache-2.0
"""``/v2.0/ports``: spec §3.3, with ``binding:host_id`` (§5.7, admin only)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from quantum.api.v2.attributes import (
    Field,
    Operations,
    Resource,
    string,
    to_bool,
    to_mac,
    to_tenant,
    to_uuid,
)
from quantum.api.v2.resources.network import STATUS
from quantum.core import exceptions as exc
from quantum.core.models import V2_STATUS, Port, PortCreate, PortUpdate, Scope
from quantum.ipam.convert import to_fixed_ips
from quantum.ipam.requests import UNSET, FixedIPRequest, Limits
from quantum.plugins.interface import CorePluginV2


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
    fields=(
        Field(name="id", convert=to_uuid, on_create=False),
        Field(name="name", convert=string(), default="", on_update=True),
        Field(name="network_id", convert=to_uuid, required=True),
        Field(name="tenant_id", convert=to_tenant),
        Field(name="project_id", convert=to_tenant),
        Field(name="admin_state_up", convert=to_bool, default=True, on_update=True),
        Field(name="status", on_create=False, schema=STATUS),
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
            name="binding:host_id",
            convert=string(),
            default="",
            on_update=True,
            admin_only=True,
        ),
    ),
)


def view(port: Port) -> dict[str, Any]:
    return {
        "id": port.id,
        "name": port.name,
        "network_id": port.network_id,
        "tenant_id": port.tenant_id,
        "project_id": port.tenant_id,
        "admin_state_up": port.admin_state_up,
        "status": V2_STATUS[port.status],
        "mac_address": port.mac_address,
        "fixed_ips": [
            {"subnet_id": ip.subnet_id, "ip_address": str(ip.ip_address)}
            for ip in port.fixed_ips
        ],
        "device_id": port.device_id,
        "device_owner": port.device_owner,
        "binding:host_id": port.binding_host_id,
    }


def _create(attrs: Mapping[str, Any]) -> PortCreate:
    mac = attrs.get("mac_address", UNSET)
    return PortCreate(
        tenant_id=attrs["tenant_id"],
        network_id=attrs["network_id"],
        name=attrs["name"],
        admin_state_up=attrs["admin_state_up"],
        mac_address=None if mac is UNSET else mac,
        device_id=attrs["device_id"],
        device_owner=attrs["device_owner"],
        binding_host_id=attrs["binding:host_id"],
        fixed_ips=attrs.get("fixed_ips"),
    )


def _update(attrs: Mapping[str, Any]) -> PortUpdate:
    return PortUpdate(
        name=attrs.get("name"),
        admin_state_up=attrs.get("admin_state_up"),
        device_id=attrs.get("device_id"),
        device_owner=attrs.get("device_owner"),
        binding_host_id=attrs.get("binding:host_id"),
        fixed_ips=attrs.get("fixed_ips"),
    )


def operations(plugin: CorePluginV2) -> Operations:
    def create(scope: Scope, items: Sequence[Mapping[str, Any]]) -> Sequence[Port]:
        return plugin.create_ports(scope, [_create(i) for i in items])

    def update(
        scope: Scope,
        port_id: str,
        attrs: Mapping[str, Any],
        authorize: Callable[[Port], None],
    ) -> Port:
        return plugin.update_port(scope, port_id, _update(attrs), authorize)

    return Operations(
        list=plugin.list_ports,
        show=plugin.get_port,
        create=create,
        update=update,
        delete=plugin.delete_port,
        view=view,
        not_found=lambda i: exc.PortNotFoundV2(port_id=i),
    )
