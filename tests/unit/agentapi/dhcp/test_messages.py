# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest

from quantum.agentapi.dhcp import messages as msg

STATE = msg.DhcpState(
    host="h1",
    revision=7,
    networks=(
        msg.NetworkInfo(
            id="n1",
            mtu=1450,
            subnets=(
                msg.SubnetInfo(
                    id="s1",
                    cidr="10.0.0.0/24",
                    gateway_ip="10.0.0.1",
                    dns_nameservers=("192.0.2.53",),
                    host_routes=(
                        msg.HostRouteInfo(
                            destination="198.51.100.0/24", nexthop="10.0.0.254"
                        ),
                    ),
                ),
                msg.SubnetInfo(
                    id="s6",
                    cidr="2001:db8::/64",
                    gateway_ip=None,
                    enable_dhcp=False,
                    ipv6_ra_mode="slaac",
                    ipv6_address_mode="slaac",
                ),
            ),
            ports=(
                msg.PortInfo(
                    id="p1",
                    mac_address="fa:16:3e:00:00:01",
                    fixed_ips=(msg.FixedIpInfo(subnet_id="s1", ip_address="10.0.0.3"),),
                ),
            ),
            dhcp_port=msg.PortInfo(
                id="d1",
                mac_address="fa:16:3e:00:00:02",
                device_owner="network:dhcp",
                fixed_ips=(msg.FixedIpInfo(subnet_id="s1", ip_address="10.0.0.2"),),
            ),
        ),
    ),
)


def test_the_state_round_trips_through_json() -> None:
    assert msg.DhcpState.from_json(STATE.to_json()) == STATE
    report = msg.AgentReport(agent_version="1", configurations={"networks": 2})
    assert msg.AgentReport.from_json(report.to_json()) == report


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("cidr",), "10.0.0.0/33"),
        (("gateway_ip",), "nope"),
        (("dns_nameservers",), ["x"]),
        (("enable_dhcp",), None),
    ],
)
def test_a_bad_subnet_is_refused_naming_the_field(
    path: tuple[str, ...], value: object
) -> None:
    body = STATE.to_json()
    body["networks"][0]["subnets"][0][path[0]] = value
    with pytest.raises(msg.MessageError):
        msg.DhcpState.from_json(body)


def test_a_multicast_mac_is_refused() -> None:
    body = STATE.to_json()
    body["networks"][0]["ports"][0]["mac_address"] = "01:00:5e:00:00:01"
    with pytest.raises(msg.MessageError, match="mac_address"):
        msg.DhcpState.from_json(body)
