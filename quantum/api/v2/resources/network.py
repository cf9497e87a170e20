# SPDX-License-Identifier: Apache-2.0
"""``/v2.0/networks``: spec §3.1, with the provider (§5.4) and external attributes,
and the read-only ``mtu`` of the ``net-mtu`` extension (``quantum.core.mtu``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from quantum.api.v2.attributes import (
    Field,
    Operations,
    Resource,
    one_of,
    string,
    to_bool,
    to_int,
    to_tenant,
    to_uuid,
)
from quantum.core import exceptions as exc
from quantum.core.networks import (
    Network,
    NetworkCreate,
    NetworkSegment,
    NetworkType,
    NetworkUpdate,
)
from quantum.core.scope import Scope
from quantum.core.status import RESOURCE_STATUS
from quantum.core.unset import UNSET
from quantum.plugins.interface import CorePluginV2

PROVIDER_TYPES = ("local", "flat", "vlan", "gre", "vxlan")
STATUS = {"type": "string", "enum": sorted(set(RESOURCE_STATUS.values()))}
"""The ``status`` of a network or port, as shown."""

NETWORK = Resource(
    name="network",
    collection="networks",
    fields=(
        Field(name="id", convert=to_uuid, on_create=False),
        Field(name="name", convert=string(), default="", on_update=True),
        Field(name="tenant_id", convert=to_tenant),
        Field(name="project_id", convert=to_tenant),
        Field(name="admin_state_up", convert=to_bool, default=True, on_update=True),
        Field(name="status", on_create=False, schema=STATUS),
        Field(
            name="shared",
            convert=to_bool,
            default=False,
            on_update=True,
            set_by_admin=True,
        ),
        Field(
            name="subnets",
            on_create=False,
            sortable=False,
            filterable=False,
            schema={"type": "array", "items": {"type": "string", "format": "uuid"}},
        ),
        Field(
            name="mtu",
            on_create=False,
            sortable=False,
            filterable=False,
            schema={"type": "integer", "nullable": True},
        ),
        Field(
            name="router:external", convert=to_bool, on_update=True, set_by_admin=True
        ),
        Field(
            name="provider:network_type",
            convert=one_of(*PROVIDER_TYPES),
            admin_only=True,
            sortable=False,
        ),
        Field(
            name="provider:physical_network",
            convert=string(64),
            admin_only=True,
            sortable=False,
            shown={"type": "string", "nullable": True},
        ),
        Field(
            name="provider:segmentation_id",
            convert=to_int,
            admin_only=True,
            sortable=False,
            shown={"type": "integer", "nullable": True},
        ),
    ),
)


def view(network: Network) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": network.id,
        "name": network.name or "",
        "tenant_id": network.tenant_id,
        "project_id": network.tenant_id,
        "admin_state_up": network.admin_state_up,
        "status": RESOURCE_STATUS[network.status],
        "shared": network.shared,
        "subnets": list(network.subnets),
        "router:external": network.router_external,
        "mtu": network.mtu,
    }
    if network.segment is not None:
        body["provider:network_type"] = network.segment.network_type.value
        body["provider:physical_network"] = network.segment.physical_network
        body["provider:segmentation_id"] = network.segment.segmentation_id
    return body


def _segment(attrs: Mapping[str, Any]) -> NetworkSegment | None:
    kind = attrs.get("provider:network_type", UNSET)
    physnet = attrs.get("provider:physical_network", UNSET)
    seg_id = attrs.get("provider:segmentation_id", UNSET)
    if kind is UNSET:
        if physnet is not UNSET or seg_id is not UNSET:
            raise exc.InvalidInput(
                reason="provider:network_type is required with other provider "
                "attributes"
            )
        return None
    return NetworkSegment(
        network_id="",
        network_type=NetworkType(kind),
        physical_network=None if physnet is UNSET else physnet,
        segmentation_id=None if seg_id is UNSET else seg_id,
    )


def _create(attrs: Mapping[str, Any]) -> NetworkCreate:
    external = attrs.get("router:external", UNSET)
    return NetworkCreate(
        tenant_id=attrs["tenant_id"],
        name=attrs["name"],
        admin_state_up=attrs["admin_state_up"],
        shared=attrs["shared"],
        router_external=False if external is UNSET else external,
        segment=_segment(attrs),
    )


def _update(attrs: Mapping[str, Any]) -> NetworkUpdate:
    if any(k.startswith("provider:") for k in attrs):
        raise exc.InvalidInput(reason="updating provider attributes is not supported")
    return NetworkUpdate(
        name=attrs.get("name"),
        admin_state_up=attrs.get("admin_state_up"),
        shared=attrs.get("shared"),
        router_external=attrs.get("router:external"),
    )


def operations(plugin: CorePluginV2) -> Operations:
    def create(scope: Scope, items: Sequence[Mapping[str, Any]]) -> Sequence[Network]:
        return plugin.create_networks(scope, [_create(i) for i in items])

    def update(
        scope: Scope,
        network_id: str,
        attrs: Mapping[str, Any],
        authorize: Callable[[Network], None],
    ) -> Network:
        return plugin.update_network(scope, network_id, _update(attrs), authorize)

    return Operations(
        list=plugin.list_networks,
        show=plugin.get_network,
        create=create,
        update=update,
        delete=plugin.delete_network,
        view=view,
        not_found=lambda i: exc.NetworkNotFound(net_id=i),
    )
