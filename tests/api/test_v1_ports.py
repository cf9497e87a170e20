# SPDX-License-Identifier: Apache-2.0
"""Ports (spec §6.8-6.14, §7, §8): views, the state rules and their quirks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.v1client import (
    NETWORK_NOT_FOUND,
    PORT_IN_USE,
    PORT_NOT_FOUND,
    STATE_INVALID,
    V1,
    Fmt,
)


def _op(v: V1) -> dict[str, str]:
    return {"op-status": v.api.port_status} if v.op_status else {}


def _op_attr(v: V1) -> str:
    return f' op-status="{v.api.port_status}"' if v.op_status else ""


def _state(v: V1, net: str, port: str) -> str:
    return str(v.ok(v.get(f"/networks/{net}/ports/{port}"))["port"]["state"])


def test_create_returns_only_the_id(wire: V1) -> None:
    net = wire.create_network()
    response = wire.call(
        "POST", f"/networks/{net}/ports", {"port": {"state": "ACTIVE"}}
    )
    assert response.status == wire.version.create_status
    (port,) = wire.data(response)["port"].values()
    if wire.fmt is Fmt.XML:
        assert (
            response.body
            == f'<port id="{port}" xmlns="{wire.version.xmlns}"/>'.encode()
        )
    else:
        assert response.json == {"port": {"id": port}}
    assert _state(wire, net, port) == "ACTIVE"


def test_show_never_includes_the_attachment(wire: V1) -> None:
    net = wire.create_network()
    port = wire.create_port(net, "ACTIVE")
    wire.plug(net, port, "vif-1")
    response = wire.get(f"/networks/{net}/ports/{port}")
    assert wire.ok(response) == {"port": {"id": port, "state": "ACTIVE", **_op(wire)}}
    if wire.fmt is Fmt.XML:
        assert (
            response.body
            == (
                f'<port id="{port}"{_op_attr(wire)} state="ACTIVE" '
                f'xmlns="{wire.version.xmlns}"/>'
            ).encode()
        )


def test_show_detail_adds_the_attachment_when_plugged(wire: V1) -> None:
    net = wire.create_network()
    port = wire.create_port(net)
    rel = f"/networks/{net}/ports/{port}/detail"
    assert wire.ok(wire.get(rel)) == {
        "port": {"id": port, "state": "DOWN", **_op(wire)}
    }
    wire.plug(net, port, "test_interface")
    response = wire.get(rel)
    assert wire.ok(response) == {
        "port": {
            "id": port,
            "state": "DOWN",
            **_op(wire),
            "attachment": {"id": "test_interface"},
        }
    }
    if wire.fmt is Fmt.XML:
        assert (
            response.body
            == (
                f'<port id="{port}"{_op_attr(wire)} state="DOWN" '
                f'xmlns="{wire.version.xmlns}"><attachment id="test_interface"/></port>'
            ).encode()
        )


def test_lists_show_ids_and_detail_lists_add_state(wire: V1) -> None:
    net = wire.create_network()
    active, down = wire.create_port(net, "ACTIVE"), wire.create_port(net, "DOWN")
    wire.plug(net, active, "vif-1")
    listed = wire.ok(wire.get(f"/networks/{net}/ports"))["ports"]
    assert sorted(p["id"] for p in listed) == sorted([active, down])
    assert all(p.keys() == {"id"} for p in listed)
    detailed = wire.ok(wire.get(f"/networks/{net}/ports/detail"))["ports"]
    assert sorted(detailed, key=lambda p: p["state"]) == [
        {"id": active, "state": "ACTIVE", **_op(wire)},  # no attachment in this view
        {"id": down, "state": "DOWN", **_op(wire)},
    ]


def test_list_xml_bytes(xml: V1) -> None:
    net = xml.create_network()
    ns = xml.version.xmlns
    for rel in ("/ports", "/ports/detail"):
        assert (
            xml.get(f"/networks/{net}{rel}").body == f'<ports xmlns="{ns}"/>'.encode()
        )
    port = xml.create_port(net)
    assert xml.get(f"/networks/{net}/ports").body == (
        f'<ports xmlns="{ns}"><port id="{port}"/></ports>'.encode()
    )
    assert (
        xml.get(f"/networks/{net}/ports/detail").body
        == (
            f'<ports xmlns="{ns}">'
            f'<port id="{port}"{_op_attr(xml)} state="DOWN"/></ports>'
        ).encode()
    )


@pytest.mark.parametrize(
    ("body", "state"),
    [
        (None, "DOWN"),
        (b"", "DOWN"),
        ({"port": {}}, "DOWN"),
        ({"port": {"state": None}}, "DOWN"),
        ({"port": {"state": ""}}, "DOWN"),
        ({"port": {"state": "DOWN"}}, "DOWN"),
        ({"port": {"state": "ACTIVE"}}, "ACTIVE"),
    ],
    ids=["no-body", "empty-body", "empty", "null", "empty-string", "DOWN", "ACTIVE"],
)
def test_create_state_defaults_to_down(
    v1: V1, body: dict[str, Any] | bytes | None, state: str
) -> None:
    net = v1.create_network()
    response = v1.call("POST", f"/networks/{net}/ports", body)
    (port,) = v1.ok(response, v1.version.create_status)["port"].values()
    assert _state(v1, net, port) == state


def test_create_accepts_what_nova_sends(v1: V1) -> None:
    net = v1.create_network()
    body = {
        "port": {
            "state": "ACTIVE",
            "vm_id": "c4b5-instance",
            "rxtx_factor": 1.0,
            "nova_id": "zone-1",
            "allowed_address_pairs": [{"mac_address": "fa:16:3e:00:00:01"}],
        }
    }
    response = v1.call("POST", f"/networks/{net}/ports", body)
    (port,) = v1.ok(response, v1.version.create_status)["port"].values()
    assert v1.port(net, port) == {"id": port, "state": "ACTIVE", **_op(v1)}


def test_create_with_an_invalid_state_is_refused(v1: V1) -> None:
    net = v1.create_network()
    for bad in ("BADSTATE", "active", "Active", "up", "UP", " ACTIVE"):
        response = v1.call("POST", f"/networks/{net}/ports", {"port": {"state": bad}})
        v1.fails_with(response, STATE_INVALID, f"Unsupported port state: {bad}")
    assert v1.port_ids(net) == []


def test_create_on_unknown_network(v1: V1) -> None:
    for body in (None, {"port": {"state": "ACTIVE"}}, {"port": {"state": "BADSTATE"}}):
        response = v1.call("POST", "/networks/A_BAD_ID/ports", body)
        v1.fails_with(
            response, NETWORK_NOT_FOUND, "Network A_BAD_ID could not be found"
        )


def test_update_state(wire: V1) -> None:
    net = wire.create_network()
    port = wire.create_port(net)
    for state in ("ACTIVE", "DOWN", "ACTIVE"):
        response = wire.call(
            "PUT", f"/networks/{net}/ports/{port}", {"port": {"state": state}}
        )
        assert response.status == "204 No Content"
        assert response.body == b""
        assert response.headers["Content-Type"] == wire.fmt.media_type
        assert _state(wire, net, port) == state


@pytest.mark.parametrize(
    "fields",
    [{}, {"state": None}, {"state": ""}, {"id": "x"}],
    ids=["empty", "null", "blank", "other"],
)
def test_update_without_a_state_sets_down(v1: V1, fields: dict[str, Any]) -> None:
    net = v1.create_network()
    port = v1.create_port(net, "ACTIVE")
    response = v1.call("PUT", f"/networks/{net}/ports/{port}", {"port": fields})
    assert response.status_int == 204
    assert v1.port(net, port) == {"id": port, "state": "DOWN", **_op(v1)}


def test_update_ignores_operational_status_and_other_keys(v1: V1) -> None:
    net = v1.create_network()
    port = v1.create_port(net)
    other = "DOWN" if v1.api.port_status == "UP" else "UP"
    body = {
        "port": {"state": "ACTIVE", "op-status": other, "op_status": other, "id": "x"}
    }
    assert v1.call("PUT", f"/networks/{net}/ports/{port}", body).status_int == 204
    assert v1.port(net, port) == {"id": port, "state": "ACTIVE", **_op(v1)}
    assert v1.port_ids(net) == [port]


def test_update_with_an_invalid_state(v1: V1) -> None:
    net = v1.create_network()
    port = v1.create_port(net, "ACTIVE")
    for bad in ("A_BAD_STATE", "down"):
        response = v1.call(
            "PUT", f"/networks/{net}/ports/{port}", {"port": {"state": bad}}
        )
        v1.fails_with(response, STATE_INVALID, f"Unsupported port state: {bad}")
    assert _state(v1, net, port) == "ACTIVE"
    # the port and network are looked up before the state is judged
    response = v1.call("PUT", f"/networks/{net}/ports/NOPE", {"port": {"state": "BAD"}})
    v1.fails_with(
        response, PORT_NOT_FOUND, f"Port NOPE could not be found on network {net}"
    )
    response = v1.call(
        "PUT", f"/networks/NOPE/ports/{port}", {"port": {"state": "BAD"}}
    )
    v1.fails_with(response, NETWORK_NOT_FOUND, "Network NOPE could not be found")


def test_plugging_does_not_change_state(v1: V1) -> None:
    net = v1.create_network()
    down, active = v1.create_port(net), v1.create_port(net, "ACTIVE")
    v1.plug(net, down, "vif-down")
    v1.plug(net, active, "vif-active")
    assert _state(v1, net, down) == "DOWN"
    assert _state(v1, net, active) == "ACTIVE"


def test_delete(v1: V1) -> None:
    net = v1.create_network()
    port, keep = v1.create_port(net), v1.create_port(net)
    response = v1.call("DELETE", f"/networks/{net}/ports/{port}")
    assert response.status == "204 No Content"
    assert response.body == b""
    assert v1.port_ids(net) == [keep]
    detail = f"Port {port} could not be found on network {net}"
    v1.fails_with(v1.get(f"/networks/{net}/ports/{port}"), PORT_NOT_FOUND, detail)
    v1.fails_with(
        v1.call("DELETE", f"/networks/{net}/ports/{port}"), PORT_NOT_FOUND, detail
    )


def test_delete_refused_while_plugged(v1: V1) -> None:
    net = v1.create_network()
    port = v1.create_port(net, "ACTIVE")
    v1.plug(net, port, "vif-1")
    detail = (
        f"Unable to complete operation on port {port} for network {net}. "
        "The attachment 'vif-1is plugged into the logical port."
    )
    v1.fails_with(
        v1.call("DELETE", f"/networks/{net}/ports/{port}"), PORT_IN_USE, detail
    )
    assert v1.port(net, port)["attachment"] == {"id": "vif-1"}
    assert (
        v1.call("DELETE", f"/networks/{net}/ports/{port}/attachment").status_int == 204
    )
    assert v1.call("DELETE", f"/networks/{net}/ports/{port}").status_int == 204
    assert v1.port_ids(net) == []


def test_port_of_another_network_is_not_found(v1: V1) -> None:
    net, other = v1.create_network(), v1.create_network()
    port = v1.create_port(other)
    detail = f"Port {port} could not be found on network {net}"
    base = f"/networks/{net}/ports/{port}"
    for method, rel, body in (
        ("GET", base, None),
        ("GET", base + "/detail", None),
        ("PUT", base, {"port": {"state": "ACTIVE"}}),
        ("DELETE", base, None),
        ("GET", base + "/attachment", None),
        ("PUT", base + "/attachment", {"attachment": {"id": "vif-x"}}),
        ("DELETE", base + "/attachment", None),
    ):
        v1.fails_with(v1.call(method, rel, body), PORT_NOT_FOUND, detail)
    assert v1.port(other, port) == {"id": port, "state": "DOWN", **_op(v1)}


def test_list_ports_on_unknown_network(v1: V1) -> None:
    for rel in ("/networks/A_BAD_ID/ports", "/networks/A_BAD_ID/ports/detail"):
        v1.fails_with(
            v1.get(rel), NETWORK_NOT_FOUND, "Network A_BAD_ID could not be found"
        )
