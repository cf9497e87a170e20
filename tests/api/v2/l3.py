# SPDX-License-Identifier: Apache-2.0
"""Shortcuts the router and floating-IP tests share (the ``l3`` fixture's app)."""

from __future__ import annotations

from typing import Any

from tests.api.v2.client import ADMIN, V2


def subnet(
    v2: V2, network_id: str, cidr: str, as_: dict[str, str] | None = None, **attrs: Any
) -> dict[str, Any]:
    body = {
        "subnet": {"network_id": network_id, "cidr": cidr, "ip_version": 4, **attrs}
    }
    response = v2.post("/subnets", body, as_)
    assert response.status_int == 201, response.body
    return response.json["subnet"]  # type: ignore[no-any-return]


def external(
    v2: V2, cidr: str = "172.24.4.0/24"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """An external network (an admin's) and its subnet."""
    net = v2.network(ADMIN, **{"router:external": True})
    return net, subnet(v2, net["id"], cidr, ADMIN)


def private(
    v2: V2, cidr: str = "10.0.0.0/24", as_: dict[str, str] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A tenant network and its subnet."""
    net = v2.network(as_)
    return net, subnet(v2, net["id"], cidr, as_)


def router(v2: V2, as_: dict[str, str] | None = None, **attrs: Any) -> dict[str, Any]:
    response = v2.post("/routers", {"router": attrs}, as_)
    assert response.status_int == 201, response.body
    return response.json["router"]  # type: ignore[no-any-return]


def add(v2: V2, router_id: str, as_: dict[str, str] | None = None, **body: Any) -> Any:
    return v2.put(f"/routers/{router_id}/add_router_interface", body, as_)


def remove(
    v2: V2, router_id: str, as_: dict[str, str] | None = None, **body: Any
) -> Any:
    return v2.put(f"/routers/{router_id}/remove_router_interface", body, as_)


def fip(v2: V2, as_: dict[str, str] | None = None, **attrs: Any) -> Any:
    return v2.post("/floatingips", {"floatingip": attrs}, as_)


def topology(v2: V2) -> dict[str, Any]:
    """An external network, a tenant subnet behind a router with its gateway there,
    and a VM port on the subnet."""
    ext, ext_subnet = external(v2)
    net, sub = private(v2)
    r = router(v2, external_gateway_info={"network_id": ext["id"]})
    assert add(v2, r["id"], subnet_id=sub["id"]).status_int == 200
    vm = v2.port(net["id"])
    return {
        "ext": ext,
        "ext_subnet": ext_subnet,
        "net": net,
        "subnet": sub,
        "router": r,
        "vm": vm,
    }
