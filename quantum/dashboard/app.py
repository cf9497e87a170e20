# SPDX-License-Identifier: Apache-2.0
"""The dashboard's WSGI app (WebOb, like the server).

It does two things and nothing else:

* serves the single-page app under ``/`` (``static/``: plain ES modules and SVG, no
  build step);
* proxies ``/v2.0/...`` to the configured API URL, passing the caller's
  ``X-Auth-Token`` and ``X-Project-Id`` through untouched. The browser so talks to
  one origin (no CORS on the server) and the dashboard holds no credentials and never
  reads the database: every change is a public API call made with the user's token.

``GET /dashboard/config`` tells the page which login to show (``noauth``: a project
field only).
"""

from __future__ import annotations

import http.client
import mimetypes
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from webob import Request, Response

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]

STATIC = resources.files("quantum.dashboard") / "static"
PASSED_REQUEST_HEADERS = ("Content-Type", "Accept", "X-Auth-Token", "X-Project-Id")
PASSED_RESPONSE_HEADERS = ("Content-Type", "ETag", "Location")
API_PREFIX = "/v2.0/"


def _error(status: int, kind: str, message: str) -> Response:
    """An error worded like the API's own (a ``NeutronError`` body)."""
    return Response(
        status=status,
        json_body={"NeutronError": {"type": kind, "message": message, "detail": ""}},
    )


class DashboardApp:
    def __init__(self, api_url: str, *, timeout: float = 30.0) -> None:
        parts = urlsplit(api_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{api_url!r} is not an http(s) URL")
        self.api_url = api_url.rstrip("/")
        self._scheme = parts.scheme
        self._netloc = parts.netloc
        self._base = parts.path.rstrip("/")
        self.timeout = timeout

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        response = self.handle(request)
        return response(environ, start_response)  # type: ignore[no-any-return]

    def handle(self, request: Request) -> Response:
        path = request.path_info
        if path.startswith(API_PREFIX):
            return self.proxy(request)
        if path == "/dashboard/config":
            return Response(json_body={"auth": "noauth", "api": API_PREFIX})
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
        return response
