# SPDX-License-Identifier: Apache-2.0
"""The original's QoS and port-statistics extensions on a real data plane: a QoS
policy associated with a port through a port profile caps what the VM sends
(the agent meters the port on br-int and sets its interface's ingress policing),
and the port's counters, read by the agent from OVS, move with known traffic."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dataplane import cloud, harness
from tests.dataplane.cloud import Cloud
from tests.dataplane.harness import wait_until

RATE_KBPS = 10_000
BURST_KB = 2_000
CISCO = "/v1.1/extensions/csco/tenants/t"


def _call(world: Cloud, method: str, path: str, body: Any = None) -> Any:
    conn = http.client.HTTPConnection("127.0.0.1", world.api.port, timeout=10)
    try:
        data = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"}
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        raw = response.read()
    finally:
        conn.close()
    assert response.status == 200, (method, path, response.status, raw)
    return json.loads(raw) if raw else None


@pytest.fixture(scope="module")
def world(
    dataplane_session: harness.Session, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cloud]:
    root: Path = tmp_path_factory.mktemp("server-extensions")
    with cloud.deploy(dataplane_session, root, "vxlan") as world:
        hv1 = world.hypervisor("hv1")
        net = world.api.network("A")
        world.guest("a1", hv1, net, "fa:16:3e:00:0a:01", "10.1.0.1/24")
        world.guest("a2", hv1, net, "fa:16:3e:00:0a:02", "10.1.0.2/24")
        assert world["a1"].vm.can_reach(world["a2"].vm.address, timeout=20)
        world["a2"].vm.serve_tcp(5001)
        yield world


def _meters(world: Cloud) -> str:
    return world["a1"].hv.ofctl("dump-meters", "br-int")


def _kbps(world: Cloud, size: int) -> float:
    a1, a2 = world["a1"].vm, world["a2"].vm
    transfer = a1.tcp_transfer(a2.address, 5001, size=size, timeout=60)
    assert transfer.bytes == size
    return transfer.bytes * 8 / 1000 / transfer.seconds


def test_a_qos_policy_caps_what_the_port_sends(world: Cloud) -> None:
    a1 = world["a1"]
    uncapped = _kbps(world, 8 << 20)
    assert uncapped > 5 * RATE_KBPS, f"too slow to show a cap: {uncapped:.0f} kbit/s"
    desc = {"rate": RATE_KBPS, "burst": BURST_KB}
    _call(
        world, "POST", f"{CISCO}/qoss", {"qos": {"qos_name": "gold", "qos_desc": desc}}
    )
    made = _call(
        world,
        "POST",
        f"{CISCO}/portprofiles",
        {"portprofile": {"portprofile_name": "capped", "qos_name": "gold"}},
    )
    profile = made["portprofiles"]["portprofile"]["id"]
    assoc = {"portprofile": {"network-id": a1.net, "port-id": a1.port_id}}
    _call(world, "PUT", f"{CISCO}/portprofiles/{profile}/associate_portprofile", assoc)
    wait_until(lambda: f"rate={RATE_KBPS}" in _meters(world), 15, message="meter")
    policing = a1.hv.vsctl(
        "--bare", "--columns=ingress_policing_rate,ingress_policing_burst",
        "find", "Interface", f"external_ids:iface-id={a1.iface_id}",
    ).split()  # fmt: skip
    assert policing == [str(RATE_KBPS), str(BURST_KB)]

    capped = _kbps(world, 4 << 20)
    print(f"\nQoS: configured {RATE_KBPS} kbit/s, measured {capped:.0f} kbit/s "
          f"(uncapped {uncapped:.0f} kbit/s)")  # fmt: skip
    assert 0.5 * RATE_KBPS <= capped <= 1.15 * RATE_KBPS

    _call(
        world, "PUT", f"{CISCO}/portprofiles/{profile}/disassociate_portprofile", assoc
    )
    wait_until(lambda: "meter=" not in _meters(world), 15, message="meter removed")
    again = _kbps(world, 8 << 20)
    print(f"QoS: after disassociation {again:.0f} kbit/s")
    assert again > 3 * RATE_KBPS


def _stats(world: Cloud, name: str) -> dict[str, int]:
    guest = world[name]
    body = _call(
        world,
        "GET",
        f"/v1.0/extensions/ovs/tenants/t/networks/{guest.net}/ports/"
        f"{guest.port_id}/stats.json",
    )
    return dict(body["stats"])


def _settled(world: Cloud, name: str) -> dict[str, int]:
    """The counters once the reports of earlier traffic are in: two reads a
    report interval apart (heartbeat 5 s, OVS statistics every 5 s) agree."""
    last: list[dict[str, int]] = [_stats(world, name)]

    def same() -> bool:
        time.sleep(6)
        now = _stats(world, name)
        stable = now == last[-1]
        last.append(now)
        return stable

    wait_until(same, 40, message=f"{name}'s counters settle")
    return last[-1]


def test_port_counters_move_with_known_traffic(world: Cloud) -> None:
    size = 3 << 20
    packets = 200
    before1, before2 = _settled(world, "a1"), _settled(world, "a2")
    _kbps(world, size)
    pinged = world["a1"].vm.exec(
        "ping", "-n", "-q", "-c", str(packets), "-i", "0.01", "-W", "1",
        world["a2"].vm.address, timeout=30,
    )  # fmt: skip
    assert f"{packets} received" in pinged.stdout

    def moved() -> bool:
        after1, after2 = _stats(world, "a1"), _stats(world, "a2")
        # NOTE: OVS counts on its side of the port: rx is what the VM sent.
        return (
            after1["rx_bytes"] - before1["rx_bytes"] >= size
            and after1["rx_packets"] - before1["rx_packets"] >= packets
            and after2["tx_bytes"] - before2["tx_bytes"] >= size
            and after2["tx_packets"] - before2["tx_packets"] >= packets
        )

    wait_until(
        moved,
        30,
        message=lambda: (
            f"the counters show the traffic: a1 {before1} -> "
            f"{_stats(world, 'a1')}, a2 {before2} -> {_stats(world, 'a2')}"
        ),
    )
    after1, after2 = _stats(world, "a1"), _stats(world, "a2")
    print(
        f"\nstats a1: rx_bytes +{after1['rx_bytes'] - before1['rx_bytes']}, "
        f"rx_packets +{after1['rx_packets'] - before1['rx_packets']}; "
        f"a2: tx_bytes +{after2['tx_bytes'] - before2['tx_bytes']}, "
        f"tx_packets +{after2['tx_packets'] - before2['tx_packets']} "
        f"(sent {size} bytes of TCP and {packets} pings)"
    )
    assert after1["rx_errors"] == before1["rx_errors"]
