# SPDX-License-Identifier: Apache-2.0
"""quantum-dashboard's WSGI app in-process: its static files and its /v2.0 proxy."""

from __future__ import annotations

import json
import socket
import subprocess
import sys

import pytest
from webob import Request

from quantum.dashboard.app import DashboardApp
from quantum.testing.server import ServerProcess, free_port
from tests.functional.dashboard.conftest import DASHBOARD


def send(
    app: DashboardApp,
    path: str,
    method: str = "GET",
    body: object = None,
    **headers: str,
) -> tuple[int, dict[str, str], bytes]:
    request = Request.blank(path, method=method, headers=headers)
    if body is not None:
        request.body = json.dumps(body).encode()
        request.content_type = "application/json"
    response = request.get_response(app)
    return response.status_code, dict(response.headers), response.body


def test_serves_the_page_and_its_module() -> None:
    app = DashboardApp("http://127.0.0.1:9696")
    status, headers, body = send(app, "/")
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    assert b'<script type="module" src="/app.js">' in body
    status, headers, _ = send(app, "/app.js")
    assert (status, headers["Content-Type"]) == (200, "text/javascript; charset=utf-8")


@pytest.mark.parametrize("path", ["/../app.py", "/%2e%2e/app.py", "/nothing.js", "/.x"])
def test_unknown_or_outside_files_are_404(path: str) -> None:
    status, _, body = send(DashboardApp("http://127.0.0.1:9696"), path)
    assert status == 404
    assert json.loads(body)["NeutronError"]["type"] == "NotFound"


def test_bad_api_url_is_refused() -> None:
    with pytest.raises(ValueError, match="not an http"):
        DashboardApp("ftp://example")


def test_proxy_passes_the_project_and_the_apis_answers(
    quantum_server: ServerProcess,
) -> None:
    app = DashboardApp(f"http://127.0.0.1:{quantum_server.port}")
    status, _, body = send(
        app,
        "/v2.0/networks",
        "POST",
        {"network": {"name": "n1"}},
        **{"X-Project-Id": "p1"},
    )
    assert status == 201, body
    assert json.loads(body)["network"]["tenant_id"] == "p1"
    status, headers, body = send(
        app, "/v2.0/networks?name=n1", **{"X-Project-Id": "p1"}
    )
    assert status == 200
    assert headers["Content-Type"].startswith("application/json")
    assert [n["name"] for n in json.loads(body)["networks"]] == ["n1"]
    # Another project sees nothing: the header is the caller's, not the dashboard's.
    status, _, body = send(app, "/v2.0/networks", **{"X-Project-Id": "p2"})
    assert json.loads(body) == {"networks": []}
    # The API's errors come back as the API worded them.
    missing = "/v2.0/networks/0b1c6a5e-4a48-4c34-9d3e-4e1a4b1b0f0d"
    status, _, body = send(app, missing, **{"X-Project-Id": "p1"})
    conn = quantum_server.connection()
    conn.request("GET", missing, headers={"X-Project-Id": "p1"})
    direct = conn.getresponse()
    assert (status, json.loads(body)) == (direct.status, json.loads(direct.read()))
    conn.close()
    assert status == 404
    assert (
        "0b1c6a5e-4a48-4c34-9d3e-4e1a4b1b0f0d"
        in json.loads(body)["NeutronError"]["message"]
    )


def test_unreachable_service_is_a_clear_502() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    status, _, body = send(DashboardApp(url), "/v2.0/networks")
    assert status == 502
    message = json.loads(body)["NeutronError"]["message"]
    assert message.startswith(f"the network service at {url} cannot be reached")


def test_a_port_in_use_is_one_line_and_exit_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(  # noqa: S603  # NOTE: our own script
            [sys.executable, str(DASHBOARD), "--bind-port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    assert done.returncode == 2
    assert done.stderr.startswith("quantum-dashboard: ")
    assert "Address already in use" in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_login_is_keystones_only() -> None:
    noauth = DashboardApp("http://127.0.0.1:9696")
    assert json.loads(send(noauth, "/dashboard/config")[2])["auth"] == "noauth"
    assert send(noauth, "/dashboard/login", "POST", {"username": "u"})[0] == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/dashboard/login", {"username": "u"}),
        ("/dashboard/login", {"username": "u", "password": 7}),
        ("/dashboard/login", ["u", "p"]),
        ("/dashboard/scope", {"token": "t", "project_id": ""}),
    ],
)
def test_login_bodies_are_checked(path: str, body: object) -> None:
    app = DashboardApp("http://127.0.0.1:9696", auth_url="http://127.0.0.1:1")
    status, _, answer = send(app, path, "POST", body)
    assert status == 400
    assert json.loads(answer)["NeutronError"]["type"] == "BadRequest"


def test_unreachable_keystone_is_a_clear_502() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    app = DashboardApp("http://127.0.0.1:9696", auth_url=url)
    assert json.loads(send(app, "/dashboard/config")[2])["auth"] == "keystone"
    assert send(app, "/dashboard/login")[0] == 405
    status, _, body = send(
        app, "/dashboard/login", "POST", {"username": "u", "password": "p"}
    )
    assert status == 502
    assert json.loads(body)["NeutronError"]["message"] == (
        f"the identity service at {url} cannot be reached"
    )


def test_unchanged_answers_are_304_and_never_shared(
    quantum_server: ServerProcess,
) -> None:
    app = DashboardApp(f"http://127.0.0.1:{quantum_server.port}")
    p1 = {"X-Project-Id": "p1"}
    status, _, _ = send(app, "/v2.0/networks", "POST", {"network": {"name": "a"}}, **p1)
    assert status == 201
    status, headers, body = send(app, "/v2.0/networks", **p1)
    assert status == 200
    etag = headers["ETag"]
    assert headers["Vary"] == "X-Auth-Token, X-Project-Id, X-Roles"
    assert headers["Cache-Control"] == "private, no-cache"
    # Nothing changed: 304, no body.
    status, headers, body = send(app, "/v2.0/networks", **p1, **{"If-None-Match": etag})
    assert (status, body, headers["ETag"]) == (304, b"", etag)
    # Another project asking with that tag gets its own (empty) list, not a 304.
    status, _, body = send(
        app, "/v2.0/networks", **{"X-Project-Id": "p2", "If-None-Match": etag}
    )
    assert (status, json.loads(body)) == (200, {"networks": []})
    # A change: a new tag and the new body.
    send(app, "/v2.0/networks", "POST", {"network": {"name": "b"}}, **p1)
    status, headers, body = send(app, "/v2.0/networks", **p1, **{"If-None-Match": etag})
    assert status == 200
    assert headers["ETag"] != etag
    assert len(json.loads(body)["networks"]) == 2
    # Errors and writes carry no tag.
    status, headers, _ = send(app, "/v2.0/networks/nothing", **p1)
    assert status == 404
    assert "ETag" not in headers


def test_roles_pass_and_only_the_v1_attachment_is_proxied(
    quantum_server: ServerProcess,
) -> None:
    app = DashboardApp(f"http://127.0.0.1:{quantum_server.port}")
    member = {"X-Project-Id": "p1"}
    admin = {"X-Project-Id": "p1", "X-Roles": "admin"}
    assert send(app, "/v2.0/agents", **member)[0] == 403
    assert send(app, "/v2.0/agents", **admin)[0] == 200  # X-Roles reached the server
    status, _, body = send(app, "/v2.0/networks", "POST", {"network": {}}, **member)
    network = json.loads(body)["network"]["id"]
    status, _, body = send(
        app, "/v2.0/ports", "POST", {"port": {"network_id": network}}, **member
    )
    port = json.loads(body)["port"]["id"]
    path = f"/v1.1/tenants/p1/networks/{network}/ports/{port}/attachment"
    status, _, _ = send(app, path, "PUT", {"attachment": {"id": "vif-p"}})
    assert status == 204
    assert json.loads(send(app, path)[2]) == {"attachment": {"id": "vif-p"}}
    # Nothing else of v1 is reachable through the dashboard.
    for other in ("/v1.1/tenants/p1/networks", f"/v1.1/tenants/p1/networks/{network}"):
        status, _, body = send(app, other)
        assert status == 404
        assert json.loads(body)["NeutronError"]["type"] == "NotFound"


def test_if_match_reaches_the_server(quantum_server: ServerProcess) -> None:
    app = DashboardApp(f"http://127.0.0.1:{quantum_server.port}")
    p1 = {"X-Project-Id": "p1"}
    status, _, body = send(app, "/v2.0/networks", "POST", {"network": {}}, **p1)
    network = json.loads(body)["network"]
    path = f"/v2.0/networks/{network['id']}"
    stale = {"If-Match": f"revision_number={network['revision_number'] + 1}"}
    status, _, body = send(app, path, "PUT", {"network": {"name": "x"}}, **p1, **stale)
    assert status == 412, body
    current = {"If-Match": f"revision_number={network['revision_number']}"}
    status, _, body = send(
        app, path, "PUT", {"network": {"name": "y"}}, **p1, **current
    )
    assert (status, json.loads(body)["network"]["name"]) == (200, "y")
