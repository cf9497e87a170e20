# SPDX-License-Identifier: Apache-2.0
"""Security groups and rules through our ``quantum`` command and the client
library, against a running server: Grizzly's commands, options, columns (the rule
list's group names) and the server's messages."""

from __future__ import annotations

import pytest

from quantum.client import errors, transport, v2
from tests.functional.clients.test_quantum_cli import Cli


def _header(table: str) -> list[str]:
    return [c.strip() for c in table.splitlines()[1].strip("|").split("|")]


def test_groups_and_rules_from_create_to_delete(endpoint: str) -> None:
    cli = Cli(endpoint, "cli-secgroups")
    made = cli.run("security-group-create", "web", "--description", "web servers")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("Created a new security_group:\n+")
    web = cli.json("security-group-show", "web")
    assert (web["name"], web["description"]) == ("web", "web servers")
    assert sorted(
        (r["direction"], r["ethertype"]) for r in web["security_group_rules"]
    ) == [("egress", "IPv4"), ("egress", "IPv6")]
    listed = cli.ok("security-group-list")
    assert _header(listed) == ["id", "name", "description"]
    names = sorted(g["name"] for g in cli.json("security-group-list"))
    assert names == ["default", "web"]

    assert cli.ok(
        "security-group-update", "web", "--name", "www", "--description", "www"
    ) == ("Updated security_group: web\n")
    assert cli.json("security-group-show", "www")["description"] == "www"

    rule = cli.json(
        "security-group-rule-create",
        "www",
        "--protocol",
        "tcp",
        "--port-range-min",
        "80",
        "--port-range-max",
        "80",
        "--remote-ip-prefix",
        "0.0.0.0/0",
    )
    assert (rule["security_group_id"], rule["direction"], rule["ethertype"]) == (
        web["id"],
        "ingress",
        "IPv4",
    )
    assert (rule["protocol"], rule["port_range_min"], rule["port_range_max"]) == (
        "tcp",
        80,
        80,
    )
    assert rule["remote_ip_prefix"] == "0.0.0.0/0"
    default = cli.json("security-group-show", "default")["id"]
    grouped = cli.json(
        "security-group-rule-create",
        "www",
        "--ethertype",
        "IPv6",
        "--remote-group-id",
        "default",
    )
    assert (grouped["ethertype"], grouped["remote_group_id"]) == ("IPv6", default)

    table = cli.ok("security-group-rule-list")
    assert _header(table) == [
        "id",
        "security_group",
        "direction",
        "protocol",
        "remote_ip_prefix",
        "remote_group",
    ]
    rows = {r["id"]: r for r in cli.json("security-group-rule-list")}
    assert (rows[rule["id"]]["security_group"], rows[rule["id"]]["protocol"]) == (
        "www",
        "tcp",
    )
    assert rows[grouped["id"]]["remote_group"] == "default"
    plain = cli.ok("security-group-rule-list", "--no-nameconv")
    assert _header(plain) == [
        "id",
        "security_group_id",
        "direction",
        "protocol",
        "remote_ip_prefix",
        "remote_group_id",
    ]
    assert f"| {grouped['id']} | {web['id']} | ingress" in plain
    shown = cli.json("security-group-rule-show", rule["id"])
    assert shown == rule

    again = cli.run(
        "security-group-rule-create",
        "www",
        "--protocol",
        "tcp",
        "--port-range-min",
        "80",
        "--port-range-max",
        "80",
        "--remote-ip-prefix",
        "0.0.0.0/0",
    )
    assert again.returncode == 1
    assert again.stderr.strip()
    assert "Traceback" not in again.stderr
    usage = cli.run("security-group-rule-create", "www", "--direction", "sideways")
    assert usage.returncode == 2

    assert cli.ok("security-group-rule-delete", rule["id"]) == (
        f"Deleted security_group_rule: {rule['id']}\n"
    )
    assert cli.run("security-group-rule-show", rule["id"]).returncode == 1
    assert cli.ok("security-group-delete", "www") == "Deleted security_group: www\n"
    kept = cli.run("security-group-delete", "default")
    assert kept.returncode == 1
    assert kept.stderr.strip()
    assert "Traceback" not in kept.stderr


def test_the_library_calls(endpoint: str) -> None:
    client = v2.Client(transport.without_auth(endpoint, "lib-secgroups"))
    group = client.security_groups.create(name="db")
    assert client.security_groups.find("db")["id"] == group["id"]
    rule = client.security_group_rules.create(
        security_group_id=group["id"],
        direction="ingress",
        protocol="tcp",
        port_range_min=5432,
        port_range_max=5432,
    )
    listed = client.security_group_rules.list(security_group_id=group["id"])
    assert rule["id"] in [r["id"] for r in listed]
    with pytest.raises(TypeError):
        client.security_group_rules.update(rule["id"], protocol="udp")
    with pytest.raises(errors.Conflict):
        client.security_group_rules.create(
            security_group_id=group["id"],
            direction="ingress",
            protocol="tcp",
            port_range_min=5432,
            port_range_max=5432,
        )
    client.security_group_rules.delete(rule["id"])
    assert client.security_groups.update(group["id"], name="pg")["name"] == "pg"
    client.security_groups.delete(group["id"])
    with pytest.raises(errors.NotFound):
        client.security_groups.show(group["id"])


def test_ports_security_groups_and_quotas(endpoint: str) -> None:
    cli = Cli(endpoint, "cli-sg-ports")
    cli.ok("net-create", "sgnet")
    cli.ok("security-group-create", "app")
    cli.ok("security-group-create", "ops")
    default = cli.json("security-group-show", "default")["id"]
    app = cli.json("security-group-show", "app")["id"]
    ops = cli.json("security-group-show", "ops")["id"]
    plain = cli.json("port-create", "sgnet")
    assert plain["security_groups"] == [default]
    port = cli.json(
        "port-create", "--security-group", "app", "--security-group", ops, "sgnet"
    )
    assert sorted(port["security_groups"]) == sorted([app, ops])
    in_use = cli.run("security-group-delete", "app")
    assert in_use.returncode == 1
    assert in_use.stderr.strip()
    cli.ok("port-update", port["id"], "--security-group", "app")
    assert cli.json("port-show", port["id"])["security_groups"] == [app]
    cli.ok("port-update", port["id"], "--no-security-groups")
    assert cli.json("port-show", port["id"])["security_groups"] == []
    both = cli.run(
        "port-update", port["id"], "--security-group", "app", "--no-security-groups"
    )
    assert both.returncode == 1
    cli.ok("security-group-delete", "app")

    admin = Cli(endpoint, None)
    shown = admin.json(
        "quota-update",
        "--tenant-id",
        "cli-sg-ports",
        "--security-group",
        "3",
        "--security-group-rule",
        "40",
    )
    assert (shown["security_group"], shown["security_group_rule"]) == (3, 40)
    cli.ok("security-group-create", "third")  # default, ops, third
    over = cli.run("security-group-create", "fourth")
    assert over.returncode == 1
    assert over.stderr.strip()
    assert "Traceback" not in over.stderr
