# SPDX-License-Identifier: Apache-2.0
"""The dashboard's subnets, ports, quotas and agents pages, pagination and
conditional polls, in a real browser against a real server (see conftest.py)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from quantum.agentapi.ovs import messages as msg
from quantum.agentapi.ovs.client import OvsClient
from quantum.core.status import ReportedStatus
from quantum.testing.server import ServerProcess
from tests.functional.dashboard.conftest import AGENT_SECRET
from tests.functional.dashboard.test_browser import LIVE, PROJECT, call


def log_in(page: Any, project: str = PROJECT, *, admin: bool = False) -> None:
    page.goto("/")
    page.get_by_role("textbox", name="Project").fill(project)
    if admin:
        page.get_by_label("Administrator (noauth: sends the admin role)").check()
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_have_text(f"Logged in to project {project}.")


def make_network(server: ServerProcess, name: str, cidr: str | None = None) -> str:
    status, body = call(server, "POST", "/v2.0/networks", {"network": {"name": name}})
    assert status == 201, body
    network_id: str = body["network"]["id"]
    if cidr:
        subnet = {"network_id": network_id, "cidr": cidr, "ip_version": 4}
        status, body = call(server, "POST", "/v2.0/subnets", {"subnet": subnet})
        assert status == 201, body
    return network_id


def open_page(page: Any, name: str) -> None:
    page.get_by_role("navigation", name="Pages").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name, level=2)).to_be_visible()


def test_subnets_create_edit_delete(page: Any, quantum_server: ServerProcess) -> None:
    make_network(quantum_server, "backend")
    log_in(page)
    open_page(page, "Subnets")
    alert, status_line = page.get_by_role("alert"), page.get_by_role("status")
    form = page.get_by_role("form", name="Create a subnet")

    # Refused by the API: its own words in the alert line, nothing made.
    form.get_by_label("Network", exact=True).select_option(label="backend")
    form.get_by_label("CIDR").fill("10.2.0.0/24")
    form.get_by_label("Allocation pools (one per line: first-last)").fill(
        "10.2.0.90-10.2.0.20"
    )
    form.get_by_role("button", name="Create subnet").click()
    expect(alert).to_have_text(
        "The allocation pool 10.2.0.90-10.2.0.20 is not valid: the end is before "
        "the start"
    )
    assert call(quantum_server, "GET", "/v2.0/subnets")[1] == {"subnets": []}
    # A line that is no pool at all is explained before anything is sent.
    form.get_by_label("Allocation pools (one per line: first-last)").fill("10.2.0.9")
    form.get_by_role("button", name="Create subnet").click()
    expect(alert).to_have_text(
        'Allocation pool "10.2.0.9" is not first-last (e.g. 10.0.0.10-10.0.0.99).'
    )
    page.shots.take("subnet-refused")

    form.get_by_label("Subnet name").fill("db")
    form.get_by_label("Gateway IP (empty: the first address)").fill("10.2.0.254")
    form.get_by_label("Allocation pools (one per line: first-last)").fill(
        "10.2.0.10-10.2.0.19\n10.2.0.30-10.2.0.39"
    )
    form.get_by_label("DNS servers (one per line)").fill("192.0.2.53\n192.0.2.54")
    form.get_by_label("Host routes (one per line: destination next-hop)").fill(
        "10.9.0.0/16 10.2.0.2"
    )
    form.get_by_label("DHCP enabled").uncheck()
    form.get_by_role("button", name="Create subnet").click()
    expect(status_line).to_have_text("Subnet 10.2.0.0/24 created.")
    expect(alert).to_be_empty()
    (subnet,) = call(quantum_server, "GET", "/v2.0/subnets")[1]["subnets"]
    assert subnet["name"] == "db"
    assert subnet["gateway_ip"] == "10.2.0.254"
    assert subnet["allocation_pools"] == [
        {"start": "10.2.0.10", "end": "10.2.0.19"},
        {"start": "10.2.0.30", "end": "10.2.0.39"},
    ]
    assert subnet["dns_nameservers"] == ["192.0.2.53", "192.0.2.54"]
    assert subnet["host_routes"] == [
        {"destination": "10.9.0.0/16", "nexthop": "10.2.0.2"}
    ]
    assert subnet["enable_dhcp"] is False
    row = page.locator(f"#subnet-{subnet['id']}")
    expect(row).to_contain_text("backend")
    expect(row.locator(".pools")).to_have_text(
        "10.2.0.10-10.2.0.19, 10.2.0.30-10.2.0.39"
    )
    expect(row.locator(".dns")).to_have_text("192.0.2.53, 192.0.2.54")
    expect(row.locator(".routes")).to_have_text("10.9.0.0/16 10.2.0.2")
    expect(row.locator(".dhcp")).to_have_text("off")
    page.shots.take("subnet-created")

    # Edit: the dialog holds what is there; only changes are sent.
    row.get_by_role("button", name="Edit subnet db").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("DNS servers (one per line)")).to_have_value(
        "192.0.2.53\n192.0.2.54"
    )
    dialog.get_by_label("DNS servers (one per line)").fill("192.0.2.99")
    dialog.get_by_label("Gateway IP (empty: none)").fill("")
    dialog.get_by_label("Host routes (one per line: destination next-hop)").fill(
        "10.9.0.0/16 10.2.0.3\n10.8.0.0/16 10.2.0.3"
    )
    page.shots.take("subnet-edit")
    dialog.get_by_role("button", name="Save subnet").click()
    expect(status_line).to_have_text("Subnet db saved.")
    expect(row.locator(".dns")).to_have_text("192.0.2.99")
    expect(row.locator(".gateway")).to_have_text("(none)")
    subnet = call(quantum_server, "GET", f"/v2.0/subnets/{subnet['id']}")[1]["subnet"]
    assert subnet["dns_nameservers"] == ["192.0.2.99"]
    assert subnet["gateway_ip"] is None
    assert len(subnet["host_routes"]) == 2

    # An edit the API refuses: its words, nothing changed.
    row.get_by_role("button", name="Edit subnet db").click()
    dialog.get_by_label("Gateway IP (empty: none)").fill("not-an-address")
    dialog.get_by_role("button", name="Save subnet").click()
    expect(alert).not_to_be_empty()
    shown = alert.text_content()
    status, fault = call(
        quantum_server,
        "PUT",
        f"/v2.0/subnets/{subnet['id']}",
        {"subnet": {"gateway_ip": "not-an-address"}},
    )
    assert status == 400
    assert shown == fault["NeutronError"]["message"]
    assert (
        call(quantum_server, "GET", f"/v2.0/subnets/{subnet['id']}")[1]["subnet"][
            "gateway_ip"
        ]
        is None
    )

    # Delete asks first.
    row.get_by_role("button", name="Delete subnet db").click()
    page.get_by_role("button", name="Cancel").click()
    expect(status_line).to_have_text("Subnet db was not deleted.")
    row.get_by_role("button", name="Delete subnet db").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(status_line).to_have_text("Subnet db deleted.")
    expect(page.locator("#subnet-list tbody tr")).to_have_count(0)
    assert call(quantum_server, "GET", "/v2.0/subnets")[1] == {"subnets": []}


def test_ports_list_detail_attach_delete(
    page: Any, quantum_server: ServerProcess
) -> None:
    network_id = make_network(quantum_server, "app", "10.3.0.0/24")
    log_in(page)
    open_page(page, "Ports")
    status_line, alert = page.get_by_role("status"), page.get_by_role("alert")
    form = page.get_by_role("form", name="Create a port")

    form.get_by_label("Network", exact=True).select_option(label="app")
    form.get_by_label("Port name").fill("web1")
    form.get_by_label("Device ID (optional)").fill("vm-17")
    form.get_by_role("button", name="Create port").click()
    expect(status_line).to_have_text("Port web1 created.")
    (port,) = call(quantum_server, "GET", "/v2.0/ports")[1]["ports"]
    assert (port["name"], port["device_id"]) == ("web1", "vm-17")
    row = page.locator(f"#port-row-{port['id']}")
    expect(row).to_contain_text("app")
    expect(row).to_contain_text(port["fixed_ips"][0]["ip_address"])
    expect(row.locator(".device")).to_have_text("vm-17")
    expect(row.locator(".state")).to_have_text("UP")
    expect(row.locator(".status")).to_have_text("DOWN")
    row.get_by_role("button", name="Set port web1 DOWN").click()
    expect(status_line).to_have_text("Port web1 state is now DOWN.")
    expect(row.locator(".state")).to_have_text("DOWN")
    page.shots.take("ports")

    # The detail: fixed IPs, no extension attributes for a member.
    row.get_by_role("button", name="Open port web1").click()
    expect(page.get_by_role("heading", name="Port web1")).to_be_visible()
    expect(page.get_by_role("button", name="Back to ports")).to_be_focused()
    expect(page.locator("#port-ips")).to_contain_text(
        port["fixed_ips"][0]["ip_address"]
    )
    expect(page.locator("#port-fields .mac-address")).to_have_text(port["mac_address"])
    expect(page.locator("#port-extensions")).to_contain_text("None")
    page.get_by_role("button", name="Set port web1 UP").click()
    expect(page.locator("#port-fields .admin-state")).to_have_text("UP")

    # Attach an interface id (the port's v1.1 attachment), detach it.
    expect(page.locator("#attachment")).to_have_text("No interface is attached.")
    expect(page.get_by_role("button", name="Detach interface")).to_be_hidden()
    page.get_by_label("Interface ID").fill("vif-web1")
    page.get_by_role("button", name="Attach interface").click()
    expect(status_line).to_have_text("Interface vif-web1 attached to port web1.")
    expect(page.locator("#attachment")).to_have_text("Interface vif-web1 is attached.")
    path = f"/v1.1/tenants/{PROJECT}/networks/{network_id}/ports/{port['id']}"
    assert call(quantum_server, "GET", path + "/attachment")[1] == {
        "attachment": {"id": "vif-web1"}
    }
    page.shots.take("port-attached")
    # The same interface cannot be plugged twice: the API says so, as it says it.
    status, other = call(
        quantum_server, "POST", "/v2.0/ports", {"port": {"network_id": network_id}}
    )
    assert status == 201
    other_path = (
        f"/v1.1/tenants/{PROJECT}/networks/{network_id}/ports/"
        f"{other['port']['id']}/attachment"
    )
    status, fault = call(
        quantum_server, "PUT", other_path, {"attachment": {"id": "vif-web1"}}
    )
    assert status >= 400, fault
    page.get_by_label("Interface ID").fill("vif-other")
    page.get_by_role("button", name="Attach interface").click()
    status, fault = call(
        quantum_server, "PUT", path + "/attachment", {"attachment": {"id": "vif-x"}}
    )
    assert status == 409, fault
    expect(alert).to_have_text(fault["QuantumError"]["message"])
    page.get_by_role("button", name="Detach interface").click()
    expect(status_line).to_have_text("Interface detached from port web1.")
    expect(page.locator("#attachment")).to_have_text("No interface is attached.")
    assert call(quantum_server, "GET", path + "/attachment")[1] == {"attachment": {}}

    # Delete from the detail, after a confirmation; back on the list.
    page.get_by_role("button", name="Delete port web1").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(status_line).to_have_text("Port web1 deleted.")
    expect(page.get_by_role("heading", name="Ports", level=2)).to_be_visible()
    expect(page.locator("#port-list tbody tr")).to_have_count(1)
    ids = [p["id"] for p in call(quantum_server, "GET", "/v2.0/ports")[1]["ports"]]
    assert ids == [other["port"]["id"]]


def test_port_detail_shows_binding_to_admins_only(
    page: Any, quantum_server: ServerProcess
) -> None:
    network_id = make_network(quantum_server, "bound")
    status, body = call(
        quantum_server,
        "POST",
        "/v2.0/ports",
        {"port": {"network_id": network_id, "name": "b1"}},
    )
    assert status == 201
    port_id = body["port"]["id"]
    status, _ = call(
        quantum_server,
        "PUT",
        f"/v2.0/ports/{port_id}",
        {"port": {"binding:host_id": "h7", "binding:profile": {"k": "v"}}},
        project="",
    )
    assert status == 200

    log_in(page, admin=True)
    page.goto(f"/#/ports/{port_id}")
    expect(page.get_by_role("heading", name="Port b1")).to_be_visible()
    extensions = page.locator("#port-extensions")
    expect(extensions).to_contain_text("binding:host_id")
    expect(extensions).to_contain_text("h7 — Port Binding")
    expect(extensions).to_contain_text("binding:vif_type")
    expect(extensions).to_contain_text('{"k":"v"}')
    page.shots.take("admin-binding")

    # A member of the project sees the port but no binding (positive control above).
    page.get_by_role("button", name="Log out").click()
    log_in(page)
    page.goto(f"/#/ports/{port_id}")
    expect(page.get_by_role("heading", name="Port b1")).to_be_visible()
    expect(extensions).to_contain_text("None")
    expect(extensions).not_to_contain_text("h7")


def test_another_projects_port_is_never_shown(
    page: Any, quantum_server: ServerProcess
) -> None:
    network_id = make_network(quantum_server, "secret-net", "10.4.0.0/24")
    status, body = call(
        quantum_server,
        "POST",
        "/v2.0/ports",
        {"port": {"network_id": network_id, "name": "secret-port"}},
    )
    assert status == 201
    port = body["port"]
    log_in(page, "project-b")
    page.goto(f"/#/ports/{port['id']}")
    alert = page.get_by_role("alert")
    status, fault = call(
        quantum_server, "GET", f"/v2.0/ports/{port['id']}", project="project-b"
    )
    assert status == 404
    expect(alert).to_have_text(fault["NeutronError"]["message"])
    expect(page.get_by_role("heading", name="Ports", level=2)).to_be_visible()
    text = page.locator("body").inner_text()
    for secret in ("secret-port", "secret-net", port["mac_address"], "10.4.0."):
        assert secret not in text
    # Positive control: its own project sees all of it.
    page.get_by_role("button", name="Log out").click()
    log_in(page)
    page.goto(f"/#/ports/{port['id']}")
    expect(page.locator("#port-fields")).to_contain_text(port["mac_address"])
    expect(page.locator("#port-fields")).to_contain_text("secret-net")


def test_quotas_usage_and_admin_edit(page: Any, quantum_server: ServerProcess) -> None:
    make_network(quantum_server, "q1", "10.5.0.0/24")
    log_in(page)
    open_page(page, "Quotas")
    network_row = page.locator("#quota-row-network")
    expect(network_row.locator(".used")).to_have_text("1")
    expect(network_row.locator(".limit")).to_have_text("10")
    expect(page.locator("#quota-row-subnet .used")).to_have_text("1")
    expect(page.get_by_role("button", name="Save limits")).to_be_hidden()
    page.shots.take("quotas-member")

    page.get_by_role("button", name="Log out").click()
    log_in(page, admin=True)
    open_page(page, "Quotas")
    page.get_by_label("Limit of network").fill("1")
    page.get_by_role("button", name="Save limits").click()
    expect(page.get_by_role("status")).to_have_text("Limits saved.")
    quota = call(quantum_server, "GET", f"/v2.0/quotas/{PROJECT}")[1]["quota"]
    assert quota["network"] == 1
    page.shots.take("quotas-admin")

    # The limit holds: the next network is refused in the API's words.
    open_page(page, "Networks")
    page.get_by_label("Network name").fill("q2")
    page.get_by_role("button", name="Create network").click()
    status, fault = call(
        quantum_server, "POST", "/v2.0/networks", {"network": {"name": "q2"}}
    )
    assert status == 409
    expect(page.get_by_role("alert")).to_have_text(fault["NeutronError"]["message"])


def test_agents_for_admins(page: Any, quantum_server: ServerProcess) -> None:
    agent = OvsClient(
        f"http://127.0.0.1:{quantum_server.port}", host="h9", secret=AGENT_SECRET
    )
    try:
        agent.register(msg.HostReport(tunnel_ip=None))
    finally:
        agent.close()

    # A member has no agents page; the API refuses it in its words.
    log_in(page)
    nav = page.get_by_role("navigation", name="Pages")
    expect(nav.get_by_role("link", name="Quotas")).to_be_visible()
    expect(nav.get_by_role("link", name="Agents")).to_be_hidden()
    page.goto("/#/agents")
    status, fault = call(quantum_server, "GET", "/v2.0/agents")
    assert status == 403
    expect(page.get_by_role("alert")).to_have_text(fault["NeutronError"]["message"])
    expect(page.locator("#agents tbody tr")).to_have_count(0)

    page.goto("/#/networks")
    page.get_by_role("button", name="Log out").click()
    log_in(page, admin=True)
    open_page(page, "Agents")
    (listed,) = call(quantum_server, "GET", "/v2.0/agents", project="")[1]["agents"]
    row = page.locator(f"#agent-{listed['id']}")
    expect(row).to_contain_text("h9")
    expect(row).to_contain_text(listed["agent_type"])
    expect(row.locator(".alive")).to_have_text("alive")
    expect(row.locator(".admin")).to_have_text("UP")
    label = f"{listed['agent_type']} on h9"
    # Disabling an agent takes its host out of scheduling.
    row.get_by_role("button", name=f"Set admin DOWN agent {label}").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Agent {label} admin state is now DOWN."
    )
    expect(row.locator(".admin")).to_have_text("DOWN")
    shown = call(quantum_server, "GET", f"/v2.0/agents/{listed['id']}", project="")
    assert shown[1]["agent"]["admin_state_up"] is False
    page.shots.take("agents")
    row.get_by_role("button", name=f"Set admin UP agent {label}").click()
    expect(row.locator(".admin")).to_have_text("UP")
    row.get_by_role("button", name=f"Delete agent {label}").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_have_text(f"Agent {label} deleted.")
    expect(page.locator("#agents tbody tr")).to_have_count(0)
    assert call(quantum_server, "GET", "/v2.0/agents", project="")[1] == {"agents": []}


def test_lists_paginate_with_the_apis_links(
    page: Any, quantum_server: ServerProcess
) -> None:
    quota = {"quota": {"network": 20}}
    assert (
        call(quantum_server, "PUT", f"/v2.0/quotas/{PROJECT}", quota, project="")[0]
        == 200
    )
    names = [f"net-{i:02d}" for i in range(12)]
    ids = [make_network(quantum_server, name) for name in names]
    log_in(page)
    page.get_by_label("Rows per page").select_option("5")
    rows = page.locator("#networks tbody tr")
    pager = page.locator('[data-pager="networks"]')
    expect(rows).to_have_count(5)
    expect(pager).to_contain_text("Page 1")
    expect(pager.get_by_role("button")).to_have_count(1)  # Next only
    shown = rows.all_inner_texts()
    page.get_by_role("button", name="Next page of networks").click()
    expect(pager).to_contain_text("Page 2")
    expect(rows).to_have_count(5)
    shown += rows.all_inner_texts()
    page.get_by_role("button", name="Next page of networks").click()
    expect(pager).to_contain_text("Page 3")
    expect(rows).to_have_count(2)
    shown += rows.all_inner_texts()
    assert sorted(text.split("\t")[0].strip() for text in shown) == names
    expect(page.get_by_role("button", name="Next page of networks")).to_have_count(0)
    page.shots.take("page-3")
    page.get_by_role("button", name="Previous page of networks").click()
    expect(pager).to_contain_text("Page 2")
    expect(rows).to_have_count(5)
    assert rows.all_inner_texts() == shown[5:10]
    page.get_by_role("button", name="Next page of networks").click()
    expect(pager).to_contain_text("Page 3")
    page.get_by_role("button", name="First page of networks").click()
    expect(pager).to_contain_text("Page 1")
    assert rows.all_inner_texts() == shown[:5]
    expect(page.get_by_role("button", name="Previous page of networks")).to_have_count(
        0
    )

    # Ten networks fill two pages exactly: no Next on the second (no empty page).
    for network_id in sorted(ids)[-2:]:
        assert call(quantum_server, "DELETE", f"/v2.0/networks/{network_id}")[0] == 204
    page.get_by_role("button", name="Next page of networks").click()
    expect(pager).to_contain_text("Page 2")
    expect(rows).to_have_count(5)
    expect(page.get_by_role("button", name="Next page of networks")).to_have_count(0)


def test_idle_polls_are_answered_304(page: Any, quantum_server: ServerProcess) -> None:
    make_network(quantum_server, "quiet")
    statuses: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda response: statuses.append((response.url, response.status)),
    )
    log_in(page)
    expect(page.locator("#networks tbody tr")).to_have_count(1)
    page.wait_for_timeout(3000)  # NOTE: not time.sleep: events arrive while waiting
    polls = [s for url, s in statuses if re.search(r"/v2\.0/networks\?", url)]
    assert polls.count(304) >= 2, statuses
    # A change is a 200 again and shows (positive control: not stuck on 304s).
    network_id = make_network(quantum_server, "loud")
    expect(page.locator(f"#network-{network_id}")).to_be_visible(timeout=LIVE)


def test_every_page_is_labelled(page: Any, quantum_server: ServerProcess) -> None:
    network_id = make_network(quantum_server, "a11y", "10.6.0.0/24")
    status, body = call(
        quantum_server, "POST", "/v2.0/ports", {"port": {"network_id": network_id}}
    )
    assert status == 201
    port_id = body["port"]["id"]
    status, body = call(
        quantum_server, "POST", "/v2.0/routers", {"router": {"name": "a11y"}}
    )
    assert status == 201
    router_id = body["router"]["id"]
    status, body = call(
        quantum_server,
        "POST",
        "/v2.0/security-groups",
        {"security_group": {"name": "a11y"}},
    )
    assert status == 201
    group_id = body["security_group"]["id"]
    log_in(page, admin=True)
    for hash_ in (
        "#/networks",
        f"#/networks/{network_id}",
        "#/subnets",
        "#/ports",
        f"#/ports/{port_id}",
        "#/routers",
        f"#/routers/{router_id}",
        "#/floatingips",
        "#/security-groups",
        f"#/security-groups/{group_id}",
        "#/quotas",
        "#/agents",
    ):
        page.goto(f"/{hash_}")
        # Keyboard focus moves into the page just opened.
        expect(page.locator("section:not([hidden]) :focus")).to_have_count(1)
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea')]
                  .filter(e => !e.labels || e.labels.length === 0)
                  .filter(e => !e.getAttribute('aria-label')).map(e => e.id)"""
        )
        assert unlabelled == [], hash_
        nameless = page.evaluate(
            """() => [...document.querySelectorAll('button, a')]
                  .filter(b => !(b.getAttribute('aria-label') || b.textContent.trim()))
                  .map(b => b.outerHTML)"""
        )
        assert nameless == [], hash_
        current = page.get_by_role("navigation", name="Pages").locator(
            "[aria-current=page]"
        )
        expect(current).to_have_count(1)


def test_the_external_network_is_drawn_apart(
    page: Any, quantum_server: ServerProcess
) -> None:
    status, body = call(
        quantum_server,
        "POST",
        "/v2.0/networks",
        {"network": {"name": "public", "router:external": True, "tenant_id": "ops"}},
        project="",
    )
    assert status == 201, body
    public = body["network"]["id"]
    own = make_network(quantum_server, "own")
    log_in(page)
    expect(page.locator(f"#network-{public} .kind")).to_have_text(" external")
    expect(page.locator(f"#network-{own} .kind")).to_have_count(0)
    picture = page.locator("#topology")
    expect(picture.locator(f'[data-network="{public}"]')).to_have_class(
        "network external"
    )
    expect(picture.locator(f'[data-network="{public}"] text')).to_have_text(
        "public (ACTIVE, external)"
    )
    expect(picture.locator(f'[data-network="{own}"]')).to_have_class("network")
    page.shots.take("external")


def test_subnets_and_ports_by_keyboard_alone(
    page: Any, quantum_server: ServerProcess
) -> None:
    network_id = make_network(quantum_server, "keys")
    log_in(page)
    expect(page.get_by_label("Network name")).to_be_focused()  # where a login lands
    nav = page.get_by_role("navigation", name="Pages")
    nav.get_by_role("link", name="Subnets").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Subnets", level=2)).to_be_focused()
    expect(nav.get_by_role("link", name="Subnets")).to_have_attribute(
        "aria-current", "page"
    )
    form = page.get_by_role("form", name="Create a subnet")
    form.get_by_label("Network", exact=True).focus()
    page.keyboard.press("Tab")
    expect(form.get_by_label("Subnet name")).to_be_focused()
    page.keyboard.type("kb-subnet")
    page.keyboard.press("Tab")
    page.keyboard.type("10.7.0.0/24")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Subnet 10.7.0.0/24 created.")
    edit = page.get_by_role("button", name="Edit subnet kb-subnet")
    edit.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("dialog").get_by_label("Subnet name")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    expect(page.get_by_role("status")).to_have_text("Subnet kb-subnet was not changed.")
    expect(edit).to_be_focused()

    # The ports list follows an agent's report within 2 s, without a reload.
    status, body = call(
        quantum_server,
        "POST",
        "/v2.0/ports",
        {"port": {"network_id": network_id, "name": "live"}},
    )
    assert status == 201
    port_id = body["port"]["id"]
    nav.get_by_role("link", name="Ports").focus()
    page.keyboard.press("Enter")
    row = page.locator(f"#port-row-{port_id}")
    expect(row.locator(".status")).to_have_text("DOWN")
    agent = OvsClient(
        f"http://127.0.0.1:{quantum_server.port}", host="h3", secret=AGENT_SECRET
    )
    try:
        agent.register(msg.HostReport(tunnel_ip=None))
        agent.report_status([msg.PortStatus(port_id=port_id, status=ReportedStatus.UP)])
    finally:
        agent.close()
    expect(row.locator(".status")).to_have_text("ACTIVE", timeout=LIVE)
    page.shots.take("ports-live")


def test_an_edit_never_overwrites_a_change_made_meanwhile(
    page: Any, quantum_server: ServerProcess
) -> None:
    make_network(quantum_server, "race", "10.8.0.0/24")
    (subnet,) = call(quantum_server, "GET", "/v2.0/subnets")[1]["subnets"]
    log_in(page)
    open_page(page, "Subnets")
    row = page.locator(f"#subnet-{subnet['id']}")
    row.get_by_role("button", name="Edit subnet 10.8.0.0/24").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("DNS servers (one per line)").fill("192.0.2.1")
    # Meanwhile somebody else names it.
    status, body = call(
        quantum_server,
        "PUT",
        f"/v2.0/subnets/{subnet['id']}",
        {"subnet": {"name": "theirs"}},
    )
    assert status == 200
    dialog.get_by_role("button", name="Save subnet").click()
    status, fault = call(
        quantum_server,
        "PUT",
        f"/v2.0/subnets/{subnet['id']}",
        {"subnet": {"dns_nameservers": ["192.0.2.1"]}},
        headers={"If-Match": f"revision_number={subnet['revision_number']}"},
    )
    assert status == 412
    expect(page.get_by_role("alert")).to_contain_text(fault["NeutronError"]["message"])
    page.shots.take("edit-refused")
    now = call(quantum_server, "GET", f"/v2.0/subnets/{subnet['id']}")[1]["subnet"]
    assert (now["name"], now["dns_nameservers"]) == ("theirs", [])
    # Looking again (the row shows their change) and retrying works.
    row.get_by_role("button", name="Edit subnet theirs").click()
    dialog.get_by_label("DNS servers (one per line)").fill("192.0.2.1")
    dialog.get_by_role("button", name="Save subnet").click()
    expect(page.get_by_role("status")).to_have_text("Subnet theirs saved.")
    now = call(quantum_server, "GET", f"/v2.0/subnets/{subnet['id']}")[1]["subnet"]
    assert (now["name"], now["dns_nameservers"]) == ("theirs", ["192.0.2.1"])
