# SPDX-License-Identifier: Apache-2.0
"""``ipv6_ra_mode`` and ``ipv6_address_mode`` of subnets: the combinations the spec
accepts, the 400s, and IPAM giving a port on an autoconfigured (SLAAC) subnet the
EUI-64 address its MAC forms there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from quantum.agent.dhcp.model import eui64_address
from tests.api.agentapi.conftest import call, migrated_store
from tests.api.v2.client import ADMIN, V2, error

MEMBER = {"X-Project-Id": "acme", "X-Roles": "member"}


@pytest.fixture
def api(tmp_path: Path) -> V2:
    return V2(migrated_store(tmp_path).app("server"), "openvswitch")


def _subnet(api: V2, net: str, cidr: str = "fd00:1::/64", **extra: Any) -> Any:
    body = {"network_id": net, "ip_version": 6, "cidr": cidr, **extra}
    return api.post("/subnets", {"subnet": body}, MEMBER)


@pytest.mark.parametrize(
    ("ra", "address"),
    [
        (None, None),
        ("slaac", "slaac"),
        ("dhcpv6-stateful", "dhcpv6-stateful"),
        ("dhcpv6-stateless", "dhcpv6-stateless"),
        (None, "slaac"),
        ("slaac", None),
        (None, "dhcpv6-stateful"),
    ],
)
def test_the_accepted_combinations_are_stored_and_shown(
    api: V2, ra: str | None, address: str | None
) -> None:
    net = api.network(MEMBER, name="n")["id"]
    extra = {
        k: v
        for k, v in (("ipv6_ra_mode", ra), ("ipv6_address_mode", address))
        if v is not None
    }
    created = _subnet(api, net, **extra)
    assert created.status_int == 201, created.body
    subnet = created.json["subnet"]
    assert (subnet["ipv6_ra_mode"], subnet["ipv6_address_mode"]) == (ra, address)
    shown = api.get(f"/subnets/{subnet['id']}", MEMBER).json["subnet"]
    assert (shown["ipv6_ra_mode"], shown["ipv6_address_mode"]) == (ra, address)


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"ipv6_ra_mode": "slaac", "ipv6_address_mode": "dhcpv6-stateful"}, "same"),
        ({"ipv6_address_mode": "bogus"}, "bogus"),
        ({"ipv6_ra_mode": 6}, "'6'"),
        ({"ipv6_address_mode": "slaac", "cidr": "fd00:2::/80"}, "/64"),
        ({"ipv6_address_mode": "dhcpv6-stateless", "cidr": "fd00:2::/80"}, "/64"),
        ({"ipv6_address_mode": "slaac", "enable_dhcp": False}, "enable_dhcp"),
        ({"ipv6_ra_mode": "slaac", "ip_version": 4, "cidr": "10.0.0.0/24"}, "IPv6"),
    ],
)
def test_what_the_spec_refuses_is_400(
    api: V2, body: dict[str, Any], words: str
) -> None:
    net = api.network(MEMBER, name="n")["id"]
    refused = _subnet(api, net, **body)
    assert error(refused) == (400, "InvalidInput"), refused.body
    assert words in refused.json["NeutronError"]["message"]
    assert api.get("/subnets", MEMBER).json["subnets"] == []


MODES = ("slaac", "dhcpv6-stateful", "dhcpv6-stateless")


@pytest.mark.parametrize(
    ("ra", "address"), [(r, a) for r in MODES for a in MODES if r != a]
)
def test_every_pair_of_different_modes_is_400(api: V2, ra: str, address: str) -> None:
    net = api.network(MEMBER, name="n")["id"]
    refused = _subnet(api, net, ipv6_ra_mode=ra, ipv6_address_mode=address)
    assert error(refused) == (400, "InvalidInput"), refused.body
    assert api.get("/subnets", MEMBER).json["subnets"] == []
    # control: the same request with both modes alike is made
    made = _subnet(api, net, ipv6_ra_mode=address, ipv6_address_mode=address)
    assert made.status_int == 201, made.body


def test_the_modes_are_not_updatable(api: V2) -> None:
    net = api.network(MEMBER, name="n")["id"]
    subnet = _subnet(api, net, ipv6_address_mode="slaac").json["subnet"]
    refused = api.put(
        f"/subnets/{subnet['id']}",
        {"subnet": {"ipv6_address_mode": "dhcpv6-stateful"}},
        MEMBER,
    )
    assert error(refused)[0] == 400
    off = api.put(
        f"/subnets/{subnet['id']}", {"subnet": {"enable_dhcp": False}}, MEMBER
    )
    assert error(off) == (400, "InvalidInput")
    shown = api.get(f"/subnets/{subnet['id']}", MEMBER).json["subnet"]
    assert shown["enable_dhcp"] is True


def test_a_port_on_a_slaac_subnet_gets_its_eui64_address(api: V2) -> None:
    net = api.network(MEMBER, name="n")["id"]
    slaac = _subnet(api, net, ipv6_ra_mode="slaac", ipv6_address_mode="slaac").json[
        "subnet"
    ]
    stateful = _subnet(
        api, net, "fd00:3::/64", ipv6_address_mode="dhcpv6-stateful"
    ).json["subnet"]
    port = api.port(net, MEMBER, mac_address="fa:16:3e:12:34:56")
    # NOTE: one address per family by default: the first IPv6 subnet, SLAAC
    assert port["fixed_ips"] == [
        {
            "subnet_id": slaac["id"],
            "ip_address": eui64_address("fd00:1::/64", "fa:16:3e:12:34:56"),
        }
    ]
    assert port["fixed_ips"][0]["ip_address"] == "fd00:1::f816:3eff:fe12:3456"
    both = api.port(
        net,
        MEMBER,
        fixed_ips=[{"subnet_id": slaac["id"]}, {"subnet_id": stateful["id"]}],
    )
    addresses = [ip["ip_address"] for ip in both["fixed_ips"]]
    assert addresses[0] == eui64_address("fd00:1::/64", both["mac_address"])
    assert addresses[1] == "fd00:3::2"  # NOTE: DHCPv6-stateful: from the pool
    # NOTE: asked again for the subnet, the port keeps the address its MAC forms
    again = api.put(
        f"/ports/{both['id']}",
        {"port": {"fixed_ips": [{"subnet_id": slaac["id"]}]}},
        MEMBER,
    )
    assert again.status_int == 200, again.body
    assert [i["ip_address"] for i in again.json["port"]["fixed_ips"]] == [addresses[0]]


def test_the_dhcp_agent_is_told_the_modes(api: V2) -> None:
    call(api.client, "POST", "/dhcp/hosts/net1", {"agent_version": "1"})
    net = api.network(MEMBER, name="n")["id"]
    _subnet(api, net, ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    told = call(api.client, "POST", "/dhcp/hosts/net1/state", {})
    (subnet,) = told["networks"][0]["subnets"]
    assert (subnet["ipv6_ra_mode"], subnet["ipv6_address_mode"]) == ("slaac", "slaac")
    dhcp = told["networks"][0]["dhcp_port"]
    assert dhcp["fixed_ips"][0]["ip_address"] == eui64_address(
        "fd00:1::/64", dhcp["mac_address"]
    )
    assert api.get(f"/ports/{dhcp['id']}", ADMIN).status_int == 200


def test_the_dhcp_agent_sees_a_slaac_subnet_delete_take_the_addresses(
    api: V2,
) -> None:
    call(api.client, "POST", "/dhcp/hosts/net1", {"agent_version": "1"})
    net = api.network(MEMBER, name="n")["id"]
    kept = _subnet(api, net, "fd00:2::/64", ipv6_address_mode="dhcpv6-stateful")
    slaac = _subnet(api, net, ipv6_ra_mode="slaac", ipv6_address_mode="slaac")
    port = api.port(
        net,
        MEMBER,
        fixed_ips=[
            {"subnet_id": kept.json["subnet"]["id"]},
            {"subnet_id": slaac.json["subnet"]["id"]},
        ],
    )
    told = call(api.client, "POST", "/dhcp/hosts/net1/state", {})
    (seen,) = [p for p in told["networks"][0]["ports"] if p["id"] == port["id"]]
    assert len(seen["fixed_ips"]) == 2
    since = call(api.client, "GET", "/dhcp/changes")["revision"]
    gone = api.delete(f"/subnets/{slaac.json['subnet']['id']}", MEMBER)
    assert gone.status_int == 204, gone.body
    assert call(api.client, "GET", f"/dhcp/changes?since={since}")["revision"] > since
    told = call(api.client, "POST", "/dhcp/hosts/net1/state", {})
    (seen,) = [p for p in told["networks"][0]["ports"] if p["id"] == port["id"]]
    assert [ip["ip_address"] for ip in seen["fixed_ips"]] == ["fd00:2::2"]
    subnets = told["networks"][0]["subnets"]
    assert [s["id"] for s in subnets] == [kept.json["subnet"]["id"]]
