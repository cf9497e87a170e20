# SPDX-License-Identifier: Apache-2.0
"""The one error registry: how every ``QuantumError`` shows in every fault dialect.

Dialects (``Dialect``): the v1.0 API (codes 420-440), v1.1, v2.0, the Cisco
extensions of the original and the agent API. ``REGISTRY`` holds, per exception
class, what that class looks like in each dialect; ``resolve`` walks the error's MRO
and takes the first class with an entry for the dialect. Each family base
(``NotFound``, ``InUse``, ``Conflict``, ``BadRequest``, ``NotAuthorized``,
``ServiceUnavailable``, and ``QuantumError`` itself for the 500) has an entry in
every dialect, so a new subclass gets its family's fault everywhere with no entry of
its own; a subclass is listed only where a dialect shows it its own way (the v1 wire
literals, the Cisco codes).

This module builds payloads (a status line and a dict); the dialect modules encode
them: ``quantum.api.v1.faults`` (JSON/XML with the version's namespace),
``quantum.api.v2.faults``, ``quantum.extensions._cisco`` and
``quantum.agentapi.server``. Anything not a ``QuantumError`` is the caller's 500.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from quantum.core import exceptions as exc

LOG = logging.getLogger(__name__)

GENERIC_400 = (
    "The server could not comply with the request since it is either malformed "
    "or otherwise incorrect."
)
INTERNAL_V1 = "The server has either erred or is incapable of performing the request."
INTERNAL_V2 = "Request Failed: internal server error while processing your request."


class Dialect(enum.Enum):
    V1_0 = "v1.0"
    V1_1 = "v1.1"
    V2_0 = "v2.0"
    CISCO = "cisco"
    AGENT = "agent"


@dataclass(frozen=True, slots=True, kw_only=True)
class Coded:
    """``{name: {"code": code, "message": message, "detail": <the error's text>}}``:
    the v1.0 form (also v1's 503 and 500, and the Cisco extensions')."""

    code: int
    title: str
    """The status line's reason phrase (v1.0 shows the body key there)."""
    name: str | None = None
    """The body key; None: the error's type, first letter lowered (``networkInUse``)."""
    message: str | None = None
    """None: the error's text is the message (and there is no ``detail``)."""
    detail: bool = True
    """Whether the body carries the error's text as ``detail``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Typed:
    """``{"QuantumError": {"type": type, "message": message, "detail": <text>}}``:
    v1.1's form."""

    status: str
    message: str
    type: str | None = None
    """None: the error's type (``wire_type``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Neutron:
    """v2.0's ``{"NeutronError": {type, message, detail: ""}, "QuantumError": ...}``;
    the message is the error's text unless given."""

    status: str
    type: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Plain:
    """The agent API's ``{"error": message}``; the error's text unless given."""

    status: int
    message: str | None = None


Form = Coded | Typed | Neutron | Plain


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """How one exception class (and its subclasses without an entry of their own)
    shows in each dialect; None: as its base class shows."""

    type: str | None = None
    """The name clients know this very class by (v1.1 and v2.0 ``type``), when it is
    not the class name. Not inherited: a subclass is known by its own name."""
    v1_0: Coded | None = None
    v1_1: Coded | Typed | None = None
    v2_0: Neutron | None = None
    cisco: Coded | None = None
    agent: Plain | None = None

    def form(self, dialect: Dialect) -> Form | None:
        found: Form | None = {
            Dialect.V1_0: self.v1_0,
            Dialect.V1_1: self.v1_1,
            Dialect.V2_0: self.v2_0,
            Dialect.CISCO: self.cisco,
            Dialect.AGENT: self.agent,
        }[dialect]
        return found


def _family(
    status: int,
    title: str,
    message: str,
    *,
    cisco: Coded | None = None,
) -> Entry:
    """A family base: the same standard status in every dialect; v1 bodies with the
    family's message and the error's type and text."""
    line = f"{status} {title}"
    return Entry(
        v1_0=Coded(code=status, title=title, message=message),
        v1_1=Typed(status=line, message=message),
        v2_0=Neutron(status=line),
        cisco=cisco
        or Coded(
            code=status,
            title=title,
            name="quantumServiceFault",
            message=message,
            detail=False,
        ),
        agent=Plain(status=status),
    )


def _v1(code: int, name: str, status: str, message: str, *, type: str) -> Entry:  # noqa: A002
    """One of the six v1 domain faults (spec v1 §10.1): v1.0 ``code name``, v1.1
    ``status`` with ``type``; both with the same literal message."""
    return Entry(
        v1_0=Coded(code=code, title=name, name=name, message=message),
        v1_1=Typed(status=status, type=type, message=message),
    )


def _cisco(code: int, title: str, name: str, message: str) -> Coded:
    return Coded(code=code, title=title, name=name, message=message, detail=False)


REGISTRY: dict[type[exc.QuantumError], Entry] = {
    # -- families: every dialect ------------------------------------------------------
    exc.QuantumError: Entry(
        v1_0=Coded(
            code=500, title="Internal Server Error", name="Error",
            message=INTERNAL_V1, detail=False,
        ),
        v1_1=Coded(
            code=500, title="Internal Server Error", name="Error",
            message=INTERNAL_V1, detail=False,
        ),
        v2_0=Neutron(
            status="500 Internal Server Error", type="HTTPInternalServerError",
            message=INTERNAL_V2,
        ),
        cisco=_cisco(500, "Internal Server Error", "quantumServiceFault", INTERNAL_V1),
        agent=Plain(status=500, message=INTERNAL_V2),
    ),
    exc.NotFound: _family(404, "Not Found", "The resource could not be found."),
    exc.Conflict: _family(
        409, "Conflict", "The request conflicts with the state of the resource."
    ),
    exc.InUse: _family(409, "Conflict", "The resource is in use."),
    exc.BadRequest: Entry(
        v1_0=Coded(
            code=400, title="Bad Request", name="Bad Request", message=GENERIC_400
        ),
        v1_1=Typed(
            status="400 Bad Request", type="QuantumServiceFault", message=GENERIC_400
        ),
        v2_0=Neutron(status="400 Bad Request"),
        cisco=_cisco(400, "Bad Request", "malformedRequest", GENERIC_400),
        agent=Plain(status=400),
    ),
    exc.BodyTooLarge: Entry(
        v1_0=Coded(
            code=413, title="Request Entity Too Large", name="Error", detail=False
        ),
        v1_1=Coded(
            code=413, title="Request Entity Too Large", name="Error", detail=False
        ),
        v2_0=Neutron(status="413 Request Entity Too Large"),
        cisco=_cisco(
            413, "Request Entity Too Large", "quantumServiceFault",
            "The request body is too large.",
        ),
        agent=Plain(status=413),
    ),
    exc.NotAuthorized: _family(403, "Forbidden", "The action is not allowed."),
    exc.ServiceUnavailable: Entry(
        v1_0=Coded(
            code=503, title="Service Unavailable", name="serviceUnavailable",
            detail=False,
        ),
        v1_1=Coded(
            code=503, title="Service Unavailable", name="serviceUnavailable",
            detail=False,
        ),
        v2_0=Neutron(status="503 Service Unavailable"),
        cisco=_cisco(
            503, "Service Unavailable", "quantumServiceFault",
            "The service is temporarily unavailable.",
        ),
        agent=Plain(status=503),
    ),
    # -- v1 domain faults (v1 spec §10.1), also shown by the Cisco extensions --------
    exc.NetworkNotFound: Entry(
        v1_0=Coded(
            code=420, title="networkNotFound", name="networkNotFound",
            message="Unable to find a network with the specified identifier.",
        ),
        v1_1=Typed(
            status="404 Not Found", type="NetworkNotFound",
            message="Unable to find a network with the specified identifier.",
        ),
        cisco=_cisco(
            420, "Network not Found", "quantumServiceFault",
            "Unable to find a network with the specified identifier.",
        ),
    ),
    exc.NetworkInUse: _v1(
        421, "networkInUse", "409 Conflict",
        "Unable to remove the network: attachments still plugged.",
        type="NetworkInUse",
    ),
    exc.PortNotFound: Entry(
        v1_0=Coded(
            code=430, title="portNotFound", name="portNotFound",
            message="Unable to find a port with the specified identifier.",
        ),
        v1_1=Typed(
            status="404 Not Found", type="PortNotFound",
            message="Unable to find a port with the specified identifier.",
        ),
        cisco=_cisco(
            430, "Port not Found", "quantumServiceFault",
            "Unable to find a port with the specified identifier.",
        ),
    ),
    exc.StateInvalid: Entry(
        v1_0=Coded(
            code=431, title="requestedStateInvalid", name="requestedStateInvalid",
            message="Unable to update port state with specified value.",
        ),
        v1_1=Typed(
            status="400 Bad Request", type="RequestedStateInvalid",
            message="Unable to update port state with specified value.",
        ),
        cisco=_cisco(
            431, "Requested State Invalid", "quantumServiceFault",
            "Unable to update port state with specified value.",
        ),
    ),
    exc.PortInUse: _v1(
        432, "portInUse", "409 Conflict",
        "A resource is currently attached to the logical port",
        type="PortInUse",
    ),
    exc.AlreadyAttached: _v1(
        440, "alreadyAttached", "409 Conflict",
        "The resource is already attached to another port",
        type="AlreadyAttached",
    ),
    # -- v2 names that differ from the class ---------------------------------------
    exc.NetworkHasPorts: Entry(type="NetworkInUse"),
    exc.RouterInUseByFloatingIP: Entry(type="RouterInUse"),
    exc.FloatingIPAssociatedConcurrently: Entry(
        type="FloatingIPPortAlreadyAssociated"
    ),
    exc.PortDeviceInUse: Entry(type="PortInUse"),
    exc.DependencyUnavailable: Entry(type="ServiceUnavailable"),
    exc.NetworkNotOwned: Entry(type="NotAuthorized"),
    exc.ResourceNotFound: Entry(type="NotFound"),
    exc.RevisionNumberConstraintFailed: Entry(
        v2_0=Neutron(status="412 Precondition Failed")
    ),
    # -- the Cisco extensions (v1 spec §15.2) ---------------------------------------
    exc.QosNotFound: Entry(
        cisco=_cisco(
            452, "QoS Not Found", "QoSNotFound",
            "Unable to find a QoS with the specified identifier.",
        ),
    ),
    exc.PortProfileNotFound: Entry(
        cisco=_cisco(
            450, "Portprofile Not Found", "PortprofileNotFound",
            "Unable to find a Portprofile with the specified identifier.",
        ),
    ),
    exc.PortProfileInUse: Entry(
        cisco=_cisco(
            421, "Portprofile In Use", "PortprofileInUse",
            "Unable to complete operation on the Portprofile: ports are associated "
            "with it.",
        ),
    ),
    exc.CredentialNotFound: Entry(
        cisco=_cisco(
            451, "Credential Not Found", "CredentialNotFound",
            "Unable to find a Credential with the specified identifier.",
        ),
    ),
    exc.InstancePortNotFound: Entry(
        cisco=_cisco(
            453, "Nova tenant Not Found", "NovatenantNotFound",
            "Unable to find a Novatenant with the specified identifier.",
        ),
    ),
}  # fmt: skip
"""Entries by exception class; see the module docstring for how they are found."""

FAMILIES: tuple[type[exc.QuantumError], ...] = (
    exc.NotFound,
    exc.InUse,
    exc.Conflict,
    exc.BadRequest,
    exc.BodyTooLarge,
    exc.NotAuthorized,
    exc.ServiceUnavailable,
    exc.QuantumError,
)
"""The classes with an entry in every dialect (a test holds the registry to it)."""


def wire_type(kind: type[exc.QuantumError]) -> str:
    """The name clients know an error class by: its entry's ``type``, else its own
    class name."""
    entry = REGISTRY.get(kind)
    return entry.type if entry is not None and entry.type else kind.__name__


def resolve(kind: type[exc.QuantumError], dialect: Dialect) -> tuple[type, Form]:
    """The first class in ``kind``'s MRO with a form for ``dialect``, and that form."""
    for cls in kind.__mro__:
        entry = REGISTRY.get(cls)
        form = entry.form(dialect) if entry is not None else None
        if form is not None:
            return cls, form
    raise LookupError(dialect)  # NOTE: unreachable, QuantumError has every dialect


@dataclass(frozen=True, slots=True)
class Payload:
    """A fault before encoding: the status line and the body as a dict."""

    status: str
    body: dict[str, Any]


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


def payload(error: exc.QuantumError, dialect: Dialect) -> Payload:
    """The fault ``error`` answers in ``dialect``. An error only the root entry
    knows is logged with its traceback (the client sees the generic 500)."""
    return shown(type(error), error.detail, dialect, error=error)


def shown(
    kind: type[exc.QuantumError],
    detail: str,
    dialect: Dialect,
    *,
    error: BaseException | None = None,
) -> Payload:
    """The fault of an error of class ``kind`` whose text is ``detail``."""
    owner, form = resolve(kind, dialect)
    if owner is exc.QuantumError and error is not None:
        LOG.error("no fault for %s: an internal error", kind.__name__, exc_info=error)
    name = wire_type(kind)
    if isinstance(form, Coded):
        fields: dict[str, Any] = {"code": form.code}
        fields["message"] = detail if form.message is None else form.message
        if form.detail and form.message is not None:
            fields["detail"] = detail
        key = form.name or _lower_first(name)
        return Payload(f"{form.code} {form.title}", {key: fields})
    if isinstance(form, Typed):
        body = {"type": form.type or name, "message": form.message, "detail": detail}
        return Payload(form.status, {"QuantumError": body})
    if isinstance(form, Neutron):
        message = detail if form.message is None else form.message
        return Payload(form.status, neutron_body(form.type or name, message))
    message = detail if form.message is None else form.message
    status = f"{form.status} {HTTPStatus(form.status).phrase}"
    return Payload(status, {"error": message})


GRIZZLY_CLASSES = frozenset(
    {
        "NetworkNotFound",
        "NetworkInUse",
        "PortNotFound",
        "RequestedStateInvalid",
        "PortInUse",
        "AlreadyAttached",
    }
)
"""The error types python-quantumclient 2.x maps to its own exception classes."""


def neutron_body(kind: str, message: str) -> dict[str, Any]:
    """The v2.0 error body (``quantum.api.v2.faults`` says why it has two keys)."""
    error = {"type": kind, "message": message, "detail": ""}
    grizzly = dict(error) if kind in GRIZZLY_CLASSES else message
    return {"NeutronError": error, "QuantumError": grizzly}
