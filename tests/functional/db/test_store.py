# SPDX-License-Identifier: Apache-2.0
"""The SQL plugin against SQLite, PostgreSQL and MariaDB: invariants under concurrency,
persistence across restarts, exact identifier comparison, and schema versioning."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from quantum.api.app import load_app
from quantum.core import exceptions as exc
from quantum.core.exceptions import ConfigError
from quantum.core.settings import Settings, load_settings
from quantum.core.status import OpStatus
from quantum.db import migration
from quantum.db import session as session_module
from quantum.db.session import make_engine
from quantum.plugins.sql import SqlPlugin
from quantum.testing.client import Client, write_config

T = TypeVar("T")
TENANT = "tenant-a"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(sql_connection=database_url, sql_pool_size=8)


@pytest.fixture
def plugin(settings: Settings) -> Iterator[SqlPlugin]:
    p = SqlPlugin(settings)
    yield p
    p.close()


def race(actions: Sequence[Callable[[], T]]) -> list[T | BaseException]:
    """Run each action in its own thread, all released together; collect results."""
    count = len(actions)
    barrier = threading.Barrier(count)
    results: list[T | BaseException] = [RuntimeError("not run")] * count

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = actions[i]()
        except BaseException as error:  # noqa: BLE001  # NOTE: collected for assertions
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_concurrent_plugs_of_one_attachment_give_one_success(
    settings: Settings,
) -> None:
    # Each racer has its own engine, as separate server workers would.
    plugins = [SqlPlugin(settings) for _ in range(4)]
    try:
        net = plugins[0].create_network(TENANT, "race")
        for round_ in range(10):
            ports = [
                plugins[0].create_port(TENANT, net.id, admin_state_up=True)
                for _ in range(4)
            ]
            vif = f"vif-{round_}"
            results = race(
                [
                    partial(p.plug_attachment, TENANT, net.id, port.id, vif)
                    for p, port in zip(plugins, ports, strict=True)
                ]
            )
            winners = [r for r in results if r is None]
            losers = [r for r in results if isinstance(r, exc.AlreadyAttached)]
            assert len(winners) == 1, results
            assert len(losers) == 3, results
            held = [
                p for p in plugins[0].list_ports(TENANT, net.id) if p.attachment == vif
            ]
            assert len(held) == 1
            assert all(held[0].id in str(loser) for loser in losers)
    finally:
        for p in plugins:
            p.close()


def test_concurrent_plugs_into_one_port_give_one_success(settings: Settings) -> None:
    plugins = [SqlPlugin(settings) for _ in range(4)]
    try:
        net = plugins[0].create_network(TENANT, "race")
        port = plugins[0].create_port(TENANT, net.id, admin_state_up=True)
        results = race(
            [
                partial(p.plug_attachment, TENANT, net.id, port.id, f"vif-{i}")
                for i, p in enumerate(plugins)
            ]
        )
        assert sum(r is None for r in results) == 1, results
        assert sum(isinstance(r, exc.PortInUse) for r in results) == 3, results
    finally:
        for p in plugins:
            p.close()


def test_delete_network_racing_plug_never_orphans_an_attachment(
    settings: Settings,
) -> None:
    plugins = [SqlPlugin(settings) for _ in range(2)]
    try:
        for round_ in range(10):
            net = plugins[0].create_network(TENANT, f"n{round_}")
            port = plugins[0].create_port(TENANT, net.id, admin_state_up=True)
            results = race(
                [
                    partial(plugins[0].delete_network, TENANT, net.id),
                    partial(
                        plugins[1].plug_attachment,
                        TENANT,
                        net.id,
                        port.id,
                        f"v{round_}",
                    ),
                ]
            )
            deleted, plugged = results[0] is None, results[1] is None
            # Exactly one wins: either the network is gone (and the plug saw that),
            # or the port is plugged (and the delete was refused).
            assert deleted != plugged, results
            if deleted:
                assert isinstance(results[1], exc.NetworkNotFound | exc.PortNotFound)
            else:
                assert isinstance(results[0], exc.NetworkInUse)
                assert plugins[0].get_port(TENANT, net.id, port.id).attachment
    finally:
        for p in plugins:
            p.close()


def test_restart_loses_nothing(settings: Settings) -> None:
    first = SqlPlugin(settings)
    net = first.create_network(TENANT, "kept")
    port = first.create_port(TENANT, net.id, admin_state_up=True)
    first.plug_attachment(TENANT, net.id, port.id, "vif-kept")
    first.close()

    second = SqlPlugin(settings)
    try:
        again = second.get_network(TENANT, net.id, with_ports=True)
        assert again.name == "kept"
        assert again.ports is not None
        assert [(p.id, p.admin_state_up, p.attachment) for p in again.ports] == [
            (port.id, True, "vif-kept")
        ]
    finally:
        second.close()


def test_identifiers_compare_exactly(plugin: SqlPlugin) -> None:
    net = plugin.create_network(TENANT, "exact")
    ports = [plugin.create_port(TENANT, net.id, admin_state_up=True) for _ in range(3)]
    # Case and trailing blanks make different attachment ids on every back-end.
    for port, vif in zip(ports, ("VIF", "vif", "vif "), strict=True):
        plugin.plug_attachment(TENANT, net.id, port.id, vif)
    assert {p.attachment for p in plugin.list_ports(TENANT, net.id)} == {
        "VIF",
        "vif",
        "vif ",
    }
    assert plugin.list_networks(TENANT.upper()) == []


def test_non_ascii_and_long_names_round_trip(plugin: SqlPlugin) -> None:
    name = "réseau-网络-🙂" + "x" * (255 - len("réseau-网络-🙂"))
    net = plugin.create_network("tenant-ü", name)
    assert plugin.get_network("tenant-ü", net.id).name == name


def test_foreign_tenant_sees_nothing(plugin: SqlPlugin) -> None:
    net = plugin.create_network(TENANT, "mine")
    port = plugin.create_port(TENANT, net.id, admin_state_up=False)
    with pytest.raises(exc.NetworkNotFound):
        plugin.get_port("intruder", net.id, port.id)
    with pytest.raises(exc.NetworkNotFound):
        plugin.delete_network("intruder", net.id)
    assert plugin.list_networks("intruder") == []


def test_down_port_reports_down_whatever_the_agent_said(plugin: SqlPlugin) -> None:
    net = plugin.create_network(TENANT, "status")
    port = plugin.create_port(TENANT, net.id, admin_state_up=True)
    assert plugin.get_port(TENANT, net.id, port.id).status is OpStatus.DOWN
    plugin.set_port_status(port.id, OpStatus.UP)
    assert plugin.get_port(TENANT, net.id, port.id).status is OpStatus.UP
    plugin.update_port(TENANT, net.id, port.id, admin_state_up=False)
    assert plugin.get_port(TENANT, net.id, port.id).status is OpStatus.DOWN
    plugin.unplug_attachment(TENANT, net.id, port.id)
    plugin.update_port(TENANT, net.id, port.id, admin_state_up=True)
    assert plugin.get_port(TENANT, net.id, port.id).status is OpStatus.DOWN


def test_delete_network_removes_its_unplugged_ports(plugin: SqlPlugin) -> None:
    net = plugin.create_network(TENANT, "gone")
    for _ in range(3):
        plugin.create_port(TENANT, net.id, admin_state_up=True)
    plugin.delete_network(TENANT, net.id)
    with pytest.raises(exc.NetworkNotFound):
        plugin.list_ports(TENANT, net.id)
    count = plugin.db.run(
        lambda s: s.execute(text("SELECT count(*) FROM ports")).scalar(), write=False
    )
    assert count == 0


def test_schema_behind_head_is_refused_with_the_fix(
    database_url: str, tmp_path: Path
) -> None:
    engine = make_engine(database_url)
    try:
        migration.downgrade(engine, "base")
        with pytest.raises(
            ConfigError, match="quantum-db-manage --config-file q.conf upgrade head"
        ):
            SqlPlugin(Settings(sql_connection=database_url, config_file="q.conf"))
        migration.upgrade(engine)
        assert migration.current_revision(engine) == migration.head_revision()
    finally:
        engine.dispose()


def test_ids_no_back_end_can_store_are_simply_not_found(
    database_url: str, tmp_path: Path
) -> None:
    """The rule is the doors' (v1, v2.0): the store is never asked about such an
    id, and each answers as for an id nothing has (the v1 extensions answer 400)."""
    config = write_config(tmp_path, core_plugin="sql", sql_connection=database_url)
    client = Client(load_app(load_settings(config)))
    v1 = f"/v1.1/tenants/{TENANT}/networks"
    made = client.request("POST", f"{v1}.json", {"network": {"name": "n"}})
    net = made.json["network"]["id"]
    port = client.request("POST", f"{v1}/{net}/ports.json", {"port": {}})
    assert port.status_int == 202

    def fault(method: str, path: str, body: object = None) -> tuple[int, str]:
        answer = client.request(method, path, body)  # type: ignore[arg-type]
        return answer.status_int, answer.json["QuantumError"]["type"]

    listed = client.request("GET", "/v1.1/tenants/a%00b/networks.json")
    assert (listed.status_int, listed.json) == (200, {"networks": []})
    missing = (404, "NetworkNotFound")
    assert fault("GET", "/v1.1/tenants/a%00b/networks/x.json") == missing
    assert fault("GET", f"{v1}/a%00b.json") == missing
    assert fault("DELETE", f"/v1.1/tenants/a%00b/networks/{net}.json") == missing
    assert fault("POST", f"{v1}/a%00b/ports.json", {"port": {}}) == missing
    assert fault("GET", f"{v1}/{net}/ports/p%00.json") == (404, "PortNotFound")
    # NOTE: a bad network still wins over a bad port, as in the store.
    assert fault("GET", f"{v1}/no-such/ports/p%00.json") == missing
    # NOTE: a bad body still wins over a bad id, as before.
    assert fault("PUT", f"{v1}/{net}/ports/p%00/attachment.json", {})[0] == 400
    multiport = client.request(
        "POST",
        "/v1.1/extensions/csco/tenants/a%00b/multiport.json",
        {"multiport": {"net_id_list": [net], "status": "ACTIVE", "ports_desc": {}}},
        {"Content-Type": "application/json"},
    )
    # NOTE: the extensions' edge refuses such an id with its 400 fault instead
    # (tests/api/test_v1_cisco_extensions.py, ...refused_at_the_edge_with_a_400).
    assert multiport.status_int == 400
    v2 = {"X-Project-Id": TENANT, "X-Roles": "member"}
    for collection in ("networks", "subnets", "ports"):
        answer = client.request("GET", f"/v2.0/{collection}/a%00b", headers=v2)
        assert answer.status_int == 404
    quota = client.request("GET", "/v2.0/quotas/a%00b", headers=v2)
    assert quota.status_int == 400


def test_upgrade_to_0007_keeps_every_row_and_stops_the_port_cascade(
    database_url: str,
) -> None:
    """0007 rebuilds ``ports`` on SQLite: nothing referring to a port may go with
    the old table, and afterwards a network with ports cannot be deleted."""
    rows = [
        "INSERT INTO networks (id, tenant_id, name, status, admin_state_up, "
        "created_at, shared, router_external) VALUES ('n-0007', 't', 'n', 'UP', "
        "true, '2026-01-01 00:00:00', false, false)",
        "INSERT INTO ports (id, network_id, tenant_id, admin_state_up, status, "
        "created_at, mac_address) VALUES ('p-0007', 'n-0007', 't', true, 'DOWN', "
        "'2026-01-01 00:00:00', 'fa:16:3e:00:00:07')",
        "INSERT INTO subnets (id, tenant_id, network_id, name, ip_version, cidr, "
        "enable_dhcp, created_at) VALUES ('s-0007', 't', 'n-0007', '', 4, "
        "'10.7.0.0/24', true, '2026-01-01 00:00:00')",
        "INSERT INTO ip_allocations (subnet_id, ip_address, network_id, port_id, "
        "position) VALUES ('s-0007', '10.7.0.2', 'n-0007', 'p-0007', 0)",
    ]
    counted = ("networks", "ports", "subnets", "ip_allocations")
    engine = make_engine(database_url)
    try:
        migration.downgrade(engine, "0006")
        with engine.begin() as conn:
            for row in rows:
                conn.execute(text(row))
        migration.upgrade(engine)
        with engine.connect() as conn:
            counts = {
                table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608  # NOTE: our names
                for table in counted
            }
        assert counts == dict.fromkeys(counted, 1)
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("DELETE FROM networks WHERE id = 'n-0007'"))
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM ports WHERE id = 'p-0007'"))
            conn.execute(text("DELETE FROM networks WHERE id = 'n-0007'"))
    finally:
        engine.dispose()


# NOTE: a file has no server to lose: the servers' back-ends only.
@pytest.mark.parametrize("database_url", ["postgresql", "mysql"], indirect=True)
def test_a_connection_the_server_dropped_while_idle_is_replaced(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pooled connection the server killed (a restart, a firewall) is pinged at
    its next checkout once idle ``PING_AFTER_IDLE`` and replaced: the caller never
    sees it. One handed back a moment ago is not pinged (a round trip saved)."""
    engine = make_engine(database_url)
    backend = engine.dialect.name
    pings: list[str] = []
    real_ping = engine.dialect.do_ping

    def ping(dbapi_conn: object) -> bool:
        pings.append("ping")
        return real_ping(dbapi_conn)  # type: ignore[arg-type]

    monkeypatch.setattr(engine.dialect, "do_ping", ping)
    killer = make_engine(database_url)
    try:
        with engine.connect() as conn:
            victim = conn.execute(
                text(
                    "SELECT pg_backend_pid()"
                    if backend == "postgresql"
                    else "SELECT CONNECTION_ID()"
                )
            ).scalar()
        with engine.connect() as conn:  # NOTE: just handed back: no ping
            conn.execute(text("SELECT 1"))
        assert pings == []
        with killer.connect() as conn:
            conn.execute(
                text(
                    f"SELECT pg_terminate_backend({victim})"
                    if backend == "postgresql"
                    else f"KILL {victim}"
                )
            )
        monkeypatch.setattr(session_module, "PING_AFTER_IDLE", 0.0)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 2")).scalar() == 2
        assert pings == ["ping"]
    finally:
        engine.dispose()
        killer.dispose()
