# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from webob import Request

from quantum.api.wire import (
    Format,
    MalformedBody,
    XmlShape,
    decode,
    negotiate,
    split_suffix,
)


@pytest.mark.parametrize(
    ("path", "stripped", "fmt"),
    [
        ("/tenants/t/networks.json", "/tenants/t/networks", Format.JSON),
        ("/tenants/t/networks/detail.xml", "/tenants/t/networks/detail", Format.XML),
        ("/tenants/t/networks.yaml", "/tenants/t/networks", None),
        ("/tenants/a.b/networks", "/tenants/a.b/networks", None),
        ("/tenants/t/networks/abc.def.xml", "/tenants/t/networks/abc.def", Format.XML),
        ("/.xml", "/", Format.XML),
    ],
)
def test_split_suffix(path: str, stripped: str, fmt: Format | None) -> None:
    assert split_suffix(path) == (stripped, fmt)


@pytest.mark.parametrize(
    ("path", "headers", "expected"),
    [
        ("/x", {"Accept": "application/xml"}, Format.XML),
        (
            "/x",
            {"Content-Type": "application/json", "Accept": "application/xml"},
            Format.JSON,
        ),
        ("/x.json", {"Content-Type": "application/xml"}, Format.JSON),
        ("/x", {"Content-Type": "application/xml; charset=UTF-8"}, Format.XML),
        ("/x", {"Content-Type": "text/plain", "Accept": "application/xml"}, Format.XML),
        ("/x", {"Accept": "text/html"}, Format.JSON),
        ("/x", {"Accept": "*/*"}, Format.JSON),
        ("/x", {"Accept": "application/json;q=0.5, application/xml"}, Format.XML),
        ("/x", {}, Format.JSON),
    ],
)
def test_negotiation_order(
    path: str, headers: dict[str, str], expected: Format
) -> None:
    assert negotiate(Request.blank(path, headers=headers)) is expected


def test_xml_attributes_and_children_decode_alike() -> None:
    as_attr = decode(b'<network name="n1"/>', Format.XML)
    as_child = decode(b"<network><name>n1</name></network>", Format.XML)
    assert as_attr == as_child == {"network": {"name": "n1"}}


def test_xml_namespace_declaration_and_whitespace_are_ignored() -> None:
    body = b'<?xml version="1.0"?>\n<port xmlns="urn:x" state="ACTIVE">\n  </port>'
    assert decode(body, Format.XML) == {"port": {"state": "ACTIVE"}}
    assert decode(b"<port/>", Format.XML) == {"port": {}}


def test_xml_entity_expansion_is_refused() -> None:
    bomb = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><network name="&a;"/>'
    with pytest.raises(MalformedBody):
        decode(bomb, Format.XML)


@pytest.mark.parametrize("body", [b"{", b"\xff\xfe", b"[1, 2", b"nul"])
def test_undecodable_json(body: bytes) -> None:
    with pytest.raises(MalformedBody):
        decode(body, Format.JSON)


SHAPE = XmlShape(
    attributes={"network": ("id", "name")}, plurals={"networks": "network"}
)


def test_xml_encoding_sorts_attributes_and_puts_xmlns_last() -> None:
    payload = {"network": {"name": 'a"<&>', "id": "1", "ports": []}}
    assert SHAPE.encode(payload, "urn:ns") == (
        b'<network id="1" name="a&quot;&lt;&amp;&gt;" xmlns="urn:ns"><ports/></network>'
    )
    assert SHAPE.encode({"networks": []}, "urn:ns") == b'<networks xmlns="urn:ns"/>'
    assert SHAPE.encode({"network": {"id": "1", "name": None}}) == (
        b'<network id="1" name="None"/>'
    )


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=50))
def test_any_printable_name_survives_an_xml_round_trip(name: str) -> None:
    encoded = SHAPE.encode({"network": {"id": "1", "name": name}})
    assert decode(encoded, Format.XML) == {"network": {"id": "1", "name": name}}
