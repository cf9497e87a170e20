# SPDX-License-Identifier: Apache-2.0
"""Security groups over the SQL store: ``plugin.security_groups`` and
``plugin.security_group_rules`` (the ``security-group`` extension), and
``SecurityGroups``, what the ports and networks services call inside their own
transactions (the tenant's default group, a port's groups).

The invariants are the schema's (migration 0018): one default group per tenant
(its key), a rule once per group (``rule_key`` unique per group), and a group a
port is in never deleted, nor joined while being deleted (the bindings' foreign
key, no cascade), whichever of the two writes commits first, on every back-end.
"""

from __future__ import annotations

import builtins
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

from sqlalchemy import BindParameter, ScalarSelect, bindparam, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.listing import ListQuery
from quantum.core.quotas import QuotaResource
from quantum.core.scope import Scope
from quantum.core.security_groups import (
    DEFAULT_NAME,
    SecurityGroup,
    SecurityGroupCreate,
    SecurityGroupRule,
    SecurityGroupRuleCreate,
    SecurityGroupRuleUpdate,
    SecurityGroupUpdate,
    canonical_rule,
    default_rules,
    rule_key,
)
from quantum.db.models import (
    DefaultSecurityGroupRow,
    PortRow,
    SecurityGroupPortBindingRow,
    SecurityGroupRow,
    SecurityGroupRuleRow,
    utcnow,
)
from quantum.db.session import Database, execute_core
from quantum.plugins.core import access
from quantum.plugins.core.listing import Column, page
from quantum.plugins.core.quotas import Quotas

GROUP_COLUMNS: Mapping[str, Column] = {
    "id": Column(expr=SecurityGroupRow.id),
    "name": Column(expr=SecurityGroupRow.name),
    "description": Column(expr=SecurityGroupRow.description),
    "tenant_id": Column(expr=SecurityGroupRow.tenant_id),
    "project_id": Column(expr=SecurityGroupRow.tenant_id),
}
"""Group attributes the store filters and sorts on."""

RULE_COLUMNS: Mapping[str, Column] = {
    "id": Column(expr=SecurityGroupRuleRow.id),
    "tenant_id": Column(expr=SecurityGroupRuleRow.tenant_id),
    "project_id": Column(expr=SecurityGroupRuleRow.tenant_id),
    "security_group_id": Column(expr=SecurityGroupRuleRow.security_group_id),
    "direction": Column(expr=SecurityGroupRuleRow.direction),
    "ethertype": Column(expr=SecurityGroupRuleRow.ethertype),
    "protocol": Column(expr=func.coalesce(SecurityGroupRuleRow.protocol, "")),
    "port_range_min": Column(
        expr=func.coalesce(SecurityGroupRuleRow.port_range_min, -1)
    ),
    "port_range_max": Column(
        expr=func.coalesce(SecurityGroupRuleRow.port_range_max, -1)
    ),
    "remote_ip_prefix": Column(
        expr=func.coalesce(SecurityGroupRuleRow.remote_ip_prefix, "")
    ),
    "remote_group_id": Column(
        expr=func.coalesce(SecurityGroupRuleRow.remote_group_id, "")
    ),
    "description": Column(expr=SecurityGroupRuleRow.description),
}
"""Rule attributes the store filters and sorts on."""


def _visible_groups(scope: Scope) -> list[object]:
    if scope.is_admin:
        return []
    return [SecurityGroupRow.tenant_id == (scope.tenant_id or "")]


def _visible_rules(scope: Scope) -> list[object]:
    if scope.is_admin:
        return []
    return [SecurityGroupRuleRow.tenant_id == (scope.tenant_id or "")]


def _rules_of(
    s: Session, group_ids: Sequence[str]
) -> dict[str, list[SecurityGroupRule]]:
    found: dict[str, list[SecurityGroupRule]] = {g: [] for g in group_ids}
    if not group_ids:
        return found
    for row in s.scalars(
        select(SecurityGroupRuleRow)
        .where(SecurityGroupRuleRow.security_group_id.in_(group_ids))
        .order_by(
            SecurityGroupRuleRow.created_at,
            SecurityGroupRuleRow.position,
            SecurityGroupRuleRow.id,
        )
    ):
        found[row.security_group_id].append(row.to_domain())
    return found


def _groups(s: Session, rows: Sequence[SecurityGroupRow]) -> list[SecurityGroup]:
    rules = _rules_of(s, [row.id for row in rows])
    return [
        SecurityGroup(
            id=row.id,
            tenant_id=row.tenant_id,
            name=row.name,
            description=row.description,
            rules=tuple(rules[row.id]),
        )
        for row in rows
    ]


def _insert_rules(
    s: Session, rules: Sequence[SecurityGroupRuleCreate]
) -> list[SecurityGroupRuleRow]:
    now = utcnow()
    rows = [
        SecurityGroupRuleRow(
            id=access.new_id(),
            tenant_id=rule.tenant_id,
            security_group_id=rule.security_group_id,
            remote_group_id=rule.remote_group_id,
            direction=rule.direction.value,
            ethertype=rule.ethertype.value,
            protocol=rule.protocol,
            port_range_min=rule.port_range_min,
            port_range_max=rule.port_range_max,
            remote_ip_prefix=rule.remote_ip_prefix,
            description=rule.description,
            rule_key=rule_key(rule),
            created_at=now,
            position=i,
        )
        for i, rule in enumerate(rules)
    ]
    s.add_all(rows)
    return rows


_DEFAULT_OF = select(DefaultSecurityGroupRow.security_group_id).where(
    DefaultSecurityGroupRow.tenant_id == bindparam("tenant_id")
)
"""A tenant's default group's id, built once."""


class SecurityGroups:
    """What the ports and networks services ask of security groups, inside their
    own transactions."""

    @staticmethod
    def default_of(tenant_id: str | BindParameter[str]) -> ScalarSelect[str]:
        """The tenant's ``default`` group's id as a scalar subquery (NULL: none
        yet), for a caller to read with its own first statement."""
        return (
            select(DefaultSecurityGroupRow.security_group_id)
            .where(DefaultSecurityGroupRow.tenant_id == tenant_id)
            .scalar_subquery()
        )

    def ensure_default(self, s: Session, tenant_id: str) -> str:
        """The tenant's ``default`` group's id, made now if it has none (without
        quota: the store makes it). Of two first uses at once, one makes it; the
        other waits for its commit on the key and takes the winner's."""
        found = execute_core(s, _DEFAULT_OF, {"tenant_id": tenant_id}).scalar()
        if found is not None:
            return str(found)
        return self.make_default(s, tenant_id)

    def make_default(self, s: Session, tenant_id: str) -> str:
        """``ensure_default`` for a caller that read, in this transaction, that the
        tenant has no default group (``default_of``): the primary key of
        ``default_security_groups`` still decides which of two first uses at once
        makes it."""
        group_id = access.new_id()
        try:
            with s.begin_nested():
                s.add(
                    SecurityGroupRow(
                        id=group_id,
                        tenant_id=tenant_id,
                        name=DEFAULT_NAME,
                        description=DEFAULT_NAME,
                    )
                )
                s.flush()
                s.add(
                    DefaultSecurityGroupRow(
                        tenant_id=tenant_id, security_group_id=group_id
                    )
                )
                s.flush()
                _insert_rules(s, default_rules(tenant_id, group_id, same_group=True))
                s.flush()
        except IntegrityError:
            # NOTE: another transaction made it first; READ COMMITTED (and SQLite's
            # one writer) show its row now.
            found = execute_core(s, _DEFAULT_OF, {"tenant_id": tenant_id}).scalar()
            if found is None:
                raise
            return str(found)
        return group_id

    def check_usable(
        self, s: Session, group_ids: Iterable[str], tenant_id: str
    ) -> tuple[str, ...]:
        """The ids, sorted and once each, of groups of ``tenant_id`` (a port's
        groups are its tenant's). Raises SecurityGroupNotFound for any other."""
        wanted = sorted(set(group_ids))
        if not wanted:
            return ()
        found = set(
            s.scalars(
                select(SecurityGroupRow.id).where(
                    SecurityGroupRow.id.in_(wanted),
                    SecurityGroupRow.tenant_id == tenant_id,
                )
            )
        )
        for group_id in wanted:
            if group_id not in found:
                raise exc.SecurityGroupNotFound(id=group_id)
        return tuple(wanted)

    @staticmethod
    def bind(s: Session, row: PortRow, group_ids: Sequence[str]) -> None:
        """Put the port in exactly ``group_ids`` (checked): its bindings and its
        copy of them. A group deleted meanwhile makes the flush fail on the
        foreign key: SecurityGroupNotFound."""
        before = json.loads(row.security_groups) if row.security_groups else []
        after = sorted(group_ids)
        if before == after:
            return
        gone = set(before) - set(after)
        if gone:
            s.execute(
                delete(SecurityGroupPortBindingRow).where(
                    SecurityGroupPortBindingRow.port_id == row.id,
                    SecurityGroupPortBindingRow.security_group_id.in_(sorted(gone)),
                )
            )
        new = [g for g in after if g not in before]
        try:
            with s.begin_nested():
                s.add_all(
                    SecurityGroupPortBindingRow(port_id=row.id, security_group_id=g)
                    for g in new
                )
                s.flush()
        except IntegrityError:
            # NOTE: a group went between our check and our insert: its delete
            # committed first, so the port cannot join it.
            missing = set(new) - set(
                s.scalars(
                    select(SecurityGroupRow.id).where(SecurityGroupRow.id.in_(new))
                )
            )
            raise exc.SecurityGroupNotFound(
                id=min(missing) if missing else new[0]
            ) from None
        row.security_groups = json.dumps(after) if after else None


class SecurityGroupStore:
    """``Service[SecurityGroup, ...]`` over the SQL store (``plugin.security_groups``).

    A tenant sees its own groups (an admin every tenant's); listing or making one
    makes the tenant's ``default`` group first if it has none."""

    def __init__(self, db: Database, quotas: Quotas, groups: SecurityGroups) -> None:
        self.db = db
        self.quotas = quotas
        self.groups = groups

    def _ensure_default(self, scope: Scope) -> None:
        tenant = scope.tenant_id
        if not tenant:
            return
        known = self.db.run(
            lambda s: s.scalar(
                select(DefaultSecurityGroupRow.security_group_id).where(
                    DefaultSecurityGroupRow.tenant_id == tenant
                )
            ),
            write=False,
        )
        if known is None:
            self.db.run(lambda s: self.groups.ensure_default(s, tenant), write=True)

    def list(self, scope: Scope, query: ListQuery) -> Sequence[SecurityGroup]:
        self._ensure_default(scope)

        def work(s: Session) -> builtins.list[SecurityGroup]:
            rows = page(
                s,
                select(SecurityGroupRow),
                GROUP_COLUMNS,
                SecurityGroupRow.id,
                query,
                _visible_groups(scope),  # type: ignore[arg-type]
            )
            return _groups(s, [row for (row,) in rows])

        return self.db.run(work, write=False)

    @staticmethod
    def _row(s: Session, scope: Scope, group_id: str) -> SecurityGroupRow:
        row = s.get(SecurityGroupRow, group_id)
        if row is None or not scope.owns(row.tenant_id):
            raise exc.SecurityGroupNotFound(id=group_id)
        return row

    def get(self, scope: Scope, group_id: str) -> SecurityGroup:
        def work(s: Session) -> SecurityGroup:
            return _groups(s, [self._row(s, scope, group_id)])[0]

        return self.db.run(work, write=False)

    def create(
        self, scope: Scope, items: Sequence[SecurityGroupCreate]
    ) -> Sequence[SecurityGroup]:
        """All or nothing; each new group with its two egress rules. Raises
        SecurityGroupDefaultAlreadyExists (the name ``default``), OverQuota."""
        for item in items:
            if item.name == DEFAULT_NAME:
                raise exc.SecurityGroupDefaultAlreadyExists()

        def work(s: Session) -> builtins.list[SecurityGroup]:
            for tenant in sorted({i.tenant_id for i in items}):
                self.groups.ensure_default(s, tenant)
            self.quotas.check(
                s, QuotaResource.SECURITY_GROUP, Counter(i.tenant_id for i in items)
            )
            rows = []
            for item in items:
                row = SecurityGroupRow(
                    id=access.new_id(),
                    tenant_id=item.tenant_id,
                    name=item.name,
                    description=item.description,
                )
                s.add(row)
                rows.append(row)
            s.flush()
            rules = [
                rule
                for row in rows
                for rule in default_rules(row.tenant_id, row.id, same_group=False)
            ]
            self.quotas.check(
                s,
                QuotaResource.SECURITY_GROUP_RULE,
                Counter(r.tenant_id for r in rules),
            )
            _insert_rules(s, rules)
            s.flush()
            return _groups(s, rows)

        return self.db.run(work, write=True)

    def update(
        self,
        scope: Scope,
        group_id: str,
        changes: SecurityGroupUpdate,
        authorize: Callable[[SecurityGroup], None] | None = None,
    ) -> SecurityGroup:
        """Name and description. Raises SecurityGroupNotFound,
        SecurityGroupCannotUpdateDefault (renaming the default group),
        SecurityGroupDefaultAlreadyExists (naming another one ``default``)."""

        def work(s: Session) -> SecurityGroup:
            row = self._row(s, scope, group_id)
            if authorize is not None:
                authorize(_groups(s, [row])[0])
            if changes.name is not None and changes.name != row.name:
                if row.name == DEFAULT_NAME and self._is_default(s, row):
                    raise exc.SecurityGroupCannotUpdateDefault()
                if changes.name == DEFAULT_NAME:
                    raise exc.SecurityGroupDefaultAlreadyExists()
                row.name = changes.name
            if changes.description is not None:
                row.description = changes.description
            s.flush()
            return _groups(s, [row])[0]

        return self.db.run(work, write=True)

    @staticmethod
    def _is_default(s: Session, row: SecurityGroupRow) -> bool:
        return (
            s.scalar(
                select(DefaultSecurityGroupRow.tenant_id).where(
                    DefaultSecurityGroupRow.security_group_id == row.id
                )
            )
            is not None
        )

    def delete(self, scope: Scope, group_id: str) -> None:
        """Raises SecurityGroupNotFound, SecurityGroupCannotRemoveDefault (the
        tenant's default group, unless an admin asks: how a deleted project's group
        is cleaned up), SecurityGroupInUse (a port is in it, or joins it before this
        commits)."""

        def work(s: Session) -> None:
            row = self._row(s, scope, group_id)
            if self._is_default(s, row):
                if not scope.is_admin:
                    raise exc.SecurityGroupCannotRemoveDefault()
                # NOTE: the tenant's next first use makes a new default group.
                s.execute(
                    delete(DefaultSecurityGroupRow).where(
                        DefaultSecurityGroupRow.security_group_id == group_id
                    )
                )
            in_use = s.scalar(
                select(SecurityGroupPortBindingRow.port_id)
                .where(SecurityGroupPortBindingRow.security_group_id == group_id)
                .limit(1)
            )
            if in_use is not None:
                raise exc.SecurityGroupInUse(id=group_id)
            s.execute(delete(SecurityGroupRow).where(SecurityGroupRow.id == group_id))

        try:
            self.db.run(work, write=True)
        except IntegrityError:
            # NOTE: a port joined it after we looked: its binding committed first
            # and the foreign key refused the delete.
            raise exc.SecurityGroupInUse(id=group_id) from None


class SecurityGroupRuleStore:
    """``Service[SecurityGroupRule, ...]`` (``plugin.security_group_rules``): a
    tenant's rules, visible to it only; no update (spec §5.5)."""

    def __init__(self, db: Database, quotas: Quotas, groups: SecurityGroups) -> None:
        self.db = db
        self.quotas = quotas
        self.groups = groups

    def list(self, scope: Scope, query: ListQuery) -> Sequence[SecurityGroupRule]:
        def work(s: Session) -> builtins.list[SecurityGroupRule]:
            rows = page(
                s,
                select(SecurityGroupRuleRow),
                RULE_COLUMNS,
                SecurityGroupRuleRow.id,
                query,
                _visible_rules(scope),  # type: ignore[arg-type]
            )
            return [row.to_domain() for (row,) in rows]

        return self.db.run(work, write=False)

    def get(self, scope: Scope, rule_id: str) -> SecurityGroupRule:
        def work(s: Session) -> SecurityGroupRule:
            return self._row(s, scope, rule_id).to_domain()

        return self.db.run(work, write=False)

    @staticmethod
    def _row(s: Session, scope: Scope, rule_id: str) -> SecurityGroupRuleRow:
        row = s.get(SecurityGroupRuleRow, rule_id)
        if row is None or not scope.owns(row.tenant_id):
            raise exc.SecurityGroupRuleNotFound(id=rule_id)
        return row

    def create(
        self, scope: Scope, items: Sequence[SecurityGroupRuleCreate]
    ) -> Sequence[SecurityGroupRule]:
        """All or nothing. Raises what ``canonical_rule`` raises,
        SecurityGroupNotSingleGroupRules (a bulk naming two groups or tenants),
        SecurityGroupNotFound (the group or the remote group is not the rule's
        tenant's), DuplicateSecurityGroupRuleInPost, SecurityGroupRuleExists,
        OverQuota."""
        rules = [canonical_rule(item) for item in items]
        if (
            len({r.security_group_id for r in rules}) > 1
            or len({r.tenant_id for r in rules}) > 1
        ):
            raise exc.SecurityGroupNotSingleGroupRules()
        keys = [rule_key(r) for r in rules]
        if len(set(keys)) != len(keys):
            raise exc.DuplicateSecurityGroupRuleInPost()
        if not rules:
            return []
        group_id = rules[0].security_group_id
        tenant_id = rules[0].tenant_id

        def work(s: Session) -> builtins.list[SecurityGroupRule]:
            group = s.get(SecurityGroupRow, group_id)
            if group is None or group.tenant_id != tenant_id:
                raise exc.SecurityGroupNotFound(id=group_id)
            remotes = {r.remote_group_id for r in rules if r.remote_group_id}
            self.groups.check_usable(s, remotes, tenant_id)
            existing = s.execute(
                select(SecurityGroupRuleRow.id, SecurityGroupRuleRow.rule_key).where(
                    SecurityGroupRuleRow.security_group_id == group_id,
                    SecurityGroupRuleRow.rule_key.in_(keys),
                )
            ).first()
            if existing is not None:
                raise exc.SecurityGroupRuleExists(rule_id=existing[0])
            self.quotas.check(
                s, QuotaResource.SECURITY_GROUP_RULE, {tenant_id: len(rules)}
            )
            rows = _insert_rules(s, rules)
            s.flush()
            return [row.to_domain() for row in rows]

        try:
            return self.db.run(work, write=True)
        except IntegrityError:
            # NOTE: the unique index refused a rule committed meanwhile, or the
            # group (or the remote one) went meanwhile: say which, as now.
            raise self._refused(group_id, keys) from None

    def _refused(self, group_id: str, keys: Sequence[str]) -> exc.QuantumError:
        def work(s: Session) -> exc.QuantumError:
            existing = s.scalar(
                select(SecurityGroupRuleRow.id).where(
                    SecurityGroupRuleRow.security_group_id == group_id,
                    SecurityGroupRuleRow.rule_key.in_(keys),
                )
            )
            if existing is not None:
                return exc.SecurityGroupRuleExists(rule_id=existing)
            return exc.SecurityGroupNotFound(id=group_id)

        return self.db.run(work, write=False)

    def update(
        self,
        scope: Scope,
        rule_id: str,
        changes: SecurityGroupRuleUpdate,
        authorize: Callable[[SecurityGroupRule], None] | None = None,
    ) -> SecurityGroupRule:
        """Rules have no updatable attribute: the rule as it is. Raises
        SecurityGroupRuleNotFound."""
        rule = self.get(scope, rule_id)
        if authorize is not None:
            authorize(rule)
        return rule

    def delete(self, scope: Scope, rule_id: str) -> None:
        """Raises SecurityGroupRuleNotFound."""

        def work(s: Session) -> None:
            row = self._row(s, scope, rule_id)
            s.delete(row)

        self.db.run(work, write=True)
