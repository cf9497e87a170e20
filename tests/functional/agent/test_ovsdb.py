# SPDX-License-Identifier: Apache-2.0
"""The agent's ``Ovsdb`` against a real ovsdb-server and ovs-vswitchd.

One simulated hypervisor of the data-plane harness (a network namespace with both
daemons, userspace datapath) per module; the agent's IDL connects to its database
from here. What the code did is checked with ``ovs-vsctl``, independently of the
IDL. Needs root and Open vSwitch; skips locally without them, fails in CI.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from quantum.agent.ovs.model import Interface, PatchLink, TunnelPort, TunnelType
from quantum.agent.ovs.ovsdb import BridgeConfig, Ovsdb
from tests.conftest import unavailable
from tests.dataplane import harness
from tests.dataplane.harness import Hypervisor, wait_until

CONTROLLER = "tcp:127.0.0.1:6653"
CONFIG = BridgeConfig(bridge_mappings={"physnet1": "br-eth1"}, datapath_type="netdev")


@dataclass
class Host:
    hv: Hypervisor
    ovsdb: Ovsdb
    changes: threading.Event

    def get(self, table: str, record: str, column: str) -> str:
        return self.hv.vsctl("--no-wait", "get", table, record, column)

    def observe(self) -> object:
        return self.ovsdb.observe(CONFIG)


@pytest.fixture(scope="module")
def host() -> Iterator[Host]:
    problem = harness.environment_problem()
    if problem:
        unavailable(problem)
    # NOTE: the session (q<pid>) is shared with tests/dataplane when both run in one
    # pytest process; only the one that made it removes it.
    owner = not (harness.BASE / f"q{os.getpid()}").exists()
    session = harness.Session.start()
    try:
        with harness.lab(session) as lab:
            hv = lab.hypervisor("ovsdb")
            changes = threading.Event()
            ovsdb = Ovsdb(hv.db, timeout=10, on_change=changes.set)
            try:
                ovsdb.ensure_bridges(CONFIG, CONTROLLER)
                yield Host(hv, ovsdb, changes)
            finally:
                ovsdb.close()
    finally:
        if owner:
            session.close()


def _linked(host: Host) -> bool:
    observed = host.ovsdb.observe(CONFIG)
    return observed.tunnel_link is not None and bool(observed.physical_links)


def test_ensure_bridges_makes_secure_openflow13_bridges_and_their_links(
    host: Host,
) -> None:
    assert set(host.hv.vsctl("list-br").split()) >= {"br-int", "br-tun", "br-eth1"}
    for bridge in CONFIG.names:
        assert host.get("Bridge", bridge, "fail_mode") == "secure"
        assert host.get("Bridge", bridge, "protocols") == "[OpenFlow13]"
        assert host.get("Bridge", bridge, "datapath_type") == "netdev"
        assert host.hv.vsctl("get-controller", bridge) == CONTROLLER
        assert host.get("Controller", bridge, "connection_mode") == "out-of-band"
    for iface, peer in (
        ("patch-tun", "patch-int"),
        ("patch-int", "patch-tun"),
        ("int-br-eth1", "phy-br-eth1"),
        ("phy-br-eth1", "int-br-eth1"),
    ):
        assert host.get("Interface", iface, "type") == "patch"
        assert host.get("Interface", iface, "options:peer") == peer
    wait_until(functools.partial(_linked, host), 10, message="patch ports up")
    observed = host.ovsdb.observe(CONFIG)
    assert observed.tunnel_link == PatchLink(
        bridge="br-tun",
        int_ofport=int(host.get("Interface", "patch-tun", "ofport")),
        peer_ofport=int(host.get("Interface", "patch-int", "ofport")),
    )
    assert observed.physical_links["physnet1"].bridge == "br-eth1"


def test_ensure_bridges_again_leaves_a_set_up_host_untouched(host: Host) -> None:
    def rows() -> str:
        bridges = "--columns=_uuid,name,ports,controller,fail_mode,protocols"
        controllers = "--columns=_uuid,target,connection_mode"
        return host.hv.vsctl("--no-wait", bridges, "list", "Bridge") + host.hv.vsctl(
            "--no-wait", controllers, "list", "Controller"
        )

    before = rows()
    host.ovsdb.ensure_bridges(CONFIG, CONTROLLER)
    assert rows() == before


def test_observe_sees_a_plugged_vif_and_its_change_wakes_the_agent(
    host: Host,
) -> None:
    host.changes.clear()
    host.hv.vsctl(
        "add-port", "br-int", "vif-a",
        "--", "set", "Interface", "vif-a", "type=internal",
        "external_ids:iface-id=port-a", "external_ids:attached-mac=fa:16:3e:00:00:0a",
    )  # fmt: skip
    assert host.changes.wait(10)

    def seen() -> Interface | None:
        found = [i for i in host.ovsdb.observe(CONFIG).interfaces if i.name == "vif-a"]
        return found[0] if found and found[0].ofport > 0 else None

    vif = wait_until(seen, 10, message="vif-a with an ofport")
    assert vif is not None
    assert vif.iface_id == "port-a"
    assert vif.attached_mac == "fa:16:3e:00:00:0a"
    assert vif.ofport == int(host.get("Interface", "vif-a", "ofport"))
    assert vif.tag is None


def test_set_tags_sets_access_vlans_and_skips_what_is_gone(host: Host) -> None:
    host.hv.vsctl("--may-exist", "add-port", "br-int", "vif-b",
                  "--", "set", "Interface", "vif-b", "type=internal")  # fmt: skip
    host.ovsdb.set_tags([("vif-b", 7), ("no-such-port", 8)])
    assert host.get("Port", "vif-b", "tag") == "7"
    host.ovsdb.set_tags([("vif-b", 9)])
    assert host.get("Port", "vif-b", "tag") == "9"

    def tag() -> object:
        found = [i for i in host.ovsdb.observe(CONFIG).interfaces if i.name == "vif-b"]
        return found and found[0].tag == 9

    wait_until(tag, 10, message="the IDL sees tag 9")


def test_tunnel_ports_added_with_their_ofport_and_removed(host: Host) -> None:
    port = TunnelPort(
        name="vxlan-c0000202", type=TunnelType.VXLAN, remote_ip="192.0.2.2", ofport=40
    )
    host.ovsdb.add_tunnel_ports("br-tun", [port], "192.0.2.1")
    assert host.get("Interface", port.name, "type") == "vxlan"
    assert host.get("Interface", port.name, "options:local_ip") == '"192.0.2.1"'
    assert host.get("Interface", port.name, "options:key") == "flow"

    def observed_tunnels() -> tuple[TunnelPort, ...]:
        return host.ovsdb.observe(CONFIG).tunnel_ports

    wait_until(lambda: observed_tunnels() == (port,), 10, message="ofport 40")
    host.ovsdb.remove_tunnel_ports("br-tun", [port])
    assert port.name not in host.hv.vsctl("list-ports", "br-tun").split()
    wait_until(lambda: observed_tunnels() == (), 10, message="the IDL sees it gone")


def test_observe_waits_while_the_idl_applies_an_update(host: Host) -> None:
    # NOTE: the IDL thread holds this lock while it changes the rows; a reader that
    # does not take it can see half an update or a dict changing under it.
    lock = host.ovsdb.api.ovsdb_connection.lock
    done = threading.Event()

    def observe() -> None:
        host.ovsdb.observe(CONFIG)
        done.set()

    with lock:
        reader = threading.Thread(target=observe, daemon=True)
        reader.start()
        assert not done.wait(0.5)
    assert done.wait(10)
    reader.join(10)
