# SPDX-License-Identifier: Apache-2.0
"""The dashboard's WSGI app (WebOb, like the server).

It does two things and nothing else:

* serves the single-page app under ``/`` (``static/``: plain ES modules and SVG, no
  build step);
* proxies ``/v2.0/...`` to the configured API URL, passing the caller's
  ``X-Auth-Token``, ``X-Project-Id`` and ``X-Roles`` through untouched, with
  ``If-Match`` (the revision a change is meant for) (under
  ``auth_strategy = keystone`` the server replaces the last two with what the token
  says). The browser so talks to one origin (no CORS on the server) and the dashboard
  holds no credentials and never reads the database: every change is a public API
  call made with the user's token. One v1.1 resource is proxied too, a port's
  ``attachment`` (the interface id plugged into it), which v2.0 does not have.

A proxied ``GET`` answered 200 gets an ``ETag`` (a digest of the body) unless the
server sent one, and a request whose ``If-None-Match`` names it is answered ``304``
without a body: the page's once-a-second polls then carry nothing when nothing
changed. ``Vary`` names the identity headers and ``Cache-Control: private,
no-cache``, so no cache answers one user with another's data.

``GET /dashboard/config`` tells the page which login to show: with no identity
service configured (the server's ``auth_strategy = noauth``) a project field, sent as
``X-Project-Id``; with ``auth_url`` a Keystone login. ``POST /dashboard/login``
(username, password, domain) answers an unscoped token and the projects the user may
choose from (Keystone's ``/v3/auth/projects``); ``POST /dashboard/scope`` (that
token, a project id) answers a token scoped to the project, which the page then sends
as ``X-Auth-Token``. The dashboard keeps neither token.
"""

from __future__ import annotations

import hashlib
import http.client
import mimetypes
import re
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3
from webob import Request, Response

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]

STATIC = resources.files("quantum.dashboard") / "static"
PASSED_REQUEST_HEADERS = (
    "Content-Type",
    "Accept",
    "X-Auth-Token",
    "X-Project-Id",
    "X-Roles",
    "If-Match",
)
PASSED_RESPONSE_HEADERS = ("Content-Type", "ETag", "Location")
IDENTITY_HEADERS = "X-Auth-Token, X-Project-Id, X-Roles"
API_PREFIX = "/v2.0/"
V1_ATTACHMENT = re.compile(
    r"^/v1\.1/tenants/[^/]+/networks/[^/]+/ports/[^/]+/attachment$"
)
"""The one v1.1 resource the page uses: plug an interface id into a port, unplug it."""


def _error(status: int, kind: str, message: str) -> Response:
    """An error worded like the API's own (a ``NeutronError`` body)."""
    return Response(
        status=status,
        json_body={"NeutronError": {"type": kind, "message": message, "detail": ""}},
    )


def _keystone_error(error: Exception, auth_url: str) -> Response:
    """Keystone's refusal in its own words; 502 when it cannot be reached."""
    if isinstance(error, ks_exc.HttpError):
        message = error.message or f"HTTP {error.http_status}"
        return _error(error.http_status or 401, "Unauthorized", message)
    return _error(
        502, "BadGateway", f"the identity service at {auth_url} cannot be reached"
    )


def _fields(request: Request, *names: str) -> list[str] | Response:
    try:
        body = request.json_body
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return _error(400, "BadRequest", "the body must be a JSON object")
    values = [body.get(name) for name in names]
    missing = [n for n, v in zip(names, values, strict=True) if not isinstance(v, str)]
    if missing or not all(values):
        return _error(400, "BadRequest", f"{', '.join(names)} are required strings")
    return [str(value) for value in values]


class KeystoneLogin:
    """Password login, then a project chosen among the user's (Keystone v3)."""

    def __init__(self, auth_url: str, timeout: float = 30.0) -> None:
        self.auth_url = auth_url.rstrip("/")
        self.v3 = (
            self.auth_url if self.auth_url.endswith("/v3") else self.auth_url + "/v3"
        )
        self.timeout = timeout

    def login(self, request: Request) -> Response:
        fields = _fields(request, "username", "password")
        if isinstance(fields, Response):
            return fields
        username, password = fields
        domain = str(request.json_body.get("domain") or "Default")
        session = ks_session.Session(timeout=self.timeout)
        auth = v3.Password(
            auth_url=self.v3,
            username=username,
            password=password,
            user_domain_name=domain,
            unscoped=True,
        )
        try:
            token = auth.get_access(session).auth_token
            answer = session.get(
                f"{self.v3}/auth/projects", headers={"X-Auth-Token": token}
            )
        except ks_exc.ClientException as error:
            return _keystone_error(error, self.auth_url)
        projects = [
            {"id": project["id"], "name": project["name"]}
            for project in answer.json().get("projects", [])
            if project.get("enabled", True)
        ]
        projects.sort(key=lambda project: project["name"])
        return Response(json_body={"token": token, "projects": projects})

    def scope(self, request: Request) -> Response:
        fields = _fields(request, "token", "project_id")
        if isinstance(fields, Response):
            return fields
        token, project_id = fields
        auth = v3.Token(auth_url=self.v3, token=token, project_id=project_id)
        try:
            access = auth.get_access(ks_session.Session(timeout=self.timeout))
        except ks_exc.ClientException as error:
            return _keystone_error(error, self.auth_url)
        return Response(
            json_body={
                "token": access.auth_token,
                "project_id": access.project_id,
                "project_name": access.project_name,
                "roles": sorted(access.role_names or ()),
            }
        )


class DashboardApp:
    def __init__(
        self, api_url: str, *, auth_url: str | None = None, timeout: float = 30.0
    ) -> None:
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{api_url!r} is not an http(s) URL")
        self.api_url = api_url.rstrip("/")
        self._scheme = parts.scheme
        self._netloc = parts.netloc
        self._base = parts.path.rstrip("/")
        self.timeout = timeout
        self.keystone = KeystoneLogin(auth_url, timeout) if auth_url else None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)  # type: ignore[no-any-return]

    def handle(self, request: Request) -> Response:
        path = request.path_info
        if path.startswith(API_PREFIX) or V1_ATTACHMENT.match(path):
            return self.proxy(request)
        if path == "/dashboard/config":
            auth = "keystone" if self.keystone else "noauth"
            return Response(json_body={"auth": auth, "api": API_PREFIX})
        if path in ("/dashboard/login", "/dashboard/scope"):
            if self.keystone is None:
                return _error(404, "NotFound", "this dashboard has no Keystone login")
            if request.method != "POST":
                return _error(405, "MethodNotAllowed", f"{path} takes POST only")
            if path == "/dashboard/login":
                return self.keystone.login(request)
            return self.keystone.scope(request)
        return self.static(path)

    def static(self, path: str) -> Response:
        name = "index.html" if path in ("", "/") else path.lstrip("/")
        if "/" in name or name.startswith(".") or not (STATIC / name).is_file():
            return _error(404, "NotFound", f"the dashboard has no page {path}")
        content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if name.endswith(".js"):
            content_type = "text/javascript"
        response = Response(
            body=(STATIC / name).read_bytes(), content_type=content_type
        )
        if content_type.startswith("text/"):
            response.charset = "utf-8"
        response.cache_control = "no-cache"
        return response

    def proxy(self, request: Request) -> Response:
        headers = {
            name: request.headers[name]
            for name in PASSED_REQUEST_HEADERS
            if name in request.headers
        }
        target = self._base + request.path_info
        if request.query_string:
            target += "?" + request.query_string
        connection_class = (
            http.client.HTTPSConnection
            if self._scheme == "https"
            else http.client.HTTPConnection
        )
        connection = connection_class(self._netloc, timeout=self.timeout)
        try:
            connection.request(
                request.method, target, request.body or None, headers=headers
            )
            answer = connection.getresponse()
            body = answer.read()
        except OSError as error:
            return _error(
                502,
                "BadGateway",
                f"the network service at {self.api_url} cannot be reached: {error}",
            )
        finally:
            connection.close()
        response = Response(status=answer.status, body=body)
        response.headers.pop("Content-Type", None)
        for name in PASSED_RESPONSE_HEADERS:
            value = answer.getheader(name)
            if value is not None:
                response.headers[name] = value
        response.headers["Vary"] = IDENTITY_HEADERS
        response.headers["Cache-Control"] = "private, no-cache"
        if request.method == "GET" and answer.status == 200:
            return _conditional(request, response)
        return response


def _conditional(request: Request, response: Response) -> Response:
    """An ETag on a 200 answer; 304 (no body) when the request names it."""
    etag = response.headers.get("ETag")
    if etag is None:
        etag = '"' + hashlib.sha256(response.body).hexdigest()[:32] + '"'
        response.headers["ETag"] = etag
    wanted = request.headers.get("If-None-Match", "")
    tags = {tag.strip().removeprefix("W/") for tag in wanted.split(",")}
    if etag.removeprefix("W/") in tags or "*" in tags:
        unchanged = Response(status=304)
        for name in ("ETag", "Vary", "Cache-Control"):
            unchanged.headers[name] = response.headers[name]
        unchanged.headers.pop("Content-Type", None)
        return unchanged
    return response
