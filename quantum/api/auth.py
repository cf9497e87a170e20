# SPDX-License-Identifier: Apache-2.0
"""Authentication filters: each puts a ``RequestContext`` in the environ.

``auth_strategy`` picks one pipeline per API (``etc/api-paste.ini``):

* ``noauth`` (development): nothing is checked. v1 takes the tenant from the URL
  (``/tenants/{tenant}/...``); v2.0 from ``X-Project-Id`` (else ``X-Tenant-Id``).
  ``X-User-Id`` and ``X-Roles`` are taken as given.
* ``keystone``: keystonemiddleware's ``auth_token`` validates the token against
  Keystone (``[keystone_authtoken]`` of quantum.conf) and replaces every identity
  header with what the token says; ``KeystoneContextFilter`` then builds the context
  from those headers, and refuses a request without a confirmed user (401).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any

from oslo_config import cfg

from quantum.api.context import ENVIRON_KEY, RequestContext, roles_from_header
from quantum.api.policy import Policy

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]

_V1_TENANT = re.compile(r"^(?:/extensions/[^/]+)?/tenants/([^/]+)")
"""``/tenants/{t}/...``, and the v1 extensions' ``/extensions/{vendor}/tenants/{t}``."""


class TenantSource(StrEnum):
    """Where ``noauth`` finds the tenant."""

    URL = "url"  # v1.0 / v1.1
    HEADERS = "headers"  # v2.0


def _header(environ: dict[str, Any], *names: str) -> str | None:
    for name in names:
        value = environ.get("HTTP_" + name.upper().replace("-", "_"))
        if value:
            return str(value)
    return None


def _context(
    policy: Policy,
    environ: dict[str, Any],
    *,
    user_id: str | None,
    project_id: str | None,
    roles: frozenset[str],
    authenticated: bool,
) -> RequestContext:
    unchecked = RequestContext(user_id=user_id, project_id=project_id, roles=roles)
    return RequestContext(
        user_id=user_id,
        project_id=project_id,
        roles=roles,
        is_admin=policy.is_admin(unchecked.credentials()),
        authenticated=authenticated,
        request_id=environ.get("quantum.request_id"),
    )


def _url_tenant(path_info: str) -> str | None:
    """The ``{tenant}`` of ``/tenants/{tenant}/...`` (or of an extension's
    ``/extensions/{vendor}/tenants/{tenant}/...``), decoded as the router does."""
    try:
        # NOTE: WSGI paths are bytes as latin-1; webob (the router) reads UTF-8.
        path = path_info.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return None
    found = _V1_TENANT.match(path)
    return found.group(1) if found else None


class NoAuthFilter:
    """``auth_strategy = noauth``: trust the URL (v1) or the headers (v2.0)."""

    def __init__(self, app: WsgiApp, policy: Policy, source: TenantSource) -> None:
        self.app = app
        self.policy = policy
        self.source = source

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if self.source is TenantSource.URL:
            project = _url_tenant(environ.get("PATH_INFO", ""))
        else:
            project = _header(environ, "X-Project-Id", "X-Tenant-Id")
        environ[ENVIRON_KEY] = _context(
            self.policy,
            environ,
            user_id=_header(environ, "X-User-Id"),
            project_id=project,
            roles=roles_from_header(_header(environ, "X-Roles")),
            authenticated=False,
        )
        return self.app(environ, start_response)


UNAUTHORIZED = {
    "error": {
        "code": 401,
        "title": "Unauthorized",
        "message": "The request you have made requires authentication.",
    }
}
"""The body of a 401, in the shape keystonemiddleware's own 401 has."""


class KeystoneContextFilter:
    """After ``auth_token``: the context from the headers it set (token validated)."""

    def __init__(self, app: WsgiApp, policy: Policy) -> None:
        self.app = app
        self.policy = policy

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        user = _header(environ, "X-User-Id", "X-User")
        if _header(environ, "X-Identity-Status") != "Confirmed" or user is None:
            body = json.dumps(UNAUTHORIZED).encode()
            start_response(
                "401 Unauthorized",
                [
                    ("Content-Type", "application/json"),
                    ("Content-Length", str(len(body))),
                ],
            )
            return [body]
        environ[ENVIRON_KEY] = _context(
            self.policy,
            environ,
            user_id=user,
            project_id=_header(environ, "X-Project-Id", "X-Tenant-Id", "X-Tenant"),
            roles=roles_from_header(_header(environ, "X-Roles", "X-Role")),
            authenticated=True,
        )
        return self.app(environ, start_response)


def keystone_auth_token(
    app: WsgiApp, config_file: str | None, local: dict[str, str]
) -> WsgiApp:
    """keystonemiddleware's ``auth_token`` reading ``[keystone_authtoken]`` of
    quantum.conf (Paste ``[filter:authtoken]`` keys override single options)."""
    # NOTE: imported here: keystonemiddleware (keystoneclient, keystoneauth1,
    # requests, oslo.cache) is a third of a worker's modules, and only
    # auth_strategy = keystone uses it.
    from keystonemiddleware.auth_token import AuthProtocol

    conf = cfg.ConfigOpts()
    conf(
        [], project="quantum", default_config_files=[config_file] if config_file else []
    )
    return AuthProtocol(app, {**local, "oslo_config_config": conf})  # type: ignore[no-any-return]
