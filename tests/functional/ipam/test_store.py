# SPDX-License-Identifier: Apache-2.0
"""IPAM in the store on SQLite, PostgreSQL and MariaDB: subnets, allocation under
concurrency, exhaustion, release-hold, replacement, subnet delete."""

from __future__ import annotations

import contextlib
import random
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from functools import partial
from ipaddress import ip_address
from typing import Any, TypeVar

import pytest
from sqlalchemy import DateTime, event, select, text
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.ports import (
    AddressOnNetwork,
    AnyAddress,
    FixedIPRequest,
    PortCreate,
    SpecificAddress,
)
from quantum.core.scope import Scope
from quantum.core.settings import Settings
from quantum.core.subnets import AllocationPool, FixedIP, IPAddress, Subnet
from quantum.db import migration
from quantum.db.models import IpAllocationRow, IpAvailabilityRow, PortRow, utcnow
from quantum.db.session import Database, make_engine
from quantum.ipam import allocate, store
from quantum.ipam.requests import Limits, SubnetRequest, SubnetUpdate
from quantum.plugins.sql import SqlPlugin

T = TypeVar("T")
TENANT = "tenant-a"
HOLD = timedelta(seconds=120)
LIMITS = Limits()


@pytest.fixture
def plugin(database_url: str) -> Iterator[SqlPlugin]:
    p = SqlPlugin(Settings(sql_connection=database_url, sql_pool_size=8))
    yield p
    p.close()


def race(actions: Sequence[Callable[[], T]]) -> list[T | BaseException]:
    """Run each action in its own thread, all released together; collect results."""
    barrier = threading.Barrier(len(actions))
    results: list[T | BaseException] = [RuntimeError("not run")] * len(actions)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = actions[i]()
        except BaseException as error:  # noqa: BLE001  # NOTE: collected for asserts
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def make_subnet(
    db: Database,
    network_id: str,
    cidr: str,
    *,
    overlapping: bool = False,
    **fields: object,
) -> Subnet:
    request = SubnetRequest(
        tenant_id=TENANT,
        network_id=network_id,
        ip_version=allocate.parse_cidr(cidr).version,
        cidr=cidr,
        **fields,  # type: ignore[arg-type]
    )
    planned = allocate.plan_subnet(request, str(uuid.uuid4()), LIMITS)
    return db.run(
        lambda s: store.create_subnet(s, planned, allow_overlapping_ips=overlapping),
        write=True,
    )


def create_port(
    db: Database, network_id: str, requests: Sequence[FixedIPRequest] | None = None
) -> tuple[str, tuple[FixedIP, ...]]:
    """A port and its addresses in one transaction, as the v2 create does."""
    port_id = str(uuid.uuid4())

    def work(s: Session) -> tuple[FixedIP, ...]:
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
        return store.allocate_port_ips(s, network_id, port_id, requests)

    return port_id, db.run(work, write=True)


def create_v2_port(
    plugin: SqlPlugin, network_id: str
) -> tuple[str, tuple[FixedIP, ...]]:
    """A port as a v2 create makes it (one port, its addresses from the network's
    subnets: the plugin reads the ranges with the network, then takes one)."""
    (port,) = plugin.ports.create(
        Scope(tenant_id=TENANT), [PortCreate(tenant_id=TENANT, network_id=network_id)]
    )
    return port.id, port.fixed_ips


def create_seen_port(
    db: Database,
    seen: Sequence[store.SeenSubnet],
    tried: dict[str, IPAddress | None] | None = None,
) -> tuple[FixedIP, ...]:
    """A port given addresses by ``store.allocate_seen`` from subnets as read
    earlier (``seen``)."""
    port_id = str(uuid.uuid4())

    def work(s: Session) -> tuple[FixedIP, ...]:
        s.add(
            PortRow(
                id=port_id,
                network_id=seen[0].network_id,
                tenant_id=TENANT,
                admin_state_up=True,
                status="DOWN",
                created_at=utcnow(),
            )
        )
        s.flush()
        return store.allocate_seen(s, port_id, seen, tried=tried)

    return db.run(work, write=True)


CREATES = ("store", "v2")
"""How a race test makes its ports: ``create_port`` (the store's allocation, the
subnets locked first) or ``create_v2_port`` (the one-port create)."""


def creator(
    kind: str, plugin: SqlPlugin
) -> Callable[[str], tuple[str, tuple[FixedIP, ...]]]:
    if kind == "store":
        return partial(create_port, plugin.db)
    return partial(create_v2_port, plugin)


def delete_port(db: Database, port_id: str, hold: timedelta = HOLD) -> None:
    def work(s: Session) -> None:
        store.release_port_ips(s, port_id, hold)
        s.delete(s.get(PortRow, port_id))

    db.run(work, write=True)


def addresses(ips: Sequence[FixedIP]) -> list[str]:
    return [str(ip.ip_address) for ip in ips]


def ip(text: str) -> IPAddress:
    return ip_address(text)


# -- subnets -------------------------------------------------------------------------


def test_a_subnet_round_trips_with_its_pools_servers_and_routes(
    plugin: SqlPlugin,
) -> None:
    net = plugin.create_network(TENANT, "n")
    made = make_subnet(
        plugin.db,
        net.id,
        "10.0.0.0/24",
        name="s",
        allocation_pools=allocate_pools("10.0.0.100-10.0.0.120", "10.0.0.20-10.0.0.30"),
        dns_nameservers=[ip("10.0.0.3"), ip("8.8.8.8")],
        host_routes=convert_routes(("10.9.0.0/16", "10.0.0.254")),
    )
    got = plugin.db.run(lambda s: store.get_subnet(s, made.id), write=False)
    assert got == made
    assert [allocate.pool_text(p) for p in got.allocation_pools] == [
        "10.0.0.20-10.0.0.30",
        "10.0.0.100-10.0.0.120",
    ]
    assert plugin.db.run(lambda s: store.subnet_ids_of(s, [net.id]), write=False) == {
        net.id: [made.id]
    }


def test_subnet_update_replaces_lists_and_rechecks_the_gateway(
    plugin: SqlPlugin,
) -> None:
    net = plugin.create_network(TENANT, "n")
    made = make_subnet(
        plugin.db, net.id, "10.0.0.0/24", dns_nameservers=[ip("8.8.8.8")]
    )
    change = SubnetUpdate(
        name="renamed", dns_nameservers=[ip("1.1.1.1"), ip("9.9.9.9")], host_routes=[]
    )
    after = plugin.db.run(
        lambda s: store.update_subnet(s, made.id, change, LIMITS), write=True
    )
    again = plugin.db.run(lambda s: store.get_subnet(s, made.id), write=False)
    assert again == after
    assert again.name == "renamed"
    assert again.dns_nameservers == (ip("1.1.1.1"), ip("9.9.9.9"))
    with pytest.raises(exc.GatewayConflictWithAllocationPools):
        plugin.db.run(
            lambda s: store.update_subnet(
                s, made.id, SubnetUpdate(gateway_ip=ip("10.0.0.7")), LIMITS
            ),
            write=True,
        )
    with pytest.raises(exc.DNSNameServersExhausted):
        plugin.db.run(
            lambda s: store.update_subnet(
                s,
                made.id,
                SubnetUpdate(dns_nameservers=[ip(f"8.8.8.{i}") for i in range(6)]),
                LIMITS,
            ),
            write=True,
        )
    assert plugin.db.run(lambda s: store.get_subnet(s, made.id), write=False) == again


def test_overlapping_cidrs_are_refused_across_networks_unless_allowed(
    plugin: SqlPlugin,
) -> None:
    a = plugin.create_network(TENANT, "a")
    b = plugin.create_network("tenant-b", "b")
    make_subnet(plugin.db, a.id, "10.0.0.0/24")
    with pytest.raises(exc.InvalidInput, match="overlaps with another subnet") as no:
        make_subnet(plugin.db, b.id, "10.0.0.128/25")
    assert f"cidr: 10.0.0.128/25 for network: {b.id}" in str(no.value)
    assert "10.0.0.0/24" not in str(no.value)
    shared = make_subnet(plugin.db, b.id, "10.0.0.0/24", overlapping=True)
    assert str(shared.cidr) == "10.0.0.0/24"
    # NOTE: within one network, never; IPv6 and IPv4 never overlap each other
    with pytest.raises(exc.InvalidInput, match="overlaps"):
        make_subnet(plugin.db, a.id, "10.0.0.0/16", overlapping=True)
    make_subnet(plugin.db, a.id, "fd00::/64")


def test_a_subnet_on_a_missing_network_is_not_found(plugin: SqlPlugin) -> None:
    with pytest.raises(exc.NetworkNotFound):
        make_subnet(plugin.db, str(uuid.uuid4()), "10.0.0.0/24")


def test_concurrent_overlapping_subnets_give_one_success(database_url: str) -> None:
    settings = Settings(sql_connection=database_url)
    plugins = [SqlPlugin(settings) for _ in range(8)]
    try:
        nets = [p.create_network(f"t{i}", "n") for i, p in enumerate(plugins)]
        # /24s and /16s, all overlapping 10.0.0.0/24, on eight networks at once
        cidrs = ["10.0.0.0/24" if i % 2 else "10.0.0.0/16" for i in range(8)]
        results = race(
            [
                partial(make_subnet, p.db, n.id, cidr)
                for p, n, cidr in zip(plugins, nets, cidrs, strict=True)
            ]
        )
        made = [r for r in results if isinstance(r, Subnet)]
        refused = [r for r in results if isinstance(r, exc.InvalidInput)]
        assert len(made) == 1, results
        assert len(refused) == 7, results
    finally:
        for p in plugins:
            p.close()


# -- allocation ----------------------------------------------------------------------


def test_ports_get_the_lowest_free_addresses_then_the_exhausted_fault(
    plugin: SqlPlugin,
) -> None:
    net = plugin.create_network(TENANT, "n")
    make_subnet(plugin.db, net.id, "10.0.0.0/29", gateway_ip=ip("10.0.0.3"))
    got = [addresses(create_port(plugin.db, net.id)[1]) for _ in range(5)]
    assert got == [["10.0.0.1"], ["10.0.0.2"], ["10.0.0.4"], ["10.0.0.5"], ["10.0.0.6"]]
    with pytest.raises(exc.IpAddressGenerationFailure):
        create_port(plugin.db, net.id)
    # nothing half-written: the failed create left no port behind
    assert len(plugin.list_ports(TENANT, net.id)) == 5


@pytest.mark.parametrize("kind", CREATES)
def test_eight_clients_on_a_small_subnet_never_share_an_address(
    database_url: str, kind: str
) -> None:
    settings = Settings(sql_connection=database_url, quota_port=-1)
    plugins = [SqlPlugin(settings) for _ in range(8)]
    try:
        net = plugins[0].create_network(TENANT, "race")
        # 10.0.0.0/28 with the gateway .1: 13 addresses (.2-.14) for 16 requests
        subnet = make_subnet(plugins[0].db, net.id, "10.0.0.0/28")
        outcomes: list[object] = []
        for _ in range(2):
            outcomes += race([partial(creator(kind, p), net.id) for p in plugins])
        made = [r for r in outcomes if isinstance(r, tuple)]
        exhausted = [
            r for r in outcomes if isinstance(r, exc.IpAddressGenerationFailure)
        ]
        assert (len(made), len(exhausted)) == (13, 3), outcomes
        given = [ips[0].ip_address for _, ips in made]
        assert len(set(given)) == 13
        assert set(given) == set(allocate_members(subnet))
        ports = plugins[0].list_ports(TENANT, net.id)
        assert len(ports) == 13
        check_ranges(plugins[0].db, subnet)
    finally:
        for p in plugins:
            p.close()


def test_a_create_whose_range_moved_since_its_read_gets_the_next_address(
    plugin: SqlPlugin,
) -> None:
    """What a create read of a range (unlocked, with its network) is only taken
    if the range still starts there; else the next free address is found as
    ``allocate_port_ips`` finds it. Positive control: the read as it is now."""
    net = plugin.create_network(TENANT, "n")
    subnet = make_subnet(plugin.db, net.id, "10.0.0.0/29")
    seen = store.SeenSubnet(
        id=subnet.id,
        network_id=net.id,
        ip_version=4,
        autoconfigured=False,
        lowest=(
            allocate.address_key(int(ip("10.0.0.2"))),
            allocate.address_key(int(ip("10.0.0.6"))),
        ),
    )
    assert addresses(create_seen_port(plugin.db, [seen])) == ["10.0.0.2"]
    # NOTE: the same read again: its range starts at .3 now
    assert addresses(create_seen_port(plugin.db, [seen])) == ["10.0.0.3"]
    # NOTE: a statement of the caller's own that missed (PostgreSQL's) says so
    assert addresses(create_seen_port(plugin.db, [seen], tried={subnet.id: None})) == [
        "10.0.0.4"
    ]
    assert addresses(create_v2_port(plugin, net.id)[1]) == ["10.0.0.5"]
    check_ranges(plugin.db, subnet)
    # NOTE: the last address: its range is one address, and goes
    assert addresses(create_v2_port(plugin, net.id)[1]) == ["10.0.0.6"]
    with pytest.raises(exc.IpAddressGenerationFailure):
        create_v2_port(plugin, net.id)
    with pytest.raises(exc.IpAddressGenerationFailure):
        create_seen_port(plugin.db, [seen])
    check_ranges(plugin.db, subnet)


# NOTE: the claiming statement is PostgreSQL's.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_claiming_create_whose_range_moved_waits_and_takes_the_next_address(
    plugin: SqlPlugin,
) -> None:
    """PostgreSQL's one-statement create (the port, its binding, the range's write
    and the allocation) given a range read before another create took its first
    address: the write takes the range as it is then and the address after the
    other's, the allocation one INSERT more, no locking fallback (what creates
    racing on one subnet do, each after the other's commit). A one-address range
    that went is not taken. Positive control: the read as it is now."""
    assert plugin.db.backend == "postgresql"
    net = plugin.create_network(TENANT, "n")
    subnet = make_subnet(plugin.db, net.id, "10.0.0.0/29")

    def seen(first: str, last: str) -> store.SeenSubnet:
        return store.SeenSubnet(
            id=subnet.id,
            network_id=net.id,
            ip_version=4,
            autoconfigured=False,
            lowest=(
                allocate.address_key(int(ip(first))),
                allocate.address_key(int(ip(last))),
            ),
        )

    def claim(read: store.SeenSubnet) -> tuple[list[str], dict[str, Any]]:
        claims = store.seen_claims([read])
        assert claims is not None
        item = PortCreate(tenant_id=TENANT, network_id=net.id)
        statements: list[str] = []

        def on_statement(*args: Any) -> None:
            statements.append(str(args[2]).split()[0].upper())

        engine = plugin.db.engine
        event.listen(engine, "before_cursor_execute", on_statement)
        try:
            _, tried = plugin.db.run(
                lambda s: plugin.ports._insert_port_claiming(s, item, True, (), claims),
                write=True,
            )
        finally:
            event.remove(engine, "before_cursor_execute", on_statement)
        return statements, {k: str(v) if v else None for k, v in tried.items()}

    stale = seen("10.0.0.2", "10.0.0.6")
    assert claim(stale) == (["WITH", "WITH"], {subnet.id: "10.0.0.2"})
    # NOTE: the same read again: the range starts at .3 now (the allocation's
    # address is the one taken, computed in the statement on IPv4)
    assert claim(stale) == (["WITH", "WITH"], {subnet.id: "10.0.0.3"})
    assert addresses(create_v2_port(plugin, net.id)[1]) == ["10.0.0.4"]
    check_ranges(plugin.db, subnet)
    assert claim(stale)[1] == {subnet.id: "10.0.0.5"}
    # NOTE: .6 alone is left: a one-address range as read is taken, as it went not
    last = seen("10.0.0.6", "10.0.0.6")
    assert claim(last) == (["WITH", "WITH"], {subnet.id: "10.0.0.6"})
    assert claim(last)[1] == {subnet.id: None}
    assert claim(stale)[1] == {subnet.id: None}
    check_ranges(plugin.db, subnet)
    # NOTE: IPv6: a moved range's address is inserted by one INSERT more
    net6 = plugin.create_network(TENANT, "n6")
    subnet6 = make_subnet(plugin.db, net6.id, "2001:db8::/125")
    (pool,) = subnet6.allocation_pools
    stale6 = store.SeenSubnet(
        id=subnet6.id,
        network_id=net6.id,
        ip_version=6,
        autoconfigured=False,
        lowest=(
            allocate.address_key(int(pool.start)),
            allocate.address_key(int(pool.end)),
        ),
    )
    net, subnet = net6, subnet6
    assert claim(stale6) == (["WITH", "WITH"], {subnet6.id: str(pool.start)})
    assert claim(stale6) == (
        ["WITH", "INSERT", "WITH"],
        {subnet6.id: str(pool.start + 1)},
    )
    check_ranges(plugin.db, subnet6)


@pytest.mark.parametrize("database_url", ["mysql"], indirect=True)
@pytest.mark.parametrize("cidr", ["10.0.0.0/29", "2001:db8::/125"])
def test_a_mariadb_create_whose_range_moved_waits_and_takes_the_next_address(
    plugin: SqlPlugin, cidr: str
) -> None:
    """MariaDB's create given a range read before another create took its first
    address: it takes the range as it is when it gets the lock and the address
    after the other's, no locking fallback (what creates racing on one subnet
    do). IPv4: the allocation's INSERT alone, its trigger takes the range
    (migration 0027); IPv6: the range's UPDATE, then the allocation (and one
    statement more when the range moved). Positive control: the read as it is
    now."""
    assert plugin.db.backend == "mysql"
    net = plugin.create_network(TENANT, "n")
    subnet = make_subnet(plugin.db, net.id, cidr)
    (pool,) = subnet.allocation_pools
    stale = store.SeenSubnet(
        id=subnet.id,
        network_id=net.id,
        ip_version=subnet.ip_version,
        autoconfigured=False,
        lowest=(
            allocate.address_key(int(pool.start)),
            allocate.address_key(int(pool.end)),
        ),
    )
    statements: list[str] = []

    def on_statement(*args: Any) -> None:
        statements.append(str(args[2]).split()[0].upper())

    def create() -> tuple[list[str], list[str]]:
        statements.clear()
        event.listen(plugin.db.engine, "before_cursor_execute", on_statement)
        try:
            got = addresses(create_seen_port(plugin.db, [stale]))
        finally:
            event.remove(plugin.db.engine, "before_cursor_execute", on_statement)
        return statements[:], got

    claim = ["INSERT"] if subnet.ip_version == 4 else ["UPDATE", "INSERT"]
    assert create() == (["INSERT", *claim, "UPDATE"], [str(pool.start)])
    moved = claim if subnet.ip_version == 4 else [*claim, "SELECT", "INSERT"]
    assert create() == (["INSERT", *moved, "UPDATE"], [str(pool.start + 1)])
    check_ranges(plugin.db, subnet)


def test_eight_clients_asking_for_one_address_give_one_success(
    database_url: str,
) -> None:
    settings = Settings(sql_connection=database_url)
    plugins = [SqlPlugin(settings) for _ in range(8)]
    try:
        net = plugins[0].create_network(TENANT, "race")
        subnet = make_subnet(plugins[0].db, net.id, "10.0.0.0/24")
        want = [SpecificAddress(subnet_id=subnet.id, ip_address=ip("10.0.0.50"))]
        results = race([partial(create_port, p.db, net.id, want) for p in plugins])
        assert sum(isinstance(r, tuple) for r in results) == 1, results
        assert sum(isinstance(r, exc.IpAddressInUse) for r in results) == 7, results
    finally:
        for p in plugins:
            p.close()


def test_fixed_ips_by_subnet_by_address_and_several_per_port(plugin: SqlPlugin) -> None:
    net = plugin.create_network(TENANT, "n")
    v4 = make_subnet(
        plugin.db,
        net.id,
        "10.0.0.0/24",
        allocation_pools=allocate_pools("10.0.0.100-10.0.0.120"),
    )
    v6 = make_subnet(plugin.db, net.id, "fd00:1::/64")
    _, both = create_port(plugin.db, net.id)
    assert [(f.subnet_id, str(f.ip_address)) for f in both] == [
        (v4.id, "10.0.0.100"),
        (v6.id, "fd00:1::2"),
    ]
    _, several = create_port(
        plugin.db,
        net.id,
        [
            AnyAddress(subnet_id=v4.id),
            SpecificAddress(subnet_id=v4.id, ip_address=ip("10.0.0.10")),
            AddressOnNetwork(ip_address=ip("fd00:1::99")),
            AnyAddress(subnet_id=v4.id),
        ],
    )
    assert addresses(several) == ["10.0.0.101", "10.0.0.10", "fd00:1::99", "10.0.0.102"]
    # the gateway (outside the pools) may be asked for explicitly, once
    _, gateway = create_port(
        plugin.db, net.id, [AddressOnNetwork(ip_address=ip("10.0.0.1"))]
    )
    assert addresses(gateway) == ["10.0.0.1"]
    with pytest.raises(exc.IpAddressInUse, match="10.0.0.10"):
        create_port(plugin.db, net.id, [AddressOnNetwork(ip_address=ip("10.0.0.10"))])
    _, none = create_port(plugin.db, net.id, [])
    assert none == ()


def test_requests_for_other_networks_subnets_are_refused(plugin: SqlPlugin) -> None:
    mine = plugin.create_network(TENANT, "mine")
    other = plugin.create_network(TENANT, "other")
    make_subnet(plugin.db, mine.id, "10.0.0.0/24")
    theirs = make_subnet(plugin.db, other.id, "10.1.0.0/24")
    with pytest.raises(exc.InvalidInput, match="not on network"):
        create_port(plugin.db, mine.id, [AnyAddress(subnet_id=theirs.id)])
    with pytest.raises(exc.SubnetNotFound):
        create_port(plugin.db, mine.id, [AnyAddress(subnet_id=str(uuid.uuid4()))])
    with pytest.raises(exc.InvalidInput, match="no subnet"):
        create_port(plugin.db, mine.id, [AddressOnNetwork(ip_address=ip("10.1.0.5"))])
    assert plugin.list_ports(TENANT, mine.id) == []


def test_a_network_without_subnets_gives_ports_without_addresses(
    plugin: SqlPlugin,
) -> None:
    net = plugin.create_network(TENANT, "n")
    assert create_port(plugin.db, net.id)[1] == ()


# -- release-hold --------------------------------------------------------------------


def test_a_deleted_ports_address_is_held_then_recycled(plugin: SqlPlugin) -> None:
    net = plugin.create_network(TENANT, "n")
    subnet = make_subnet(plugin.db, net.id, "10.0.0.0/24")
    first, ips = create_port(plugin.db, net.id)
    assert addresses(ips) == ["10.0.0.2"]
    delete_port(plugin.db, first)
    # held: the next port skips it, and asking for it is a conflict
    assert addresses(create_port(plugin.db, net.id)[1]) == ["10.0.0.3"]
    again = [SpecificAddress(subnet_id=subnet.id, ip_address=ip("10.0.0.2"))]
    with pytest.raises(exc.IpAddressInUse):
        create_port(plugin.db, net.id, again)

    # once the hold has expired it is handed out again, lowest first
    def later(s: Session) -> tuple[FixedIP, ...]:
        port_id = str(uuid.uuid4())
        s.add(
            PortRow(
                id=port_id,
                network_id=net.id,
                tenant_id=TENANT,
                admin_state_up=True,
                status="DOWN",
                created_at=utcnow(),
            )
        )
        s.flush()
        return store.allocate_port_ips(
            s, net.id, port_id, None, now=utcnow() + HOLD + timedelta(seconds=1)
        )

    assert addresses(plugin.db.run(later, write=True)) == ["10.0.0.2"]


def test_addresses_outside_the_pools_and_zero_holds_are_freed_at_once(
    plugin: SqlPlugin,
) -> None:
    net = plugin.create_network(TENANT, "n")
    subnet = make_subnet(plugin.db, net.id, "10.0.0.0/24")
    gateway = [SpecificAddress(subnet_id=subnet.id, ip_address=ip("10.0.0.1"))]
    port, _ = create_port(plugin.db, net.id, gateway)
    delete_port(plugin.db, port)
    port, _ = create_port(plugin.db, net.id, gateway)
    assert addresses(create_port(plugin.db, net.id)[1]) == ["10.0.0.2"]
    quick, ips = create_port(plugin.db, net.id)
    delete_port(plugin.db, quick, hold=timedelta(0))
    assert create_port(plugin.db, net.id)[1] == ips


def test_update_replaces_the_list_keeping_what_it_names(plugin: SqlPlugin) -> None:
    net = plugin.create_network(TENANT, "n")
    s_ = make_subnet(plugin.db, net.id, "10.0.0.0/24")
    port, ips = create_port(plugin.db, net.id)
    assert addresses(ips) == ["10.0.0.2"]

    def replace(requests: Sequence[FixedIPRequest]) -> list[str]:
        got = plugin.db.run(
            lambda s: store.replace_port_ips(s, net.id, port, requests, HOLD),
            write=True,
        )
        stored = plugin.db.run(lambda s: store.fixed_ips_of(s, [port]), write=False)
        assert stored[port] == got
        return addresses(got)

    # .2 is released (held), .3 allocated
    assert replace([AnyAddress(subnet_id=s_.id)]) == ["10.0.0.3"]
    assert replace([AnyAddress(subnet_id=s_.id), AnyAddress(subnet_id=s_.id)]) == [
        "10.0.0.4",
        "10.0.0.5",
    ]
    # a kept address comes first, whatever its place in the request
    assert replace(
        [
            SpecificAddress(subnet_id=s_.id, ip_address=ip("10.0.0.10")),
            AddressOnNetwork(ip_address=ip("10.0.0.5")),
        ]
    ) == ["10.0.0.5", "10.0.0.10"]
    # a bad entry changes nothing
    with pytest.raises(exc.IpAddressInUse):
        replace([AddressOnNetwork(ip_address=ip("10.0.0.2"))])
    assert replace(
        [
            AddressOnNetwork(ip_address=ip("10.0.0.5")),
            AddressOnNetwork(ip_address=ip("10.0.0.10")),
        ]
    ) == ["10.0.0.5", "10.0.0.10"]
    assert replace([]) == []


# -- subnet delete -------------------------------------------------------------------


def test_a_subnet_with_a_port_address_cannot_be_deleted(plugin: SqlPlugin) -> None:
    net = plugin.create_network(TENANT, "n")
    subnet = make_subnet(plugin.db, net.id, "10.0.0.0/24")
    port, _ = create_port(plugin.db, net.id)
    with pytest.raises(exc.SubnetInUse):
        plugin.db.run(lambda s: store.delete_subnet(s, subnet.id), write=True)
    assert plugin.db.run(lambda s: store.get_subnet(s, subnet.id), write=False)
    # a held address does not block the delete; a DHCP port's may be released
    delete_port(plugin.db, port)
    dhcp, _ = create_port(plugin.db, net.id)
    plugin.db.run(
        lambda s: store.delete_subnet(s, subnet.id, releasable_ports=[dhcp]),
        write=True,
    )
    with pytest.raises(exc.SubnetNotFound):
        plugin.db.run(lambda s: store.get_subnet(s, subnet.id), write=False)
    assert plugin.db.run(lambda s: store.fixed_ips_of(s, [dhcp]), write=False) == {
        dhcp: ()
    }


def test_deleting_a_network_takes_its_subnets_and_allocations(
    plugin: SqlPlugin,
) -> None:
    net = plugin.create_network(TENANT, "n")
    subnet = make_subnet(plugin.db, net.id, "10.0.0.0/24")
    port, _ = create_port(plugin.db, net.id)
    delete_port(plugin.db, port)
    create_port(plugin.db, net.id)
    plugin.delete_network(TENANT, net.id)
    with pytest.raises(exc.SubnetNotFound):
        plugin.db.run(lambda s: store.get_subnet(s, subnet.id), write=False)
    # the CIDR is free again
    other = plugin.create_network(TENANT, "m")
    make_subnet(plugin.db, other.id, "10.0.0.0/24")


def delete_subnet(db: Database, subnet_id: str) -> None:
    db.run(lambda s: store.delete_subnet(s, subnet_id), write=True)


def stored_ips(db: Database, port_ids: Sequence[str]) -> dict[str, tuple[FixedIP, ...]]:
    return db.run(lambda s: store.fixed_ips_of(s, port_ids), write=False)


@pytest.mark.parametrize("kind", CREATES)
def test_subnet_delete_racing_port_creates_leaves_no_orphan(
    database_url: str, kind: str
) -> None:
    settings = Settings(sql_connection=database_url, quota_port=-1)
    plugins = [SqlPlugin(settings) for _ in range(4)]
    try:
        for round_ in range(5):
            net = plugins[0].create_network(TENANT, f"n{round_}")
            subnet = make_subnet(plugins[0].db, net.id, "10.0.0.0/24")
            actions: list[Callable[[], object]] = [
                partial(delete_subnet, plugins[0].db, subnet.id),
                *[partial(creator(kind, p), net.id) for p in plugins[1:]],
            ]
            results = race(actions)
            ports = [r for r in results[1:] if isinstance(r, tuple)]
            assert len(ports) == 3, results
            if results[0] is None:
                # the delete won: a port either came after it (no address) or ...
                # there is no "or": a port with an address would have stopped it
                assert all(ips == () for _, ips in ports), results
            else:
                assert isinstance(results[0], exc.SubnetInUse), results
                assert any(ips for _, ips in ports), results
            # what each create reported is what the store holds
            held = stored_ips(plugins[0].db, [port_id for port_id, _ in ports])
            assert held == dict(ports)
            plugins[0].delete_network(TENANT, net.id)
    finally:
        for p in plugins:
            p.close()


# -- helpers -------------------------------------------------------------------------


# -- free ranges ----------------------------------------------------------------------


def check_ranges(db: Database, subnet: Subnet) -> None:
    """``ip_availability_ranges`` says exactly what ``ip_allocations`` implies: every
    pool address is a port's or in one range; a held one is a range of its own,
    available when its hold expires."""

    def read(s: Session) -> tuple[list[Any], list[Any]]:
        ranges = s.execute(
            select(
                IpAvailabilityRow.first_key,
                IpAvailabilityRow.last_key,
                IpAvailabilityRow.available_at,
            ).where(IpAvailabilityRow.subnet_id == subnet.id)
        ).all()
        allocations = s.execute(
            select(
                IpAllocationRow.ip_address,
                IpAllocationRow.port_id,
                IpAllocationRow.expiration,
            ).where(IpAllocationRow.subnet_id == subnet.id)
        ).all()
        return list(ranges), list(allocations)

    ranges, allocations = db.run(read, write=False)
    pool = {int(a) for a in allocate_members(subnet)}
    owned = {int(ip(text)) for text, port, _ in allocations if port is not None}
    held = {int(ip(text)): until for text, port, until in allocations if port is None}
    free: set[int] = set()
    singles: dict[int, object] = {}
    for first_key, last_key, available_at in ranges:
        first, last = int(first_key, 16), int(last_key, 16)
        assert first <= last
        values = set(range(first, last + 1))
        assert not values & (free | set(singles)), "ranges overlap"
        if available_at is not None:
            assert first == last
            singles[first] = available_at
        else:
            free |= values
    assert free | set(singles) <= pool
    assert not (free | set(singles)) & owned
    assert free == pool - owned - set(held)
    assert {a: held[a] for a in held if a in pool} == {
        a: until for a, until in singles.items()
    } | {a: held[a] for a in free & set(held)}


class Walk:
    """Ports on one subnet under a clock of the test's own."""

    def __init__(self, plugin: SqlPlugin, network_id: str, subnet: Subnet) -> None:
        self.db, self.network_id, self.subnet = plugin.db, network_id, subnet
        self.now = utcnow()
        self.ports: list[str] = []

    def create(self, requests: Sequence[FixedIPRequest] | None) -> tuple[FixedIP, ...]:
        port_id, now = str(uuid.uuid4()), self.now

        def work(s: Session) -> tuple[FixedIP, ...]:
            s.add(
                PortRow(
                    id=port_id,
                    network_id=self.network_id,
                    tenant_id=TENANT,
                    admin_state_up=True,
                    status="DOWN",
                    created_at=utcnow(),
                )
            )
            s.flush()
            return store.allocate_port_ips(
                s, self.network_id, port_id, requests, now=now
            )

        got = self.db.run(work, write=True)
        self.ports.append(port_id)
        return got

    def delete(self, port_id: str, hold: timedelta) -> None:
        now = self.now

        def work(s: Session) -> None:
            store.release_port_ips(s, port_id, hold, now=now)
            s.delete(s.get(PortRow, port_id))

        self.ports.remove(port_id)
        self.db.run(work, write=True)

    def replace(self, port_id: str) -> None:
        wanted = [AnyAddress(subnet_id=self.subnet.id)]
        now = self.now
        self.db.run(
            lambda s: store.replace_port_ips(
                s, self.network_id, port_id, wanted, HOLD, now=now
            ),
            write=True,
        )

    def lowest_free(self) -> int | None:
        rows = self.db.run(
            lambda s: s.execute(
                select(
                    IpAllocationRow.ip_address,
                    IpAllocationRow.port_id,
                    IpAllocationRow.expiration,
                ).where(IpAllocationRow.subnet_id == self.subnet.id)
            ).all(),
            write=False,
        )
        busy = {
            int(ip(address))
            for address, port, until in rows
            if port is not None or until is None or until > self.now
        }
        free = [int(a) for a in allocate_members(self.subnet) if int(a) not in busy]
        return min(free) if free else None


def test_free_ranges_follow_every_allocation_and_release(plugin: SqlPlugin) -> None:
    """A seeded random walk of creates (any, specific, outside the pools), deletes
    (held, freed at once), replacements and expiring holds on a /27; after each step
    the ranges match the allocations, and an address picked is the lowest free."""
    rng = random.Random(16)
    net = plugin.create_network(TENANT, "walk")
    subnet = make_subnet(
        plugin.db,
        net.id,
        "10.0.0.0/27",
        allocation_pools=allocate_pools("10.0.0.2-10.0.0.12", "10.0.0.16-10.0.0.29"),
    )
    walk = Walk(plugin, net.id, subnet)
    for _ in range(150):
        action = rng.choice(["any"] * 3 + ["specific", "delete", "replace", "time"])
        if action == "any":
            expected = walk.lowest_free()
            if expected is None:
                with pytest.raises(exc.IpAddressGenerationFailure):
                    walk.create(None)
            else:
                assert int(walk.create(None)[0].ip_address) == expected
        elif action == "specific":
            wanted = ip(f"10.0.0.{rng.randint(1, 30)}")
            with contextlib.suppress(exc.IpAddressInUse):
                walk.create([SpecificAddress(subnet_id=subnet.id, ip_address=wanted)])
        elif action == "delete" and walk.ports:
            hold = rng.choice([HOLD, timedelta(0)])
            walk.delete(rng.choice(walk.ports), hold)
        elif action == "replace" and walk.ports:
            with contextlib.suppress(exc.IpAddressGenerationFailure):
                walk.replace(rng.choice(walk.ports))
        elif action == "time":
            walk.now += HOLD / 2
        check_ranges(plugin.db, subnet)


def test_upgrade_to_0017_builds_the_free_ranges(database_url: str) -> None:
    rows = [
        "INSERT INTO networks (id, tenant_id, name, status, admin_state_up, "
        "created_at, shared, router_external) VALUES ('n-0016', 't', 'n', 'UP', "
        "true, '2026-01-01 00:00:00', false, false)",
        "INSERT INTO ports (id, network_id, tenant_id, admin_state_up, status, "
        "created_at, mac_address) VALUES ('p-0016', 'n-0016', 't', true, 'DOWN', "
        "'2026-01-01 00:00:00', 'fa:16:3e:00:00:16')",
        "INSERT INTO subnets (id, tenant_id, network_id, name, ip_version, cidr, "
        "enable_dhcp, created_at) VALUES ('s-0016', 't', 'n-0016', '', 6, "
        "'fd00:16::/64', true, '2026-01-01 00:00:00')",
        "INSERT INTO subnet_allocation_pools (subnet_id, first_ip, last_ip) VALUES "
        "('s-0016', 'fd00:16::2', 'fd00:16::ffff:ffff:ffff:fffe')",
        "INSERT INTO ip_allocations (subnet_id, ip_address, network_id, port_id, "
        "position) VALUES ('s-0016', 'fd00:16::2', 'n-0016', 'p-0016', 0)",
        "INSERT INTO ip_allocations (subnet_id, ip_address, network_id, port_id, "
        "position, expiration) VALUES ('s-0016', 'fd00:16::4', 'n-0016', NULL, 0, "
        "'2026-01-01 00:02:00')",
    ]
    engine = make_engine(database_url)
    try:
        migration.downgrade(engine, "0016")
        with engine.begin() as conn:
            for row in rows:
                conn.execute(text(row))
        migration.upgrade(engine)
        with engine.connect() as conn:
            got = conn.execute(
                text(
                    "SELECT first_key, last_key, available_at "
                    "FROM ip_availability_ranges ORDER BY last_key"
                ).columns(available_at=DateTime())
            ).all()
    finally:
        engine.dispose()
    base = int(ip("fd00:16::"))
    assert [(int(f, 16) - base, int(l_, 16) - base, at) for f, l_, at in got] == [
        (3, 3, None),
        (4, 4, datetime(2026, 1, 1, 0, 2)),
        (5, 2**64 - 2, None),
    ]


def allocate_pools(*ranges: str) -> list[AllocationPool]:
    pools = []
    for pair in ranges:
        start, end = pair.split("-")
        pools.append(AllocationPool(start=ip(start), end=ip(end)))
    return pools


def convert_routes(*pairs: tuple[str, str]) -> list[object]:
    from ipaddress import ip_network

    from quantum.core.subnets import HostRoute

    return [HostRoute(destination=ip_network(d), nexthop=ip(n)) for d, n in pairs]


def allocate_members(subnet: Subnet) -> list[IPAddress]:
    out: list[IPAddress] = []
    for pool in subnet.allocation_pools:
        a = pool.start
        while int(a) <= int(pool.end):
            out.append(a)
            a += 1
    return out
