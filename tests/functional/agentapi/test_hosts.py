# SPDX-License-Identifier: Apache-2.0
"""Agent hosts in the Open vSwitch plugin on SQLite, PostgreSQL and MariaDB:
concurrent first registrations of one host, and a host's desired state."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from ipaddress import ip_address
from pathlib import Path

import pytest
from sqlalchemy import text

from quantum.core.agents import AgentHost
from quantum.core.networks import NetworkType
from quantum.core.scope import Scope
from quantum.core.settings import Settings
from quantum.db import migration
from quantum.db.session import make_engine
from quantum.plugins.openvswitch.plugin import OpenVSwitchPlugin
from quantum.plugins.openvswitch.segments import IdRange, SegmentConfig

GRE = SegmentConfig(
    tenant_network_type=NetworkType.GRE, tunnel_ranges=(IdRange(1, 100),)
)


@pytest.fixture
def plugin(database_url: str) -> Iterator[OpenVSwitchPlugin]:
    p = OpenVSwitchPlugin(
        Settings(sql_connection=database_url, sql_pool_size=8), segments=GRE
    )
    yield p
    p.close()


def _host(name: str, ip: str) -> AgentHost:
    return AgentHost(
        host=name, tunnel_ip=ip_address(ip), tunnel_types=frozenset({NetworkType.GRE})
    )


def test_concurrent_first_registrations_of_a_host(plugin: OpenVSwitchPlugin) -> None:
    start = plugin.current_revision()
    errors: list[BaseException] = []

    def register() -> None:
        try:
            plugin.report_host(_host("h1", "192.0.2.1"))
        except BaseException as error:  # noqa: BLE001  # NOTE: reported below
            errors.append(error)

    threads = [threading.Thread(target=register) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert plugin.current_revision() == start + 1
    plugin.report_host(_host("h2", "192.0.2.2"))
    state = plugin.host_state("h2", [])
    assert [(h.host, str(h.tunnel_ip)) for h in state.peers] == [("h1", "192.0.2.1")]


def test_host_state_binds_ports_by_attachment(plugin: OpenVSwitchPlugin) -> None:
    net = plugin.create_network("t", "n")
    port = plugin.create_port("t", net.id, admin_state_up=True)
    plugin.plug_attachment("t", net.id, port.id, "vif-1")
    state = plugin.host_state("h1", ["vif-1", "vif-1", "vif-2"])
    assert state.revision == plugin.current_revision()
    assert [(b.port.id, b.segment.segmentation_id) for b in state.ports] == [
        (port.id, 1)
    ]


def test_binding_a_port_to_its_host_bumps_its_revision(
    plugin: OpenVSwitchPlugin,
) -> None:
    net = plugin.create_network("t", "n")
    port = plugin.create_port("t", net.id, admin_state_up=True)
    plugin.plug_attachment("t", net.id, port.id, "vif-1")
    admin = Scope(tenant_id=None, is_admin=True)
    before = plugin.ports.get(admin, port.id)
    plugin.host_state("h1", ["vif-1"])
    bound = plugin.ports.get(admin, port.id)
    assert bound.binding_host_id == "h1"
    assert bound.revision_number == before.revision_number + 1
    assert bound.updated_at is not None
    assert before.created_at is not None
    assert bound.updated_at >= before.created_at
    # another host finding it changes nothing: no new revision
    plugin.host_state("h2", ["vif-1"])
    again = plugin.ports.get(admin, port.id)
    assert (again.binding_host_id, again.revision_number) == (
        "h1",
        bound.revision_number,
    )


def test_migration_0008_gives_registered_hosts_an_id_and_a_creation_time(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'q.sqlite'}")
    migration.upgrade(engine, "0007")
    seen = datetime(2026, 1, 2, 3, 4, 5)
    with engine.begin() as conn:
        for host in ("hv1", "hv2"):
            conn.execute(
                text(
                    "INSERT INTO agent_hosts (host, tunnel_ip, tunnel_types, "
                    "agent_version, last_seen) VALUES (:h, NULL, '', '1', :t)"
                ),
                {"h": host, "t": seen},
            )
    migration.upgrade(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT host, id, created_at FROM agent_hosts ORDER BY host")
        ).all()
    assert [r.host for r in rows] == ["hv1", "hv2"]
    assert len({str(uuid.UUID(r.id)) for r in rows}) == 2
    assert all(str(r.created_at).startswith("2026-01-02 03:04:05") for r in rows)
    migration.downgrade(engine, "0007")
    engine.dispose()


def test_migration_0014_keeps_registered_hosts_as_their_ovs_agents(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'q.sqlite'}")
    migration.upgrade(engine, "0013")
    seen = datetime(2026, 1, 2, 3, 4, 5)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO agent_hosts (host, id, created_at, tunnel_ip, "
                "tunnel_types, agent_version, last_seen) "
                "VALUES ('hv1', 'a1', :t, '192.0.2.1', 'gre', '1', :t)"
            ),
            {"t": seen},
        )
    migration.upgrade(engine)
    with engine.begin() as conn:
        row = conn.execute(
            text("SELECT agent_type, binary, id, host, tunnel_ip FROM agent_hosts")
        ).one()
        assert tuple(row) == (
            "Open vSwitch agent",
            "quantum-openvswitch-agent",
            "a1",
            "hv1",
            "192.0.2.1",
        )
        # NOTE: the same host, another type: a second agent
        conn.execute(
            text(
                "INSERT INTO agent_hosts (agent_type, binary, host, id, created_at, "
                "tunnel_types, agent_version, last_seen) "
                "VALUES ('DHCP agent', 'quantum-dhcp-agent', 'hv1', 'a2', :t, '', "
                "'1', :t)"
            ),
            {"t": seen},
        )
    migration.downgrade(engine, "0013")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, host FROM agent_hosts")).all()
    assert [tuple(r) for r in rows] == [("a1", "hv1")]
    engine.dispose()
