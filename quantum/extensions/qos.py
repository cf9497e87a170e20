# SPDX-License-Identifier: Apache-2.0
"""``Cisco qos``: QoS policies at ``/extensions/csco/tenants/{tenant_id}/qoss``
(spec §15.3). A policy's description is the caller's JSON value; its ``rate``
(kbit/s) and ``burst`` (kbit) become the ingress limit of the ports whose port
profile names the policy, enforced by the Open vSwitch agent."""

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
from quantum.core.extension_models import QosPolicy
from quantum.extensions import _cisco
from quantum.plugins.extras.profiles import ProfileStore

XML = XmlShape(attributes={"qos": ("id", "name")}, plurals={"qoss": "qos"})
FIELDS = ("qos_name", "qos_desc")


class QosPlugin(Protocol):
    profiles: ProfileStore


def _detail(qos: QosPolicy) -> dict[str, Any]:
    return {
        "qoss": {
            "qos": {"id": qos.id, "name": qos.name, "description": qos.description}
        }
    }


class Qos:
    def get_name(self) -> str:
        return "Cisco qos"

    def get_alias(self) -> str:
        return "Cisco qos"

    def get_description(self) -> str:
        return "qos includes qos_name and qos_desc"

    def get_namespace(self) -> str:
        return "http://docs.ciscocloud.com/api/ext/qos/v1.0"

    def get_updated(self) -> str:
        return "2011-07-25T13:25:27-06:00"

    def get_plugin_interface(self) -> type:
        return QosPlugin

    def get_resources(self, plugin: QosPlugin) -> Sequence[ResourceExtension]:
        store = plugin.profiles

        def index(call: ExtensionCall) -> Result:
            qoss = store.list_qos(call.params["tenant_id"])
            return {"qoss": [{"id": q.id} for q in qoss]}

        def show(call: ExtensionCall) -> Result:
            return _detail(store.get_qos(call.params["tenant_id"], call.params["id"]))

        def create(call: ExtensionCall) -> Result:
            params = _cisco.read_body(call, "qos", FIELDS, by_content_type=True)
            name = _cisco.text(params, "qos_name")
            qos = store.create_qos(call.params["tenant_id"], name, params["qos_desc"])
            return {"qoss": {"qos": {"id": qos.id}}}

        def update(call: ExtensionCall) -> Result:
            params = _cisco.read_body(call, "qos", FIELDS, by_content_type=True)
            name = _cisco.text(params, "qos_name")
            tenant, qos_id = call.params["tenant_id"], call.params["id"]
            return _detail(store.rename_qos(tenant, qos_id, name))

        def delete(call: ExtensionCall) -> Result:
            store.delete_qos(call.params["tenant_id"], call.params["id"])
            return plain_ok()

        return (
            ResourceExtension(
                collection="qoss",
                parent=_cisco.TENANT,
                handlers={
                    "index": index,
                    "show": show,
                    "create": create,
                    "update": update,
                    "delete": delete,
                },
                xml=XML,
                render_error=_cisco.fault,
            ),
        )
