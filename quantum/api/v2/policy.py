# SPDX-License-Identifier: Apache-2.0
"""The v2.0 authorization rules (spec §2), registered with the process's oslo.policy
engine (``quantum.api.policy.Policy``) when the v2 app is built.

Actions are ``<verb>_<resource>`` (``create_network``, ``get_port``...) and, for
attributes that need more than the resource's rule, ``<verb>_<resource>:<attribute>``:
``admin_only`` attributes (provider, binding) for every verb including ``get``, and
``set_by_admin`` ones (``shared``, ``router:external``) when they are written, and
attributes with their own ``policy`` (a port's ``mac_address``, ``fixed_ips`` and
reserved ``device_owner``: ``admin_or_network_owner``, against a target the
controller gives the network's owner as ``network_tenant_id``). A
member action's rule is its name (``add_router_interface``), checked against the
item; one that is not a GET also needs ``not rule:read_only`` (it is a write). The
target is the resource as the view shows it, with ``project_id`` beside
``tenant_id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from oslo_policy import policy as oslo_policy

from quantum.api.policy import OWNER_WRITER, WRITER
from quantum.api.v2.attributes import Resource

ADMIN_ONLY = "rule:context_is_admin"
OWNER = "rule:admin_or_owner"

BASE: tuple[oslo_policy.RuleDefault, ...] = (
    oslo_policy.RuleDefault("admin_only", ADMIN_ONLY, "v2.0: administrators only."),
    oslo_policy.RuleDefault(
        "shared", "True:%(shared)s", "v2.0: the target network is shared."
    ),
    oslo_policy.RuleDefault(
        "external",
        "True:%(router:external)s",
        "v2.0: the target network is external.",
    ),
    oslo_policy.RuleDefault(
        "admin_or_network_owner",
        "rule:context_is_admin or project_id:%(network_tenant_id)s",
        "v2.0: an administrator, or the owner of the target's network.",
    ),
    oslo_policy.RuleDefault("get_quotas", "rule:admin_only", "v2.0: list quotas."),
)

READ_RULES = {
    "network": f"{OWNER} or rule:shared or rule:external",
    "subnet": f"{OWNER} or rule:shared",
}
"""``get_<resource>`` where it is not ``admin_or_owner``."""


def rules(resources: Iterable[Resource]) -> list[oslo_policy.RuleDefault]:
    """The default rules of the v2 API serving ``resources``."""
    found = list(BASE)
    for resource in resources:
        name = resource.name
        admin = "rule:admin_only" if resource.admin_only else None
        defaults = {
            "create": admin or WRITER,
            "get": admin or READ_RULES.get(name, OWNER),
            "update": admin or OWNER_WRITER,
            "delete": admin or OWNER_WRITER,
            **resource.rules,
        }
        if not resource.creatable:
            del defaults["create"]
        found += [
            oslo_policy.RuleDefault(f"{verb}_{name}", rule, f"v2.0: {verb} a {name}.")
            for verb, rule in defaults.items()
        ]
        found += [
            oslo_policy.RuleDefault(
                action.name,
                # NOTE: readers read and nothing else: a member action that is
                # not a GET is a write, whatever rule its resource declared.
                action.rule
                if action.method == "GET"
                else f"({action.rule}) and {WRITER}",
                f"v2.0: {action.name} on a {name}.",
            )
            for action in resource.actions
            if action.rule is not None
        ]
        for field in resource.fields:
            verbs: Sequence[str] = ()
            if field.admin_only:
                verbs = ("create", "update", "get")
            elif field.set_by_admin:
                verbs = ("create", "update")
            if field.policy is not None:
                verbs = ("create", "update") if field.on_update else ("create",)
                for verb in verbs:
                    found.append(
                        oslo_policy.RuleDefault(
                            f"{verb}_{name}:{field.name}",
                            field.policy,
                            f"v2.0: {verb} {name} giving {field.name}.",
                        )
                    )
                continue
            for verb in verbs:
                found.append(
                    oslo_policy.RuleDefault(
                        f"{verb}_{name}:{field.name}",
                        "rule:admin_only",
                        f"v2.0: {verb} {name} attribute {field.name}.",
                    )
                )
    return found
