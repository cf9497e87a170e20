# SPDX-License-Identifier: Apache-2.0
"""One network across two hypervisors, for every tenant network type the agent can
carry between hosts: VXLAN and GRE tunnels over the underlay, and VLANs on a shared
physical network. Two networks use the same addresses on the same two hosts; only
the segments keep them apart. Deleting one removes its wiring from every host."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dataplane import cloud, harness
from tests.dataplane.cloud import Cloud, Guest
from tests.dataplane.harness import wait_until

DEAD_VLAN = 4095

GUESTS = {
    # name: (hypervisor, network, mac, address). A and B use the same addresses.
    "a1": ("hv1", "A", "fa:16:3e:00:0a:01", "10.1.0.1/24"),
    "a2": ("hv2", "A", "fa:16:3e:00:0a:02", "10.1.0.2/24"),
    "b1": ("hv1", "B", "fa:16:3e:00:0b:01", "10.1.0.1/24"),
    "b2": ("hv2", "B", "fa:16:3e:00:0b:02", "10.1.0.2/24"),
    "b3": ("hv2", "B", "fa:16:3e:00:0b:03", "10.1.0.3/24"),
}


@pytest.fixture(scope="module", params=cloud.NETWORK_TYPES)
def world(
    request: pytest.FixtureRequest,
    dataplane_session: harness.Session,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cloud]:
    network_type: str = request.param
    root = tmp_path_factory.mktemp(f"server-{network_type}")
    with cloud.deploy(dataplane_session, root, network_type) as world:
        hvs = {name: world.hypervisor(name) for name in ("hv1", "hv2")}
        nets = {name: world.api.network(name) for name in ("A", "B")}
        for name, (hv, net, mac, ip) in GUESTS.items():
            world.guest(name, hvs[hv], nets[net], mac, ip)
        yield world


def _neighbour(guest: Guest, address: str) -> str | None:
    """The MAC ``guest`` has learnt for ``address`` (None: none)."""
    out = guest.vm.netns.ip("neigh", "show", address, "dev", "eth0").stdout.split()
    return out[out.index("lladdr") + 1] if "lladdr" in out else None


def test_same_network_across_hosts_ping_and_tcp(world: Cloud) -> None:
    for src, dst in (("a1", "a2"), ("b2", "b1")):
        source, target = world[src].vm, world[dst].vm
        assert source.can_reach(target.address, timeout=20), world.dump()
        target.serve_tcp(5001)
        transfer = source.tcp_transfer(target.address, 5001, size=1 << 20)
        assert transfer.bytes == 1 << 20


def test_networks_sharing_addresses_across_hosts_stay_apart(world: Cloud) -> None:
    a1, a2, b1, b2, b3 = (world[name] for name in ("a1", "a2", "b1", "b2", "b3"))
    assert a1.vm.can_reach(a2.vm.address, timeout=20)
    assert b1.vm.can_reach(b2.vm.address, timeout=20)
    assert a1.vm.ping(a2.vm.address, count=5)
    # NOTE: had A's ARP or echo crossed into B (or back), the host with the same
    # address in the other network would have answered or learnt the wrong MAC.
    assert _neighbour(a1, a2.vm.address) == a2.vm.mac
    assert _neighbour(a2, a1.vm.address) == a1.vm.mac
    assert _neighbour(b1, b2.vm.address) == b2.vm.mac
    assert _neighbour(b2, b1.vm.address) == b1.vm.mac
    # 10.1.0.3 exists only in B, on the other host
    assert a1.vm.cannot_reach(b3.vm.address)
    assert _neighbour(a1, b3.vm.address) is None


def _wiring(
    world: Cloud, hv: harness.Hypervisor, local_vlan: int, segment: int
) -> list[str]:
    """The agent's flows on ``hv`` that carry the local VLAN or the segment."""
    flows = world.flows(hv)
    found = cloud.vlan_mentions(flows, local_vlan)
    if world.tunnelled:
        found += cloud.key_mentions(flows, segment)
    else:
        found += cloud.vlan_mentions(flows, segment)
    return sorted(set(found))


def test_deleting_a_network_removes_its_wiring_from_every_host(world: Cloud) -> None:
    a1, a2 = world["a1"].vm, world["a2"].vm
    b_guests = [world[name] for name in ("b1", "b2", "b3")]
    assert b_guests[0].vm.can_reach(b_guests[1].vm.address, timeout=20)
    wiring: dict[str, tuple[int, int]] = {}
    for guest in b_guests[:2]:
        hv = guest.hv
        local_vlan = int(hv.vsctl("get", "Port", str(guest.vm.device), "tag"))
        segment = cloud.segment_of(world.flows(hv), local_vlan)
        assert _wiring(world, hv, local_vlan, segment), world.dump()
        wiring[hv.name] = (local_vlan, segment)
    assert len({segment for _, segment in wiring.values()}) == 1

    # the compute service deletes b1 and b2 (b3's VIF stays, as after a crash),
    # then the tenant detaches B's ports and deletes B
    for guest in b_guests[:2]:
        guest.vm.unplug()
    for guest in b_guests:
        world.api.unplug(guest.net, guest.port_id)
    world.api.delete_network(b_guests[0].net)

    for name, (local_vlan, segment) in wiring.items():
        hv = world.hvs[name]
        wait_until(
            lambda: not _wiring(world, hv, local_vlan, segment),  # noqa: B023
            5,
            message=lambda: "\n".join(_wiring(world, hv, local_vlan, segment)),  # noqa: B023
        )
    b3 = b_guests[2].vm
    assert b3.hv is not None
    assert int(b3.hv.vsctl("get", "Port", str(b3.device), "tag")) == DEAD_VLAN
    assert a1.can_reach(a2.address, timeout=5)
