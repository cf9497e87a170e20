# SPDX-License-Identifier: Apache-2.0
"""``Cisco Nova Tenant``: the compute service's helper at
``/extensions/csco/tenants/{tenant_id}/novatenants/{id}/{action}`` (spec §15.6);
the ``{id}`` segment is ignored, as it was.

* ``schedule_host`` answers the hosts whose agent is alive and enabled
  (``admin_state_up``), least loaded first:
  ``{"host_list": {"host_1": "h1", "host_2": "h2"}}``;
* ``associate_port`` records the instance's interface (``instance_desc.vif_id``) and
  answers ``{"vif_desc": {"vif_id", "instance_id", "port_id", "network_id"}}`` (the
  port plugged with that interface, or nulls);
* ``detach_port`` forgets it: ``{"result": true}`` (453 when nothing was recorded).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from quantum.api.extensions import ExtensionCall, ResourceExtension, Result
from quantum.api.wire import XmlShape
from quantum.core import exceptions as exc
from quantum.extensions import _cisco
from quantum.plugins.extras.instances import InstanceStore

XML = XmlShape(attributes={"novatenant": ("id", "name")}, plurals={})
FIELDS = ("instance_id", "instance_desc")
DUMMY = "novatenant is a dummy resource"


class NovaTenantPlugin(Protocol):
    instances: InstanceStore


def _instance(call: ExtensionCall, *extra: str) -> tuple[str, dict[str, Any]]:
    params = _cisco.read_body(call, "novatenant", FIELDS)
    desc = params["instance_desc"]
    if not isinstance(desc, dict):
        raise exc.InvalidInput(reason="instance_desc must be an object")
    for key in extra:
        if desc.get(key) is None:
            raise exc.InvalidInput(
                reason=f"Failed to parse request. Parameter: {key} not specified"
            )
    return _cisco.text(params, "instance_id"), desc


class Novatenant:
    def get_name(self) -> str:
        return "Cisco Nova Tenant"

    def get_alias(self) -> str:
        return "Cisco Nova Tenant"

    def get_description(self) -> str:
        return "novatenant resource is used by nova side to invoke quantum api"

    def get_namespace(self) -> str:
        return "http://docs.ciscocloud.com/api/ext/novatenant/v1.0"

    def get_updated(self) -> str:
        return "2011-08-09T13:25:27-06:00"

    def get_plugin_interface(self) -> type:
        return NovaTenantPlugin

    def get_resources(self, plugin: NovaTenantPlugin) -> Sequence[ResourceExtension]:
        store = plugin.instances

        def schedule_host(call: ExtensionCall) -> Result:
            _instance(call)
            hosts = store.live_hosts()
            return {"host_list": {f"host_{i}": h for i, h in enumerate(hosts, 1)}}

        def associate_port(call: ExtensionCall) -> Result:
            instance_id, desc = _instance(call, "vif_id")
            found = store.associate(
                call.params["tenant_id"],
                instance_id,
                _cisco.text(desc, "vif_id"),
                user_id=_cisco.text(desc, "user_id") if "user_id" in desc else "",
                project_id=(
                    _cisco.text(desc, "project_id") if "project_id" in desc else ""
                ),
            )
            return {
                "vif_desc": {
                    "vif_id": found.vif_id,
                    "instance_id": found.instance_id,
                    "port_id": found.port_id,
                    "network_id": found.network_id,
                }
            }

        def detach_port(call: ExtensionCall) -> Result:
            instance_id, desc = _instance(call, "vif_id")
            store.detach(
                call.params["tenant_id"], instance_id, _cisco.text(desc, "vif_id")
            )
            return {"result": True}

        def dummy(call: ExtensionCall) -> Result:
            return DUMMY

        return (
            ResourceExtension(
                collection="novatenants",
                parent=_cisco.TENANT,
                handlers={
                    "show": dummy,
                    "create": dummy,
                    "update": dummy,
                    "delete": dummy,
                    "schedule_host": schedule_host,
                    "associate_port": associate_port,
                    "detach_port": detach_port,
                },
                member_actions={
                    "schedule_host": ("PUT",),
                    "associate_port": ("PUT",),
                    "detach_port": ("PUT",),
                },
                xml=XML,
                render_error=_cisco.fault,
            ),
        )
