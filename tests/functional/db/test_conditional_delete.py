# SPDX-License-Identifier: Apache-2.0
"""``If-Match: revision_number=N`` on DELETE is checked in the DELETE itself
(``... WHERE id = :id AND revision_number IN (:n)``; routers and floating IPs check
it on the row their delete locks), on SQLite, PostgreSQL and MariaDB: an update
that commits after the controller read the item at revision N, and before the
delete, is not deleted over (412, the item stays at N + 1)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from quantum.api.app import load_app
from quantum.core.settings import load_settings
from quantum.plugins.core.networks import NetworkStore
from quantum.plugins.core.ports import PortStore
from quantum.plugins.core.subnets import SubnetStore
from quantum.plugins.l3.floatingips import FloatingIpStore
from quantum.plugins.l3.routers import RouterStore
from quantum.testing.client import Client, write_config
from tests.conftest import UNLIMITED

ACME = {"X-Project-Id": "acme", "X-Roles": "member"}
STORES: dict[str, Any] = {
    "networks": NetworkStore,
    "subnets": SubnetStore,
    "ports": PortStore,
    "routers": RouterStore,
    "floatingips": FloatingIpStore,
}
ADMIN = {"X-Project-Id": "admin", "X-Roles": "admin"}


def _app(database_url: str, tmp_path: Path) -> Client:
    config = write_config(
        tmp_path,
        core_plugin="sql",
        service_plugins="router",
        sql_connection=database_url,
    )
    with config.open("a") as conf:
        conf.write(UNLIMITED)
    return Client(load_app(load_settings(config)))


def _item(client: Client, collection: str) -> str:
    def post(
        path: str, body: dict[str, Any], caller: dict[str, str] = ACME
    ) -> dict[str, Any]:
        made = client.request("POST", f"/v2.0/{path}", body, caller)
        assert made.status_int == 201, made.body
        return made.json  # type: ignore[no-any-return]

    if collection == "routers":
        return str(post("routers", {"router": {"name": "r"}})["router"]["id"])
    if collection == "floatingips":
        ext = {"network": {"name": "ext", "router:external": True}}
        ext_id = post("networks", ext, ADMIN)["network"]["id"]
        cidr = {"network_id": ext_id, "cidr": "172.24.4.0/24", "ip_version": 4}
        post("subnets", {"subnet": cidr}, ADMIN)
        made = post("floatingips", {"floatingip": {"floating_network_id": ext_id}})
        return str(made["floatingip"]["id"])
    net = post("networks", {"network": {"name": "n"}})["network"]["id"]
    if collection == "networks":
        return str(net)
    if collection == "subnets":
        body = {"subnet": {"network_id": net, "cidr": "10.0.0.0/24", "ip_version": 4}}
        return str(post("subnets", body)["subnet"]["id"])
    return str(post("ports", {"port": {"network_id": net}})["port"]["id"])


@pytest.mark.parametrize("collection", sorted(STORES))
def test_an_update_between_the_read_and_the_delete_is_not_deleted_over(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    collection: str,
) -> None:
    store = STORES[collection]
    real: Callable[..., None] = store.delete
    racing: dict[str, bool] = {"on": False}

    def delete(
        self: Any, scope: Any, item_id: str, revisions: Sequence[int] = ()
    ) -> None:
        if racing["on"]:
            racing["on"] = False
            # NOTE: another client's update commits after the controller read
            # (and checked) revision 1, before the delete runs.
            other = threading.Thread(
                target=client.request,
                args=("PUT", f"/v2.0/{collection}/{item_id}", body, ACME),
            )
            other.start()
            other.join(timeout=30)
            assert not other.is_alive()
        real(self, scope, item_id, revisions)

    monkeypatch.setattr(store, "delete", delete)
    client = _app(database_url, tmp_path)
    field = "description" if collection == "floatingips" else "name"
    body = {collection[:-1]: {field: "theirs"}}
    item = _item(client, collection)
    path = f"/v2.0/{collection}/{item}"
    assert (
        client.request("GET", path, headers=ACME).json[collection[:-1]][
            "revision_number"
        ]
        == 1
    )

    racing["on"] = True
    refused = client.request(
        "DELETE", path, headers={**ACME, "If-Match": "revision_number=1"}
    )

    assert refused.status_int == 412, refused.body
    assert refused.json["NeutronError"]["type"] == "RevisionNumberConstraintFailed"
    assert "current revision is 2" in refused.json["NeutronError"]["message"]
    shown = client.request("GET", path, headers=ACME).json[collection[:-1]]
    assert (shown[field], shown["revision_number"]) == ("theirs", 2)
    # the positive control: at the revision it is at, it goes
    gone = client.request(
        "DELETE", path, headers={**ACME, "If-Match": "revision_number=2"}
    )
    assert gone.status_int == 204, gone.body
    assert client.request("GET", path, headers=ACME).status_int == 404
