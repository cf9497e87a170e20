# SPDX-License-Identifier: Apache-2.0
"""``GET /`` lists v2.0 so that keystoneauth's version discovery (what openstacksdk
and the openstack CLI run with ``auth_type none`` and an endpoint override) finds
it, beside v1.0/v1.1 as the v1 clients expect; ``GET /v2.0/`` is the resource index.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from keystoneauth1 import discover, noauth, session

from quantum.api.app import load_app
from quantum.core.settings import load_settings
from quantum.db import migration
from quantum.db.session import make_engine
from quantum.testing.client import write_config
from tests.api.v2.client import V2


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def endpoint(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'q.sqlite'}"
    engine = make_engine(url)
    migration.upgrade(engine)
    engine.dispose()
    app = load_app(load_settings(write_config(tmp_path, sql_connection=url)))
    server = make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def test_keystoneauth_discovers_v2(endpoint: str) -> None:
    sess = session.Session(auth=noauth.NoAuth())
    found = discover.Discover(sess, endpoint)
    versions = {tuple(v["version"]): v for v in found.version_data()}
    assert versions[(2, 0)]["url"] == f"{endpoint}/v2.0/"
    assert versions[(2, 0)]["status"] == "CURRENT"
    assert found.url_for("2.0") == f"{endpoint}/v2.0/"
    assert found.url_for("1.0") == f"{endpoint}/v1.0"
    # NOTE: what openstacksdk does with an endpoint override: discover the
    # versions there and pick a 2.x one.
    data = sess.get_endpoint_data(
        endpoint_override=endpoint,
        service_type="network",
        min_version="2.0",
        max_version="2.latest",
        discover_versions=True,
    )
    assert data is not None
    assert data.api_version == (2, 0)
    listed = sess.get(f"{endpoint}/v2.0/networks", authenticated=False)
    assert listed.json() == {"networks": []}


def test_resource_index(sqlite_v2: V2) -> None:
    for path in ("/v2.0/", "/v2.0"):
        response = sqlite_v2.client.get(path, Host="q.example:9696")
        assert response.status_int == 200, path
        resources = response.json["resources"]
        assert {r["name"]: r["collection"] for r in resources} == {
            "network": "networks",
            "subnet": "subnets",
            "port": "ports",
            "security_group": "security_groups",
            "security_group_rule": "security_group_rules",
        }
        assert resources[0]["links"] == [
            {"rel": "self", "href": "http://q.example:9696/v2.0/networks"}
        ]


def test_unknown_paths_and_methods(sqlite_v2: V2) -> None:
    assert sqlite_v2.get("/doohickeys").status_int == 404
    assert sqlite_v2.get("/networks/not-a-uuid").status_int == 404
    assert sqlite_v2.get("/networks/a/b").status_int == 404
    refused = sqlite_v2.request("PATCH", "/networks")
    assert refused.status_int == 405
    assert refused.json["NeutronError"]["type"] == "HTTPMethodNotAllowed"
    assert sqlite_v2.request("POST", "/").status_int == 405


def test_extensions_listing(sqlite_v2: V2) -> None:
    listed = sqlite_v2.get("/extensions").json["extensions"]
    aliases = {e["alias"] for e in listed}
    assert aliases == {
        "external-net",
        "binding",
        "quotas",
        "net-mtu",
        "standard-attr-description",
        "standard-attr-timestamp",
        "standard-attr-revisions",
        "revision-if-match",
        "standard-attr-tag",
        "tag",
        "tag-ext",
        "security-group",
        "port-security",
        "allowed-address-pairs",
    }
    shown = sqlite_v2.get("/extensions/quotas")
    assert shown.json["extension"]["alias"] == "quotas"
    assert sqlite_v2.get("/extensions/provider").status_int == 404


def test_the_fake_plugin_serves_v2_from_its_memory(tmp_path: Path) -> None:
    """The fake is the SQL model in memory: the same services behind both doors,
    and nothing outlives its process's plugin (another configuration starts empty)."""
    from quantum.testing.client import Client

    app = Client(load_app(load_settings(write_config(tmp_path, core_plugin="fake"))))
    made = app.post(
        "/v1.1/tenants/acme/networks.json", {"network": {"name": "from-v1"}}
    )
    listed = app.request(
        "GET", "/v2.0/networks", headers={"X-Project-Id": "acme", "X-Roles": "member"}
    )
    other = write_config(tmp_path / "other", core_plugin="fake")
    fresh = Client(load_app(load_settings(other))).request(
        "GET", "/v2.0/networks", headers={"X-Project-Id": "acme", "X-Roles": "member"}
    )

    assert made.status_int == 202, made.body
    assert [n["name"] for n in listed.json["networks"]] == ["from-v1"]
    assert fresh.json == {"networks": []}


def test_the_app_loads_twice_in_one_process(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.sqlite'}"
    engine = make_engine(url)
    migration.upgrade(engine)
    engine.dispose()
    config = write_config(tmp_path, sql_connection=url)
    from quantum.testing.client import Client

    first = Client(load_app(load_settings(config)))
    second = Client(load_app(load_settings(config)))
    assert first.get("/v2.0/networks").status_int == 200
    assert second.get("/v2.0/networks").status_int == 200
