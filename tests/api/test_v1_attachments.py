# SPDX-License-Identifier: Apache-2.0
"""Attachments (spec §6.15-6.17): XML form of the resource, plug checks and order."""

from __future__ import annotations

from tests.api.v1client import (
    ALREADY_ATTACHED,
    NETWORK_NOT_FOUND,
    PORT_IN_USE,
    PORT_NOT_FOUND,
    V1,
    Fmt,
)


def _att(net: str, port: str) -> str:
    return f"/networks/{net}/ports/{port}/attachment"


def _in_use(net: str, port: str, att: str) -> str:
    return (
        f"Unable to complete operation on port {port} for network {net}. "
        f"The attachment '{att}is plugged into the logical port."
    )


def _already(net: str, port: str, att: str, other: str | None) -> str:
    """The AlreadyAttached detail: ``other`` names the caller's own holding port;
    None is another tenant's, which is not named."""
    holder = "a port of another tenant" if other is None else f"port {other}"
    return (
        f"Unable to plug the attachment {att} into port {port} for network {net}. "
        f"The attachment is already plugged into {holder}"
    )


def test_show_uses_child_elements_in_xml(wire: V1) -> None:
    net = wire.create_network()
    port = wire.create_port(net)
    ns = wire.version.xmlns
    response = wire.get(_att(net, port))
    assert wire.ok(response) == {"attachment": {}}
    if wire.fmt is Fmt.XML:
        assert response.body == f'<attachment xmlns="{ns}"/>'.encode()
    wire.plug(net, port, "vif-1")
    response = wire.get(_att(net, port))
    assert wire.ok(response) == {"attachment": {"id": "vif-1"}}
    if wire.fmt is Fmt.XML:
        assert (
            response.body
            == f'<attachment xmlns="{ns}"><id>vif-1</id></attachment>'.encode()
        )


def test_plug_and_unplug(wire: V1) -> None:
    net = wire.create_network()
    port = wire.create_port(net)
    response = wire.call("PUT", _att(net, port), {"attachment": {"id": "vif-1"}})
    assert response.status == "204 No Content"
    assert response.body == b""
    assert response.headers["Content-Type"] == wire.fmt.media_type
    assert wire.ok(wire.get(_att(net, port))) == {"attachment": {"id": "vif-1"}}
    response = wire.call("DELETE", _att(net, port))
    assert response.status == "204 No Content"
    assert response.body == b""
    assert wire.ok(wire.get(_att(net, port))) == {"attachment": {}}
    assert "attachment" not in wire.port(net, port)


def test_unplug_is_idempotent(v1: V1) -> None:
    net = v1.create_network()
    port = v1.create_port(net)
    for _ in range(2):
        assert v1.call("DELETE", _att(net, port)).status_int == 204
    assert v1.ok(v1.get(_att(net, port))) == {"attachment": {}}


def test_plugged_port_refuses_any_other_plug(v1: V1) -> None:
    net = v1.create_network()
    port = v1.create_port(net)
    v1.plug(net, port, "vif-1")
    for att in ("vif-2", "vif-1"):  # re-plugging the same id is PortInUse too
        response = v1.call("PUT", _att(net, port), {"attachment": {"id": att}})
        v1.fails_with(response, PORT_IN_USE, _in_use(net, port, "vif-1"))
    assert v1.ok(v1.get(_att(net, port))) == {"attachment": {"id": "vif-1"}}


def test_port_in_use_is_checked_before_already_attached(v1: V1) -> None:
    net = v1.create_network()
    first, second = v1.create_port(net), v1.create_port(net)
    v1.plug(net, first, "vif-1")
    v1.plug(net, second, "vif-2")
    response = v1.call("PUT", _att(net, first), {"attachment": {"id": "vif-2"}})
    v1.fails_with(response, PORT_IN_USE, _in_use(net, first, "vif-1"))


def test_attachment_ids_are_unique_across_networks_and_tenants(v1: V1) -> None:
    net = v1.create_network()
    holder = v1.create_port(net)
    v1.plug(net, holder, "vif-1")
    same_net = v1.create_port(net)
    other_net = v1.create_network()
    other_port = v1.create_port(other_net)
    stranger = v1.as_tenant("t2")
    foreign_net = stranger.create_network()
    foreign_port = stranger.create_port(foreign_net)
    for client, n, p, shown in (
        (v1, net, same_net, holder),
        (v1, other_net, other_port, holder),
        # NOTE: refused all the same, but another tenant's port is not named.
        (stranger, foreign_net, foreign_port, None),
    ):
        response = client.call("PUT", _att(n, p), {"attachment": {"id": "vif-1"}})
        client.fails_with(response, ALREADY_ATTACHED, _already(n, p, "vif-1", shown))
        if shown is None:
            assert holder not in response.text
        assert client.ok(client.get(_att(n, p))) == {"attachment": {}}
    # unplugging frees the id for anyone
    assert v1.call("DELETE", _att(net, holder)).status_int == 204
    stranger.plug(foreign_net, foreign_port, "vif-1")
    response = v1.call("PUT", _att(net, holder), {"attachment": {"id": "vif-1"}})
    v1.fails_with(response, ALREADY_ATTACHED, _already(net, holder, "vif-1", None))
    assert foreign_port not in response.text


def test_attachment_ids_are_opaque_exact_strings(v1: V1) -> None:
    net = v1.create_network()
    ids = ["vif-1", "VIF-1", "vif-1 ", "gw-0123456789a", "a/b?c#d&e", "x" * 255]
    ports = [v1.create_port(net) for _ in ids]
    for port, att in zip(ports, ids, strict=True):
        v1.plug(net, port, att)
    for port, att in zip(ports, ids, strict=True):
        assert v1.ok(v1.get(_att(net, port))) == {"attachment": {"id": att}}


def test_unknown_network_or_port(v1: V1) -> None:
    net = v1.create_network()
    port = v1.create_port(net)
    body = {"attachment": {"id": "vif-1"}}
    for method in ("GET", "PUT", "DELETE"):
        payload = body if method == "PUT" else None
        response = v1.call(method, _att("A_BAD_ID", port), payload)
        v1.fails_with(
            response, NETWORK_NOT_FOUND, "Network A_BAD_ID could not be found"
        )
        response = v1.call(method, _att("A_BAD_ID", "A_BAD_PORT"), payload)
        v1.fails_with(
            response, NETWORK_NOT_FOUND, "Network A_BAD_ID could not be found"
        )
        response = v1.call(method, _att(net, "A_BAD_PORT"), payload)
        detail = f"Port A_BAD_PORT could not be found on network {net}"
        v1.fails_with(response, PORT_NOT_FOUND, detail)
    assert v1.ok(v1.get(_att(net, port))) == {"attachment": {}}
