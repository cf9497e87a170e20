# SPDX-License-Identifier: Apache-2.0
"""Keystone login with a project choice, in the browser, against a real Keystone and
a quantum-server with ``auth_strategy = keystone``."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from quantum.testing.keystone import ADMIN_PASSWORD, Keystone, KeystoneUnavailable, User
from quantum.testing.server import ServerProcess
from tests.conftest import unavailable
from tests.functional.dashboard.conftest import (
    HOST,
    Dashboard,
    Screenshots,
    start_dashboard,
    start_server,
)

PASSWORD = "dash-s3cret"


@pytest.fixture(scope="module")
def identity(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Keystone, User]]:
    server = Keystone(tmp_path_factory.mktemp("keystone"))
    try:
        server.start()
        server.add_user("quantum", "s3cret-quantum", "service", "service")
        user = server.add_user("dana", PASSWORD, "lab", "member")
        # A second project for the same user: the login offers a choice.
        admin = server.admin_token()
        other = server._project_id(admin, "prod")  # noqa: SLF001
        role = server._role_id(admin, "member")  # noqa: SLF001
        status, _, _ = server.call(
            "PUT",
            f"/v3/projects/{other}/users/{user.user_id}/roles/{role}",
            token=admin,
        )
        assert status == 204
    except KeystoneUnavailable as error:
        server.stop()
        unavailable(str(error))
    try:
        yield server, user
    finally:
        server.stop()


@pytest.fixture
def keystone_dashboard(
    identity: tuple[Keystone, User], tmp_path: Path
) -> Iterator[tuple[Dashboard, ServerProcess]]:
    keystone, _ = identity
    server = start_server(tmp_path / "server", "keystone", keystone.authtoken_section())
    running = start_dashboard(
        f"http://{HOST}:{server.port}",
        tmp_path / "dashboard.stderr",
        "--auth-url",
        keystone.url,
    )
    yield running, server
    running.process.terminate()
    running.process.wait(15)
    server.stop(timeout=15)


def test_keystone_login_with_project_choice(
    browser: Any,
    identity: tuple[Keystone, User],
    keystone_dashboard: tuple[Dashboard, ServerProcess],
) -> None:
    keystone, _ = identity
    dashboard, server = keystone_dashboard
    context = browser.new_context(base_url=dashboard.url)
    page = context.new_page()
    shots = Screenshots(page, "test_keystone_login_with_project_choice")
    try:
        page.goto("/")
        page.get_by_label("User name").fill("dana")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("alert")).to_contain_text("requires authentication")
        shots.take("refused")

        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        choice = page.get_by_role("combobox", name="Project")
        expect(choice).to_be_focused()
        assert choice.locator("option").all_text_contents() == ["lab", "prod"]
        choice.select_option(label="prod")
        shots.take("project-choice")
        page.get_by_role("button", name="Use project").click()
        expect(page.get_by_role("status")).to_have_text("Logged in to project prod.")

        page.get_by_label("Network name").fill("in-prod")
        page.get_by_role("button", name="Create network").click()
        # NOTE: the server checks a token with Keystone on its first use, which
        # takes seconds on a busy machine.
        expect(page.get_by_role("status")).to_have_text(
            "Network in-prod created.", timeout=20_000
        )
        shots.take("created")

        # Made with dana's token scoped to prod, as the API saw it.
        token = keystone.token("dana", PASSWORD, "prod")
        conn = server.connection()
        conn.request("GET", "/v2.0/networks", headers={"X-Auth-Token": token})
        networks = json.loads(conn.getresponse().read())["networks"]
        conn.close()
        assert [n["name"] for n in networks] == ["in-prod"]
        assert networks[0]["tenant_id"] == keystone.projects["prod"]
        # ... and not in lab (positive control above: prod sees it).
        token = keystone.token("dana", PASSWORD, "lab")
        conn = server.connection()
        conn.request("GET", "/v2.0/networks", headers={"X-Auth-Token": token})
        assert json.loads(conn.getresponse().read()) == {"networks": []}
        conn.close()
    finally:
        shots.keep("test_keystone_login_with_project_choice")
        context.close()


def test_keystone_roles_decide_the_admin_pages(
    browser: Any,
    identity: tuple[Keystone, User],
    keystone_dashboard: tuple[Dashboard, ServerProcess],
) -> None:
    keystone, _ = identity
    dashboard, _ = keystone_dashboard
    # The roles are the token's: a member claiming the admin role through the
    # dashboard is refused (positive control: the admin's token is not).
    for token, expected in (
        (keystone.token("dana", PASSWORD, "lab"), 403),
        (keystone.admin_token(), 200),
    ):
        conn = http.client.HTTPConnection(urlsplit(dashboard.url).netloc, timeout=60)
        conn.request(
            "GET", "/v2.0/agents", headers={"X-Auth-Token": token, "X-Roles": "admin"}
        )
        assert conn.getresponse().status == expected
        conn.close()
    context = browser.new_context(base_url=dashboard.url)
    page = context.new_page()
    shots = Screenshots(page, "test_keystone_roles_decide_the_admin_pages")
    nav = page.get_by_role("navigation", name="Pages")
    try:
        # A member: no agents page, quotas read-only (the API's 403 decides).
        page.goto("/")
        page.get_by_label("User name").fill("dana")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("combobox", name="Project").select_option(label="lab")
        page.get_by_role("button", name="Use project").click()
        expect(page.get_by_role("status")).to_have_text("Logged in to project lab.")
        expect(page.locator("#who")).to_have_text("Project lab")
        expect(nav.get_by_role("link", name="Quotas")).to_be_visible()
        nav.get_by_role("link", name="Quotas").click()
        expect(page.locator("#quota-row-network .limit")).to_have_text(
            "10", timeout=20_000
        )
        expect(page.get_by_role("button", name="Save limits")).to_be_hidden()
        expect(nav.get_by_role("link", name="Agents")).to_be_hidden()

        # Keystone's admin: the token's role shows the agents and quota editing.
        page.get_by_role("button", name="Log out").click()
        page.get_by_label("User name").fill("admin")
        page.get_by_label("Password").fill(ADMIN_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.get_by_role("combobox", name="Project").select_option(label="admin")
        page.get_by_role("button", name="Use project").click()
        expect(page.locator("#who")).to_have_text("Project admin (administrator)")
        expect(nav.get_by_role("link", name="Agents")).to_be_visible(timeout=20_000)
        nav.get_by_role("link", name="Quotas").click()
        expect(page.get_by_label("Limit of network")).to_have_value(
            "10", timeout=20_000
        )
        nav.get_by_role("link", name="Agents").click()
        expect(page.locator("#agents tbody tr")).to_have_count(0)
        expect(page.get_by_role("alert")).to_be_empty()
        shots.take("admin")
    finally:
        shots.keep("test_keystone_roles_decide_the_admin_pages")
        context.close()
