# SPDX-License-Identifier: Apache-2.0
"""What every agent kind's messages share: JSON field checks, ``MessageError`` and
the change feed's ``Revision``.

A kind's own messages live in its module (``quantum.agentapi.ovs.messages``). Every
message has ``to_json() -> dict`` and ``from_json(dict)``; ``from_json`` raises
``MessageError`` (a ``ValueError``, and a ``BadRequest`` at the agent API) saying
which field is wrong.

* ``Revision`` (answer of a registration and of ``GET /changes``):
  ``{"revision": 7}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import ip_address
from typing import Any

from quantum.core import exceptions as exc
from quantum.core.subnets import IPAddress
from quantum.core.text import NAME_MAX

SECRET_HEADER = "X-Quantum-Agent-Secret"  # noqa: S105  # NOTE: a header name
"""Carries the shared secret on every request (``quantum.agentapi.server``)."""

Json = dict[str, Any]


class MessageError(exc.BadRequest, ValueError):
    """A message body does not have the documented shape (400 at the agent API)."""

    template = "{reason}"

    reason: str

    def __init__(self, reason: str) -> None:
        self.reason = reason
        self.__post_init__()


def field(body: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    """``body[name]``, which must be a ``kind``."""
    if not isinstance(body, Mapping):
        raise MessageError("the body must be a JSON object")
    if name not in body:
        raise MessageError(f"{name!r} is missing")
    value = body[name]
    # NOTE: bool is an int in Python, never in these messages.
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise MessageError(f"{name!r} has the wrong type")
    return value


def strings(body: Mapping[str, Any], name: str, limit: int = NAME_MAX) -> list[str]:
    """A list of non-empty strings of at most ``limit`` characters."""
    values: list[str] = field(body, name, list)
    if not all(isinstance(v, str) and 0 < len(v) <= limit for v in values):
        raise MessageError(f"{name!r} must hold non-empty strings of <= {limit}")
    return values


def objects(body: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    """A list of JSON objects."""
    values: list[Mapping[str, Any]] = field(body, name, list)
    if not all(isinstance(v, Mapping) for v in values):
        raise MessageError(f"{name!r} must hold objects")
    return values


def count(body: Any, name: str) -> int:
    """A non-negative integer."""
    value: int = field(body, name, int)
    if value < 0:
        raise MessageError(f"{name!r} must not be negative")
    return value


def ip(value: Any, name: str) -> IPAddress:
    try:
        return ip_address(value)
    except ValueError:
        raise MessageError(f"{name!r} is not an IP address") from None


@dataclass(frozen=True, slots=True, kw_only=True)
class Revision:
    """The store revision: desired state changed since any smaller one."""

    revision: int

    def to_json(self) -> Json:
        return {"revision": self.revision}

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> Revision:
        return cls(revision=field(body, "revision", int))
