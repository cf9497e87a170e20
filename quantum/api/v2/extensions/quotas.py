# SPDX-License-Identifier: Apache-2.0
"""``quotas`` (spec §5.6): per-tenant limits, ``/v2.0/quotas``, a resource like the
others whose ids are tenant ids.

Admins list (``get_quotas``), show, update and reset (``DELETE``) them; a tenant may
read its own, its defaults (``GET /quotas/<tenant>/default``) and its usage
(``/<tenant>/details``: used, limit, reserved), as the openstack CLI asks, and
``GET /quotas/tenant`` says who it is. A refusal is 403 (a tenant's limits are no
secret to hide). Enforcement is the store's, on create.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import (
    OMIT,
    Action,
    Extension,
    Field,
    Resource,
    to_bool,
    to_int,
)
from quantum.core import exceptions as exc
from quantum.core import text
from quantum.core.listing import ListQuery
from quantum.core.quotas import QuotaResource
from quantum.core.scope import Scope

LIMIT_MAX = 2**31 - 1


@dataclass(frozen=True, slots=True)
class QuotaSet:
    """A tenant's limits (every ``QuotaResource`` the store limits)."""

    tenant_id: str
    limits: Mapping[QuotaResource, int]


@dataclass(frozen=True, slots=True)
class QuotaChange:
    limits: Mapping[QuotaResource, int]
    check_limit: bool


def to_limit(name: str, value: Any) -> int:
    limit = to_int(name, value)
    if not -1 <= limit <= LIMIT_MAX:
        raise exc.InvalidInput(reason=f"quota {name} must be -1 (unlimited) or more")
    return limit


def quota_change(check_limit: bool = False, force: bool = False, **limits: int) -> Any:
    """The update of a body: its limits, and whether to check them against usage.

    ``check_limit`` (what the openstack CLI sends by default) refuses a limit below
    usage; ``force`` (``--force``) is the default here: set it whatever is in use.
    """
    if force and check_limit:
        raise exc.InvalidInput(reason="check_limit and force exclude each other")
    return QuotaChange(
        limits={QuotaResource(k): v for k, v in limits.items()},
        check_limit=check_limit,
    )


def _wire(limits: Mapping[QuotaResource, int]) -> dict[str, int]:
    return {r.value: limits[r] for r in QuotaResource if r in limits}


class QuotaService:
    """The plugin's quotas service (``plugin.quotas``) in the uniform service shape
    (and the actions)."""

    def __init__(self, plugin: Any) -> None:
        self.quotas = plugin.quotas

    def list(self, scope: Scope, query: ListQuery) -> Sequence[QuotaSet]:
        overrides = self.quotas.overrides()
        return [QuotaSet(tenant, limits) for tenant, limits in overrides.items()]

    def get(self, scope: Scope, tenant_id: str) -> QuotaSet:
        return QuotaSet(tenant_id, self.quotas.limits(tenant_id))

    def create(self, scope: Scope, items: Sequence[Any]) -> Sequence[QuotaSet]:
        raise exc.InvalidInput(reason="quotas are set with PUT")  # pragma: no cover

    def update(
        self, scope: Scope, tenant_id: str, changes: QuotaChange, authorize: Any
    ) -> QuotaSet:
        authorize(self.get(scope, tenant_id))
        updated = self.quotas.update(
            tenant_id, changes.limits, check_limit=changes.check_limit
        )
        return QuotaSet(tenant_id, updated)

    def delete(self, scope: Scope, tenant_id: str) -> None:
        self.quotas.reset(tenant_id)

    def default(self, scope: Scope, tenant_id: str, body: Any) -> dict[str, Any]:
        return {"quota": _wire(self.quotas.defaults())}

    def details(self, scope: Scope, tenant_id: str, body: Any) -> dict[str, Any]:
        limits = self.quotas.limits(tenant_id)
        used = self.quotas.usage(tenant_id)
        # NOTE: nothing is ever reserved: a create counts and writes in one
        # transaction.
        return {
            "quota": {
                r.value: {"used": used.get(r, 0), "limit": limits[r], "reserved": 0}
                for r in QuotaResource
                if r in limits
            }
        }

    def tenant(self, scope: Scope, tenant_id: str | None, body: Any) -> dict[str, Any]:
        if scope.tenant_id is None:
            raise exc.InvalidInput(reason="the request names no tenant")
        return {"tenant": {"tenant_id": scope.tenant_id}}


def _limit_of(resource: QuotaResource) -> Any:
    """A resource's limit, not shown where no plugin limits it (a service
    plugin's, ``router``, when it is not loaded)."""
    return lambda quota, plugin: quota.limits.get(resource, OMIT)


def _quota_of(limit: Mapping[str, Any]) -> dict[str, Any]:
    """The schema of ``{"quota": {<resource>: limit, ...}}``, for the document."""
    limits = {r.value: dict(limit) for r in QuotaResource}
    return {
        "type": "object",
        "required": ["quota"],
        "additionalProperties": False,
        "properties": {
            "quota": {
                "type": "object",
                "additionalProperties": False,
                "properties": limits,
            }
        },
    }


LIMIT = {"type": "integer", "minimum": -1}
DETAIL = {
    "type": "object",
    "required": ["used", "limit", "reserved"],
    "additionalProperties": False,
    "properties": {k: {"type": "integer"} for k in ("used", "limit", "reserved")},
}
TENANT = {
    "type": "object",
    "required": ["tenant"],
    "additionalProperties": False,
    "properties": {
        "tenant": {
            "type": "object",
            "required": ["tenant_id"],
            "additionalProperties": False,
            "properties": {"tenant_id": {"type": "string"}},
        }
    },
}

QUOTA = Resource(
    name="quota",
    collection="quotas",
    fields=(
        Field(
            name="tenant_id",
            on_create=False,
            in_member=False,
            schema={"type": "string"},
        ),
        Field(
            name="project_id",
            attr="tenant_id",
            on_create=False,
            in_member=False,
            schema={"type": "string"},
        ),
        *(
            Field(
                name=r.value,
                convert=to_limit,
                attr=r.value,
                render=_limit_of(r),
                omittable=True,
                on_create=False,
                on_update=True,
                schema={**LIMIT, "maximum": LIMIT_MAX},
                shown=LIMIT,
            )
            for r in QuotaResource
        ),
        Field(
            name="check_limit",
            convert=to_bool,
            on_create=False,
            on_update=True,
            visible=False,
            schema={
                "type": "boolean",
                "description": "Refuse a limit below what is in use (409).",
            },
        ),
        Field(
            name="force",
            convert=to_bool,
            on_create=False,
            on_update=True,
            visible=False,
            schema={
                "type": "boolean",
                "description": "Set it whatever is in use (the default); not with "
                "check_limit.",
            },
        ),
    ),
    update_type=quota_change,
    backend=QuotaService,
    not_found=lambda i: exc.ResourceNotFound(resource="quota", resource_id=i),
    actions=(
        Action(
            name="default",
            method="GET",
            rule=None,
            doc="The limits a tenant without its own has.",
            answer=_quota_of(LIMIT),
        ),
        Action(
            name="details",
            method="GET",
            rule=None,
            doc="The tenant's limits with what it uses (nothing is ever reserved).",
            answer=_quota_of(DETAIL),
        ),
        Action(
            name="tenant",
            method="GET",
            rule=None,
            collection=True,
            doc="Who the caller is: its tenant id.",
            answer=TENANT,
        ),
    ),
    id_pattern="[^/]+",
    id_check=text.tenant_id,
    id_schema={
        "type": "string",
        "minLength": 1,
        "maxLength": text.TENANT_MAX,
        "description": "A tenant id.",
    },
    hide_denied=False,
    listed=False,
    paged=False,
    creatable=False,
    list_rule="get_quotas",
    rules={"update": "rule:admin_only", "delete": "rule:admin_only"},
    unknown="Unrecognized quota resource '{}'",
)

EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="quotas",
        name="Quota management support",
        description="Expose functions for quotas management per tenant",
        namespace="http://docs.openstack.org/ext/quotas/api/v2.0",
        updated="2013-02-03T10:00:00-00:00",
    ),
    resources=(QUOTA,),
)
