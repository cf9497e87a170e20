# SPDX-License-Identifier: Apache-2.0
"""The dashboard's security groups page and a group's rules in a real browser
against a real server (see conftest.py); each step is checked in the API too."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from quantum.testing.server import ServerProcess
from tests.functional.dashboard.test_browser import call
from tests.functional.dashboard.test_pages import log_in, open_page


def groups_in_api(server: ServerProcess, project: str = "project-a") -> dict[str, Any]:
    status, body = call(server, "GET", "/v2.0/security-groups", project=project)
    assert status == 200, body
    return {group["name"]: group for group in body["security_groups"]}


def rule_fields(rule: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(
        rule[key]
        for key in (
            "direction",
            "ethertype",
            "protocol",
            "port_range_min",
            "port_range_max",
            "remote_ip_prefix",
            "remote_group_id",
        )
    )


def test_security_groups_create_edit_delete(
    page: Any, quantum_server: ServerProcess
) -> None:
    log_in(page)
    open_page(page, "Security groups")
    status_line, alert = page.get_by_role("status"), page.get_by_role("alert")
    # Listing the groups makes the project's default group (the API's rule).
    default = groups_in_api(quantum_server)["default"]
    default_row = page.locator(f"#secgroup-{default['id']}")
    expect(default_row.locator(".rules")).to_have_text("4")

    form = page.get_by_role("form", name="Create a security group")
    form.get_by_label("Group name").fill("web")
    form.get_by_label("Description").fill("web servers")
    form.get_by_role("button", name="Create security group").click()
    expect(status_line).to_have_text("Security group web created.")
    web = groups_in_api(quantum_server)["web"]
    assert web["description"] == "web servers"
    row = page.locator(f"#secgroup-{web['id']}")
    expect(row.locator(".description")).to_have_text("web servers")
    expect(row.locator(".rules")).to_have_text("2")  # egress anywhere, v4 and v6

    # A second "default" is refused in the API's words.
    form.get_by_label("Group name").fill("default")
    form.get_by_role("button", name="Create security group").click()
    status, fault = call(
        quantum_server,
        "POST",
        "/v2.0/security-groups",
        {"security_group": {"name": "default"}},
    )
    assert status == 409, fault
    expect(alert).to_have_text(fault["NeutronError"]["message"])
    assert sorted(groups_in_api(quantum_server)) == ["default", "web"]

    # Edit name and description.
    row.get_by_role("button", name="Edit security group web").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Group name")).to_have_value("web")
    dialog.get_by_label("Group name").fill("www")
    dialog.get_by_label("Description").fill("front end")
    dialog.get_by_role("button", name="Save security group").click()
    expect(status_line).to_have_text("Security group www saved.")
    expect(row.locator(".description")).to_have_text("front end")
    assert groups_in_api(quantum_server)["www"]["description"] == "front end"
    page.shots.take("groups")

    # The default group can be neither renamed nor deleted: the API's words.
    default_row.get_by_role("button", name="Edit security group default").click()
    dialog.get_by_label("Group name").fill("mine")
    dialog.get_by_role("button", name="Save security group").click()
    status, fault = call(
        quantum_server,
        "PUT",
        f"/v2.0/security-groups/{default['id']}",
        {"security_group": {"name": "mine"}},
    )
    assert status == 409, fault
    expect(alert).to_have_text(fault["NeutronError"]["message"])
    default_row.get_by_role("button", name="Delete security group default").click()
    dialog.get_by_role("button", name="Delete").click()
    status, fault = call(
        quantum_server, "DELETE", f"/v2.0/security-groups/{default['id']}"
    )
    assert status == 409, fault
    expect(alert).to_have_text(fault["NeutronError"]["message"])
    assert sorted(groups_in_api(quantum_server)) == ["default", "www"]
    page.shots.take("default-refused")

    # A group a port is in cannot go (409); the port gone, it can.
    (network,) = call(
        quantum_server, "POST", "/v2.0/networks", {"network": {"name": "n"}}
    )[1].values()
    port = {"network_id": network["id"], "security_groups": [web["id"]]}
    status, body = call(quantum_server, "POST", "/v2.0/ports", {"port": port})
    assert status == 201, body
    row.get_by_role("button", name="Delete security group www").click()
    dialog.get_by_role("button", name="Delete").click()
    status, fault = call(quantum_server, "DELETE", f"/v2.0/security-groups/{web['id']}")
    assert status == 409, fault
    expect(alert).to_have_text(fault["NeutronError"]["message"])
    port_id = body["port"]["id"]
    assert call(quantum_server, "DELETE", f"/v2.0/ports/{port_id}")[0] == 204
    row.get_by_role("button", name="Delete security group www").click()
    dialog.get_by_role("button", name="Delete").click()
    expect(status_line).to_have_text("Security group www deleted.")
    expect(row).to_have_count(0)
    assert sorted(groups_in_api(quantum_server)) == ["default"]


def test_security_group_rules_add_refuse_delete(
    page: Any, quantum_server: ServerProcess
) -> None:
    status, body = call(
        quantum_server,
        "POST",
        "/v2.0/security-groups",
        {"security_group": {"name": "web", "description": "web servers"}},
    )
    assert status == 201, body
    web = body["security_group"]
    default = groups_in_api(quantum_server)["default"]
    log_in(page)
    open_page(page, "Security groups")
    page.get_by_role("button", name="Open security group web").click()
    expect(page.get_by_role("heading", name="Security group web")).to_be_visible()
    expect(page.get_by_role("button", name="Back to security groups")).to_be_focused()
    rules = page.locator("#rules tbody tr")
    expect(rules).to_have_count(2)
    status_line, alert = page.get_by_role("status"), page.get_by_role("alert")
    form = page.get_by_role("form", name="Add a rule")
    beside = form.locator("#rule-error")

    def refused(rule: dict[str, Any]) -> None:
        """The page shows the API's refusal of ``rule``, on the form and in the
        alert line, and nothing was added."""
        body = {"security_group_rule": {"security_group_id": web["id"], **rule}}
        status, fault = call(quantum_server, "POST", "/v2.0/security-group-rules", body)
        assert status == 400, fault
        message = fault["NeutronError"]["message"]
        expect(beside).to_have_text(message)
        expect(alert).to_have_text(message)
        now = call(quantum_server, "GET", f"/v2.0/security-groups/{web['id']}")[1]
        assert len(now["security_group"]["security_group_rules"]) == 2

    # A port range upside down.
    form.get_by_label("Protocol (empty: any)").fill("tcp")
    form.get_by_label("Port range min, or ICMP type").fill("90")
    form.get_by_label("Port range max, or ICMP code").fill("80")
    form.get_by_role("button", name="Add rule").click()
    refused(
        {
            "direction": "ingress",
            "protocol": "tcp",
            "port_range_min": 90,
            "port_range_max": 80,
        }
    )
    page.shots.take("rule-refused")
    # An ICMP code without a type.
    form.get_by_label("Protocol (empty: any)").fill("icmp")
    form.get_by_label("Port range min, or ICMP type").fill("")
    form.get_by_label("Port range max, or ICMP code").fill("3")
    form.get_by_role("button", name="Add rule").click()
    refused({"direction": "ingress", "protocol": "icmp", "port_range_max": 3})
    # A prefix and a remote group together.
    form.get_by_label("Port range max, or ICMP code").fill("")
    form.get_by_label("Protocol (empty: any)").fill("tcp")
    form.get_by_label("Remote IP prefix (CIDR)").fill("10.0.0.0/8")
    form.get_by_label("or remote group").select_option(label="default")
    form.get_by_role("button", name="Add rule").click()
    refused(
        {
            "direction": "ingress",
            "protocol": "tcp",
            "remote_ip_prefix": "10.0.0.0/8",
            "remote_group_id": default["id"],
        }
    )
    # A prefix that is no CIDR.
    form.get_by_label("or remote group").select_option(label="(none)")
    form.get_by_label("Remote IP prefix (CIDR)").fill("bogus")
    form.get_by_role("button", name="Add rule").click()
    refused({"direction": "ingress", "protocol": "tcp", "remote_ip_prefix": "bogus"})

    # Accepted: TCP 443 from a prefix; the form's error line is cleared.
    form.get_by_label("Protocol (empty: any)").fill("tcp")
    form.get_by_label("Port range min, or ICMP type").fill("443")
    form.get_by_label("Port range max, or ICMP code").fill("443")
    form.get_by_label("Remote IP prefix (CIDR)").fill("192.0.2.7/24")
    form.get_by_role("button", name="Add rule").click()
    expect(status_line).to_have_text(
        "Rule ingress IPv4 tcp 443 192.0.2.0/24 added to security group web."
    )
    expect(beside).to_be_empty()
    expect(rules).to_have_count(3)
    # ICMPv6 echo requests from the default group's ports.
    form.get_by_label("Ether type").select_option("IPv6")
    form.get_by_label("Protocol (empty: any)").fill("icmpv6")
    form.get_by_label("Port range min, or ICMP type").fill("128")
    form.get_by_label("Port range max, or ICMP code").fill("0")
    form.get_by_label("or remote group").select_option(label="default")
    form.get_by_role("button", name="Add rule").click()
    expect(status_line).to_have_text(
        "Rule ingress IPv6 icmpv6 type 128 code 0 group default added to security "
        "group web."
    )
    expect(rules).to_have_count(4)
    now = call(quantum_server, "GET", f"/v2.0/security-groups/{web['id']}")[1]
    made = {rule_fields(rule) for rule in now["security_group"]["security_group_rules"]}
    assert ("ingress", "IPv4", "tcp", 443, 443, "192.0.2.0/24", None) in made
    assert ("ingress", "IPv6", "icmpv6", 128, 0, None, default["id"]) in made
    icmp_row = page.locator("#rules tbody tr", has_text="icmpv6")
    expect(icmp_row.locator(".range")).to_have_text("type 128 code 0")
    expect(icmp_row.locator(".remote")).to_have_text("group default")
    page.shots.take("rules")

    # The same rule again: 409 in the API's words.
    form.get_by_label("Protocol (empty: any)").fill("tcp")
    form.get_by_label("Port range min, or ICMP type").fill("443")
    form.get_by_label("Port range max, or ICMP code").fill("443")
    form.get_by_label("Remote IP prefix (CIDR)").fill("192.0.2.0/24")
    form.get_by_role("button", name="Add rule").click()
    expect(beside).to_contain_text("exists")
    expect(rules).to_have_count(4)

    # Delete a rule.
    page.get_by_role(
        "button", name="Delete rule ingress IPv4 tcp 443 192.0.2.0/24"
    ).click()
    expect(status_line).to_have_text("Rule ingress IPv4 tcp 443 192.0.2.0/24 deleted.")
    expect(rules).to_have_count(3)
    now = call(quantum_server, "GET", f"/v2.0/security-groups/{web['id']}")[1]
    made = {rule_fields(rule) for rule in now["security_group"]["security_group_rules"]}
    assert ("ingress", "IPv4", "tcp", 443, 443, "192.0.2.0/24", None) not in made
    assert len(made) == 3

    # Delete the group from its page: back on the list.
    page.get_by_role("button", name="Delete security group web").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(status_line).to_have_text("Security group web deleted.")
    expect(page.get_by_role("heading", name="Security groups", level=2)).to_be_visible()
    assert sorted(groups_in_api(quantum_server)) == ["default"]


def test_another_projects_group_is_never_shown(
    page: Any, quantum_server: ServerProcess
) -> None:
    status, body = call(
        quantum_server,
        "POST",
        "/v2.0/security-groups",
        {"security_group": {"name": "secret-group", "description": "hush"}},
    )
    assert status == 201
    group_id = body["security_group"]["id"]
    log_in(page, "project-b")
    page.goto(f"/#/security-groups/{group_id}")
    status, fault = call(
        quantum_server,
        "GET",
        f"/v2.0/security-groups/{group_id}",
        project="project-b",
    )
    assert status == 404
    expect(page.get_by_role("alert")).to_have_text(fault["NeutronError"]["message"])
    expect(page.get_by_role("heading", name="Security groups", level=2)).to_be_visible()
    expect(page.locator("#secgroup-list tbody tr")).to_have_count(1)  # its default
    text = page.locator("body").inner_text()
    assert "secret-group" not in text
    assert "hush" not in text
    # Positive control: its own project sees it.
    page.get_by_role("button", name="Log out").click()
    log_in(page)
    page.goto(f"/#/security-groups/{group_id}")
    expect(page.locator("#secgroup-fields")).to_contain_text("hush")
