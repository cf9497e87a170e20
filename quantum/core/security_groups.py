# SPDX-License-Identifier: Apache-2.0
"""Security groups (spec §5.5): what may reach a tenant's VMs, and from where.

A group is a set of rules, each allowing one kind of traffic in one direction
(``ingress`` to the port, ``egress`` from it); whatever no rule allows is dropped,
and replies to allowed traffic pass (the rules are stateful). A port is in any
number of its tenant's groups (``Port.security_groups``); every tenant has a
``default`` group, made the first time it needs one: egress to anywhere (IPv4 and
IPv6), ingress from members of the same group.

The pure part lives here: a rule request is checked and put in canonical form by
``canonical_rule`` (the API edge and the store apply it alike), and ``rule_key``
is what makes two rules the same (the store's unique index holds it).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, replace
from ipaddress import ip_network

from quantum.core import exceptions as exc

DEFAULT_NAME = "default"
"""The name of every tenant's own group, made on first use (and only then)."""


class Direction(enum.StrEnum):
    INGRESS = "ingress"
    """Traffic to the port."""
    EGRESS = "egress"
    """Traffic from the port."""


class EtherType(enum.StrEnum):
    IPV4 = "IPv4"
    IPV6 = "IPv6"

    @property
    def version(self) -> int:
        return 4 if self is EtherType.IPV4 else 6


PROTOCOLS: dict[str, int] = {
    "icmp": 1,
    "igmp": 2,
    "ipip": 4,
    "tcp": 6,
    "egp": 8,
    "udp": 17,
    "ipv6-encap": 41,
    "ipv6-route": 43,
    "ipv6-frag": 44,
    "rsvp": 46,
    "gre": 47,
    "esp": 50,
    "ah": 51,
    "icmpv6": 58,
    "ipv6-icmp": 58,
    "ipv6-nonxt": 59,
    "ipv6-opts": 60,
    "ospf": 89,
    "pgm": 113,
    "vrrp": 112,
    "sctp": 132,
    "udplite": 136,
    "dccp": 33,
}
"""Protocol names a rule accepts, and their IP protocol numbers (IANA)."""

PORT_PROTOCOLS = frozenset({6, 17, 33, 132, 136})
"""Protocols with ports: a rule of these may name a destination port range."""

ICMP_PROTOCOLS = frozenset({1, 58})
"""ICMP and ICMPv6: ``port_range_min`` is the type, ``port_range_max`` the code."""


def protocol_number(protocol: str | None, ethertype: EtherType) -> int | None:
    """The IP protocol number a canonical rule's ``protocol`` means (None: any);
    ``icmp`` in an IPv6 rule is ICMPv6, as the original's firewall read it."""
    if protocol is None:
        return None
    number = PROTOCOLS[protocol] if protocol in PROTOCOLS else int(protocol)
    if number == 1 and ethertype is EtherType.IPV6:
        return 58
    return number


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityGroupRule:
    id: str
    tenant_id: str
    security_group_id: str
    direction: Direction
    ethertype: EtherType = EtherType.IPV4
    protocol: str | None = None
    """A name of ``PROTOCOLS`` (lower case) or a number 0-255 as text; None: any."""
    port_range_min: int | None = None
    """The first destination port (TCP, UDP...), or the ICMP type."""
    port_range_max: int | None = None
    """The last destination port, or the ICMP code."""
    remote_ip_prefix: str | None = None
    """The other end's addresses (a CIDR of the rule's family); None: any."""
    remote_group_id: str | None = None
    """The other end is a port in this group (its addresses, as they change)."""
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityGroup:
    id: str
    tenant_id: str
    name: str = ""
    description: str = ""
    rules: tuple[SecurityGroupRule, ...] = ()
    """Its rules, oldest first (the group's own egress rules first)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupMembers:
    """What a rule naming the group as its remote group matches: the fixed IPs
    and allowed-pair addresses (or CIDRs) of the group's ports, on any host."""

    id: str
    addresses: tuple[str, ...] = ()
    """Canonical, each once, sorted (``10.0.0.3``, ``10.0.1.0/24``, ``fd00::3``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityGroupCreate:
    tenant_id: str
    name: str = ""
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityGroupUpdate:
    name: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityGroupRuleCreate:
    tenant_id: str
    security_group_id: str
    direction: Direction
    ethertype: EtherType = EtherType.IPV4
    protocol: str | None = None
    port_range_min: int | None = None
    port_range_max: int | None = None
    remote_ip_prefix: str | None = None
    remote_group_id: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityGroupRuleUpdate:
    """Rules have no update (spec §5.5): a rule is deleted and made again."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AllowedAddressPair:
    """An address a port may send from besides its fixed IPs (a VIP, a CIDR of
    addresses behind it), with the MAC it may use for it."""

    ip_address: str
    """An address or a CIDR, canonical (``10.0.0.0/24``, ``10.0.0.5``)."""
    mac_address: str | None = None
    """None in a request: the port's own MAC (always set on a stored port)."""


def canonical_protocol(value: object) -> str | None:
    """A rule's protocol as stored: a known name in lower case, or a number
    0-255 as decimal text (``"6"``, ``6``); None or ``"any"``: any protocol."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise _bad_protocol(value)
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, str):
        text = value.strip().lower()
    else:
        raise _bad_protocol(value)
    if text in ("", "any"):
        return None
    if text in PROTOCOLS:
        return text
    if text.isdigit() and len(text) <= 3 and 0 <= int(text) <= 255:
        return str(int(text))
    raise _bad_protocol(value)


def _bad_protocol(value: object) -> exc.SecurityGroupRuleInvalidProtocol:
    return exc.SecurityGroupRuleInvalidProtocol(
        protocol=str(value), choices=", ".join(sorted(PROTOCOLS))
    )


def canonical_prefix(value: str) -> str:
    """A CIDR (or a lone address) as its network (``10.0.0.5/8`` is
    ``10.0.0.0/8``). Raises InvalidInput."""
    try:
        return str(ip_network(value.strip(), strict=False))
    except ValueError:
        raise exc.InvalidInput(
            reason=f"'{value}' is not a valid CIDR for remote_ip_prefix"
        ) from None


def canonical_rule(rule: SecurityGroupRuleCreate) -> SecurityGroupRuleCreate:
    """The rule checked against itself and in canonical form (protocol, prefix).

    Raises SecurityGroupRemoteGroupAndRemoteIpPrefix, SecurityGroupRuleParameterConflict
    (the prefix or protocol is of the other family),
    SecurityGroupProtocolRequiredWithPorts, SecurityGroupInvalidPortRange,
    SecurityGroupInvalidPortValue, SecurityGroupInvalidIcmpValue,
    SecurityGroupMissingIcmpType, SecurityGroupRuleInvalidProtocol.
    """
    if rule.remote_ip_prefix is not None and rule.remote_group_id is not None:
        raise exc.SecurityGroupRemoteGroupAndRemoteIpPrefix()
    protocol = canonical_protocol(rule.protocol)
    prefix = None
    if rule.remote_ip_prefix is not None:
        prefix = canonical_prefix(rule.remote_ip_prefix)
        if ip_network(prefix).version != rule.ethertype.version:
            raise exc.SecurityGroupRuleParameterConflict(
                ethertype=rule.ethertype.value, cidr=prefix
            )
    number = protocol_number(protocol, rule.ethertype)
    if protocol in ("icmpv6", "ipv6-icmp", "58") and rule.ethertype is EtherType.IPV4:
        raise exc.SecurityGroupRuleParameterConflict(
            ethertype=rule.ethertype.value, cidr=f"protocol {protocol}"
        )
    _check_ports(protocol, number, rule.port_range_min, rule.port_range_max)
    return replace(rule, protocol=protocol, remote_ip_prefix=prefix)


def _check_ports(
    protocol: str | None, number: int | None, low: int | None, high: int | None
) -> None:
    """The port range (or ICMP type and code) against the protocol."""
    if low is None and high is None:
        return
    if number is None:
        raise exc.SecurityGroupProtocolRequiredWithPorts()
    if number in ICMP_PROTOCOLS:
        for field, value in (("type", low), ("code", high)):
            if value is not None and not 0 <= value <= 255:
                raise exc.SecurityGroupInvalidIcmpValue(field=field, value=value)
        if low is None:
            raise exc.SecurityGroupMissingIcmpType(value=high)
    elif number in PORT_PROTOCOLS:
        for value in (low, high):
            if value is not None and not 1 <= value <= 65535:
                raise exc.SecurityGroupInvalidPortValue(port=value)
        # NOTE: one side only is no range (the original's refusal; not "Invalid
        # value for port None")
        if low is None or high is None or low > high:
            raise exc.SecurityGroupInvalidPortRange()
    else:
        raise exc.InvalidInput(
            reason=f"protocol {protocol} has no ports: port_range_min and "
            "port_range_max must be null"
        )


def rule_key(rule: SecurityGroupRuleCreate | SecurityGroupRule) -> str:
    """What makes two rules of a group the same rule: every field compared
    exactly (spec §7, quirk 4), the protocol by number (``tcp`` is ``6``)."""
    number = protocol_number(rule.protocol, rule.ethertype)
    parts: Sequence[object] = (
        rule.direction.value,
        rule.ethertype.value,
        "" if number is None else number,
        "" if rule.port_range_min is None else rule.port_range_min,
        "" if rule.port_range_max is None else rule.port_range_max,
        rule.remote_ip_prefix or "",
        rule.remote_group_id or "",
    )
    return "|".join(str(p) for p in parts)


def default_rules(
    tenant_id: str, group_id: str, *, same_group: bool
) -> tuple[SecurityGroupRuleCreate, ...]:
    """The rules a new group starts with: egress anywhere, IPv4 and IPv6; with
    ``same_group`` (the ``default`` group) also ingress from its own members."""
    rules = [
        SecurityGroupRuleCreate(
            tenant_id=tenant_id,
            security_group_id=group_id,
            direction=Direction.EGRESS,
            ethertype=ethertype,
        )
        for ethertype in EtherType
    ]
    if same_group:
        rules += [
            SecurityGroupRuleCreate(
                tenant_id=tenant_id,
                security_group_id=group_id,
                direction=Direction.INGRESS,
                ethertype=ethertype,
                remote_group_id=group_id,
            )
            for ethertype in EtherType
        ]
    return tuple(rules)
