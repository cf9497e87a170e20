# SPDX-License-Identifier: Apache-2.0
"""The rules of ``render`` one at a time (the golden files show whole networks)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from quantum.agent.dhcp import render
from quantum.agent.dhcp.model import (
    DhcpPort,
    FixedIp,
    HostRoute,
    Ipv6Mode,
    Network,
    Port,
    Subnet,
)

FILES = render.Files(Path("/state/net"))
V4 = Subnet(id="v4", cidr="10.0.0.0/24", gateway_ip="10.0.0.1")
DHCP = DhcpPort(
    id="dhcp-port",
    mac_address="fa:16:3e:00:00:01",
    fixed_ips=(FixedIp(subnet_id="v4", ip_address="10.0.0.2"),),
)


def _net(*subnets: Subnet, ports: tuple[Port, ...] = (), **extra: object) -> Network:
    return Network(
        id="net",
        subnets=subnets or (V4,),
        ports=ports,
        dhcp_port=DHCP,
        **extra,  # type: ignore[arg-type]
    )


def _port(mac: str, *ips: tuple[str, str]) -> Port:
    return Port(
        id=f"p-{mac[-2:]}",
        mac_address=mac,
        fixed_ips=tuple(FixedIp(subnet_id=s, ip_address=ip) for s, ip in ips),
    )


def test_only_addresses_ipam_gave_on_dhcp_subnets_are_leased() -> None:
    off = Subnet(id="off", cidr="10.9.0.0/24", enable_dhcp=False)
    slaac = Subnet(id="slaac", cidr="fd00::/64", ipv6_ra_mode=Ipv6Mode.SLAAC)
    port = _port(
        "fa:16:3e:00:00:05",
        ("v4", "10.0.0.5"),
        ("off", "10.9.0.5"),  # DHCP off there
        ("slaac", "fd00::5"),  # the host forms its own
        ("v4", "10.7.7.7"),  # not inside the subnet
        ("gone", "10.0.0.6"),  # a subnet the network does not have
    )
    hosts = render.hosts_file(_net(V4, off, slaac, ports=(port,)))
    assert hosts == (
        "fa:16:3e:00:00:01,host-10-0-0-2,10.0.0.2\n"
        "fa:16:3e:00:00:05,host-10-0-0-5,10.0.0.5\n"
    )
    args = render.dnsmasq_args(_net(V4, off, slaac, ports=(port,)), FILES, "ns-x")
    ranges = [a for a in args if a.startswith("--dhcp-range=")]
    assert ranges == [
        "--dhcp-range=set:subnet-v4,10.0.0.0,static,255.255.255.0,86400s",
        "--dhcp-range=set:subnet-slaac,fd00::,ra-only,64,86400s",
    ]


def test_hosts_file_does_not_depend_on_the_order_ports_come_in() -> None:
    a = _port("fa:16:3e:00:00:0a", ("v4", "10.0.0.10"))
    b = _port("fa:16:3e:00:00:0b", ("v4", "10.0.0.11"))
    assert render.hosts_file(_net(ports=(a, b))) == render.hosts_file(
        _net(ports=(b, a))
    )


def test_classless_routes_carry_the_default_route_through_the_gateway() -> None:
    route = HostRoute(destination="192.168.0.0/16", nexthop="10.0.0.254")
    opts = render.opts_file(_net(replace(V4, host_routes=(route,))))
    pairs = "192.168.0.0/16,10.0.0.254,0.0.0.0/0,10.0.0.1"
    assert f"tag:subnet-v4,option:classless-static-route,{pairs}\n" in opts
    assert f"tag:subnet-v4,249,{pairs}\n" in opts
    assert "tag:subnet-v4,option:router,10.0.0.1\n" in opts


def test_an_explicit_default_route_is_not_doubled() -> None:
    routes = (HostRoute(destination="0.0.0.0/0", nexthop="10.0.0.9"),)
    opts = render.opts_file(_net(replace(V4, host_routes=routes)))
    assert "option:classless-static-route,0.0.0.0/0,10.0.0.9\n" in opts


def test_without_gateway_the_router_option_is_empty_and_routes_stand_alone() -> None:
    route = HostRoute(destination="192.168.0.0/16", nexthop="10.0.0.254")
    opts = render.opts_file(_net(replace(V4, gateway_ip=None, host_routes=(route,))))
    assert opts == (
        "tag:subnet-v4,option:classless-static-route,192.168.0.0/16,10.0.0.254\n"
        "tag:subnet-v4,249,192.168.0.0/16,10.0.0.254\n"
        "tag:subnet-v4,option:router\n"
    )


def test_mtu_and_dns_only_when_set() -> None:
    plain = render.opts_file(_net())
    assert "mtu" not in plain
    assert "dns-server" not in plain
    opts = render.opts_file(_net(replace(V4, dns_nameservers=("10.0.0.53",)), mtu=1450))
    assert "tag:subnet-v4,option:mtu,1450\n" in opts
    assert "tag:subnet-v4,option:dns-server,10.0.0.53\n" in opts


def test_a_subnet_with_dhcp_off_gets_nothing() -> None:
    off = Subnet(id="off", cidr="10.9.0.0/24", gateway_ip="10.9.0.1", enable_dhcp=False)
    dhcp = replace(
        DHCP,
        fixed_ips=(*DHCP.fixed_ips, FixedIp(subnet_id="off", ip_address="10.9.0.2")),
    )
    network = replace(_net(V4, off), dhcp_port=dhcp)
    assert "subnet-off" not in render.opts_file(network)
    assert not any("subnet-off" in a for a in render.dnsmasq_args(network, FILES, "d"))
    assert render.interface_addresses(network) == ("10.0.0.2/24",)


def test_advertisements_never_make_the_namespace_a_router() -> None:
    slaac = Subnet(id="s6", cidr="fd00::/64", ipv6_ra_mode=Ipv6Mode.SLAAC)
    args = render.dnsmasq_args(_net(slaac), FILES, "ns-x")
    assert args[-1] == "--ra-param=ns-x,0,0"  # NOTE: interval default, lifetime 0
    assert "--enable-ra" not in args
    stateful = Subnet(id="s6", cidr="fd00::/64", ipv6_ra_mode=Ipv6Mode.DHCPV6_STATEFUL)
    args = render.dnsmasq_args(_net(stateful, mtu=1400), FILES, "ns-x")
    assert args[-2:] == ("--enable-ra", "--ra-param=ns-x,mtu:1400,0,0")
    v4_only = render.dnsmasq_args(_net(), FILES, "ns-x")
    assert not [a for a in v4_only if a.startswith(("--enable-ra", "--ra-param"))]
