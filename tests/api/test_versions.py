# SPDX-License-Identifier: Apache-2.0
"""The versions document (spec §1.1), served for every path outside the versions."""

from __future__ import annotations

import pytest
from webob import Request, Response

from tests.api.v1client import FAKE_ONLY
from tests.conftest import ApiUnderTest

pytestmark = FAKE_ONLY


def _doc(base: str) -> dict[str, object]:
    return {
        "versions": [
            {
                "id": "v1.0",
                "status": "CURRENT",
                "links": [{"rel": "self", "href": f"{base}/v1.0"}],
            },
            {
                "id": "v1.1",
                "status": "PROPOSED",
                "links": [{"rel": "self", "href": f"{base}/v1.1"}],
            },
            {
                "id": "v2.0",
                "status": "CURRENT",
                "links": [{"rel": "self", "href": f"{base}/v2.0/"}],
            },
        ]
    }


def _xml(base: str) -> bytes:
    return (
        '<versions><version id="v1.0" status="CURRENT"><links>'
        f'<link href="{base}/v1.0" rel="self"/></links></version>'
        '<version id="v1.1" status="PROPOSED"><links>'
        f'<link href="{base}/v1.1" rel="self"/></links></version>'
        '<version id="v2.0" status="CURRENT"><links>'
        f'<link href="{base}/v2.0/" rel="self"/></links></version></versions>'
    ).encode()


def _get(api: ApiUnderTest, path: str, method: str = "GET", **headers: str) -> Response:
    headers.setdefault("Host", "quantum.example.com:9696")
    return api.request(method, path, None, headers)


PATHS = [
    "/%FF",
    "/v1.0%FF/tenants",
    "/",
    "",
    "/foo/bar",
    "/v1.2/tenants/x/networks",
    "/v2.1/networks",
    "/v2.0x",
    "/v1.0x/a",
    "/V1.0",
]


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_json_document_on_any_path_and_method(
    api: ApiUnderTest, path: str, method: str
) -> None:
    response = _get(api, path, method)
    assert response.status == "200 OK"
    assert response.headers["Content-Type"] == "application/json; charset=UTF-8"
    assert response.json == _doc("http://quantum.example.com:9696")


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/.xml", {}),
        ("/foo/bar.xml", {}),
        ("/", {"Accept": "application/xml"}),
        ("/", {"Content-Type": "application/xml"}),
        ("/x", {"Content-Type": "application/xml", "Accept": "application/json"}),
    ],
)
def test_xml_document(api: ApiUnderTest, path: str, headers: dict[str, str]) -> None:
    response = _get(api, path, **headers)
    assert response.status == "200 OK"
    assert response.headers["Content-Type"] == "application/xml; charset=UTF-8"
    assert response.body == _xml("http://quantum.example.com:9696")


def test_suffix_and_content_type_beat_accept(api: ApiUnderTest) -> None:
    for path, headers in (
        ("/.json", {"Accept": "application/xml"}),
        ("/", {"Content-Type": "application/json", "Accept": "application/xml"}),
        ("/", {"Accept": "text/html"}),
    ):
        response = _get(api, path, **headers)
        assert response.headers["Content-Type"] == "application/json; charset=UTF-8"


def test_links_follow_the_request_not_the_configuration(api: ApiUnderTest) -> None:
    assert _get(api, "/", Host="10.0.0.5").json == _doc("http://10.0.0.5")
    request = Request.blank("/", base_url="https://api.example.org:8443/network")
    response = request.get_response(api.client.app)
    assert response.json == _doc("https://api.example.org:8443/network")


def test_head(api: ApiUnderTest) -> None:
    response = _get(api, "/anything", "HEAD")
    assert response.status == "200 OK"
    assert response.body == b""
