# SPDX-License-Identifier: Apache-2.0
"""v2.0 error responses: the status by exception family (from the error registry,
``quantum.api.faults``), a body for both generations of clients.

``{"NeutronError": {"type": ..., "message": ..., "detail": ""}, "QuantumError": ...}``.
``NeutronError`` is what openstacksdk, the openstack CLI and python-neutronclient
show to their users (spec §1.7, the later form). ``QuantumError`` is for the Grizzly
client (python-quantumclient 2.x), which reads nothing else: the same object when
the type is one it raises its own exception class for (``faults.GRIZZLY_CLASSES``),
else the message alone (the Grizzly server's own string form): given an object of
any other type, that client shows its user the raw body instead of the message. The
family is found by walking the exception's MRO, so new subclasses need no entry.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from webob import Request, Response

from quantum.api.faults import INTERNAL_V2, Dialect, neutron_body, payload, shown
from quantum.api.wire import encode_json
from quantum.core import exceptions as exc

INTERNAL = INTERNAL_V2


def error_body(kind: str, message: str) -> dict[str, Any]:
    return neutron_body(kind, message)


def error_response(status: str, kind: str, message: str) -> Response:
    return _response(status, error_body(kind, message))


def _response(status: str, body: dict[str, Any]) -> Response:
    response = Response(status=status, body=encode_json(body))
    response.headers["Content-Type"] = "application/json"
    return response


def fault(error: exc.QuantumError) -> Response:
    """The v2.0 fault of ``error``, as the error registry resolves it."""
    found = payload(error, Dialect.V2_0)
    return _response(found.status, found.body)


def internal() -> Response:
    found = shown(exc.QuantumError, "", Dialect.V2_0)
    return _response(found.status, found.body)


def not_found(message: str = "The resource could not be found.") -> Response:
    return error_response("404 Not Found", "HTTPNotFound", message)


def bad_request(message: str) -> Response:
    return error_response("400 Bad Request", "HTTPBadRequest", message)


def method_not_allowed(allowed: str) -> Response:
    response = error_response(
        "405 Method Not Allowed",
        "HTTPMethodNotAllowed",
        "The method is not allowed for this resource.",
    )
    response.headers["Allow"] = allowed
    return response


UNAUTHORIZED = "Authentication required: a valid X-Auth-Token is needed."


class AuthFaults:
    """Filter above the authentication filters of the v2.0 pipeline
    (keystonemiddleware's ``auth_token``, the keystone context): their 401 in the
    v2.0 error body, so a v2 client shows its user why; ``WWW-Authenticate`` kept."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        response = Request(environ).get_response(self.app)
        if response.status_int == 401:
            converted = error_response(
                "401 Unauthorized", "HTTPUnauthorized", _message_of(response.body)
            )
            challenge = response.headers.get("WWW-Authenticate")
            if challenge:
                converted.headers["WWW-Authenticate"] = challenge
            response = converted
        return response(environ, start_response)  # type: ignore[no-any-return]


def _message_of(body: bytes) -> str:
    """The message of a 401 body (keystonemiddleware's ``{"error": {"message"}}``)."""
    try:
        found = json.loads(body)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return UNAUTHORIZED
    return found if isinstance(found, str) and found else UNAUTHORIZED
