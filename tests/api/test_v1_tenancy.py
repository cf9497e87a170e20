# SPDX-License-Identifier: Apache-2.0
"""Ownership (spec §12): another tenant's resources do not exist, whatever the verb."""

from __future__ import annotations

from typing import Any

from tests.api.v1client import NETWORK_NOT_FOUND, V1


def _every_network_route(net: str, port: str) -> list[tuple[str, str, Any]]:
    n = f"/networks/{net}"
    p = f"{n}/ports/{port}"
    return [
        ("GET", n, None),
        ("GET", n + "/detail", None),
        ("PUT", n, {"network": {"name": "stolen"}}),
        ("DELETE", n, None),
        ("GET", n + "/ports", None),
        ("GET", n + "/ports/detail", None),
        ("POST", n + "/ports", {"port": {"state": "ACTIVE"}}),
        ("POST", n + "/ports", None),
        ("GET", p, None),
        ("GET", p + "/detail", None),
        ("PUT", p, {"port": {"state": "DOWN"}}),
        ("DELETE", p, None),
        ("GET", p + "/attachment", None),
        ("PUT", p + "/attachment", {"attachment": {"id": "vif-stolen"}}),
        ("DELETE", p + "/attachment", None),
    ]


def _snapshot(v: V1, net: str) -> Any:
    detail = v.network(net)
    detail["ports"].sort(key=lambda p: p["id"])
    return detail, v.network_ids()


def test_foreign_tenant_gets_network_not_found_and_changes_nothing(v1: V1) -> None:
    net = v1.create_network("mine")
    plugged = v1.create_port(net, "ACTIVE")
    v1.plug(net, plugged, "vif-1")
    idle = v1.create_port(net, "ACTIVE")
    before = _snapshot(v1, net)
    intruder = v1.as_tenant("t1-invalid")
    detail = f"Network {net} could not be found"
    for port in (plugged, idle, "A_BAD_PORT"):
        for method, rel, body in _every_network_route(net, port):
            response = intruder.call(method, rel, body)
            intruder.fails_with(response, NETWORK_NOT_FOUND, detail)
    assert _snapshot(v1, net) == before
    assert intruder.network_ids() == []
    # the refused plug reserved nothing
    own = intruder.create_network()
    own_port = intruder.create_port(own)
    response = intruder.call(
        "PUT",
        f"/networks/{own}/ports/{own_port}/attachment",
        {"attachment": {"id": "vif-stolen"}},
    )
    assert response.status_int == 204


def test_network_not_found_wins_over_port_not_found(v1: V1) -> None:
    net = v1.create_network()
    port = v1.create_port(net)
    for bogus_port in (port, "A_BAD_PORT"):
        for method, rel, body in _every_network_route("A_BAD_ID", bogus_port):
            response = v1.call(method, rel, body)
            v1.fails_with(
                response, NETWORK_NOT_FOUND, "Network A_BAD_ID could not be found"
            )


def test_tenant_ids_are_free_form_and_exact(v1: V1) -> None:
    dotted = v1.as_tenant("acme.example.com")
    net = dotted.create_network("dotted")
    assert dotted.network_ids() == [net]
    assert dotted.ok(dotted.get(f"/networks/{net}"))["network"]["name"] == "dotted"
    for other in ("ACME.example.com", "acme", "acme.example.com "):
        assert v1.as_tenant(other.replace(" ", "%20")).network_ids() == []
    for odd in ("with%20space", "bell%07tab%09", "t%C3%A9nant-%E6%9D%B1"):
        tenant = v1.as_tenant(odd)
        net = tenant.create_network()
        assert tenant.network_ids() == [net], odd
        assert dotted.network_ids() != [net]
