# SPDX-License-Identifier: Apache-2.0
"""``/v2.0/networks``: spec §3.1, with the read-only ``mtu`` of the ``net-mtu``
extension (``quantum.core.mtu``). The provider (§5.4) and external attributes are
extensions' (``quantum.api.v2.extensions``)."""

from __future__ import annotations

from collections.abc import Callable

from quantum.api.v2.attributes import (
    Field,
    Resource,
    string,
    to_bool,
    to_tenant,
    to_uuid,
)
from quantum.core import exceptions as exc
from quantum.core.listing import NO_MATCH, NoMatch
from quantum.core.networks import NetworkCreate, NetworkUpdate
from quantum.core.status import (
    OP_STATUS_BY_RESOURCE_STATUS,
    RESOURCE_STATUS,
    OpStatus,
)

STATUS = {"type": "string", "enum": sorted(set(RESOURCE_STATUS.values()))}
"""The ``status`` of a network or port, as shown."""


status: Callable[[OpStatus], str] = RESOURCE_STATUS.__getitem__
"""The v2 name of a network's or port's operational status (``Field.show``)."""


def status_filter(name: str, text: str) -> OpStatus | NoMatch:
    """A ``status`` filter value as the operational status it names (``ACTIVE``
    is ``UP``); a name no status has matches nothing."""
    return OP_STATUS_BY_RESOURCE_STATUS.get(text, NO_MATCH)


NETWORK = Resource(
    name="network",
    collection="networks",
    create_type=NetworkCreate,
    update_type=NetworkUpdate,
    not_found=lambda i: exc.NetworkNotFound(network_id=i),
    fields=(
        Field(name="id", convert=to_uuid, on_create=False),
        Field(
            name="name",
            convert=string(),
            default="",
            on_update=True,
            # NOTE: a network made through v1 may have none.
            render=lambda network, plugin: network.name or "",
        ),
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
    ),
)
