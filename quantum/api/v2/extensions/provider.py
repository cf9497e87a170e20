# SPDX-License-Identifier: Apache-2.0
"""``provider`` (spec §5.4): where a network lives on the wire, for administrators.

Served by a plugin with segments (it lists ``provider`` in its
``supported_extension_aliases``). On create, the three attributes become the
network's requested segment; they cannot be updated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import (
    OMIT,
    Extend,
    Extension,
    Field,
    one_of,
    string,
    to_int,
)
from quantum.core import exceptions as exc
from quantum.core.networks import NetworkSegment, NetworkType
from quantum.core.unset import UNSET

PROVIDER_TYPES = ("local", "flat", "vlan", "gre", "vxlan")


def _segment(attrs: Mapping[str, Any]) -> dict[str, Any]:
    """The ``segment`` of a network create, from the provider attributes."""
    kind = attrs.get("provider:network_type", UNSET)
    physnet = attrs.get("provider:physical_network", UNSET)
    seg_id = attrs.get("provider:segmentation_id", UNSET)
    if kind is UNSET:
        if physnet is not UNSET or seg_id is not UNSET:
            raise exc.InvalidInput(
                reason="provider:network_type is required with other provider "
                "attributes"
            )
        return {}
    return {
        "segment": NetworkSegment(
            network_id="",
            network_type=NetworkType(kind),
            physical_network=None if physnet is UNSET else physnet,
            segmentation_id=None if seg_id is UNSET else seg_id,
        )
    }


def _network_type(network: Any, plugin: Any) -> Any:
    segment = network.segment
    return OMIT if segment is None else segment.network_type.value


def _physical_network(network: Any, plugin: Any) -> Any:
    segment = network.segment
    return OMIT if segment is None else segment.physical_network


def _segmentation_id(network: Any, plugin: Any) -> Any:
    segment = network.segment
    return OMIT if segment is None else segment.segmentation_id


EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="provider",
        name="Provider Network",
        description="Expose mapping of virtual networks to physical networks",
        namespace="http://docs.openstack.org/ext/provider/api/v2.0",
        updated="2013-02-03T10:00:00-00:00",
    ),
    extends={
        "network": Extend(
            fields=(
                Field(
                    name="provider:network_type",
                    column="segment.network_type",
                    convert=one_of(*PROVIDER_TYPES),
                    attr=None,
                    render=_network_type,
                    omittable=True,
                    admin_only=True,
                    sortable=False,
                ),
                Field(
                    name="provider:physical_network",
                    column="segment.physical_network",
                    convert=string(64),
                    attr=None,
                    render=_physical_network,
                    omittable=True,
                    admin_only=True,
                    sortable=False,
                    shown={"type": "string", "nullable": True},
                ),
                Field(
                    name="provider:segmentation_id",
                    column="segment.segmentation_id",
                    convert=to_int,
                    attr=None,
                    render=_segmentation_id,
                    omittable=True,
                    admin_only=True,
                    sortable=False,
                    shown={"type": "integer", "nullable": True},
                ),
            ),
            compose=(_segment,),
        )
    },
)
