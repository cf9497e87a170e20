# SPDX-License-Identifier: Apache-2.0
"""The dashboard in a real browser against a real server (see conftest.py)."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect

from quantum.agentapi.ovs import messages as msg
from quantum.agentapi.ovs.client import OvsClient
from quantum.core.status import ReportedStatus
from quantum.testing.server import ServerProcess
from tests.functional.dashboard.conftest import AGENT_SECRET

PROJECT = "project-a"
LIVE = 2000
"""ms: a change made outside the page shows without a reload within this."""


def call(
    server: ServerProcess,
    method: str,
    path: str,
    body: object = None,
    project: str = PROJECT,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    conn = server.connection()
    try:
        headers = {
            "X-Project-Id": project,
            "Content-Type": "application/json",
            **(headers or {}),
        }
        conn.request(
            method, path, json.dumps(body) if body is not None else None, headers
        )
        answer = conn.getresponse()
        raw = answer.read()
        return answer.status, json.loads(raw) if raw.strip() else None
    finally:
        conn.close()


def log_in(page: Any, project: str = PROJECT) -> None:
    page.goto("/")
    page.get_by_role("textbox", name="Project").fill(project)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("status")).to_have_text(f"Logged in to project {project}.")


def test_network_port_lifecycle(page: Any, quantum_server: ServerProcess) -> None:
    log_in(page)
    page.shots.take("logged-in")

    page.get_by_label("Network name").fill("web")
    page.get_by_label("Subnet CIDR (optional)").fill("10.1.0.0/24")
    page.get_by_role("button", name="Create network").click()
    expect(page.get_by_role("status")).to_have_text(
        "Network web created with subnet 10.1.0.0/24."
    )
    row = page.locator("#networks tbody tr", has_text="web")
    expect(row.locator(".ports")).to_have_text("0 (0 used, 0 available)")
    expect(row.locator(".status")).to_have_text("ACTIVE")
    topology = page.locator("#topology")
    expect(topology.locator("text", has_text="web")).to_be_visible()
    page.shots.take("network-created")

    # The network is the project's, made through the public API only.
    status, body = call(quantum_server, "GET", "/v2.0/networks")
    assert status == 200
    (network,) = body["networks"]
    status, body = call(
        quantum_server, "GET", f"/v2.0/subnets?network_id={network['id']}"
    )
    assert [s["cidr"] for s in body["subnets"]] == ["10.1.0.0/24"]
    # ... and invisible to another project (positive control: project-a sees it).
    assert call(quantum_server, "GET", "/v2.0/networks", project="project-b")[1] == {
        "networks": []
    }

    # A port created from the Ports page shows in the networks list and the picture.
    page.get_by_role("navigation", name="Pages").get_by_role(
        "link", name="Ports"
    ).click()
    expect(page.get_by_role("heading", name="Ports", level=2)).to_be_visible()
    form = page.get_by_role("form", name="Create a port")
    form.get_by_label("Network", exact=True).select_option(label="web")
    form.get_by_label("Port name").fill("vm1")
    form.get_by_label("Device ID (optional)").fill("vm-1")
    form.get_by_role("button", name="Create port").click()
    expect(page.get_by_role("status")).to_have_text("Port vm1 created.")
    (port,) = call(quantum_server, "GET", "/v2.0/ports")[1]["ports"]
    assert (port["name"], port["device_id"], port["network_id"]) == (
        "vm1",
        "vm-1",
        network["id"],
    )
    page.shots.take("port-created")
    page.get_by_role("navigation", name="Pages").get_by_role(
        "link", name="Networks"
    ).click()
    expect(row.locator(".ports")).to_have_text("1 (1 used, 0 available)")
    dot = topology.locator(f'[data-port="{port["id"]}"]')
    expect(dot).to_have_attribute("data-admin", "UP")
    expect(dot).to_have_attribute("data-status", "DOWN")

    # The agent of the host the port is wired on reports it UP: the picture's dot
    # turns ACTIVE within 2 s, no reload.
    agent = OvsClient(
        f"http://127.0.0.1:{quantum_server.port}", host="h1", secret=AGENT_SECRET
    )
    try:
        agent.register(msg.HostReport(tunnel_ip=None))
        agent.report_status(
            [msg.PortStatus(port_id=port["id"], status=ReportedStatus.UP)]
        )
    finally:
        agent.close()
    expect(dot).to_have_attribute("data-status", "ACTIVE", timeout=LIVE)
    expect(dot).to_have_class("port up")
    page.shots.take("port-active-live")

    # A state change made elsewhere shows in the picture within 2 s, no reload.
    status, _ = call(
        quantum_server,
        "PUT",
        f"/v2.0/ports/{port['id']}",
        {"port": {"admin_state_up": False}},
    )
    assert status == 200
    expect(dot).to_have_attribute("data-admin", "DOWN", timeout=LIVE)
    page.shots.take("port-down-live")

    # Detail: subnets and ports; the port's state toggles from the page.
    row.get_by_role("button", name="Open network web").click()
    expect(page.get_by_role("heading", name="Network web")).to_be_visible()
    expect(page.locator("#subnets tbody")).to_contain_text("10.1.0.0/24")
    port_row = page.locator(f"#port-{port['id']}")
    expect(port_row.locator(".state")).to_have_text("DOWN")
    expect(port_row).to_contain_text("10.1.0.")
    port_row.get_by_role("button", name="Set port vm1 UP").click()
    expect(page.get_by_role("status")).to_have_text("Port vm1 state is now UP.")
    expect(port_row.locator(".state")).to_have_text("UP")
    assert (
        call(quantum_server, "GET", f"/v2.0/ports/{port['id']}")[1]["port"][
            "admin_state_up"
        ]
        is True
    )
    page.shots.take("detail-port-up")
    page.get_by_role("button", name="Back to networks").click()

    # A router, its interface on the network's subnet: in the API and the picture.
    page.get_by_role("navigation", name="Pages").get_by_role(
        "link", name="Routers"
    ).click()
    expect(page.get_by_role("heading", name="Routers", level=2)).to_be_visible()
    form = page.get_by_role("form", name="Create a router")
    form.get_by_label("Router name").fill("edge")
    form.get_by_role("button", name="Create router").click()
    expect(page.get_by_role("status")).to_have_text("Router edge created.")
    (router,) = call(quantum_server, "GET", "/v2.0/routers")[1]["routers"]
    assert router["name"] == "edge"
    page.locator(f"#router-{router['id']}").get_by_role(
        "button", name="Open router edge"
    ).click()
    expect(page.get_by_role("heading", name="Router edge")).to_be_visible()
    adding = page.get_by_role("form", name="Add an interface")
    adding.get_by_label("Subnet").select_option(label="10.1.0.0/24")
    adding.get_by_role("button", name="Add interface").click()
    expect(page.get_by_role("status")).to_have_text(
        "Interface on subnet 10.1.0.0/24 added to router edge."
    )
    expect(page.locator("#router-interfaces")).to_contain_text("10.1.0.1")
    path = f"/v2.0/ports?device_id={router['id']}&device_owner=network:router_interface"
    (interface,) = call(quantum_server, "GET", path)[1]["ports"]
    assert interface["network_id"] == network["id"]
    assert interface["fixed_ips"][0]["ip_address"] == "10.1.0.1"
    page.shots.take("router-interface")
    page.get_by_role("navigation", name="Pages").get_by_role(
        "link", name="Networks"
    ).click()
    drawn = topology.locator(f'[data-router="{router["id"]}"]')
    expect(drawn.locator(f'[data-link="{network["id"]}"]')).to_have_count(1)
    page.shots.take("picture-router")

    # Delete everything: the router's interface and the router first (the API
    # refuses to delete a network a router is on), then the network below.
    page.get_by_role("navigation", name="Pages").get_by_role(
        "link", name="Routers"
    ).click()
    page.locator(f"#router-{router['id']}").get_by_role(
        "button", name="Open router edge"
    ).click()
    page.get_by_role("button", name="Remove interface 10.1.0.1").click()
    expect(page.get_by_role("status")).to_have_text(
        "Interface 10.1.0.1 on 10.1.0.0/24 removed from router edge."
    )
    assert call(quantum_server, "GET", path)[1] == {"ports": []}
    page.get_by_role("button", name="Delete router edge").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_have_text("Router edge deleted.")
    assert call(quantum_server, "GET", "/v2.0/routers")[1] == {"routers": []}
    page.get_by_role("navigation", name="Pages").get_by_role(
        "link", name="Networks"
    ).click()
    expect(topology.locator(".router")).to_have_count(0)

    # Rename and admin state.
    row = page.locator(f"#network-{network['id']}")
    row.get_by_role("button", name="Rename network web").click()
    page.get_by_label("New name").fill("frontend")
    page.get_by_role("button", name="Rename", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Network web renamed to frontend.")
    expect(row.get_by_role("button", name="Open network frontend")).to_be_visible()
    row.get_by_role("button", name="Set admin DOWN network frontend").click()
    expect(page.get_by_role("status")).to_have_text(
        "Network frontend admin state is now DOWN."
    )
    expect(row.locator(".admin")).to_have_text("DOWN")
    shown = call(quantum_server, "GET", f"/v2.0/networks/{network['id']}")[1]
    assert shown["network"]["admin_state_up"] is False

    # Delete asks first; cancelling keeps the network.
    row.get_by_role("button", name="Delete network frontend").click()
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("status")).to_have_text("Network frontend was not deleted.")
    assert len(call(quantum_server, "GET", "/v2.0/networks")[1]["networks"]) == 1
    row.get_by_role("button", name="Delete network frontend").click()
    page.shots.take("confirm-delete")
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_have_text("Network frontend deleted.")
    expect(page.locator("#networks tbody tr")).to_have_count(0)
    expect(topology.locator(".network")).to_have_count(0)
    assert call(quantum_server, "GET", "/v2.0/networks")[1] == {"networks": []}
    assert call(quantum_server, "GET", "/v2.0/ports")[1] == {"ports": []}
    assert call(quantum_server, "GET", "/v2.0/subnets")[1] == {"subnets": []}
    assert call(quantum_server, "GET", "/v2.0/routers")[1] == {"routers": []}


def test_api_errors_are_shown_as_worded(
    page: Any, quantum_server: ServerProcess
) -> None:
    log_in(page)
    page.get_by_label("Network name").fill("bad")
    page.get_by_label("Subnet CIDR (optional)").fill("10.0.0.0/33")
    page.get_by_role("button", name="Create network").click()
    alert = page.get_by_role("alert")
    expect(alert).not_to_be_empty()
    status, body = call(
        quantum_server, "POST", "/v2.0/networks", {"network": {"name": "x"}}
    )
    assert status == 201
    status, fault = call(
        quantum_server,
        "POST",
        "/v2.0/subnets",
        {
            "subnet": {
                "network_id": body["network"]["id"],
                "cidr": "10.0.0.0/33",
                "ip_version": 4,
            }
        },
    )
    assert status == 400
    expect(alert).to_have_text(fault["NeutronError"]["message"])
    page.shots.take("error")
    # Nothing half-made: the network whose subnet was refused is gone.
    names = [
        n["name"] for n in call(quantum_server, "GET", "/v2.0/networks")[1]["networks"]
    ]
    assert names == ["x"]


def test_keyboard_and_labels(page: Any, quantum_server: ServerProcess) -> None:
    log_in(page)
    page.get_by_label("Network name").fill("kb")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_have_text("Network kb created.")

    # Every form control has a label, every button an accessible name.
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
              .filter(e => !e.labels || e.labels.length === 0).map(e => e.id)"""
    )
    assert unlabelled == []
    nameless = page.evaluate(
        """() => [...document.querySelectorAll('button')]
              .filter(b => !(b.getAttribute('aria-label') || b.textContent.trim()))
              .map(b => b.outerHTML)"""
    )
    assert nameless == []

    # Tab reaches every control of the main page in order, and Enter works on them.
    seen = []
    page.reload()  # still logged in (this tab's session); focus starts at the top
    expect(page.get_by_role("button", name="Open network kb")).to_be_visible()
    for _ in range(16):
        page.keyboard.press("Tab")
        seen.append(
            page.evaluate(
                "() => document.activeElement.getAttribute('aria-label')"
                " || document.activeElement.id || document.activeElement.textContent"
            )
        )
    assert seen == [
        "logout",
        "Networks",
        "Subnets",
        "Ports",
        "Routers",  # the server has the L3 service plugin
        "Floating IPs",
        "Security groups",
        "Quotas",  # Agents: administrators only
        "page-size",
        "Open network kb",
        "Rename network kb",
        "Set admin DOWN network kb",
        "Delete network kb",
        "create-name",
        "create-cidr",
        "Create network",
    ]
    page.get_by_role("button", name="Rename network kb").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_label("New name")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()

    # A change polled in re-draws the row; keyboard focus stays on its button.
    delete = page.get_by_role("button", name="Delete network kb")
    delete.focus()
    (network,) = call(quantum_server, "GET", "/v2.0/networks")[1]["networks"]
    status, _ = call(
        quantum_server, "POST", "/v2.0/ports", {"port": {"network_id": network["id"]}}
    )
    assert status == 201
    ports = page.locator("#networks tbody .ports")
    expect(ports).to_have_text("1 (0 used, 1 available)", timeout=LIVE)
    expect(delete).to_be_focused()
    page.shots.take("keyboard")


def test_a_status_an_agent_reports_shows_live(
    page: Any, quantum_server: ServerProcess
) -> None:
    log_in(page)
    page.get_by_label("Network name").fill("wired")
    page.get_by_role("button", name="Create network").click()
    expect(page.get_by_role("status")).to_have_text("Network wired created.")
    (network,) = call(quantum_server, "GET", "/v2.0/networks")[1]["networks"]
    status, body = call(
        quantum_server,
        "POST",
        "/v2.0/ports",
        {"port": {"network_id": network["id"], "name": "vm2"}},
    )
    assert status == 201, body
    dot = page.locator(f'#topology [data-port="{body["port"]["id"]}"]')
    expect(dot).to_have_attribute("data-status", "DOWN", timeout=LIVE)
    expect(dot).to_have_class("port down")

    # The agent of the host the port is wired on says UP; no reload.
    agent = OvsClient(
        f"http://127.0.0.1:{quantum_server.port}", host="h1", secret=AGENT_SECRET
    )
    try:
        agent.register(msg.HostReport(tunnel_ip=None))
        agent.report_status(
            [msg.PortStatus(port_id=body["port"]["id"], status=ReportedStatus.UP)]
        )
    finally:
        agent.close()
    expect(dot).to_have_attribute("data-status", "ACTIVE", timeout=LIVE)
    expect(dot).to_have_class("port up")
    page.shots.take("port-active-live")
