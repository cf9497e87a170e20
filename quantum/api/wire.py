# SPDX-License-Identifier: Apache-2.0
"""Wire formats: content negotiation and the JSON/XML codecs.

One ``negotiate`` decision picks both how a request body is parsed and how the
response (faults included) is written, in the order the original service used:
path suffix, then Content-Type, then Accept, then JSON.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any

import orjson
from webob import Request

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element  # noqa: S405  # NOTE: parsing is defusedxml


class Format(enum.StrEnum):
    JSON = "application/json"
    XML = "application/xml"


_SUFFIXES = {"json": Format.JSON, "xml": Format.XML}


class MalformedBody(ValueError):
    """The body does not decode in the negotiated format."""


def split_suffix(path: str) -> tuple[str, Format | None]:
    """Drop a ``.anything`` suffix from the last path segment; report json/xml."""
    head, slash, last = path.rpartition("/")
    stem, dot, ext = last.rpartition(".")
    if not dot:
        return path, None
    return head + slash + stem, _SUFFIXES.get(ext)


def _media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


def negotiate(request: Request, suffix: Format | None = None) -> Format:
    if suffix is None:
        # NOTE: the raw WSGI path: a suffix is ASCII, and this cannot fail to decode.
        _, suffix = split_suffix(request.environ.get("PATH_INFO", ""))
    if suffix is not None:
        return suffix
    ctype = _media_type(request.headers.get("Content-Type"))
    if ctype in (Format.JSON, Format.XML):
        return Format(ctype)
    if "Accept" in request.headers:
        offers = request.accept.acceptable_offers([Format.JSON.value, Format.XML.value])
        if offers and offers[0][0] == Format.XML:
            return Format.XML
    return Format.JSON


# -- decoding --------------------------------------------------------------------------


def _strip_ns(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml_value(node: Element) -> Any:
    children = list(node)
    raw = node.text or ""
    # NOTE: text is kept exactly ("  padded  "); only whitespace-only text, as in
    # indented bodies, counts as no content.
    if not children and not node.attrib:
        return raw if raw.strip() else {}
    if not children and raw.strip():
        return raw
    out: dict[str, Any] = {_strip_ns(k): v for k, v in node.attrib.items()}
    repeated: set[str] = set()
    for child in children:
        key = _strip_ns(child.tag)
        value = _xml_value(child)
        if key in repeated:
            out[key].append(value)
        elif key in out and key not in node.attrib:
            out[key] = [out[key], value]
            repeated.add(key)
        else:
            out[key] = value
    return out


def decode(body: bytes, fmt: Format) -> Any:
    """Decode a non-empty body; raise MalformedBody when it cannot be read."""
    if fmt is Format.JSON:
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise MalformedBody(str(error)) from error
    # PERF (memory): imported at the first XML body, not in every worker (ElementTree,
    # its C accelerator and defusedxml: ~0.5 MiB); JSON is what most clients send.
    from defusedxml import ElementTree as SafeET  # noqa: PLC0415

    try:
        root = SafeET.fromstring(body)
    except Exception as error:  # noqa: BLE001  # NOTE: defusedxml raises several types
        raise MalformedBody(str(error)) from error
    try:
        return {_strip_ns(root.tag): _xml_value(root)}
    except RecursionError as error:
        raise MalformedBody("XML nested too deeply") from error


# -- encoding --------------------------------------------------------------------------


def encode_json(value: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """``value`` as UTF-8 JSON (``default``: what a value JSON has no type for is
    shown as)."""
    text = json.dumps(
        value, ensure_ascii=False, separators=(", ", ": "), default=default
    )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # NOTE: a lone surrogate echoed from a request (an invalid state in a fault
        # detail) has no UTF-8 form; as a \u escape it is still valid JSON.
        return json.dumps(value, separators=(", ", ": "), default=default).encode(
            "ascii"
        )


_FAST_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME
"""A ``datetime`` goes to ``default`` as with ``json`` (orjson's own RFC 3339 text
is not what ``encode_json`` would show)."""


def encode_json_fast(value: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    """``encode_json``'s JSON, compact (no space after ``,`` and ``:``), by orjson.

    PERF: the stdlib's encoder was a fifth of a list of 1,000 v2 ports (13 of
    61 ms; orjson: about 1.5). Tuples are arrays, dataclasses objects of their
    fields and enums their values, as ``json`` with a ``default`` would show them;
    text stays UTF-8 (``ensure_ascii=False``). What orjson refuses (a lone
    surrogate, a key that is no string, an integer past 64 bits, nesting past 254
    levels) is encoded by ``encode_json``, exactly as before. NOTE: a float that
    is no number (``NaN``: JSON has none) is ``null`` here, not ``json``'s
    invalid ``NaN``."""
    try:
        return orjson.dumps(value, default=default, option=_FAST_OPTIONS)
    except orjson.JSONEncodeError:
        return encode_json(value, default)


NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot carry at all, not even as character references."""


def _escape(text: str, quote: bool) -> str:
    # NOTE: values that cannot be XML (an id echoed from the URL into a fault) are
    # shown with U+FFFD rather than making the whole document unreadable.
    text = NOT_XML.sub("\ufffd", text)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # NOTE: a parser turns a raw CR into LF, and TAB/LF/CR inside an attribute into
    # spaces; references keep them.
    text = text.replace("\r", "&#13;")
    if not quote:
        return text
    text = text.replace('"', "&quot;")
    return text.replace("\t", "&#9;").replace("\n", "&#10;")


def _scalar(value: Any) -> str:
    if value is True or value is False:
        return str(value)
    return "None" if value is None else str(value)


class XmlShape:
    """How a payload maps onto XML: which keys are attributes, list item names."""

    def __init__(
        self,
        attributes: Mapping[str, Collection[str]],
        plurals: Mapping[str, str],
        text_children: Collection[str] = (),
    ) -> None:
        self.attributes = attributes
        self.plurals = plurals
        self.text_children = text_children
        """Elements written with child elements even where attributes would apply."""

    def element(self, name: str, value: Any, xmlns: str | None = None) -> str:
        attrs: list[tuple[str, str]] = []
        inner: list[str] = []
        if isinstance(value, Mapping):
            attr_keys = (
                () if name in self.text_children else self.attributes.get(name, ())
            )
            for key, item in value.items():
                if key in attr_keys and not isinstance(item, Mapping | list):
                    attrs.append((key, _scalar(item)))
                else:
                    inner.append(self.element(key, item))
        elif isinstance(value, list):
            item_name = self.plurals.get(name, name.removesuffix("s"))
            inner.extend(self.element(item_name, item) for item in value)
        else:
            inner.append(_escape(_scalar(value), quote=False))
        attrs.sort()
        if xmlns is not None:
            attrs.append(("xmlns", xmlns))
        head = "".join(f' {k}="{_escape(v, quote=True)}"' for k, v in attrs)
        if not inner:
            return f"<{name}{head}/>"
        return f"<{name}{head}>{''.join(inner)}</{name}>"

    def encode(self, payload: Mapping[str, Any], xmlns: str | None = None) -> bytes:
        ((name, value),) = payload.items()
        return self.element(name, value, xmlns).encode("utf-8")
