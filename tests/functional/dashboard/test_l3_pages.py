# SPDX-License-Identifier: Apache-2.0
"""The dashboard's routers and floating IPs pages in a real browser against a real
server with the L3 service plugin (``service_plugins = router``; see conftest.py);
each step is checked in the API too."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from quantum.testing.server import ServerProcess
from tests.functional.dashboard.test_browser import LIVE, PROJECT, call
from tests.functional.dashboard.test_pages import log_in, make_network, open_page


def make_external(server: ServerProcess, name: str, cidr: str) -> str:
    """An external network (an administrator's, every project sees it)."""
    status, body = call(
        server,
        "POST",
        "/v2.0/networks",
        {"network": {"name": name, "router:external": True, "tenant_id": "ops"}},
        project="",
    )
    assert status == 201, body
    network_id: str = body["network"]["id"]
    subnet = {"network_id": network_id, "cidr": cidr, "ip_version": 4}
    subnet["tenant_id"] = "ops"
    status, body = call(server, "POST", "/v2.0/subnets", {"subnet": subnet}, "")
    assert status == 201, body
    return network_id


def subnet_of(server: ServerProcess, network_id: str) -> dict[str, Any]:
    status, body = call(server, "GET", f"/v2.0/subnets?network_id={network_id}")
    assert status == 200
    (subnet,) = body["subnets"]
    return subnet  # type: ignore[no-any-return]


def router_in_api(server: ServerProcess, router_id: str) -> dict[str, Any]:
    status, body = call(server, "GET", f"/v2.0/routers/{router_id}")
    assert status == 200, body
    return body["router"]  # type: ignore[no-any-return]


def interfaces_in_api(server: ServerProcess, router_id: str) -> list[dict[str, Any]]:
    path = f"/v2.0/ports?device_id={router_id}&device_owner=network:router_interface"
    return call(server, "GET", path)[1]["ports"]  # type: ignore[no-any-return]


def test_router_create_gateway_interfaces_routes_delete(
    page: Any, quantum_server: ServerProcess
) -> None:
    public = make_external(quantum_server, "public", "172.24.4.0/24")
    make_external(quantum_server, "public2", "172.25.4.0/24")
    web = make_network(quantum_server, "web", "10.10.0.0/24")
    db = make_network(quantum_server, "db", "10.11.0.0/24")
    web_subnet, db_subnet = (
        subnet_of(quantum_server, web),
        subnet_of(quantum_server, db),
    )
    status, body = call(
        quantum_server,
        "POST",
        "/v2.0/ports",
        {"port": {"network_id": db, "name": "spare"}},
    )
    assert status == 201
    spare = body["port"]
    log_in(page)
    open_page(page, "Routers")
    status_line, alert = page.get_by_role("status"), page.get_by_role("alert")
    form = page.get_by_role("form", name="Create a router")

    # Only an administrator turns SNAT off: refused in the API's words, nothing made.
    form.get_by_label("Router name").fill("edge")
    form.get_by_label("External network").select_option(label="public")
    form.get_by_label("SNAT enabled").uncheck()
    form.get_by_role("button", name="Create router").click()
    refused = {"network_id": public, "enable_snat": False}
    status, fault = call(
        quantum_server,
        "POST",
        "/v2.0/routers",
        {"router": {"name": "x", "external_gateway_info": refused}},
    )
    assert status == 403, fault
    expect(alert).to_have_text(fault["NeutronError"]["message"])
    assert call(quantum_server, "GET", "/v2.0/routers")[1] == {"routers": []}

    form.get_by_label("SNAT enabled").check()
    form.get_by_role("button", name="Create router").click()
    expect(status_line).to_have_text("Router edge created.")
    expect(alert).to_be_empty()
    (router,) = call(quantum_server, "GET", "/v2.0/routers")[1]["routers"]
    assert router["name"] == "edge"
    assert router["admin_state_up"] is True
    assert router["external_gateway_info"]["network_id"] == public
    assert router["external_gateway_info"]["enable_snat"] is True
    row = page.locator(f"#router-{router['id']}")
    expect(row.locator(".gateway")).to_have_text("public (SNAT on)")
    expect(row.locator(".interfaces")).to_have_text("0")
    page.shots.take("router-created")

    # Its page: interfaces by subnet and by port.
    row.get_by_role("button", name="Open router edge").click()
    expect(page.get_by_role("heading", name="Router edge")).to_be_visible()
    expect(page.get_by_role("button", name="Back to routers")).to_be_focused()
    adding = page.get_by_role("form", name="Add an interface")
    adding.get_by_label("Subnet").select_option(label="10.10.0.0/24")
    adding.get_by_role("button", name="Add interface").click()
    expect(status_line).to_have_text(
        "Interface on subnet 10.10.0.0/24 added to router edge."
    )
    address = spare["fixed_ips"][0]["ip_address"]
    adding.get_by_label("or port").select_option(label=f"spare ({address})")
    adding.get_by_role("button", name="Add interface").click()
    expect(status_line).to_have_text(
        f"Interface on port spare ({address}) added to router edge."
    )
    interfaces = page.locator("#router-interfaces tbody tr")
    expect(interfaces).to_have_count(2)
    expect(page.locator("#router-interfaces")).to_contain_text("10.10.0.1")
    expect(page.locator("#router-interfaces")).to_contain_text(address)
    found = interfaces_in_api(quantum_server, router["id"])
    assert sorted(p["fixed_ips"][0]["subnet_id"] for p in found) == sorted(
        [web_subnet["id"], db_subnet["id"]]
    )
    # The same subnet twice: the API's refusal, nothing added.
    adding.get_by_label("Subnet").select_option(label="10.10.0.0/24")
    adding.get_by_role("button", name="Add interface").click()
    status, fault = call(
        quantum_server,
        "PUT",
        f"/v2.0/routers/{router['id']}/add_router_interface",
        {"subnet_id": web_subnet["id"]},
    )
    assert status == 400, fault
    expect(alert).to_have_text(fault["NeutronError"]["message"])
    assert len(interfaces_in_api(quantum_server, router["id"])) == 2
    page.shots.take("router-interfaces")

    # Extra routes: a next hop on no subnet of the router is refused as worded.
    routes = page.get_by_label("Extra routes (one per line: destination next-hop)")
    routes.fill("10.99.0.0/16 10.50.0.5")
    page.get_by_role("button", name="Save routes").click()
    revision = router_in_api(quantum_server, router["id"])["revision_number"]
    status, fault = call(
        quantum_server,
        "PUT",
        f"/v2.0/routers/{router['id']}",
        {
            "router": {
                "routes": [{"destination": "10.99.0.0/16", "nexthop": "10.50.0.5"}]
            }
        },
    )
    assert status == 400, fault
    expect(alert).to_have_text(fault["NeutronError"]["message"])
    assert router_in_api(quantum_server, router["id"])["revision_number"] == revision
    # What is being typed survives the polls meanwhile.
    routes.fill("10.99.0.0/16 10.10.0.5\n10.98.0.0/16 10.10.0.6")
    page.wait_for_timeout(1500)
    expect(routes).to_have_value("10.99.0.0/16 10.10.0.5\n10.98.0.0/16 10.10.0.6")
    page.get_by_role("button", name="Save routes").click()
    expect(status_line).to_have_text("Router edge extra routes saved.")
    assert router_in_api(quantum_server, router["id"])["routes"] == [
        {"destination": "10.99.0.0/16", "nexthop": "10.10.0.5"},
        {"destination": "10.98.0.0/16", "nexthop": "10.10.0.6"},
    ]

    fields = page.locator("#router-fields")
    expect(fields.locator(".extra-routes")).to_have_text(
        "10.99.0.0/16 10.10.0.5, 10.98.0.0/16 10.10.0.6"
    )

    # A change made meanwhile is not overwritten: 412 in the API's words.
    routes.fill("")
    status, _ = call(
        quantum_server,
        "PUT",
        f"/v2.0/routers/{router['id']}",
        {"router": {"description": "theirs"}},
    )
    assert status == 200
    page.get_by_role("button", name="Save routes").click()
    status, fault = call(
        quantum_server,
        "PUT",
        f"/v2.0/routers/{router['id']}",
        {"router": {"routes": []}},
        headers={"If-Match": f"revision_number={revision + 1}"},
    )
    assert status == 412, fault
    expect(alert).to_have_text(
        f"{fault['NeutronError']['message']} (it was changed since this page "
        "showed it: look again and retry)"
    )
    assert len(router_in_api(quantum_server, router["id"])["routes"]) == 2
    page.shots.take("routes-refused")
    # Looking again (the page shows their change and the routes as they are) and
    # retrying works.
    expect(fields.locator(".description")).to_have_text("theirs")
    expect(routes).to_have_value("10.99.0.0/16 10.10.0.5\n10.98.0.0/16 10.10.0.6")
    routes.fill("")
    page.get_by_role("button", name="Save routes").click()
    expect(status_line).to_have_text("Router edge extra routes saved.")
    assert router_in_api(quantum_server, router["id"])["routes"] == []

    # The gateway: moved to another external network, then cleared.
    gateway = page.get_by_role("form", name="External gateway")
    expect(gateway.get_by_label("SNAT enabled")).to_be_checked()
    gateway.get_by_label("Gateway network").select_option(label="public2")
    gateway.get_by_role("button", name="Set gateway").click()
    expect(status_line).to_have_text("Router edge gateway set to public2.")
    expect(fields.locator(".external-gateway")).to_have_text("public2 (SNAT on)")
    gateway.get_by_role("button", name="Clear gateway").click()
    expect(status_line).to_have_text("Router edge gateway cleared.")
    expect(fields.locator(".external-gateway")).to_have_text("(none)")
    assert router_in_api(quantum_server, router["id"])["external_gateway_info"] is None
    gateway.get_by_label("Gateway network").select_option(label="public")
    gateway.get_by_role("button", name="Set gateway").click()
    expect(fields.locator(".external-gateway")).to_have_text("public (SNAT on)")
    page.get_by_role("button", name="Set admin DOWN router edge").click()
    expect(fields.locator(".admin-state")).to_have_text("DOWN")
    assert router_in_api(quantum_server, router["id"])["admin_state_up"] is False

    # Delete while it has interfaces: the API's 409 is shown, the router stays.
    page.get_by_role("button", name="Delete router edge").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    status, fault = call(quantum_server, "DELETE", f"/v2.0/routers/{router['id']}")
    assert status == 409, fault
    expect(alert).to_have_text(fault["NeutronError"]["message"])
    expect(page.get_by_role("heading", name="Router edge")).to_be_visible()
    page.shots.take("router-in-use")

    # Remove both interfaces (the interface port made for the subnet goes with it).
    page.get_by_role("button", name="Remove interface 10.10.0.1").click()
    expect(status_line).to_have_text(
        "Interface 10.10.0.1 on 10.10.0.0/24 removed from router edge."
    )
    page.get_by_role("button", name=f"Remove interface {address}").click()
    expect(interfaces).to_have_count(0)
    assert interfaces_in_api(quantum_server, router["id"]) == []
    page.get_by_role("button", name="Delete router edge").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(status_line).to_have_text("Router edge deleted.")
    expect(page.get_by_role("heading", name="Routers", level=2)).to_be_visible()
    expect(page.locator("#router-list tbody tr")).to_have_count(0)
    assert call(quantum_server, "GET", "/v2.0/routers")[1] == {"routers": []}
    # Removing an interface deletes its port, the one attached by port too (the
    # API's rule, docs/l3.md).
    assert call(quantum_server, "GET", "/v2.0/ports")[1] == {"ports": []}


def test_the_picture_draws_routers_and_their_networks(
    page: Any, quantum_server: ServerProcess
) -> None:
    public = make_external(quantum_server, "public", "172.24.4.0/24")
    inside = make_network(quantum_server, "inside", "10.12.0.0/24")
    log_in(page)
    picture = page.locator("#topology")
    expect(picture.locator(f'[data-network="{inside}"]')).to_be_visible()
    expect(picture.locator(".router")).to_have_count(0)
    # Made elsewhere (the API), the router shows within 2 s, joined to both.
    gateway = {"network_id": public}
    status, body = call(
        quantum_server,
        "POST",
        "/v2.0/routers",
        {"router": {"name": "r1", "external_gateway_info": gateway}},
    )
    assert status == 201, body
    router_id = body["router"]["id"]
    drawn = picture.locator(f'[data-router="{router_id}"]')
    expect(drawn).to_be_visible(timeout=LIVE)
    expect(drawn.locator("text")).to_have_text("r1")
    expect(drawn.locator(f'[data-gateway="{public}"]')).to_have_count(1)
    expect(drawn.locator(f'[data-link="{inside}"]')).to_have_count(0)
    subnet = subnet_of(quantum_server, inside)
    status, _ = call(
        quantum_server,
        "PUT",
        f"/v2.0/routers/{router_id}/add_router_interface",
        {"subnet_id": subnet["id"]},
    )
    assert status == 200
    expect(drawn.locator(f'[data-link="{inside}"]')).to_have_count(1, timeout=LIVE)
    page.shots.take("picture-router")


def test_floating_ip_allocate_associate_release(
    page: Any, quantum_server: ServerProcess
) -> None:
    public = make_external(quantum_server, "public", "172.24.4.0/24")
    inside = make_network(quantum_server, "inside", "10.13.0.0/24")
    status, body = call(
        quantum_server,
        "POST",
        "/v2.0/ports",
        {"port": {"network_id": inside, "name": "vm1", "device_id": "vm-1"}},
    )
    assert status == 201
    port = body["port"]
    fixed = port["fixed_ips"][0]["ip_address"]
    log_in(page)
    open_page(page, "Floating IPs")
    status_line, alert = page.get_by_role("status"), page.get_by_role("alert")
    form = page.get_by_role("form", name="Allocate a floating IP")
    form.get_by_label("External network").select_option(label="public")
    form.get_by_role("button", name="Allocate floating IP").click()
    expect(status_line).to_contain_text("allocated.")
    (floating,) = call(quantum_server, "GET", "/v2.0/floatingips")[1]["floatingips"]
    address = floating["floating_ip_address"]
    assert floating["floating_network_id"] == public
    assert floating["port_id"] is None
    expect(status_line).to_have_text(f"Floating IP {address} allocated.")
    row = page.locator(f"#floatingip-{floating['id']}")
    expect(row.locator(".address")).to_have_text(address)
    expect(row.locator(".fixed")).to_have_text("(none)")

    # No router joins the port's subnet to the external network: the API says so.
    row.get_by_role("button", name=f"Associate floating IP {address}").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_label("Port (fixed IP)").locator("option")).to_have_count(1)
    dialog.get_by_label("Port (fixed IP)").select_option(label=f"vm1 ({fixed})")
    dialog.get_by_role("button", name="Associate").click()
    status, fault = call(
        quantum_server,
        "PUT",
        f"/v2.0/floatingips/{floating['id']}",
        {"floatingip": {"port_id": port["id"]}},
    )
    assert status == 404, fault
    expect(alert).to_have_text(fault["NeutronError"]["message"])
    now = call(quantum_server, "GET", f"/v2.0/floatingips/{floating['id']}")[1]
    assert now["floatingip"]["port_id"] is None

    # With a router (gateway and an interface on the subnet) it goes through.
    status, body = call(
        quantum_server,
        "POST",
        "/v2.0/routers",
        {"router": {"name": "r1", "external_gateway_info": {"network_id": public}}},
    )
    assert status == 201
    router_id = body["router"]["id"]
    subnet = subnet_of(quantum_server, inside)
    status, _ = call(
        quantum_server,
        "PUT",
        f"/v2.0/routers/{router_id}/add_router_interface",
        {"subnet_id": subnet["id"]},
    )
    assert status == 200
    row.get_by_role("button", name=f"Associate floating IP {address}").click()
    # The router's own interface port is not offered, only the VM's.
    expect(dialog.get_by_label("Port (fixed IP)").locator("option")).to_have_count(1)
    dialog.get_by_role("button", name="Associate").click()
    expect(status_line).to_have_text(
        f"Floating IP {address} associated to port vm1 ({fixed})."
    )
    expect(row.locator(".fixed")).to_have_text(fixed)
    expect(row.locator(".port")).to_have_text("vm1")
    expect(row.locator(".router")).to_have_text("r1")
    now = call(quantum_server, "GET", f"/v2.0/floatingips/{floating['id']}")[1]
    assert now["floatingip"]["port_id"] == port["id"]
    assert now["floatingip"]["fixed_ip_address"] == fixed
    assert now["floatingip"]["router_id"] == router_id
    page.shots.take("floating-associated")

    row.get_by_role("button", name=f"Disassociate floating IP {address}").click()
    expect(status_line).to_have_text(f"Floating IP {address} disassociated.")
    expect(row.locator(".fixed")).to_have_text("(none)")
    now = call(quantum_server, "GET", f"/v2.0/floatingips/{floating['id']}")[1]
    assert now["floatingip"]["port_id"] is None

    row.get_by_role("button", name=f"Release floating IP {address}").click()
    page.get_by_role("button", name="Cancel").click()
    expect(status_line).to_have_text(f"Floating IP {address} was not released.")
    row.get_by_role("button", name=f"Release floating IP {address}").click()
    dialog.get_by_role("button", name="Delete").click()
    expect(status_line).to_have_text(f"Floating IP {address} released.")
    expect(page.locator("#floatingip-list tbody tr")).to_have_count(0)
    assert call(quantum_server, "GET", "/v2.0/floatingips")[1] == {"floatingips": []}


def test_another_projects_router_is_never_shown(
    page: Any, quantum_server: ServerProcess
) -> None:
    status, body = call(
        quantum_server, "POST", "/v2.0/routers", {"router": {"name": "secret-router"}}
    )
    assert status == 201
    router_id = body["router"]["id"]
    log_in(page, "project-b")
    open_page(page, "Routers")
    expect(page.locator("#router-list tbody tr")).to_have_count(0)
    page.goto(f"/#/routers/{router_id}")
    status, fault = call(
        quantum_server, "GET", f"/v2.0/routers/{router_id}", project="project-b"
    )
    assert status == 404
    expect(page.get_by_role("alert")).to_have_text(fault["NeutronError"]["message"])
    expect(page.get_by_role("heading", name="Routers", level=2)).to_be_visible()
    assert "secret-router" not in page.locator("body").inner_text()
    # Positive control: its own project sees it, also as an administrator, whose
    # list is filtered to the project.
    page.get_by_role("button", name="Log out").click()
    log_in(page, PROJECT, admin=True)
    page.goto(f"/#/routers/{router_id}")
    expect(page.get_by_role("heading", name="Router secret-router")).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    log_in(page, "project-b", admin=True)
    open_page(page, "Routers")
    expect(page.get_by_role("heading", name="Routers", level=2)).to_be_visible()
    page.wait_for_timeout(1500)
    expect(page.locator("#router-list tbody tr")).to_have_count(0)
