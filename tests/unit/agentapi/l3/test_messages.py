# SPDX-License-Identifier: Apache-2.0
"""The L3 kind's messages: what goes over the wire comes back equal, and a body
of the wrong shape is refused naming the field."""

from __future__ import annotations

from ipaddress import ip_address, ip_interface, ip_network
from typing import Any

import pytest

from quantum.agentapi.l3 import messages as msg

ROUTER = msg.RouterState(
    id="r1",
    admin_state_up=True,
    interfaces=(
        msg.RouterInterface(
            port_id="p1",
            network_id="n1",
            mac_address="fa:16:3e:0a:00:01",
            addresses=(ip_interface("10.1.0.1/24"), ip_interface("fd00:1::1/64")),
            subnets=(
                msg.InterfaceSubnet(id="s4", cidr=ip_network("10.1.0.0/24")),
                msg.InterfaceSubnet(
                    id="s6",
                    cidr=ip_network("fd00:1::/64"),
                    ipv6_ra_mode="dhcpv6-stateless",
                    ipv6_address_mode="dhcpv6-stateless",
                ),
            ),
        ),
    ),
    gateway=msg.RouterGateway(
        port_id="p2",
        network_id="ext",
        mac_address="fa:16:3e:ee:00:01",
        address=ip_interface("172.24.4.10/24"),
        gateway_ip=ip_address("172.24.4.1"),
        enable_snat=False,
    ),
    routes=(
        msg.ExtraRoute(
            destination=ip_network("192.168.70.0/24"), nexthop=ip_address("10.1.0.9")
        ),
    ),
    floating_ips=(
        msg.FloatingIpState(
            id="f1",
            floating_ip_address=ip_address("172.24.4.100"),
            fixed_ip_address=ip_address("10.1.0.5"),
            port_id="vm1",
        ),
    ),
)


def test_a_router_set_goes_and_comes_back_equal() -> None:
    answer = msg.RouterSet(
        host="net1", revision=7, routers=(ROUTER,), admin_state_up=False
    )
    body = answer.to_json()
    assert body["routers"][0]["gateway"]["address"] == "172.24.4.10/24"
    assert body["routers"][0]["interfaces"][0]["addresses"] == [
        "10.1.0.1/24",
        "fd00:1::1/64",
    ]
    assert body["routers"][0]["interfaces"][0]["subnets"][1] == {
        "id": "s6",
        "cidr": "fd00:1::/64",
        "ipv6_ra_mode": "dhcpv6-stateless",
        "ipv6_address_mode": "dhcpv6-stateless",
    }
    assert msg.RouterSet.from_json(body) == answer


def test_an_old_server_interface_without_subnets_has_none() -> None:
    body = ROUTER.to_json()
    del body["interfaces"][0]["subnets"]
    (interface,) = msg.RouterState.from_json(body).interfaces
    assert interface.subnets == ()


def test_a_router_without_a_gateway_and_a_gateway_without_a_subnet_gateway() -> None:
    bare = msg.RouterState(id="r2")
    assert bare.to_json()["gateway"] is None
    assert msg.RouterState.from_json(bare.to_json()) == bare
    assert ROUTER.gateway is not None
    body = ROUTER.to_json()
    del body["gateway"]["gateway_ip"]  # NOTE: absent: no default route
    got = msg.RouterState.from_json(body)
    assert got.gateway is not None
    assert got.gateway.gateway_ip is None


def test_an_old_server_answer_without_admin_state_up_means_up() -> None:
    body = msg.RouterSet(host="h", revision=1).to_json()
    del body["admin_state_up"]
    assert msg.RouterSet.from_json(body).admin_state_up


def test_the_report_and_the_request() -> None:
    report = msg.L3Report(agent_version="v", configurations={"routers": 2})
    assert msg.L3Report.from_json(report.to_json()) == report
    assert msg.RoutersRequest.from_json({}) == msg.RoutersRequest()
    some = msg.RoutersRequest(router_ids=("r1",))
    assert msg.RoutersRequest.from_json(some.to_json()) == some
    assert msg.RoutersRequest().to_json() == {}


def _router(**changes: Any) -> dict[str, Any]:
    body = ROUTER.to_json()
    for path, value in changes.items():
        where: Any = body
        *parents, last = path.split("__")
        for part in parents:
            where = where[int(part)] if part.isdigit() else where[part]
        where[last] = value
    return body


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"id": 1}, "'id'"),
        ({"admin_state_up": "yes"}, "'admin_state_up'"),
        ({"interfaces": {}}, "'interfaces'"),
        ({"interfaces__0__addresses": ["10.1.0.1"]}, "'addresses'"),
        ({"interfaces__0__addresses": ["10.1.0.300/24"]}, "'addresses'"),
        ({"interfaces__0__mac_address": "01:00:5e:00:00:01"}, "'mac_address'"),
        ({"interfaces__0__subnets": [1]}, "'subnets'"),
        ({"interfaces__0__subnets__0__cidr": "10.1.0.0/33"}, "'cidr'"),
        ({"interfaces__0__subnets__1__ipv6_ra_mode": "managed"}, "'ipv6_ra_mode'"),
        ({"interfaces__0__subnets__1__ipv6_address_mode": 6}, "'ipv6_address_mode'"),
        ({"gateway__address": "x/24"}, "'address'"),
        ({"gateway__gateway_ip": "nope"}, "'gateway_ip'"),
        ({"gateway__enable_snat": 1}, "'enable_snat'"),
        ({"routes__0__destination": "10.0.0.0/33"}, "'destination'"),
        ({"routes__0__nexthop": "10.0.0"}, "'nexthop'"),
        ({"floating_ips__0__fixed_ip_address": None}, "'fixed_ip_address'"),
    ],
)
def test_a_wrong_field_is_refused_by_name(changes: dict[str, Any], named: str) -> None:
    with pytest.raises(msg.MessageError, match=named):
        msg.RouterState.from_json(_router(**changes))


def test_wrong_report_and_request_bodies_are_refused() -> None:
    with pytest.raises(msg.MessageError, match="'agent_version'"):
        msg.L3Report.from_json({"agent_version": "v" * 65})
    with pytest.raises(msg.MessageError, match="'configurations'"):
        msg.L3Report.from_json(
            {"agent_version": "", "configurations": {"x": "y" * 5000}}
        )
    with pytest.raises(msg.MessageError, match="'router_ids'"):
        msg.RoutersRequest.from_json({"router_ids": [""]})
    with pytest.raises(msg.MessageError, match="JSON object"):
        msg.RoutersRequest.from_json([])  # type: ignore[arg-type]
