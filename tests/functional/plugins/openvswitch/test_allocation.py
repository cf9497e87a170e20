# SPDX-License-Identifier: Apache-2.0
"""Segment allocation of the Open vSwitch plugin on SQLite, PostgreSQL and MariaDB:
concurrent creates never share an id, exhaustion is a clear error, deleted networks'
ids are reused, and each network type gets the segment it should."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import pytest
from sqlalchemy import text

from quantum.core import exceptions as exc
from quantum.core.networks import Network, NetworkSegment, NetworkType
from quantum.core.settings import Settings
from quantum.plugins.interface import CorePlugin
from quantum.plugins.openvswitch.plugin import OpenVSwitchPlugin
from quantum.plugins.openvswitch.segments import IdRange, SegmentConfig
from quantum.plugins.sql import SqlPlugin
from tests.functional.db.test_store import race

TENANT = "tenant-a"
VLAN = SegmentConfig(
    tenant_network_type=NetworkType.VLAN,
    vlan_ranges={"physnet1": (IdRange(1000, 1003),)},
)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(sql_connection=database_url, sql_pool_size=8)


def _plugin(settings: Settings, segments: SegmentConfig) -> OpenVSwitchPlugin:
    return OpenVSwitchPlugin(settings, segments=segments)


@pytest.fixture
def vlan_plugin(settings: Settings) -> Iterator[OpenVSwitchPlugin]:
    p = _plugin(settings, VLAN)
    yield p
    p.close()


def _ids(plugin: OpenVSwitchPlugin, networks: list[Network]) -> list[int | None]:
    return [plugin.get_network_segment(n.id).segmentation_id for n in networks]


def test_the_plugin_holds_the_contract(vlan_plugin: OpenVSwitchPlugin) -> None:
    assert isinstance(vlan_plugin, CorePlugin)


@pytest.mark.parametrize(
    "segments",
    [
        VLAN,
        SegmentConfig(
            tenant_network_type=NetworkType.VXLAN, tunnel_ranges=(IdRange(7, 10),)
        ),
    ],
    ids=["vlan", "vxlan"],
)
def test_concurrent_creates_on_four_ids_give_four_distinct_segments(
    settings: Settings, segments: SegmentConfig
) -> None:
    # Each racer has its own engine, as separate server workers would.
    plugins = [_plugin(settings, segments) for _ in range(8)]
    try:
        results = race(
            [partial(p.create_network, TENANT, f"n{i}") for i, p in enumerate(plugins)]
        )
        made = [r for r in results if isinstance(r, Network)]
        refused = [r for r in results if isinstance(r, exc.NoNetworkAvailable)]
        assert len(made) == 4, results
        assert len(refused) == 4, results
        # NOTE: a VLAN or VXLAN segment has an id; a None would leave fewer than four.
        ids = [i for i in _ids(plugins[0], made) if i is not None]
        assert len(set(ids)) == 4
        pool = segments.vlan_ranges["physnet1"] if segments.vlan_ranges else None
        first = (pool or segments.tunnel_ranges)[0].first
        assert sorted(ids) == [first, first + 1, first + 2, first + 3]
        # A refused create leaves nothing behind.
        assert len(plugins[0].list_networks(TENANT)) == 4
        assert set(plugins[0].get_network_segments()) == {n.id for n in made}
    finally:
        for p in plugins:
            p.close()


def test_exhaustion_is_a_clear_error_and_creates_nothing(
    vlan_plugin: OpenVSwitchPlugin,
) -> None:
    for i in range(4):
        vlan_plugin.create_network(TENANT, f"n{i}")
    with pytest.raises(exc.NoNetworkAvailable) as raised:
        vlan_plugin.create_network(TENANT, "one too many")
    assert str(raised.value) == (
        "Unable to create the network. No vlan segment is available: all ids in "
        "physnet1:1000:1003 are in use."
    )
    assert isinstance(raised.value, exc.ServiceUnavailable)
    assert [n.name for n in vlan_plugin.list_networks(TENANT)] == [
        "n0",
        "n1",
        "n2",
        "n3",
    ]


def test_a_deleted_networks_id_is_reused(vlan_plugin: OpenVSwitchPlugin) -> None:
    nets = [vlan_plugin.create_network(TENANT, f"n{i}") for i in range(4)]
    assert _ids(vlan_plugin, nets) == [1000, 1001, 1002, 1003]
    port = vlan_plugin.create_port(TENANT, nets[2].id, admin_state_up=True)
    vlan_plugin.delete_network(TENANT, nets[2].id)
    with pytest.raises(exc.NetworkNotFound):
        vlan_plugin.get_network_segment(nets[2].id)
    again = vlan_plugin.create_network(TENANT, "again")
    assert vlan_plugin.get_network_segment(again.id).segmentation_id == 1002
    assert vlan_plugin.list_ports(TENANT, again.id) == []
    assert port.network_id == nets[2].id


def test_a_refused_delete_keeps_the_segment(vlan_plugin: OpenVSwitchPlugin) -> None:
    net = vlan_plugin.create_network(TENANT, "busy")
    port = vlan_plugin.create_port(TENANT, net.id, admin_state_up=True)
    vlan_plugin.plug_attachment(TENANT, net.id, port.id, "vif-1")
    with pytest.raises(exc.NetworkInUse):
        vlan_plugin.delete_network(TENANT, net.id)
    assert vlan_plugin.get_network_segment(net.id).segmentation_id == 1000
    assert (
        vlan_plugin.get_network_segment(
            vlan_plugin.create_network(TENANT, "next").id
        ).segmentation_id
        == 1001
    )


def test_vlan_ranges_per_physical_network(settings: Settings) -> None:
    plugin = _plugin(
        settings,
        SegmentConfig(
            tenant_network_type=NetworkType.VLAN,
            vlan_ranges={
                "external": (),
                "physnet1": (IdRange(10, 10), IdRange(20, 20)),
                "physnet2": (IdRange(10, 11),),
            },
        ),
    )
    try:
        nets = [plugin.create_network(TENANT, f"n{i}") for i in range(4)]
        assert [
            (s.physical_network, s.segmentation_id)
            for s in (plugin.get_network_segment(n.id) for n in nets)
        ] == [("physnet1", 10), ("physnet1", 20), ("physnet2", 10), ("physnet2", 11)]
        with pytest.raises(exc.NoNetworkAvailable, match="physnet2:10:11"):
            plugin.create_network(TENANT, "full")
        plugin.delete_network(TENANT, nets[1].id)
        assert plugin.get_network_segment(
            plugin.create_network(TENANT, "again").id
        ) == NetworkSegment(
            network_id=plugin.list_networks(TENANT)[-1].id,
            network_type=NetworkType.VLAN,
            physical_network="physnet1",
            segmentation_id=20,
        )
    finally:
        plugin.close()


@pytest.mark.parametrize("kind", [NetworkType.GRE, NetworkType.VXLAN])
def test_tunnel_networks_take_keys_from_the_tunnel_range(
    settings: Settings, kind: NetworkType
) -> None:
    plugin = _plugin(
        settings,
        SegmentConfig(tenant_network_type=kind, tunnel_ranges=(IdRange(5, 6),)),
    )
    try:
        nets = [plugin.create_network(TENANT, f"n{i}") for i in range(2)]
        segments = plugin.get_network_segments([n.id for n in nets])
        assert [segments[n.id] for n in nets] == [
            NetworkSegment(network_id=n.id, network_type=kind, segmentation_id=key)
            for n, key in zip(nets, (5, 6), strict=True)
        ]
        with pytest.raises(exc.NoNetworkAvailable, match=f"No {kind} segment.*5:6"):
            plugin.create_network(TENANT, "full")
    finally:
        plugin.close()


def test_gre_and_vxlan_share_the_tunnel_keys(settings: Settings) -> None:
    keys = (IdRange(1, 2),)
    gre = _plugin(
        settings, SegmentConfig(tenant_network_type=NetworkType.GRE, tunnel_ranges=keys)
    )
    vxlan = _plugin(
        settings,
        SegmentConfig(tenant_network_type=NetworkType.VXLAN, tunnel_ranges=keys),
    )
    try:
        a = gre.create_network(TENANT, "gre")
        b = vxlan.create_network(TENANT, "vxlan")
        assert gre.get_network_segment(a.id).segmentation_id == 1
        assert gre.get_network_segment(b.id) == NetworkSegment(
            network_id=b.id, network_type=NetworkType.VXLAN, segmentation_id=2
        )
        with pytest.raises(exc.NoNetworkAvailable):
            gre.create_network(TENANT, "full")
    finally:
        gre.close()
        vxlan.close()


def test_local_networks_have_no_id(settings: Settings) -> None:
    plugin = _plugin(settings, SegmentConfig())
    try:
        nets = [plugin.create_network(TENANT, f"n{i}") for i in range(3)]
        for net in nets:
            assert plugin.get_network_segment(net.id) == NetworkSegment(
                network_id=net.id, network_type=NetworkType.LOCAL
            )
    finally:
        plugin.close()


def test_ids_outside_new_ranges_stay_with_their_networks(settings: Settings) -> None:
    first = _plugin(settings, VLAN)
    net = first.create_network(TENANT, "old")
    first.close()
    narrower = SegmentConfig(
        tenant_network_type=NetworkType.VLAN,
        vlan_ranges={"physnet1": (IdRange(1001, 1001),)},
    )
    second = _plugin(settings, narrower)
    try:
        assert second.get_network_segment(net.id).segmentation_id == 1000
        new = second.create_network(TENANT, "new")
        assert second.get_network_segment(new.id).segmentation_id == 1001
        second.delete_network(TENANT, net.id)
        with pytest.raises(exc.NoNetworkAvailable):
            second.create_network(TENANT, "full")
    finally:
        second.close()


def test_a_network_without_a_segment_is_not_found(
    vlan_plugin: OpenVSwitchPlugin,
) -> None:
    # A network made while the plain SQL plugin served the store has no segment.
    sql = SqlPlugin(Settings(sql_connection=vlan_plugin.db.url))
    plain = sql.create_network(TENANT, "plain")
    sql.close()
    for missing in (plain.id, "no-such-network"):
        with pytest.raises(exc.NetworkNotFound):
            vlan_plugin.get_network_segment(missing)
    assert vlan_plugin.get_network_segments([plain.id, "no-such-network"]) == {}


def test_segments_are_freed_by_the_store_itself(
    vlan_plugin: OpenVSwitchPlugin,
) -> None:
    net = vlan_plugin.create_network(TENANT, "n")
    vlan_plugin.delete_network(TENANT, net.id)
    counts = vlan_plugin.db.run(
        lambda s: [
            s.execute(text(f"SELECT count(*) FROM {t}")).scalar()  # noqa: S608
            for t in ("network_segments", "vlan_allocations")
        ],
        write=False,
    )
    assert counts == [0, 0]
