# SPDX-License-Identifier: Apache-2.0
"""Holds from DHCP leases (``store.record_leases``) on SQLite, PostgreSQL and
MariaDB: a released address is held until the later of the release plus the hold
and the end of its lease as dnsmasq last recorded it; a lease renewed after the
release moves the hold out; reports never shorten anything."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from quantum.core.dhcp import DhcpLease
from quantum.core.subnets import FixedIP
from quantum.db.models import IpAllocationRow, IpAvailabilityRow, PortRow, utcnow
from quantum.db.session import Database
from quantum.ipam import allocate, store
from quantum.plugins.sql import SqlPlugin
from tests.functional.ipam.test_store import (
    HOLD,
    TENANT,
    addresses,
    create_port,
    delete_port,
    make_subnet,
    plugin,  # noqa: F401  # NOTE: the fixture
)

MAC = "fa:16:3e:00:00:01"


def _now() -> datetime:
    return utcnow().replace(microsecond=0)


def _with_mac(db: Database, port_id: str, mac: str) -> None:
    db.run(
        lambda s: s.execute(
            update(PortRow).where(PortRow.id == port_id).values(mac_address=mac)
        ),
        write=True,
    )


def _record(
    db: Database, served: set[str], leases: Sequence[tuple[str, str, str, datetime]]
) -> int:
    found = [
        DhcpLease(network_id=n, ip_address=a, mac_address=m, expires_at=at)
        for n, a, m, at in leases
    ]
    return db.run(lambda s: store.record_leases(s, served, found), write=True)


def _held(db: Database, subnet_id: str, address: str) -> tuple[datetime, datetime]:
    """The held address's expiration and its free range's ``available_at``."""

    def read(s: Session) -> tuple[datetime, datetime]:
        row = s.get(IpAllocationRow, (subnet_id, address))
        assert row is not None
        assert row.port_id is None
        key = allocate.address_key(int(store.stored_address(address)))
        available = s.scalar(
            select(IpAvailabilityRow.available_at).where(
                IpAvailabilityRow.subnet_id == subnet_id,
                IpAvailabilityRow.first_key == key,
            )
        )
        assert row.expiration is not None
        assert available is not None
        return row.expiration, available

    return db.run(read, write=False)


def _port_at(db: Database, network_id: str, now: datetime) -> tuple[FixedIP, ...]:
    """A new port's addresses as IPAM picks them at ``now``."""

    def work(s: Session) -> tuple[FixedIP, ...]:
        port_id = str(uuid.uuid4())
        s.add(
            PortRow(
                id=port_id,
                network_id=network_id,
                tenant_id=TENANT,
                admin_state_up=True,
                status="DOWN",
                created_at=utcnow(),
            )
        )
        s.flush()
        return store.allocate_port_ips(s, network_id, port_id, None, now=now)

    return db.run(work, write=True)


def test_a_released_address_is_held_until_its_reported_lease_ends(
    plugin: SqlPlugin,  # noqa: F811
) -> None:
    net = plugin.create_network(TENANT, "n")
    other = plugin.create_network(TENANT, "o")
    subnet = make_subnet(plugin.db, net.id, "10.0.0.0/24")
    port, ips = create_port(plugin.db, net.id)
    assert addresses(ips) == ["10.0.0.2"]
    _with_mac(plugin.db, port, MAC)
    now = _now()
    end = now + HOLD + timedelta(minutes=10)
    served = {net.id, other.id}
    assert _record(plugin.db, served, [(net.id, "10.0.0.2", MAC, end)]) == 1
    # another MAC, another network, a network not served, an earlier end: ignored
    ignored = [
        (net.id, "10.0.0.2", "fa:16:3e:00:00:99", end + timedelta(hours=1)),
        (other.id, "10.0.0.2", MAC, end + timedelta(hours=1)),
        (net.id, "10.0.0.2", MAC, end - timedelta(minutes=1)),
    ]
    assert _record(plugin.db, served, ignored) == 0
    assert _record(plugin.db, {other.id}, [(net.id, "10.0.0.2", MAC, end)]) == 0
    delete_port(plugin.db, port)
    assert _held(plugin.db, subnet.id, "10.0.0.2") == (end, end)
    # past the hold but not the lease: still held
    after_hold = now + HOLD + timedelta(seconds=5)
    assert addresses(_port_at(plugin.db, net.id, after_hold)) == ["10.0.0.3"]
    # past the lease: recycled, lowest first
    after_lease = end + timedelta(seconds=1)
    assert addresses(_port_at(plugin.db, net.id, after_lease)) == ["10.0.0.2"]


def test_without_a_hold_only_a_known_lease_keeps_an_address(
    plugin: SqlPlugin,  # noqa: F811
) -> None:
    net = plugin.create_network(TENANT, "n")
    subnet = make_subnet(plugin.db, net.id, "10.0.0.0/24")
    leased, _ = create_port(plugin.db, net.id)
    unleased, _ = create_port(plugin.db, net.id)
    _with_mac(plugin.db, leased, MAC)
    end = _now() + timedelta(minutes=2)
    assert _record(plugin.db, {net.id}, [(net.id, "10.0.0.2", MAC, end)]) == 1
    delete_port(plugin.db, leased, hold=timedelta(0))
    delete_port(plugin.db, unleased, hold=timedelta(0))
    assert _held(plugin.db, subnet.id, "10.0.0.2") == (end, end)
    # control: the address nobody reported a lease for is freed at once
    assert addresses(create_port(plugin.db, net.id)[1]) == ["10.0.0.3"]
    # a lease that already ended keeps nothing
    gone, _ = create_port(plugin.db, net.id)
    _with_mac(plugin.db, gone, "fa:16:3e:00:00:02")
    ended = _now() - timedelta(minutes=1)
    _record(plugin.db, {net.id}, [(net.id, "10.0.0.4", "fa:16:3e:00:00:02", ended)])
    delete_port(plugin.db, gone, hold=timedelta(0))
    assert addresses(create_port(plugin.db, net.id)[1]) == ["10.0.0.4"]


def test_a_lease_renewed_after_the_release_moves_the_hold_out(
    plugin: SqlPlugin,  # noqa: F811
) -> None:
    net = plugin.create_network(TENANT, "n")
    subnet = make_subnet(plugin.db, net.id, "10.0.0.0/24")
    port, _ = create_port(plugin.db, net.id)
    _with_mac(plugin.db, port, MAC)
    now = _now()
    first = now + timedelta(seconds=60)
    assert _record(plugin.db, {net.id}, [(net.id, "10.0.0.2", MAC, first)]) == 1
    delete_port(plugin.db, port)
    hold, available = _held(plugin.db, subnet.id, "10.0.0.2")
    assert hold == available >= now + HOLD
    # dnsmasq renewed it before it re-read its hosts file: the hold moves out
    renewed = hold + timedelta(minutes=5)
    assert _record(plugin.db, {net.id}, [(net.id, "10.0.0.2", MAC, renewed)]) == 1
    assert _held(plugin.db, subnet.id, "10.0.0.2") == (renewed, renewed)
    # a late report of the earlier lease changes nothing
    assert _record(plugin.db, {net.id}, [(net.id, "10.0.0.2", MAC, first)]) == 0
    assert _held(plugin.db, subnet.id, "10.0.0.2") == (renewed, renewed)
    assert addresses(_port_at(plugin.db, net.id, hold + timedelta(seconds=1))) == [
        "10.0.0.3"
    ]
    assert addresses(_port_at(plugin.db, net.id, renewed + timedelta(seconds=1))) == [
        "10.0.0.2"
    ]
