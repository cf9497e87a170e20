# SPDX-License-Identifier: Apache-2.0
"""v1 is a door onto the same services as v2.0: a v1 write keeps v2.0's invariants
(quotas, addresses from the network's subnets and their hold, the owner guard on
delete), and a refusal new to v1 answers with its version's conflict fault, never a
500. The setup and the look behind the door are v2.0's, on the same store."""

from __future__ import annotations

import json
from typing import Any

import pytest
from webob import Response

from tests.api.v1client import V1, V10
from tests.api.v2.client import ADMIN, V2, tenant


def _v2(v1: V1) -> V2:
    return V2(v1.api.client, v1.api.plugin)


def _as(v1: V1) -> dict[str, str]:
    return tenant(v1.tenant)


def _limit(v1: V1, **limits: int) -> None:
    response = _v2(v1).put(f"/quotas/{v1.tenant}", {"quota": limits}, ADMIN)
    assert response.status_int == 200, response.body


def _subnet(v1: V1, net: str, cidr: str = "10.0.0.0/29") -> str:
    body = {"subnet": {"network_id": net, "ip_version": 4, "cidr": cidr}}
    response = _v2(v1).post("/subnets", body, _as(v1))
    assert response.status_int == 201, response.body
    return str(response.json["subnet"]["id"])


def _addresses(v1: V1, port: str) -> list[str]:
    response = _v2(v1).get(f"/ports/{port}", _as(v1))
    assert response.status_int == 200, response.body
    return [ip["ip_address"] for ip in response.json["port"]["fixed_ips"]]


def _conflict(v1: V1, response: Response, kind: str, detail: str) -> None:
    """The conflict family as the version shows a class without a v1 fault of its
    own: 409, keyed by the class (v1.0) or typed with it (v1.1)."""
    assert response.status == "409 Conflict", response.body
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
    body: dict[str, Any] = json.loads(response.body)
    if v1.version is V10:
        ((key, fault),) = body.items()
        assert key == kind[0].lower() + kind[1:]
        assert fault["code"] == 409
    else:
        fault = body["QuantumError"]
        assert fault["type"] == kind
    assert fault["detail"] == detail
    assert fault["message"]


def test_a_v1_port_counts_against_the_port_quota(v1: V1) -> None:
    _limit(v1, port=1)
    net = v1.create_network()
    kept = v1.create_port(net)

    refused = v1.call("POST", f"/networks/{net}/ports")

    _conflict(v1, refused, "OverQuota", "Quota exceeded for resources: port.")
    assert v1.port_ids(net) == [kept]


def test_a_v1_network_counts_against_the_network_quota(v1: V1) -> None:
    _limit(v1, network=1)
    kept = v1.create_network("one")

    refused = v1.call("POST", "/networks", {"network": {"name": "two"}})

    _conflict(v1, refused, "OverQuota", "Quota exceeded for resources: network.")
    assert v1.network_ids() == [kept]


def test_a_v1_port_gets_an_address_from_its_networks_subnet(v1: V1) -> None:
    net = v1.create_network()
    before = v1.create_port(net)
    _subnet(v1, net)

    after = v1.create_port(net)

    assert _addresses(v1, before) == []  # NOTE: made while the network had no subnet
    assert _addresses(v1, after) == ["10.0.0.2"]


def test_a_v1_port_delete_holds_its_address(v1: V1) -> None:
    net = v1.create_network()
    _subnet(v1, net)
    first = v1.create_port(net)
    (address,) = _addresses(v1, first)

    deleted = v1.call("DELETE", f"/networks/{net}/ports/{first}")
    again = v1.create_port(net)

    assert deleted.status == "204 No Content", deleted.body
    assert _addresses(v1, again) != [address]


@pytest.mark.parametrize(
    "owner",
    ["network:router_interface", "network:router_gateway", "network:floatingip"],
)
def test_a_v1_delete_of_a_router_port_with_an_address_is_refused(
    v1: V1, owner: str
) -> None:
    """A port a router or a floating IP holds: v1 answers its conflict family."""
    net = v1.create_network()
    _subnet(v1, net)
    router_port = _v2(v1).port(net, _as(v1), device_owner=owner)
    plain = v1.create_port(net)  # NOTE: positive control, through the same door

    refused = v1.call("DELETE", f"/networks/{net}/ports/{router_port['id']}")
    allowed = v1.call("DELETE", f"/networks/{net}/ports/{plain}")

    detail = (
        f"Port {router_port['id']} has owner {owner} and therefore "
        "cannot be deleted directly via the port API."
    )
    _conflict(v1, refused, "L3PortInUse", detail)
    assert allowed.status == "204 No Content", allowed.body
    assert v1.port_ids(net) == [router_port["id"]]
