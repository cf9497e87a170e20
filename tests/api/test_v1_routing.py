# SPDX-License-Identifier: Apache-2.0
"""The URL table (spec §3, §1): every route under both prefixes; suffixes; misses."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.v1client import (
    FAKE_ONLY,
    NETWORK_NOT_FOUND,
    V1,
    Fmt,
    Version,
    assert_not_found_page,
    xml_body,
)
from tests.conftest import ApiUnderTest

pytestmark = FAKE_ONLY

NETWORK = "/networks/{net}"
PORT = "/networks/{net}/ports/{port}"

# (method, path after the tenant, body, success status; None = create status)
ROUTES: list[tuple[str, str, dict[str, Any] | None, str | None]] = [
    ("GET", "/networks", None, "200 OK"),
    ("GET", "/networks/detail", None, "200 OK"),
    ("POST", "/networks", {"network": {"name": "n"}}, None),
    ("GET", NETWORK, None, "200 OK"),
    ("GET", NETWORK + "/detail", None, "200 OK"),
    ("PUT", NETWORK, {"network": {"name": "n2"}}, "204 No Content"),
    ("DELETE", NETWORK, None, "204 No Content"),
    ("GET", NETWORK + "/ports", None, "200 OK"),
    ("GET", NETWORK + "/ports/detail", None, "200 OK"),
    ("POST", NETWORK + "/ports", {"port": {"state": "ACTIVE"}}, None),
    ("GET", PORT, None, "200 OK"),
    ("GET", PORT + "/detail", None, "200 OK"),
    ("PUT", PORT, {"port": {"state": "ACTIVE"}}, "204 No Content"),
    ("DELETE", PORT, None, "204 No Content"),
    ("GET", PORT + "/attachment", None, "200 OK"),
    ("PUT", PORT + "/attachment", {"attachment": {"id": "vif-9"}}, "204 No Content"),
    ("DELETE", PORT + "/attachment", None, "204 No Content"),
]


def _fixture(api: ApiUnderTest, version: Version) -> tuple[str, str]:
    v = V1(api, version)
    net = v.create_network()
    return net, v.create_port(net)


@pytest.mark.parametrize("suffix", ["", ".json", ".xml"])
@pytest.mark.parametrize(
    ("method", "path", "body", "status"), ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES]
)
def test_every_route_with_an_optional_format_suffix(
    api: ApiUnderTest,
    version: Version,
    suffix: str,
    method: str,
    path: str,
    body: dict[str, Any] | None,
    status: str | None,
) -> None:
    net, port = _fixture(api, version)
    url = f"{version.prefix}/tenants/t1{path.format(net=net, port=port)}{suffix}"
    fmt = Fmt.XML if suffix == ".xml" else Fmt.JSON
    raw = None if body is None else (xml_body(body) if fmt is Fmt.XML else body)
    response = api.request(method, url, raw)
    assert response.status == (status or version.create_status), response.body
    assert response.headers["Content-Type"] == fmt.media_type
    if status == "204 No Content":
        assert response.body == b""
    else:
        assert response.body.startswith(b"<" if fmt is Fmt.XML else b"{")


def test_any_suffix_is_stripped_from_the_last_segment(
    api: ApiUnderTest, version: Version
) -> None:
    net, port = _fixture(api, version)
    base = f"{version.prefix}/tenants/t1/networks"
    listed = api.get(f"{base}.yaml")
    assert listed.headers["Content-Type"] == "application/json"
    assert listed.json == {"networks": [{"id": net}]}
    assert api.get(f"{base}.yaml", Accept="application/xml").body.startswith(
        b"<networks"
    )
    # so an id with a dot in the last segment is cut at the dot
    assert api.get(f"{base}/{net}.anything").json["network"]["id"] == net
    assert api.get(f"{base}/{net}/ports/{port}.v2").json["port"]["id"] == port
    V1(api, version).fails_with(
        api.get(f"{base}/{net}x.y"),
        NETWORK_NOT_FOUND,
        f"Network {net}x could not be found",
    )


def test_detail_is_never_taken_for_an_id(api: ApiUnderTest, version: Version) -> None:
    net, port = _fixture(api, version)
    base = f"{version.prefix}/tenants/t1/networks"
    assert api.get(f"{base}/detail").json["networks"][0].keys() >= {"id", "name"}
    ports = api.get(f"{base}/{net}/ports/detail").json["ports"]
    assert ports[0].keys() >= {"id", "state"}
    v = V1(api, version)
    v.fails_with(
        v.call("PUT", "/networks/detail", {"network": {"name": "x"}}),
        NETWORK_NOT_FOUND,
        "Network detail could not be found",
    )


def _misses(net: str, port: str) -> list[tuple[str, str]]:
    n, p = f"/networks/{net}", f"/networks/{net}/ports/{port}"
    return [
        # trailing slashes
        ("GET", "/networks/"),
        ("GET", "/networks/detail/"),
        ("GET", f"{n}/"),
        ("GET", f"{n}/ports/"),
        ("GET", f"{p}/"),
        ("GET", f"{p}/attachment/"),
        ("POST", "/networks/"),
        # verbs not mapped for a path
        ("PUT", "/networks"),
        ("DELETE", "/networks"),
        ("POST", n),
        ("POST", f"{n}/detail"),
        ("PUT", f"{n}/ports"),
        ("DELETE", f"{n}/ports"),
        ("POST", p),
        ("POST", f"{p}/attachment"),
        ("POST", f"{p}/detail"),
        ("DELETE", f"{p}/detail"),
        ("PATCH", "/networks"),
        ("PATCH", n),
        ("PATCH", p),
        ("PATCH", f"{p}/attachment"),
        ("OPTIONS", "/networks"),
        ("OPTIONS", n),
        ("TRACE", n),
        # Rails-style paths the original router knew but could not serve
        ("GET", "/networks/new"),
        ("GET", f"{n}/edit"),
        ("GET", f"{n}/ports/new"),
        ("GET", f"{p}/edit"),
        ("POST", "/networks/new"),
        # nothing there
        ("GET", ""),
        ("GET", "/networks/x/y"),
        ("GET", f"{p}/attachment/detail"),
        ("GET", f"{p}/attachment/x"),
        ("GET", f"{p}/stats"),
        ("GET", f"{n}/ports/{port}/detail/x"),
    ]


@pytest.mark.parametrize("suffix", ["", ".json", ".xml"])
def test_unrouted_requests_get_the_plain_404_page(
    api: ApiUnderTest, version: Version, suffix: str
) -> None:
    net, port = _fixture(api, version)
    v = V1(api, version)
    before = v.network(net)
    for method, path in _misses(net, port):
        url = f"{version.prefix}/tenants/t1{path}"
        if suffix and not url.endswith("/"):
            url += suffix
        for headers in ({}, {"Accept": "application/xml"}):
            response = api.request(method, url, b'{"network": {"name": "x"}}', headers)
            assert response.status == "404 Not Found", (method, url)
            assert_not_found_page(response)
    assert v.network(net) == before
    assert v.network_ids() == [net]


@pytest.mark.parametrize(
    "path",
    [
        "",
        "/",
        "/tenants",
        "/tenants/",
        "/tenants/t1",
        "/tenants/t1/",
        "/tenants/t1/ports",
        "/networks",
        "/t1/networks",
        "/tenants/t1/networks.json/",
    ],
)
def test_paths_outside_the_table(
    api: ApiUnderTest, version: Version, path: str
) -> None:
    for method in ("GET", "POST"):
        assert_not_found_page(api.request(method, version.prefix + path))


def test_head_is_not_mapped(api: ApiUnderTest, version: Version) -> None:
    net, port = _fixture(api, version)
    for path in (
        "/networks",
        f"/networks/{net}",
        f"/networks/{net}/ports/{port}",
        f"/networks/{net}/ports/{port}/attachment",
        "/networks/missing",
    ):
        response = api.request("HEAD", f"{version.prefix}/tenants/t1{path}")
        assert response.status == "404 Not Found"
        assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
        assert response.body == b""


def test_a_path_ending_in_a_newline_is_never_routed(
    api: ApiUnderTest, version: Version
) -> None:
    base = f"{version.prefix}/tenants/t1/networks"
    for tail in ("%0A", "/ID/ports%0A", "/detail%0A", "/ID%0A"):
        assert_not_found_page(api.get(base + tail))


def test_undecodable_paths_are_routing_misses(
    api: ApiUnderTest, version: Version
) -> None:
    for path in ("/tenants/%FF/networks", "/tenants/t1/networks/%FF", "/%FF"):
        assert_not_found_page(api.get(version.prefix + path))


# -- Routes' method override (POST only) -----------------------------------------------


def _op(v: V1) -> dict[str, str]:
    return {"op-status": "UP"} if v.op_status else {}


def test_post_with_method_put_renames_as_the_original_did(
    api: ApiUnderTest, version: Version
) -> None:
    net, _ = _fixture(api, version)
    v = V1(api, version)
    url = f"{version.prefix}/tenants/t1/networks/{net}"
    body = b'{"network": {"name": "renamed"}}'
    for ctype in ("application/json", "application/x-www-form-urlencoded"):
        response = api.request(
            "POST", url + "?_method=PUT", body, {"Content-Type": ctype}
        )
        assert response.status == "204 No Content", response.body
        assert v.network(net)["name"] == "renamed"
        v.call("PUT", f"/networks/{net}", {"network": {"name": "net"}})
    # NOTE: the last _method wins, in any case; ";" separates as "&" does
    response = api.request("POST", url + "?_method=GET;_method=put", body)
    assert response.status == "204 No Content"
    assert v.network(net)["name"] == "renamed"


def test_post_with_method_delete_deletes(api: ApiUnderTest, version: Version) -> None:
    net, port = _fixture(api, version)
    v = V1(api, version)
    url = f"{version.prefix}/tenants/t1/networks/{net}/ports/{port}?_method=DELETE"
    assert api.request("POST", url).status == "204 No Content"
    assert v.port_ids(net) == []


def test_a_get_with_method_never_changes_anything(
    api: ApiUnderTest, version: Version
) -> None:
    net, port = _fixture(api, version)
    v = V1(api, version)
    before = v.network(net)
    base = f"{version.prefix}/tenants/t1/networks/{net}"
    for method in ("DELETE", "PUT", "POST"):
        response = api.request("GET", f"{base}?_method={method}")
        assert response.status == "200 OK"
        assert response.json == {"network": {"id": net, "name": "net", **_op(v)}}
        shown = api.request("GET", f"{base}/ports/{port}?_method={method}")
        assert shown.status == "200 OK"
    body = b'{"network": {"name": "p"}}'
    renamed = api.request("PUT", f"{base}?_method=DELETE", body)
    assert renamed.status == "204 No Content"
    assert v.network(net) == {**before, "name": "p"}  # NOTE: PUT stays a PUT
    # NOTE: positive control: the same override on a POST does delete
    assert api.request("POST", f"{base}?_method=DELETE").status == "204 No Content"
    assert v.network_ids() == []


def test_an_empty_method_override_matches_no_route(
    api: ApiUnderTest, version: Version
) -> None:
    _fixture(api, version)
    response = api.request(
        "POST",
        f"{version.prefix}/tenants/t1/networks?_method=",
        b'{"network": {"name": "x"}}',
    )
    assert_not_found_page(response)
    assert len(V1(api, version).network_ids()) == 1


def test_a_form_post_can_name_its_method(api: ApiUnderTest, version: Version) -> None:
    net, _ = _fixture(api, version)
    v = V1(api, version)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    url = f"{version.prefix}/tenants/t1/networks/{net}"
    response = api.request("POST", url, b"_method=DELETE", form)
    assert response.status == "204 No Content"
    assert v.network_ids() == []


# -- the 404 page in HTML --------------------------------------------------------------


HTML_404 = (
    b"<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n"
    b"  <h1>404 Not Found</h1>\n  The resource could not be found.<br /><br />\n"
    b"\n\n\n </body>\n</html>"
)


@pytest.mark.parametrize(
    "accept", ["text/html", "text/html,application/xhtml+xml,*/*;q=0.8", "*/*"]
)
def test_the_404_page_is_html_for_clients_accepting_it(
    api: ApiUnderTest, version: Version, accept: str
) -> None:
    # NOTE: WebOb 1.0.8, under the original, wrote HTML whenever Accept named html
    # or */*; the text page otherwise (no Accept, application/json...).
    net, _ = _fixture(api, version)
    for path in ("/networks/", f"/networks/{net}/", "/networks/new", "/nothing"):
        url = f"{version.prefix}/tenants/t1{path}"
        response = api.request("GET", url, None, {"Accept": accept})
        assert response.status == "404 Not Found"
        assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
        assert response.body == HTML_404
        for other in ({}, {"Accept": "application/json"}, {"Accept": "text/*"}):
            assert_not_found_page(api.request("GET", url, None, other))
