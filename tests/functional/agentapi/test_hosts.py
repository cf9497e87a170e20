# SPDX-License-Identifier: Apache-2.0
"""Agent hosts in the Open vSwitch plugin on SQLite, PostgreSQL and MariaDB:
concurrent first registrations of one host, and a host's desired state."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from ipaddress import ip_address

import pytest

from quantum.core.models import AgentHost, NetworkType
from quantum.core.settings import Settings
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
