# SPDX-License-Identifier: Apache-2.0
"""v1.0 / v1.1 faults: the request-body families, and rendering.

Families, as the original service showed them to clients:

* A, domain errors: v1.0 ``{"networkNotFound": {code, message, detail}}`` with codes
  420-440; v1.1 ``{"QuantumError": {type, message, detail}}`` with 404/409/400.
  ``from_error`` takes them from the error registry (``quantum.api.faults``), as any
  other ``QuantumError`` by its family.
* B, invalid body content: v1.0 keyed ``"Bad Request"``; v1.1 type QuantumServiceFault
  (the registry's ``BadRequest`` family, also built here by ``invalid_body``).
* C, undecodable body, and D, missing body: ``{"Error": {code, message}}`` in both.
"""

from __future__ import annotations

from typing import Any

from webob import Response

from quantum.api.faults import GENERIC_400, Dialect, payload, shown
from quantum.api.v1.versions import V1_0, V1_1, ApiVersion
from quantum.api.wire import Format, XmlShape, encode_json
from quantum.core import exceptions as exc

MALFORMED = "Malformed request body"
DIALECTS = {V1_0: Dialect.V1_0, V1_1: Dialect.V1_1}


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
    found = shown(exc.BadRequest, detail, DIALECTS[version])
    return BodyFault(found.status, found.body)


def from_error(error: exc.QuantumError, version: ApiVersion) -> BodyFault:
    """The version's fault for a domain error, as the error registry resolves it."""
    found = payload(error, DIALECTS[version])
    return BodyFault(found.status, found.body)


def internal_error() -> BodyFault:
    """Anything unexpected (logged where it was caught)."""
    found = shown(exc.QuantumError, "", Dialect.V1_0)
    return BodyFault(found.status, found.body)


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
