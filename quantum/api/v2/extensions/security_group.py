# SPDX-License-Identifier: Apache-2.0
"""``security-group`` (spec §5.5): ``/security-groups``, ``/security-group-rules``
and the ports' ``security_groups``.

A tenant sees and uses its own groups only (an admin, every tenant's); a rule's
group and remote group must be the rule's tenant's (else 404). Protocols are
accepted by name (``tcp``, ``icmp``...) or number (0-255); ``port_range_min`` and
``port_range_max`` are a destination port range (1-65535) for TCP, UDP, SCTP,
DCCP and UDP-Lite, and the ICMP type and code for ICMP and ICMPv6. The checks
against the rule itself are ``quantum.core.security_groups.canonical_rule``'s.
"""

from __future__ import annotations

from typing import Any

from quantum.api.extensions import ExtensionDescriptor
from quantum.api.v2.attributes import (
    Extend,
    Extension,
    Field,
    Resource,
    one_of,
    string,
    to_tenant,
    to_uuid,
)
from quantum.core import exceptions as exc
from quantum.core.security_groups import (
    Direction,
    EtherType,
    SecurityGroupCreate,
    SecurityGroupRule,
    SecurityGroupRuleCreate,
    SecurityGroupRuleUpdate,
    SecurityGroupUpdate,
    canonical_protocol,
)
from quantum.core.text import DESCRIPTION_MAX

UUID_OR_NULL: dict[str, Any] = {"type": "string", "format": "uuid", "nullable": True}


def to_direction(name: str, value: Any) -> Direction:
    return Direction(one_of(*(d.value for d in Direction))(name, value))


def to_ethertype(name: str, value: Any) -> EtherType:
    """``IPv4`` or ``IPv6``, any case (``ipv4``, ``IPV6``)."""
    if isinstance(value, str):
        for ethertype in EtherType:
            if value.lower() == ethertype.value.lower():
                return ethertype
    raise exc.InvalidInput(
        reason=f"Security group rule for ethertype '{value}' not supported. "
        "Allowed values are IPv4, IPv6."
    )


def to_protocol(name: str, value: Any) -> str | None:
    return canonical_protocol(value)


def to_port(name: str, value: Any) -> int | None:
    """An integer (or its text) 0-65535, or null; the rule's protocol says more
    (``canonical_rule``)."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise exc.SecurityGroupInvalidPortValue(port=value)
    return value


def to_prefix(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise exc.InvalidInput(reason=f"'{value}' is not a valid CIDR for {name}")
    return value


def to_uuid_or_none(name: str, value: Any) -> str | None:
    return None if value is None else to_uuid(name, value)


def to_group_ids(name: str, value: Any) -> list[str]:
    """A port's groups: a list of UUIDs (null: none)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise exc.InvalidInput(reason=f"'{value}' is not a list of UUIDs for {name}")
    return [to_uuid(name, v) for v in value]


def rule_wire(rule: SecurityGroupRule) -> dict[str, Any]:
    """A rule as ``/security-group-rules`` shows it (and its group embeds it)."""
    return {
        "id": rule.id,
        "tenant_id": rule.tenant_id,
        "project_id": rule.tenant_id,
        "security_group_id": rule.security_group_id,
        "direction": rule.direction.value,
        "ethertype": rule.ethertype.value,
        "protocol": rule.protocol,
        "port_range_min": rule.port_range_min,
        "port_range_max": rule.port_range_max,
        "remote_ip_prefix": rule.remote_ip_prefix,
        "remote_group_id": rule.remote_group_id,
        "description": rule.description,
    }


def _rules(group: Any, plugin: Any) -> list[dict[str, Any]]:
    return [rule_wire(r) for r in group.rules]


RULE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "format": "uuid"},
        "tenant_id": {"type": "string"},
        "project_id": {"type": "string"},
        "security_group_id": {"type": "string", "format": "uuid"},
        "direction": {"type": "string", "enum": ["ingress", "egress"]},
        "ethertype": {"type": "string", "enum": ["IPv4", "IPv6"]},
        "protocol": {"type": "string", "nullable": True},
        "port_range_min": {"type": "integer", "nullable": True},
        "port_range_max": {"type": "integer", "nullable": True},
        "remote_ip_prefix": {"type": "string", "nullable": True},
        "remote_group_id": {"type": "string", "format": "uuid", "nullable": True},
        "description": {"type": "string"},
    },
}

SECURITY_GROUP = Resource(
    name="security_group",
    collection="security_groups",
    path="security-groups",
    service="security_groups",
    create_type=SecurityGroupCreate,
    update_type=SecurityGroupUpdate,
    not_found=lambda i: exc.SecurityGroupNotFound(id=i),
    fields=(
        Field(name="id", convert=to_uuid, on_create=False),
        Field(name="name", convert=string(), default="", on_update=True),
        Field(
            name="description",
            convert=string(DESCRIPTION_MAX),
            default="",
            on_update=True,
        ),
        Field(name="tenant_id", convert=to_tenant),
        Field(name="project_id", convert=to_tenant, attr="tenant_id"),
        Field(
            name="security_group_rules",
            attr=None,
            render=_rules,
            on_create=False,
            schema={"type": "array", "items": RULE_SCHEMA},
            sortable=False,
            filterable=False,
        ),
    ),
)

SECURITY_GROUP_RULE = Resource(
    name="security_group_rule",
    collection="security_group_rules",
    path="security-group-rules",
    service="security_group_rules",
    create_type=SecurityGroupRuleCreate,
    update_type=SecurityGroupRuleUpdate,
    not_found=lambda i: exc.SecurityGroupRuleNotFound(id=i),
    fields=(
        Field(name="id", convert=to_uuid, on_create=False),
        Field(name="tenant_id", convert=to_tenant),
        Field(name="project_id", convert=to_tenant, attr="tenant_id"),
        Field(name="security_group_id", convert=to_uuid, required=True),
        Field(
            name="direction",
            convert=to_direction,
            required=True,
            schema={"type": "string", "enum": ["ingress", "egress"]},
        ),
        Field(
            name="ethertype",
            convert=to_ethertype,
            default=EtherType.IPV4,
            schema={
                "type": "string",
                "description": "IPv4 or IPv6, any case.",
            },
            shown={"type": "string", "enum": ["IPv4", "IPv6"]},
        ),
        Field(
            name="protocol",
            convert=to_protocol,
            default=None,
            schema={
                "type": "string",
                "nullable": True,
                "description": "A name (tcp, udp, icmp, icmpv6, sctp...) or an IP "
                "protocol number 0-255 (as a string or an integer); null or any: "
                "every protocol.",
            },
            shown={"type": "string", "nullable": True},
        ),
        Field(
            name="port_range_min",
            convert=to_port,
            default=None,
            schema={"type": "integer", "nullable": True, "minimum": 0},
        ),
        Field(
            name="port_range_max",
            convert=to_port,
            default=None,
            schema={"type": "integer", "nullable": True, "minimum": 0},
        ),
        Field(
            name="remote_ip_prefix",
            convert=to_prefix,
            default=None,
            schema={"type": "string", "nullable": True},
        ),
        Field(
            name="remote_group_id",
            convert=to_uuid_or_none,
            default=None,
            schema=UUID_OR_NULL,
        ),
        Field(name="description", convert=string(DESCRIPTION_MAX), default=""),
    ),
)

EXTENSION = Extension(
    descriptor=ExtensionDescriptor(
        alias="security-group",
        name="security-group",
        description="The security groups extension.",
        namespace="http://docs.openstack.org/ext/securitygroups/api/v2.0",
        updated="2012-10-05T10:00:00-00:00",
    ),
    resources=(SECURITY_GROUP, SECURITY_GROUP_RULE),
    extends={
        "port": Extend(
            fields=(
                Field(
                    name="security_groups",
                    convert=to_group_ids,
                    on_update=True,
                    schema={
                        "type": "array",
                        "nullable": True,
                        "items": {"type": "string", "format": "uuid"},
                    },
                    shown={
                        "type": "array",
                        "items": {"type": "string", "format": "uuid"},
                    },
                    sortable=False,
                    filterable=False,
                ),
            )
        )
    },
)
