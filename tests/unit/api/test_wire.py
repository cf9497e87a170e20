# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import enum
import json
from dataclasses import dataclass
from datetime import datetime
from ipaddress import IPv4Address, IPv4Network
from types import MappingProxyType

import pytest
from hypothesis import given
from hypothesis import strategies as st
from webob import Request

from quantum.api.v2.attributes import wire
from quantum.api.wire import (
    Format,
    MalformedBody,
    XmlShape,
    decode,
    encode_json,
    encode_json_fast,
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


FAST_CASES = [
    {"ports": [{"name": 'ünïcødé ✓ \u2028 "q" \\ </script>', "n": 1, "up": True}]},
    {"x": [1, -(2**63), 2**64 - 1, 0.5, None, False, ""], "nested": {"a": {"b": []}}},
    [[[[{"deep": [1, 2]}]]]],
    {"lone surrogate": "\ud800"},
    {1: "a key that is no string", None: "nor this"},
    {"big": 2**70},
]


@pytest.mark.parametrize("value", FAST_CASES)
def test_fast_json_is_the_compact_form_of_encode_json(value: object) -> None:
    """The v2 encoder: what the stdlib encodes, without the spaces; what orjson
    refuses (a lone surrogate, a key that is no string, a big integer) exactly as
    ``encode_json`` has it."""
    fast = encode_json_fast(value)
    slow = encode_json(value)
    assert json.loads(fast) == json.loads(slow)
    compact = json.dumps(json.loads(slow), ensure_ascii=False, separators=(",", ":"))
    refused = value in FAST_CASES[3:]
    assert fast == (slow if refused else compact.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class _Pair:
    ip: IPv4Address
    tags: tuple[str, ...]


class _Colour(enum.Enum):
    RED = "red"


def test_fast_json_shows_domain_values_as_wire_does() -> None:
    """Tuples, dataclasses, enums, addresses, times and mappings of a list's
    ``encoded`` views come out as ``wire`` shows them."""
    when = datetime(2026, 12, 7, 12, 0, 1)
    value = {
        "pairs": (_Pair(IPv4Address("10.0.0.1"), ("a", "b")),),
        "colour": _Colour.RED,
        "cidr": IPv4Network("10.0.0.0/24"),
        "at": when,
        "frozen": MappingProxyType({"k": (1, 2)}),
    }
    assert json.loads(encode_json_fast(value, wire)) == json.loads(
        encode_json(wire(value))
    )
    assert json.loads(encode_json_fast(value, wire))["at"] == str(when)
