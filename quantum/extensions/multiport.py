# SPDX-License-Identifier: Apache-2.0
"""``Cisco Multiport``: one port on each of several networks in one call, all or
none, at ``POST /extensions/csco/tenants/{tenant_id}/multiport`` (spec §15.7)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from quantum.api.extensions import ExtensionCall, ResourceExtension, Result
from quantum.api.wire import XmlShape
from quantum.core import exceptions as exc
from quantum.core.ports import PortState
from quantum.extensions import _cisco
from quantum.plugins.interface import PortService

XML = XmlShape(attributes={"port": ("id",)}, plurals={"ports": "port"})
FIELDS = ("net_id_list", "status", "ports_desc")


class MultiportPlugin(Protocol):
    @property
    def ports(self) -> PortService:
        """Its v1 door's ``create_on_networks``: all or none, quota and addresses
        as any port."""
        ...


class Multiport:
    def get_name(self) -> str:
        return "Cisco Multiport"

    def get_alias(self) -> str:
        return "Cisco Multiport"

    def get_description(self) -> str:
        return "handle multiple ports in one call"

    def get_namespace(self) -> str:
        return "http://docs.ciscocloud.com/api/ext/multiport/v1.0"

    def get_updated(self) -> str:
        return "2011-08-25T13:25:27-06:00"

    def get_plugin_interface(self) -> type:
        return MultiportPlugin

    def get_resources(self, plugin: MultiportPlugin) -> Sequence[ResourceExtension]:
        def create(call: ExtensionCall) -> Result:
            params = _cisco.read_body(call, "multiport", FIELDS, by_content_type=True)
            net_ids = params["net_id_list"]
            if isinstance(net_ids, str):
                net_ids = [net_ids]  # NOTE: one XML child element reads as a string
            if not isinstance(net_ids, list) or not net_ids:
                raise exc.InvalidInput(reason="net_id_list must list networks")
            net_ids = [_cisco.text({"net_id": n}, "net_id") for n in net_ids]
            status = params["status"]
            if status not in (PortState.ACTIVE, PortState.DOWN):
                raise exc.StateInvalid(port_state=status)
            tenant_id = call.params["tenant_id"]
            ports = plugin.ports.create_on_networks(
                tenant_id,
                net_ids,
                admin_state_up=status == PortState.ACTIVE,
            )
            return {"ports": [{"id": p.id} for p in ports]}

        return (
            ResourceExtension(
                collection="multiport",
                parent=_cisco.TENANT,
                handlers={"create": create},
                xml=XML,
                render_error=_cisco.fault,
            ),
        )
