# SPDX-License-Identifier: Apache-2.0
"""The v1 API over ``core_plugin = openvswitch`` where it differs from the SQL plugin:
an exhausted segment range is a 503 fault (not a 500) and creates nothing, and a bad
plugin ini stops the app from loading. (The whole v1 contract runs over this plugin
through the ``openvswitch-sqlite`` variant of the ``api`` fixture.)"""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET  # noqa: S405  # NOTE: parses our own output

import pytest

from quantum.api.app import load_app
from quantum.core.exceptions import ConfigError
from quantum.core.settings import load_settings
from quantum.db import migration
from quantum.db.session import make_engine
from quantum.testing.client import Client, write_config

DETAIL = (
    "Unable to create the network. No vlan segment is available: all ids in "
    "physnet1:7:7 are in use."
)


def _client(directory: Path, ini: str) -> Client:
    directory.mkdir(parents=True)
    (directory / "ovs.ini").write_text(ini)
    url = f"sqlite:///{directory / 'quantum.sqlite'}"
    engine = make_engine(url)
    migration.upgrade(engine)
    engine.dispose()
    config = write_config(
        directory,
        core_plugin="openvswitch",
        core_plugin_config="ovs.ini",
        sql_connection=url,
    )
    return Client(load_app(load_settings(config)))


@pytest.fixture
def one_vlan(tmp_path: Path) -> Client:
    return _client(
        tmp_path / "one",
        "[OVS]\ntenant_network_type = vlan\nnetwork_vlan_ranges = physnet1:7:7\n",
    )


@pytest.mark.parametrize("version", ["v1.0", "v1.1"])
def test_exhausted_range_is_a_503_fault_and_creates_nothing(
    one_vlan: Client, version: str
) -> None:
    nets = f"/{version}/tenants/t/networks.json"
    assert one_vlan.post(nets, {"network": {"name": "a"}}).status_int in (200, 202)
    refused = one_vlan.post(nets, {"network": {"name": "b"}})
    assert refused.status == "503 Service Unavailable"
    assert refused.content_type == "application/json"
    assert json.loads(refused.body) == {
        "serviceUnavailable": {"code": 503, "message": DETAIL}
    }
    listed = json.loads(one_vlan.get(nets).body)["networks"]
    assert len(listed) == 1


def test_exhaustion_fault_in_xml(one_vlan: Client) -> None:
    nets = "/v1.1/tenants/t/networks.xml"
    body = '<network name="a"/>'
    headers = {"Content-Type": "application/xml"}
    assert one_vlan.post(nets, body, **headers).status_int == 202
    refused = one_vlan.post(nets, body, **headers)
    assert refused.status_int == 503
    root = ET.fromstring(refused.body)  # noqa: S314  # NOTE: our own server's output
    assert root.tag.endswith("serviceUnavailable")
    assert root.get("code") == "503"
    assert [child.text for child in root] == [DETAIL]


def test_deleting_a_network_frees_its_segment_for_the_next(one_vlan: Client) -> None:
    nets = "/v1.1/tenants/t/networks.json"
    first = json.loads(one_vlan.post(nets, {"network": {"name": "a"}}).body)
    net_id = first["network"]["id"]
    assert one_vlan.delete(f"/v1.1/tenants/t/networks/{net_id}.json").status_int == 204
    assert one_vlan.post(nets, {"network": {"name": "b"}}).status_int == 202


def test_a_bad_plugin_ini_stops_the_app_naming_the_option(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"tenant_network_type in \[OVS\] of .*ovs"):
        _client(tmp_path / "bad", "[OVS]\ntenant_network_type = token-ring\n")
