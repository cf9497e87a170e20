# SPDX-License-Identifier: Apache-2.0
"""``Cisco Credential``: user names and passwords at
``/extensions/csco/tenants/{tenant_id}/credentials`` (spec §15.5). Passwords are
encrypted at rest (``credential_key``); the plugin offers this extension only when
a key is configured."""

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
from quantum.core.extension_models import Credential as CredentialValue
from quantum.extensions import _cisco
from quantum.plugins.extras.credentials import CredentialStore

XML = XmlShape(
    attributes={"credential": ("id", "name")}, plurals={"credentials": "credential"}
)
FIELDS = ("credential_name", "user_name", "password")


class CredentialPlugin(Protocol):
    credentials: CredentialStore


def _detail(credential: CredentialValue) -> dict[str, Any]:
    view = {
        "id": credential.id,
        "name": credential.user_name,
        "password": credential.password,
    }
    return {"credentials": {"credential": view}}


class Credential:
    def get_name(self) -> str:
        return "Cisco Credential"

    def get_alias(self) -> str:
        return "Cisco Credential"

    def get_description(self) -> str:
        return "Credential include username and password"

    def get_namespace(self) -> str:
        return "http://docs.ciscocloud.com/api/ext/credential/v1.0"

    def get_updated(self) -> str:
        return "2011-07-25T13:25:27-06:00"

    def get_plugin_interface(self) -> type:
        return CredentialPlugin

    def get_resources(self, plugin: CredentialPlugin) -> Sequence[ResourceExtension]:
        store = plugin.credentials

        def index(call: ExtensionCall) -> Result:
            ids = store.list_ids(call.params["tenant_id"])
            return {"credentials": [{"id": i} for i in ids]}

        def show(call: ExtensionCall) -> Result:
            return _detail(store.get(call.params["tenant_id"], call.params["id"]))

        def create(call: ExtensionCall) -> Result:
            params = _cisco.read_body(call, "credential", FIELDS, by_content_type=True)
            credential = store.create(
                call.params["tenant_id"],
                _cisco.text(params, "credential_name"),
                _cisco.text(params, "user_name"),
                _cisco.text(params, "password"),
            )
            return {"credentials": {"credential": {"id": credential.id}}}

        def update(call: ExtensionCall) -> Result:
            params = _cisco.read_body(call, "credential", FIELDS, by_content_type=True)
            name = _cisco.text(params, "credential_name")
            tenant, credential_id = call.params["tenant_id"], call.params["id"]
            return _detail(store.rename(tenant, credential_id, name))

        def delete(call: ExtensionCall) -> Result:
            store.delete(call.params["tenant_id"], call.params["id"])
            return plain_ok()

        return (
            ResourceExtension(
                collection="credentials",
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
