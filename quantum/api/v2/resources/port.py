# SPDX-License-Identifier: Apache-2.0
"""``/v2.0/ports``: spec §3.3, with the ``binding`` attributes (§5.7, admin only).

``binding:host_id`` is the host whose agent may wire the port (set by an admin, or
recorded for the first host that finds it plugged); ``binding:vif_type`` is what the
plugin plugs (``ovs``; ``unbound`` under a plugin without agents);
``binding:profile`` is an object for whoever binds the port. ``status_reason`` (also
admin only: it may name hosts) says why a port is DOWN.
"""

from __future__ import annotations

import functools
import json
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
from quantum.core.ports import FixedIPRequest, Port, PortCreate, PortUpdate
from quantum.core.scope import Scope
from quantum.core.status import RESOURCE_STATUS
from quantum.core.unset import UNSET
from quantum.ipam.convert import to_fixed_ips
from quantum.ipam.requests import Limits
from quantum.plugins.interface import UNBOUND, CorePluginV2

PROFILE_MAX = 4096
"""Characters of a ``binding:profile`` as JSON."""


def to_profile(name: str, value: Any) -> dict[str, Any]:
    """A JSON object (``null``: the empty one)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise exc.InvalidInput(reason=f"{name} must be an object")
    if len(json.dumps(value)) > PROFILE_MAX:
        raise exc.InvalidInput(
            reason=f"{name} is longer than {PROFILE_MAX} characters as JSON"
        )
    return value


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
        Field(
            name="binding:vif_type",
            on_create=False,
            schema={"type": "string", "enum": ["ovs", UNBOUND]},
            admin_only=True,
            sortable=False,
            filterable=False,
        ),
        Field(
            name="binding:profile",
            convert=to_profile,
            schema={"type": "object", "nullable": True},
            shown={"type": "object"},
            default={},
            on_update=True,
            admin_only=True,
            sortable=False,
            filterable=False,
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


def view(port: Port, vif_type: str = UNBOUND) -> dict[str, Any]:
    return {
        "id": port.id,
        "name": port.name,
        "network_id": port.network_id,
        "tenant_id": port.tenant_id,
        "project_id": port.tenant_id,
        "admin_state_up": port.admin_state_up,
        "status": RESOURCE_STATUS[port.status],
        "mac_address": port.mac_address,
        "fixed_ips": [
            {"subnet_id": ip.subnet_id, "ip_address": str(ip.ip_address)}
            for ip in port.fixed_ips
        ],
        "device_id": port.device_id,
        "device_owner": port.device_owner,
        "binding:host_id": port.binding_host_id,
        "binding:vif_type": vif_type,
        "binding:profile": dict(port.binding_profile),
        "status_reason": port.status_reason,
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
        binding_profile=attrs["binding:profile"],
        fixed_ips=attrs.get("fixed_ips"),
    )


def _update(attrs: Mapping[str, Any]) -> PortUpdate:
    return PortUpdate(
        name=attrs.get("name"),
        admin_state_up=attrs.get("admin_state_up"),
        device_id=attrs.get("device_id"),
        device_owner=attrs.get("device_owner"),
        binding_host_id=attrs.get("binding:host_id"),
        binding_profile=attrs.get("binding:profile"),
        fixed_ips=attrs.get("fixed_ips"),
    )


def operations(plugin: CorePluginV2, vif_type: str = UNBOUND) -> Operations:
    """``vif_type``: what the plugin plugs (``binding:vif_type``)."""

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
        view=functools.partial(view, vif_type=vif_type),
        not_found=lambda i: exc.PortNotFoundV2(port_id=i),
    )
