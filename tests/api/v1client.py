# SPDX-License-Identifier: Apache-2.0
"""A v1 client for the conformance tests: one API version, one wire format.

It talks like python-quantumclient (format suffix on every URL plus matching
``Content-Type``/``Accept`` headers, XML bodies in child-element form) and decodes
responses on its own, independently of ``quantum.api.wire``, so the tests check the
server's output rather than agree with its own codec. Expected wire literals from the
spec (fault bodies, status lines) are built here once.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree as ET  # noqa: S405  # NOTE: parses our own server's output

import pytest
from webob import Response

from tests.conftest import ApiUnderTest

NS10 = "http://openstack.org/quantum/api/v1.0"
NS11 = "http://openstack.org/quantum/api/v1.1"
GENERIC_400 = (
    "The server could not comply with the request since it is either malformed "
    "or otherwise incorrect."
)
NOT_FOUND_PAGE = b"404 Not Found\n\nThe resource could not be found.\n\n   "
TEXT_PLAIN = "text/plain; charset=UTF-8"

FAKE_ONLY = pytest.mark.parametrize("api", ["fake"], indirect=True)
"""For behaviour that lives wholly in the API layer: run it over the fake plugin."""


class Fmt(enum.StrEnum):
    JSON = "json"
    XML = "xml"

    @property
    def media_type(self) -> str:
        return f"application/{self.value}"

    @property
    def fault_type(self) -> str:
        return f"application/{self.value}; charset=UTF-8"


@dataclass(frozen=True)
class Version:
    name: str
    xmlns: str
    create_status: str
    op_status: bool

    @property
    def prefix(self) -> str:
        return "/" + self.name

    def __str__(self) -> str:
        return self.name


V10 = Version("v1.0", NS10, "200 OK", op_status=False)
V11 = Version("v1.1", NS11, "202 Accepted", op_status=True)
VERSIONS = (V10, V11)


# -- faults ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    """A family A fault as each version shows it (spec §10.1)."""

    v10_code: int
    v10_name: str
    v11_status: str
    v11_type: str
    message: str


NETWORK_NOT_FOUND = Domain(
    420,
    "networkNotFound",
    "404 Not Found",
    "NetworkNotFound",
    "Unable to find a network with the specified identifier.",
)
NETWORK_IN_USE = Domain(
    421,
    "networkInUse",
    "409 Conflict",
    "NetworkInUse",
    "Unable to remove the network: attachments still plugged.",
)
PORT_NOT_FOUND = Domain(
    430,
    "portNotFound",
    "404 Not Found",
    "PortNotFound",
    "Unable to find a port with the specified identifier.",
)
STATE_INVALID = Domain(
    431,
    "requestedStateInvalid",
    "400 Bad Request",
    "RequestedStateInvalid",
    "Unable to update port state with specified value.",
)
PORT_IN_USE = Domain(
    432,
    "portInUse",
    "409 Conflict",
    "PortInUse",
    "A resource is currently attached to the logical port",
)
ALREADY_ATTACHED = Domain(
    440, "alreadyAttached", "409 Conflict", "AlreadyAttached",
    "The resource is already attached to another port",
)  # fmt: skip


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class Expected:
    """A fault as it must appear on the wire in one version and format."""

    status: str
    payload: dict[str, Any]
    xml: bytes


def domain_fault(kind: Domain, version: Version, detail: str) -> Expected:
    message, detail_x = _xml_text(kind.message), _xml_text(detail)
    if version is V10:
        name, code = kind.v10_name, kind.v10_code
        payload = {name: {"code": code, "message": kind.message, "detail": detail}}
        xml = (
            f'<{name} code="{code}" xmlns="{NS10}"><message>{message}</message>'
            f"<detail>{detail_x}</detail></{name}>"
        )
        return Expected(f"{code} {name}", payload, xml.encode(errors="replace"))
    error = {"type": kind.v11_type, "message": kind.message, "detail": detail}
    xml = (
        f'<QuantumError xmlns="{NS11}"><type>{kind.v11_type}</type>'
        f"<message>{message}</message><detail>{detail_x}</detail></QuantumError>"
    )
    return Expected(
        kind.v11_status, {"QuantumError": error}, xml.encode(errors="replace")
    )


def invalid_body(version: Version, detail: str) -> Expected:
    """Family B (§10.2)."""
    detail_x = _xml_text(detail)
    if version is V10:
        payload = {
            "Bad Request": {"code": 400, "message": GENERIC_400, "detail": detail}
        }
        xml = (
            f'<Bad Request code="400" xmlns="{NS10}"><message>{GENERIC_400}</message>'
            f"<detail>{detail_x}</detail></Bad Request>"
        )
        return Expected("400 Bad Request", payload, xml.encode(errors="replace"))
    error = {"type": "QuantumServiceFault", "message": GENERIC_400, "detail": detail}
    xml = (
        f'<QuantumError xmlns="{NS11}"><type>QuantumServiceFault</type>'
        f"<message>{GENERIC_400}</message><detail>{detail_x}</detail></QuantumError>"
    )
    return Expected(
        "400 Bad Request", {"QuantumError": error}, xml.encode(errors="replace")
    )


def _error(version: Version, message: str) -> Expected:
    xml = (
        f'<Error code="400" xmlns="{version.xmlns}">'
        f"<message>{message}</message></Error>"
    )
    payload = {"Error": {"code": 400, "message": message}}
    return Expected("400 Bad Request", payload, xml.encode(errors="replace"))


def malformed_body(version: Version) -> Expected:
    """Family C (§10.3)."""
    return _error(version, "Malformed request body")


def missing_body(version: Version) -> Expected:
    """Family D (§10.4)."""
    return _error(version, GENERIC_400)


def assert_fault(response: Response, expected: Expected, fmt: Fmt) -> None:
    assert response.status == expected.status, response.body
    assert response.headers["Content-Type"] == fmt.fault_type
    if fmt is Fmt.XML:
        assert response.body == expected.xml
    else:
        assert json.loads(response.body) == expected.payload


def assert_not_found_page(response: Response) -> None:
    """Family E: WebOb's plain 404 page (§3)."""
    assert response.status == "404 Not Found"
    assert response.headers["Content-Type"] == TEXT_PLAIN
    assert response.body == NOT_FOUND_PAGE


# -- XML ------------------------------------------------------------------------------

LIST_ELEMENTS = {"networks", "ports", "extensions", "versions", "links"}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _namespace(tag: str) -> str | None:
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else None


def _xml_value(node: ET.Element) -> Any:
    name = _local(node.tag)
    children = list(node)
    if name in LIST_ELEMENTS:
        assert not node.attrib, f"list element {name} has attributes"
        return [_xml_value(child) for child in children]
    if not children and not node.attrib:
        return node.text if node.text is not None else {}
    out: dict[str, Any] = dict(node.attrib)
    assert not (node.text or "").strip(), f"{name} mixes text and structure"
    for child in children:
        key = _local(child.tag)
        assert key not in out, f"{name} repeats {key}"
        out[key] = _xml_value(child)
    return out


def parse_xml(raw: bytes) -> tuple[str | None, dict[str, Any]]:
    """(root namespace, body as JSON-like data); attributes and children both map."""
    assert not raw.startswith(b"<?xml"), "no XML declaration expected"
    root = ET.fromstring(raw)  # noqa: S314  # NOTE: trusted, produced by the server
    return _namespace(root.tag), {_local(root.tag): _xml_value(root)}


def xml_element(name: str, value: Any) -> str:
    """Child-element form, as the upstream tests and the library client send XML."""
    if isinstance(value, Mapping):
        inner = "".join(xml_element(k, v) for k, v in value.items())
    else:
        # NOTE: a raw CR would reach the server as LF (XML end-of-line handling).
        inner = _xml_text(str(value)).replace("\r", "&#13;")
    return f"<{name}>{inner}</{name}>"


def xml_body(payload: Mapping[str, Any]) -> bytes:
    ((name, value),) = payload.items()
    return xml_element(name, value).encode()


def as_xml_value(value: Any) -> Any:
    """What a JSON value reads as after an XML round trip (null is written "None")."""
    if isinstance(value, Mapping):
        return {k: as_xml_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_xml_value(v) for v in value]
    return "None" if value is None else value


# -- the client -----------------------------------------------------------------------


class V1:
    """Requests for one tenant in one API version and format."""

    def __init__(
        self,
        api: ApiUnderTest,
        version: Version,
        fmt: Fmt = Fmt.JSON,
        tenant: str = "t1",
    ) -> None:
        self.api = api
        self.version = version
        self.fmt = fmt
        self.tenant = tenant

    def as_tenant(self, tenant: str) -> V1:
        return V1(self.api, self.version, self.fmt, tenant)

    def in_format(self, fmt: Fmt) -> V1:
        return V1(self.api, self.version, fmt, self.tenant)

    @property
    def op_status(self) -> bool:
        return self.version.op_status

    def url(self, rel: str, query: str = "") -> str:
        url = f"{self.version.prefix}/tenants/{self.tenant}{rel}.{self.fmt}"
        return f"{url}?{query}" if query else url

    def encode(self, body: Mapping[str, Any] | str | bytes) -> bytes:
        if isinstance(body, bytes):
            return body
        if isinstance(body, str):
            return body.encode()
        if self.fmt is Fmt.XML:
            return xml_body(body)
        return json.dumps(body).encode()

    def call(
        self,
        method: str,
        rel: str,
        body: Mapping[str, Any] | str | bytes | None = None,
        query: str = "",
    ) -> Response:
        headers = {"Accept": self.fmt.media_type}
        if body is not None:
            headers["Content-Type"] = self.fmt.media_type
        raw = None if body is None else self.encode(body)
        return self.api.request(method, self.url(rel, query), raw, headers)

    def get(self, rel: str, query: str = "") -> Response:
        return self.call("GET", rel, query=query)

    def data(self, response: Response) -> Any:
        """The decoded body of a success response, checking format and namespace."""
        assert response.headers["Content-Type"] == self.fmt.media_type
        if self.fmt is Fmt.XML:
            namespace, value = parse_xml(response.body)
            assert namespace == self.version.xmlns
            return value
        return json.loads(response.body)

    def ok(self, response: Response, status: str = "200 OK") -> Any:
        assert response.status == status, response.body
        return self.data(response)

    def expect(self, value: Any) -> Any:
        """``value`` as this client's format shows it."""
        return as_xml_value(value) if self.fmt is Fmt.XML else value

    def fault(self, response: Response, expected: Expected) -> None:
        assert_fault(response, expected, self.fmt)

    def fails_with(self, response: Response, kind: Domain, detail: str) -> None:
        self.fault(response, domain_fault(kind, self.version, detail))

    # -- shortcuts that assert success ------------------------------------------------

    def create_network(self, name: str | None = "net") -> str:
        response = self.call("POST", "/networks", {"network": {"name": name}})
        body = self.ok(response, self.version.create_status)
        (net_id,) = body["network"].values()
        return str(net_id)

    def create_port(self, net: str, state: str | None = None) -> str:
        body = None if state is None else {"port": {"state": state}}
        response = self.call("POST", f"/networks/{net}/ports", body)
        (port_id,) = self.ok(response, self.version.create_status)["port"].values()
        return str(port_id)

    def plug(self, net: str, port: str, attachment: str) -> None:
        rel = f"/networks/{net}/ports/{port}/attachment"
        response = self.call("PUT", rel, {"attachment": {"id": attachment}})
        assert response.status == "204 No Content", response.body

    def network(self, net: str) -> Any:
        return self.ok(self.get(f"/networks/{net}/detail"))["network"]

    def port(self, net: str, port: str) -> Any:
        return self.ok(self.get(f"/networks/{net}/ports/{port}/detail"))["port"]

    def network_ids(self, query: str = "") -> list[str]:
        nets = self.ok(self.get("/networks", query))["networks"]
        return sorted(n["id"] for n in nets)

    def port_ids(self, net: str, query: str = "") -> list[str]:
        ports = self.ok(self.get(f"/networks/{net}/ports", query))["ports"]
        return sorted(p["id"] for p in ports)
