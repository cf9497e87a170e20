# SPDX-License-Identifier: Apache-2.0
"""Fuzzing the whole Paste app in-process with a hypothesis state machine.

Each step sends one request: a well-formed write that grows the store, any operation
with random headers, formats and encodings, the same with one part damaged (target
ids, tenants, path, method, body), or a request outside the URL map. The oracle
(``tests/api/oracle.py``, written from the spec) says what the request may do given
the model of the store. Each step asserts: no 5xx and no exception escaping the app;
a status the oracle allows; a body in the negotiated format, faults included, with
the right fault kind, message and detail; success payloads equal to the model; JSON
valid against the OpenAPI document (v1.1). After every write, failed or not, the
addressed network is re-read and must equal the model (nothing half-written); at the
end of each example every tenant the example wrote to is listed and must hold exactly
the model, with no attachment id on two ports.

Every example works in its own namespace of tenants and attachment ids, so examples
never see each other's leftovers and nothing needs cleaning between them.

Default run: the fake plugin and the SQL plugin on SQLite, ``EXAMPLES`` examples of
up to ``STEPS`` steps each (about 5000 requests per plugin, 15 s for both without
coverage); PostgreSQL and MariaDB get a fifth of that. ``QUANTUM_FUZZ_EXAMPLES`` and
``QUANTUM_FUZZ_STEPS`` make longer runs; ``pytest -s`` prints what each run sent.

``KNOWN_DEFECTS`` are probed at the start of each test; while one reproduces, the
inputs that trigger it are not generated, so the suite stays green while the strict
xfail in test_fuzz_regressions.py tracks it. Once fixed, its probe stops reproducing
and the fuzzer covers that ground again without an edit here.
"""

from __future__ import annotations

import itertools
import json
import os
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test
from webob import Response

from quantum.testing.client import Client
from tests.api import contract
from tests.api.oracle import (
    ACCEPT,
    DOMAIN,
    GENERIC_400,
    JSON,
    NS,
    ROUTING_404,
    XML,
    Call,
    Expectation,
    Model,
    Oracle,
    Outcome,
    decode_response,
    fault_kind,
    xml_root_namespace,
    xml_view,
)
from tests.conftest import PLUGINS, ApiUnderTest, make_api

EXAMPLES = int(os.environ.get("QUANTUM_FUZZ_EXAMPLES", "0")) or 80
STEPS = int(os.environ.get("QUANTUM_FUZZ_STEPS", "0")) or 50
SERVER_BACKEND_SHARE = 5
"""PostgreSQL and MariaDB run EXAMPLES // SERVER_BACKEND_SHARE examples."""
BODY_LIMIT = 114688
"""max_request_body_size of the test configuration (the default)."""

_namespaces = itertools.count()

# -- known defects ---------------------------------------------------------------------


@dataclass(frozen=True)
class KnownDefect:
    """A defect the fuzzer found that is not fixed yet, and how to tell it still is."""

    name: str
    regression: str
    """The xfail(strict) test in test_fuzz_regressions.py that reproduces it."""
    probe: Callable[[Client], bool]
    """True while the defect reproduces (a request or two, in their own tenant)."""


KNOWN_DEFECTS: tuple[KnownDefect, ...] = ()
"""None open now; ``asterisk-form`` (``OPTIONS *``) was the last, fixed in front of
Paste's urlmap."""


# -- generated values ------------------------------------------------------------------

CONTROL = "".join(chr(c) for c in range(0x20) if c not in (9, 10, 13)) + "\ufffe\uffff"
"""Characters XML 1.0 cannot carry: the service may refuse them (see oracle.NOT_XML)."""

CONTENT_TYPES = (
    None, JSON, XML, "application/json; charset=UTF-8", "application/xml;charset=utf-8",
    "text/plain", "text/xml", "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=xyz", "application/vnd.example+json", "",
    "application/json;;;", "text/html; charset=latin-1", "*/*",
)  # fmt: skip
SUFFIXES = ("", "", "", "", ".json", ".xml", ".yaml", ".", ".JSON", ".json.xml")
BAD_METHODS = ("PATCH", "HEAD", "OPTIONS", "TRACE", "get", "FOO", "CONNECT", "PROPFIND")
STATES: tuple[object, ...] = (
    "ACTIVE", "DOWN", "", None, "active", "up", "BAD", " ACTIVE", 1, True, [], {}, 0.5,
    "ACTIVE\n",
)  # fmt: skip
ODD_NAMES = (
    "", " ", "net", "None", "détail", "网络", "🙂", "<&>\"'", "a" * 255, "a" * 256,
    "x\x00y", "\t\n", "a.b", "  padded  ", "\r\n", "é" * 255, "a\rb", "]]>", "&amp;",
    "n" * 10000,
)  # fmt: skip
"""With a huge name (10000 characters, a 400); bodies past the size limit come from
``_damage_body``."""
NETWORK_FILTER_KEYS = (
    "has-attachment", "attachment", "port", "port-state", "port-op-status", "name",
    "op-status",
)  # fmt: skip
PORT_FILTER_KEYS = ("has-attachment", "attachment", "state", "op-status")
FILTER_KEYS = NETWORK_FILTER_KEYS + PORT_FILTER_KEYS + ("foo", "Name", "", "name[]")
GARBAGE_BODIES = (
    b"{", b"}", b"null", b"[]", b"[1, 2]", b'"network"', b"1", b"true", b"{}",
    b'{"network": null}', b'{"network": "x"}', b'{"network": []}', b'{"port": 1}',
    b'{"attachment": {"id": {"id": "x"}}}', b"<", b"<network>", b"<network/>",
    b"<port/>", b"<attachment/>", b'<?xml version="1.0"?>', b"\xff\xfe\x00",
    b"\xef\xbb\xbf" + b'{"network": {"name": "bom"}}',
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><network name="&a;"/>',
    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><network name="&e;"/>',
    b'<network xmlns:q="urn:q" q:name="ns"/>', b'<q:network xmlns:q="urn:q" name="p"/>',
    b"<network><name><first>a</first></name></network>",
    b'{"network": {"name": "a", "name": "b"}}', b'{"network": {"name": NaN}}',
    b'{"port": {"state": "ACTIVE"}} trailing', b"\x00", b"   ", b"\n",
    b'<network name="x">\n  </network>', b"<port><state>\n  ACTIVE\n</state></port>",
)  # fmt: skip
EXTRA_HEADERS = (
    ("X-Auth-Token", "tok"), ("X-Tenant", "other"), ("Host", "quantum.example:9696"),
    ("X-Forwarded-Proto", "https"), ("Content-Encoding", "gzip"),
    ("User-Agent", "fuzz/1.0 \xff"), ("Cookie", "a=b; c"), ("Host", "[::1]:9696"),
)  # fmt: skip

NAMES = st.one_of(st.text(max_size=12), st.sampled_from(ODD_NAMES))


def _encode_segment(value: str, style: int) -> str:
    """Percent-encode one path segment in one of three ways clients differ on."""
    if style == 0:
        return quote(value, safe="")
    if style == 1:
        return quote(value, safe="!$&'()*+,;=:@")
    return "".join(f"%{b:02X}" for b in value.encode("utf-8"))


def _xml_escape(text: str, attribute: bool) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if attribute:
        text = text.replace('"', "&quot;").replace("\t", "&#9;")
        text = text.replace("\n", "&#10;").replace("\r", "&#13;")
    return text


def _xml_element(name: str, value: Any, attr_mask: int, xmlns: str | None) -> str:
    """``value`` as XML; scalar fields are attributes where ``attr_mask`` has a bit."""
    head = f' xmlns="{xmlns}"' if xmlns else ""
    if not isinstance(value, dict):
        return f"<{name}{head}>{_xml_escape(str(value), False)}</{name}>"
    attrs: list[str] = []
    children: list[str] = []
    for i, (key, item) in enumerate(value.items()):
        if item is None:
            continue
        scalar = not isinstance(item, dict | list)
        text = str(item) if scalar else ""
        # NOTE: child text is read stripped, so edge whitespace goes in attributes.
        if scalar and (attr_mask >> i & 1 or text != text.strip() or not text):
            attrs.append(f' {key}="{_xml_escape(text, True)}"')
        elif isinstance(item, list):
            children.extend(_xml_element(key, v, attr_mask, None) for v in item[:1])
        else:
            children.append(_xml_element(key, item, attr_mask, None))
    inner = "".join(children)
    if not inner:
        return f"<{name}{''.join(attrs)}{head}/>"
    return f"<{name}{''.join(attrs)}{head}>{inner}</{name}>"


# -- the state machine -----------------------------------------------------------------


class Stats:
    def __init__(self) -> None:
        self.requests = 0
        self.by_status: Counter[int] = Counter()
        self.by_operation: Counter[str] = Counter()


OPERATIONS = {
    "list_networks": ("GET", ""),
    "list_networks_detail": ("GET", "/detail"),
    "create_network": ("POST", ""),
    "show_network": ("GET", "/{n}"),
    "show_network_detail": ("GET", "/{n}/detail"),
    "update_network": ("PUT", "/{n}"),
    "delete_network": ("DELETE", "/{n}"),
    "list_ports": ("GET", "/{n}/ports"),
    "list_ports_detail": ("GET", "/{n}/ports/detail"),
    "create_port": ("POST", "/{n}/ports"),
    "show_port": ("GET", "/{n}/ports/{p}"),
    "show_port_detail": ("GET", "/{n}/ports/{p}/detail"),
    "update_port": ("PUT", "/{n}/ports/{p}"),
    "delete_port": ("DELETE", "/{n}/ports/{p}"),
    "show_attachment": ("GET", "/{n}/ports/{p}/attachment"),
    "plug_attachment": ("PUT", "/{n}/ports/{p}/attachment"),
    "unplug_attachment": ("DELETE", "/{n}/ports/{p}/attachment"),
}
BODIES = {
    "create_network": "network",
    "update_network": "network",
    "create_port": "port",
    "update_port": "port",
    "plug_attachment": "attachment",
}
STEP_KINDS = ("grow",) * 7 + ("operate",) * 6 + ("damage",) * 5 + ("stray",) * 2
"""grow: well-formed writes that build state; operate: any operation on existing
targets with any headers, format and encoding; damage: the same with its target,
path, method, body or headers broken; stray: paths outside the URL map."""
GROW = (
    "create_network", "create_port", "create_port", "plug_attachment",
    "plug_attachment", "unplug_attachment", "update_port", "update_network",
    "delete_port",
)  # fmt: skip


class ApiMachine(RuleBasedStateMachine):
    """One example: a fresh namespace of tenants and attachment ids over one app."""

    client: Client
    port_status: str
    extensions: dict[str, Any] = {}  # noqa: RUF012  # NOTE: set per subclass
    defects: frozenset[str] = frozenset()
    stats: Stats

    def __init__(self) -> None:
        super().__init__()
        self.ns = f"z{next(_namespaces)}-"
        self.model = Model()
        self.oracle = Oracle(self.model, self.port_status, BODY_LIMIT, self.extensions)
        self.log: list[str] = []
        self.failed = False

    def allows(self, defect: str) -> bool:
        return defect not in self.defects

    # -- drawing -----------------------------------------------------------------------

    def _tenant(self, data: st.DataObject) -> str:
        own = sorted({n.tenant for n in self.model.nets.values()})
        odd = [
            "ténant", "東京", "with.dot", "a b", "%41", "a+b", "semi;colon", "T1",
            "x" * (255 - len(self.ns)), "x" * (256 - len(self.ns)),
        ]  # fmt: skip
        kind = data.draw(st.integers(0, 9), label="tenant kind")
        if kind < 5 and own:
            return data.draw(st.sampled_from(own), label="tenant")
        if kind < 8:
            return self.ns + data.draw(
                st.sampled_from(["t1", "t2", "t3"]), label="tenant"
            )
        if kind == 8:
            return self.ns + data.draw(st.sampled_from(odd), label="tenant")
        alphabet = st.characters(exclude_categories=["Cs"])
        return self.ns + data.draw(st.text(alphabet, max_size=8), label="tenant")

    def _garbage_id(self, data: st.DataObject) -> str:
        fixed = [
            "detail", "new", "edit", "x.json", "..", ".", "%", "ä", "a" * 300,
            "00000000-0000-0000-0000-000000000000", str(uuid.uuid4()), "attachment",
            "ports", " ", "a.b.xml", "a\x01b", "detail\n", "tab\there", "a\x00b",
        ]  # fmt: skip
        existing = list(self.model.nets) + [p for _, _, p in self.model.port_ids()]
        mangled = [i.upper() for i in existing] + [i + " " for i in existing]
        mangled += [i[:-1] for i in existing] + [i + ".yaml" for i in existing]
        mangled += [i + "\n" for i in existing]
        alphabet = st.characters(exclude_categories=["Cs"])
        options = [st.sampled_from(fixed), st.text(alphabet, min_size=1, max_size=10)]
        if mangled:
            options.append(st.sampled_from(mangled))
        return data.draw(st.one_of(options), label="garbage id")

    def _target(
        self, data: st.DataObject, wrong: bool, plugged: bool | None = None
    ) -> tuple[str, str, str]:
        """(tenant, network id, port id) that exist, or with one part wrong;
        ``plugged`` prefers ports with (True) or without (False) an attachment."""
        ports = self.model.port_ids()
        if plugged is not None:
            ports = [t for t in ports if self._plugged(t) == plugged] or ports
        if ports and data.draw(st.integers(0, 3), label="use a port") > 0:
            tenant, net, port = data.draw(st.sampled_from(ports), label="port")
        elif self.model.nets:
            net = data.draw(st.sampled_from(list(self.model.nets)), label="network")
            tenant, port = self.model.nets[net].tenant, self._garbage_id(data)
        else:
            tenant, net, port = self._tenant(data), self._garbage_id(data), "p"
        if not wrong:
            return tenant, net, port
        part = data.draw(
            st.sampled_from(["tenant", "network", "port", "foreign port"]),
            label="damage",
        )
        if part == "tenant":
            tenant = self._tenant(data)
        elif part == "network":
            net = self._garbage_id(data)
        elif part == "port":
            port = self._garbage_id(data)
        elif ports:
            _, _, port = data.draw(st.sampled_from(ports), label="foreign port")
        return tenant, net, port

    def _plugged(self, target: tuple[str, str, str]) -> bool:
        _, net, port = target
        return self.model.nets[net].ports[port].attachment is not None

    def _attachment(self, data: st.DataObject) -> Any:
        pool = [self.ns + f"vif-{i}" for i in range(4)]
        used = [
            p.attachment
            for n in self.model.nets.values()
            for p in n.ports.values()
            if p.attachment
        ]
        if used and data.draw(st.integers(0, 3), label="reuse attachment") == 0:
            return data.draw(st.sampled_from(used), label="attachment")
        odd: list[Any] = [
            "", None, 5, [], {}, self.ns + "x" * (255 - len(self.ns)),
            self.ns + "x" * (256 - len(self.ns)), self.ns + "ü-vif", self.ns + " sp ",
            self.ns + "a\x00", self.ns + "a\x01",
        ]  # fmt: skip
        kind = data.draw(st.integers(0, 9), label="attachment kind")
        if kind < 7:
            return data.draw(st.sampled_from(pool), label="attachment")
        if kind < 9:
            return data.draw(st.sampled_from(odd), label="attachment")
        return self.ns + data.draw(NAMES, label="attachment")

    def _fields(self, data: st.DataObject, resource: str) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if resource == "network":
            if data.draw(st.integers(0, 19), label="name kind") == 0:
                odd = [None, 5, True, [], ["a"], {"x": "y"}, {}, 1.5]
                fields["name"] = data.draw(st.sampled_from(odd), label="name")
            else:
                fields["name"] = data.draw(NAMES, label="name")
        elif resource == "port":
            if data.draw(st.booleans(), label="with state"):
                fields["state"] = data.draw(st.sampled_from(STATES), label="state")
        else:
            fields["id"] = self._attachment(data)
        if data.draw(st.integers(0, 4), label="extra keys") == 0:
            extra = {"nova_id": "zone", "op-status": "DOWN", "id": "mine", "vm_id": 7}
            fields = {**extra, **fields}
        return fields

    def _body(self, data: st.DataObject, resource: str, fmt: str) -> bytes:
        """A body for ``resource`` encoded in ``fmt`` (which may not be negotiated)."""
        root = resource
        if data.draw(st.integers(0, 9), label="wrong root") == 0:
            others = ["networks", "Network", "x", "port", "attachment"]
            root = data.draw(st.sampled_from(others), label="root")
        fields = self._fields(data, resource)
        if (
            fmt == XML
            and isinstance(fields.get("id"), int | float)
            and root != "network"
        ):
            # NOTE: XML makes 5 the id "5", which must stay in this example's namespace.
            fields["id"] = f"{self.ns}{fields['id']}"
        if fmt == XML:
            xmlns = data.draw(
                st.sampled_from([None, NS["v1.1"], "urn:x"]), label="xmlns"
            )
            mask = data.draw(st.integers(0, 255), label="attribute mask")
            text = _xml_element(root, fields, mask, xmlns)
            if data.draw(st.booleans(), label="xml declaration"):
                text = '<?xml version="1.0" encoding="UTF-8"?>\n' + text
            return text.encode("utf-8", "surrogatepass")
        ascii_only = data.draw(st.booleans(), label="ensure_ascii")
        return json.dumps({root: fields}, ensure_ascii=ascii_only).encode("utf-8")

    def _damage_body(self, data: st.DataObject, body: bytes) -> bytes:
        kinds = [
            "truncate", "garbage", "binary", "oversize", "at-limit", "deep-json",
            "deep-xml", "empty", "append", "surrogate",
        ]  # fmt: skip
        kind = data.draw(st.sampled_from(kinds), label="body damage")
        if kind == "truncate" and body:
            # NOTE: the body's length may follow the server's answers (a port's
            # state, say), so the draw must not: hypothesis replays a case and
            # refuses a strategy whose bounds moved between runs.
            cut = data.draw(st.floats(0, 1, exclude_max=True), label="cut")
            return body[: int(cut * len(body))]
        if kind == "garbage":
            return data.draw(st.sampled_from(GARBAGE_BODIES), label="garbage body")
        if kind == "binary":
            return data.draw(st.binary(max_size=40), label="binary body")
        if kind == "oversize":
            return b" " * (BODY_LIMIT + 1 - len(body)) + body
        if kind == "at-limit":
            return b" " * (BODY_LIMIT - len(body)) + body
        if kind == "deep-json":
            depth = data.draw(st.sampled_from([5, 50, 20000]), label="depth")
            return b'{"network": {"name": ' + b"[" * depth + b"]" * depth + b"}}"
        if kind == "deep-xml":
            depth = data.draw(st.sampled_from([5, 50, 5000]), label="depth")
            return b"<network>" + b"<a>" * depth + b"</a>" * depth + b"</network>"
        if kind == "empty":
            return b""
        if kind == "surrogate":
            return (
                b'{"network": {"name": "\\ud83d"}, "port": {"state": "\\udfff"}, '
                b'"attachment": {"id": "\\ud800"}}'
            )
        tail = [b"x", b"\x00", b"}", b"<a/>", b"\xff"]
        return body + data.draw(st.sampled_from(tail), label="tail")

    def _filter_values(self, key: str) -> list[str]:
        """Values that can make ``key`` match or not, for this example's store."""
        nets = list(self.model.nets.items())
        ports = [p for _, n in nets for p in n.ports.items()]
        values = {
            "name": [n.name or "None" for _, n in nets] + ["", "net"],
            "op-status": ["UP", "DOWN", "UNKNOWN", "up"],
            "port-op-status": ["UP", "DOWN", "up"],
            "state": ["ACTIVE", "DOWN", "active"],
            "port-state": ["ACTIVE", "DOWN", "active"],
            "has-attachment": ["yes", "True", "true", "false", "TRUE", "no", ""],
            "attachment": [p.attachment or "x" for _, p in ports] + [self.ns + "vif-0"],
            "port": [i for i, _ in ports] + [i for i, _ in nets],
        }.get(key, ["x", "true"])
        return values + ["", "UP"]

    def _query(self, data: st.DataObject, operation: str) -> str:
        if data.draw(st.integers(0, 3), label="with query") == 0:
            return ""
        known = NETWORK_FILTER_KEYS if "networks" in operation else PORT_FILTER_KEYS
        keys = data.draw(
            st.lists(st.sampled_from(known + FILTER_KEYS), min_size=1, max_size=3),
            label="keys",
        )
        parts = []
        for key in keys:
            value = data.draw(st.sampled_from(self._filter_values(key)), label=key)
            parts.append(f"{quote(key, safe='')}={quote(value, safe='')}")
        extra = ["", "", "", "&&", "name", "%zz=1", "=x", "+name=+", "name=a%00"]
        extra += ["name=%FF", "%C3=1"]
        parts.append(data.draw(st.sampled_from(extra), label="query extra"))
        separator = data.draw(st.sampled_from(["&", ";"]), label="separator")
        return "?" + separator.join(parts)

    def _headers(
        self, data: st.DataObject, body_fmt: str | None
    ) -> tuple[tuple[str, str], ...]:
        headers: list[tuple[str, str]] = []
        ctype = data.draw(
            st.sampled_from([body_fmt, body_fmt, *CONTENT_TYPES]), label="content-type"
        )
        if ctype is not None:
            headers.append(("Content-Type", ctype))
        if data.draw(st.booleans(), label="with accept"):
            accept = data.draw(st.sampled_from(sorted(ACCEPT)), label="accept")
            headers.append(("Accept", accept))
        if data.draw(st.integers(0, 5), label="with extra header") == 0:
            headers.append(data.draw(st.sampled_from(EXTRA_HEADERS), label="header"))
        return tuple(headers)

    # -- building operations -----------------------------------------------------------

    def _call(
        self, data: st.DataObject, operation: str, *, valid: bool, damage: bool
    ) -> Call:
        """``operation`` as a request: ``valid`` keeps it well-formed (any content);
        ``damage`` breaks one or more of target, path, body and method."""
        method, template = OPERATIONS[operation]
        wrong = damage and data.draw(st.booleans(), label="wrong target")
        plugged = {"plug_attachment": False, "unplug_attachment": True}.get(operation)
        tenant, net, port = self._target(data, wrong=wrong, plugged=plugged)
        version = data.draw(
            st.sampled_from(["v1.1", "v1.1", "v1.1", "v1.0"]), label="version"
        )
        style = 0 if valid else data.draw(st.integers(0, 2), label="encoding")
        values = {"{n}": net, "{p}": port}
        segments = [tenant, "networks"] + [
            values.get(s, s) for s in template.split("/")[1:]
        ]
        path = f"/{version}/tenants/" + "/".join(
            _encode_segment(s, style) for s in segments
        )
        if valid:
            suffix = data.draw(
                st.sampled_from(["", "", ".json", ".xml"]), label="suffix"
            )
        else:
            suffix = data.draw(st.sampled_from(SUFFIXES), label="suffix")
        path += suffix
        if damage and data.draw(st.integers(0, 5), label="path damage") == 0:
            broken = [
                path + "/", path.replace("/tenants/", "//tenants//"), path + "/extra",
                path.replace(version, version.upper()),
                path.replace("/networks", "/network"),
            ]  # fmt: skip
            path = data.draw(st.sampled_from(broken), label="path")
        if operation.startswith("list_"):
            path += self._query(data, operation)
        body_fmt = {".json": JSON, ".xml": XML}.get(suffix) if valid else None
        body_fmt = body_fmt or data.draw(
            st.sampled_from([JSON, XML]), label="body format"
        )
        body = b""
        with_body = valid or data.draw(st.integers(0, 5), label="with body") > 0
        if operation in BODIES and with_body:
            body = self._body(data, BODIES[operation], body_fmt)
        if damage and data.draw(st.booleans(), label="damage body"):
            body = self._damage_body(data, body)
        if valid:
            headers: tuple[tuple[str, str], ...] = (("Content-Type", body_fmt),)
        else:
            headers = self._headers(data, body_fmt if body else None)
        if damage and data.draw(st.integers(0, 4), label="bad method") == 0:
            methods = BAD_METHODS + ("GET", "POST", "PUT", "DELETE")
            method = data.draw(st.sampled_from(methods), label="method")
        return Call(method, path, headers, body)

    # -- rules -------------------------------------------------------------------------

    @rule(data=st.data())
    def step(self, data: st.DataObject) -> None:
        """One request, of a kind drawn with weights (rules are drawn uniformly)."""
        kind = data.draw(st.sampled_from(STEP_KINDS), label="kind")
        if kind == "stray":
            self.stray(data)
            return
        if kind == "grow":
            operation = "create_network"
            if self.model.nets:
                operation = data.draw(st.sampled_from(GROW), label="operation")
        else:
            operation = data.draw(
                st.sampled_from(sorted(OPERATIONS)), label="operation"
            )
        valid, damage = kind == "grow", kind == "damage"
        self.send(self._call(data, operation, valid=valid, damage=damage))

    def stray(self, data: st.DataObject) -> None:
        """Paths outside the URL map: extensions, versions, health, misses."""
        x = quote(self.ns + "x")
        alias = data.draw(
            st.sampled_from(["", "/FOXNSOX", "/Cisco%20qos", "/a/b", "/%C3%A9", "/.."]),
            label="alias",
        )
        paths = [
            "/", "/foo/bar", f"/v1.2/tenants/{x}/networks", "/v1.1foo",
            f"/V1.1/tenants/{x}/networks", "/healthcheck", "/healthcheck/deep", "/v1.1",
            "/v1.1/", "/v1.0/tenants", "/v1.1/tenants/", f"/v1.1/tenants/{x}",
            "/v1.1/tenants//networks", f"/v1.1/extensions{alias}",
            f"/v1.0/extensions{alias}.xml", f"/v1.1/extensions{alias}.json",
            "/v1.1/extensions/", f"/v1.1/tenants/{x}/networks/new",
            f"/v1.1/tenants/{x}/networks/n/ports/new",
            f"/v1.1/tenants/{x}/networks/n/edit",
            "/versions.xml", "/%C3%A9t%C3%A9", "/.json", "/%FF", "/a%FF.xml",
            f"/v1.1/tenants/{x}/networks/n/ports/p/attachment/extra",
            f"/v1.1/tenants/{x}/networks.", f"/v1.0/tenants/{x}/networks.yaml",
            "/v1.1/%FF/networks", f"/v1.1/tenants/{x}/networks%0A",
        ]  # fmt: skip
        path = data.draw(st.sampled_from(paths), label="path")
        methods = ("GET", "POST", "PUT", "DELETE") + BAD_METHODS
        method = data.draw(st.sampled_from(methods), label="method")
        body = data.draw(st.sampled_from((b"",) + GARBAGE_BODIES), label="body")
        self.send(Call(method, path, self._headers(data, None), body))
        if self.allows("asterisk-form") and data.draw(st.integers(0, 9)) == 0:
            self.send(Call("OPTIONS", "*"))

    # -- sending and checking ----------------------------------------------------------

    def request(self, call: Call) -> Response:
        self.stats.requests += 1
        self.log.append(repr(call))
        try:
            return self.client.request(
                call.method, call.path, call.body or None, dict(call.headers)
            )
        except Exception as error:
            raise AssertionError(
                f"exception escaped the app: {error!r}\n{call!r}"
            ) from error

    def send(self, call: Call) -> None:
        try:
            self._send(call)
        except AssertionError:
            self.failed = True
            raise

    def _send(self, call: Call) -> None:
        expectation = self.oracle.expect(call)
        if expectation.operation == "create_network" and expectation.tenant is not None:
            self.model.tenants.add(expectation.tenant)
        response = self.request(call)
        self.stats.by_status[response.status_int] += 1
        self.stats.by_operation[expectation.operation or expectation.kind] += 1
        context = (
            f"\n  request  {call!r}\n  response {response.status} "
            f"{response.headers.get('Content-Type')!r} {response.body[:600]!r}"
        )
        assert response.status_int < 500, "server error" + context
        outcome, payload = self.check(call, expectation, response, context)
        if outcome.effect is not None:
            outcome.effect(self.model, payload)
        if expectation.mutating and expectation.network is not None:
            self.recheck(*expectation.network, after=context)

    def check(
        self, call: Call, expectation: Expectation, response: Response, context: str
    ) -> tuple[Outcome, Any]:
        status = response.status_int
        candidates = [o for o in expectation.outcomes if o.status == status]
        wanted = sorted({o.status for o in expectation.outcomes})
        assert candidates, f"status {status}, expected one of {wanted}" + context
        ctype = response.headers.get("Content-Type", "")
        if expectation.kind == "health":
            assert ctype.startswith("text/plain"), context
            assert response.body == (b"" if call.method == "HEAD" else b"OK"), context
            return candidates[0], None
        plain = [o for o in candidates if o.fault in ("routing", "extension")]
        if ctype.startswith(("text/plain", "text/html")):
            assert plain, "a plain page, expected a Quantum response" + context
            self._check_plain(call, response, plain[0].fault, context)
            return plain[0], None
        candidates = [o for o in candidates if o not in plain]
        assert candidates, "expected the plain 404 page" + context
        fmt = expectation.fmt
        assert fmt is not None, context
        if status >= 400:
            wanted_type = f"{fmt}; charset=UTF-8"
            assert ctype == wanted_type, (
                f"fault type {ctype!r}, not {wanted_type!r}" + context
            )
            return self._check_fault(expectation, candidates, response, context), None
        charset = "; charset=UTF-8" if expectation.kind == "versions" else ""
        assert ctype == fmt + charset, f"Content-Type {ctype!r}, not {fmt}" + context
        if status == 204 or call.method == "HEAD":
            assert response.body == b"", context
            return candidates[0], None
        namespace = expectation.version if expectation.kind == "api" else None
        payload = self._decode(response.body, fmt, namespace, context)
        if expectation.kind == "versions":
            self._check_versions(payload, context)
            return candidates[0], payload
        self._check_schema(expectation, status, payload, fmt, context)
        check_body = candidates[0].body
        if check_body is not None:
            try:
                check_body(payload, fmt == XML)
            except AssertionError as error:
                raise AssertionError(f"{error}" + context) from error
        return candidates[0], payload

    @staticmethod
    def _decode(body: bytes, fmt: str, version: str | None, context: str) -> Any:
        try:
            payload = decode_response(body, fmt)
        except Exception as error:  # noqa: BLE001  # NOTE: any decoding failure
            raise AssertionError(
                f"body is not well-formed {fmt}: {error}" + context
            ) from error
        if fmt == XML and version is not None:
            assert xml_root_namespace(body) == NS[version], "XML namespace" + context
        return payload

    @staticmethod
    def _check_plain(
        call: Call, response: Response, kind: str | None, context: str
    ) -> None:
        if call.method == "HEAD":
            assert response.body == b"", context
            return
        accept = dict(call.headers).get("Accept", "")
        if "html" in accept or "*/*" in accept:
            # NOTE: WebOb's page in HTML, as the original wrote it for such clients.
            assert response.headers["Content-Type"] == "text/html; charset=UTF-8", (
                context
            )
            assert response.body.startswith(b"<html>"), context
            assert b"The resource could not be found." in response.body, context
            wanted = kind != "routing"
            assert (b"Extension with alias " in response.body) == wanted, context
            return
        assert response.headers["Content-Type"] == "text/plain; charset=UTF-8", context
        if kind == "routing":
            assert response.body == ROUTING_404, "not the routing-miss page" + context
            return
        # NOTE: WebOb's page with one more line, laid out as WebOb lays it out.
        assert response.body.startswith(ROUTING_404.rstrip()), context
        assert b"Extension with alias " in response.body, context

    def _check_fault(
        self,
        expectation: Expectation,
        candidates: list[Outcome],
        response: Response,
        context: str,
    ) -> Outcome:
        version, fmt = expectation.version, expectation.fmt
        assert version is not None, context
        assert fmt is not None, context
        body = response.body
        if fmt == XML and version == "v1.0" and body.startswith(b"<Bad Request "):
            # NOTE: v1.0 family B has the invalid root tag "Bad Request" (spec §10.2).
            body = body.replace(b"<Bad Request ", b"<BadRequest ", 1)
            body = body.replace(b"</Bad Request>", b"</BadRequest>")
            payload = self._decode(body, XML, version, context)
            payload = {"Bad Request": payload.pop("BadRequest")}
        else:
            payload = self._decode(body, fmt, version, context)
        try:
            kind, message, detail = fault_kind(payload, version)
        except (AssertionError, KeyError, ValueError) as error:
            raise AssertionError(
                f"not a {version} fault body: {error}" + context
            ) from error
        matching = [o for o in candidates if o.fault == kind]
        kinds = [o.fault for o in candidates]
        assert matching, f"fault {kind}, expected one of {kinds}" + context
        if kind in DOMAIN:
            assert message == DOMAIN[kind][4], "fault message" + context
        if kind in ("B", "D"):
            assert message == GENERIC_400, "fault message" + context
        for outcome in matching:
            expected = outcome.detail
            if fmt == XML and expected is not None:
                # NOTE: what XML cannot carry is shown as U+FFFD (oracle.NOT_XML).
                expected = xml_view(expected)
            if expected is None or expected == detail:
                return outcome
        details = [o.detail for o in matching]
        raise AssertionError(
            f"fault detail {detail!r}, expected one of {details!r}" + context
        )

    @staticmethod
    def _check_schema(
        expectation: Expectation, status: int, payload: Any, fmt: str, context: str
    ) -> None:
        if (
            fmt != JSON
            or expectation.version != "v1.1"
            or expectation.operation is None
        ):
            return
        op = next(
            o for o in contract.operations() if o.operation_id == expectation.operation
        )
        schema = op.json_schema(status)
        assert schema is not None, (
            f"undocumented {status} for {op.operation_id}" + context
        )
        errors = contract.schema_errors(payload, schema)
        assert not errors, f"response violates the OpenAPI document: {errors}" + context

    @staticmethod
    def _check_versions(payload: Any, context: str) -> None:
        versions = payload["versions"]
        ids = [(v["id"], v["status"]) for v in versions]
        assert ids == [
            ("v1.0", "CURRENT"),
            ("v1.1", "PROPOSED"),
            ("v2.0", "CURRENT"),
        ], context
        for version in versions:
            (link,) = version["links"]
            assert link["rel"] == "self", context
            assert link["href"].rstrip("/").endswith("/" + version["id"]), context

    # -- consistency -------------------------------------------------------------------

    def recheck(self, tenant: str, net_id: str, after: str) -> Any:
        """Re-read one network: it exists iff modelled, and equals the model."""
        if "/" in tenant or "/" in net_id or net_id.endswith("\n"):
            return None
        base = f"/v1.1/tenants/{quote(tenant, safe='')}/networks"
        # NOTE: the .json suffix keeps a dot in the id from being taken for a suffix.
        call = Call("GET", f"{base}/{quote(net_id, safe='')}/detail.json")
        response = self.request(call)
        if self.model.net(tenant, net_id) is None:
            assert response.status_int == 404, (
                f"a network the model lacks exists: {response.body[:300]!r}"
                f"\nafter:{after}"
            )
            return None
        assert response.status_int == 200, (
            f"network lost: {response.status}\nafter:{after}"
        )
        (outcome,) = self.oracle.expect(call).outcomes
        assert outcome.body is not None
        payload = json.loads(response.body)
        try:
            outcome.body(payload, False)
        except AssertionError as error:
            raise AssertionError(f"{error}\nafter:{after}") from error
        return payload

    def teardown(self) -> None:
        """Every tenant the example may have written to holds exactly the model."""
        if self.failed or not self.log:
            return
        holders: dict[str, str] = {}
        tenants = self.model.tenants | {n.tenant for n in self.model.nets.values()}
        for tenant in sorted(t for t in tenants if t and "/" not in t):
            path = f"/v1.1/tenants/{quote(tenant, safe='')}/networks/detail"
            listed = self.request(Call("GET", path))
            assert listed.status_int == 200, listed.status
            stored = {n["id"] for n in json.loads(listed.body)["networks"]}
            modelled = {i for i, n in self.model.nets.items() if n.tenant == tenant}
            recent = "\n".join(self.log[-15:])
            assert stored == modelled, (
                f"tenant {tenant!r}: the store has {stored}, the model {modelled}\n"
                f"last calls:\n{recent}"
            )
            for net_id in sorted(stored):
                payload = self.recheck(tenant, net_id, after=" teardown")
                for port in payload["network"]["ports"]:
                    att = port.get("attachment", {}).get("id")
                    if att is not None:
                        assert att not in holders, (
                            f"attachment {att!r} on ports {holders[att]} "
                            f"and {port['id']}"
                        )
                        holders[att] = port["id"]


# -- the tests -------------------------------------------------------------------------


def _run(api: ApiUnderTest, backend: str, examples: int) -> Stats:
    defects = frozenset(d.name for d in KNOWN_DEFECTS if d.probe(api.client))
    stats = Stats()
    machine = type(
        "ApiMachineOn" + backend.title().replace("-", ""),
        (ApiMachine,),
        {
            "client": api.client,
            "port_status": api.port_status,
            "extensions": {
                e["alias"]: e
                for e in api.client.get("/v1.0/extensions").json["extensions"]
            },
            "defects": defects,
            "stats": stats,
        },
    )
    started = time.monotonic()
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[
                HealthCheck.too_slow,
                HealthCheck.data_too_large,
                HealthCheck.filter_too_much,
            ],
        ),
    )
    elapsed = time.monotonic() - started
    print(
        f"\nfuzz[{backend}]: {examples} examples, {stats.requests} requests in "
        f"{elapsed:.1f}s; known defects not generated: {sorted(defects) or 'none'}\n"
        f"  statuses: {dict(sorted(stats.by_status.items()))}\n"
        f"  operations: {dict(stats.by_operation.most_common())}"
    )
    return stats


@pytest.fixture(params=PLUGINS)
def api(
    request: pytest.FixtureRequest, scratch_dir: Path, tmp_path: Path
) -> ApiUnderTest:
    """The apps of the other API tests with the quotas lifted: the model does not
    count quotas (they have tests of their own), and v1 obeys them too now."""
    return make_api(request.param, scratch_dir, tmp_path, unlimited=True)


def test_random_requests_keep_the_store_consistent(
    api: ApiUnderTest, request: pytest.FixtureRequest
) -> None:
    backend = str(request.node.callspec.params["api"])
    examples = EXAMPLES
    if backend not in ("fake", "sql-sqlite"):
        examples = max(EXAMPLES // SERVER_BACKEND_SHARE, 5)
    stats = _run(api, backend, examples)
    # NOTE: keeps "thousands of requests" true: every example makes several.
    assert stats.requests >= examples * 5
