# SPDX-License-Identifier: Apache-2.0
"""``Cisco Port Profile``: port profiles at
``/extensions/csco/tenants/{tenant_id}/portprofiles`` (spec §15.4). A profile names
a QoS policy of the tenant; associating it with a port puts that policy's limit on
the port's interface. ``assignment`` lists the associated ports, when any."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from quantum.api.extensions import (
    ExtensionCall,
    ResourceExtension,
    Result,
    plain_ok,
)
from quantum.api.wire import XmlShape
from quantum.core.extension_models import PortProfile
from quantum.extensions import _cisco
from quantum.plugins.extras.profiles import ProfileStore

XML = XmlShape(
    attributes={"portprofile": ("id", "name", "qos_name")},
    plurals={"portprofiles": "portprofile", "assignment": "port"},
)
FIELDS = ("portprofile_name", "qos_name")
PORT_FIELDS = ("network-id", "port-id")


class PortProfilePlugin(Protocol):
    profiles: ProfileStore


def _detail(profile: PortProfile) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": profile.id,
        "name": profile.name,
        "qos_name": profile.qos_name,
    }
    if profile.port_ids:
        view["assignment"] = list(profile.port_ids)
    return {"portprofiles": {"portprofile": view}}


class Portprofile:
    def get_name(self) -> str:
        return "Cisco Port Profile"

    def get_alias(self) -> str:
        return "Cisco Port Profile"

    def get_description(self) -> str:
        return "Portprofile include QoS information"

    def get_namespace(self) -> str:
        return "http://docs.ciscocloud.com/api/ext/portprofile/v1.0"

    def get_updated(self) -> str:
        return "2011-07-23T13:25:27-06:00"

    def get_plugin_interface(self) -> type:
        return PortProfilePlugin

    def get_resources(self, plugin: PortProfilePlugin) -> Sequence[ResourceExtension]:
        store = plugin.profiles

        def index(call: ExtensionCall) -> Result:
            profiles = store.list_profiles(call.params["tenant_id"])
            return {"portprofiles": [{"id": p.id} for p in profiles]}

        def show(call: ExtensionCall) -> Result:
            tenant, profile_id = call.params["tenant_id"], call.params["id"]
            return _detail(store.get_profile(tenant, profile_id))

        def create(call: ExtensionCall) -> Result:
            params = _cisco.read_body(call, "portprofile", FIELDS, by_content_type=True)
            profile = store.create_profile(
                call.params["tenant_id"],
                _cisco.text(params, "portprofile_name"),
                _cisco.text(params, "qos_name"),
            )
            return {"portprofiles": {"portprofile": {"id": profile.id}}}

        def update(call: ExtensionCall) -> Result:
            params = _cisco.read_body(call, "portprofile", FIELDS, by_content_type=True)
            name = _cisco.text(params, "portprofile_name")
            _cisco.text(params, "qos_name")
            tenant, profile_id = call.params["tenant_id"], call.params["id"]
            return _detail(store.rename_profile(tenant, profile_id, name))

        def delete(call: ExtensionCall) -> Result:
            store.delete_profile(call.params["tenant_id"], call.params["id"])
            return plain_ok()

        def associate(call: ExtensionCall) -> Result:
            params = _cisco.read_body(call, "portprofile", PORT_FIELDS)
            store.associate(
                call.params["tenant_id"],
                call.params["id"],
                _cisco.text(params, "network-id"),
                _cisco.text(params, "port-id"),
            )
            return plain_ok()

        def disassociate(call: ExtensionCall) -> Result:
            params = _cisco.read_body(call, "portprofile", PORT_FIELDS)
            store.disassociate(
                call.params["tenant_id"],
                call.params["id"],
                _cisco.text(params, "network-id"),
                _cisco.text(params, "port-id"),
            )
            return plain_ok()

        return (
            ResourceExtension(
                collection="portprofiles",
                parent=_cisco.TENANT,
                handlers={
                    "index": index,
                    "show": show,
                    "create": create,
                    "update": update,
                    "delete": delete,
                    "associate_portprofile": associate,
                    "disassociate_portprofile": disassociate,
                },
                member_actions={
                    "associate_portprofile": ("PUT",),
                    "disassociate_portprofile": ("PUT",),
                },
                xml=XML,
                render_error=_cisco.fault,
            ),
        )
