# SPDX-License-Identifier: Apache-2.0
"""What an Open vSwitch agent is told of the security groups of its host's ports:
the groups with their rules, and the members of every remote group those rules
name (issue 15; the wire is ``agentapi.ovs.messages``).

Functions over a session, run inside ``host_state``'s read. PERF: a bounded number
of statements whatever the number of ports, groups, rules and members: one for the
rules of all the groups, two for the members of all the remote groups (their fixed
IPs, their address pairs), each per 500 groups; ``tests/functional/agentapi/
test_security_state.py`` counts them.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from dataclasses import replace
from ipaddress import ip_network

from sqlalchemy import select
from sqlalchemy.orm import Session

from quantum.core.ports import Port
from quantum.core.security_groups import GroupMembers, SecurityGroup
from quantum.db.models import (
    IpAllocationRow,
    PortRow,
    SecurityGroupPortBindingRow,
    SecurityGroupRow,
    SecurityGroupRuleRow,
)

CHUNK = 500
"""Ids per ``IN (...)``: what every back-end takes in one statement."""


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def filters(
    s: Session, ports: Sequence[Port]
) -> tuple[list[Port], tuple[SecurityGroup, ...], tuple[GroupMembers, ...]]:
    """The ports' groups with their rules, and the members of the remote groups
    those rules name; the ports as given, but for a group that is gone."""
    groups = groups_with_rules(s, {g for p in ports for g in p.security_groups})
    # NOTE: a group a port left, deleted after the port was read (the reads are
    # not one snapshot on PostgreSQL): both writes came after the revision the
    # state names, so the agent is woken again and sees them.
    known = {g.id for g in groups}
    kept = [
        p
        if known.issuperset(p.security_groups)
        else replace(
            p, security_groups=tuple(g for g in p.security_groups if g in known)
        )
        for p in ports
    ]
    remote = {r.remote_group_id for g in groups for r in g.rules if r.remote_group_id}
    return kept, tuple(groups), tuple(members(s, remote))


def groups_with_rules(s: Session, group_ids: Collection[str]) -> list[SecurityGroup]:
    """The groups of ``group_ids`` that exist, by id, each with its rules in
    creation order."""
    wanted = sorted(set(group_ids))
    rows: dict[str, SecurityGroupRow] = {}
    rules: dict[str, list[SecurityGroupRuleRow]] = {g: [] for g in wanted}
    for chunk in _chunks(wanted):
        # NOTE: one statement for the groups and their rules: an outer join, so a
        # group without rules (it drops everything) is still sent.
        for group, rule in s.execute(
            select(SecurityGroupRow, SecurityGroupRuleRow)
            .outerjoin(
                SecurityGroupRuleRow,
                SecurityGroupRuleRow.security_group_id == SecurityGroupRow.id,
            )
            .where(SecurityGroupRow.id.in_(chunk))
            .order_by(
                SecurityGroupRow.id,
                SecurityGroupRuleRow.created_at,
                SecurityGroupRuleRow.position,
                SecurityGroupRuleRow.id,
            )
        ):
            rows[group.id] = group
            if rule is not None:
                rules[group.id].append(rule)
    return [
        SecurityGroup(
            id=row.id,
            tenant_id=row.tenant_id,
            name=row.name,
            description=row.description,
            rules=tuple(r.to_domain() for r in rules[row.id]),
        )
        for row in (rows[g] for g in wanted if g in rows)
    ]


def _canonical(address: str) -> str:
    network = ip_network(address, strict=False)
    if network.prefixlen == network.max_prefixlen:
        return str(network.network_address)
    return str(network)


def members(s: Session, group_ids: Collection[str]) -> list[GroupMembers]:
    """Each group of ``group_ids``: the fixed IPs and allowed-pair addresses of its
    ports, wherever they are bound (a group with no port has none)."""
    wanted = sorted(set(group_ids))
    found: dict[str, set[str]] = {g: set() for g in wanted}
    binding = SecurityGroupPortBindingRow
    for chunk in _chunks(wanted):
        for group_id, address in s.execute(
            select(binding.security_group_id, IpAllocationRow.ip_address)
            .join(IpAllocationRow, IpAllocationRow.port_id == binding.port_id)
            .where(binding.security_group_id.in_(chunk))
        ):
            found[group_id].add(_canonical(address))
        for group_id, pairs in s.execute(
            select(binding.security_group_id, PortRow.allowed_address_pairs)
            .join(PortRow, PortRow.id == binding.port_id)
            .where(
                binding.security_group_id.in_(chunk),
                PortRow.allowed_address_pairs.is_not(None),
            )
        ):
            found[group_id].update(
                _canonical(ip) for ip, _ in json.loads(pairs or "[]")
            )
    return [
        GroupMembers(id=g, addresses=tuple(sorted(found[g], key=_order)))
        for g in wanted
    ]


def _order(address: str) -> tuple[int, int, int]:
    network = ip_network(address)
    return network.version, int(network.network_address), network.prefixlen
