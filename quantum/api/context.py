# SPDX-License-Identifier: Apache-2.0
"""Who is asking: the request context every API version reads.

An authentication filter (``noauth`` or ``keystone``, chosen by ``auth_strategy``)
builds one ``RequestContext`` per request and stores it in the WSGI environ under
``ENVIRON_KEY``; everything after it in the pipeline (the rate limiter, the API
routers, policy checks) reads it with ``from_environ`` and never looks at identity
headers itself. ``docs/architecture.md`` states this contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ENVIRON_KEY = "quantum.context"


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestContext:
    """The caller of one request, as the authentication filter established it.

    ``project_id`` is the tenant the caller acts for (``tenant_id`` is its v1 name);
    None means the caller has no tenant (an anonymous request, or noauth v2.0 without
    an ``X-Project-Id`` header). ``is_admin`` is decided once, by the policy rule
    ``context_is_admin``, when the context is built. ``authenticated`` says whether a
    token was validated (always False under ``noauth``).
    """

    user_id: str | None = None
    project_id: str | None = None
    roles: frozenset[str] = field(default_factory=frozenset)
    is_admin: bool = False
    authenticated: bool = False
    request_id: str | None = None

    @property
    def tenant_id(self) -> str | None:
        return self.project_id

    @property
    def policy_key(self) -> tuple[Any, ...]:
        """What ``credentials`` are made of, as a key for remembered decisions."""
        return (self.user_id, self.project_id, self.roles, self.is_admin)

    def credentials(self) -> dict[str, Any]:
        """What policy rules see as the caller (``role:``, ``project_id:`` checks)."""
        found: dict[str, Any] = {"roles": sorted(self.roles), "is_admin": self.is_admin}
        # NOTE: absent, not None, so that no "project_id:%(project_id)s" rule matches.
        if self.user_id is not None:
            found["user_id"] = self.user_id
        if self.project_id is not None:
            found["project_id"] = found["tenant_id"] = self.project_id
        return found


ANONYMOUS = RequestContext()


def from_environ(environ: Mapping[str, Any]) -> RequestContext:
    """The request's context; ``ANONYMOUS`` when no authentication filter ran."""
    context = environ.get(ENVIRON_KEY)
    return context if isinstance(context, RequestContext) else ANONYMOUS


def roles_from_header(value: str | None) -> frozenset[str]:
    """``X-Roles: member, reader`` as a set; names compare case-insensitively."""
    if not value:
        return frozenset()
    return frozenset(r.strip().lower() for r in value.split(",") if r.strip())
