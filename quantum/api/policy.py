# SPDX-License-Identifier: Apache-2.0
"""Authorization in one place: oslo.policy rules over a ``RequestContext``.

The defaults below are the whole policy; ``policy_file`` (etc/policy.yaml) may
override any rule. Every API version asks the same ``Policy`` object: v1 names its
actions ``v1:<operation>`` and checks them against the URL's tenant, v2.0 names them
``<verb>_<resource>`` and checks them against the resource. A denied action on
another tenant's resource is answered as "not found" by the caller, so nobody learns
what exists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any, TypeVar

from oslo_config import cfg
from oslo_policy import _checks
from oslo_policy import policy as oslo_policy

from quantum.api.context import RequestContext
from quantum.core.exceptions import ConfigError


class _PluginCheck:
    """An ``oslo.policy.rule_checks`` plugin, imported when a rule first uses it."""

    def __init__(self, entry_point: metadata.EntryPoint) -> None:
        self.entry_point = entry_point

    def __call__(self, kind: str, match: str) -> _checks.Check:
        check: _checks.Check = self.entry_point.load()(kind, match)
        return check


def _load_rule_checks_lazily() -> None:
    """PERF: oslo.policy imports every rule-check plugin when it parses its first
    rule; the installed ones (its ``http:``/``https:`` checks) import requests,
    5 MiB and 110 modules in every worker, which only a policy file using them
    needs. Called before the first RuleDefault below parses one."""
    # NOTE: a private global of oslo.policy; if it is gone, its own loading stays.
    if getattr(_checks, "extension_checks", False) is None:
        plugins = metadata.entry_points(group="oslo.policy.rule_checks")
        _checks.extension_checks = {ep.name: _PluginCheck(ep) for ep in plugins}


_load_rule_checks_lazily()

ADMIN_OR_OWNER = "rule:admin_or_owner"
WRITER = "not rule:read_only"
OWNER_WRITER = f"{ADMIN_OR_OWNER} and {WRITER}"

BASE_RULES: tuple[oslo_policy.RuleDefault, ...] = (
    oslo_policy.RuleDefault(
        "context_is_admin",
        "role:admin",
        "Who acts as an administrator: on any tenant's resources, in any URL.",
    ),
    oslo_policy.RuleDefault(
        "admin_or_owner",
        "rule:context_is_admin or project_id:%(project_id)s",
        "An administrator, or a caller whose project owns the target.",
    ),
    oslo_policy.RuleDefault(
        "read_only",
        "role:reader and not (rule:context_is_admin or role:member or role:_member_)",
        "A caller that may read and nothing else: the reader role without member "
        "(Keystone's member implies reader, so a member's token holds both).",
    ),
    oslo_policy.RuleDefault(
        "default", ADMIN_OR_OWNER, "The rule of every action not named here."
    ),
)

V1_OPERATIONS = (
    "list_networks",
    "list_networks_detail",
    "create_network",
    "show_network",
    "show_network_detail",
    "update_network",
    "delete_network",
    "list_ports",
    "list_ports_detail",
    "create_port",
    "show_port",
    "show_port_detail",
    "update_port",
    "delete_port",
    "show_attachment",
    "plug_attachment",
    "unplug_attachment",
)

V1_READS = frozenset(op for op in V1_OPERATIONS if op.startswith(("list_", "show_")))

V1_RULES: tuple[oslo_policy.RuleDefault, ...] = tuple(
    oslo_policy.RuleDefault(
        f"v1:{operation}",
        ADMIN_OR_OWNER if operation in V1_READS else OWNER_WRITER,
        f"v1.0/v1.1 {operation}; the target is the tenant in the URL.",
    )
    for operation in V1_OPERATIONS
)

V1_EXTENSION_RULES = (
    oslo_policy.RuleDefault(
        "v1:extension",
        ADMIN_OR_OWNER,
        "A GET of any extension path under /tenants/{tenant} (v1.0/v1.1); the "
        "target is the tenant in the URL. Extensions may check finer rules.",
    ),
    oslo_policy.RuleDefault(
        "v1:extension_write",
        OWNER_WRITER,
        "Any other method on an extension path under /tenants/{tenant}.",
    ),
)

DEFAULT_RULES = BASE_RULES + V1_RULES + V1_EXTENSION_RULES


T = TypeVar("T")


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


_TARGET_KEY = re.compile(r"%\(([^)]*)\)")
"""A ``%(key)s`` of a check's match: the target keys a check reads."""

_MISSING = object()
"""A target key the target lacks (``%(key)s`` of it fails the check)."""

_WHOLE = None
"""What ``target_keys`` says of a rule that may read any of the target."""


def _rule(
    rules: Mapping[str, _checks.BaseCheck], name: str
) -> _checks.BaseCheck | None:
    """The check of rule ``name`` as oslo.policy finds it (its ``Rules`` answer an
    unknown name with the default rule), or None."""
    try:
        return rules[name]
    except KeyError:
        return None


def target_keys(
    check: _checks.BaseCheck, rules: Mapping[str, _checks.BaseCheck]
) -> frozenset[str] | None:
    """The target keys ``check`` reads, following ``rule:`` references through
    ``rules``; None if it may read more (a check of another kind, such as
    ``http:``, which sends the whole target)."""
    found: set[str] = set()
    followed: set[str] = set()
    pending = [check]
    while pending:
        current = pending.pop()
        kind = type(current)
        if kind in (_checks.TrueCheck, _checks.FalseCheck):
            continue
        if isinstance(current, _checks.NotCheck) and kind is _checks.NotCheck:
            pending.append(current.rule)
        elif isinstance(current, _checks.AndCheck | _checks.OrCheck) and kind in (
            _checks.AndCheck,
            _checks.OrCheck,
        ):
            pending.extend(current.rules)
        elif isinstance(current, _checks.RuleCheck) and kind is _checks.RuleCheck:
            if current.match not in followed:
                followed.add(current.match)
                below = _rule(rules, current.match)
                if below is not None:
                    pending.append(below)
        elif isinstance(current, _checks.Check) and kind in (
            _checks.RoleCheck,
            _checks.GenericCheck,
        ):
            found.update(_TARGET_KEY.findall(current.match))
        else:
            return _WHOLE
    return frozenset(found)


class Policy:
    """The policy engine of one process (one per ``Service``)."""

    def __init__(
        self,
        policy_file: Path | None = None,
        extra_defaults: Iterable[oslo_policy.RuleDefault] = (),
    ) -> None:
        if policy_file is not None and not policy_file.is_file():
            raise ConfigError(reason=f"policy_file {policy_file} does not exist")
        conf = cfg.ConfigOpts()
        conf([], project="quantum", default_config_files=[])
        self._file = policy_file
        self._cache: dict[Any, Any] = {}
        self._keys: dict[str, tuple[str, ...] | None] = {}
        """Per action, the target keys its rule reads (``target_keys``)."""
        self._rules_seen: object = None
        self._enforcer = oslo_policy.Enforcer(
            conf,
            policy_file=str(policy_file.resolve()) if policy_file else None,
            use_conf=policy_file is not None,
        )
        # NOTE: only the named file; never a policy.d or a file found in /etc.
        conf.set_override("policy_dirs", [], group="oslo_policy")
        self.register([*DEFAULT_RULES, *extra_defaults])

    def register(self, defaults: Iterable[oslo_policy.RuleDefault]) -> None:
        """Add default rules (v2.0 and extensions add theirs at start-up); rules
        already registered (an app loaded twice in one process) are kept."""
        defaults = [
            d for d in defaults if d.name not in self._enforcer.registered_rules
        ]
        self._cache.clear()
        self._keys.clear()
        self._enforcer.register_defaults(defaults)
        try:
            if self._file is None:
                checks = {d.name: d.check for d in defaults}
                self._enforcer.set_rules(checks, overwrite=False, use_conf=False)
            else:
                self._enforcer.load_rules(force_reload=True)
        except ValueError as error:
            raise ConfigError(reason=f"policy_file {self._file}: {error}") from error

    CACHE_SIZE = 8192
    """Decisions kept; the whole cache is dropped when it is full or rules change."""

    def _fresh(self) -> Any:
        """The rules now (an edited policy file re-read), what was remembered of
        other rules forgotten."""
        self._enforcer.load_rules()  # NOTE: re-reads an edited policy file
        rules = self._enforcer.rules
        if rules is not self._rules_seen:
            self._cache.clear()
            self._keys.clear()
            self._rules_seen = rules
        return rules

    def remembered(self, key: Hashable, decide: Callable[[], T]) -> T:
        """``decide()``, a function of the rules and ``key`` alone (decisions of
        this policy for the credentials ``key`` holds), remembered until the
        rules change."""
        self._fresh()
        cache_key = ("remembered", key)
        if cache_key in self._cache:
            return self._cache[cache_key]  # type: ignore[no-any-return]
        found = decide()
        if len(self._cache) >= self.CACHE_SIZE:
            self._cache.clear()
        self._cache[cache_key] = found
        return found

    def _decide(
        self,
        action: str,
        target: Mapping[str, Any],
        credentials: Callable[[], Mapping[str, Any]],
        registered: bool,
        who: Hashable | None = None,
    ) -> bool:
        # PERF: oslo.policy inspects every check's signature on every call (about
        # 0.3 ms per decision here); a decision depends only on the rules, the
        # action, the target keys the action's rule reads (``target_keys``: a
        # port's target holds lists and changes with every update, but its rule
        # reads its project and no more) and the credentials, so it is
        # remembered. ``who`` stands for the credentials in the key when the
        # caller has one (``RequestContext.policy_key``); ``credentials`` is
        # called only when needed.
        rules = self._fresh()
        if action in self._keys:
            keys = self._keys[action]
        else:
            check = _rule(rules, action)
            found = None if check is None else target_keys(check, rules)
            keys = None if found is None else tuple(sorted(found))
            self._keys[action] = keys
        creds = None
        try:
            if keys is None:
                seen: Any = frozenset(target.items())
            else:
                # NOTE: with the type: True and 1 are equal keys, not equal text.
                seen = tuple(
                    (type(v), v) for v in (target.get(k, _MISSING) for k in keys)
                )
            if who is None:
                creds = credentials()
                who = frozenset((k, _frozen(v)) for k, v in creds.items())
            key: Any = (action, seen, who)
            hash(key)
        except TypeError:  # NOTE: an unhashable value: decide without the cache
            key = None
        if key is not None and key in self._cache:
            return bool(self._cache[key])
        if creds is None:
            creds = credentials()
        decide = self._enforcer.authorize if registered else self._enforcer.enforce
        decision = bool(decide(action, dict(target), dict(creds)))
        if key is not None:
            if len(self._cache) >= self.CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = decision
        return decision

    def is_admin(self, credentials: Mapping[str, Any]) -> bool:
        """Whether these credentials pass ``context_is_admin``."""
        return self._decide(
            "context_is_admin", {}, lambda: credentials, registered=False
        )

    def allows(
        self, context: RequestContext, action: str, target: Mapping[str, Any]
    ) -> bool:
        """Whether ``context`` may do ``action`` on ``target`` (a dict of fields).

        Raises oslo.policy's PolicyNotRegistered for an action no rule names."""
        return self._decide(
            action,
            target,
            context.credentials,
            registered=True,
            who=context.policy_key,
        )

    def allows_v1(self, context: RequestContext, operation: str, tenant: str) -> bool:
        """v1: may ``context`` do ``operation`` under ``/tenants/<tenant>``?"""
        target = {"project_id": tenant, "tenant_id": tenant}
        return self.allows(context, f"v1:{operation}", target)
