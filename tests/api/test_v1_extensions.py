# SPDX-License-Identifier: Apache-2.0
"""Extension discovery (spec §14): listing shape, gating by plugin aliases, misses."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from quantum.api import app as paste_app
from quantum.api.app import load_app
from quantum.api.extensions import ExtensionDescriptor
from quantum.core.settings import load_settings
from quantum.plugins.fake import FakePlugin
from quantum.testing.client import Client, write_config
from tests.api.v1client import FAKE_ONLY, NOT_FOUND_PAGE, Version, assert_not_found_page
from tests.conftest import ApiUnderTest

FOX = ExtensionDescriptor(
    name="Fox In Socks",
    alias="FOXNSOX",
    description="The Fox In Socks Extension",
    namespace="http://www.fox.in.socks/api/ext/pie/v1.0",
    updated="2011-01-22T13:25:27-06:00",
)
QOS = ExtensionDescriptor(
    name="Cisco qos",
    alias="Cisco qos",
    description="qos includes qos_name and qos_desc",
    namespace="http://docs.ciscocloud.com/api/ext/qos/v1.0",
    updated="2011-07-25T13:25:27-06:00",
)
PORTSTATS = ExtensionDescriptor(
    name="Port Statistics",
    alias="portstats",
    description="Port Statistics",
    namespace="http://docs.openstack.org/ext/portstats/api/v1.0",
    updated="2011-12-20T10:00:00-00:00",
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


Build = Callable[[tuple[ExtensionDescriptor, ...], tuple[str, ...]], Client]


@pytest.fixture
def service_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Build:
    """Builds a fake-plugin service knowing ``known`` and supporting ``aliases``."""

    def build(
        known: tuple[ExtensionDescriptor, ...], aliases: tuple[str, ...]
    ) -> Client:
        monkeypatch.setattr(paste_app, "KNOWN_EXTENSIONS", known)
        monkeypatch.setattr(FakePlugin, "supported_extension_aliases", aliases)
        config = write_config(
            tmp_path / "-".join(aliases or ("none",)), core_plugin="fake"
        )
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


@pytest.mark.parametrize("prefix", ["/v1.0", "/v1.1"])
def test_listed_only_when_the_plugin_supports_them(
    service_with: Build, prefix: str
) -> None:
    client = service_with((FOX, QOS, PORTSTATS), ("FOXNSOX", "Cisco qos", "unknown"))
    listed = client.get(f"{prefix}/extensions")
    assert listed.status == "200 OK"
    assert listed.headers["Content-Type"] == "application/json"
    assert sorted(listed.json["extensions"], key=lambda e: e["alias"]) == [
        _wire(QOS),
        _wire(FOX),
    ]
    assert client.get(f"{prefix}/extensions/FOXNSOX.json").json == _wire(FOX)
    assert client.get(f"{prefix}/extensions/Cisco%20qos").json == _wire(QOS)
    response = client.get(f"{prefix}/extensions/portstats")
    assert response.body == _miss("portstats")


@pytest.mark.parametrize("prefix", ["/v1.0", "/v1.1"])
def test_xml_shapes(service_with: Build, prefix: str) -> None:
    client = service_with((FOX,), ("FOXNSOX",))
    listed = client.get(f"{prefix}/extensions.xml")
    assert listed.headers["Content-Type"] == "application/xml"
    assert listed.body == f"<extensions>{_xml(FOX)}</extensions>".encode()
    shown = client.get(f"{prefix}/extensions/FOXNSOX", Accept="application/xml")
    assert shown.status == "200 OK"
    assert shown.body == _xml(FOX).encode()


def test_a_plugin_without_aliases_loads_none(service_with: Build) -> None:
    client = service_with((FOX, QOS), ())
    assert client.get("/v1.1/extensions").json == {"extensions": []}
    assert client.get("/v1.1/extensions/FOXNSOX").status == "404 Not Found"
