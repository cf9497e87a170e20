# SPDX-License-Identifier: Apache-2.0
"""The openstack CLI's security group commands against a Keystone-authenticated
server: ``security group create/list/show/set/delete``, ``security group rule
create/list/delete``, ``port create --security-group`` and ``port set
--no-security-group --disable-port-security``, and the server's refusals as the
CLI shows them."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from tests.functional.clients.conftest import Openstack

DOC = (Path(__file__).resolve().parents[3] / "docs" / "security-groups.md").read_text()


def test_openstack_security_groups_rules_and_ports(openstack_user: Openstack) -> None:
    demo = openstack_user
    net = demo.json("network", "create", "sg-net")["id"]
    made: list[str] = []
    try:
        web = demo.json("security", "group", "create", "web", "--description", "w")
        made.append(web["id"])
        assert (web["name"], web["description"]) == ("web", "w")
        listed = {row["Name"]: row for row in demo.json("security", "group", "list")}
        assert set(listed) == {"default", "web"}
        rule = demo.json(
            "security", "group", "rule", "create", "--protocol", "tcp",
            "--dst-port", "22", "--remote-ip", "10.1.0.0/16", "web",
        )  # fmt: skip
        assert (rule["protocol"], rule["port_range_min"], rule["port_range_max"]) == (
            "tcp",
            22,
            22,
        )
        assert (rule["direction"], rule["ether_type"]) == ("ingress", "IPv4"), rule
        assert rule["remote_ip_prefix"] == "10.1.0.0/16"
        icmp = demo.json(
            "security", "group", "rule", "create", "--protocol", "icmp",
            "--icmp-type", "8", "--icmp-code", "0", "--egress", "web",
        )  # fmt: skip
        assert (icmp["port_range_min"], icmp["port_range_max"]) == (8, 0)
        again = demo.run(
            "security", "group", "rule", "create", "--protocol", "tcp",
            "--dst-port", "22", "--remote-ip", "10.1.0.0/16", "web",
        )  # fmt: skip
        assert again.returncode != 0
        assert "Security group rule already exists" in again.stderr
        rows = demo.json("security", "group", "rule", "list", "web")
        assert len(rows) == 4
        assert {row["IP Protocol"] for row in rows} == {None, "tcp", "icmp"}

        port = demo.json(
            "port", "create", "--network", "sg-net", "--security-group", "web", "p1"
        )
        assert port["security_group_ids"] == [web["id"]]
        assert port["port_security_enabled"] is True
        in_use = demo.run("security", "group", "delete", "web")
        assert in_use.returncode != 0
        assert f"Security Group {web['id']} in use" in in_use.stderr
        demo.ok(
            "port", "set", "--no-security-group", "--disable-port-security", port["id"]
        )
        shown = demo.json("port", "show", port["id"])
        assert (shown["security_group_ids"], shown["port_security_enabled"]) == (
            [],
            False,
        )
        demo.ok("port", "delete", port["id"])
        default = listed["default"]["ID"]
        refused = demo.run("security", "group", "delete", default)
        assert refused.returncode != 0
        assert "Insufficient rights for removing default security group" in (
            refused.stderr
        )
        demo.ok("security", "group", "set", "--name", "web2", "web")
        assert demo.json("security", "group", "show", "web2")["id"] == web["id"]
        demo.ok("security", "group", "rule", "delete", rule["id"])
        demo.ok("security", "group", "delete", "web2")
        made.remove(web["id"])
    finally:
        for group_id in made:
            demo.run("security", "group", "delete", group_id)
        demo.ok("network", "delete", net)


def test_the_docs_console_block_runs_as_printed(openstack_user: Openstack) -> None:
    """docs/security-groups.md's commands, each ``$`` line as printed."""
    demo = openstack_user
    (block,) = re.findall(r"```console\n(.*?)```", DOC, flags=re.DOTALL)
    lines = [line[2:] for line in block.splitlines() if line.startswith("$ ")]
    assert len(lines) == 3
    net = demo.json("network", "create", "net1")["id"]
    try:
        for line in lines:
            words = shlex.split(line)
            assert words[0] == "openstack"
            demo.ok(*words[1:])
        port = demo.json("port", "show", "web-1")
        group = demo.json("security", "group", "show", "web")
        assert port["security_group_ids"] == [group["id"]]
        assert [r["port_range_min"] for r in group["rules"] if r["protocol"]] == [443]
    finally:
        demo.run("port", "delete", "web-1")
        demo.run("security", "group", "delete", "web")
        demo.ok("network", "delete", net)
