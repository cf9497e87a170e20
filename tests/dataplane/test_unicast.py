# SPDX-License-Identifier: Apache-2.0
"""Known unicast goes to the one host that has the MAC: a TCP transfer between VMs
on hv1 and hv2 puts no tunnel packet on hv3's uplink, while hv2's uplink carries
thousands; broadcast (an ARP request for an address nobody has) still reaches hv3.
Counted by a flow on each hypervisor's ``br-phy`` that matches the tunnel packets
addressed to it as they come in on ``uplink``."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.dataplane import cloud, harness
from tests.dataplane.cloud import Cloud
from tests.dataplane.harness import VM, wait_until

COUNTER_COOKIE = "0x7e57"
TUNNEL_PACKETS = {"vxlan": "udp,tp_dst=4789", "gre": "ip,nw_proto=47"}
SIZE = 4 << 20
GUESTS = {
    # name: (hypervisor, mac, address)
    "a1": ("hv1", "fa:16:3e:00:0a:01", "10.1.0.1/24"),
    "a2": ("hv2", "fa:16:3e:00:0a:02", "10.1.0.2/24"),
    "a3": ("hv3", "fa:16:3e:00:0a:03", "10.1.0.3/24"),
}


@pytest.fixture(scope="module", params=sorted(TUNNEL_PACKETS))
def world(
    request: pytest.FixtureRequest,
    dataplane_session: harness.Session,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Cloud, dict[str, VM]]]:
    kind: str = request.param
    root = tmp_path_factory.mktemp(f"unicast-{kind}")
    with cloud.deploy(dataplane_session, root, kind) as world:
        hvs = {hv.name: hv for hv in world.hypervisors("hv1", "hv2", "hv3")}
        net = world.api.v2("POST", "/networks", {"network": {"tenant_id": "t"}})
        # NOTE: the VMs send from their ports' MACs and fixed IPs (port security
        # on, the default group: what a tenant gets)
        subnet = {
            "tenant_id": "t",
            "network_id": net["network"]["id"],
            "ip_version": 4,
            "cidr": "10.1.0.0/24",
            "gateway_ip": None,
            "enable_dhcp": False,
        }
        world.api.v2("POST", "/subnets", {"subnet": subnet})
        vms = {}
        for name, (hv, mac, ip) in GUESTS.items():
            port = world.api.v2(
                "POST",
                "/ports",
                {
                    "port": {
                        "tenant_id": "t",
                        "network_id": net["network"]["id"],
                        "mac_address": mac,
                        "fixed_ips": [{"ip_address": ip.split("/")[0]}],
                        "binding:host_id": hv,
                    }
                },
            )["port"]
            vms[name] = world.lab.vm(name, mac, ip)
            vms[name].plug(hvs[hv], port["id"])
        for host in hvs.values():
            host.ofctl(
                "add-flow",
                "br-phy",
                f"cookie={COUNTER_COOKIE},priority=100,in_port=uplink,"
                f"{TUNNEL_PACKETS[kind]},nw_dst={host.underlay_ip},actions=NORMAL",
                protocol=None,
            )
        yield world, vms


def _received(hv: harness.Hypervisor) -> int:
    """Tunnel packets addressed to ``hv`` that came in on its uplink so far."""
    # NOTE: flow statistics lag the datapath until its revalidators have run
    hv.appctl("revalidator/wait")
    out = hv.ofctl("dump-flows", "br-phy", f"cookie={COUNTER_COOKIE}/-1", protocol=None)
    return sum(int(n) for n in re.findall(r"n_packets=(\d+)", out))


def test_a_transfer_between_two_hosts_puts_nothing_on_the_third(
    world: tuple[Cloud, dict[str, VM]],
) -> None:
    cloud_, vms = world
    hv1, hv2, hv3 = (cloud_.hvs[name] for name in ("hv1", "hv2", "hv3"))
    a1, a2, a3 = vms["a1"], vms["a2"], vms["a3"]
    for other in (a2, a3):
        assert a1.can_reach(other.address, timeout=20), cloud_.dump()
    wait_until(
        lambda: any(f"dl_dst={a2.mac}" in flow for flow in cloud_.flows(hv1)),
        10,
        message=cloud_.dump,
    )
    a2.serve_tcp(5001)
    before = {hv.name: _received(hv) for hv in (hv2, hv3)}
    transfer = a1.tcp_transfer(a2.address, 5001, size=SIZE)
    assert transfer.bytes == SIZE
    got = {hv.name: _received(hv) - before[hv.name] for hv in (hv2, hv3)}
    print(
        f"{cloud_.network_type}: {SIZE} bytes hv1 -> hv2 in {transfer.seconds} s; "
        f"tunnel packets received by hv2: {got['hv2']}, by hv3: {got['hv3']}"
    )
    assert got["hv2"] > 1000
    assert got["hv3"] == 0

    # control: broadcast (ARP for an address nobody has) still reaches every host
    before_hv3 = _received(hv3)
    assert a1.cannot_reach("10.1.0.99")
    assert _received(hv3) > before_hv3
