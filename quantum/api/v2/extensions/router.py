# SPDX-License-Identifier: Apache-2.0
"""``router`` (spec §5.2): ``/v2.0/routers`` with the member actions
``add_router_interface`` and ``remove_router_interface``, and
``/v2.0/floatingips``; ``ext-gw-mode``: ``enable_snat`` in a router's
``external_gateway_info``. Served by the L3 service plugin
(``service_plugins = router``, ``quantum.plugins.l3``)."""

from __future__ import annotations

from typing import Any

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import (
    Action,
    Extension,
    Field,
    Resource,
    string,
    to_bool,
    to_tenant,
    to_uuid,
)
from quantum.core import exceptions as exc
from quantum.core.routers import (
    ExternalGatewayInfo,
    FloatingIPCreate,
    FloatingIPUpdate,
    RouterCreate,
    RouterStatus,
    RouterUpdate,
)
from quantum.core.subnets import IPAddress
from quantum.ipam import allocate

UUID_OR_NULL = {"type": "string", "format": "uuid", "nullable": True}
ADDRESS_OR_NULL = {"type": "string", "nullable": True}
GATEWAY = {
    "type": "object",
    "nullable": True,
    "additionalProperties": False,
    "properties": {
        "network_id": {"type": "string", "format": "uuid"},
        "enable_snat": {"type": "boolean"},
    },
}


def to_gateway(name: str, value: Any) -> ExternalGatewayInfo | None:
    """``external_gateway_info``: ``null`` or ``{}`` (no ``network_id``) removes
    the gateway; ``network_id`` is any string (one that names no network is the
    store's 404, spec §5.2); ``enable_snat`` a boolean (default true)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise exc.InvalidInput(reason=f"'{value}' is not a dictionary for {name}")
    unknown = set(value) - {"network_id", "enable_snat"}
    if unknown:
        raise exc.InvalidInput(
            reason=f"Unrecognized key(s) {', '.join(sorted(unknown))} in {name}"
        )
    network_id = value.get("network_id")
    if network_id is None:
        if "enable_snat" in value:
            raise exc.InvalidInput(reason=f"enable_snat in {name} needs a network_id")
        return None
    if not isinstance(network_id, str):
        raise exc.InvalidInput(reason=f"'{network_id}' is not a valid network id")
    snat = to_bool("enable_snat", value.get("enable_snat", True))
    return ExternalGatewayInfo(network_id=network_id, enable_snat=snat)


def show_gateway(router: Any, plugin: Any) -> dict[str, Any] | None:
    info = router.external_gateway_info
    if info is None:
        return None
    return {"network_id": info.network_id, "enable_snat": info.enable_snat}


def disables_snat(value: ExternalGatewayInfo | None) -> bool:
    return value is not None and not value.enable_snat


def to_uuid_or_none(name: str, value: Any) -> str | None:
    return None if value is None else to_uuid(name, value)


def to_address_or_none(name: str, value: Any) -> IPAddress | None:
    return None if value is None else allocate.parse_address(value, name)


def _text_or_none(item: Any, plugin: Any, attr: str) -> str | None:
    value = getattr(item, attr)
    return None if value is None else str(value)


ROUTER = Resource(
    name="router",
    collection="routers",
    create_type=RouterCreate,
    update_type=RouterUpdate,
    not_found=lambda i: exc.RouterNotFound(router_id=i),
    actions=(
        Action(name="add_router_interface"),
        Action(name="remove_router_interface"),
    ),
    fields=(
        Field(name="id", convert=to_uuid, on_create=False),
        Field(name="name", convert=string(), default="", on_update=True),
        Field(name="tenant_id", convert=to_tenant),
        Field(name="project_id", convert=to_tenant, attr="tenant_id"),
        Field(name="admin_state_up", convert=to_bool, default=True, on_update=True),
        Field(
            name="status",
            on_create=False,
            schema={"type": "string", "enum": [s.value for s in RouterStatus]},
        ),
        Field(
            name="external_gateway_info",
            convert=to_gateway,
            default=None,
            on_update=True,
            render=show_gateway,
            sortable=False,
            filterable=False,
            # NOTE: as ext-gw-mode's policy: only an admin turns SNAT off.
            policy="rule:admin_only",
            policy_when=disables_snat,
            schema=GATEWAY,
        ),
    ),
)

FLOATINGIP = Resource(
    name="floatingip",
    collection="floatingips",
    create_type=FloatingIPCreate,
    update_type=FloatingIPUpdate,
    not_found=lambda i: exc.FloatingIPNotFound(floatingip_id=i),
    fields=(
        Field(name="id", convert=to_uuid, on_create=False),
        Field(name="tenant_id", convert=to_tenant),
        Field(name="project_id", convert=to_tenant, attr="tenant_id"),
        Field(name="floating_network_id", convert=to_uuid, required=True),
        Field(
            name="floating_ip_address",
            on_create=False,
            render=lambda fip, plugin: str(fip.floating_ip_address),
            schema={"type": "string"},
        ),
        Field(
            name="port_id",
            convert=to_uuid_or_none,
            default=None,
            on_update=True,
            schema=UUID_OR_NULL,
        ),
        Field(
            name="fixed_ip_address",
            convert=to_address_or_none,
            default=None,
            on_update=True,
            render=lambda fip, plugin: _text_or_none(fip, plugin, "fixed_ip_address"),
            schema=ADDRESS_OR_NULL,
        ),
        Field(name="router_id", on_create=False, schema=UUID_OR_NULL),
    ),
)

EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="router",
        name="Quantum L3 Router",
        description="Router abstraction for basic L3 forwarding between L2 Quantum "
        "networks and access to external networks via a NAT gateway.",
        namespace="http://docs.openstack.org/ext/quantum/router/api/v1.0",
        updated="2012-07-20T10:00:00-00:00",
    ),
    resources=(ROUTER, FLOATINGIP),
)

GW_MODE = Extension(
    descriptor=ExtensionDescriptor(
        alias="ext-gw-mode",
        name="Quantum L3 Configurable external gateway mode",
        description="Extension of the router abstraction for specifying whether "
        "SNAT should occur on the external gateway (enable_snat in "
        "external_gateway_info).",
        namespace="http://docs.openstack.org/ext/quantum/ext-gw-mode/api/v1.0",
        updated="2013-03-28T10:00:00-00:00",
    ),
)
"""``enable_snat`` is part of ``external_gateway_info`` as the router extension
declares it; this descriptor says so to clients that look for it."""
