# SPDX-License-Identifier: Apache-2.0
"""Fixtures of the agent API tests.

* ``store``: an empty, migrated SQLite store in a temp dir.
* ``app``: the Paste app over ``store`` with the Open vSwitch plugin (GRE) and the
  shared secret ``SECRET``; ``store.app(name)`` makes further instances (another
  server process, as far as the store can tell).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from quantum.api.app import load_app
from quantum.core.settings import load_settings
from quantum.db import migration
from quantum.db.session import make_engine
from quantum.testing.client import Client, write_config

SECRET = "s3cret"
AUTH = {"X-Quantum-Agent-Secret": SECRET}
OVS_INI = "[OVS]\ntenant_network_type = gre\ntunnel_id_ranges = 100:199\n"
NETS = "/v1.1/tenants/t/networks.json"


@dataclass
class Store:
    directory: Path
    url: str

    def app(self, name: str, **options: object) -> Client:
        """Another app instance (as another server process would be) on the store."""
        directory = self.directory / name
        directory.mkdir()
        (directory / "ovs.ini").write_text(OVS_INI)
        values: dict[str, object] = {
            "core_plugin": "openvswitch",
            "core_plugin_config": "ovs.ini",
            "sql_connection": self.url,
            "agent_secret": SECRET,
            **options,
        }
        return Client(load_app(load_settings(write_config(directory, **values))))


def migrated_store(directory: Path) -> Store:
    """An empty, migrated SQLite store in ``directory``."""
    url = f"sqlite:///{directory / 'quantum.sqlite'}"
    engine = make_engine(url)
    migration.upgrade(engine)
    engine.dispose()
    return Store(directory, url)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return migrated_store(tmp_path)


@pytest.fixture
def app(store: Store) -> Client:
    return store.app("one")


def call(client: Client, method: str, path: str, body: Any = None) -> Any:
    response = client.request(method, "/agent/v1" + path, body, AUTH)
    assert response.status_int == 200, response.body
    return json.loads(response.body)


def register(client: Client, host: str, ip: str | None = "192.0.2.1") -> int:
    body = {
        "tunnel_ip": ip,
        "tunnel_types": ["gre"] if ip else [],
        "agent_version": "1",
    }
    return int(call(client, "POST", f"/hosts/{host}", body)["revision"])


def plugged_port(
    client: Client, iface_id: str, *, state: str = "ACTIVE"
) -> tuple[str, str]:
    """A new network with one port holding ``iface_id``: (network id, port id)."""
    net = json.loads(client.post(NETS, {"network": {"name": "n"}}).body)["network"][
        "id"
    ]
    ports = f"/v1.1/tenants/t/networks/{net}/ports"
    port = json.loads(client.post(f"{ports}.json", {"port": {"state": state}}).body)
    port_id = port["port"]["id"]
    plug = client.put(
        f"{ports}/{port_id}/attachment.json", {"attachment": {"id": iface_id}}
    )
    assert plug.status_int == 204, plug.body
    return net, port_id
