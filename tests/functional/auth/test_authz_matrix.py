# SPDX-License-Identifier: Apache-2.0
"""The authorization matrix: every v1 route x {owner, reader, other tenant, admin,
no token}
x {v1.0, v1.1}, with real Keystone tokens; and what a reader may do on v2.0.

Each cell seeds its own resources in the owner's tenant, sends one request to a URL
under the owner's tenant, and checks the status and the store read back through the
plugin: a refused request changes nothing; an allowed write changes something; a read
changes nothing. Another tenant learns nothing: it gets the not-found fault for the
owner's network (whatever the port), or the plain 404 for the owner's collection.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from quantum.plugins.interface import CorePlugin
from tests.functional.auth.conftest import Identity, KeystoneApi
from tests.functional.auth.conftest import _api as fresh_api

NNF_MESSAGE = "Unable to find a network with the specified identifier."
NOT_FOUND_PAGE = b"404 Not Found\n\nThe resource could not be found.\n\n   "


@dataclass(frozen=True)
class Route:
    operation: str
    method: str
    path: str
    """Below ``/tenants/{tenant}``; {net}, {empty}, {idle}, {plugged} filled in."""
    body: dict[str, Any] | None = None

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    @property
    def on_network(self) -> bool:
        return "{" in self.path


ROUTES = (
    Route("list_networks", "GET", "/networks"),
    Route("list_networks_detail", "GET", "/networks/detail"),
    Route("create_network", "POST", "/networks", {"network": {"name": "new"}}),
    Route("show_network", "GET", "/networks/{net}"),
    Route("show_network_detail", "GET", "/networks/{net}/detail"),
    Route("update_network", "PUT", "/networks/{net}", {"network": {"name": "renamed"}}),
    Route("delete_network", "DELETE", "/networks/{empty}"),
    Route("list_ports", "GET", "/networks/{net}/ports"),
    Route("list_ports_detail", "GET", "/networks/{net}/ports/detail"),
    Route(
        "create_port", "POST", "/networks/{net}/ports", {"port": {"state": "ACTIVE"}}
    ),
    Route("show_port", "GET", "/networks/{net}/ports/{idle}"),
    Route("show_port_detail", "GET", "/networks/{net}/ports/{idle}/detail"),
    Route(
        "update_port",
        "PUT",
        "/networks/{net}/ports/{idle}",
        {"port": {"state": "DOWN"}},
    ),
    Route("delete_port", "DELETE", "/networks/{net}/ports/{idle}"),
    Route("show_attachment", "GET", "/networks/{net}/ports/{plugged}/attachment"),
    Route(
        "plug_attachment",
        "PUT",
        "/networks/{net}/ports/{idle}/attachment",
        {"attachment": {"id": "vif-new-{n}"}},
    ),
    Route("unplug_attachment", "DELETE", "/networks/{net}/ports/{plugged}/attachment"),
)

WHO = ("owner", "reader", "other", "admin", "none")
USER = {"owner": "demo", "reader": "reader", "other": "alt", "admin": "nova"}
"""Keystone users; the compute service (nova, role admin) is the administrator;
``reader`` has only the reader role, in the owner's project: it reads, and any
write is refused as if the thing did not exist (v1 has no 403)."""

VERSIONS = ("v1.0", "v1.1")


def test_the_matrix_covers_every_v1_route() -> None:
    from quantum.api.v1.router import ROUTES as SERVED

    served = {operation for _, _, operation in SERVED if operation}
    assert {r.operation for r in ROUTES} == served


def _snapshot(plugin: CorePlugin, tenants: list[str]) -> Any:
    state = []
    for tenant in tenants:
        nets = plugin.networks.list_owned(tenant, with_ports=True)
        for net in sorted(nets, key=lambda n: n.id):
            ports = sorted(
                (p.id, p.admin_state_up, p.attachment) for p in net.ports or ()
            )
            state.append((tenant, net.id, net.name, tuple(ports)))
    return state


def _success(route: Route, version: str) -> int:
    if route.method == "POST":
        return 200 if version == "v1.0" else 202
    return 204 if route.method in ("PUT", "DELETE") else 200


_counter = itertools.count()


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.operation)
def test_route_by_caller(
    keystone: Identity,
    keystone_api: KeystoneApi,
    route: Route,
    who: str,
    version: str,
) -> None:
    plugin = keystone_api.service.plugin
    owner = keystone.project("demo")
    n = next(_counter)
    net = plugin.networks.create_owned(owner, f"net-{n}")
    empty = plugin.networks.create_owned(owner, f"empty-{n}")
    idle = plugin.ports.create_on_network(owner, net.id, admin_state_up=True)
    plugged = plugin.ports.create_on_network(owner, net.id, admin_state_up=True)
    plugin.ports.plug(owner, net.id, plugged.id, f"vif-old-{n}")
    ids = {"net": net.id, "empty": empty.id, "idle": idle.id, "plugged": plugged.id}
    path = route.path.format(**ids)
    body = None
    if route.body is not None:
        body = json.loads(json.dumps(route.body).replace("{n}", str(n)))
    tenants = [owner, keystone.project("alt"), keystone.project("nova")]
    before = _snapshot(plugin, tenants)

    headers = {"Content-Type": "application/json"}
    if who != "none":
        headers["X-Auth-Token"] = keystone.token(USER[who])
    response = keystone_api.client.request(
        route.method, f"/{version}/tenants/{owner}{path}.json", body, headers
    )

    after = _snapshot(plugin, tenants)
    if who == "none":
        assert response.status_int == 401
        assert after == before
    elif who == "other" or (who == "reader" and route.writes):
        if route.on_network:
            target = net.id if "{net}" in route.path else empty.id
            detail = f"Network {target} could not be found"
            if version == "v1.0":
                assert response.status == "420 networkNotFound"
                assert json.loads(response.body) == {
                    "networkNotFound": {
                        "code": 420,
                        "message": NNF_MESSAGE,
                        "detail": detail,
                    }
                }
            else:
                assert response.status == "404 Not Found"
                assert json.loads(response.body) == {
                    "QuantumError": {
                        "type": "NetworkNotFound",
                        "message": NNF_MESSAGE,
                        "detail": detail,
                    }
                }
        else:
            assert response.status == "404 Not Found"
            assert response.body == NOT_FOUND_PAGE
        assert after == before
    else:
        assert response.status_int == _success(route, version), response.body
        if route.writes:
            assert after != before
        else:
            assert after == before
            if route.operation.startswith("list_networks"):
                listed = {n["id"] for n in json.loads(response.body)["networks"]}
                assert {net.id, empty.id} <= listed


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r.on_network], ids=lambda r: r.operation
)
def test_own_url_with_another_tenants_ids_finds_nothing(
    keystone: Identity, keystone_api: KeystoneApi, route: Route, version: str
) -> None:
    """Whatever the URL says: the other tenant's own URL with the owner's ids."""
    plugin = keystone_api.service.plugin
    owner, intruder = keystone.project("demo"), keystone.project("alt")
    n = next(_counter)
    net = plugin.networks.create_owned(owner, f"net-{n}")
    empty = plugin.networks.create_owned(owner, f"empty-{n}")
    idle = plugin.ports.create_on_network(owner, net.id, admin_state_up=True)
    plugged = plugin.ports.create_on_network(owner, net.id, admin_state_up=True)
    plugin.ports.plug(owner, net.id, plugged.id, f"vif-old-{n}")
    ids = {"net": net.id, "empty": empty.id, "idle": idle.id, "plugged": plugged.id}
    before = _snapshot(plugin, [owner, intruder])
    body = None
    if route.body is not None:
        body = json.loads(json.dumps(route.body).replace("{n}", str(n)))
    response = keystone_api.client.request(
        route.method,
        f"/{version}/tenants/{intruder}{route.path.format(**ids)}.json",
        body,
        {"Content-Type": "application/json", "X-Auth-Token": keystone.token("alt")},
    )
    assert response.status in ("420 networkNotFound", "404 Not Found")
    assert "NetworkNotFound" in response.text or "networkNotFound" in response.text
    assert _snapshot(plugin, [owner, intruder]) == before


def test_a_reader_reads_v2_and_writes_nothing(
    keystone: Identity, tmp_path: Path
) -> None:
    """Only the reader role: GET answers as for the owner; create is 403, update
    and delete read as not found, and nothing changes. The member of the same
    project (the positive control) may do each."""
    client = fresh_api(tmp_path, keystone.keystone).client
    owner, reader = keystone.token("demo"), keystone.token("reader")

    def call(token: str, method: str, path: str, body: Any = None) -> Any:
        headers = {"Content-Type": "application/json", "X-Auth-Token": token}
        return client.request(method, f"/v2.0{path}", body, headers)

    made = call(owner, "POST", "/networks", {"network": {"name": "mine"}})
    assert made.status_int == 201, made.body
    net = made.json["network"]["id"]
    shown = call(reader, "GET", f"/networks/{net}")
    assert shown.status_int == 200
    assert shown.json["network"]["name"] == "mine"
    assert net in {n["id"] for n in call(reader, "GET", "/networks").json["networks"]}

    refused = call(reader, "POST", "/networks", {"network": {"name": "r"}})
    assert refused.status_int == 403
    assert refused.json["NeutronError"]["type"] == "PolicyNotAuthorized"
    port = call(reader, "POST", "/ports", {"port": {"network_id": net}})
    assert port.status_int == 403
    renamed = call(reader, "PUT", f"/networks/{net}", {"network": {"name": "r"}})
    assert renamed.status_int == 404
    assert call(reader, "DELETE", f"/networks/{net}").status_int == 404
    listed = call(owner, "GET", "/networks").json["networks"]
    assert [(n["id"], n["name"]) for n in listed if n["name"] in ("mine", "r")] == [
        (net, "mine")
    ]
    assert call(owner, "GET", "/ports").json["ports"] == []

    updated = call(owner, "PUT", f"/networks/{net}", {"network": {"name": "r"}})
    assert updated.status_int == 200
    assert call(owner, "DELETE", f"/networks/{net}").status_int == 204
