# SPDX-License-Identifier: Apache-2.0
"""``binding`` (spec §5.7, admin only): which host wires a port, and how.

``binding:host_id`` is the host whose agent may wire the port (set by an admin, or
recorded for the first host that finds it plugged); ``binding:vif_type`` is what the
plugin plugs (``ovs``; ``unbound`` under a plugin without agents);
``binding:vif_details`` says how to plug it, for that ``vif_type``
(``VIF_DETAILS``); ``binding:profile`` is an object for whoever binds the port.
"""

from __future__ import annotations

import json
from typing import Any

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import Extend, Extension, Field, string
from quantum.core import exceptions as exc
from quantum.plugins.interface import UNBOUND

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


def _vif_type(plugin: Any) -> str:
    """What the plugin plugs (a ``PortBinder``'s ``vif_type``)."""
    return str(getattr(plugin, "vif_type", UNBOUND))


VIF_DETAILS: dict[str, dict[str, Any]] = {
    # NOTE: the OVS agent filters every port itself, in br-int's flows (port
    # security, security groups: agent/ovs/bridges/firewall.py; its default
    # firewall_driver, a host set to noop is not told to the server), so the
    # hypervisor adds no filter of its own (port_filter), and the VIF goes straight into
    # br-int, with no Linux bridge between for iptables (ovs_hybrid_plug). The
    # bridge's name and datapath are each agent's own settings, which the server
    # does not know: not given.
    "ovs": {"port_filter": True, "ovs_hybrid_plug": False},
}
"""``binding:vif_details`` by ``binding:vif_type`` (``{}`` for any other: a port
no agent binds)."""


def _vif_details(plugin: Any) -> dict[str, Any]:
    return dict(VIF_DETAILS.get(_vif_type(plugin), {}))


EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="binding",
        name="Port Binding",
        description="Expose port bindings of a virtual port to external application",
        namespace="http://docs.openstack.org/ext/binding/api/v2.0",
        updated="2013-02-03T10:00:00-00:00",
    ),
    extends={
        "port": Extend(
            fields=(
                Field(
                    name="binding:host_id",
                    convert=string(),
                    default="",
                    on_update=True,
                    admin_only=True,
                ),
                Field(
                    name="binding:vif_type",
                    attr=None,
                    per_plugin=_vif_type,
                    on_create=False,
                    schema={"type": "string", "enum": ["ovs", UNBOUND]},
                    admin_only=True,
                    sortable=False,
                    filterable=False,
                ),
                Field(
                    name="binding:vif_details",
                    attr=None,
                    per_plugin=_vif_details,
                    on_create=False,
                    schema={
                        "type": "object",
                        "properties": {
                            "port_filter": {"type": "boolean"},
                            "ovs_hybrid_plug": {"type": "boolean"},
                        },
                    },
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
            )
        )
    },
)
