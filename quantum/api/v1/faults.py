# SPDX-License-Identifier: Apache-2.0
"""Errors to v1.0 / v1.1 faults: the only place that knows their codes and bodies.

Families, as the original service showed them to clients:

* A, domain errors: v1.0 ``{"networkNotFound": {code, message, detail}}`` with codes
  420-440; v1.1 ``{"QuantumError": {type, message, detail}}`` with 404/409/400.
* B, invalid body content: v1.0 keyed ``"Bad Request"``; v1.1 type QuantumServiceFault.
* C, undecodable body, and D, missing body: ``{"Error": {code, message}}`` in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from webob import Response

from quantum.api.v1.versions import V1_0, ApiVersion
from quantum.api.wire import Format, XmlShape, encode_json
from quantum.core import exceptions as exc

GENERIC_400 = (
    "The server could not comply with the request since it is either malformed "
    "or otherwise incorrect."
)
MALFORMED = "Malformed request body"


@dataclass(frozen=True, slots=True)
class _Domain:
    v10_code: int
    v10_name: str
    v11_status: str
    v11_type: str
    message: str


_DOMAIN: dict[type[exc.QuantumError], _Domain] = {
    exc.NetworkNotFound: _Domain(
        420, "networkNotFound", "404 Not Found", "NetworkNotFound",
        "Unable to find a network with the specified identifier.",
    ),
    exc.NetworkInUse: _Domain(
        421, "networkInUse", "409 Conflict", "NetworkInUse",
        "Unable to remove the network: attachments still plugged.",
    ),
    exc.PortNotFound: _Domain(
        430, "portNotFound", "404 Not Found", "PortNotFound",
        "Unable to find a port with the specified identifier.",
    ),
    exc.StateInvalid: _Domain(
        431, "requestedStateInvalid", "400 Bad Request", "RequestedStateInvalid",
        "Unable to update port state with specified value.",
    ),
    exc.PortInUse: _Domain(
        432, "portInUse", "409 Conflict", "PortInUse",
        "A resource is currently attached to the logical port",
    ),
    exc.AlreadyAttached: _Domain(
        440, "alreadyAttached", "409 Conflict", "AlreadyAttached",
        "The resource is already attached to another port",
    ),
}  # fmt: skip


class BodyFault(Exception):
    """A request body problem, raised by request parsing and turned into a fault."""

    def __init__(self, status: str, payload: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.payload = payload


def missing_body() -> BodyFault:
    """Family D: no body where one is required, or a top-level non-object."""
    return BodyFault(
        "400 Bad Request", {"Error": {"code": 400, "message": GENERIC_400}}
    )


def malformed_body() -> BodyFault:
    """Family C: the body does not decode."""
    return BodyFault("400 Bad Request", {"Error": {"code": 400, "message": MALFORMED}})


def body_too_large(limit: int) -> BodyFault:
    message = f"Request body is larger than the limit of {limit} bytes"
    return BodyFault(
        "413 Request Entity Too Large", {"Error": {"code": 413, "message": message}}
    )


OVER_LIMIT_MESSAGE = "This request was rate-limited."


def over_limit(retry_after: int, version: ApiVersion) -> BodyFault:
    """Too many requests from this tenant for this verb; ``Retry-After`` seconds."""
    detail = f"Too many requests; retry after {retry_after} seconds."
    if version is V1_0:
        body = {"code": 413, "message": OVER_LIMIT_MESSAGE, "detail": detail}
        return BodyFault("413 Request Entity Too Large", {"overLimit": body})
    error = {"type": "OverLimit", "message": OVER_LIMIT_MESSAGE, "detail": detail}
    return BodyFault("413 Request Entity Too Large", {"QuantumError": error})


def invalid_body(detail: str, version: ApiVersion) -> BodyFault:
    """Family B: the body decodes but a key is missing or a value is unusable."""
    if version is V1_0:
        body = {"code": 400, "message": GENERIC_400, "detail": detail}
        return BodyFault("400 Bad Request", {"Bad Request": body})
    error = {"type": "QuantumServiceFault", "message": GENERIC_400, "detail": detail}
    return BodyFault("400 Bad Request", {"QuantumError": error})


def _domain_entry(error: exc.QuantumError) -> _Domain | None:
    for cls in type(error).__mro__:
        if cls in _DOMAIN:
            return _DOMAIN[cls]
    return None


def from_error(error: exc.QuantumError, version: ApiVersion) -> BodyFault:
    """Map a domain error to the version's fault; unknown kinds by their base class."""
    entry = _domain_entry(error)
    if entry is not None:
        if version is V1_0:
            body = {
                "code": entry.v10_code,
                "message": entry.message,
                "detail": error.detail,
            }
            return BodyFault(
                f"{entry.v10_code} {entry.v10_name}", {entry.v10_name: body}
            )
        body = {
            "type": entry.v11_type,
            "message": entry.message,
            "detail": error.detail,
        }
        return BodyFault(entry.v11_status, {"QuantumError": body})
    if isinstance(error, exc.BadRequest):
        return invalid_body(error.detail, version)
    if isinstance(error, exc.ServiceUnavailable):
        return BodyFault(
            "503 Service Unavailable",
            {"serviceUnavailable": {"code": 503, "message": error.detail}},
        )
    return internal_error()


def internal_error() -> BodyFault:
    message = "The server has either erred or is incapable of performing the request."
    return BodyFault(
        "500 Internal Server Error", {"Error": {"code": 500, "message": message}}
    )


def render(fault: BodyFault, fmt: Format, version: ApiVersion) -> Response:
    if fmt is Format.XML:
        ((root, _),) = fault.payload.items()
        # NOTE: every fault root carries ``code`` as an attribute, the rest as children.
        shape = XmlShape(attributes={root: ("code",)}, plurals={})
        body = shape.encode(fault.payload, version.xmlns)
    else:
        body = encode_json(fault.payload)
    response = Response(status=fault.status, body=body)
    response.content_type = fmt.value
    response.charset = "UTF-8"
    if fault.status.startswith("503"):
        response.headers["Retry-After"] = "1"
    return response
