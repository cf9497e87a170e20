# SPDX-License-Identifier: Apache-2.0
"""``portstats``: a port's interface counters at
``/extensions/ovs/tenants/{tenant_id}/networks/{network_id}/ports/{port_id}/stats``
(spec §15.8), as the host's agent last read them from Open vSwitch and reported
them over the agent API. Errors are v1.0 faults, whichever version is asked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from webob import Response

from quantum.api.extensions import (
    ExtensionCall,
    Parent,
    ResourceExtension,
    Result,
)
from quantum.api.v1 import faults
from quantum.api.v1.versions import V1_0
from quantum.api.wire import Format, XmlShape
from quantum.core.exceptions import QuantumError
from quantum.plugins.extras.port_stats import COUNTERS, PortStatsStore

XML = XmlShape(attributes={"stats": COUNTERS}, plurals={})
PORTS = Parent(
    member_name="port",
    collection_name="extensions/ovs/tenants/{tenant_id}/networks/{network_id}/ports",
)


class PortStatsPlugin(Protocol):
    port_stats: PortStatsStore


def v10_fault(error: QuantumError, fmt: Format) -> Response:
    return faults.render(faults.from_error(error, V1_0), fmt, V1_0)


class Portstats:
    def get_name(self) -> str:
        return "Port Statistics"

    def get_alias(self) -> str:
        return "portstats"

    def get_description(self) -> str:
        return "Port Statistics"

    def get_namespace(self) -> str:
        return "http://docs.openstack.org/ext/portstats/api/v1.0"

    def get_updated(self) -> str:
        return "2011-12-20T10:00:00-00:00"

    def get_plugin_interface(self) -> type:
        return PortStatsPlugin

    def get_resources(self, plugin: PortStatsPlugin) -> Sequence[ResourceExtension]:
        def stats(call: ExtensionCall) -> Result:
            p = call.params
            ids = (p["tenant_id"], p["network_id"], p["port_id"])
            counters = plugin.port_stats.get(*ids)
            return {"stats": {name: getattr(counters, name) for name in COUNTERS}}

        return (
            ResourceExtension(
                collection="stats",
                parent=PORTS,
                handlers={"index": stats, "show": stats},
                xml=XML,
                render_error=v10_fault,
            ),
        )
