# SPDX-License-Identifier: Apache-2.0
"""What a worker keeps of the ports it listed (``quantum.core.workingset``): their
addresses while they exist, none once the ports and their subnet are deleted; a
bounded number of addresses and times whatever it lists."""

from __future__ import annotations

from datetime import datetime, timedelta

from quantum.api.v2 import attributes
from quantum.api.v2.extensions import timestamp
from quantum.ipam import store
from tests.api.v2.client import V2
from tests.api.v2.test_subnets import ips, subnet


def test_a_deleted_subnets_addresses_are_not_kept(sqlite_v2: V2) -> None:
    net = sqlite_v2.network()
    sub = subnet(sqlite_v2, net["id"], "10.9.0.0/24")
    ports = [sqlite_v2.port(net["id"]) for _ in range(5)]
    listed = sqlite_v2.get(f"/ports?network_id={net['id']}").json["ports"]
    addresses = sorted(a for p in listed for a in ips(p))
    assert addresses == sorted(a for p in ports for a in ips(p))
    assert all((sub["id"], a) in store.FIXED_IPS for a in addresses)

    for port in ports:
        assert sqlite_v2.delete(f"/ports/{port['id']}").status_int == 204
    assert sqlite_v2.delete(f"/subnets/{sub['id']}").status_int == 204
    assert not any((sub["id"], a) in store.FIXED_IPS for a in addresses)
    assert not any(a in store.STORED_ADDRESSES for a in addresses)

    # NOTE: a new subnet with the same CIDR hands out the same addresses again,
    # listed under the new subnet.
    again = subnet(sqlite_v2, net["id"], "10.9.0.0/24")
    port = sqlite_v2.port(net["id"])
    shown = sqlite_v2.get(f"/ports?network_id={net['id']}").json["ports"]
    assert [p["fixed_ips"] for p in shown] == [
        [{"subnet_id": again["id"], "ip_address": ips(port)[0]}]
    ]
    assert ips(port)[0] in addresses


def test_memos_are_bounded() -> None:
    """However many addresses a worker lists, each memo holds at most twice its
    cap (8,192 a generation), not every address ever listed."""
    memos = (
        store.FIXED_IPS,
        store.STORED_ADDRESSES,
        attributes._ADDRESS_TEXT,
        timestamp.STAMPS,
    )
    start = datetime(2026, 12, 7, 23, 0, 0)
    try:
        for i in range(40_000):
            ip = store.fixed_ip("s", f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}")
            attributes.wire(ip)
            timestamp.stamp(start + timedelta(microseconds=i))
        assert len(attributes._ADDRESS_TEXT) > 8192
        assert timestamp.stamp(start) == "2026-12-07T23:00:00Z"
        assert all(len(memo) <= 2 * 8192 for memo in memos)
    finally:
        for memo in memos:
            memo.clear()
