# SPDX-License-Identifier: Apache-2.0
"""Defects the fuzzer (tests/api/test_fuzz.py) found, each minimised to one request.

A test marked xfail(strict=True) reproduces a defect that is not fixed yet; when the
fix lands it passes, strict xfail fails the suite, and the mark must go. The fuzzer
probes the same defects (``KNOWN_DEFECTS``) and avoids their inputs meanwhile.
"""

from __future__ import annotations

import json

import pytest
from defusedxml import ElementTree as SafeET

from tests.api.v1client import FAKE_ONLY
from tests.conftest import ApiUnderTest

V11 = "/v1.1/tenants/regress"
JSON_BODY = {"Content-Type": "application/json"}
ROUTING_404 = b"404 Not Found\n\nThe resource could not be found.\n\n   "


def _network(api: ApiUnderTest) -> str:
    created = api.post(f"{V11}/networks", {"network": {"name": "n"}})
    assert created.status_int == 202
    return str(created.json["network"]["id"])


@FAKE_ONLY
@pytest.mark.parametrize("path", ["/networks?name=%FF", "/networks/detail?%C3=1"])
def test_list_with_undecodable_query_string_is_not_a_server_error(
    api: ApiUnderTest, path: str
) -> None:
    """Found: 500, a UnicodeDecodeError from WebOb's query parsing. Spec §9: filters
    never cause errors."""
    _network(api)
    response = api.get(V11 + path)
    assert response.status_int == 200
    assert response.json == {"networks": []}


def test_lone_surrogate_in_json_name_is_refused_not_stored(api: ApiUnderTest) -> None:
    """Found: SQL plugins 500 (the driver cannot encode it); the fake plugin stored it,
    and then every list of the tenant raised UnicodeEncodeError out of the app."""
    response = api.request(
        "POST", f"{V11}/networks", b'{"network": {"name": "\\ud800"}}', JSON_BODY
    )
    assert response.status_int == 400
    assert response.json["QuantumError"]["type"] == "QuantumServiceFault"
    listed = api.get(f"{V11}/networks/detail")
    assert listed.status_int == 200
    assert listed.json == {"networks": []}


@FAKE_ONLY
@pytest.mark.parametrize("suffix", ["", ".xml"])
def test_lone_surrogate_as_port_state_is_a_400(api: ApiUnderTest, suffix: str) -> None:
    """Found: the StateInvalid fault echoes the state in its detail, and encoding that
    as UTF-8 raised UnicodeEncodeError out of the app (no response at all)."""
    net = _network(api)
    response = api.request(
        "POST",
        f"{V11}/networks/{net}/ports{suffix}",
        b'{"port": {"state": "\\udfff"}}',
        JSON_BODY,
    )
    assert response.status_int == 400
    if suffix:
        SafeET.fromstring(response.body)  # the body is XML; JSON is malformed there
    else:
        assert (
            json.loads(response.body)["QuantumError"]["type"] == "RequestedStateInvalid"
        )
    assert api.get(f"{V11}/networks/{net}/ports").json == {"ports": []}


@FAKE_ONLY
def test_xml_fault_for_id_with_control_character_is_well_formed(
    api: ApiUnderTest,
) -> None:
    """Found: GET .../networks/a%01b.xml answered a fault whose XML carried a raw
    U+0001, which no XML parser accepts. XML 1.0 cannot carry it at all."""
    response = api.get(f"{V11}/networks/a%01b.xml")
    assert response.status_int == 404
    root = SafeET.fromstring(response.body)
    detail = root.find("{http://openstack.org/quantum/api/v1.1}detail")
    assert detail is not None
    assert detail.text == "Network a\ufffdb could not be found"


@FAKE_ONLY
def test_name_with_control_character_never_breaks_xml(api: ApiUnderTest) -> None:
    """Found: a name with U+0001 sent as JSON was stored, and from then on every XML
    list of the tenant was not well-formed. Refusing it (400) is one cure."""
    created = api.request(
        "POST", f"{V11}/networks", b'{"network": {"name": "a\\u0001b"}}', JSON_BODY
    )
    assert created.status_int in (202, 400)
    listed = api.get(f"{V11}/networks/detail.xml")
    assert listed.status_int == 200
    SafeET.fromstring(listed.body)


@FAKE_ONLY
def test_deeply_nested_xml_body_is_a_400(api: ApiUnderTest) -> None:
    """Found: 500, RecursionError while turning a 5000-deep (well-formed) XML body into
    fields. Spec §5.3: a body that cannot be read is a 400."""
    body = b"<network>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</network>"
    response = api.request("POST", f"{V11}/networks.xml", body)
    assert response.status_int == 400
    SafeET.fromstring(response.body)


@FAKE_ONLY
@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/%FF", "application/json"), ("/a%FF.xml", "application/xml")],
)
def test_versions_document_for_undecodable_path(
    api: ApiUnderTest, path: str, content_type: str
) -> None:
    """Found: UnicodeDecodeError out of the versions app for a path that is not UTF-8.
    Spec §1: every path outside /v1.0 and /v1.1 answers the versions document; the
    suffix still chooses the format."""
    response = api.get(path)
    assert response.status_int == 200
    assert response.content_type == content_type


@FAKE_ONLY
def test_options_asterisk_is_not_a_server_error(api: ApiUnderTest) -> None:
    """Found: ``OPTIONS *`` (asterisk-form, RFC 9112 §3.2.4) reaches the app with
    PATH_INFO ``*``. Spec §1: anything outside /v1.0 and /v1.1, any method, gets the
    versions document."""
    response = api.request("OPTIONS", "*")
    assert response.status_int == 200
    assert response.json["versions"][0]["id"] == "v1.0"


@FAKE_ONLY
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_trailing_newline_in_last_segment_is_a_routing_miss(
    api: ApiUnderTest, method: str
) -> None:
    """Found: ``/networks%0A`` was served as ``/networks`` (Routes anchors with ``$``,
    which matches before a final newline), so a POST created a network."""
    body = {"network": {"name": "n"}} if method == "POST" else None
    response = api.request(method, f"{V11}/networks%0A", body)
    assert response.status_int == 404
    assert response.body == ROUTING_404
    assert api.get(f"{V11}/networks").json == {"networks": []}


@pytest.mark.parametrize(
    "path", ["/v1.1/tenants/a%00b/networks", f"{V11}/networks/a%00b/detail"]
)
def test_nul_in_url_ids_is_not_a_server_error(api: ApiUnderTest, path: str) -> None:
    """Probed on every back-end: PostgreSQL refuses NUL in a text parameter, which was
    a 500. A NUL id matches nothing."""
    response = api.get(path)
    assert response.status_int in (200, 404)
    assert response.status_int == 200 or response.json["QuantumError"]["type"] == (
        "NetworkNotFound"
    )
