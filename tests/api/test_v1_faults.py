# SPDX-License-Identifier: Apache-2.0
"""Fault families A-D (spec §10) byte for byte, and the 413 body-size limit."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from webob import Request, Response

from tests.api.v1client import (
    ALREADY_ATTACHED,
    FAKE_ONLY,
    NETWORK_IN_USE,
    NETWORK_NOT_FOUND,
    PORT_IN_USE,
    PORT_NOT_FOUND,
    STATE_INVALID,
    V1,
    Domain,
    Fmt,
    domain_fault,
    invalid_body,
    malformed_body,
    missing_body,
)

# -- family A --------------------------------------------------------------------------

Trigger = Callable[[V1], tuple[Response, str]]


def _network_not_found(v: V1) -> tuple[Response, str]:
    return v.get("/networks/BAD"), "Network BAD could not be found"


def _port_not_found(v: V1) -> tuple[Response, str]:
    net = v.create_network()
    return v.get(
        f"/networks/{net}/ports/BAD"
    ), f"Port BAD could not be found on network {net}"


def _state_invalid(v: V1) -> tuple[Response, str]:
    net = v.create_network()
    response = v.call("POST", f"/networks/{net}/ports", {"port": {"state": "BAD"}})
    return response, "Unsupported port state: BAD"


def _plugged(v: V1) -> tuple[str, str]:
    net = v.create_network()
    port = v.create_port(net)
    v.plug(net, port, "vif-1")
    return net, port


def _network_in_use(v: V1) -> tuple[Response, str]:
    net, _ = _plugged(v)
    detail = (
        f"Unable to complete operation on network {net}. "
        "There is one or more attachments plugged into its ports."
    )
    return v.call("DELETE", f"/networks/{net}"), detail


def _port_in_use(v: V1) -> tuple[Response, str]:
    net, port = _plugged(v)
    detail = (
        f"Unable to complete operation on port {port} for network {net}. "
        "The attachment 'vif-1is plugged into the logical port."
    )
    return v.call("DELETE", f"/networks/{net}/ports/{port}"), detail


def _already_attached(v: V1) -> tuple[Response, str]:
    net, port = _plugged(v)
    other = v.create_port(net)
    body = {"attachment": {"id": "vif-1"}}
    response = v.call("PUT", f"/networks/{net}/ports/{other}/attachment", body)
    detail = (
        f"Unable to plug the attachment vif-1 into port {other} for network {net}. "
        f"The attachment is already plugged into port {port}"
    )
    return response, detail


def _attached_to_another_tenant(v: V1) -> tuple[Response, str]:
    """The refusal stands; the other tenant's port is not named."""
    _plugged(v.as_tenant("someone-else"))
    net = v.create_network()
    port = v.create_port(net)
    body = {"attachment": {"id": "vif-1"}}
    response = v.call("PUT", f"/networks/{net}/ports/{port}/attachment", body)
    detail = (
        f"Unable to plug the attachment vif-1 into port {port} for network {net}. "
        "The attachment is already plugged into a port of another tenant"
    )
    return response, detail


DOMAIN: dict[str, tuple[Domain, Trigger]] = {
    "NetworkNotFound": (NETWORK_NOT_FOUND, _network_not_found),
    "NetworkInUse": (NETWORK_IN_USE, _network_in_use),
    "PortNotFound": (PORT_NOT_FOUND, _port_not_found),
    "StateInvalid": (STATE_INVALID, _state_invalid),
    "PortInUse": (PORT_IN_USE, _port_in_use),
    "AlreadyAttached": (ALREADY_ATTACHED, _already_attached),
    "AttachedToAnotherTenant": (ALREADY_ATTACHED, _attached_to_another_tenant),
}


@pytest.mark.parametrize("condition", DOMAIN)
def test_domain_fault_literals(wire: V1, condition: str) -> None:
    kind, trigger = DOMAIN[condition]
    response, detail = trigger(wire)
    wire.fault(response, domain_fault(kind, wire.version, detail))


def test_ids_the_xml_cannot_carry_are_replaced_in_xml_faults(wire: V1) -> None:
    response = wire.get("/networks/a%01b%0Ac")
    shown = "a\x01b\nc" if wire.fmt is Fmt.JSON else "a\ufffdb\nc"
    wire.fault(
        response,
        domain_fault(
            NETWORK_NOT_FOUND, wire.version, f"Network {shown} could not be found"
        ),
    )


@FAKE_ONLY
def test_a_lone_surrogate_echoed_in_a_fault_is_escaped(v1: V1) -> None:
    """JSON can carry one as ``\\udfff`` (XML cannot: such a body is malformed)."""
    net = v1.create_network()
    response = v1.call(
        "POST", f"/networks/{net}/ports", b'{"port": {"state": "\\udfff"}}'
    )
    assert b"\\udfff" in response.body
    detail = "Unsupported port state: \udfff"
    v1.fault(response, domain_fault(STATE_INVALID, v1.version, detail))


# -- families B, C, D: the body never reaches the plugin -------------------------------

NET_NAME_MISSING = "Failed to parse request. Parameter: name not specified"
ID_MISSING = "Failed to parse request. Parameter: id not specified"


def _root_missing(resource: str) -> str:
    return f"Unable to find '{resource}' in request body"


def _targets(v: V1) -> dict[str, tuple[str, str]]:
    """Every operation that reads a body: name -> (method, path)."""
    net = v.create_network("n")
    port = v.create_port(net)
    return {
        "create-network": ("POST", "/networks"),
        "update-network": ("PUT", f"/networks/{net}"),
        "create-port": ("POST", f"/networks/{net}/ports"),
        "update-port": ("PUT", f"/networks/{net}/ports/{port}"),
        "plug": ("PUT", f"/networks/{net}/ports/{port}/attachment"),
    }


INVALID_JSON: list[tuple[str, Any, str]] = [
    ("create-network", {}, _root_missing("network")),
    ("create-network", {"networks": {"name": "x"}}, _root_missing("network")),
    ("create-network", {"network": "x"}, _root_missing("network")),
    ("create-network", {"network": None}, _root_missing("network")),
    ("create-network", {"network": ["x"]}, _root_missing("network")),
    ("create-network", {"network": {}}, NET_NAME_MISSING),
    ("create-network", {"network": {"bad-attribute": "very-bad"}}, NET_NAME_MISSING),
    ("create-network", {"network": {"name": None}}, NET_NAME_MISSING),
    ("update-network", {"bad": {"name": "x"}}, _root_missing("network")),
    ("update-network", {"network": {}}, NET_NAME_MISSING),
    ("update-network", {"network": {"id": "x"}}, NET_NAME_MISSING),
    ("create-port", {"bad-resource": {"state": "ACTIVE"}}, _root_missing("port")),
    ("create-port", {"port": "ACTIVE"}, _root_missing("port")),
    ("update-port", {}, _root_missing("port")),
    ("update-port", {"port": None}, _root_missing("port")),
    ("plug", {"id": "vif-1"}, _root_missing("attachment")),
    ("plug", {"attachment": "vif-1"}, _root_missing("attachment")),
    ("plug", {"attachment": {}}, ID_MISSING),
    ("plug", {"attachment": {"id": None}}, ID_MISSING),
    ("plug", {"attachment": {"id": ""}}, ID_MISSING),
]

INVALID_XML: list[tuple[str, str, str]] = [
    ("create-network", '<networks name="x"/>', _root_missing("network")),
    ("create-network", "<network/>", NET_NAME_MISSING),
    (
        "create-network",
        "<network><bad-attribute>x</bad-attribute></network>",
        NET_NAME_MISSING,
    ),
    ("update-network", '<network id="x"/>', NET_NAME_MISSING),
    ("create-port", '<bad-resource state="ACTIVE"/>', _root_missing("port")),
    ("update-port", "<ports/>", _root_missing("port")),
    ("plug", '<port id="vif-1"/>', _root_missing("attachment")),
    ("plug", "<attachment/>", ID_MISSING),
    ("plug", '<attachment id=""/>', ID_MISSING),
    ("plug", "<attachment><id></id></attachment>", ID_MISSING),
]


def _check_unchanged(v: V1) -> None:
    """A refused body leaves the fixture of ``_targets`` as it was."""
    (net,) = v.network_ids()
    detail = v.network(net)
    assert detail["name"] == "n"
    assert [p.get("attachment") for p in detail["ports"]] == [None]
    assert [p["state"] for p in detail["ports"]] == ["DOWN"]


@FAKE_ONLY
@pytest.mark.parametrize(("target", "body", "detail"), INVALID_JSON)
def test_invalid_json_body(v1: V1, target: str, body: Any, detail: str) -> None:
    method, rel = _targets(v1)[target]
    response = v1.call(method, rel, body)
    v1.fault(response, invalid_body(v1.version, detail))
    _check_unchanged(v1)


@FAKE_ONLY
@pytest.mark.parametrize(("target", "body", "detail"), INVALID_XML)
def test_invalid_xml_body(xml: V1, target: str, body: str, detail: str) -> None:
    method, rel = _targets(xml)[target]
    xml.fault(xml.call(method, rel, body), invalid_body(xml.version, detail))
    _check_unchanged(xml)


@FAKE_ONLY
@pytest.mark.parametrize(
    "body",
    [
        {"network": {"name": ["a"]}},
        {"network": {"name": {"a": "b"}}},
        {"network": {"name": True}},
        {"network": {"name": False}},
    ],
)
def test_network_name_must_be_a_string_or_a_number(v1: V1, body: Any) -> None:
    response = v1.call("POST", "/networks", body)
    assert response.status == "400 Bad Request"
    key = "Bad Request" if v1.version.name == "v1.0" else "QuantumError"
    assert response.json[key]["message"].startswith("The server could not comply")
    assert v1.network_ids() == []


UNDECODABLE: dict[Fmt, list[str | bytes]] = {
    Fmt.JSON: [
        "this is not json",
        '{"network": {"name": "x"}',
        "{'network': {}}",
        b"\xff\xfe{}",
    ],
    Fmt.XML: [
        "this is not xml",
        '<network name="x">',
        "<network><name>x</network>",
        "{}",
    ],
}


@FAKE_ONLY
@pytest.mark.parametrize(
    "target", ["create-network", "update-network", "create-port", "update-port", "plug"]
)
def test_undecodable_body(wire: V1, target: str) -> None:
    method, rel = _targets(wire)[target]
    for body in UNDECODABLE[wire.fmt]:
        wire.fault(wire.call(method, rel, body), malformed_body(wire.version))
    _check_unchanged(wire)


@FAKE_ONLY
@pytest.mark.parametrize(
    "target", ["create-network", "update-network", "update-port", "plug"]
)
def test_missing_body(wire: V1, target: str) -> None:
    method, rel = _targets(wire)[target]
    wire.fault(wire.call(method, rel), missing_body(wire.version))
    wire.fault(wire.call(method, rel, b""), missing_body(wire.version))
    _check_unchanged(wire)


@FAKE_ONLY
@pytest.mark.parametrize(
    "target", ["create-network", "update-network", "create-port", "update-port", "plug"]
)
def test_top_level_json_must_be_an_object(v1: V1, target: str) -> None:
    method, rel = _targets(v1)[target]
    for body in ("[1, 2]", '"network"', "5", "true"):
        v1.fault(v1.call(method, rel, body), missing_body(v1.version))
    _check_unchanged(v1)


@FAKE_ONLY
@pytest.mark.parametrize(
    ("target", "detail"),
    [
        ("create-network", NET_NAME_MISSING),
        ("update-network", NET_NAME_MISSING),
        ("plug", "Failed to parse request. Parameter: id not specified"),
    ],
)
def test_a_null_body_is_the_resource_without_fields(
    v1: V1, target: str, detail: str
) -> None:
    # NOTE: the original read null as {"network": {}}: a family B fault, keyed by the
    # version ("Bad Request" / "QuantumError"), not the {"Error": ...} of family D.
    method, rel = _targets(v1)[target]
    response = v1.call(method, rel, "null")
    v1.fault(response, invalid_body(v1.version, detail))
    assert "Error" not in response.json
    _check_unchanged(v1)


@FAKE_ONLY
def test_a_null_port_body_means_no_fields(v1: V1) -> None:
    net = v1.create_network("n")
    port = v1.create_port(net, "ACTIVE")
    response = v1.call("PUT", f"/networks/{net}/ports/{port}", "null")
    assert response.status == "204 No Content"
    assert v1.port(net, port)["state"] == "DOWN"  # NOTE: as {"port": {}} does
    created = v1.call("POST", f"/networks/{net}/ports", "null")
    assert created.status == v1.version.create_status
    (new_port,) = created.json["port"].values()
    assert v1.port(net, new_port)["state"] == "DOWN"


# -- body size -------------------------------------------------------------------------

LIMIT = 114688  # max_request_body_size's default, which the test services keep


def _padded_network(fmt: Fmt, size: int) -> bytes:
    if fmt is Fmt.XML:
        head, tail = b"<network><name>big</name>", b"</network>"
    else:
        head, tail = b'{"network": {"name": "big"}', b"}"
    return head + b" " * (size - len(head) - len(tail)) + tail


@FAKE_ONLY
def test_body_at_the_limit_is_read(wire: V1) -> None:
    response = wire.call("POST", "/networks", _padded_network(wire.fmt, LIMIT))
    assert response.status == wire.version.create_status
    assert len(wire.network_ids()) == 1


@FAKE_ONLY
def test_body_over_the_limit_is_refused(wire: V1) -> None:
    response = wire.call("POST", "/networks", _padded_network(wire.fmt, LIMIT + 1))
    assert response.status == "413 Request Entity Too Large"
    assert response.headers["Content-Type"] == wire.fmt.fault_type
    if wire.fmt is Fmt.JSON:
        assert response.json["Error"]["code"] == 413
    else:
        assert response.body.startswith(
            f'<Error code="413" xmlns="{wire.version.xmlns}">'.encode()
        )
    assert wire.network_ids() == []


def _chunked(v: V1, body: bytes) -> Response:
    """A POST as eventlet hands over a chunked upload: no Content-Length."""
    request = Request.blank(v.url("/networks"), method="POST")
    request.headers["Content-Type"] = "application/json"
    request.headers["Transfer-Encoding"] = "chunked"
    request.environ["wsgi.input"] = io.BytesIO(body)
    request.environ.pop("CONTENT_LENGTH", None)
    return request.get_response(v.api.client.app)


@FAKE_ONLY
def test_chunked_bodies_are_read_and_limited(v1: V1) -> None:
    response = _chunked(v1, _padded_network(Fmt.JSON, LIMIT * 2))
    assert response.status == "413 Request Entity Too Large"
    assert v1.network_ids() == []
    response = _chunked(v1, b'{"network": {"name": "chunked"}}')
    assert response.status == v1.version.create_status
    assert [n["name"] for n in v1.ok(v1.get("/networks/detail"))["networks"]] == [
        "chunked"
    ]
