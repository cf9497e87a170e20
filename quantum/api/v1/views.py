# SPDX-License-Identifier: Apache-2.0
"""Domain objects to v1 wire dicts, and the XML shape of those dicts."""

from __future__ import annotations

from typing import Any

from quantum.api.v1.versions import ApiVersion
from quantum.api.wire import XmlShape
from quantum.core.networks import Network
from quantum.core.ports import Port

XML = XmlShape(
    attributes={
        "network": ("id", "name", "op-status"),
        "port": ("id", "state", "op-status"),
        "attachment": ("id",),
    },
    plurals={"networks": "network", "ports": "port"},
)
ATTACHMENT_XML = XmlShape(attributes={}, plurals={}, text_children=("attachment",))
"""The attachment resource itself writes ``<attachment><id>..</id></attachment>``."""


def network_ref(net: Network) -> dict[str, Any]:
    return {"id": net.id}


def network(net: Network, version: ApiVersion) -> dict[str, Any]:
    out: dict[str, Any] = {"id": net.id, "name": net.name}
    if version.shows_op_status:
        out["op-status"] = net.status.value
    return out


def network_with_ports(net: Network, version: ApiVersion) -> dict[str, Any]:
    out = network(net, version)
    out["ports"] = [port_with_attachment(p, version) for p in net.ports or ()]
    return out


def port_ref(port: Port) -> dict[str, Any]:
    return {"id": port.id}


def port(p: Port, version: ApiVersion) -> dict[str, Any]:
    out: dict[str, Any] = {"id": p.id, "state": p.state.value}
    if version.shows_op_status:
        out["op-status"] = p.status.value
    return out


def port_with_attachment(p: Port, version: ApiVersion) -> dict[str, Any]:
    out = port(p, version)
    if p.attachment:
        out["attachment"] = {"id": p.attachment}
    return out


def attachment(p: Port) -> dict[str, Any]:
    return {"id": p.attachment} if p.attachment else {}
