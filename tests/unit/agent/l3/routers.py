# SPDX-License-Identifier: Apache-2.0
"""Routers shared by the L3 unit tests."""

from __future__ import annotations

from dataclasses import replace

from quantum.agent.dhcp.model import Ipv6Mode
from quantum.agent.l3.model import (
    Advertised,
    FloatingIp,
    Gateway,
    Interface,
    Route,
    Router,
)

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


SLAAC_B = Advertised(cidr="fd00:2::/64", mode=Ipv6Mode.SLAAC)
B6 = replace(B, advertise=(SLAAC_B,))
"""B, advertising its IPv6 subnet for SLAAC."""
STATEFUL = Interface(
    port_id="6c3d4e5f-0003-4c8e-9a55-6d2f0e1b7c90",
    mac_address="fa:16:3e:0c:00:01",
    addresses=("fd00:3::1/64",),
    advertise=(Advertised(cidr="fd00:3::/64", mode=Ipv6Mode.DHCPV6_STATEFUL),),
)
STATELESS = Interface(
    port_id="7d4e5f60-0004-4c8e-9a55-6d2f0e1b7c90",
    mac_address="fa:16:3e:0d:00:01",
    addresses=("fd00:4::1/64",),
    advertise=(Advertised(cidr="fd00:4::/64", mode=Ipv6Mode.DHCPV6_STATELESS),),
)
NOT_ADVERTISED = Interface(
    port_id="8e5f6071-0005-4c8e-9a55-6d2f0e1b7c90",
    mac_address="fa:16:3e:0e:00:01",
    addresses=("fd00:5::1/64",),
)
"""An IPv6 subnet whose ``ipv6_ra_mode`` is unset: another router advertises."""
