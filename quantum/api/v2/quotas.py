# SPDX-License-Identifier: Apache-2.0
"""``/v2.0/quotas``: per-tenant limits (spec §5.6). Admins list, show, update and
reset them; a tenant may read its own, its defaults (``/<tenant>/default``) and
its usage (``/<tenant>/details``: used, limit, reserved), as the openstack CLI asks.
Enforcement is the store's (on create)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from webob import Request, Response

from quantum.api.policy import Policy
from quantum.api.v2 import faults
from quantum.api.v2.attributes import to_bool, to_int
from quantum.api.v2.context import Caller
from quantum.api.wire import encode_json
from quantum.core import exceptions as exc
from quantum.core import text
from quantum.core.quotas import QuotaResource
from quantum.plugins.interface import CorePluginV2

ReadBody = Callable[[Request], Any]


def _json(status: str, payload: Any) -> Response:
    response = Response(status=status, body=encode_json(payload))
    response.headers["Content-Type"] = "application/json"
    return response


def _wire(limits: dict[QuotaResource, int]) -> dict[str, int]:
    return {r.value: limits[r] for r in QuotaResource if r in limits}


def _authorize(policy: Policy, caller: Caller, action: str, tenant: str) -> None:
    if not policy.allows(
        caller.context, action, {"project_id": tenant, "tenant_id": tenant}
    ):
        raise exc.PolicyNotAuthorized(action=action)


def _details(
    limits: dict[QuotaResource, int], used: dict[QuotaResource, int]
) -> dict[str, dict[str, int]]:
    # NOTE: nothing is ever reserved: a create counts and writes in one transaction.
    return {
        r.value: {"used": used.get(r, 0), "limit": limits[r], "reserved": 0}
        for r in QuotaResource
        if r in limits
    }


def _limits(body: Any) -> tuple[dict[QuotaResource, int], bool]:
    """The limits of an update, and whether to check them against usage.

    ``check_limit`` (what the openstack CLI sends by default) refuses a limit below
    usage; ``force`` (``--force``) is the default here: set it whatever is in use.
    """
    if not isinstance(body, dict) or set(body) != {"quota"}:
        raise exc.InvalidInput(reason="the body must be {'quota': {...}}")
    raw = body["quota"]
    if not isinstance(raw, dict):
        raise exc.InvalidInput(reason="quota must be a JSON object")
    raw = dict(raw)
    check_limit = to_bool("check_limit", raw.pop("check_limit", False))
    if to_bool("force", raw.pop("force", False)) and check_limit:
        raise exc.InvalidInput(reason="check_limit and force exclude each other")
    limits = {}
    for key, value in raw.items():
        try:
            resource = QuotaResource(key)
        except ValueError:
            raise exc.InvalidInput(
                reason=f"Unrecognized quota resource '{key}'"
            ) from None
        limit = to_int(key, value)
        if not -1 <= limit <= 2**31 - 1:
            raise exc.InvalidInput(reason=f"quota {key} must be -1 (unlimited) or more")
        limits[resource] = limit
    return limits, check_limit


def _read(plugin: CorePluginV2, tenant: str, what: str) -> dict[str, Any]:
    if what == "default":
        return _wire(plugin.quota_defaults())
    return _details(plugin.quota_limits(tenant), plugin.quota_usage(tenant))


def handle(
    plugin: CorePluginV2,
    request: Request,
    method: str,
    rest: Sequence[str],
    caller: Caller,
    policy: Policy,
    read_body: ReadBody,
) -> Response:
    scope = caller.scope
    if not rest:
        if method == "GET":
            _authorize(policy, caller, "get_quotas", "")
            return _json(
                "200 OK",
                {
                    "quotas": [
                        {"tenant_id": tenant, "project_id": tenant, **_wire(limits)}
                        for tenant, limits in plugin.quota_overrides().items()
                    ]
                },
            )
        if method == "POST":
            return faults.error_response(
                "501 Not Implemented", "HTTPNotImplemented", "Not implemented"
            )
        return faults.method_not_allowed("GET")
    if len(rest) == 2 and rest[0] and rest[1] in ("default", "details"):
        if method != "GET":
            return faults.method_not_allowed("GET")
        text.tenant_id(rest[0])
        _authorize(policy, caller, "get_quota", rest[0])
        return _json("200 OK", {"quota": _read(plugin, rest[0], rest[1])})
    if len(rest) != 1 or not rest[0]:
        return faults.not_found()
    tenant = rest[0]
    if tenant == "tenant" and method == "GET":
        if scope.tenant_id is None:
            raise exc.InvalidInput(reason="the request names no tenant")
        return _json("200 OK", {"tenant": {"tenant_id": scope.tenant_id}})
    text.tenant_id(tenant)
    if method == "GET":
        _authorize(policy, caller, "get_quota", tenant)
        return _json("200 OK", {"quota": _wire(plugin.quota_limits(tenant))})
    if method == "PUT":
        _authorize(policy, caller, "update_quota", tenant)
        limits, check_limit = _limits(read_body(request))
        updated = plugin.update_quota(tenant, limits, check_limit=check_limit)
        return _json("200 OK", {"quota": _wire(updated)})
    if method == "DELETE":
        _authorize(policy, caller, "delete_quota", tenant)
        plugin.reset_quota(tenant)
        return Response(status="204 No Content")
    return faults.method_not_allowed("GET, PUT, DELETE")
