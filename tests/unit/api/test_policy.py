# SPDX-License-Identifier: Apache-2.0
"""The policy engine: defaults, a policy file overriding them, and etc/policy.yaml."""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from quantum.api.context import ANONYMOUS, RequestContext
from quantum.api.policy import DEFAULT_RULES, V1_OPERATIONS, Policy
from quantum.core.exceptions import ConfigError

ETC_POLICY = Path(__file__).resolve().parents[3] / "etc" / "policy.yaml"

OWNER = RequestContext(user_id="u1", project_id="acme", roles=frozenset({"member"}))
ADMIN = RequestContext(
    user_id="u2", project_id="ops", roles=frozenset({"admin"}), is_admin=True
)


@pytest.mark.parametrize("operation", V1_OPERATIONS)
def test_v1_defaults_let_owner_and_admin_in_and_nobody_else(operation: str) -> None:
    policy = Policy()
    assert policy.allows_v1(OWNER, operation, "acme")
    assert policy.allows_v1(ADMIN, operation, "acme")
    assert not policy.allows_v1(OWNER, operation, "globex")
    assert not policy.allows_v1(OWNER, operation, "ACME")
    assert not policy.allows_v1(ANONYMOUS, operation, "acme")
    # NOTE: a caller without a project never matches a tenant literally named None.
    assert not policy.allows_v1(ANONYMOUS, operation, "None")


def test_is_admin_follows_the_context_is_admin_rule(tmp_path: Path) -> None:
    assert Policy().is_admin(ADMIN.credentials())
    assert not Policy().is_admin(OWNER.credentials())
    custom = tmp_path / "policy.yaml"
    custom.write_text('"context_is_admin": "role:cloud_admin"\n')
    policy = Policy(custom)
    assert not policy.is_admin(ADMIN.credentials())
    cloud = RequestContext(project_id="x", roles=frozenset({"cloud_admin"}))
    assert policy.is_admin(cloud.credentials())


def test_a_policy_file_overrides_one_rule_and_keeps_the_rest(tmp_path: Path) -> None:
    custom = tmp_path / "policy.yaml"
    custom.write_text('"v1:plug_attachment": "rule:context_is_admin"\n')
    policy = Policy(custom)
    assert not policy.allows_v1(OWNER, "plug_attachment", "acme")
    assert policy.allows_v1(ADMIN, "plug_attachment", "acme")
    assert policy.allows_v1(OWNER, "unplug_attachment", "acme")


def test_a_missing_or_broken_policy_file_stops_the_start(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        Policy(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text('"v1:show_network": "rule:admin_or_owner\n  : [\n')
    with pytest.raises(ConfigError, match="broken.yaml"):
        Policy(broken)


def _all_defaults() -> dict[str, str]:
    from quantum.api.extensions import TENANT_RULE, TENANT_WRITE_RULE
    from quantum.api.v2 import policy as v2_policy
    from quantum.api.v2.catalog import EVERYTHING

    resources = EVERYTHING.resources
    rules = [
        *DEFAULT_RULES,
        TENANT_RULE,
        TENANT_WRITE_RULE,
        *v2_policy.rules(resources),
    ]
    return {rule.name: rule.check_str for rule in rules}


def test_etc_policy_yaml_holds_only_rules_that_differ_from_the_defaults(
    caplog: pytest.LogCaptureFixture,
) -> None:
    defaults = _all_defaults()
    shipped = yaml.safe_load(ETC_POLICY.read_text()) or {}
    repeated = {k: v for k, v in shipped.items() if defaults.get(k) == v}
    assert not repeated, "oslo.policy warns about each of these at every start"
    # NOTE: what the server does with it at start: no WARNING (a positive control
    # below shows the warning is caught when a default is repeated).
    from oslo_policy.policy import RuleDefault

    with caplog.at_level(logging.WARNING, logger="oslo_policy"):
        Policy(ETC_POLICY).register(
            [RuleDefault(k, v) for k, v in defaults.items() if k not in shipped]
        )
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_policy_file_repeating_a_default_is_what_oslo_policy_warns_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    repeating = tmp_path / "policy.yaml"
    repeating.write_text('"v1:show_network": "rule:admin_or_owner"\n')
    with caplog.at_level(logging.WARNING, logger="oslo_policy"):
        Policy(repeating)
    assert any("v1:show_network" in r.getMessage() for r in caplog.records)


def test_other_apis_register_their_own_rules() -> None:
    from oslo_policy.policy import RuleDefault

    policy = Policy()
    policy.register([RuleDefault("get_network", "rule:admin_or_owner")])
    assert policy.allows(OWNER, "get_network", {"project_id": "acme"})
    assert not policy.allows(OWNER, "get_network", {"project_id": "globex"})


def test_an_edited_policy_file_takes_effect_despite_remembered_decisions(
    tmp_path: Path,
) -> None:
    import os

    custom = tmp_path / "policy.yaml"
    custom.write_text('"v1:plug_attachment": "rule:admin_or_owner"\n')
    policy = Policy(custom)
    assert policy.allows_v1(OWNER, "plug_attachment", "acme")
    assert policy.allows_v1(OWNER, "plug_attachment", "acme")  # remembered
    custom.write_text('"v1:plug_attachment": "rule:context_is_admin"\n')
    later = custom.stat().st_mtime + 10
    os.utime(custom, (later, later))
    assert not policy.allows_v1(OWNER, "plug_attachment", "acme")
    assert policy.allows_v1(ADMIN, "plug_attachment", "acme")


def test_unhashable_targets_are_decided_without_the_cache() -> None:
    from oslo_policy.policy import RuleDefault

    policy = Policy()
    policy.register([RuleDefault("update_port", "rule:admin_or_owner")])
    target = {"project_id": "acme", "fixed_ips": [{"ip_address": "10.0.0.2"}]}
    assert policy.allows(OWNER, "update_port", target)
    assert not policy.allows(OWNER, "update_port", {**target, "project_id": "x"})


def test_a_decision_is_remembered_by_the_target_keys_its_rule_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A port's target holds lists and changes with every update; its rule reads
    its project alone, so oslo.policy is asked once per project (PERF), and a
    key the rule reads still decides."""
    from oslo_policy.policy import RuleDefault

    policy = Policy()
    policy.register(
        [
            RuleDefault("update_port", "rule:admin_or_owner"),
            RuleDefault("get_network", "rule:admin_or_owner or True:%(shared)s"),
        ]
    )
    asked: list[str] = []
    authorize = policy._enforcer.authorize

    def counting(action: str, *args: Any, **kwargs: Any) -> bool:
        asked.append(action)
        return authorize(action, *args, **kwargs)

    monkeypatch.setattr(policy._enforcer, "authorize", counting)
    port = {"project_id": "acme", "fixed_ips": [{"ip_address": "10.0.0.2"}]}
    assert policy.allows(OWNER, "update_port", port)
    assert policy.allows(OWNER, "update_port", {**port, "name": "x", "fixed_ips": []})
    assert not policy.allows(OWNER, "update_port", {**port, "project_id": "x"})
    assert asked == ["update_port", "update_port"]
    network = {"project_id": "globex"}
    assert not policy.allows(OWNER, "get_network", network)
    assert policy.allows(OWNER, "get_network", {**network, "shared": True})
    # NOTE: 1 == True as a key, not as the text the rule compares.
    assert not policy.allows(OWNER, "get_network", {**network, "shared": 1})
    assert policy.allows(ADMIN, "get_network", network)


def test_the_target_keys_a_rule_reads() -> None:
    from oslo_policy import _checks
    from oslo_policy.policy import RuleDefault

    from quantum.api.policy import target_keys

    policy = Policy()
    policy.register(
        [
            RuleDefault("one", "rule:admin_or_owner and not role:%(banned)s"),
            RuleDefault("loop", "rule:loop or True:%(shared)s"),
        ]
    )
    rules = policy._enforcer.rules
    assert target_keys(rules["one"], rules) == frozenset({"project_id", "banned"})
    assert target_keys(rules["loop"], rules) == frozenset({"shared"})
    assert target_keys(_checks.TrueCheck(), rules) == frozenset()

    class Anything(_checks.Check):  # NOTE: as the http: check, reads all of it
        def __call__(self, *args: object, **kwargs: object) -> bool:
            return True

    other = Anything("http", "//policy.test")
    assert target_keys(_checks.OrCheck([rules["one"], other]), rules) is None


def test_an_http_check_in_a_policy_file_still_asks_its_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """oslo.policy's ``http:`` check is loaded on first use (requests is not
    imported for a policy without it: tests/unit/test_process_imports.py)."""
    import requests

    asked: list[str] = []

    def post(url: str, **kwargs: object) -> SimpleNamespace:
        asked.append(url)
        answer = "True" if url.endswith("/yes") else "False"
        return SimpleNamespace(text=answer, close=lambda: None)

    monkeypatch.setattr(requests, "post", post)
    custom = tmp_path / "policy.yaml"
    custom.write_text(
        '"v1:plug_attachment": "http://policy.test/yes"\n'
        '"v1:unplug_attachment": "http://policy.test/no"\n'
    )
    policy = Policy(custom)
    assert policy.allows_v1(OWNER, "plug_attachment", "acme")
    assert not policy.allows_v1(OWNER, "unplug_attachment", "acme")
    assert asked == ["http://policy.test/yes", "http://policy.test/no"]


def test_what_is_remembered_is_forgotten_when_the_policy_file_changes(
    tmp_path: Path,
) -> None:
    """``remembered`` (the attributes a caller may not see, per request kind)
    lasts as long as the rules."""
    import os

    custom = tmp_path / "policy.yaml"
    custom.write_text('"v1:plug_attachment": "rule:admin_or_owner"\n')
    policy = Policy(custom)

    def decide() -> bool:
        return policy.allows_v1(OWNER, "plug_attachment", "acme")

    assert policy.remembered(("plug", OWNER.policy_key), decide)
    assert policy.remembered(("plug", OWNER.policy_key), lambda: False)
    custom.write_text('"v1:plug_attachment": "rule:context_is_admin"\n')
    later = custom.stat().st_mtime + 10
    os.utime(custom, (later, later))
    assert not policy.remembered(("plug", OWNER.policy_key), decide)
