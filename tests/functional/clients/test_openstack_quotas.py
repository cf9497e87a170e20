# SPDX-License-Identifier: Apache-2.0
"""The openstack CLI's quota commands against a Keystone-authenticated server:
``quota set`` (which sends ``check_limit``, or ``force`` with ``--force``),
``quota list``, ``quota show`` with ``--usage`` and ``--default``, ``quota delete``."""

from __future__ import annotations

from typing import Any

from tests.functional.clients.conftest import Openstack


def _limits(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {row["Resource"]: row for row in rows}


def test_openstack_quota_set_list_show_and_delete(
    openstack_admin: Openstack, openstack_user: Openstack, cloud: dict[str, str]
) -> None:
    admin, demo = openstack_admin, openstack_user
    project = cloud["project_id"]
    nets = [demo.json("network", "create", f"quota-{i}")["id"] for i in range(2)]
    try:
        below = admin.run("quota", "set", "--networks", "1", "demo")
        assert below.returncode != 0
        assert "Quota limit 1 for network is below its current usage of 2" in (
            below.stderr
        )
        shown = _limits(admin.json("quota", "show", "--network", "demo"))
        assert shown["networks"]["Limit"] == 10  # nothing written

        admin.ok("quota", "set", "--networks", "5", "--ports", "20", "demo")
        listed = {
            row["Project ID"]: row for row in admin.json("quota", "list", "--network")
        }
        assert (listed[project]["Networks"], listed[project]["Ports"]) == (5, 20)
        assert listed[project]["Subnets"] == 10

        usage = _limits(demo.json("quota", "show", "--usage", "--network"))
        assert usage["networks"] == {
            "Resource": "networks",
            "Limit": 5,
            "In Use": 2,
            "Reserved": 0,
        }
        assert (usage["ports"]["Limit"], usage["ports"]["In Use"]) == (20, 0)
        default = _limits(admin.json("quota", "show", "--default", "--network", "demo"))
        assert (default["networks"]["Limit"], default["ports"]["Limit"]) == (10, 50)

        admin.ok("quota", "set", "--force", "--networks", "1", "demo")
        refused = demo.run("network", "create", "one-too-many")
        assert refused.returncode != 0
        assert "Quota exceeded for resources: network" in refused.stderr

        admin.ok("quota", "delete", "--network", "demo")
        listed = admin.json("quota", "list", "--network")
        assert project not in {row["Project ID"] for row in listed}
    finally:
        for net in nets:
            demo.ok("network", "delete", net)
