# SPDX-License-Identifier: Apache-2.0
"""Who is asking, as the v2 API needs it: the request context of the authentication
filter (``quantum.api.context``, for policy) and the store's ``Scope`` (tenant,
admin) derived from it.

One v2 rule on top of the filter's context (spec §1.2): under ``auth_strategy =
noauth`` a request that names neither a project nor a role is an administrator
without a tenant, as the original's noauth context was. (noauth trusts ``X-Roles``
anyway, so this grants nothing a client could not claim; under keystone every
request has a validated token.)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from quantum.api.context import ANONYMOUS, RequestContext, from_environ
from quantum.core import text
from quantum.core.scope import Scope


@dataclass(frozen=True, slots=True)
class Caller:
    context: RequestContext
    """What policy rules see."""
    scope: Scope
    """What the store scopes by."""


def caller_of(environ: Mapping[str, Any]) -> Caller:
    """Raises InvalidInput (400) for a tenant id the store could not keep."""
    context = from_environ(environ)
    if context.project_id is not None:
        text.tenant_id(context.project_id)
    if (
        context is not ANONYMOUS
        and not context.authenticated
        and context.project_id is None
        and not context.roles
    ):
        context = replace(context, roles=frozenset({"admin"}), is_admin=True)
    return Caller(
        context, Scope(tenant_id=context.project_id, is_admin=context.is_admin)
    )
