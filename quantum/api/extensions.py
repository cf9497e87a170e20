# SPDX-License-Identifier: Apache-2.0
"""The extension framework: what an extension is, how it attaches, how it is served.

An *extension* is an object with five descriptor methods (``get_name``, ``get_alias``,
``get_description``, ``get_namespace``, ``get_updated``) and, optionally:

* ``get_resources(plugin) -> Sequence[ResourceExtension]``: new REST collections;
* ``get_actions(plugin) -> Sequence[ActionExtension]``: handlers for
  ``POST /{collection}/{id}/action`` bodies keyed by the action name;
* ``get_request_extensions(plugin) -> Sequence[RequestExtension]``: handlers that
  rewrite the response of a core route after the core API answered it;
* ``get_plugin_interface() -> type | None``: a class (usually a ``Protocol``) whose
  public names the plugin must all have for the extension to be exposed;
* ``get_apis() -> Collection[str]``: the APIs whose ``/extensions`` list it
  (``"v1"`` for v1.0 and v1.1, ``"v2.0"``); default ``("v1",)``.

``quantum.api.extension_loader`` finds extensions (``api_extensions_path``, then the
built-in ``quantum/extensions`` package) and builds an ``ExtensionRegistry`` for one
plugin; ``ExtensionsFilter`` serves a registry in front of one API version: discovery
(``/extensions``, ``/extensions/{alias}``), then resource routes, then action routes,
then request-extension routes; anything else reaches the core API unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, runtime_checkable

from oslo_policy import policy as oslo_policy
from routes import Mapper
from webob import Request, Response

from quantum.api.context import from_environ
from quantum.api.policy import ADMIN_OR_OWNER, OWNER_WRITER, Policy
from quantum.api.v1 import faults
from quantum.api.v1.faults import BodyFault
from quantum.api.v1.requests import read
from quantum.api.v1.router import not_found
from quantum.api.v1.versions import ApiVersion
from quantum.api.wire import Format, XmlShape, encode_json, negotiate, split_suffix
from quantum.core.exceptions import InvalidInput, QuantumError
from quantum.core.text import first_unstorable

if TYPE_CHECKING:
    from quantum.api.v2.attributes import Extension as V2Extension

LOG = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtensionDescriptor:
    name: str
    alias: str
    description: str
    namespace: str
    updated: str

    def wire(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "alias": self.alias,
            "description": self.description,
            "namespace": self.namespace,
            "updated": self.updated,
            "links": [],
        }


@runtime_checkable
class Extension(Protocol):
    """The part every extension has; the optional parts are described above."""

    def get_name(self) -> str: ...
    def get_alias(self) -> str: ...
    def get_description(self) -> str: ...
    def get_namespace(self) -> str: ...
    def get_updated(self) -> str: ...


def describe(extension: Extension) -> ExtensionDescriptor:
    return ExtensionDescriptor(
        name=str(extension.get_name()),
        alias=str(extension.get_alias()),
        description=str(extension.get_description()),
        namespace=str(extension.get_namespace()),
        updated=str(extension.get_updated()),
    )


TENANT_RULE = oslo_policy.RuleDefault(
    "extension:tenant_resource",
    ADMIN_OR_OWNER,
    "A GET of an extension route with a {tenant_id} in its URL; the target is "
    "that tenant.",
)
"""Checked before any extension handler whose route names a tenant (TENANT_WRITE_RULE
for a method other than GET); a refusal is the plain 404, so nobody learns what
another tenant has."""

TENANT_WRITE_RULE = oslo_policy.RuleDefault(
    "extension:tenant_resource_write",
    OWNER_WRITER,
    "Any other method on an extension route with a {tenant_id} in its URL.",
)


# -- what extensions declare ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExtensionCall:
    """What a handler receives: the request, its negotiated format, the URL variables
    (``tenant_id``, ``id``, the parent's ``{member}_id``...) and a body reader."""

    request: Request
    fmt: Format
    params: Mapping[str, str]
    body_limit: int

    def body(self, fmt: Format | None = None) -> Any:
        """The decoded body (None when empty), read as ``fmt`` (default: the
        negotiated format). Raises BodyFault for undecodable or oversized bodies,
        InvalidInput (400) for one holding text no back-end can store
        (``quantum.core.text``): the extensions' edge checks it here, once, so no
        handler or store below asks again."""
        body = read(self.request, fmt or self.fmt, self.body_limit)
        _check_strings(body, "the body")
        return body


def _check_strings(value: Any, where: str) -> None:
    bad = first_unstorable(value)
    if bad is not None:
        raise InvalidInput(reason=f"{where} contains {bad}")


Result: TypeAlias = Mapping[str, Any] | str | Response
"""A dict is encoded by format (200); a str is a ``text/html`` page (200); a
Response is sent as it is."""

Handler = Callable[[ExtensionCall], Result]
ErrorRenderer = Callable[[QuantumError, Format], Response]
"""Turns an error a handler raised into the extension's fault response."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Parent:
    member_name: str
    collection_name: str
    """May itself hold URL variables, e.g. ``extensions/csco/tenants``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ResourceExtension:
    """A REST collection: ``handlers`` maps ``index``/``create``/``show``/``update``/
    ``delete`` and each declared action name to its handler; a verb without a handler
    is not routed (the core API answers it, with a 404)."""

    collection: str
    handlers: Mapping[str, Handler]
    parent: Parent | None = None
    collection_actions: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Action name -> HTTP methods, at ``/{collection}/{action}``."""
    member_actions: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """Action name -> HTTP methods, at ``/{collection}/{id}/{action}``."""
    xml: XmlShape = field(default_factory=lambda: XmlShape({}, {}))
    render_error: ErrorRenderer | None = None
    """How errors become faults; None means the API version's own faults."""

    @property
    def base(self) -> str:
        if self.parent is None:
            return f"/{self.collection}"
        parent = self.parent
        return (
            f"/{parent.collection_name}/{{{parent.member_name}_id}}/{self.collection}"
        )


ActionHandler = Callable[[ExtensionCall, Any], Result]
"""Gets the call and the value under its action name in the body."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionExtension:
    """``POST /{collection}/{id}/action`` with a body ``{name: {...}}``."""

    collection: str
    name: str
    handler: ActionHandler
    xml: XmlShape = field(default_factory=lambda: XmlShape({}, {}))


ResponseHandler = Callable[[Request, Response], Response]


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestExtension:
    """After the core API answered ``method path`` (a Routes template, e.g.
    ``/tenants/{tenant_id}/networks/{network_id}``), ``handler`` may rewrite it."""

    method: str
    path: str
    handler: ResponseHandler


@dataclass(frozen=True, slots=True)
class ExtensionRegistry:
    """The extensions one plugin exposes, with what they attach; built once at
    start-up and shared by every API version that serves extensions."""

    descriptors: tuple[ExtensionDescriptor, ...] = ()
    resources: tuple[ResourceExtension, ...] = ()
    actions: tuple[ActionExtension, ...] = ()
    request_extensions: tuple[RequestExtension, ...] = ()
    sources: Mapping[str, str] = field(default_factory=dict)
    """Alias -> the file it was loaded from (for logs)."""
    apis: Mapping[str, frozenset[str]] = field(default_factory=dict)
    """Alias -> the APIs that list it (``get_apis``); absent means ``{"v1"}``."""
    v2: tuple[V2Extension, ...] = ()
    """The v2 extensions (``EXTENSION = Extension(...)``) of the modules found on
    ``api_extensions_path``, every one: v2.0 enables those whose alias the core or
    a service plugin supports (``quantum.api.v2.catalog``)."""

    def get(self, alias: str, api: str = "v1") -> ExtensionDescriptor | None:
        for descriptor in self.descriptors_for(api):
            if descriptor.alias == alias:
                return descriptor
        return None

    def descriptors_for(self, api: str) -> tuple[ExtensionDescriptor, ...]:
        """What ``/extensions`` of ``api`` (``v1`` or ``v2.0``) lists."""
        return tuple(
            d
            for d in self.descriptors
            if api in self.apis.get(d.alias, frozenset({"v1"}))
        )


# -- serving ----------------------------------------------------------------------


XML = XmlShape(attributes={}, plurals={"extensions": "extension", "links": "link"})

_ANY_SEGMENT = "[^/]+"


@dataclass(frozen=True, slots=True)
class _Target:
    handler: Handler
    resource: ResourceExtension


def _connect(mapper: Mapper, path: str, methods: Sequence[str], target: int) -> None:
    mapper.connect(
        path,
        target=target,
        conditions={"method": list(methods)},
        requirements=_requirements(path),
    )


def _requirements(path: str) -> dict[str, str]:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{")]
    return dict.fromkeys(names, _ANY_SEGMENT)


def _resource_routes(
    resources: Iterable[ResourceExtension],
) -> tuple[Mapper, list[_Target]]:
    mapper = Mapper()
    mapper.explicit = True
    targets: list[_Target] = []

    def add(
        path: str, methods: Sequence[str], name: str, res: ResourceExtension
    ) -> None:
        handler = res.handlers.get(name)
        if handler is None:
            return
        targets.append(_Target(handler, res))
        _connect(mapper, path, methods, len(targets) - 1)

    for res in resources:
        base = res.base
        # NOTE: collection actions before {id}, so an action name is never an id.
        for action, methods in res.collection_actions.items():
            add(f"{base}/{action}", methods, action, res)
        add(base, ["GET"], "index", res)
        add(base, ["POST"], "create", res)
        for action, methods in res.member_actions.items():
            add(f"{base}/{{id}}/{action}", methods, action, res)
        add(f"{base}/{{id}}", ["GET"], "show", res)
        add(f"{base}/{{id}}", ["PUT"], "update", res)
        add(f"{base}/{{id}}", ["DELETE"], "delete", res)
    return mapper, targets


def _match(mapper: Mapper, method: str, path: str) -> dict[str, Any] | None:
    if path.endswith("\n"):
        return None
    found = mapper.match(path, environ={"REQUEST_METHOD": method})
    return dict(found) if found else None


def encode(result: Result, fmt: Format, xml: XmlShape) -> Response:
    """A handler's result as the response the original framework sent."""
    if isinstance(result, Response):
        return result
    if isinstance(result, str):
        response = Response(status="200 OK", body=result.encode("utf-8"))
        response.headers["Content-Type"] = "text/html; charset=UTF-8"
        return response
    body = xml.encode(result) if fmt is Format.XML else encode_json(result)
    response = Response(status="200 OK", body=body)
    response.headers["Content-Type"] = fmt.value
    return response


def plain_ok() -> Response:
    """WebOb's plain ``200 OK`` page, what deletes and associations answered."""
    response = Response(status="200 OK", body=b"")
    response.headers["Content-Type"] = "text/plain; charset=UTF-8"
    return response


class ExtensionsFilter:
    """Serves a registry in front of ``app`` (one API version)."""

    def __init__(
        self,
        app: Any,
        registry: ExtensionRegistry,
        version: ApiVersion,
        body_limit: int,
        *,
        policy: Policy | None = None,
        wrap_show: bool = False,
        api: str = "v1",
    ) -> None:
        """``wrap_show``: ``/extensions/{alias}`` answers ``{"extension": {...}}``
        (v2.0) instead of the flat object (v1.x). ``policy`` (with the ``TENANT_*RULE``s
        registered) guards routes naming a tenant; None trusts the URL. ``api``: which
        extensions discovery lists (``ExtensionRegistry.descriptors_for``)."""
        self.app = app
        self.api = api
        self.policy = policy
        self.registry = registry
        self.version = version
        self.body_limit = body_limit
        self.wrap_show = wrap_show
        self.resource_mapper, self.targets = _resource_routes(registry.resources)
        self.action_mapper = Mapper()
        self.action_mapper.explicit = True
        self.actions: dict[str, list[ActionExtension]] = {}
        for action in registry.actions:
            path = f"/{action.collection}/{{id}}/action"
            if path not in self.actions:
                self.actions[path] = []
                self.action_mapper.connect(
                    path,
                    action_path=path,
                    conditions={"method": ["POST"]},
                    requirements=_requirements(path),
                )
            self.actions[path].append(action)
        self.request_mapper = Mapper()
        self.request_mapper.explicit = True
        self.request_handlers: list[list[ResponseHandler]] = []
        keys: dict[tuple[str, str], int] = {}
        for ext in registry.request_extensions:
            key = (ext.method.upper(), ext.path)
            if key not in keys:
                keys[key] = len(self.request_handlers)
                self.request_handlers.append([])
                _connect(self.request_mapper, ext.path, [key[0]], keys[key])
            self.request_handlers[keys[key]].append(ext.handler)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        return self.respond(request)(environ, start_response)  # type: ignore[no-any-return]

    def respond(self, request: Request) -> Response:
        try:
            path = request.path_info
        except UnicodeDecodeError:
            return request.get_response(self.app)
        stripped, suffix = split_suffix(path)
        fmt = negotiate(request, suffix)
        if stripped == "/extensions" or (
            stripped.startswith("/extensions/") and "/" not in stripped[12:]
        ):
            return self._discovery(request, stripped, fmt)
        found = _match(self.resource_mapper, request.method, stripped)
        if found is not None:
            target = self.targets[int(found.pop("target"))]
            return self._run(request, fmt, found, target)
        found = _match(self.action_mapper, request.method, stripped)
        if found is not None:
            response = self._action(request, fmt, found)
            if response is not None:
                return response
            return request.get_response(self.app)
        found = _match(self.request_mapper, request.method, stripped)
        response = request.get_response(self.app)
        if found is not None:
            for handler in self.request_handlers[int(found["target"])]:
                response = handler(request, response)
        return response

    # -- discovery --------------------------------------------------------------------

    def _discovery(self, request: Request, stripped: str, fmt: Format) -> Response:
        listing = stripped == "/extensions"
        alias = "" if listing else stripped.removeprefix("/extensions/")
        if request.method != "GET" or not (listing or alias):
            return request.get_response(self.app)
        if listing:
            listed = self.registry.descriptors_for(self.api)
            payload: dict[str, Any] = {"extensions": [d.wire() for d in listed]}
            body = XML.encode(payload) if fmt is Format.XML else encode_json(payload)
        else:
            ext = self.registry.get(alias, self.api)
            if ext is None:
                return not_found(
                    request, f"Extension with alias {alias} does not exist"
                )
            if fmt is Format.XML:
                body = XML.encode({"extension": ext.wire()})
            elif self.wrap_show:
                body = encode_json({"extension": ext.wire()})
            else:
                body = encode_json(ext.wire())
        response = Response(status="200 OK", body=body)
        response.headers["Content-Type"] = fmt.value
        return response

    # -- resources and actions --------------------------------------------------------

    def _allowed(self, request: Request, params: Mapping[str, str]) -> bool:
        tenant = params.get("tenant_id")
        if self.policy is None or tenant is None:
            return True
        target = {"project_id": tenant, "tenant_id": tenant}
        context = from_environ(request.environ)
        rule = TENANT_RULE if request.method in ("GET", "HEAD") else TENANT_WRITE_RULE
        return self.policy.allows(context, rule.name, target)

    def _call(
        self, request: Request, fmt: Format, params: Mapping[str, str]
    ) -> ExtensionCall:
        return ExtensionCall(request, fmt, params, self.body_limit)

    def _fault(
        self, error: Exception, fmt: Format, renderer: ErrorRenderer | None
    ) -> Response:
        if isinstance(error, BodyFault):
            return faults.render(error, fmt, self.version)
        if isinstance(error, QuantumError):
            if renderer is not None:
                return renderer(error, fmt)
            return faults.render(
                faults.from_error(error, self.version), fmt, self.version
            )
        return faults.render(faults.internal_error(), fmt, self.version)

    def _run(
        self,
        request: Request,
        fmt: Format,
        params: dict[str, Any],
        target: _Target,
    ) -> Response:
        if not self._allowed(request, params):
            return not_found(request)
        call = self._call(request, fmt, params)
        try:
            # NOTE: the edge's one check of the URL's ids (the tenant's, the
            # item's) against the store's text rule: 400 in the extension's
            # dialect, and the stores below never see such an id.
            _check_strings(params, "the path")
            result = target.handler(call)
        except (BodyFault, QuantumError) as error:
            return self._fault(error, fmt, target.resource.render_error)
        except Exception as error:
            LOG.exception(
                "unhandled error in extension %s %s", request.method, request.path
            )
            return self._fault(error, fmt, None)
        return encode(result, fmt, target.resource.xml)

    def _action(
        self, request: Request, fmt: Format, found: dict[str, Any]
    ) -> Response | None:
        candidates = self.actions[found.pop("action_path")]
        if not self._allowed(request, found):
            return None
        call = self._call(request, fmt, found)
        # NOTE: the body is read again by the core API when no action claims it.
        request.make_body_seekable()
        try:
            body = read(request, fmt, self.body_limit)
        except BodyFault:
            return None
        finally:
            request.body_file_raw.seek(0)
        if not isinstance(body, dict):
            return None
        for action in candidates:
            if action.name in body:
                try:
                    _check_strings(found, "the path")
                    _check_strings(body, "the body")
                    result = action.handler(call, body[action.name])
                except (BodyFault, QuantumError) as error:
                    return self._fault(error, fmt, None)
                except Exception as error:
                    LOG.exception("unhandled error in action %s", action.name)
                    return self._fault(error, fmt, None)
                return encode(result, fmt, action.xml)
        return None
