# SPDX-License-Identifier: Apache-2.0
"""``lbaas`` (spec §5.10): load balancing v1 under ``/v2.0/lb``: ``vips``,
``pools`` (with ``GET /lb/pools/<id>/stats`` and the monitor associations
``POST /lb/pools/<id>/health_monitors``, ``DELETE .../health_monitors/<id>``),
``members`` and ``health_monitors``. Served by the LBaaS service plugin
(``service_plugins = lbaas``, ``quantum.plugins.lbaas``).

Where the original answered 500 (session persistence, ``lb_method``) or ignored
the request (a pool's ``health_monitors`` on write), this one answers 400 or
does it (spec §7, quirks 7 and 9); a second VIP for a pool is 409 (VipExists).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from typing import Any

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import (
    INT32_MAX,
    OMIT,
    Extension,
    Field,
    Resource,
    Subpath,
    SubRequest,
    string,
    to_bool,
    to_int,
    to_tenant,
    to_uuid,
    wire,
)
from quantum.core import exceptions as exc
from quantum.core.lbaas import (
    HTTP_MONITORS,
    HealthMonitorCreate,
    HealthMonitorUpdate,
    LbMethod,
    LbStatus,
    MemberCreate,
    MemberUpdate,
    MonitorType,
    PersistenceType,
    PoolCreate,
    PoolUpdate,
    Protocol,
    SessionPersistence,
    VipCreate,
    VipUpdate,
    stats_wire,
)
from quantum.core.subnets import IPAddress
from quantum.core.text import DESCRIPTION_MAX
from quantum.ipam import allocate

Convert = Callable[[str, Any], Any]

STATUS = {"type": "string", "enum": [s.value for s in LbStatus]}
UUID = {"type": "string", "format": "uuid"}
UUID_OR_NULL = {"type": "string", "format": "uuid", "nullable": True}
UUIDS = {"type": "array", "items": UUID}


def choice(kind: type[enum.StrEnum]) -> Convert:
    """Converter: one of the enum's values, as the enum (InvalidInput otherwise)."""
    values = tuple(m.value for m in kind)

    def convert(name: str, value: Any) -> Any:
        if not isinstance(value, str) or value not in values:
            raise exc.InvalidInput(
                reason=f"'{value}' is not one of {', '.join(values)} for {name}"
            )
        return kind(value)

    return convert


def _enum_schema(kind: type[enum.StrEnum]) -> dict[str, Any]:
    return {"type": "string", "enum": [m.value for m in kind]}


def int_range(low: int, high: int = INT32_MAX) -> Convert:
    """Converter: an integer in [low, high] (by default up to what an INTEGER
    column holds on every back-end)."""

    def convert(name: str, value: Any) -> int:
        number = to_int(name, value)
        if not low <= number <= high:
            raise exc.InvalidInput(
                reason=f"'{value}' is not from {low} to {high} for {name}"
            )
        return number

    return convert


def _int_schema(low: int, high: int = INT32_MAX) -> dict[str, Any]:
    return {"type": "integer", "minimum": low, "maximum": high}


def to_address(name: str, value: Any) -> IPAddress:
    return allocate.parse_address(value, name)


def to_address_or_none(name: str, value: Any) -> IPAddress | None:
    return None if value is None else allocate.parse_address(value, name)


def to_persistence(name: str, value: Any) -> SessionPersistence | None:
    """``session_persistence``: ``null`` or ``{}`` is none; else ``type`` one of
    APP_COOKIE, HTTP_COOKIE, SOURCE_IP, and ``cookie_name`` (a string) given for
    APP_COOKIE and only for it. Every refusal is InvalidInput (400; the original
    answered 500 to the cookie checks, spec §7 quirk 7)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise exc.InvalidInput(reason=f"'{value}' is not a dictionary for {name}")
    if not value:
        return None
    unknown = set(value) - {"type", "cookie_name"}
    if unknown:
        raise exc.InvalidInput(
            reason=f"Unrecognized key(s) {', '.join(sorted(unknown))} in {name}"
        )
    if "type" not in value:
        raise exc.InvalidInput(reason=f"{name} needs a type")
    kind = choice(PersistenceType)(f"{name} type", value["type"])
    cookie = value.get("cookie_name")
    if kind is PersistenceType.APP_COOKIE:
        if cookie is None:
            raise exc.InvalidInput(
                reason=f"{name} of type APP_COOKIE needs a cookie_name"
            )
        cookie = string(1024)(f"{name} cookie_name", cookie)
        if not cookie:
            raise exc.InvalidInput(reason=f"{name} cookie_name may not be empty")
    elif "cookie_name" in value:
        raise exc.InvalidInput(
            reason=f"{name} of type {kind.value} takes no cookie_name"
        )
    return SessionPersistence(type=kind, cookie_name=cookie)


def show_persistence(vip: Any, plugin: Any) -> Any:
    """Left out when unset; APP_COOKIE shows its ``cookie_name``."""
    found = vip.session_persistence
    if found is None:
        return OMIT
    shown: dict[str, Any] = {"type": found.type.value}
    if found.type is PersistenceType.APP_COOKIE:
        shown["cookie_name"] = found.cookie_name
    return shown


PERSISTENCE = {
    "type": "object",
    "nullable": True,
    "additionalProperties": False,
    "properties": {
        "type": _enum_schema(PersistenceType),
        "cookie_name": {"type": "string"},
    },
}


def to_uuids(name: str, value: Any) -> tuple[str, ...]:
    """A list of UUIDs without duplicates (``null``: none; one UUID: a list of
    it, as the original's to-list converter)."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    found = tuple(to_uuid(name, v) for v in items)
    if len(set(found)) != len(found):
        raise exc.InvalidInput(reason=f"Duplicate items in the list for {name}")
    return found


EXPECTED_CODES = re.compile(r"\d{3}(\s*,\s*\d{3})*|\d{3}-\d{3}")


def to_expected_codes(name: str, value: Any) -> str:
    """``NNN``, ``NNN,NNN`` (spaces allowed around commas) or ``NNN-NNN``."""
    text: str = string(64)(name, value)
    if EXPECTED_CODES.fullmatch(text) is None:
        raise exc.InvalidInput(
            reason=f"'{text}' is not a list of HTTP codes (NNN,NNN) or a range "
            f"(NNN-NNN) for {name}"
        )
    return text


def _http_only(attr: str) -> Callable[[Any, Any], Any]:
    """Shown for an HTTP or HTTPS monitor only."""

    def render(monitor: Any, plugin: Any) -> Any:
        if monitor.type in HTTP_MONITORS:
            return getattr(monitor, attr)
        return OMIT

    return render


def _text(item: Any, plugin: Any, attr: str) -> str:
    return str(getattr(item, attr))


def _common(*, named: bool = True) -> tuple[Field, ...]:
    fields = [
        Field(name="id", convert=to_uuid, on_create=False),
        Field(name="tenant_id", convert=to_tenant),
    ]
    if named:
        fields += [
            Field(name="name", convert=string(), default="", on_update=True),
            Field(
                name="description",
                convert=string(DESCRIPTION_MAX),
                default="",
                on_update=True,
            ),
        ]
    return tuple(fields)


def _state() -> tuple[Field, ...]:
    return (
        Field(name="admin_state_up", convert=to_bool, default=True, on_update=True),
        Field(name="status", on_create=False, schema=STATUS),
    )


def serve_stats(request: SubRequest) -> tuple[str, Any]:
    """``GET /lb/pools/<id>/stats``."""
    stats = request.services["pools"].stats(request.scope, request.item_id)
    return "200 OK", {"stats": dict(stats_wire(stats))}


def serve_monitors(request: SubRequest) -> tuple[str, Any]:
    """``POST /lb/pools/<id>/health_monitors`` with ``{"health_monitor": {"id":
    <monitor id>}}`` associates (201); ``DELETE .../health_monitors/<monitor id>``
    disassociates (204)."""
    pools = request.services["pools"]
    if request.key is not None:  # NOTE: Subpath.key_methods: DELETE only
        pools.disassociate(request.scope, request.item_id, request.key)
        return "204 No Content", None
    body = request.body
    inner = body.get("health_monitor") if isinstance(body, dict) else None
    if not isinstance(body, dict) or set(body) != {"health_monitor"}:
        raise exc.InvalidInput(
            reason="the body must be {'health_monitor': {'id': ...}}"
        )
    if not isinstance(inner, dict) or set(inner) != {"id"}:
        raise exc.InvalidInput(reason="health_monitor must be {'id': <monitor id>}")
    monitor_id = to_uuid("id", inner["id"])
    pools.associate(request.scope, request.item_id, monitor_id)
    return "201 Created", {"health_monitor": wire({"id": monitor_id})}


POOL_SUBPATHS = (
    Subpath(
        name="stats",
        serve=serve_stats,
        methods=("GET",),
        key_methods=(),
        doc="The pool's traffic as its agent last reported it (zeros until one "
        "does): bytes_in, bytes_out, active_connections, total_connections.",
    ),
    Subpath(
        name="health_monitors",
        serve=serve_monitors,
        methods=("POST",),
        key_methods=("DELETE",),
        doc="POST {'health_monitor': {'id': <monitor id>}} associates a health "
        "monitor of the pool's tenant with the pool (201); DELETE "
        ".../health_monitors/<monitor id> disassociates it (204).",
    ),
)

VIP = Resource(
    name="vip",
    collection="vips",
    path="lb/vips",
    create_type=VipCreate,
    update_type=VipUpdate,
    not_found=lambda i: exc.VipNotFound(vip_id=i),
    fields=(
        *_common(),
        Field(name="subnet_id", convert=to_uuid, required=True),
        Field(
            name="address",
            convert=to_address_or_none,
            render=lambda vip, plugin: _text(vip, plugin, "address"),
            schema={"type": "string", "nullable": True},
            shown={"type": "string"},
        ),
        Field(name="port_id", on_create=False, schema=UUID),
        Field(
            name="protocol_port",
            convert=int_range(0, 65535),
            query_convert=to_int,
            required=True,
            schema=_int_schema(0, 65535),
        ),
        Field(
            name="protocol",
            convert=choice(Protocol),
            required=True,
            schema=_enum_schema(Protocol),
        ),
        Field(name="pool_id", convert=to_uuid, required=True, on_update=True),
        Field(
            name="session_persistence",
            convert=to_persistence,
            on_update=True,
            render=show_persistence,
            omittable=True,
            filterable=False,
            sortable=False,
            schema=PERSISTENCE,
        ),
        Field(
            name="connection_limit",
            convert=int_range(-1),
            query_convert=to_int,
            default=-1,
            on_update=True,
            schema=_int_schema(-1),
        ),
        *_state(),
    ),
)

POOL = Resource(
    name="pool",
    collection="pools",
    path="lb/pools",
    create_type=PoolCreate,
    update_type=PoolUpdate,
    not_found=lambda i: exc.PoolNotFound(pool_id=i),
    subpaths=POOL_SUBPATHS,
    fields=(
        *_common(),
        Field(name="subnet_id", convert=to_uuid, required=True),
        Field(
            name="protocol",
            convert=choice(Protocol),
            required=True,
            schema=_enum_schema(Protocol),
        ),
        Field(
            name="lb_method",
            convert=choice(LbMethod),
            required=True,
            on_update=True,
            schema=_enum_schema(LbMethod),
        ),
        Field(
            name="vip_id",
            on_create=False,
            filterable=False,
            sortable=False,
            schema=UUID_OR_NULL,
        ),
        Field(
            name="members",
            on_create=False,
            filterable=False,
            sortable=False,
            schema=UUIDS,
        ),
        Field(
            name="health_monitors",
            convert=to_uuids,
            default=(),
            on_update=True,
            filterable=False,
            sortable=False,
            schema=UUIDS,
        ),
        *_state(),
    ),
)

MEMBER = Resource(
    name="member",
    collection="members",
    path="lb/members",
    create_type=MemberCreate,
    update_type=MemberUpdate,
    not_found=lambda i: exc.MemberNotFound(member_id=i),
    fields=(
        *_common(named=False),
        Field(name="pool_id", convert=to_uuid, required=True, on_update=True),
        Field(
            name="address",
            convert=to_address,
            required=True,
            render=lambda member, plugin: _text(member, plugin, "address"),
            schema={"type": "string"},
        ),
        Field(
            name="protocol_port",
            convert=int_range(0, 65535),
            query_convert=to_int,
            required=True,
            schema=_int_schema(0, 65535),
        ),
        Field(
            name="weight",
            convert=int_range(0, 256),
            query_convert=to_int,
            default=1,
            on_update=True,
            schema=_int_schema(0, 256),
        ),
        *_state(),
    ),
)

HEALTH_MONITOR = Resource(
    name="health_monitor",
    collection="health_monitors",
    path="lb/health_monitors",
    create_type=HealthMonitorCreate,
    update_type=HealthMonitorUpdate,
    not_found=lambda i: exc.HealthMonitorNotFound(monitor_id=i),
    fields=(
        *_common(named=False),
        Field(
            name="type",
            convert=choice(MonitorType),
            required=True,
            schema=_enum_schema(MonitorType),
        ),
        Field(
            name="delay",
            convert=int_range(0),
            query_convert=to_int,
            required=True,
            on_update=True,
            schema=_int_schema(0),
        ),
        Field(
            name="timeout",
            convert=int_range(0),
            query_convert=to_int,
            required=True,
            on_update=True,
            schema=_int_schema(0),
        ),
        Field(
            name="max_retries",
            convert=int_range(1, 10),
            query_convert=to_int,
            required=True,
            on_update=True,
            schema=_int_schema(1, 10),
        ),
        Field(
            name="http_method",
            convert=string(16),
            default="GET",
            on_update=True,
            render=_http_only("http_method"),
            omittable=True,
        ),
        Field(
            name="url_path",
            convert=string(),
            default="/",
            on_update=True,
            render=_http_only("url_path"),
            omittable=True,
        ),
        Field(
            name="expected_codes",
            convert=to_expected_codes,
            default="200",
            on_update=True,
            render=_http_only("expected_codes"),
            omittable=True,
            schema={"type": "string", "pattern": EXPECTED_CODES.pattern},
        ),
        *_state(),
    ),
)


EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="lbaas",
        name="LoadBalancing service",
        description="Extension for LoadBalancing service",
        namespace="http://wiki.openstack.org/neutron/LBaaS/API_1.0",
        updated="2012-10-07T10:00:00-00:00",
    ),
    resources=(VIP, POOL, MEMBER, HEALTH_MONITOR),
)
