# SPDX-License-Identifier: Apache-2.0
"""v1 request bodies to typed values, with the original's validation rules.

Each function takes the decoded body (``None`` when the request had none) and returns
what the plugin needs, or raises a ``BodyFault`` (families B and D) or a domain error
(``StateInvalid``). Unknown keys are ignored: clients such as the compute service send
extra ones (``nova_id``, ``vm_id``...).

A JSON ``null`` body reads as the resource with no fields, as the original read it
(``{"network": {}}``): a create or rename says which field is missing (family B), a
port is created (or set) DOWN.
"""

from __future__ import annotations

import enum
import math
from typing import Any

from webob import Request

from quantum.api.bodies import read_body
from quantum.api.v1.faults import (
    BodyFault,
    body_too_large,
    invalid_body,
    malformed_body,
    missing_body,
)
from quantum.api.v1.versions import ApiVersion
from quantum.api.wire import NOT_XML, Format, MalformedBody, decode
from quantum.core.exceptions import BodyTooLarge, StateInvalid
from quantum.core.ports import PortState
from quantum.core.text import NAME_MAX


class Null(enum.Enum):
    """A body that is JSON ``null`` (``read(..., null=True)``)."""

    NULL = "null"


def read(request: Request, fmt: Format, limit: int, *, null: bool = False) -> Any:
    """The decoded body, or None when there is none. Raises BodyFault (413, C, D).

    With ``null``, a JSON ``null`` body is ``Null.NULL`` rather than family D."""
    try:
        raw = read_body(request, limit)
    except BodyTooLarge:
        raise body_too_large(limit) from None
    if not raw:
        return None
    try:
        body = decode(raw, fmt)
    except MalformedBody as error:
        raise malformed_body() from error
    if body is None and null:
        return Null.NULL
    if not isinstance(body, dict):
        raise missing_body()
    return body


def _root(body: Any, key: str, version: ApiVersion) -> dict[str, Any]:
    if body is None:
        raise missing_body()
    if body is Null.NULL:
        return {}
    value = body.get(key)
    if not isinstance(value, dict):
        # NOTE: the original crashed (500) on {"network": "x"} and {"network": null}.
        raise invalid_body(f"Unable to find '{key}' in request body", version)
    return value


def _field(fields: dict[str, Any], key: str) -> Any:
    """``fields[key]``, reading an empty XML element (``<name/>``) as ``""``."""
    value = fields.get(key)
    return "" if value == {} else value


def _not_specified(field: str, version: ApiVersion) -> BodyFault:
    return invalid_body(
        f"Failed to parse request. Parameter: {field} not specified", version
    )


def _text(value: Any, field: str, version: ApiVersion, *, shown: bool = True) -> str:
    """A string the store can keep; if ``shown`` (it appears in responses), one that
    every response format can carry as well."""
    if not isinstance(value, str):
        raise invalid_body(f"Invalid value for {field}: expected a string", version)
    if len(value) > NAME_MAX:
        raise invalid_body(
            f"Invalid value for {field}: longer than {NAME_MAX} characters", version
        )
    if "\x00" in value:
        raise invalid_body(
            f"Invalid value for {field}: contains a NUL character", version
        )
    unrepresentable = NOT_XML.search(value) if shown else None
    if unrepresentable:
        # NOTE: neither the XML format nor (for surrogates) UTF-8 could give it back.
        code = f"U+{ord(unrepresentable.group()):04X}"
        raise invalid_body(f"Invalid value for {field}: contains {code}", version)
    return value


def _number_text(value: Any, field: str, version: ApiVersion) -> Any:
    """A JSON number as the text the original stored for it (``123`` -> ``"123"``,
    ``1.5`` -> ``"1.5"``); any other value as it is. A boolean is refused: the
    original stored ``true`` as ``"1"``, a database artefact no client means."""
    if isinstance(value, bool):
        raise invalid_body(f"Invalid value for {field}: expected a string", version)
    if isinstance(value, int):
        return str(value) if value else ""
    if isinstance(value, float):
        if not math.isfinite(value):
            raise invalid_body(f"Invalid value for {field}: not a number", version)
        return repr(value) if value else ""
    return value


def network_name(body: Any, version: ApiVersion) -> str | None:
    """Create and update network: ``name`` required; an empty name is stored as null,
    and so is a zero (the original replaced any false value by the default)."""
    fields = _root(body, "network", version)
    name = _field(fields, "name")
    if name is None:
        raise _not_specified("name", version)
    return _text(_number_text(name, "name", version), "name", version) or None


def _state(fields: dict[str, Any]) -> bool:
    state = _field(fields, "state")
    if state is None or state == "":
        return False
    if state == PortState.ACTIVE:
        return True
    if state == PortState.DOWN:
        return False
    raise StateInvalid(port_state=state)


def new_port_state(body: Any, version: ApiVersion) -> bool:
    """Create port: the body is optional; ``state`` defaults to DOWN."""
    if body is None or body is Null.NULL:
        return False
    return _state(_root(body, "port", version))


def port_state(body: Any, version: ApiVersion) -> bool:
    """Update port: body required; a missing ``state`` means DOWN (as the original)."""
    return _state(_root(body, "port", version))


def attachment_id(body: Any, version: ApiVersion) -> str:
    fields = _root(body, "attachment", version)
    value = _field(fields, "id")
    # NOTE: the original turned "" into null and then reported a bogus conflict.
    if value is None or value == "":
        raise _not_specified("id", version)
    return _text(value, "id", version)


def tenant_id(value: str, version: ApiVersion) -> str:
    """Tenants are free-form, but the store keeps at most NAME_MAX characters.

    A tenant id only appears in URLs, so unlike names it may hold control characters.
    """
    return _text(value, "tenant_id", version, shown=False)
