# SPDX-License-Identifier: Apache-2.0
"""Query-string filters (spec §9; internals §18.2) under both versions.

The fixture is the original's: network ``test-1`` with an ACTIVE port plugged with
``test-1-att`` and a DOWN port; network ``test-2`` with two ACTIVE unplugged ports.
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.api.v1client import FAKE_ONLY, NETWORK_NOT_FOUND, V1


@dataclass
class Nets:
    net1: str
    net2: str
    port11: str
    port12: str
    port21: str
    port22: str


def _fixture(v: V1) -> Nets:
    net1 = v.create_network("test-1")
    port11 = v.create_port(net1, "ACTIVE")
    v.plug(net1, port11, "test-1-att")
    port12 = v.create_port(net1, "DOWN")
    net2 = v.create_network("test-2")
    port21, port22 = v.create_port(net2, "ACTIVE"), v.create_port(net2, "ACTIVE")
    return Nets(net1, net2, port11, port12, port21, port22)


def _other(status: str) -> str:
    return "DOWN" if status == "UP" else "UP"


def test_network_filters(v1: V1) -> None:
    n = _fixture(v1)
    up, other = v1.api.port_status, _other(v1.api.port_status)
    both = sorted([n.net1, n.net2])
    cases = {
        "": both,
        "name=test-1": [n.net1],
        "name=non-existent": [],
        "name=TEST-1": [],
        "op-status=UP": both,
        "op-status=DOWN": [],
        f"port-op-status={up}": both,
        f"port-op-status={other}": [],
        "port-state=ACTIVE": both,
        "port-state=DOWN": [n.net1],
        "port-state=active": [],
        "has-attachment=True": [n.net1],
        "has-attachment=true": [n.net1],
        "has-attachment=TRUE": [n.net1],
        "has-attachment=False": [n.net2],
        "has-attachment=yes": [n.net2],
        "has-attachment=1": [n.net2],
        "has-attachment=": [n.net2],
        f"port={n.port11}": [n.net1],
        f"port={n.port21}": [n.net2],
        "port=non-existent": [],
        "attachment=test-1-att": [n.net1],
        "attachment=non-existent": [],
        # several keys: AND
        "name=test-1&port-state=DOWN": [n.net1],
        "name=test-2&port-state=DOWN": [],
        "port-state=ACTIVE&has-attachment=false": [n.net2],
        # a repeated key: the last value
        "name=test-2&name=test-1": [n.net1],
        "name=test-1&name=test-2": [n.net2],
        # unknown keys: ignored beside a known one, else nothing matches
        "foo=bar&name=test-1": [n.net1],
        "foo=bar": [],
        "state=ACTIVE": [],
        "name=%FF%FE": [],
    }
    for query, expected in cases.items():
        assert v1.network_ids(query) == expected, query
        detailed = v1.ok(v1.get("/networks/detail", query))["networks"]
        assert sorted(d["id"] for d in detailed) == expected, query
    # another network with the same name and an ACTIVE port
    net3 = v1.create_network("test-1")
    v1.create_port(net3, "ACTIVE")
    assert v1.network_ids("name=test-1") == sorted([n.net1, net3])
    assert v1.network_ids("name=test-1&port-state=ACTIVE&attachment=test-1-att") == [
        n.net1
    ]
    assert v1.network_ids("has-attachment=false") == sorted([n.net2, net3])


def test_port_filters(v1: V1) -> None:
    n = _fixture(v1)
    up, other = v1.api.port_status, _other(v1.api.port_status)
    net1_both = sorted([n.port11, n.port12])
    net2_both = sorted([n.port21, n.port22])
    cases = [
        (n.net1, "", net1_both),
        (n.net1, "state=ACTIVE", [n.port11]),
        (n.net1, "state=DOWN", [n.port12]),
        (n.net2, "state=ACTIVE", net2_both),
        (n.net2, "state=active", []),
        (n.net1, f"op-status={up}", net1_both),
        (n.net1, f"op-status={other}", []),
        (n.net1, "has-attachment=True", [n.port11]),
        (n.net1, "has-attachment=False", [n.port12]),
        (n.net2, "has-attachment=False", net2_both),
        (n.net1, "attachment=test-1-att", [n.port11]),
        (n.net2, "attachment=non-existent", []),
        (n.net1, f"op-status={up}&state=DOWN", [n.port12]),
        (n.net1, "state=ACTIVE&attachment=test-1-att", [n.port11]),
        (n.net2, "state=ACTIVE&has-attachment=False", net2_both),
        (n.net1, "state=DOWN&state=ACTIVE", [n.port11]),
        (n.net1, "foo=bar&state=DOWN", [n.port12]),
        (n.net1, "name=anything", []),
        (n.net1, "port-state=ACTIVE", []),
    ]
    for net, query, expected in cases:
        assert v1.port_ids(net, query) == expected, query
        detailed = v1.ok(v1.get(f"/networks/{net}/ports/detail", query))["ports"]
        assert sorted(d["id"] for d in detailed) == expected, query
    detailed = v1.ok(v1.get(f"/networks/{n.net1}/ports/detail", "state=DOWN"))
    op = {"op-status": up} if v1.op_status else {}
    assert detailed == {"ports": [{"id": n.port12, "state": "DOWN", **op}]}


def test_nova_finds_a_port_by_its_attachment(v1: V1) -> None:
    n = _fixture(v1)
    response = v1.get(f"/networks/{n.net1}/ports", "attachment=test-1-att")
    assert v1.ok(response) == {"ports": [{"id": n.port11}]}


def test_filters_do_not_hide_an_unknown_network(v1: V1) -> None:
    response = v1.get("/networks/A_BAD_ID/ports", "state=ACTIVE")
    v1.fails_with(response, NETWORK_NOT_FOUND, "Network A_BAD_ID could not be found")


@FAKE_ONLY
def test_filters_in_xml(xml: V1) -> None:
    n = _fixture(xml)
    ns = xml.version.xmlns
    assert xml.get("/networks", "name=test-2").body == (
        f'<networks xmlns="{ns}"><network id="{n.net2}"/></networks>'.encode()
    )
    assert xml.get(f"/networks/{n.net1}/ports", "has-attachment=True").body == (
        f'<ports xmlns="{ns}"><port id="{n.port11}"/></ports>'.encode()
    )
    assert xml.get("/networks", "foo=bar").body == f'<networks xmlns="{ns}"/>'.encode()
