# SPDX-License-Identifier: Apache-2.0
"""Content negotiation (spec §4): suffix, then Content-Type, then Accept, then JSON.

One decision serves body parsing, the response and faults alike.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from webob import Response

from tests.api.v1client import (
    FAKE_ONLY,
    NETWORK_NOT_FOUND,
    Fmt,
    Version,
    assert_fault,
    domain_fault,
    malformed_body,
    parse_xml,
)
from tests.conftest import ApiUnderTest

pytestmark = FAKE_ONLY

XML = "application/xml"
JSON = "application/json"

# (suffix, headers, chosen format)
CHOICES: list[tuple[str, dict[str, str], Fmt]] = [
    ("", {}, Fmt.JSON),
    ("", {"Accept": XML}, Fmt.XML),
    ("", {"Accept": JSON}, Fmt.JSON),
    ("", {"Accept": "*/*"}, Fmt.JSON),
    ("", {"Accept": "text/html"}, Fmt.JSON),
    ("", {"Accept": "text/html, application/xml;q=0.2"}, Fmt.XML),
    ("", {"Accept": "application/xml;q=0.5, application/json;q=0.9"}, Fmt.JSON),
    ("", {"Accept": "application/json;q=0.1, application/xml"}, Fmt.XML),
    ("", {"Content-Type": XML}, Fmt.XML),
    ("", {"Content-Type": "application/xml; charset=UTF-8"}, Fmt.XML),
    ("", {"Content-Type": JSON, "Accept": XML}, Fmt.JSON),
    ("", {"Content-Type": XML, "Accept": JSON}, Fmt.XML),
    ("", {"Content-Type": "text/plain", "Accept": XML}, Fmt.XML),
    ("", {"Content-Type": "text/plain"}, Fmt.JSON),
    (".json", {"Content-Type": XML, "Accept": XML}, Fmt.JSON),
    (".xml", {"Content-Type": JSON, "Accept": JSON}, Fmt.XML),
    (".yaml", {"Accept": XML}, Fmt.XML),
    (".yaml", {}, Fmt.JSON),
]


def _decode(response: Response, fmt: Fmt, version: Version) -> Any:
    if fmt is Fmt.XML:
        namespace, body = parse_xml(response.body)
        assert namespace == version.xmlns
        return body
    return json.loads(response.body)


@pytest.mark.parametrize(("suffix", "headers", "chosen"), CHOICES)
def test_response_format(
    api: ApiUnderTest,
    version: Version,
    suffix: str,
    headers: dict[str, str],
    chosen: Fmt,
) -> None:
    response = api.request(
        "GET", f"{version.prefix}/tenants/t/networks{suffix}", None, headers
    )
    assert response.status == "200 OK"
    assert response.headers["Content-Type"] == chosen.media_type
    assert _decode(response, chosen, version) == {"networks": []}


@pytest.mark.parametrize(("suffix", "headers", "chosen"), CHOICES)
def test_faults_follow_the_same_choice(
    api: ApiUnderTest,
    version: Version,
    suffix: str,
    headers: dict[str, str],
    chosen: Fmt,
) -> None:
    path = f"{version.prefix}/tenants/t/networks/BAD{suffix}"
    detail = "Network BAD could not be found"
    assert_fault(
        api.request("GET", path, None, headers),
        domain_fault(NETWORK_NOT_FOUND, version, detail),
        chosen,
    )


BODIES = {
    Fmt.JSON: b'{"network": {"name": "parsed"}}',
    Fmt.XML: b'<network name="parsed"/>',
}


@pytest.mark.parametrize(
    ("suffix", "headers", "chosen"),
    [c for c in CHOICES if c[1].get("Content-Type", "").startswith("application/")]
    + [
        (".xml", {}, Fmt.XML),
        (".json", {}, Fmt.JSON),
        ("", {"Accept": XML}, Fmt.XML),
        ("", {}, Fmt.JSON),
    ],
)
def test_bodies_are_parsed_in_the_chosen_format(
    api: ApiUnderTest,
    version: Version,
    suffix: str,
    headers: dict[str, str],
    chosen: Fmt,
) -> None:
    base = f"{version.prefix}/tenants/t/networks"
    response = api.request("POST", base + suffix, BODIES[chosen], headers)
    assert response.status == version.create_status
    assert response.headers["Content-Type"] == chosen.media_type
    (net,) = _decode(response, chosen, version)["network"].values()
    shown = api.get(f"{base}/{net}.json")
    assert shown.json["network"]["name"] == "parsed"
    # the other format's body does not decode as the chosen one
    other = Fmt.XML if chosen is Fmt.JSON else Fmt.JSON
    response = api.request("POST", base + suffix, BODIES[other], headers)
    assert_fault(response, malformed_body(version), chosen)


def test_xml_body_to_a_json_url_is_malformed(
    api: ApiUnderTest, version: Version
) -> None:
    base = f"{version.prefix}/tenants/t/networks"
    response = api.post(f"{base}.json", "<network name='x'/>", **{"Content-Type": XML})
    assert_fault(response, malformed_body(version), Fmt.JSON)
    assert api.get(f"{base}.json").json == {"networks": []}


def test_xml_url_without_content_type_reads_xml(
    api: ApiUnderTest, version: Version
) -> None:
    base = f"{version.prefix}/tenants/t/networks"
    response = api.post(f"{base}.xml", "<network><name>x</name></network>")
    assert response.status == version.create_status
    assert response.headers["Content-Type"] == XML
    (net,) = _decode(response, Fmt.XML, version)["network"].values()
    assert api.get(f"{base}/{net}").json["network"]["name"] == "x"
