# SPDX-License-Identifier: Apache-2.0
"""The v2.0 resources the client knows, one row each.

A new resource (routers, floating IPs, security groups, LBaaS pools...) is one more
``Kind`` here; ``quantum.client.v2.Client`` serves every row with the same calls.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Op(enum.StrEnum):
    LIST = "list"
    SHOW = "show"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


ALL = frozenset(Op)


@dataclass(frozen=True, slots=True, kw_only=True)
class Kind:
    """One resource: ``singular`` keys a body, ``collection`` keys a list."""

    singular: str
    collection: str
    path: str
    """Below ``/v2.0``; may differ from ``collection`` (``security-groups``)."""
    ops: frozenset[Op] = ALL
    key: str = "id"
    """The attribute that names a member in its URL (``alias`` for extensions)."""
    name_attr: str | None = "name"
    """The attribute a user may give instead of the id (None: ids only)."""


NETWORK = Kind(singular="network", collection="networks", path="networks")
SUBNET = Kind(singular="subnet", collection="subnets", path="subnets")
PORT = Kind(singular="port", collection="ports", path="ports")
QUOTA = Kind(
    singular="quota",
    collection="quotas",
    path="quotas",
    ops=frozenset({Op.LIST, Op.SHOW, Op.UPDATE, Op.DELETE}),
    key="tenant_id",
    name_attr=None,
)
EXTENSION = Kind(
    singular="extension",
    collection="extensions",
    path="extensions",
    ops=frozenset({Op.LIST, Op.SHOW}),
    key="alias",
    name_attr=None,
)
AGENT = Kind(
    singular="agent",
    collection="agents",
    path="agents",
    ops=frozenset({Op.LIST, Op.SHOW, Op.UPDATE, Op.DELETE}),
    name_attr=None,
)

ROUTER = Kind(singular="router", collection="routers", path="routers")
FLOATINGIP = Kind(
    singular="floatingip",
    collection="floatingips",
    path="floatingips",
    name_attr=None,
)
SECURITY_GROUP = Kind(
    singular="security_group",
    collection="security_groups",
    path="security-groups",
)
SECURITY_GROUP_RULE = Kind(
    singular="security_group_rule",
    collection="security_group_rules",
    path="security-group-rules",
    ops=frozenset({Op.LIST, Op.SHOW, Op.CREATE, Op.DELETE}),
    name_attr=None,
)

# load balancing (lbaas), under /v2.0/lb
VIP = Kind(singular="vip", collection="vips", path="lb/vips")
POOL = Kind(singular="pool", collection="pools", path="lb/pools")
MEMBER = Kind(
    singular="member", collection="members", path="lb/members", name_attr=None
)
HEALTH_MONITOR = Kind(
    singular="health_monitor",
    collection="health_monitors",
    path="lb/health_monitors",
    name_attr=None,
)

KINDS: tuple[Kind, ...] = (
    NETWORK,
    SUBNET,
    PORT,
    QUOTA,
    EXTENSION,
    AGENT,
    ROUTER,
    FLOATINGIP,
    SECURITY_GROUP,
    SECURITY_GROUP_RULE,
    VIP,
    POOL,
    MEMBER,
    HEALTH_MONITOR,
)
