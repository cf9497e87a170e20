# SPDX-License-Identifier: Apache-2.0
"""What any request to the whole Paste app should do, given a model of the store.

Written from docs/spec (quantum-api-v1.md), not from ``quantum/``: ``expect`` reads a
raw request the way the spec says the service does (percent-decoding, the urlmap,
the suffix, routing, negotiation, body decoding, validation order, ownership) and
returns the outcomes the spec allows, each with its effect on the ``Model``. The fuzz
test sends the request, checks the response against one of them and applies its
effect, so the model always says what the store must hold.

Where the spec leaves a choice (an empty XML element as a field value, the type of a
non-string field), ``expect`` lists every acceptable outcome.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes
from xml.etree.ElementTree import Element  # noqa: S405  # NOTE: type only

from defusedxml import ElementTree as SafeET

JSON = "application/json"
XML = "application/xml"
NS = {
    "v1.0": "http://openstack.org/quantum/api/v1.0",
    "v1.1": "http://openstack.org/quantum/api/v1.1",
}
NAME_MAX = 255
GENERIC_400 = (
    "The server could not comply with the request since it is either malformed "
    "or otherwise incorrect."
)
ROUTING_404 = b"404 Not Found\n\nThe resource could not be found.\n\n   "
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot carry, not even as references (nor UTF-8 the surrogates).

The spec allows any string as a name or id, but a value with one of these could not be
shown in XML; refusing it (400, family B) is as acceptable as storing it. When an id
from the URL is echoed in an XML fault, each is shown as U+FFFD."""

# Accept headers whose outcome the spec fixes (q-values honoured, */* is JSON, no
# acceptable type means JSON); more specific ranges win over */* at equal quality.
ACCEPT = {
    "application/json": JSON,
    "application/xml": XML,
    "*/*": JSON,
    "text/html": JSON,
    "application/*": JSON,
    "application/xml;q=0.5, application/json;q=0.9": JSON,
    "application/json;q=0.1, application/xml": XML,
    "application/json;q=0": JSON,
    "application/xml;q=0": JSON,
    "text/*, application/xml;q=0.2": XML,
    "*/*;q=0.1, application/xml": XML,
    "image/png, text/plain;q=0.5": JSON,
}

# fault kind -> (v1.0 code, v1.0 key, v1.1 status, v1.1 type, message)
DOMAIN = {
    "NetworkNotFound": (420, "networkNotFound", 404, "NetworkNotFound",
                        "Unable to find a network with the specified identifier."),
    "NetworkInUse": (421, "networkInUse", 409, "NetworkInUse",
                     "Unable to remove the network: attachments still plugged."),
    "PortNotFound": (430, "portNotFound", 404, "PortNotFound",
                     "Unable to find a port with the specified identifier."),
    "StateInvalid": (431, "requestedStateInvalid", 400, "RequestedStateInvalid",
                     "Unable to update port state with specified value."),
    "PortInUse": (432, "portInUse", 409, "PortInUse",
                  "A resource is currently attached to the logical port"),
    "AlreadyAttached": (440, "alreadyAttached", 409, "AlreadyAttached",
                        "The resource is already attached to another port"),
}  # fmt: skip

# -- the model -------------------------------------------------------------------------


@dataclass
class PortM:
    state: str = "DOWN"
    attachment: str | None = None


@dataclass
class NetM:
    tenant: str
    name: str | None
    ports: dict[str, PortM] = field(default_factory=dict)


@dataclass
class Model:
    """What the store must hold: every network (by id) with its ports."""

    nets: dict[str, NetM] = field(default_factory=dict)
    tenants: set[str] = field(default_factory=set)
    """Every tenant a request may have written to (the consistency check lists them)."""

    def net(self, tenant: str, net_id: str) -> NetM | None:
        net = self.nets.get(net_id)
        return net if net is not None and net.tenant == tenant else None

    def holder(self, attachment: str) -> tuple[str, str] | None:
        """The tenant and id of the port holding ``attachment``, anywhere."""
        for net in self.nets.values():
            for port_id, port in net.ports.items():
                if port.attachment == attachment:
                    return net.tenant, port_id
        return None

    def port_ids(self) -> list[tuple[str, str, str]]:
        """(tenant, network id, port id) of every port."""
        return [
            (net.tenant, net_id, port_id)
            for net_id, net in self.nets.items()
            for port_id in net.ports
        ]


# -- requests and outcomes -------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One raw request: the path is percent-encoded and may carry a query string."""

    method: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""

    def __repr__(self) -> str:
        body = (
            self.body
            if len(self.body) <= 300
            else self.body[:300] + b"...(%d)" % len(self.body)
        )
        headers = dict(self.headers)
        return f"Call({self.method!r}, {self.path!r}, {headers=!r}, {body=!r})"


Effect = Callable[[Model, Any], object]
"""Applies a success to the model; what it returns is ignored."""
"""Applies an outcome to the model; gets the decoded success payload (or None)."""
BodyCheck = Callable[[Any, bool], None]
"""Asserts a decoded success payload is right; the flag says it came as XML."""


@dataclass
class Outcome:
    status: int
    fault: str | None = None
    """Domain kind (``NetworkNotFound``...), ``B``/``C``/``D`` (§10), ``413``,
    ``routing`` (the plain 404 page), ``extension`` (unknown alias), or None."""
    detail: str | None = None
    effect: Effect | None = None
    body: BodyCheck | None = None
    """Checks a success payload (decoded, see ``decode_response``)."""


@dataclass
class Expectation:
    outcomes: list[Outcome]
    fmt: str | None
    """Negotiated format; None for responses that are not JSON/XML (404 page...)."""
    version: str | None
    operation: str | None
    kind: str = "api"
    """``api`` (v1 app), ``versions``, ``health``, ``extensions``."""
    mutating: bool = False
    tenant: str | None = None
    network: tuple[str, str] | None = None
    """(tenant, network id) the request addressed, to re-read after it."""


# -- decoding what the spec says the service decodes -----------------------------------


class Undecodable(Exception):
    """The body does not decode in the negotiated format (family C)."""


class TooDeep(Undecodable):
    """Nesting beyond any sane depth: a 400, of a family the spec does not fix."""


class Unmodelled(AssertionError):
    """The generator made a well-formed body the oracle does not model (a test bug)."""


NULL = "<JSON null>"
"""A body that is JSON ``null``: read as the resource without fields (§6, as the
original's ``{"network": {}}``)."""

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def is_form_post(call: Call) -> bool:
    """A POST the original's router read as an HTML form: a form Content-Type (as
    WebOb tells one: exact) and no ``_method`` in the query."""
    query = call.path.split("?", 1)[1] if "?" in call.path else ""
    ctype = dict(call.headers).get("Content-Type", "").split(";", 1)[0]
    return call.method == "POST" and ctype in FORM_TYPES and "_method" not in query


def form_has_fields(call: Call) -> bool:
    """Whether the form has a field: an urlencoded one any pair, a multipart one a
    part; multipart without a boundary is no form (family C as well)."""
    ctype = dict(call.headers).get("Content-Type", "")
    if ctype.startswith("multipart/"):
        if "boundary=" not in ctype:
            return True
        boundary = ctype.split("boundary=", 1)[1].split(";", 1)[0].strip()
        return f"--{boundary}".encode() in call.body
    text = call.body.decode("utf-8", "replace")
    return bool(parse_qsl(text, keep_blank_values=True))


def path_bytes(path: str) -> bytes:
    return unquote_to_bytes(path.split("?", 1)[0])


def query_pairs(path: str) -> list[tuple[str, str]] | None:
    """The query as (key, value) pairs; None when it is not UTF-8."""
    if "?" not in path:
        return []
    raw = path.split("?", 1)[1].encode("latin-1").replace(b"+", b" ")
    pairs = []
    for chunk in re.split(rb"[&;]", raw):
        if not chunk:
            continue
        key, _, value = chunk.partition(b"=")
        try:
            pairs.append(
                (
                    unquote_to_bytes(key).decode("utf-8"),
                    unquote_to_bytes(value).decode(),
                )
            )
        except UnicodeDecodeError:
            return None
    return pairs


def split_suffix(path: str) -> tuple[str, str | None]:
    head, slash, last = path.rpartition("/")
    stem, dot, ext = last.rpartition(".")
    if not dot:
        return path, None
    return head + slash + stem, {"json": JSON, "xml": XML}.get(ext)


def negotiate(headers: dict[str, str], suffix: str | None) -> str:
    if suffix is not None:
        return suffix
    ctype = headers.get("Content-Type", "").split(";", 1)[0].strip()
    if ctype in (JSON, XML):
        return ctype
    if "Accept" in headers:
        return ACCEPT[headers["Accept"]]
    return JSON


def _xml_value(node: Element) -> Any:
    """Spec §5.3: attributes and children become fields; text alone is the value."""
    children = list(node)
    raw = node.text or ""
    # NOTE: text is kept exactly (the server does too); only whitespace-only text,
    # as between indented elements, is no content.
    text = raw if raw.strip() else ""
    if not children and not node.attrib:
        return text if text else {}
    if not children and text:
        raise Unmodelled("mixed attributes and text are not generated")
    out: dict[str, Any] = {k.rsplit("}", 1)[-1]: v for k, v in node.attrib.items()}
    for child in children:
        key = child.tag.rsplit("}", 1)[-1]
        if key in out:
            raise Unmodelled("repeated fields are not generated")
        out[key] = _xml_value(child)
    return out


def decode_body(body: bytes, fmt: str) -> Any:
    """The body as the service must read it; raises Undecodable (family C)."""
    if fmt == JSON:
        try:
            return json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as error:
            raise Undecodable(str(error)) from error
    try:
        root = SafeET.fromstring(body)
    except Exception as error:  # noqa: BLE001  # NOTE: expat, defusedxml forbids...
        raise Undecodable(str(error)) from error
    try:
        return {root.tag.rsplit("}", 1)[-1]: _xml_value(root)}
    except RecursionError as error:
        raise TooDeep(str(error)) from error


# -- the oracle ------------------------------------------------------------------------


class Oracle:
    def __init__(
        self,
        model: Model,
        port_status: str,
        body_limit: int,
        extensions: Mapping[str, Any] | None = None,
    ) -> None:
        """``extensions``: alias -> descriptor of what the plugin exposes (their own
        tests check the descriptors; here only that discovery stays consistent)."""
        self.model = model
        self.port_status = port_status
        self.body_limit = body_limit
        self.extensions = dict(extensions or {})
        self.version = "v1.1"
        """The version of the request being judged (views depend on it)."""

    def expect(self, call: Call) -> Expectation:
        headers = dict(call.headers)
        try:
            path = path_bytes(call.path).decode("utf-8")
        except UnicodeDecodeError:
            path = None
        raw = path_bytes(call.path).decode("latin-1")
        # NOTE: the urlmap collapses repeated slashes before choosing the app.
        mapped = re.sub("/+", "/", raw)
        for prefix in ("/v1.0", "/v1.1"):
            if mapped == prefix or mapped.startswith(prefix + "/"):
                rest = None if path is None else re.sub("/+", "/", path)[len(prefix) :]
                return self._v1(call, prefix[1:], rest, headers)
        if mapped == "/healthcheck" or mapped.startswith("/healthcheck/"):
            return Expectation([Outcome(200)], None, None, None, kind="health")
        # NOTE: a suffix is ASCII, so it is found in the raw path even when the
        # path is not UTF-8.
        fmt = negotiate(headers, split_suffix(raw)[1])
        return Expectation([Outcome(200)], fmt, None, None, kind="versions")

    # -- v1 routing --------------------------------------------------------------------

    def _v1(
        self, call: Call, version: str, rest: str | None, headers: dict[str, str]
    ) -> Expectation:
        if rest is None:
            return self._routing_miss(version)
        stripped, suffix = split_suffix(rest)
        fmt = negotiate(headers, suffix)
        self.version = version
        if stripped == "/extensions" or stripped.startswith("/extensions/"):
            alias = stripped.removeprefix("/extensions").removeprefix("/")
            # NOTE: "/extensions/" is a trailing slash, a routing miss like any other.
            if call.method == "GET" and "/" not in alias and stripped != "/extensions/":
                if not alias:
                    body = _json_equals({"extensions": list(self.extensions.values())})
                    return Expectation(
                        [Outcome(200, body=body)],
                        fmt,
                        version,
                        "list_extensions",
                        kind="extensions",
                    )
                if alias in self.extensions:
                    shown = _json_equals(self.extensions[alias])
                    return Expectation(
                        [Outcome(200, body=shown)],
                        fmt,
                        version,
                        "show_extension",
                        kind="extensions",
                    )
                return Expectation(
                    [Outcome(404, "extension")],
                    None,
                    version,
                    "show_extension",
                    kind="extensions",
                )
        route = _route(call.method, stripped)
        if route is None:
            return self._routing_miss(version)
        operation, params = route
        handler: Callable[..., list[Outcome]] = getattr(self, "_" + operation)
        outcomes = adjust_for_version(handler(call, fmt, version, *params), version)
        if stripped.endswith("\n"):
            # NOTE: Routes' "$" matches before a final newline; refusing to route such
            # a path at all is as good as treating the newline as part of the id.
            outcomes.append(Outcome(404, "routing"))
        mutating = call.method in ("POST", "PUT", "DELETE")
        network = (params[0], params[1]) if len(params) >= 2 else None
        return Expectation(
            outcomes,
            fmt,
            version,
            operation,
            mutating=mutating,
            tenant=params[0],
            network=network,
        )

    def _routing_miss(self, version: str) -> Expectation:
        return Expectation([Outcome(404, "routing")], None, version, None)

    # -- bodies ------------------------------------------------------------------------

    def _read(self, call: Call, fmt: str) -> tuple[list[Outcome] | None, Any]:
        """Family 413/C and the decoded body (None when there is none, NULL for a
        JSON null)."""
        if len(call.body) > self.body_limit:
            return [Outcome(413, "413")], None
        raw = call.body
        if is_form_post(call):
            # NOTE: a form POST's body is read as a form (as Routes did); what the API
            # then reads is the form again, never JSON or XML.
            if form_has_fields(call):
                return [Outcome(400, "C")], None
            raw = b""
        if not raw:
            return None, None
        try:
            body = decode_body(raw, fmt)
        except TooDeep:
            return [Outcome(400, "C"), Outcome(400, "B"), Outcome(400, "D")], None
        except Undecodable:
            return [Outcome(400, "C")], None
        if body is None:
            return None, NULL
        if not isinstance(body, dict):
            return [Outcome(400, "D")], None
        return None, body

    @staticmethod
    def _root(body: Any, key: str) -> tuple[list[Outcome] | None, dict[str, Any]]:
        if body is None:
            return [Outcome(400, "D")], {}
        if body is NULL:
            return None, {}  # NOTE: null reads as the resource without fields
        value = body.get(key)
        if not isinstance(value, dict):
            return [Outcome(400, "B", f"Unable to find '{key}' in request body")], {}
        return None, value

    @staticmethod
    def _text(
        fields: dict[str, Any], key: str, required: bool, numbers: bool = False
    ) -> tuple[list[Outcome] | None, list[str | None]]:
        """Faults for a string field, else its acceptable readings (None = missing).

        With ``numbers``, a JSON number reads as its text (zero as the empty string),
        as the original stored it."""
        missing = Outcome(
            400, "B", f"Failed to parse request. Parameter: {key} not specified"
        )
        value = fields.get(key)
        if (
            numbers
            and isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
        ):
            value = str(value) if value else ""
        if value is None:
            return ([missing] if required else None), [None]
        if value == {}:
            # NOTE: an empty XML element; the spec does not say: "" or a bad value.
            return [Outcome(400, "B")], [""]
        if not isinstance(value, str) or len(value) > NAME_MAX or "\x00" in value:
            return [Outcome(400, "B")], []
        if NOT_XML.search(value):
            return [Outcome(400, "B")], [value]
        return None, [value]

    # -- networks ----------------------------------------------------------------------

    def _list_networks(
        self, call: Call, fmt: str, version: str, tenant: str, detail: bool = False
    ) -> list[Outcome]:
        pairs = query_pairs(call.path)
        if pairs is None:
            # NOTE: filters never fail (§9); what an undecodable query matches is open.
            return [Outcome(200, body=_shape_only), Outcome(400, "B")]
        nets = _filter_networks(self.model, tenant, dict(pairs), self.port_status)
        if detail:
            expected = {
                "networks": sorted((self._net_view(i) for i in nets), key=_by_id)
            }
        else:
            expected = {"networks": sorted(({"id": i} for i in nets), key=_by_id)}
        return [Outcome(200, body=_equals(expected, sort_lists=True))]

    def _list_networks_detail(
        self, call: Call, fmt: str, version: str, tenant: str
    ) -> list[Outcome]:
        return self._list_networks(call, fmt, version, tenant, detail=True)

    def _net_view(self, net_id: str, ports: bool = False) -> dict[str, Any]:
        net = self.model.nets[net_id]
        view: dict[str, Any] = {"id": net_id, "name": net.name}
        if self.version == "v1.1":
            view["op-status"] = "UP"
        if ports:
            view["ports"] = sorted(
                (self._port_view(net_id, p, attachment=True) for p in net.ports),
                key=_by_id,
            )
        return view

    def _port_view(
        self, net_id: str, port_id: str, attachment: bool = False
    ) -> dict[str, Any]:
        port = self.model.nets[net_id].ports[port_id]
        view: dict[str, Any] = {"id": port_id, "state": port.state}
        if self.version == "v1.1":
            view["op-status"] = self.port_status
        if attachment and port.attachment is not None:
            view["attachment"] = {"id": port.attachment}
        return view

    def _create_network(
        self, call: Call, fmt: str, version: str, tenant: str
    ) -> list[Outcome]:
        if len(tenant) > NAME_MAX or "\x00" in tenant:
            return [Outcome(400, "B")]
        refused = [Outcome(400, "B")] if NOT_XML.search(tenant) else []
        return refused + self._new_network(call, fmt, version, tenant)

    def _new_network(
        self, call: Call, fmt: str, version: str, tenant: str
    ) -> list[Outcome]:
        faults, body = self._read(call, fmt)
        if faults:
            return faults
        faults, fields = self._root(body, "network")
        if faults:
            return faults
        faults, names = self._text(fields, "name", required=True, numbers=True)
        created = 200 if version == "v1.0" else 202
        return list(faults or []) + [
            Outcome(
                created,
                effect=_created_network(tenant, name or None),
                body=_new_id("network", self.model),
            )
            for name in names
        ]

    def _network_or_404(self, tenant: str, net_id: str) -> list[Outcome] | None:
        if self.model.net(tenant, net_id) is None:
            return [
                Outcome(404, "NetworkNotFound", f"Network {net_id} could not be found")
            ]
        return None

    def _show_network(
        self, call: Call, fmt: str, version: str, tenant: str, net_id: str
    ) -> list[Outcome]:
        missing = self._network_or_404(tenant, net_id)
        if missing:
            return missing
        return [Outcome(200, body=_equals({"network": self._net_view(net_id)}))]

    def _show_network_detail(
        self, call: Call, fmt: str, version: str, tenant: str, net_id: str
    ) -> list[Outcome]:
        missing = self._network_or_404(tenant, net_id)
        if missing:
            return missing
        expected = {"network": self._net_view(net_id, ports=True)}
        return [Outcome(200, body=_equals(expected, sort_lists=True))]

    def _update_network(
        self, call: Call, fmt: str, version: str, tenant: str, net_id: str
    ) -> list[Outcome]:
        faults, body = self._read(call, fmt)
        if faults:
            return faults
        faults, fields = self._root(body, "network")
        if faults:
            return faults
        faults, names = self._text(fields, "name", required=True, numbers=True)
        outcomes = list(faults or [])
        if names:
            outcomes += self._network_or_404(tenant, net_id) or [
                Outcome(204, effect=_renamed(net_id, name or None)) for name in names
            ]
        return outcomes

    def _delete_network(
        self, call: Call, fmt: str, version: str, tenant: str, net_id: str
    ) -> list[Outcome]:
        missing = self._network_or_404(tenant, net_id)
        if missing:
            return missing
        if any(
            p.attachment is not None for p in self.model.nets[net_id].ports.values()
        ):
            detail = (
                f"Unable to complete operation on network {net_id}. "
                "There is one or more attachments plugged into its ports."
            )
            return [Outcome(409, "NetworkInUse", detail)]
        return [Outcome(204, effect=lambda m, _: m.nets.pop(net_id))]

    # -- ports -------------------------------------------------------------------------

    def _list_ports(
        self,
        call: Call,
        fmt: str,
        version: str,
        tenant: str,
        net_id: str,
        detail: bool = False,
    ) -> list[Outcome]:
        missing = self._network_or_404(tenant, net_id)
        if missing:
            return missing
        pairs = query_pairs(call.path)
        if pairs is None:
            return [Outcome(200, body=_shape_only), Outcome(400, "B")]
        ports = _filter_ports(self.model, net_id, dict(pairs), self.port_status)
        if detail:
            expected = {
                "ports": sorted((self._port_view(net_id, p) for p in ports), key=_by_id)
            }
        else:
            expected = {"ports": sorted(({"id": p} for p in ports), key=_by_id)}
        return [Outcome(200, body=_equals(expected, sort_lists=True))]

    def _list_ports_detail(
        self, call: Call, fmt: str, version: str, tenant: str, net_id: str
    ) -> list[Outcome]:
        return self._list_ports(call, fmt, version, tenant, net_id, detail=True)

    def _port_or_404(
        self, tenant: str, net_id: str, port_id: str
    ) -> list[Outcome] | None:
        missing = self._network_or_404(tenant, net_id)
        if missing:
            return missing
        if port_id not in self.model.nets[net_id].ports:
            detail = f"Port {port_id} could not be found on network {net_id}"
            return [Outcome(404, "PortNotFound", detail)]
        return None

    @staticmethod
    def _states(fields: dict[str, Any]) -> list[tuple[str | None, Any]]:
        """Acceptable readings of ``state``: (state, None) or (None, invalid value)."""
        value = fields.get("state")
        if value is None or value == "":
            return [("DOWN", None)]
        if value == {}:
            # NOTE: an empty XML element: "" (DOWN) or an invalid state, spec is silent.
            return [("DOWN", None), (None, value)]
        if value in ("ACTIVE", "DOWN") and isinstance(value, str):
            return [(value, None)]
        return [(None, value)]

    def _create_port(
        self, call: Call, fmt: str, version: str, tenant: str, net_id: str
    ) -> list[Outcome]:
        faults, body = self._read(call, fmt)
        if faults:
            return faults
        fields: dict[str, Any] = {}
        if body is not None:
            faults, fields = self._root(body, "port")
            if faults:
                return faults
        missing = self._network_or_404(tenant, net_id)
        if missing:
            return missing
        outcomes = []
        created = 200 if version == "v1.0" else 202
        for state, invalid in self._states(fields):
            if state is None:
                outcomes.append(_state_invalid(invalid))
            else:
                outcomes.append(
                    Outcome(
                        created,
                        effect=_created_port(net_id, state),
                        body=_new_id("port", self.model),
                    )
                )
        return outcomes

    def _show_port(
        self, call: Call, fmt: str, version: str, tenant: str, net_id: str, port_id: str
    ) -> list[Outcome]:
        missing = self._port_or_404(tenant, net_id, port_id)
        if missing:
            return missing
        return [Outcome(200, body=_equals({"port": self._port_view(net_id, port_id)}))]

    def _show_port_detail(
        self, call: Call, fmt: str, version: str, tenant: str, net_id: str, port_id: str
    ) -> list[Outcome]:
        missing = self._port_or_404(tenant, net_id, port_id)
        if missing:
            return missing
        view = self._port_view(net_id, port_id, attachment=True)
        return [Outcome(200, body=_equals({"port": view}))]

    def _update_port(
        self, call: Call, fmt: str, version: str, tenant: str, net_id: str, port_id: str
    ) -> list[Outcome]:
        faults, body = self._read(call, fmt)
        if faults:
            return faults
        faults, fields = self._root(body, "port")
        if faults:
            return faults
        missing = self._port_or_404(tenant, net_id, port_id)
        if missing:
            return missing
        outcomes = []
        for state, invalid in self._states(fields):
            if state is None:
                outcomes.append(_state_invalid(invalid))
            else:
                outcomes.append(Outcome(204, effect=_set_state(net_id, port_id, state)))
        return outcomes

    def _delete_port(
        self, call: Call, fmt: str, version: str, tenant: str, net_id: str, port_id: str
    ) -> list[Outcome]:
        missing = self._port_or_404(tenant, net_id, port_id)
        if missing:
            return missing
        port = self.model.nets[net_id].ports[port_id]
        if port.attachment is not None:
            return [_port_in_use(net_id, port_id, port.attachment)]
        return [Outcome(204, effect=lambda m, _: m.nets[net_id].ports.pop(port_id))]

    # -- attachment --------------------------------------------------------------------

    def _show_attachment(
        self, call: Call, fmt: str, version: str, tenant: str, net_id: str, port_id: str
    ) -> list[Outcome]:
        missing = self._port_or_404(tenant, net_id, port_id)
        if missing:
            return missing
        attachment = self.model.nets[net_id].ports[port_id].attachment
        view = {} if attachment is None else {"id": attachment}
        return [Outcome(200, body=_equals({"attachment": view}))]

    def _plug_attachment(
        self, call: Call, fmt: str, version: str, tenant: str, net_id: str, port_id: str
    ) -> list[Outcome]:
        faults, body = self._read(call, fmt)
        if faults:
            return faults
        faults, fields = self._root(body, "attachment")
        if faults:
            return faults
        faults, ids = self._text(fields, "id", required=True)
        present = [i for i in ids if i]
        outcomes = list(faults or [])
        if fields.get("id") == "":
            outcomes.append(
                Outcome(
                    400, "B", "Failed to parse request. Parameter: id not specified"
                )
            )
        for att in present:
            outcomes += self._plug(tenant, net_id, port_id, att)
        return outcomes

    def _plug(self, tenant: str, net_id: str, port_id: str, att: str) -> list[Outcome]:
        missing = self._port_or_404(tenant, net_id, port_id)
        if missing:
            return missing
        current = self.model.nets[net_id].ports[port_id].attachment
        if current is not None:
            return [_port_in_use(net_id, port_id, current)]
        holder = self.model.holder(att)
        if holder is not None:
            owner, holder_id = holder
            where = (
                f"port {holder_id}" if owner == tenant else "a port of another tenant"
            )
            detail = (
                f"Unable to plug the attachment {att} into port {port_id} for network "
                f"{net_id}. The attachment is already plugged into {where}"
            )
            return [Outcome(409, "AlreadyAttached", detail)]
        return [Outcome(204, effect=_plugged(net_id, port_id, att))]

    def _unplug_attachment(
        self, call: Call, fmt: str, version: str, tenant: str, net_id: str, port_id: str
    ) -> list[Outcome]:
        missing = self._port_or_404(tenant, net_id, port_id)
        if missing:
            return missing
        return [Outcome(204, effect=_plugged(net_id, port_id, None))]


# -- routing (§3) ----------------------------------------------------------------------


def _route(method: str, path: str) -> tuple[str, tuple[str, ...]] | None:
    """(operation, path values) for a suffix-stripped path under a version."""
    seg = path.split("/")
    if (
        len(seg) < 4
        or seg[:2] != ["", "tenants"]
        or seg[3] != "networks"
        or "" in seg[2:]
    ):
        return None
    tenant, rest = seg[2], seg[4:]
    if not rest:
        return {
            "GET": ("list_networks", (tenant,)),
            "POST": ("create_network", (tenant,)),
        }.get(method)
    if method == "GET" and rest == ["detail"]:
        return "list_networks_detail", (tenant,)
    if method == "GET" and rest == ["new"]:
        return None
    net, rest = rest[0], rest[1:]
    if not rest:
        ops = {
            "GET": "show_network",
            "PUT": "update_network",
            "DELETE": "delete_network",
        }
        return (ops[method], (tenant, net)) if method in ops else None
    if rest == ["detail"]:
        return ("show_network_detail", (tenant, net)) if method == "GET" else None
    if rest[0] != "ports":
        return None
    rest = rest[1:]
    if not rest:
        ops = {"GET": "list_ports", "POST": "create_port"}
        return (ops[method], (tenant, net)) if method in ops else None
    if method == "GET" and rest == ["detail"]:
        return "list_ports_detail", (tenant, net)
    if method == "GET" and rest == ["new"]:
        return None
    port, rest = rest[0], rest[1:]
    ops = {
        (): {"GET": "show_port", "PUT": "update_port", "DELETE": "delete_port"},
        ("detail",): {"GET": "show_port_detail"},
        ("attachment",): {
            "GET": "show_attachment",
            "PUT": "plug_attachment",
            "DELETE": "unplug_attachment",
        },
    }.get(tuple(rest), {})
    return (ops[method], (tenant, net, port)) if method in ops else None


# -- filters (§9) ----------------------------------------------------------------------

NETWORK_FILTERS = {
    "name",
    "op-status",
    "port-op-status",
    "port-state",
    "has-attachment",
    "attachment",
    "port",
}
PORT_FILTERS = {"state", "op-status", "has-attachment", "attachment"}


def _filter_networks(
    model: Model, tenant: str, query: dict[str, str], port_status: str
) -> list[str]:
    nets = [i for i, n in model.nets.items() if n.tenant == tenant]
    if not query:
        return nets
    known = {k: v for k, v in query.items() if k in NETWORK_FILTERS}
    if not known:
        return []

    def matches(net: NetM, key: str, value: str) -> bool:
        ports = list(net.ports.items())
        return {
            "name": lambda: net.name == value,
            "op-status": lambda: value == "UP",
            "port-op-status": lambda: bool(ports) and port_status == value,
            "port-state": lambda: any(p.state == value for _, p in ports),
            "has-attachment": lambda: (
                any(p.attachment for _, p in ports) == (value.lower() == "true")
            ),
            "attachment": lambda: any(p.attachment == value for _, p in ports),
            "port": lambda: any(i == value for i, _ in ports),
        }[key]()

    return [
        i for i in nets if all(matches(model.nets[i], k, v) for k, v in known.items())
    ]


def _filter_ports(
    model: Model,
    net_id: str,
    query: dict[str, str],
    port_status: str,
) -> list[str]:
    ports = list(model.nets[net_id].ports)
    if not query:
        return ports
    known = {k: v for k, v in query.items() if k in PORT_FILTERS}
    if not known:
        return []

    def matches(port_id: str, key: str, value: str) -> bool:
        port = model.nets[net_id].ports[port_id]
        return {
            "state": lambda: port.state == value,
            "op-status": lambda: port_status == value,
            "has-attachment": lambda: (
                bool(port.attachment) == (value.lower() == "true")
            ),
            "attachment": lambda: port.attachment == value,
        }[key]()

    return [p for p in ports if all(matches(p, k, v) for k, v in known.items())]


# -- effects and body checks -----------------------------------------------------------


def _by_id(item: dict[str, Any]) -> str:
    return str(item["id"])


def _created_network(tenant: str, name: str | None) -> Effect:
    def apply(model: Model, payload: Any) -> None:
        model.nets[payload["network"]["id"]] = NetM(tenant, name)

    return apply


def _renamed(net_id: str, name: str | None) -> Effect:
    def apply(model: Model, _: Any) -> None:
        model.nets[net_id].name = name

    return apply


def _created_port(net_id: str, state: str) -> Effect:
    def apply(model: Model, payload: Any) -> None:
        model.nets[net_id].ports[payload["port"]["id"]] = PortM(state)

    return apply


def _set_state(net_id: str, port_id: str, state: str) -> Effect:
    def apply(model: Model, _: Any) -> None:
        model.nets[net_id].ports[port_id].state = state

    return apply


def _plugged(net_id: str, port_id: str, att: str | None) -> Effect:
    def apply(model: Model, _: Any) -> None:
        model.nets[net_id].ports[port_id].attachment = att

    return apply


def _port_in_use(net_id: str, port_id: str, att: str) -> Outcome:
    detail = (
        f"Unable to complete operation on port {port_id} for network {net_id}. "
        f"The attachment '{att}is plugged into the logical port."
    )
    return Outcome(409, "PortInUse", detail)


def _state_invalid(value: Any) -> Outcome:
    detail = f"Unsupported port state: {value}" if isinstance(value, str) else None
    if detail is not None and re.search("[\ud800-\udfff]", detail):
        detail = None  # NOTE: a lone surrogate cannot be written as UTF-8 at all
    return Outcome(400, "StateInvalid", detail)


def _new_id(resource: str, model: Model) -> BodyCheck:
    def check(payload: Any, xml: bool) -> None:
        assert set(payload) == {resource}, payload
        assert set(payload[resource]) == {"id"}, payload
        new = payload[resource]["id"]
        assert isinstance(new, str)
        assert new, payload
        assert new not in model.nets, f"id {new} reused"
        assert all(new != p for _, _, p in model.port_ids()), f"id {new} reused"

    return check


def _normalise(value: Any, sort_lists: bool) -> Any:
    if isinstance(value, dict):
        return {k: _normalise(v, sort_lists) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normalise(v, sort_lists) for v in value]
        if sort_lists and all(isinstance(i, dict) and "id" in i for i in items):
            items.sort(key=_by_id)
        return items
    return value


def xml_view(value: Any) -> Any:
    """``value`` as XML shows it: a null name is "None", NOT_XML characters U+FFFD."""
    if isinstance(value, dict):
        return {
            k: "None" if k == "name" and v is None else xml_view(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [xml_view(v) for v in value]
    return NOT_XML.sub("\ufffd", value) if isinstance(value, str) else value


def _equals(expected: Any, sort_lists: bool = False) -> BodyCheck:
    def check(payload: Any, xml: bool) -> None:
        got = _normalise(payload, sort_lists)
        want = xml_view(expected) if xml else expected
        assert got == want, (
            f"store and model differ:\n got      {got!r}\n expected {want!r}"
        )

    return check


def _json_equals(expected: Any) -> BodyCheck:
    """Exactly ``expected`` in JSON; an XML answer is only parsed."""

    def check(payload: Any, xml: bool) -> None:
        if not xml:
            assert payload == expected, f"got {payload!r}, expected {expected!r}"

    return check


def _shape_only(payload: Any, xml: bool) -> None:
    assert isinstance(payload, dict)
    assert len(payload) == 1


# -- responses: decode JSON or XML into one format-neutral shape -----------------------

_LISTS = {
    "networks": "network",
    "ports": "port",
    "extensions": "extension",
    "versions": "version",
    "links": "link",
}


def _xml_response_value(node: Element, name: str) -> Any:
    if name in _LISTS:
        return [_xml_response_value(c, _LISTS[name]) for c in node]
    out: dict[str, Any] = dict(node.attrib)
    for child in node:
        tag = child.tag.rsplit("}", 1)[-1]
        if len(child) or child.attrib or tag in _LISTS:
            out[tag] = _xml_response_value(child, tag)
        else:
            out[tag] = child.text or ""
    return out


def decode_response(body: bytes, content_type: str) -> Any:
    """A JSON or XML response body as plain data; raises on a malformed body.

    XML: attributes and children both become keys, namespaces are dropped (the caller
    checks the root's).
    """
    if content_type == JSON:
        return json.loads(body.decode("utf-8"))
    root = SafeET.fromstring(body)
    tag = root.tag.rsplit("}", 1)[-1]
    return {tag: _xml_response_value(root, tag)}


def xml_root_namespace(body: bytes) -> str | None:
    tag = SafeET.fromstring(body).tag
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else None


def fault_kind(payload: Any, version: str) -> tuple[str, str | None, str | None]:
    """(kind, message, detail) of a v1 fault body, in the terms of ``Outcome.fault``."""
    assert isinstance(payload, dict), payload
    assert len(payload) == 1, payload
    ((key, inner),) = payload.items()
    assert isinstance(inner, dict), payload
    message, detail = inner.get("message"), inner.get("detail")
    if key == "Error":
        code = int(inner["code"])
        assert set(inner) == {"code", "message"}, payload
        if code == 413:
            return "413", message, None
        assert code == 400, payload
        if message == "Malformed request body":
            return "C", message, None
        assert message == GENERIC_400, payload
        return "D", message, None
    if version == "v1.1":
        assert key == "QuantumError", payload
        assert set(inner) == {"type", "message", "detail"}, payload
        if inner["type"] == "QuantumServiceFault":
            assert message == GENERIC_400, payload
            return "B", message, detail
        for kind, (_, _, _, v11_type, _) in DOMAIN.items():
            if inner["type"] == v11_type:
                return kind, message, detail
        raise AssertionError(f"unknown fault type {inner['type']!r}")
    assert set(inner) == {"code", "message", "detail"}, payload
    if key == "Bad Request":
        assert message == GENERIC_400, payload
        return "B", message, detail
    for kind, (code, v10_key, _, _, _) in DOMAIN.items():
        if key == v10_key:
            assert int(inner["code"]) == code, payload
            return kind, message, detail
    raise AssertionError(f"unknown v1.0 fault {key!r}")


def status_of(kind: str, version: str) -> int:
    if kind in DOMAIN:
        v10, _, v11, _, _ = DOMAIN[kind]
        return v10 if version == "v1.0" else v11
    return {"413": 413}.get(kind, 400)


def adjust_for_version(
    outcomes: Iterable[Outcome], version: str | None
) -> list[Outcome]:
    """Outcomes carry v1.1 statuses; v1.0 uses 420-440 for domain faults."""
    adjusted = []
    for outcome in outcomes:
        if version == "v1.0" and outcome.fault in DOMAIN:
            outcome = Outcome(
                status_of(outcome.fault, version),
                outcome.fault,
                outcome.detail,
                outcome.effect,
                outcome.body,
            )
        adjusted.append(outcome)
    return adjusted
