# SPDX-License-Identifier: Apache-2.0
"""What the client raises: the server's error, typed by status, with its message.

``ClientError`` carries the HTTP ``status``, the server's error ``type`` (e.g.
``NetworkNotFound``; empty when the body had none) and its ``message``; ``str()``
is the message alone, as the server worded it. ``from_response`` picks the class
by status, so a caller catches ``NotFound`` or ``Conflict`` without reading codes.
"""

from __future__ import annotations

import json
from typing import Any


class ClientError(Exception):
    """An error answer from the server (or no answer: ``ConnectionFailed``)."""

    status: int = 0

    def __init__(self, message: str, *, kind: str = "", status: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        if status:
            self.status = status

    def __str__(self) -> str:
        return self.message


class BadRequest(ClientError):
    status = 400


class Unauthorized(ClientError):
    status = 401


class Forbidden(ClientError):
    status = 403


class NotFound(ClientError):
    status = 404


class MethodNotAllowed(ClientError):
    status = 405


class Conflict(ClientError):
    status = 409


class RequestEntityTooLarge(ClientError):
    status = 413


class OverLimit(ClientError):
    status = 429


class ServiceUnavailable(ClientError):
    status = 503


class ConnectionFailed(ClientError):
    """No answer at all: the server could not be reached (after the retries)."""


class Ambiguous(ClientError):
    """A name matched more than one resource; ``candidates`` are their ids."""

    def __init__(self, message: str, candidates: tuple[str, ...]) -> None:
        super().__init__(message, kind="Ambiguous")
        self.candidates = candidates


BY_STATUS: dict[int, type[ClientError]] = {
    cls.status: cls
    for cls in (
        BadRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        Conflict,
        RequestEntityTooLarge,
        OverLimit,
        ServiceUnavailable,
    )
}


def _message(body: Any) -> tuple[str, str] | None:
    """(type, message) from the error bodies this server and Keystone send."""
    if not isinstance(body, dict):
        return None
    for key in ("NeutronError", "QuantumError", "error"):
        error = body.get(key)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            kind = error.get("type") or error.get("title") or ""
            return str(kind), error["message"]
        if isinstance(error, str):
            return "", error
    return None


def from_response(status: int, reason: str, raw: bytes) -> ClientError:
    """The exception for an error answer; unknown 4xx/5xx get ``ClientError``."""
    text = raw.decode("utf-8", errors="replace")
    try:
        found = _message(json.loads(text))
    except ValueError:
        found = None
    if found is None:
        # NOTE: a plain page (v1 routing misses, proxies): its first line, not HTML.
        first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
        found = ("", first or f"{status} {reason}".strip())
    kind, message = found
    cls = BY_STATUS.get(status, ClientError)
    return cls(message, kind=kind, status=status)
