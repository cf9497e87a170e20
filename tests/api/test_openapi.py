# SPDX-License-Identifier: Apache-2.0
"""etc/openapi/quantum-v1.1.yaml against the router and the running app.

Both directions: every route of ``ROUTES`` is documented under its operation id, and
every documented path and method is served (a Quantum response whose status and JSON
body the document allows, never the plain routing-miss page), while the methods it
leaves out of a documented path are routing misses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from defusedxml import ElementTree as SafeET

from quantum.api.v1.router import NOT_FOUND_BODY, ROUTES
from tests.api import contract
from tests.api.v1client import FAKE_ONLY
from tests.conftest import ApiUnderTest

V11 = contract.base_path()
ALL_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")


def _core_operations() -> list[contract.Operation]:
    return [op for op in contract.operations() if op.template.startswith("/tenants/")]


def _walk(node: Any) -> list[Any]:
    found = [node]
    if isinstance(node, dict):
        for value in node.values():
            found.extend(_walk(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_walk(value))
    return found


# -- the document on its own ----------------------------------------------------------


def test_document_is_openapi_3_0_with_resolvable_references() -> None:
    doc = contract.document()
    assert doc["openapi"].startswith("3.0.")
    assert V11 == "/v1.1"
    for node in _walk(doc):
        if isinstance(node, dict) and "$ref" in node:
            contract.resolve(node)  # raises KeyError when dangling
    ids = [op.operation_id for op in contract.operations()]
    assert len(ids) == len(set(ids))
    for op in contract.operations():
        assert op.spec["responses"], op
        for response in op.spec["responses"].values():
            assert contract.resolve(response)["description"]


def _media_examples() -> list[tuple[str, str, Any, Any]]:
    """(where, media type, schema, example) for every example in the document."""
    found = []
    for node in _walk(contract.document()):
        if not isinstance(node, dict) or "content" not in node:
            continue
        for media_type, media in node["content"].items():
            examples = [media["example"]] if "example" in media else []
            examples += [e["value"] for e in media.get("examples", {}).values()]
            where = str(node.get("description", ""))
            found += [(where, media_type, media.get("schema"), e) for e in examples]
    return found


def test_every_example_matches_its_schema_or_parses_as_xml() -> None:
    examples = _media_examples()
    assert len(examples) > 30
    for where, media_type, schema, example in examples:
        if media_type == "application/xml":
            root = SafeET.fromstring(example.encode())
            assert root.tag, where
        elif schema is not None:
            assert contract.schema_errors(example, schema) == [], (where, example)


def test_xml_request_bodies_say_how_a_valid_body_is_written() -> None:
    # NOTE: a schema-driven client (schemathesis) writes XML from the schema: its
    # root is the JSON wrapper key and the fields are attributes, as the examples.
    bodies = [op for op in _core_operations() if "requestBody" in op.spec]
    assert len(bodies) == 5
    for op in bodies:
        content = contract.resolve(op.spec["requestBody"])["content"]
        wrapper = contract.resolve(content["application/json"]["schema"])["required"]
        xml = content["application/xml"]
        schema = contract.resolve(xml["schema"])
        assert [schema["xml"]["name"]] == wrapper, op.operation_id
        assert SafeET.fromstring(xml["example"]).tag == wrapper[0]
        fields = contract.resolve(
            contract.resolve(content["application/json"]["schema"])["properties"][
                wrapper[0]
            ]
        )["properties"]
        assert set(schema["properties"]) == set(fields), op.operation_id


def test_every_operation_that_can_miss_its_route_declares_the_plain_404() -> None:
    for op in _core_operations():
        declared = op.response(404)
        assert declared is not None, op.operation_id
        assert "text/plain" in contract.resolve(declared)["content"], op.operation_id


@FAKE_ONLY
@pytest.mark.parametrize(
    "path",
    ["/tenants//networks", "/tenants/t/networks/%0A", "/tenants/t/networks/n/ports/"],
)
def test_a_routing_miss_is_the_plain_404_the_document_declares(
    api: ApiUnderTest, path: str
) -> None:
    response = api.get(V11 + path)
    assert (response.status_int, response.body) == (404, NOT_FOUND_BODY)
    # NOTE: the operation the client meant: the same path with the part filled in.
    meant = path.replace("%0A", "x").replace("//", "/t/").rstrip("/")
    op = contract.matching("GET", meant)
    assert op, path
    assert response.content_type in contract.resolve(op[0].response(404))["content"]


def test_every_router_route_is_documented_and_nothing_else() -> None:
    # NOTE: ROUTES use Routes' ``{name}`` templates, which are OpenAPI's syntax too.
    routed = {
        (method, path): operation
        for method, path, operation in ROUTES
        if operation is not None
    }
    documented = {
        (op.method, op.template): op.operation_id for op in _core_operations()
    }
    assert documented == routed
    # NOTE: the rows without an operation (Rails-style ``new``) are routing misses.
    unrouted = {p for _, p, operation in ROUTES if operation is None}
    assert not unrouted & {template for _, template in documented}


def test_extension_discovery_is_documented() -> None:
    ids = {op.operation_id for op in contract.operations()}
    assert {"list_extensions", "show_extension"} <= ids


# -- the document against the live app ------------------------------------------------


class Fixture:
    """A tenant with a network holding a plugged and an unplugged port."""

    def __init__(self, api: ApiUnderTest) -> None:
        self.api = api
        self.tenant = "openapi-tenant"
        base = f"{V11}/tenants/{self.tenant}/networks"
        self.network = api.post(base, {"network": {"name": "n1"}}).json["network"]["id"]
        ports = f"{base}/{self.network}/ports"
        self.plugged = api.post(ports, {"port": {"state": "ACTIVE"}}).json["port"]["id"]
        self.port = api.post(ports, {"port": {}}).json["port"]["id"]
        plugged = api.put(
            f"{ports}/{self.plugged}/attachment", {"attachment": {"id": "openapi-vif"}}
        )
        assert plugged.status_int == 204
        self.unplugged_network = api.post(base, {"network": {"name": "n2"}}).json[
            "network"
        ]["id"]

    def url(self, template: str, **overrides: str) -> str:
        values = {
            "tenant_id": self.tenant,
            "network_id": self.network,
            "port_id": self.port,
            "alias": "no-such-extension",
            **overrides,
        }
        return V11 + re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template)


def _request_example(op: contract.Operation) -> bytes | None:
    body = op.spec.get("requestBody")
    if body is None:
        return None
    media = contract.resolve(body)["content"]["application/json"]
    return json.dumps(media["example"]).encode()


def _check_served(op: contract.Operation, response: Any) -> None:
    assert response.body != NOT_FOUND_BODY, f"{op.method} {op.template} is not routed"
    assert op.response(response.status_int) is not None, (
        f"{op.method} {op.template} answered undocumented {response.status}"
    )
    schema = op.json_schema(response.status_int)
    if response.body and response.content_type == "application/json":
        assert schema is not None, f"{op.operation_id} {response.status} has no schema"
        assert contract.schema_errors(json.loads(response.body), schema) == []
    documented = contract.resolve(op.response(response.status_int)).get("content", {})
    if response.body:
        assert response.content_type in documented, (op.operation_id, response.status)


@pytest.mark.parametrize("op", contract.operations(), ids=lambda op: op.operation_id)
def test_documented_operation_is_served_as_documented(
    api: ApiUnderTest, op: contract.Operation
) -> None:
    fixture = Fixture(api)
    # NOTE: the port is the unplugged one and the deleted network has nothing plugged,
    # so every operation succeeds.
    overrides = {}
    if op.operation_id == "delete_network":
        overrides["network_id"] = fixture.unplugged_network
    response = api.request(
        op.method,
        fixture.url(op.template, **overrides),
        _request_example(op),
        {"Content-Type": "application/json"},
    )
    _check_served(op, response)
    assert response.status_int < 300 or op.operation_id == "show_extension"


FAILING_CALLS: list[tuple[str, Callable[[Fixture], dict[str, str]]]] = [
    ("unknown network", lambda f: {"network_id": "no-such-network"}),
    ("unknown port", lambda f: {"port_id": "no-such-port"}),
    ("foreign tenant", lambda f: {"tenant_id": "someone-else"}),
    ("plugged port", lambda f: {"port_id": f.plugged}),
]


@FAKE_ONLY
@pytest.mark.parametrize("case", FAILING_CALLS, ids=lambda c: c[0])
@pytest.mark.parametrize("op", _core_operations(), ids=lambda op: op.operation_id)
def test_documented_faults_are_the_ones_served(
    api: ApiUnderTest,
    op: contract.Operation,
    case: tuple[str, Callable[[Fixture], dict[str, str]]],
) -> None:
    fixture = Fixture(api)
    _, overrides = case
    response = api.request(
        op.method,
        fixture.url(op.template, **overrides(fixture)),
        _request_example(op),
        {"Content-Type": "application/json"},
    )
    _check_served(op, response)


@FAKE_ONLY
@pytest.mark.parametrize(
    "body",
    [
        None,
        b"{",
        b"[1]",
        b'{"wrong": {}}',
        b'{"network": {}, "port": "x", "attachment": 1}',
    ],
)
@pytest.mark.parametrize(
    "op",
    [op for op in _core_operations() if "requestBody" in op.spec],
    ids=lambda op: op.operation_id,
)
def test_documented_body_faults_are_the_ones_served(
    api: ApiUnderTest, op: contract.Operation, body: bytes | None
) -> None:
    fixture = Fixture(api)
    response = api.request(
        op.method, fixture.url(op.template), body, {"Content-Type": "application/json"}
    )
    _check_served(op, response)


TEMPLATES = sorted({op.template for op in contract.operations()})


@FAKE_ONLY
@pytest.mark.parametrize("template", TEMPLATES)
def test_undocumented_methods_are_routing_misses(
    api: ApiUnderTest, template: str
) -> None:
    fixture = Fixture(api)
    url = fixture.url(template)
    for method in ALL_METHODS:
        response = api.request(method, url)
        # NOTE: PUT .../networks/detail is the member URL with the id "detail".
        if contract.matching(method, url.removeprefix(V11)):
            assert response.body != NOT_FOUND_BODY, (method, template)
            continue
        assert response.status_int == 404, (method, template)
        expected = b"" if method == "HEAD" else NOT_FOUND_BODY
        assert response.body == expected, (method, template)


@FAKE_ONLY
@pytest.mark.parametrize("suffix", [".json", ".xml"])
@pytest.mark.parametrize(
    "op",
    [op for op in contract.operations() if op.method == "GET"],
    ids=lambda op: op.operation_id,
)
def test_format_suffix_variants_are_served(
    api: ApiUnderTest, op: contract.Operation, suffix: str
) -> None:
    fixture = Fixture(api)
    response = api.get(fixture.url(op.template) + suffix)
    assert response.body != NOT_FOUND_BODY
    assert op.response(response.status_int) is not None
    if response.status_int == 200:
        expected = "application/xml" if suffix == ".xml" else "application/json"
        assert response.content_type == expected
        if suffix == ".xml":
            SafeET.fromstring(response.body)
        else:
            json.loads(response.body)
