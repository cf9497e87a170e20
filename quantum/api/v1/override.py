# SPDX-License-Identifier: Apache-2.0
"""Routes' method override, which the original v1 service inherited from its router.

An HTML form can only GET or POST, so Routes let a request name another verb in a
``_method`` parameter, and the original honoured it on every v1 route
(``POST …/networks/{id}?_method=PUT`` renames a network). It also read the body of
every form POST as a form, so a JSON or XML document sent with a form Content-Type
was never seen as one. This filter does both, as Routes 1.12 did, for POST only:
Routes also turned ``GET …?_method=DELETE`` into a delete; here a GET never changes
anything.

* ``_method`` among the query's keys: its last value, upper-cased, is the method the
  request is routed and served as (an empty value matches no route: 404). The body is
  left as it is.
* Otherwise a POST with ``Content-Type: application/x-www-form-urlencoded`` or
  ``multipart/form-data`` has its body read as a form: a ``_method`` field chooses
  the method, and the API then sees no JSON or XML document but the form (400
  ``Malformed request body``), or no body at all when the form has no fields. A body
  that is no form (multipart without a boundary) is undecodable too.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from webob import Request

from quantum.api.bodies import read_at_most
from quantum.api.v1.router import not_found

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
FORM_BODY = b"\x00"
"""What the API reads in place of a form with fields (or a body that is no form):
it decodes as neither JSON nor XML, as the original's re-encoded form did not, and
it is never larger than the body it replaces."""


def _query_method(query: str) -> str | None:
    """The last ``_method`` of the query (``&`` or ``;`` separated, as Python 2
    split it); None when there is none."""
    found = None
    for part in re.split("[&;]", query):
        for key, value in parse_qsl(part, keep_blank_values=True, errors="ignore"):
            if key == "_method":
                found = value
    return found


class MethodOverride:
    """Serves a POST as the method its ``_method`` parameter names (module doc)."""

    def __init__(self, app: WsgiApp, body_limit: int) -> None:
        self.app = app
        self.body_limit = body_limit

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        query = environ.get("QUERY_STRING", "")
        if "_method" in query:
            # NOTE: as Routes: a query naming _method anywhere skips the form reading.
            method = _query_method(query)
        elif self._is_form(environ):
            method = self._read_form(environ)
        else:
            method = None
        if method is not None:
            if not method:
                response = not_found(Request(environ))
                return response(environ, start_response)  # type: ignore[no-any-return]
            environ["REQUEST_METHOD"] = method.upper()
        return self.app(environ, start_response)

    @staticmethod
    def _is_form(environ: dict[str, Any]) -> bool:
        # NOTE: exactly as WebOb tells a form (case and spaces count): other
        # spellings were left alone by the original, body included.
        return environ.get("CONTENT_TYPE", "").split(";", 1)[0] in FORM_TYPES

    def _read_form(self, environ: dict[str, Any]) -> str | None:
        """Reads the body as a form, puts what the API is to read in its place
        (``FORM_BODY``, or nothing for an empty form), and returns the form's
        ``_method`` (None if it has none)."""
        raw = read_at_most(Request(environ), self.body_limit + 1)
        if len(raw) > self.body_limit:
            # NOTE: left for the API, which refuses it (413) when it reads the body.
            self._replace_body(environ, raw)
            return None
        form = Request.blank(
            "/", method="POST", content_type=environ.get("CONTENT_TYPE"), body=raw
        )
        try:
            fields = list(form.POST.items())
        except ValueError:
            self._replace_body(environ, FORM_BODY)
            return None
        self._replace_body(environ, FORM_BODY if fields else b"")
        methods = [str(value) for key, value in fields if key == "_method"]
        return methods[-1] if methods else None

    @staticmethod
    def _replace_body(environ: dict[str, Any], body: bytes) -> None:
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ["webob.is_body_seekable"] = True
