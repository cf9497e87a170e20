# SPDX-License-Identifier: Apache-2.0
"""How a v2 resource is declared: its attributes, their converters and rules.

A converter takes the JSON value a client sent and returns the typed value, or
raises ``InvalidInput`` (400) saying what is wrong; it is also applied to query
filters, whose values arrive as strings (``query`` converts those).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from quantum.core import exceptions as exc
from quantum.core import text
from quantum.core.listing import ListQuery
from quantum.core.mac import is_multicast, parse_mac
from quantum.core.scope import Scope
from quantum.core.text import NAME_MAX
from quantum.core.unset import UNSET

Convert = Callable[[str, Any], Any]
"""(attribute name, value) -> typed value; raises InvalidInput."""


def _bad(name: str, value: Any, what: str) -> exc.InvalidInput:
    return exc.InvalidInput(reason=f"'{value}' is not {what} for {name}")


def to_bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    raise _bad(name, value, "a boolean")


def to_int(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise _bad(name, value, "an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?[0-9]{1,20}\s*", value):
        return int(value)
    raise _bad(name, value, "an integer")


@dataclass(frozen=True, slots=True)
class String:
    """Converter: a string of at most ``max_length`` characters."""

    max_length: int = NAME_MAX

    def __call__(self, name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise _bad(name, value, "a string")
        if len(value) > self.max_length:
            raise exc.InvalidInput(
                reason=f"{name} is longer than {self.max_length} characters"
            )
        return value


def string(max_length: int = NAME_MAX) -> Convert:
    return String(max_length)


def to_tenant(name: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _bad(name, value, "a string")
    return text.tenant_id(value)


def to_uuid(name: str, value: Any) -> str:
    if isinstance(value, str):
        try:
            if str(uuid.UUID(value)) == value:
                return value
        except ValueError:
            pass
    raise _bad(name, value, "a valid UUID")


def to_mac(name: str, value: Any) -> str:
    mac = parse_mac(value) if isinstance(value, str) else None
    if mac is None:
        raise _bad(name, value, "a valid MAC address")
    if is_multicast(mac):
        raise _bad(name, value, "a unicast MAC address")
    return mac


@dataclass(frozen=True, slots=True)
class OneOf:
    """Converter: one of ``choices``."""

    choices: tuple[str, ...]

    def __call__(self, name: str, value: Any) -> str:
        if not isinstance(value, str) or value not in self.choices:
            raise exc.InvalidInput(
                reason=f"'{value}' is not one of {', '.join(self.choices)} for {name}"
            )
        return value


def one_of(*choices: str) -> Convert:
    return OneOf(choices)


def any_value(name: str, value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Field:
    """One attribute of a resource.

    ``default`` applies to an omitted attribute on create (``UNSET``: the plugin
    computes it); ``required`` means it must be given. ``admin_only`` attributes are
    set and seen by admins only (provider, binding). ``sortable`` attributes are
    plain columns of the store.
    """

    name: str
    convert: Convert = any_value
    default: Any = UNSET
    required: bool = False
    on_create: bool = True
    on_update: bool = False
    visible: bool = True
    admin_only: bool = False
    set_by_admin: bool = False
    """Everybody sees it, but only an admin may set it to a non-default value."""
    sortable: bool = True
    filterable: bool = True
    query_convert: Convert | None = None
    """How a filter value is typed, where ``convert`` (bool, int) does not say."""
    schema: Mapping[str, Any] | None = None
    """The JSON schema of the value on the wire (OpenAPI 3.0), where ``convert``
    does not say (``quantum.api.v2.openapi`` derives it from the converter)."""
    shown: Mapping[str, Any] | None = None
    """The schema of the value in responses, where it differs from ``schema``."""

    def query(self, text: str) -> Any:
        """A filter value (always a string on the wire) as the attribute's type."""
        if self.query_convert is not None:
            return self.query_convert(self.name, text)
        if self.convert in (to_bool, to_int):
            return self.convert(self.name, text)
        return text


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    """A v2 resource: body keys and URL collection, and its attributes.

    ``admin_only``: the whole resource is for administrators; every verb's
    ``<verb>_<resource>`` rule is ``admin_only`` and is checked before anything is
    read, so anybody else gets 403 (agents), not a not-found.
    """

    name: str
    collection: str
    fields: tuple[Field, ...]
    admin_only: bool = False

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Operations:
    """What the controller calls for one resource, bound to the plugin at start.

    Request values are the validated attribute maps of ``Controller``; results are
    the plugin's dataclasses, which ``view`` turns into the wire dict.
    """

    list: Callable[[Scope, ListQuery], Sequence[Any]]
    show: Callable[[Scope, str], Any]
    create: Callable[[Scope, Sequence[Mapping[str, Any]]], Sequence[Any]]
    update: Callable[[Scope, str, Mapping[str, Any], Callable[[Any], None]], Any]
    """(scope, id, changes, authorize): ``authorize`` is called with the item as
    it is, in the update's transaction, and raises to refuse it."""
    delete: Callable[[Scope, str], None]
    view: Callable[[Any], dict[str, Any]]
    not_found: Callable[[str], exc.QuantumError]
    """The error that says an id does not exist (also: may not be seen)."""
