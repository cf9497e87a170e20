# SPDX-License-Identifier: Apache-2.0
"""The v1.0 / v1.1 application: one route table, one handler per operation.

Every request goes through the same steps in ``__call__``: strip the format suffix,
negotiate the format, match the route, run the handler (parse body -> plugin call ->
view), and turn any error into the version's fault. Handlers return a payload and a
status; serialisation happens once, here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from routes import Mapper
from webob import Request, Response
from webob.exc import HTTPNotFound

from quantum.api.v1 import faults, filters, requests, views
from quantum.api.v1.versions import ApiVersion
from quantum.api.wire import Format, XmlShape, encode_json, negotiate, split_suffix
from quantum.core import exceptions as exc
from quantum.core.exceptions import QuantumError, StateInvalid
from quantum.core.networks import Network
from quantum.core.ports import Port
from quantum.core.text import storable
from quantum.plugins.interface import CorePlugin

LOG = logging.getLogger(__name__)

NETWORKS = "/tenants/{tenant_id}/networks"
NETWORK = NETWORKS + "/{network_id}"
PORTS = NETWORK + "/ports"
PORT = PORTS + "/{port_id}"

# (method, path, operation); earlier rows win, so "detail" is never taken for an id.
ROUTES: tuple[tuple[str, str, str | None], ...] = (
    ("GET", NETWORKS, "list_networks"),
    ("GET", NETWORKS + "/detail", "list_networks_detail"),
    ("GET", NETWORKS + "/new", None),
    ("POST", NETWORKS, "create_network"),
    ("GET", NETWORK, "show_network"),
    ("GET", NETWORK + "/detail", "show_network_detail"),
    ("PUT", NETWORK, "update_network"),
    ("DELETE", NETWORK, "delete_network"),
    ("GET", PORTS, "list_ports"),
    ("GET", PORTS + "/detail", "list_ports_detail"),
    ("GET", PORTS + "/new", None),
    ("POST", PORTS, "create_port"),
    ("GET", PORT, "show_port"),
    ("GET", PORT + "/detail", "show_port_detail"),
    ("PUT", PORT, "update_port"),
    ("DELETE", PORT, "delete_port"),
    ("GET", PORT + "/attachment", "show_attachment"),
    ("PUT", PORT + "/attachment", "plug_attachment"),
    ("DELETE", PORT + "/attachment", "unplug_attachment"),
)

NOT_FOUND_BODY = b"404 Not Found\n\nThe resource could not be found.\n\n   "
"""The body of ``not_found`` without a detail line."""


def wants_html(request: Request) -> bool:
    """Whether WebOb, as the original ran it (1.0.8), wrote its error pages in HTML:
    an Accept header naming any html type, or ``*/*`` (curl's and browsers')."""
    accept = request.headers.get("Accept", "")
    return "html" in accept or "*/*" in accept


def not_found(request: Request, extra: str = "") -> Response:
    """WebOb's 404 page (with ``extra`` as its detail line), as the original answered
    anything it did not route: HTML when the client accepts it (``wants_html``), else
    plain text; HEAD gets the empty ``text/html`` form."""
    if request.method == "HEAD":
        response = Response(status="404 Not Found", body=b"")
        response.headers["Content-Type"] = "text/html; charset=UTF-8"
        return response
    # NOTE: WebOb's own templates, so a detail line is laid out as WebOb lays it out.
    error = HTTPNotFound(detail=extra or None)
    if wants_html(request):
        page, kind = error.html_body(request.environ), "text/html"
    else:
        page, kind = error.plain_body(request.environ), "text/plain"
    response = Response(status="404 Not Found", body=page.encode("utf-8"))
    response.headers["Content-Type"] = f"{kind}; charset=UTF-8"
    return response


def build_mapper(routes: Iterable[tuple[str, str, str | None]]) -> Mapper:
    """The route table as a Routes mapper; earlier rows win."""
    mapper = Mapper()
    mapper.explicit = True
    for method, path, operation in routes:
        mapper.connect(
            path,
            operation=operation,
            conditions={"method": [method]},
            requirements={
                "tenant_id": "[^/]+",
                "network_id": "[^/]+",
                "port_id": "[^/]+",
            },
        )
    return mapper


def match_route(
    mapper: Mapper, method: str, path: str
) -> tuple[str | None, dict[str, str]] | None:
    """The operation and URL variables of the route matching both; else None."""
    # NOTE: Routes anchors with ``$``, which also matches before a final newline, so
    # ``networks\n`` would be served as ``networks``; such a path is never routed.
    if path.endswith("\n"):
        return None
    found = mapper.match(path, environ={"REQUEST_METHOD": method})
    if not found:
        return None
    operation = found.pop("operation")
    return operation, found


@dataclass(frozen=True, slots=True)
class Reply:
    status: str
    payload: dict[str, Any] | None = None
    shape: XmlShape = views.XML


NO_CONTENT = Reply("204 No Content")


class Networks(Protocol):
    """The v1 door's networks calls (``NetworkService``'s)."""

    def create_owned(self, tenant_id: str, name: str | None) -> Network: ...
    def list_owned(
        self, tenant_id: str, *, with_ports: bool = False
    ) -> Sequence[Network]: ...
    def get_owned(
        self, tenant_id: str, network_id: str, *, with_ports: bool = False
    ) -> Network: ...
    def rename_owned(
        self, tenant_id: str, network_id: str, name: str | None
    ) -> None: ...
    def delete_owned(self, tenant_id: str, network_id: str) -> None: ...


class Ports(Protocol):
    """The v1 door's ports calls (``PortService``'s)."""

    def list_on_network(self, tenant_id: str, network_id: str) -> Sequence[Port]: ...
    def get_on_network(self, tenant_id: str, network_id: str, port_id: str) -> Port: ...
    def create_on_network(
        self, tenant_id: str, network_id: str, *, admin_state_up: bool
    ) -> Port: ...
    def set_state_on_network(
        self, tenant_id: str, network_id: str, port_id: str, *, admin_state_up: bool
    ) -> None: ...
    def delete_on_network(
        self, tenant_id: str, network_id: str, port_id: str
    ) -> None: ...
    def plug(
        self, tenant_id: str, network_id: str, port_id: str, attachment_id: str
    ) -> None: ...
    def unplug(self, tenant_id: str, network_id: str, port_id: str) -> None: ...


class NamesNothing:
    """The door of a call whose URL holds an id no back-end can store (U+0000, a
    lone surrogate): such an id names nothing, so each call answers as for an id
    no row has, without asking the store about it. A tenant owns no network, a
    network is not found; a port is not found once its network (asked of the
    real door) is."""

    def __init__(self, networks: Networks) -> None:
        self.networks = networks

    def _missing(self, tenant_id: str, network_id: str, port_id: str = "") -> Any:
        if storable(tenant_id, network_id):
            self.networks.get_owned(tenant_id, network_id)
            raise exc.PortNotFoundOnNetwork(network_id=network_id, port_id=port_id)
        raise exc.NetworkNotFound(network_id=network_id)

    # -- Networks ---------------------------------------------------------------------

    def create_owned(self, tenant_id: str, name: str | None) -> Network:
        # NOTE: unreached: create_network refuses such a tenant (400) first.
        raise exc.InvalidInput(reason="the tenant id cannot be stored")

    def list_owned(
        self, tenant_id: str, *, with_ports: bool = False
    ) -> Sequence[Network]:
        return []

    def get_owned(
        self, tenant_id: str, network_id: str, *, with_ports: bool = False
    ) -> Network:
        return self._missing(tenant_id, network_id)  # type: ignore[no-any-return]

    def rename_owned(self, tenant_id: str, network_id: str, name: str | None) -> None:
        self._missing(tenant_id, network_id)

    def delete_owned(self, tenant_id: str, network_id: str) -> None:
        self._missing(tenant_id, network_id)

    # -- Ports ------------------------------------------------------------------------

    def list_on_network(self, tenant_id: str, network_id: str) -> Sequence[Port]:
        return self._missing(tenant_id, network_id)  # type: ignore[no-any-return]

    def get_on_network(self, tenant_id: str, network_id: str, port_id: str) -> Port:
        return self._missing(tenant_id, network_id, port_id)  # type: ignore[no-any-return]

    def create_on_network(
        self, tenant_id: str, network_id: str, *, admin_state_up: bool
    ) -> Port:
        return self._missing(tenant_id, network_id)  # type: ignore[no-any-return]

    def set_state_on_network(
        self, tenant_id: str, network_id: str, port_id: str, *, admin_state_up: bool
    ) -> None:
        self._missing(tenant_id, network_id, port_id)

    def delete_on_network(self, tenant_id: str, network_id: str, port_id: str) -> None:
        self._missing(tenant_id, network_id, port_id)

    def plug(
        self, tenant_id: str, network_id: str, port_id: str, attachment_id: str
    ) -> None:
        self._missing(tenant_id, network_id, port_id)

    def unplug(self, tenant_id: str, network_id: str, port_id: str) -> None:
        self._missing(tenant_id, network_id, port_id)


@dataclass(frozen=True, slots=True)
class Call:
    """What a handler gets: the request, its format, body reader and URL variables,
    and the door it asks (``NamesNothing`` when a URL id cannot be stored)."""

    request: Request
    fmt: Format
    version: ApiVersion
    body_limit: int
    networks: Networks
    ports: Ports
    tenant_id: str
    network_id: str = ""
    port_id: str = ""

    def body(self) -> Any:
        return requests.read(self.request, self.fmt, self.body_limit, null=True)

    def query(self) -> dict[str, str]:
        return filters.parse_query(self.request.environ.get("QUERY_STRING", ""))


class ApiV1:
    """WSGI app for one v1 version over one plugin: a door onto its networks and
    ports services (the v1 calls of each, which see only the URL's tenant's
    networks), so v1 writes keep the same invariants as v2.0's."""

    def __init__(
        self, plugin: CorePlugin, version: ApiVersion, body_limit: int
    ) -> None:
        self.networks: Networks = plugin.networks
        self.ports: Ports = plugin.ports
        self.nothing = NamesNothing(self.networks)
        self.version = version
        self.body_limit = body_limit
        self.mapper = build_mapper(ROUTES)
        self.handlers: dict[str, Callable[[Call], Reply]] = {
            "list_networks": self.list_networks,
            "list_networks_detail": self.list_networks_detail,
            "create_network": self.create_network,
            "show_network": self.show_network,
            "show_network_detail": self.show_network_detail,
            "update_network": self.update_network,
            "delete_network": self.delete_network,
            "list_ports": self.list_ports,
            "list_ports_detail": self.list_ports_detail,
            "create_port": self.create_port,
            "show_port": self.show_port,
            "show_port_detail": self.show_port_detail,
            "update_port": self.update_port,
            "delete_port": self.delete_port,
            "show_attachment": self.show_attachment,
            "plug_attachment": self.plug_attachment,
            "unplug_attachment": self.unplug_attachment,
        }

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        return self.respond(request)(environ, start_response)  # type: ignore[no-any-return]

    def respond(self, request: Request) -> Response:
        try:
            path = request.path_info
        except UnicodeDecodeError:
            return not_found(request)
        stripped, suffix = split_suffix(path)
        fmt = negotiate(request, suffix)
        operation, variables = match_route(self.mapper, request.method, stripped) or (
            None,
            {},
        )
        if operation is None:
            return not_found(request)
        tenant_id = variables["tenant_id"]
        network_id = variables.get("network_id", "")
        port_id = variables.get("port_id", "")
        # NOTE: the v1 edge's one check of the store's text rule for URL ids.
        door = (
            (self.networks, self.ports)
            if storable(tenant_id, network_id, port_id)
            else (self.nothing, self.nothing)
        )
        call = Call(
            request=request,
            fmt=fmt,
            version=self.version,
            body_limit=self.body_limit,
            networks=door[0],
            ports=door[1],
            tenant_id=tenant_id,
            network_id=network_id,
            port_id=port_id,
        )
        try:
            reply = self.handlers[operation](call)
        except faults.BodyFault as fault:
            return faults.render(fault, fmt, self.version)
        except QuantumError as error:
            return faults.render(
                faults.from_error(error, self.version), fmt, self.version
            )
        except Exception:
            LOG.exception("unhandled error serving %s %s", request.method, path)
            return faults.render(faults.internal_error(), fmt, self.version)
        return self._render(reply, fmt)

    def _render(self, reply: Reply, fmt: Format) -> Response:
        response = Response(status=reply.status)
        response.headers["Content-Type"] = fmt.value
        if reply.payload is not None:
            if fmt is Format.XML:
                response.body = reply.shape.encode(reply.payload, self.version.xmlns)
            else:
                response.body = encode_json(reply.payload)
        return response

    # -- networks ---------------------------------------------------------------------

    def _networks(self, call: Call) -> list[Any]:
        query = call.query()
        with_ports = any(key in filters.NEEDS_PORTS for key in query)
        nets = call.networks.list_owned(call.tenant_id, with_ports=with_ports)
        return filters.networks(nets, query)

    def list_networks(self, call: Call) -> Reply:
        nets = self._networks(call)
        return Reply("200 OK", {"networks": [views.network_ref(n) for n in nets]})

    def list_networks_detail(self, call: Call) -> Reply:
        nets = self._networks(call)
        return Reply(
            "200 OK", {"networks": [views.network(n, self.version) for n in nets]}
        )

    def create_network(self, call: Call) -> Reply:
        tenant = requests.tenant_id(call.tenant_id, self.version)
        name = requests.network_name(call.body(), self.version)
        net = call.networks.create_owned(tenant, name)
        return Reply(self.version.create_status, {"network": views.network_ref(net)})

    def show_network(self, call: Call) -> Reply:
        net = call.networks.get_owned(call.tenant_id, call.network_id)
        return Reply("200 OK", {"network": views.network(net, self.version)})

    def show_network_detail(self, call: Call) -> Reply:
        net = call.networks.get_owned(call.tenant_id, call.network_id, with_ports=True)
        return Reply("200 OK", {"network": views.network_with_ports(net, self.version)})

    def update_network(self, call: Call) -> Reply:
        name = requests.network_name(call.body(), self.version)
        call.networks.rename_owned(call.tenant_id, call.network_id, name)
        return NO_CONTENT

    def delete_network(self, call: Call) -> Reply:
        call.networks.delete_owned(call.tenant_id, call.network_id)
        return NO_CONTENT

    # -- ports ------------------------------------------------------------------------

    def _ports(self, call: Call) -> list[Any]:
        ports = call.ports.list_on_network(call.tenant_id, call.network_id)
        return filters.ports(ports, call.query())

    def list_ports(self, call: Call) -> Reply:
        return Reply(
            "200 OK", {"ports": [views.port_ref(p) for p in self._ports(call)]}
        )

    def list_ports_detail(self, call: Call) -> Reply:
        ports = self._ports(call)
        return Reply("200 OK", {"ports": [views.port(p, self.version) for p in ports]})

    def create_port(self, call: Call) -> Reply:
        try:
            up = requests.new_port_state(call.body(), self.version)
        except StateInvalid:
            call.networks.get_owned(call.tenant_id, call.network_id)  # NOTE: 404 wins
            raise
        port = call.ports.create_on_network(
            call.tenant_id, call.network_id, admin_state_up=up
        )
        return Reply(self.version.create_status, {"port": views.port_ref(port)})

    def show_port(self, call: Call) -> Reply:
        port = call.ports.get_on_network(call.tenant_id, call.network_id, call.port_id)
        return Reply("200 OK", {"port": views.port(port, self.version)})

    def show_port_detail(self, call: Call) -> Reply:
        port = call.ports.get_on_network(call.tenant_id, call.network_id, call.port_id)
        return Reply("200 OK", {"port": views.port_with_attachment(port, self.version)})

    def update_port(self, call: Call) -> Reply:
        try:
            up = requests.port_state(call.body(), self.version)
        except StateInvalid:
            call.ports.get_on_network(call.tenant_id, call.network_id, call.port_id)
            raise
        call.ports.set_state_on_network(
            call.tenant_id, call.network_id, call.port_id, admin_state_up=up
        )
        return NO_CONTENT

    def delete_port(self, call: Call) -> Reply:
        call.ports.delete_on_network(call.tenant_id, call.network_id, call.port_id)
        return NO_CONTENT

    # -- attachment -------------------------------------------------------------------

    def show_attachment(self, call: Call) -> Reply:
        port = call.ports.get_on_network(call.tenant_id, call.network_id, call.port_id)
        return Reply(
            "200 OK", {"attachment": views.attachment(port)}, views.ATTACHMENT_XML
        )

    def plug_attachment(self, call: Call) -> Reply:
        attachment = requests.attachment_id(call.body(), self.version)
        call.ports.plug(call.tenant_id, call.network_id, call.port_id, attachment)
        return NO_CONTENT

    def unplug_attachment(self, call: Call) -> Reply:
        call.ports.unplug(call.tenant_id, call.network_id, call.port_id)
        return NO_CONTENT
