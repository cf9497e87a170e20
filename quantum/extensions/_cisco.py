# SPDX-License-Identifier: Apache-2.0
"""What the five extensions of the original's Cisco plugin share on the wire (spec
§15.2): their base URL, their fault bodies (the error registry's Cisco dialect) and
how they read request bodies.

The leading underscore keeps the loader from taking this module for an extension.
"""

from __future__ import annotations

from typing import Any

from webob import Response

from quantum.api.extensions import ExtensionCall, Parent
from quantum.api.faults import Dialect, payload
from quantum.api.v1.faults import BodyFault
from quantum.api.wire import Format, XmlShape, encode_json
from quantum.core import exceptions as exc
from quantum.core.text import NAME_MAX

TENANT = Parent(member_name="tenant", collection_name="extensions/csco/tenants")
"""Every Cisco collection lives under ``/extensions/csco/tenants/{tenant_id}``."""


_FAULT_XML = XmlShape(attributes={}, plurals={})


def fault(error: exc.QuantumError, fmt: Format) -> Response:
    """The Cisco fault body: ``{name: {code, message}}``, no detail; which name,
    code and message, the error registry (``quantum.api.faults``) says."""
    found = payload(error, Dialect.CISCO)
    ((name, fields),) = found.body.items()
    if fmt is Format.XML:
        body = _FAULT_XML.encode(
            {name: {"message": fields["message"], "code": fields["code"]}}
        )
    else:
        body = encode_json(found.body)
    response = Response(status=found.status, body=body)
    response.content_type = fmt.value
    response.charset = "UTF-8"
    if found.status.startswith("503"):
        response.headers["Retry-After"] = "1"
    return response


def _media_type(call: ExtensionCall) -> Format:
    ctype = (call.request.headers.get("Content-Type") or "").split(";", 1)[0]
    try:
        return Format(ctype.strip().lower())
    except ValueError:
        raise exc.InvalidInput(reason="Content-Type must name JSON or XML") from None


def read_body(
    call: ExtensionCall,
    root: str,
    required: tuple[str, ...],
    *,
    by_content_type: bool = False,
) -> dict[str, Any]:
    """The object under ``root``, with every ``required`` key present and not null.

    Create/update bodies are read as their Content-Type says (``by_content_type``),
    member actions as the negotiated format. Raises InvalidInput (400), or the
    version's 413 fault for an oversized body.
    """
    fmt = _media_type(call) if by_content_type else call.fmt
    try:
        body = call.body(fmt)
    except BodyFault as fault_:
        if fault_.status.startswith("413"):
            raise
        raise exc.InvalidInput(reason="the body does not decode") from fault_
    params = body.get(root) if isinstance(body, dict) else None
    if not isinstance(params, dict):
        raise exc.InvalidInput(reason=f"Unable to find '{root}' in request body")
    for key in required:
        if params.get(key) is None:
            raise exc.InvalidInput(
                reason=f"Failed to parse request. Parameter: {key} not specified"
            )
    return params


def text(params: dict[str, Any], key: str) -> str:
    """A name-like parameter: a string of at most 255 characters (NUL: the edge
    refused the body already, ``ExtensionCall.body``)."""
    value = params[key]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise exc.InvalidInput(reason=f"{key} must be a string")
    value = str(value)
    if len(value) > NAME_MAX:
        raise exc.InvalidInput(reason=f"{key} is too long")
    return value
