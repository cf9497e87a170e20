# SPDX-License-Identifier: Apache-2.0
"""The OVS kind's security-group messages: what goes over the wire comes back
equal, an answer of an older server means "filter nothing", and a body of the wrong
shape is refused naming the field."""

from __future__ import annotations

import copy
from ipaddress import ip_address, ip_network
from typing import Any

import pytest

from quantum.agentapi.ovs import messages as msg
from quantum.core.networks import NetworkSegment, NetworkType
from quantum.core.security_groups import Direction, EtherType

WEB = "8d0c6a1e-0000-4000-8000-000000000001"
DB = "8d0c6a1e-0000-4000-8000-000000000002"


def _port(security: msg.PortSecurity | None) -> msg.PortState:
    return msg.PortState(
        port_id="p1",
        iface_id="p1",
        network_id="n1",
        admin_state_up=True,
        segment=NetworkSegment(
            network_id="n1", network_type=NetworkType.VXLAN, segmentation_id=7
        ),
        port_security=security,
    )


SECURITY = msg.PortSecurity(
    enabled=True,
    mac_address="fa:16:3e:00:00:03",
    fixed_ips=(ip_address("10.0.0.3"), ip_address("fd00::3")),
    allowed_address_pairs=(
        msg.AddressPair(
            ip_address=ip_network("10.0.0.9/32"), mac_address="fa:16:3e:00:00:03"
        ),
        msg.AddressPair(
            ip_address=ip_network("10.0.1.0/24"), mac_address="fa:16:3e:00:00:99"
        ),
    ),
    security_groups=(WEB,),
)

STATE = msg.HostState(
    host="hv1",
    revision=9,
    ports=(_port(SECURITY),),
    security_groups=(
        msg.GroupState(
            id=WEB,
            rules=(
                msg.GroupRule(
                    id="r1",
                    direction=Direction.INGRESS,
                    ethertype=EtherType.IPV4,
                    protocol=6,
                    port_range_min=443,
                    port_range_max=443,
                    remote_ip_prefix=ip_network("192.0.2.0/24"),
                ),
                msg.GroupRule(
                    id="r2",
                    direction=Direction.INGRESS,
                    ethertype=EtherType.IPV6,
                    protocol=58,
                    port_range_min=128,
                    remote_group_id=DB,
                ),
                msg.GroupRule(
                    id="r3", direction=Direction.EGRESS, ethertype=EtherType.IPV4
                ),
            ),
        ),
    ),
    group_members=(
        msg.GroupMembers(
            id=DB,
            addresses=(
                ip_network("10.0.0.7/32"),
                ip_network("fd00::7/128"),
                ip_network("10.0.2.0/24"),
            ),
        ),
    ),
)


def test_a_host_state_with_groups_goes_and_comes_back_equal() -> None:
    body = STATE.to_json()
    port = body["ports"][0]["port_security"]
    assert port == {
        "enabled": True,
        "mac_address": "fa:16:3e:00:00:03",
        "fixed_ips": ["10.0.0.3", "fd00::3"],
        "allowed_address_pairs": [
            {"ip_address": "10.0.0.9", "mac_address": "fa:16:3e:00:00:03"},
            {"ip_address": "10.0.1.0/24", "mac_address": "fa:16:3e:00:00:99"},
        ],
        "security_groups": [WEB],
    }
    assert body["security_groups"][0]["rules"][0] == {
        "id": "r1",
        "direction": "ingress",
        "ethertype": "IPv4",
        "protocol": 6,
        "port_range_min": 443,
        "port_range_max": 443,
        "remote_ip_prefix": "192.0.2.0/24",
        "remote_group_id": None,
    }
    assert body["group_members"] == [
        {"id": DB, "addresses": ["10.0.0.7", "fd00::7", "10.0.2.0/24"]}
    ]
    assert msg.HostState.from_json(body) == STATE


def test_an_older_servers_answer_filters_nothing() -> None:
    body = msg.HostState(host="hv1", revision=1, ports=(_port(None),)).to_json()
    assert "port_security" not in body["ports"][0]
    del body["security_groups"]
    del body["group_members"]
    got = msg.HostState.from_json(body)
    assert got.ports[0].port_security is None
    assert got.security_groups == ()
    assert got.group_members == ()


def test_port_security_off_comes_back_off() -> None:
    off = msg.PortSecurity(enabled=False, mac_address="fa:16:3e:00:00:04")
    state = msg.HostState(host="h", revision=2, ports=(_port(off),))
    got = msg.HostState.from_json(state.to_json())
    assert got.ports[0].port_security == off


def _rule(body: dict[str, Any]) -> Any:
    return body["security_groups"][0]["rules"][0]


def _pair(body: dict[str, Any]) -> Any:
    return body["ports"][0]["port_security"]["allowed_address_pairs"][0]


BAD: list[tuple[str, Any, str]] = [
    ("protocol 256", lambda b: _rule(b).update(protocol=256), "'protocol'"),
    ("protocol -1", lambda b: _rule(b).update(protocol=-1), "'protocol'"),
    ("protocol name", lambda b: _rule(b).update(protocol="tcp"), "'protocol'"),
    ("protocol bool", lambda b: _rule(b).update(protocol=True), "'protocol'"),
    ("port 0", lambda b: _rule(b).update(port_range_min=0), "port range"),
    ("port 65536", lambda b: _rule(b).update(port_range_max=65536), "port range"),
    ("min > max", lambda b: _rule(b).update(port_range_min=444), "port range"),
    ("one end", lambda b: _rule(b).update(port_range_max=None), "both ends"),
    (
        "ports without a port protocol",
        lambda b: _rule(b).update(protocol=47),
        "no port range",
    ),
    (
        "ICMP type 256",
        lambda b: b["security_groups"][0]["rules"][1].update(port_range_min=256),
        "ICMP",
    ),
    (
        "ICMP code without type",
        lambda b: b["security_groups"][0]["rules"][1].update(
            port_range_min=None, port_range_max=0
        ),
        "ICMP code",
    ),
    ("direction", lambda b: _rule(b).update(direction="in"), "'direction'"),
    ("ethertype", lambda b: _rule(b).update(ethertype="ipv4"), "'ethertype'"),
    (
        "prefix of the other family",
        lambda b: _rule(b).update(remote_ip_prefix="fd00::/64"),
        "ethertype",
    ),
    (
        "prefix with host bits",
        lambda b: _rule(b).update(remote_ip_prefix="192.0.2.1/24"),
        "'remote_ip_prefix'",
    ),
    (
        "prefix and group",
        lambda b: _rule(b).update(remote_group_id=DB),
        "exclusive",
    ),
    ("rule id missing", lambda b: _rule(b).pop("id"), "'id'"),
    (
        "mac",
        lambda b: b["ports"][0]["port_security"].update(mac_address="nope"),
        "'mac_address'",
    ),
    (
        "multicast mac",
        lambda b: b["ports"][0]["port_security"].update(
            mac_address="01:00:5e:00:00:01"
        ),
        "'mac_address'",
    ),
    (
        "enabled missing",
        lambda b: b["ports"][0]["port_security"].pop("enabled"),
        "'enabled'",
    ),
    (
        "fixed ip",
        lambda b: b["ports"][0]["port_security"].update(fixed_ips=["10.0.0.0/24"]),
        "'fixed_ips'",
    ),
    ("pair address", lambda b: _pair(b).update(ip_address="x"), "'ip_address'"),
    ("pair mac", lambda b: _pair(b).pop("mac_address"), "'mac_address'"),
    (
        "member address",
        lambda b: b["group_members"][0].update(addresses=[7]),
        "'addresses'",
    ),
    (
        "a port's group not sent",
        lambda b: b["security_groups"][0].update(id="other"),
        "'security_groups' lacks",
    ),
    (
        "a remote group's members not sent",
        lambda b: b.update(group_members=[]),
        "'group_members' lacks",
    ),
    (
        "a group twice",
        lambda b: b["security_groups"].append(b["security_groups"][0]),
        "twice",
    ),
    ("groups not a list", lambda b: b.update(security_groups={}), "'security_groups'"),
]


@pytest.mark.parametrize(("case", "spoil", "named"), BAD, ids=[c[0] for c in BAD])
def test_a_wrong_shape_is_refused_naming_the_field(
    case: str, spoil: Any, named: str
) -> None:
    body = copy.deepcopy(STATE.to_json())
    spoil(body)
    with pytest.raises(msg.MessageError, match=named):
        msg.HostState.from_json(body)


def test_the_range_rules_accept_what_the_api_stores() -> None:
    """The positive controls of the range checks: ICMP with a type only, with
    neither, any protocol without ports, a one-port range."""
    for protocol, low, high in (
        (1, 8, None),
        (58, None, None),
        (1, 0, 0),
        (None, None, None),
        (17, 1, 65535),
        (132, 53, 53),
        (0, None, None),
        (255, None, None),
    ):
        rule = msg.GroupRule(
            id="r",
            direction=Direction.EGRESS,
            ethertype=EtherType.IPV4,
            protocol=protocol,
            port_range_min=low,
            port_range_max=high,
        )
        assert msg.GroupRule.from_json(rule.to_json()) == rule
