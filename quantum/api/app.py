# SPDX-License-Identifier: Apache-2.0
"""Paste factories: every app and filter that ``etc/api-paste.ini`` names.

The factories of one process share one ``Service`` (settings + plugin) per quantum.conf,
found as ``config_file`` in the Paste global config, else ``$QUANTUM_CONFIG_FILE``,
else the ``quantum.conf`` beside the Paste file. So the same ini works under
``quantum-server`` and under any WSGI server that loads it with paste.deploy.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from paste.deploy import loadapp
from webob import Request, Response

from quantum.api.auth import (
    KeystoneContextFilter,
    NoAuthFilter,
    TenantSource,
    keystone_auth_token,
)
from quantum.api.extension_loader import load_registry
from quantum.api.extensions import (
    TENANT_RULE,
    TENANT_WRITE_RULE,
    ExtensionRegistry,
    ExtensionsFilter,
)
from quantum.api.policy import Policy
from quantum.api.ratelimit import RateLimitFilter, TokenBuckets, parse_rates
from quantum.api.v1 import faults as v1_faults
from quantum.api.v1.authorize import AuthorizeFilter
from quantum.api.v1.override import MethodOverride
from quantum.api.v1.router import ApiV1
from quantum.api.v1.versions import V1_0, V1_1, VERSIONS, ApiVersion
from quantum.api.v2 import catalog as v2_catalog
from quantum.api.v2 import faults as v2_faults
from quantum.api.v2 import policy as v2_policy
from quantum.api.v2.backend import bind
from quantum.api.v2.router import ApiV2, Served
from quantum.api.wire import Format, XmlShape, encode_json, negotiate, split_suffix
from quantum.core.exceptions import ConfigError, QuantumError
from quantum.core.log import REQUEST_ID
from quantum.core.settings import Settings, load_settings
from quantum.plugins.interface import (
    CorePlugin,
    ServicePlugin,
)
from quantum.plugins.loader import load_plugin, load_service_plugins

LOG = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


@dataclass(frozen=True, slots=True)
class Service:
    settings: Settings
    plugin: CorePlugin
    extensions: ExtensionRegistry
    """What the plugin exposes of the extensions found at start-up; every API
    version that serves extensions (v1.0, v1.1, v2.0) shares it."""
    policy: Policy
    buckets: TokenBuckets | None
    """The rate limiter's buckets, shared by every API version; None when off."""
    service_plugins: tuple[ServicePlugin, ...] = ()
    services: Mapping[str, object] = field(default_factory=dict)
    """Every service by name: the core plugin's (``networks``...) and those the
    service plugins (``service_plugins``) contribute."""

    @classmethod
    def build(cls, settings: Settings) -> Service:
        policy = Policy(settings.policy_path)
        rates = parse_rates(settings.rate_limits)
        buckets = TokenBuckets(rates) if settings.rate_limit_enabled else None
        plugin = load_plugin(settings)
        try:
            service_plugins, services = load_service_plugins(settings, plugin)
        except BaseException:
            plugin.close()
            raise
        try:
            registry = load_registry(plugin, settings.api_extensions_path)
        except BaseException:
            for extra in service_plugins:
                extra.close()
            plugin.close()
            raise
        policy.register([TENANT_RULE, TENANT_WRITE_RULE])
        return cls(
            settings,
            plugin,
            registry,
            policy,
            buckets,
            tuple(service_plugins),
            services,
        )

    def close(self) -> None:
        for extra in self.service_plugins:
            extra.close()
        self.plugin.close()


_services: dict[str, Service] = {}
_services_lock = threading.Lock()


def _config_file(global_conf: Mapping[str, Any]) -> str | None:
    if global_conf.get("config_file"):
        return str(global_conf["config_file"])
    if os.environ.get("QUANTUM_CONFIG_FILE"):
        return os.environ["QUANTUM_CONFIG_FILE"]
    here = global_conf.get("here")
    if here and (Path(here) / "quantum.conf").is_file():
        return str(Path(here) / "quantum.conf")
    return None


def service_for(global_conf: Mapping[str, Any]) -> Service:
    """The process's Service for this configuration, built on first use."""
    config_file = _config_file(global_conf)
    key = str(Path(config_file).resolve()) if config_file else ""
    with _services_lock:
        service = _services.get(key)
        if service is None:
            service = Service.build(load_settings(config_file))
            _services[key] = service
        return service


def close_service(config_file: str | Path) -> None:
    """Release the plugin of one configuration's Service and forget it, leaving the
    process's other Services (and the apps built over them) working."""
    key = str(Path(config_file).resolve())
    with _services_lock:
        service = _services.pop(key, None)
    if service is not None:
        service.close()


def close_services() -> None:
    """Release every plugin's resources (worker shutdown, tests)."""
    with _services_lock:
        for service in _services.values():
            service.close()
        _services.clear()


def load_app(settings: Settings) -> WsgiApp:
    """The whole Paste application for ``settings`` (what quantum-server serves)."""
    path = settings.paste_config_path
    if not path.is_file():
        raise ConfigError(reason=f"Paste configuration {path} does not exist")
    global_conf = {"config_file": settings.config_file or ""}
    return loadapp(f"config:{path.resolve()}", name="quantum", global_conf=global_conf)  # type: ignore[no-any-return]


# -- apps ------------------------------------------------------------------------------


VERSIONS_XML = XmlShape(
    attributes={"version": ("id", "status"), "link": ("href", "rel")},
    plurals={"versions": "version", "links": "link"},
)


def versions_app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """The versions document; answers every path the other apps do not own."""
    request = Request(environ)
    base = request.application_url
    payload = {
        "versions": [
            {
                "id": v.name,
                "status": v.status,
                "links": [{"rel": "self", "href": f"{base}/{v.name}"}],
            }
            for v in VERSIONS
        ]
        # NOTE: keystoneauth's discovery (openstacksdk, the openstack CLI) needs id,
        # status and a self link per version; v1 clients look for their own id.
        + [
            {
                "id": V2_0_NAME,
                "status": "CURRENT",
                "links": [{"rel": "self", "href": f"{base}/{V2_0_NAME}/"}],
            }
        ]
    }
    fmt = negotiate(request)
    body = VERSIONS_XML.encode(payload) if fmt is Format.XML else encode_json(payload)
    response = Response(status="200 OK", body=body)
    response.headers["Content-Type"] = f"{fmt.value}; charset=UTF-8"
    return response(environ, start_response)  # type: ignore[no-any-return]


V2_0_NAME = "v2.0"


def api_v20_factory(global_conf: Mapping[str, Any], **local: str) -> WsgiApp:
    """``/v2.0``: the core resources, served by the core plugin's services, and the
    extensions the core plugin and the service plugins enable (built-in ones and
    those of ``api_extensions_path``), served by whichever service has their name."""
    service = service_for(global_conf)
    plugin = service.plugin
    extensions = (*v2_catalog.EXTENSIONS, *service.extensions.v2)
    served = v2_catalog.catalog(
        v2_catalog.aliases_of(plugin, service.service_plugins), extensions
    )
    own = {e.descriptor.alias for e in extensions}
    service.policy.register(v2_policy.rules(served.resources))
    return ApiV2(
        plugin,
        service.policy,
        [
            Served(resource=r, operations=bind(r, plugin, service.services))
            for r in served.resources
        ],
        [e.descriptor for e in served.extensions]
        + [
            e
            for e in service.extensions.descriptors_for(V2_0_NAME)
            if e.alias not in own
        ],
        max_body=service.settings.max_request_body_size,
        max_limit=service.settings.pagination_max_limit,
    )


def versions_factory(global_conf: Mapping[str, Any], **local: str) -> WsgiApp:
    return versions_app


def _api_factory(version: ApiVersion) -> Callable[..., WsgiApp]:
    def factory(global_conf: Mapping[str, Any], **local: str) -> WsgiApp:
        service = service_for(global_conf)
        return ApiV1(service.plugin, version, service.settings.max_request_body_size)

    return factory


api_v10_factory = _api_factory(V1_0)
api_v11_factory = _api_factory(V1_1)


def healthcheck_factory(global_conf: Mapping[str, Any], **local: str) -> WsgiApp:
    """``GET /healthcheck``: 200 ``OK`` after an indexed read of the store, else 503."""
    service = service_for(global_conf)

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        try:
            service.plugin.check_health()
            response = Response(status="200 OK", body=b"OK")
        except QuantumError as error:
            response = Response(
                status="503 Service Unavailable", body=str(error).encode()
            )
        response.headers["Content-Type"] = "text/plain; charset=UTF-8"
        return response(environ, start_response)  # type: ignore[no-any-return]

    return app


# -- pipelines by auth_strategy ------------------------------------------------------


def pipeline_factory(
    loader: Any, global_conf: Mapping[str, Any], **local: str
) -> WsgiApp:
    """A Paste composite: the pipeline named by ``auth_strategy`` (one key per value,
    listing filters then the app, as a ``[pipeline:]`` does)."""
    strategy = service_for(global_conf).settings.auth_strategy
    if strategy not in local:
        raise ConfigError(
            reason=f"auth_strategy {strategy}: api-paste.ini has no pipeline for it"
        )
    *filters, app_name = local[strategy].split()
    app: WsgiApp = loader.get_app(app_name, global_conf=global_conf)
    for name in reversed(filters):
        app = loader.get_filter(name, global_conf=global_conf)(app)
    return app


# -- filters ---------------------------------------------------------------------------


def noauth_factory(
    global_conf: Mapping[str, Any], tenant_from: str = "url", **local: str
) -> Callable[[WsgiApp], WsgiApp]:
    """``auth_strategy = noauth``; ``tenant_from`` = url (v1) or headers (v2.0)."""
    policy = service_for(global_conf).policy
    source = TenantSource(tenant_from)
    return lambda app: NoAuthFilter(app, policy, source)


def authorize_factory(
    global_conf: Mapping[str, Any], version: str = "", **local: str
) -> Callable[[WsgiApp], WsgiApp]:
    """v1 authorization (``quantum/api/v1/authorize.py``); ``version`` = v1.0|v1.1."""
    known = {v.name: v for v in VERSIONS}
    if version not in known:
        raise ConfigError(
            reason=f"api-paste.ini: authorize filter needs version = v1.0 or v1.1, "
            f"not {version!r}"
        )
    policy = service_for(global_conf).policy
    return lambda app: AuthorizeFilter(app, policy, known[version])


def method_override_factory(
    global_conf: Mapping[str, Any], **local: str
) -> Callable[[WsgiApp], WsgiApp]:
    """v1: a POST served as its ``_method`` (``quantum/api/v1/override.py``)."""
    limit = service_for(global_conf).settings.max_request_body_size
    return lambda app: MethodOverride(app, limit)


def authtoken_factory(
    global_conf: Mapping[str, Any], **local: str
) -> Callable[[WsgiApp], WsgiApp]:
    """keystonemiddleware's ``auth_token`` over ``[keystone_authtoken]``."""
    config_file = service_for(global_conf).settings.config_file
    return lambda app: keystone_auth_token(app, config_file, dict(local))


def keystonecontext_factory(
    global_conf: Mapping[str, Any], **local: str
) -> Callable[[WsgiApp], WsgiApp]:
    policy = service_for(global_conf).policy
    return lambda app: KeystoneContextFilter(app, policy)


def _v1_over_limit(version: ApiVersion) -> Callable[[dict[str, Any], int], Any]:
    def respond(environ: dict[str, Any], retry_after: int) -> Response:
        request = Request(environ)
        _, suffix = split_suffix(environ.get("PATH_INFO", ""))
        fmt = negotiate(request, suffix)
        response = v1_faults.render(
            v1_faults.over_limit(retry_after, version), fmt, version
        )
        response.headers["Retry-After"] = str(retry_after)
        return response

    return respond


def _v2_over_limit(environ: dict[str, Any], retry_after: int) -> Response:
    response = v2_faults.error_response(
        "429 Too Many Requests",
        "OverLimit",
        f"Too many requests: retry after {retry_after} seconds.",
    )
    response.headers["Retry-After"] = str(retry_after)
    return response


OVER_LIMIT: dict[str, Callable[[dict[str, Any], int], Any]] = {
    V1_0.name: _v1_over_limit(V1_0),
    V1_1.name: _v1_over_limit(V1_1),
    V2_0_NAME: _v2_over_limit,
}
"""Each API version's over-limit response, by the ``api`` key of the filter."""


def v2_auth_faults_factory(
    global_conf: Mapping[str, Any], **local: str
) -> Callable[[WsgiApp], WsgiApp]:
    """A 401 of the authentication filters below, in the v2.0 error body."""
    return v2_faults.AuthFaults


def ratelimit_factory(
    global_conf: Mapping[str, Any], api: str = "", **local: str
) -> Callable[[WsgiApp], WsgiApp]:
    """The rate limiter (a pass-through unless ``rate_limit_enabled``)."""
    if api not in OVER_LIMIT:
        raise ConfigError(
            reason=f"api-paste.ini: ratelimit filter needs api = one of "
            f"{', '.join(sorted(OVER_LIMIT))}, not {api!r}"
        )
    buckets = service_for(global_conf).buckets
    return lambda app: RateLimitFilter(app, buckets, OVER_LIMIT[api])


def extensions_factory(
    global_conf: Mapping[str, Any], **local: str
) -> Callable[[WsgiApp], WsgiApp]:
    """The extensions of the service in front of a v1 API; ``version`` (``v1.0`` or
    ``v1.1``, from the filter's section) picks the fault style."""
    service = service_for(global_conf)
    version = {v.name: v for v in VERSIONS}[local.get("version", "v1.1")]
    limit = service.settings.max_request_body_size
    return lambda app: ExtensionsFilter(
        app, service.extensions, version, limit, policy=service.policy
    )


class RequestIdFilter:
    """Gives every request an id: in the logs, in the environ, in the response."""

    HEADER = "X-Openstack-Request-Id"

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request_id = f"req-{uuid.uuid4()}"
        environ["quantum.request_id"] = request_id
        token = REQUEST_ID.set(request_id)

        def start(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            headers.append((self.HEADER, request_id))
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, start)
        finally:
            REQUEST_ID.reset(token)


class RequestTargetFilter:
    """Gives Paste's urlmap a path it can map.

    The urlmap asserts that paths start with ``/``; a request target in another form
    (``OPTIONS *``) reaches the versions app, like every other unknown path.
    """

    def __init__(self, app: WsgiApp) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith("/"):
            environ["PATH_INFO"] = "/" + path
        return self.app(environ, start_response)


def request_target_factory(
    global_conf: Mapping[str, Any], **local: str
) -> Callable[[WsgiApp], WsgiApp]:
    return RequestTargetFilter


def request_id_factory(
    global_conf: Mapping[str, Any], **local: str
) -> Callable[[WsgiApp], WsgiApp]:
    return RequestIdFilter
