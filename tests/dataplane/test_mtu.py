# SPDX-License-Identifier: Apache-2.0
"""A network's ``mtu`` on a 1500-byte underlay: VMs that use it move 4 MiB over
VXLAN and GRE between hypervisors. The control: the same VMs at 1500 bytes get
their small packets through but stall on full-size ones (the userspace datapath
drops an encapsulated frame larger than the uplink, it does not fragment)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.dataplane import cloud, harness
from tests.dataplane.cloud import Cloud

UNDERLAY_MTU = 1500
EXPECTED = {"vxlan": 1450, "gre": 1458}
SIZE = 4 << 20


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def world(
    request: pytest.FixtureRequest,
    dataplane_session: harness.Session,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cloud]:
    network_type: str = request.param
    root = tmp_path_factory.mktemp(f"mtu-{network_type}")
    with cloud.deploy(
        dataplane_session, root, network_type, underlay_mtu=UNDERLAY_MTU
    ) as world:
        hv1, hv2 = world.hypervisors("hv1", "hv2")
        net = world.api.network("A")
        world.guest("a1", hv1, net, "fa:16:3e:00:0a:01", "10.1.0.1/24")
        world.guest("a2", hv2, net, "fa:16:3e:00:0a:02", "10.1.0.2/24")
        yield world


def _set_mtu(vm: harness.VM, mtu: int) -> None:
    vm.netns.ip("link", "set", vm.NIC, "mtu", str(mtu))


def test_vms_at_the_network_mtu_move_4_mib_across_a_1500_byte_underlay(
    world: Cloud,
) -> None:
    a1, a2 = world["a1"], world["a2"]
    mtu = world.api.v2("GET", f"/networks/{a1.net}")["network"]["mtu"]
    assert (
        mtu
        == EXPECTED[world.network_type]
        == UNDERLAY_MTU - (50 if world.network_type == "vxlan" else 42)
    )
    assert a1.vm.can_reach(a2.vm.address, timeout=20), world.dump()
    a2.vm.serve_tcp(5001)
    a2.vm.serve_tcp(5002)  # NOTE: the control's stalled connection keeps its sink

    # control: at 1500 the full-size segments never arrive
    for guest in (a1, a2):
        _set_mtu(guest.vm, 1500)
    with pytest.raises(harness.CommandFailed):
        a1.vm.tcp_transfer(a2.vm.address, 5002, size=SIZE, timeout=5)
    assert a1.vm.ping(a2.vm.address)

    for guest in (a1, a2):
        _set_mtu(guest.vm, mtu)
    transfer = a1.vm.tcp_transfer(a2.vm.address, 5001, size=SIZE, timeout=30)
    print(f"{world.network_type}: {SIZE} bytes at mtu {mtu} in {transfer.seconds} s")
    assert transfer.bytes == SIZE
