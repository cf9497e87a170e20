# SPDX-License-Identifier: Apache-2.0
"""What the five extensions of the original's Cisco plugin share on the wire (spec
§15.2): their base URL, their fault bodies and how they read request bodies.

The leading underscore keeps the loader from taking this module for an extension.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webob import Response

from quantum.api.extensions import ExtensionCall, Parent
from quantum.api.v1.faults import GENERIC_400, BodyFault
from quantum.api.wire import Format, XmlShape, encode_json
from quantum.core import exceptions as exc
from quantum.core.models import NAME_MAX
from quantum.core.text import storable

TENANT = Parent(member_name="tenant", collection_name="extensions/csco/tenants")
"""Every Cisco collection lives under ``/extensions/csco/tenants/{tenant_id}``."""


@dataclass(frozen=True, slots=True)
class _Fault:
    code: int
    title: str
    name: str
    message: str


_FAULTS: dict[type[exc.QuantumError], _Fault] = {
    exc.QosNotFound: _Fault(
        452, "QoS Not Found", "QoSNotFound",
        "Unable to find a QoS with the specified identifier.",
    ),
    exc.PortProfileNotFound: _Fault(
        450, "Portprofile Not Found", "PortprofileNotFound",
        "Unable to find a Portprofile with the specified identifier.",
    ),
    exc.PortProfileInUse: _Fault(
        421, "Portprofile In Use", "PortprofileInUse",
        "Unable to complete operation on the Portprofile: ports are associated "
        "with it.",
    ),
    exc.CredentialNotFound: _Fault(
        451, "Credential Not Found", "CredentialNotFound",
        "Unable to find a Credential with the specified identifier.",
    ),
    exc.InstancePortNotFound: _Fault(
        453, "Nova tenant Not Found", "NovatenantNotFound",
        "Unable to find a Novatenant with the specified identifier.",
    ),
    exc.NetworkNotFound: _Fault(
        420, "Network not Found", "quantumServiceFault",
        "Unable to find a network with the specified identifier.",
    ),
    exc.PortNotFound: _Fault(
        430, "Port not Found", "quantumServiceFault",
        "Unable to find a port with the specified identifier.",
    ),
    exc.StateInvalid: _Fault(
        431, "Requested State Invalid", "quantumServiceFault",
        "Unable to update port state with specified value.",
    ),
    exc.BadRequest: _Fault(400, "Bad Request", "malformedRequest", GENERIC_400),
    exc.ServiceUnavailable: _Fault(
        503, "Service Unavailable", "quantumServiceFault",
        "The service is temporarily unavailable.",
    ),
}  # fmt: skip

_INTERNAL = _Fault(
    500,
    "Internal Server Error",
    "quantumServiceFault",
    "The server has either erred or is incapable of performing the request.",
)

_FAULT_XML = XmlShape(attributes={}, plurals={})


def fault(error: exc.QuantumError, fmt: Format) -> Response:
    """The Cisco fault body: ``{name: {code, message}}``, no detail."""
    entry = next(
        (_FAULTS[cls] for cls in type(error).__mro__ if cls in _FAULTS), _INTERNAL
    )
    if fmt is Format.XML:
        payload = {entry.name: {"message": entry.message, "code": entry.code}}
        body = _FAULT_XML.encode(payload)
    else:
        body = encode_json({entry.name: {"code": entry.code, "message": entry.message}})
    response = Response(status=f"{entry.code} {entry.title}", body=body)
    response.content_type = fmt.value
    response.charset = "UTF-8"
    if entry.code == 503:
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
    """A name-like parameter: a string of at most 255 characters, no NUL."""
    value = params[key]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise exc.InvalidInput(reason=f"{key} must be a string")
    value = str(value)
    if len(value) > NAME_MAX or not storable(value):
        raise exc.InvalidInput(reason=f"{key} is too long or has a NUL")
    return value
