# SPDX-License-Identifier: Apache-2.0
"""Routers shared by the L3 unit tests."""

from __future__ import annotations

from quantum.agent.l3.model import FloatingIp, Gateway, Interface, Route, Router

A = Interface(
    port_id="4a1b2c3d-0001-4c8e-9a55-6d2f0e1b7c90",
    mac_address="fa:16:3e:0a:00:01",
    addresses=("10.1.0.1/24",),
)
B = Interface(
    port_id="5b2c3d4e-0002-4c8e-9a55-6d2f0e1b7c90",
    mac_address="fa:16:3e:0b:00:01",
    addresses=("10.2.0.1/24", "fd00:2::1/64"),
)
GATEWAY = Gateway(
    port_id="9e8d7c6b-0001-4f00-8000-000000000001",
    mac_address="fa:16:3e:ee:00:01",
    address="172.24.4.10/24",
    gateway_ip="172.24.4.1",
)
FIP_A = FloatingIp(floating_ip_address="172.24.4.100", fixed_ip_address="10.1.0.5")
FIP_B = FloatingIp(floating_ip_address="172.24.4.21", fixed_ip_address="10.2.0.7")
EXTRA = Route(destination="192.168.70.0/24", nexthop="10.2.0.254")


def router(**extra: object) -> Router:
    """Two interfaces, a gateway, an extra route, two floating IPs."""
    fields: dict[str, object] = {
        "id": "router-1",
        "interfaces": (A, B),
        "gateway": GATEWAY,
        "routes": (EXTRA,),
        "floating_ips": (FIP_A, FIP_B),
    }
    fields.update(extra)
    return Router(**fields)  # type: ignore[arg-type]
