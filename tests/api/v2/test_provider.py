# SPDX-License-Identifier: Apache-2.0
"""Provider networks (spec §5.4) over the Open vSwitch plugin: admin only, validated
against its segment configuration, one network per segment."""

from __future__ import annotations

from pathlib import Path

import pytest

from quantum.api.app import load_app
from quantum.core.settings import load_settings
from quantum.db import migration
from quantum.db.session import make_engine
from quantum.testing.client import Client, write_config
from tests.api.v2.client import ADMIN, V2, error

INI = """[OVS]
tenant_network_type = vlan
network_vlan_ranges = physnet1:100:101,physnet2
tunnel_id_ranges = 1:100
"""


def _ovs_api(tmp_path: Path, **options: object) -> V2:
    """The Open vSwitch plugin on a fresh SQLite store, with extra options."""
    (tmp_path / "ovs.ini").write_text(INI)
    url = f"sqlite:///{tmp_path / 'q.sqlite'}"
    engine = make_engine(url)
    migration.upgrade(engine)
    engine.dispose()
    config = write_config(
        tmp_path,
        core_plugin="openvswitch",
        core_plugin_config="ovs.ini",
        sql_connection=url,
        **options,
    )
    return V2(Client(load_app(load_settings(config))), "openvswitch")


@pytest.fixture
def ovs(tmp_path: Path) -> V2:
    return _ovs_api(tmp_path)


def _provider(
    kind: str, physnet: str | None = None, seg: int | None = None
) -> dict[str, object]:
    attrs: dict[str, object] = {"provider:network_type": kind, "tenant_id": "acme"}
    if physnet is not None:
        attrs["provider:physical_network"] = physnet
    if seg is not None:
        attrs["provider:segmentation_id"] = seg
    return {"network": attrs}


def test_admins_see_the_segment_of_tenant_networks(ovs: V2) -> None:
    net = ovs.network()
    assert "provider:network_type" not in net
    seen = ovs.get(f"/networks/{net['id']}", ADMIN).json["network"]
    assert (
        seen["provider:network_type"],
        seen["provider:physical_network"],
        seen["provider:segmentation_id"],
    ) == ("vlan", "physnet1", 100)
    assert "provider" in {e["alias"] for e in ovs.get("/extensions").json["extensions"]}


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        (_provider("vlan", "physnet2", 3000), ("vlan", "physnet2", 3000)),
        (_provider("gre", seg=7), ("gre", None, 7)),
        (_provider("vxlan", seg=5000), ("vxlan", None, 5000)),
        (_provider("local"), ("local", None, None)),
    ],
)
def test_admins_create_provider_networks(
    ovs: V2, body: dict[str, object], shown: tuple[object, ...]
) -> None:
    made = ovs.post("/networks", body, ADMIN)
    assert made.status_int == 201, made.body
    net = made.json["network"]
    assert (
        net["provider:network_type"],
        net["provider:physical_network"],
        net["provider:segmentation_id"],
    ) == shown
    assert net["tenant_id"] == "acme"
    listed = ovs.get(f"/networks?provider:network_type={shown[0]}", ADMIN).json[
        "networks"
    ]
    assert [n["id"] for n in listed] == [net["id"]]


def test_a_segment_in_use_is_a_conflict(ovs: V2) -> None:
    assert (
        ovs.post("/networks", _provider("vlan", "physnet1", 7), ADMIN).status_int == 201
    )
    assert error(ovs.post("/networks", _provider("vlan", "physnet1", 7), ADMIN)) == (
        409,
        "SegmentInUse",
    )
    assert (
        ovs.post("/networks", _provider("vlan", "physnet2", 7), ADMIN).status_int == 201
    )
    assert ovs.post("/networks", _provider("gre", seg=9), ADMIN).status_int == 201
    assert error(ovs.post("/networks", _provider("vxlan", seg=9), ADMIN)) == (
        409,
        "SegmentInUse",
    )
    # NOTE: a tenant network takes the lowest free id, not one a provider holds.
    tenant_net = ovs.post("/networks", {"network": {"tenant_id": "t"}}, ADMIN)
    assert tenant_net.json["network"]["provider:segmentation_id"] == 100


@pytest.mark.parametrize(
    "body",
    [
        _provider("vlan"),
        _provider("vlan", "physnet9", 5),
        _provider("vlan", "physnet1"),
        _provider("vlan", "physnet1", 4095),
        _provider("vlan", "physnet1", 0),
        _provider("gre", "physnet1", 5),
        _provider("gre"),
        _provider("vxlan", seg=2**24),
        _provider("local", "physnet1"),
        _provider("local", seg=3),
        _provider("flat"),
        _provider("flat", "physnet9"),
        _provider("flat", "physnet1", 5),
        _provider("token-ring"),
        {"network": {"provider:segmentation_id": 5, "tenant_id": "a"}},
        {"network": {"provider:network_type": "vlan", "provider:segmentation_id": "x"}},
    ],
)
def test_invalid_segments_are_400_and_create_nothing(
    ovs: V2, body: dict[str, object]
) -> None:
    assert error(ovs.post("/networks", body, ADMIN)) == (400, "InvalidInput")
    assert ovs.get("/networks", ADMIN).json["networks"] == []


def test_provider_attributes_are_admin_only_and_fixed(ovs: V2) -> None:
    refused = ovs.post("/networks", _provider("gre", seg=3))
    assert error(refused) == (403, "PolicyNotAuthorized")
    net = ovs.post("/networks", _provider("gre", seg=3), ADMIN).json["network"]
    change = {"network": {"provider:segmentation_id": 4}}
    assert error(ovs.put(f"/networks/{net['id']}", change, ADMIN)) == (
        400,
        "InvalidInput",
    )
    # NOTE: a tenant cannot probe segments: its provider filters are ignored.
    probe = ovs.get("/networks?provider:segmentation_id=99").json["networks"]
    assert [n["id"] for n in probe] == [net["id"]]
    assert "provider:segmentation_id" not in probe[0]
    by_admin = ovs.get("/networks?provider:segmentation_id=99", ADMIN).json
    assert by_admin["networks"] == []


def test_the_sql_plugin_refuses_provider_networks(v2: V2) -> None:
    if v2.plugin == "openvswitch":
        made = v2.post("/networks", _provider("vlan", "physnet1", 9), ADMIN)
        assert made.status_int == 201
        return
    refused = v2.post("/networks", _provider("local"), ADMIN)
    assert error(refused) == (400, "InvalidInput")


def test_flat_networks_are_one_per_physical_network(ovs: V2) -> None:
    # spec §5.4: flat takes a configured physical network and no id; admin view
    # shows the physnet and a null segmentation_id; a second one is 409.
    made = ovs.post("/networks", _provider("flat", "physnet2"), ADMIN)
    assert made.status_int == 201, made.body
    net = made.json["network"]
    assert (
        net["provider:network_type"],
        net["provider:physical_network"],
        net["provider:segmentation_id"],
    ) == ("flat", "physnet2", None)
    again = ovs.post("/networks", _provider("flat", "physnet2"), ADMIN)
    assert error(again) == (409, "SegmentInUse")
    # the other physical network, and VLANs of the same one, are unaffected
    assert ovs.post("/networks", _provider("flat", "physnet1"), ADMIN).status_int == 201
    vlan = ovs.post("/networks", _provider("vlan", "physnet2", 7), ADMIN)
    assert vlan.status_int == 201
    # deleting the network frees the physical network
    assert ovs.delete(f"/networks/{net['id']}", ADMIN).status_int == 204
    assert ovs.post("/networks", _provider("flat", "physnet2"), ADMIN).status_int == 201


@pytest.mark.parametrize(
    ("body", "mtu"),
    [
        (_provider("vxlan", seg=5001), 1450),
        (_provider("gre", seg=8), 1458),
        (_provider("vlan", "physnet2", 3001), 1500),
        (_provider("local"), 1500),
    ],
)
def test_a_network_s_mtu_is_the_physnet_mtu_minus_its_encapsulation(
    ovs: V2, body: dict[str, object], mtu: int
) -> None:
    net = ovs.post("/networks", body, ADMIN).json["network"]
    assert net["mtu"] == mtu
    # NOTE: the owner sees the mtu, though not the segment it comes from
    seen = ovs.get(f"/networks/{net['id']}").json["network"]
    assert (seen["mtu"], "provider:network_type" in seen) == (mtu, False)
    listed = ovs.get("/networks").json["networks"]
    assert [n["mtu"] for n in listed if n["id"] == net["id"]] == [mtu]
    assert "net-mtu" in {e["alias"] for e in ovs.get("/extensions").json["extensions"]}


def test_the_mtu_follows_global_physnet_mtu_and_is_read_only(tmp_path: Path) -> None:
    jumbo = _ovs_api(tmp_path, global_physnet_mtu=9000)
    net = jumbo.post("/networks", _provider("vxlan", seg=77), ADMIN).json["network"]
    assert net["mtu"] == 8950
    refused = jumbo.post("/networks", {"network": {"mtu": 1400}})
    assert error(refused) == (400, "InvalidInput")
    assert "mtu" in refused.json["NeutronError"]["message"]
    changed = jumbo.put(f"/networks/{net['id']}", {"network": {"mtu": 1400}}, ADMIN)
    assert error(changed) == (400, "InvalidInput")
    assert jumbo.get(f"/networks/{net['id']}").json["network"]["mtu"] == 8950
