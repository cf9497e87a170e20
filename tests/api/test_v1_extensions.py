# SPDX-License-Identifier: Apache-2.0
"""Extension discovery (spec §14): listing shape, gating by plugin aliases, misses."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from quantum.api.app import load_app
from quantum.api.extensions import ExtensionDescriptor
from quantum.core.exceptions import ConfigError
from quantum.core.settings import load_settings
from quantum.plugins.fake import FakePlugin
from quantum.testing.client import Client, write_config
from tests.api.v1client import FAKE_ONLY, NOT_FOUND_PAGE, Version, assert_not_found_page
from tests.conftest import ApiUnderTest

FIXTURES = Path(__file__).parent / "extension_fixtures"

FOX = ExtensionDescriptor(
    name="Fox In Socks",
    alias="FOXNSOX",
    description="The Fox In Socks Extension",
    namespace="http://www.fox.in.socks/api/ext/pie/v1.0",
    updated="2011-01-22T13:25:27-06:00",
)


def _wire(ext: ExtensionDescriptor) -> dict[str, object]:
    return {
        "name": ext.name,
        "alias": ext.alias,
        "description": ext.description,
        "namespace": ext.namespace,
        "updated": ext.updated,
        "links": [],
    }


def _xml(ext: ExtensionDescriptor) -> str:
    return (
        f"<extension><name>{ext.name}</name><alias>{ext.alias}</alias>"
        f"<description>{ext.description}</description>"
        f"<namespace>{ext.namespace}</namespace><updated>{ext.updated}</updated>"
        "<links/></extension>"
    )


def _miss(alias: str) -> bytes:
    """WebOb's 404 page with a detail line, as its plain-text template lays it out."""
    return (
        NOT_FOUND_PAGE[:-3] + f" Extension with alias {alias} does not exist  ".encode()
    )


Build = Callable[..., Client]


@pytest.fixture
def service_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Build:
    """A fake-plugin service supporting ``aliases``, with ``files`` (names under
    extension_fixtures/, or name -> source text) in its api_extensions_path."""
    count = iter(range(1000))

    def build(
        aliases: tuple[str, ...],
        files: tuple[str, ...] = ("foxinsocks.py",),
        sources: dict[str, str] | None = None,
    ) -> Client:
        monkeypatch.setattr(FakePlugin, "supported_extension_aliases", aliases)
        directory = tmp_path / f"service{next(count)}"
        exts = directory / "exts"
        exts.mkdir(parents=True)
        for name in files:
            shutil.copy(FIXTURES / name, exts / name)
        for name, text in (sources or {}).items():
            (exts / name).write_text(text)
        config = write_config(directory, core_plugin="fake", api_extensions_path=exts)
        return Client(load_app(load_settings(config)))

    return build


@FAKE_ONLY
@pytest.mark.parametrize("suffix", ["", ".json"])
def test_no_extensions_by_default(
    api: ApiUnderTest, version: Version, suffix: str
) -> None:
    response = api.get(f"{version.prefix}/extensions{suffix}")
    assert response.status == "200 OK"
    assert response.headers["Content-Type"] == "application/json"
    assert response.json == {"extensions": []}
    for xml in (
        api.get(f"{version.prefix}/extensions.xml"),
        api.get(f"{version.prefix}/extensions", Accept="application/xml"),
    ):
        assert xml.headers["Content-Type"] == "application/xml"
        assert xml.body == b"<extensions/>"


@FAKE_ONLY
def test_unknown_alias_and_other_verbs(api: ApiUnderTest, version: Version) -> None:
    response = api.get(f"{version.prefix}/extensions/non_existant")
    assert response.status == "404 Not Found"
    assert response.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert response.body == _miss("non_existant")
    for method in ("POST", "PUT", "DELETE", "PATCH", "HEAD"):
        response = api.request(method, f"{version.prefix}/extensions")
        assert response.status == "404 Not Found", method
        if method != "HEAD":
            assert_not_found_page(response)
    assert_not_found_page(api.get(f"{version.prefix}/extensions/"))


@FAKE_ONLY
def test_unknown_alias_and_trailing_slash_in_html(
    api: ApiUnderTest, version: Version
) -> None:
    # NOTE: the original's WebOb (1.0.8) wrote its 404 page in HTML for an Accept
    # naming html or */*, with the detail line in the body.
    response = api.get(f"{version.prefix}/extensions/non_existant", Accept="text/html")
    assert response.status == "404 Not Found"
    assert response.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert response.body == (
        b"<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>\n"
        b"  <h1>404 Not Found</h1>\n  The resource could not be found.<br /><br />\n"
        b"Extension with alias non_existant does not exist\n\n\n </body>\n</html>"
    )
    slash = api.get(f"{version.prefix}/extensions/", Accept="*/*")
    assert slash.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert slash.body.startswith(b"<html>")
    # NOTE: positive control: without html in Accept, the text page
    plain = api.get(f"{version.prefix}/extensions/non_existant", Accept="text/plain")
    assert plain.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert plain.body == _miss("non_existant")


@pytest.mark.parametrize("prefix", ["/v1.0", "/v1.1"])
def test_listed_only_when_the_plugin_supports_them(
    service_with: Build, prefix: str
) -> None:
    client = service_with(
        ("FOXNSOX", "NEEDY", "unknown"), ("foxinsocks.py", "needy.py")
    )
    listed = client.get(f"{prefix}/extensions")
    assert listed.status == "200 OK"
    assert listed.headers["Content-Type"] == "application/json"
    # NOTE: NEEDY is supported by alias but its plugin interface is not implemented.
    assert listed.json == {"extensions": [_wire(FOX)]}
    assert client.get(f"{prefix}/extensions/FOXNSOX.json").json == _wire(FOX)
    response = client.get(f"{prefix}/extensions/NEEDY")
    assert response.body == _miss("NEEDY")


@pytest.mark.parametrize("prefix", ["/v1.0", "/v1.1"])
def test_xml_shapes(service_with: Build, prefix: str) -> None:
    client = service_with(("FOXNSOX",))
    listed = client.get(f"{prefix}/extensions.xml")
    assert listed.headers["Content-Type"] == "application/xml"
    assert listed.body == f"<extensions>{_xml(FOX)}</extensions>".encode()
    shown = client.get(f"{prefix}/extensions/FOXNSOX", Accept="application/xml")
    assert shown.status == "200 OK"
    assert shown.body == _xml(FOX).encode()


def test_a_plugin_without_aliases_loads_none(service_with: Build) -> None:
    client = service_with(())
    assert client.get("/v1.1/extensions").json == {"extensions": []}
    assert client.get("/v1.1/extensions/FOXNSOX").status == "404 Not Found"
    # NOTE: nor are its routes served.
    assert_not_found_page(client.get("/v1.1/foxnsocks"))


# -- resource extensions --------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/v1.0", "/v1.1"])
def test_resource_extension_routes(service_with: Build, prefix: str) -> None:
    client = service_with(("FOXNSOX",))
    index = client.get(f"{prefix}/foxnsocks")
    assert index.status == "200 OK"
    assert index.headers["Content-Type"] == "text/html; charset=UTF-8"
    assert index.body == b"Try to say this Mr. Knox, sir..."
    shown = client.get(f"{prefix}/foxnsocks/25266")
    assert shown.headers["Content-Type"] == "application/json"
    assert shown.json == {"data": {"id": "25266"}}
    xml = client.get(f"{prefix}/foxnsocks/25266.xml")
    assert xml.body == b'<data id="25266"/>'
    for method in ("GET", "PUT", "POST", "DELETE"):
        action = client.request(method, f"{prefix}/foxnsocks/shout.json")
        assert action.status == "200 OK", method
        assert action.json == {"collection": "value"}
    assert client.get(f"{prefix}/foxnsocks/x1/wag").json == {"member_action": "x1"}
    nested = client.get(f"{prefix}/beetles/b7/tweedles")
    assert nested.json == {"tweedles": [], "beetle": "b7"}
    # NOTE: verbs without a handler, and unknown paths, reach the core API: 404.
    for method, path in (
        ("DELETE", "/foxnsocks/1"),
        ("PUT", "/foxnsocks/1"),
        ("POST", "/foxnsocks/x1/wag"),
        ("GET", "/beetles/b7/tweedles/1"),
        ("GET", "/foxnsocks/1/2/3"),
    ):
        assert_not_found_page(client.request(method, prefix + path))


def test_resource_extension_errors_are_the_versions_faults(service_with: Build) -> None:
    client = service_with(("FOXNSOX",))
    created = client.post("/v1.1/foxnsocks", {"fox": "red"})
    assert created.json == {"fox": "red"}
    bad = client.post("/v1.1/foxnsocks", {"sock": 1})
    assert bad.status == "400 Bad Request"
    assert bad.json["QuantumError"]["type"] == "QuantumServiceFault"
    assert bad.json["QuantumError"]["detail"] == "Invalid input: no fox"
    v10 = client.post("/v1.0/foxnsocks", {"sock": 1})
    assert v10.status == "400 Bad Request"
    assert v10.json["Bad Request"]["detail"] == "Invalid input: no fox"
    broken = client.post(
        "/v1.1/foxnsocks", "{not json", **{"Content-Type": "application/json"}
    )
    assert broken.status == "400 Bad Request"
    assert broken.json == {"Error": {"code": 400, "message": "Malformed request body"}}


# -- action extensions ----------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/v1.0", "/v1.1"])
def test_action_extensions(service_with: Build, prefix: str) -> None:
    client = service_with(("FOXNSOX",))
    net = client.post(f"{prefix}/tenants/t1/networks", {"network": {"name": "n"}})
    net_id = net.json["network"]["id"]
    action = f"{prefix}/tenants/t1/networks/{net_id}/action"
    added = client.post(action, {"FOXNSOX:add_tweedle": {"name": "Beetle"}})
    assert added.status == "200 OK"
    assert added.body == b"Tweedle Beetle Added."
    deleted = client.post(
        action + ".json", {"FOXNSOX:delete_tweedle": {"name": "Bailey"}}
    )
    assert deleted.body == b"Tweedle Bailey Deleted."
    # NOTE: the handler asks the plugin; another tenant's network is not found.
    foreign = client.post(
        f"{prefix}/tenants/t2/networks/{net_id}/action",
        {"FOXNSOX:add_tweedle": {"name": "Beetle"}},
    )
    assert foreign.status in ("420 networkNotFound", "404 Not Found")
    # An action nobody handles, or an unknown collection, falls through to a 404.
    assert_not_found_page(client.post(action, {"FOXNSOX:fly": {}}))
    assert_not_found_page(client.post(action, "not json"))
    assert_not_found_page(
        client.post(f"{prefix}/asdf/1/action", {"FOXNSOX:add_tweedle": {"name": "x"}})
    )


# -- request extensions ---------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["/v1.0", "/v1.1"])
def test_request_extensions_rewrite_the_core_response(
    service_with: Build, prefix: str
) -> None:
    client = service_with(("FOXNSOX",))
    net = client.post(f"{prefix}/tenants/t1/networks", {"network": {"name": "knox"}})
    net_id = net.json["network"]["id"]
    shown = client.request(
        "GET",
        f"{prefix}/tenants/t1/networks/{net_id}?chewing=gum",
        headers={"X-Sock": "blue"},
    )
    assert shown.status == "200 OK"
    assert shown.json["network"]["name"] == "knox"  # the core answer is kept
    assert shown.json["FOXNSOX:googoose"] == "gum"
    assert shown.json["FOXNSOX:big_bands"] == "Pig Bands!"
    assert shown.headers["X-Fox"] == "blue"
    # Other routes are left alone.
    listed = client.get(f"{prefix}/tenants/t1/networks")
    assert "FOXNSOX:big_bands" not in listed.json


# -- loading errors -------------------------------------------------------------------


BROKEN = {
    "syntax.py": ("def oops(:\n", "cannot be imported (SyntaxError"),
    "raises.py": ("raise RuntimeError('no socks')\n", "RuntimeError: no socks"),
    "noclass.py": ("class Other:\n    pass\n", "defines no class Noclass"),
    "halfway.py": (
        "class Halfway:\n    def get_name(self):\n        return 'h'\n",
        "Halfway lacks get_alias, get_description, get_namespace, get_updated",
    ),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_extension_stops_the_start(service_with: Build, name: str) -> None:
    source, message = BROKEN[name]
    with pytest.raises(ConfigError) as raised:
        service_with(("FOXNSOX",), (), {name: source})
    text = str(raised.value)
    assert message in text
    assert name in text
    assert "\n" not in text


def test_a_duplicate_alias_stops_the_start(service_with: Build) -> None:
    copy = (
        (FIXTURES / "foxinsocks.py")
        .read_text()
        .replace("class Foxinsocks", "class Zfox")
    )
    with pytest.raises(ConfigError) as raised:
        service_with(("FOXNSOX",), ("foxinsocks.py",), {"zfox.py": copy})
    text = str(raised.value)
    assert "foxinsocks.py and " in text
    assert "zfox.py both have the alias 'FOXNSOX'" in text


def test_helpers_and_private_modules_are_not_loaded(service_with: Build) -> None:
    client = service_with(
        ("FOXNSOX",),
        ("foxinsocks.py",),
        {"_helper.py": "raise RuntimeError\n", "notes.txt": "x"},
    )
    assert client.get("/v1.1/extensions").json == {"extensions": [_wire(FOX)]}


def test_a_missing_directory_is_named(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, core_plugin="fake", api_extensions_path=tmp_path / "nowhere"
    )
    with pytest.raises(ConfigError, match="nowhere, which is not a directory"):
        load_app(load_settings(config))
