# SPDX-License-Identifier: Apache-2.0
"""dnsmasq's arguments, hosts and options files for a few networks, kept under
tests/golden/dhcp/ for reviewers.

Regenerate after an intended change with ``QUANTUM_UPDATE_GOLDEN=1 pytest ...`` and
read the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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

GOLDEN = Path(__file__).parents[3] / "golden" / "dhcp"
FILES = render.Files(Path("/var/lib/quantum/dhcp/net-1"))
DEVICE = "ns-5b2c1d3e-aa"

V4 = Subnet(
    id="sub-v4",
    cidr="10.0.0.0/24",
    gateway_ip="10.0.0.1",
    dns_nameservers=("8.8.8.8", "10.0.0.53"),
    host_routes=(HostRoute(destination="20.0.0.0/24", nexthop="10.0.0.254"),),
)
V4_NO_GATEWAY = Subnet(id="sub-nogw", cidr="172.16.0.0/28", gateway_ip=None)
V4_OFF = Subnet(
    id="sub-off", cidr="192.168.9.0/24", gateway_ip="192.168.9.1", enable_dhcp=False
)
V6_STATEFUL = Subnet(
    id="sub-v6",
    cidr="fdca:3ba5:a17a:4ba3::/64",
    gateway_ip="fdca:3ba5:a17a:4ba3::1",
    dns_nameservers=("fdca:3ba5:a17a:4ba3::53",),
    host_routes=(
        HostRoute(destination="fd00:99::/64", nexthop="fdca:3ba5:a17a:4ba3::fe"),
    ),
    ipv6_ra_mode=Ipv6Mode.DHCPV6_STATEFUL,
    ipv6_address_mode=Ipv6Mode.DHCPV6_STATEFUL,
)
V6_NO_MODES = Subnet(id="sub-v6plain", cidr="fd00:1::/64", gateway_ip="fd00:1::1")
V6_SLAAC = Subnet(
    id="sub-slaac",
    cidr="fd00:2::/64",
    gateway_ip="fd00:2::1",
    ipv6_ra_mode=Ipv6Mode.SLAAC,
    ipv6_address_mode=Ipv6Mode.SLAAC,
)
V6_SLAAC_EXTERNAL_RA = Subnet(
    id="sub-slaac-ext",
    cidr="fd00:3::/64",
    gateway_ip="fd00:3::1",
    ipv6_address_mode=Ipv6Mode.SLAAC,
)
V6_STATELESS = Subnet(
    id="sub-stateless",
    cidr="fd00:4::/64",
    gateway_ip="fd00:4::1",
    dns_nameservers=("fd00:4::53",),
    ipv6_ra_mode=Ipv6Mode.DHCPV6_STATELESS,
    ipv6_address_mode=Ipv6Mode.DHCPV6_STATELESS,
)
V6_STATELESS_EXTERNAL_RA = Subnet(
    id="sub-stateless-ext",
    cidr="fd00:5::/64",
    gateway_ip="fd00:5::1",
    ipv6_address_mode=Ipv6Mode.DHCPV6_STATELESS,
)


def _ip(subnet: Subnet, host: int) -> FixedIp:
    return FixedIp(subnet_id=subnet.id, ip_address=str(subnet.network[host]))


def _network(subnets: tuple[Subnet, ...], **extra: object) -> Network:
    """Two VM ports and the DHCP port, each with an address on every subnet."""
    vm1 = Port(
        id="port-vm1",
        mac_address="fa:16:3e:aa:bb:01",
        fixed_ips=tuple(_ip(s, 3) for s in subnets),
        device_owner="compute:nova",
    )
    vm2 = Port(
        id="port-vm2",
        mac_address="fa:16:3e:aa:bb:02",
        fixed_ips=tuple(_ip(s, 4) for s in subnets),
        device_owner="compute:nova",
    )
    dhcp = DhcpPort(
        id="5b2c1d3e-aa11-4c8e-9a55-6d2f0e1b7c90",
        mac_address="fa:16:3e:dd:00:01",
        fixed_ips=tuple(_ip(s, 2) for s in subnets if s.enable_dhcp),
        device_id="dhcp-hv1-net-1",
    )
    return Network(
        id="net-1",
        subnets=subnets,
        ports=(vm2, vm1),  # NOTE: out of order on purpose: the files are sorted
        dhcp_port=dhcp,
        **extra,  # type: ignore[arg-type]
    )


SCENARIOS: dict[str, Network] = {
    "dual-stack": _network((V4, V6_STATEFUL), mtu=1450),
    "ipv4-no-gateway-and-dhcp-off": _network(
        (V4_OFF, V4_NO_GATEWAY), domain="example.org", lease_time=600
    ),
    "ipv6-modes": _network(
        (
            V6_NO_MODES,
            V6_SLAAC,
            V6_SLAAC_EXTERNAL_RA,
            V6_STATELESS,
            V6_STATELESS_EXTERNAL_RA,
        ),
        mtu=1400,
    ),
}


def rendered(network: Network) -> str:
    args = "\n".join(render.dnsmasq_args(network, FILES, DEVICE))
    addresses = "\n".join(render.interface_addresses(network))
    return (
        f"[args]\n{args}\n[addresses of {DEVICE}]\n{addresses}\n"
        f"[{FILES.hosts}]\n{render.hosts_file(network)}"
        f"[{FILES.opts}]\n{render.opts_file(network)}"
    )


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_rendered_files_match_golden(name: str) -> None:
    text = rendered(SCENARIOS[name])
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("QUANTUM_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert text == path.read_text()
