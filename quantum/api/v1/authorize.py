# SPDX-License-Identifier: Apache-2.0
"""v1 authorization: the one place that decides whether a caller may use a URL.

A Paste filter in front of the extensions and the core API, so that core routes and
extension resources under ``/tenants/{tenant}`` are guarded alike. The action is
``v1:<operation>`` for a core route (``router.ROUTES``), ``v1:extension`` for a GET
of any other path under a tenant and ``v1:extension_write`` for any other method
there; the target is the URL's tenant. A refused caller is told
the thing does not exist: the version's network-not-found fault under
``/tenants/{t}/networks/{id}``, WebOb's plain 404 anywhere else, the same answers a
tenant gets for a network or path that really does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from webob import Request

from quantum.api.context import from_environ
from quantum.api.policy import Policy
from quantum.api.v1 import faults
from quantum.api.v1.router import ROUTES, build_mapper, match_route, not_found
from quantum.api.v1.versions import ApiVersion
from quantum.api.wire import negotiate, split_suffix
from quantum.core.exceptions import NetworkNotFound

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]

_TENANT = re.compile(r"^/tenants/([^/]+)(/networks/([^/]+))?")


class AuthorizeFilter:
    """Refuses, as "not found", what policy does not allow under a tenant's URL."""

    def __init__(self, app: WsgiApp, policy: Policy, version: ApiVersion) -> None:
        self.app = app
        self.policy = policy
        self.version = version
        self.mapper = build_mapper(ROUTES)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            path = request.path_info
        except UnicodeDecodeError:
            return self.app(environ, start_response)  # NOTE: never routed (404)
        stripped, suffix = split_suffix(path)
        found = _TENANT.match(stripped)
        if found is None:
            return self.app(environ, start_response)
        tenant, network_id = found.group(1), found.group(3)
        route = match_route(self.mapper, request.method, stripped)
        if route is not None and route[0]:
            operation = route[0]
        elif request.method in ("GET", "HEAD"):
            operation = "extension"
        else:
            operation = "extension_write"
        if self.policy.allows_v1(from_environ(environ), operation, tenant):
            return self.app(environ, start_response)
        if network_id is None or network_id == "detail":
            response = not_found(request)
        else:
            fault = faults.from_error(
                NetworkNotFound(network_id=network_id), self.version
            )
            response = faults.render(fault, negotiate(request, suffix), self.version)
        return response(environ, start_response)  # type: ignore[no-any-return]
