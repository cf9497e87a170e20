# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest

from quantum.agent.dhcp.model import (
    DhcpPort,
    FixedIp,
    HostRoute,
    Ipv6Mode,
    Network,
    Port,
    Subnet,
    eui64_address,
)

DHCP = DhcpPort(id="dhcp-port", mac_address="fa:16:3e:00:00:01", fixed_ips=())


def test_eui64_is_what_the_kernel_forms_by_slaac() -> None:
    # NOTE: seen on a VM's eth0 in the data-plane tier
    assert (
        eui64_address("fd00:a::/64", "fa:16:3e:00:00:21") == "fd00:a::f816:3eff:fe00:21"
    )
    with pytest.raises(ValueError, match="/64"):
        eui64_address("fd00:a::/80", "fa:16:3e:00:00:21")


def test_address_mode_defaults() -> None:
    assert Subnet(id="s4", cidr="10.0.0.0/24").address_mode is None
    plain = Subnet(id="s6", cidr="fd00::/64")
    assert plain.address_mode is Ipv6Mode.DHCPV6_STATEFUL
    assert plain.static_leases
    ra_only = Subnet(id="s6", cidr="fd00::/64", ipv6_ra_mode=Ipv6Mode.SLAAC)
    assert ra_only.address_mode is Ipv6Mode.SLAAC
    assert not ra_only.static_leases
    stateless = Subnet(
        id="s6", cidr="fd00::/64", ipv6_address_mode=Ipv6Mode.DHCPV6_STATELESS
    )
    assert not stateless.static_leases


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"cidr": "10.0.0.1/24"}, "host bits"),
        ({"cidr": "fd00:0::/64"}, "not normalized"),
        ({"cidr": "10.0.0.0/24", "ipv6_ra_mode": Ipv6Mode.SLAAC}, "IPv4 subnet"),
        (
            {
                "cidr": "fd00::/64",
                "ipv6_ra_mode": Ipv6Mode.SLAAC,
                "ipv6_address_mode": Ipv6Mode.DHCPV6_STATEFUL,
            },
            "differ",
        ),
        ({"cidr": "10.0.0.0/24", "gateway_ip": "fd00::1"}, "not IPv4"),
        ({"cidr": "10.0.0.0/24", "dns_nameservers": ("fd00::53",)}, "not IPv4"),
        (
            {
                "cidr": "10.0.0.0/24",
                "host_routes": (
                    HostRoute(destination="fd00::/64", nexthop="10.0.0.9"),
                ),
            },
            "not IPv4",
        ),
        ({"id": "a/b", "cidr": "10.0.0.0/24"}, "not a valid id"),
    ],
)
def test_bad_subnets_are_refused(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Subnet(**{"id": "s", **fields})  # type: ignore[arg-type]


def test_bad_values_that_would_reach_dnsmasq_files_are_refused() -> None:
    subnet = Subnet(id="s", cidr="10.0.0.0/24")
    with pytest.raises(ValueError, match="MAC"):
        Port(id="p", mac_address="FA:16:3E:00:00:01")
    with pytest.raises(ValueError, match="IP"):
        FixedIp(subnet_id="s", ip_address="10.0.0.3\n")
    with pytest.raises(ValueError, match="domain"):
        Network(id="n", subnets=(subnet,), ports=(), dhcp_port=DHCP, domain="a,b")
    with pytest.raises(ValueError, match="minimum"):
        Network(id="n", subnets=(subnet,), ports=(), dhcp_port=DHCP, lease_time=60)
    with pytest.raises(ValueError, match="MTU"):
        Network(id="n", subnets=(subnet,), ports=(), dhcp_port=DHCP, mtu=10)


def test_a_network_is_served_when_up_with_a_dhcp_subnet() -> None:
    on = Subnet(id="on", cidr="10.0.0.0/24")
    off = Subnet(id="off", cidr="10.1.0.0/24", enable_dhcp=False)
    assert Network(id="n", subnets=(off, on), ports=(), dhcp_port=DHCP).serves
    assert not Network(id="n", subnets=(off,), ports=(), dhcp_port=DHCP).serves
    assert not Network(
        id="n", subnets=(on,), ports=(), dhcp_port=DHCP, admin_state_up=False
    ).serves
