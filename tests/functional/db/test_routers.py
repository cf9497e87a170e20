# SPDX-License-Identifier: Apache-2.0
"""Routers and floating IPs against SQLite, PostgreSQL and MariaDB: a write racing
a delete never loses an acknowledged write, and of two writers that exclude each
other one wins (the schema's keys and the router's row lock, ``quantum.plugins.l3``).

Each racer has its own plugins (its own engine), as separate server workers would.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from quantum.core import exceptions as exc
from quantum.core.listing import ListQuery
from quantum.core.networks import NetworkCreate, NetworkUpdate
from quantum.core.ports import PortCreate
from quantum.core.routers import (
    ExternalGatewayInfo,
    FloatingIP,
    FloatingIPCreate,
    FloatingIPUpdate,
    RouterCreate,
    RouterInterface,
    RouterUpdate,
)
from quantum.core.scope import Scope
from quantum.core.settings import Settings
from quantum.db.session import Database
from quantum.ipam.requests import SubnetRequest
from quantum.plugins.l3.plugin import L3Plugin
from quantum.plugins.sql import SqlPlugin
from tests.functional.db.test_store import race as race_of

TENANT = "tenant-a"
ME = Scope(tenant_id=TENANT)
ADMIN = Scope(tenant_id=None, is_admin=True)
ROUNDS = 5


def race(actions: Sequence[Callable[[], object]]) -> list[object]:
    """``test_store.race`` for actions of any result type."""
    return list(race_of(actions))


@dataclass
class Worker:
    core: SqlPlugin
    l3: L3Plugin

    def close(self) -> None:
        self.l3.close()
        self.core.close()


@pytest.fixture
def workers(database_url: str) -> Iterator[list[Worker]]:
    settings = Settings(
        sql_connection=database_url, sql_pool_size=8, allow_overlapping_ips=True
    )
    made = []
    for _ in range(2):
        core = SqlPlugin(settings)
        made.append(Worker(core, L3Plugin(settings, core)))
    yield made
    for worker in made:
        worker.close()


def network(w: Worker, *, external: bool = False) -> str:
    (net,) = w.core.networks.create(
        ADMIN if external else ME,
        [NetworkCreate(tenant_id=TENANT, router_external=external)],
    )
    return net.id


def subnet(w: Worker, network_id: str, cidr: str) -> str:
    (made,) = w.core.subnets.create(
        ME,
        [
            SubnetRequest(
                tenant_id=TENANT,
                network_id=network_id,
                cidr=cidr,
                ip_version=4,
            )
        ],
    )
    return made.id


def router(w: Worker, gateway: str | None = None) -> str:
    info = None if gateway is None else ExternalGatewayInfo(network_id=gateway)
    (made,) = w.l3.routers.create(
        ME, [RouterCreate(tenant_id=TENANT, external_gateway_info=info)]
    )
    return made.id


def interfaces_of(w: Worker, router_id: str) -> list[str]:
    return [
        p.id
        for p in w.core.ports.list(
            ADMIN, ListQuery(filters={"device_id": (router_id,)})
        )
        if p.device_owner == "network:router_interface"
    ]


def test_router_delete_racing_an_interface_add_loses_nothing(
    workers: list[Worker],
) -> None:
    a, b = workers
    for round_ in range(ROUNDS):
        sub = subnet(a, network(a), f"10.{round_}.0.0/24")
        router_id = router(a)
        deleted, added = race(
            [
                partial(a.l3.routers.delete, ME, router_id),
                partial(
                    b.l3.routers.add_router_interface, ME, router_id, {"subnet_id": sub}
                ),
            ]
        )
        # exactly one wins: the router is gone and the add saw that, or the
        # interface is there and the delete was refused
        assert (deleted is None) != (not isinstance(added, BaseException)), (
            deleted,
            added,
        )
        if deleted is None:
            assert isinstance(added, exc.RouterNotFound), added
            assert interfaces_of(a, router_id) == []
        else:
            assert isinstance(deleted, exc.RouterInUse), deleted
            assert isinstance(added, RouterInterface)
            assert interfaces_of(a, router_id) == [added.port_id]
            assert a.l3.routers.get(ME, router_id).id == router_id


def test_subnet_delete_racing_an_interface_add_loses_nothing(
    workers: list[Worker],
) -> None:
    a, b = workers
    for round_ in range(ROUNDS):
        sub = subnet(a, network(a), f"10.{round_}.0.0/24")
        router_id = router(a)
        deleted, added = race(
            [
                partial(a.core.subnets.delete, ME, sub),
                partial(
                    b.l3.routers.add_router_interface, ME, router_id, {"subnet_id": sub}
                ),
            ]
        )
        assert (deleted is None) != (not isinstance(added, BaseException)), (
            deleted,
            added,
        )
        if deleted is None:
            assert isinstance(added, exc.SubnetNotFound), added
            assert interfaces_of(a, router_id) == []
        else:
            assert isinstance(deleted, exc.SubnetInUse), deleted
            assert len(interfaces_of(a, router_id)) == 1
            assert a.core.subnets.get(ME, sub).id == sub


def test_network_delete_racing_a_floating_ip_create_loses_nothing(
    workers: list[Worker],
) -> None:
    a, b = workers
    for round_ in range(ROUNDS):
        ext = network(a, external=True)
        subnet(a, ext, f"172.16.{round_}.0/24")
        deleted, made = race(
            [
                partial(a.core.networks.delete, ADMIN, ext),
                partial(
                    b.l3.floatingips.create,
                    ME,
                    [FloatingIPCreate(tenant_id=TENANT, floating_network_id=ext)],
                ),
            ]
        )
        assert (deleted is None) != (not isinstance(made, BaseException)), (
            deleted,
            made,
        )
        fips = a.l3.floatingips.list(ADMIN, ListQuery())
        if deleted is None:
            assert isinstance(made, exc.NetworkNotFound), made
            assert fips == []
        else:
            assert isinstance(deleted, exc.NetworkHasPorts), deleted
            assert [f.floating_network_id for f in fips] == [ext]
            a.l3.floatingips.delete(ME, fips[0].id)


def test_network_delete_racing_an_interface_add_loses_nothing(
    workers: list[Worker],
) -> None:
    a, b = workers
    for round_ in range(ROUNDS):
        net = network(a)
        sub = subnet(a, net, f"10.{round_}.0.0/24")
        router_id = router(a)
        deleted, added = race(
            [
                partial(a.core.networks.delete, ME, net),
                partial(
                    b.l3.routers.add_router_interface, ME, router_id, {"subnet_id": sub}
                ),
            ]
        )
        assert (deleted is None) != (not isinstance(added, BaseException)), (
            deleted,
            added,
        )
        if deleted is None:
            assert isinstance(added, exc.SubnetNotFound), added
        else:
            assert isinstance(deleted, exc.NetworkHasPorts), deleted
            assert len(interfaces_of(a, router_id)) == 1


def test_overlapping_interfaces_added_at_once_give_one_success(
    workers: list[Worker],
) -> None:
    a, b = workers
    for round_ in range(ROUNDS):
        router_id = router(a)
        first = subnet(a, network(a), f"10.{round_}.0.0/24")
        second = subnet(a, network(a), f"10.{round_}.0.0/16")
        results = race(
            [
                partial(
                    a.l3.routers.add_router_interface,
                    ME,
                    router_id,
                    {"subnet_id": first},
                ),
                partial(
                    b.l3.routers.add_router_interface,
                    ME,
                    router_id,
                    {"subnet_id": second},
                ),
            ]
        )
        refused = [r for r in results if isinstance(r, BaseException)]
        assert len(refused) == 1, results
        assert isinstance(refused[0], exc.InvalidInput), refused
        assert len(interfaces_of(a, router_id)) == 1


@pytest.fixture
def reachable(workers: list[Worker]) -> dict[str, str]:
    """An external network, a subnet behind a router with its gateway there, a VM
    port on the subnet."""
    a = workers[0]
    ext = network(a, external=True)
    subnet(a, ext, "172.24.4.0/24")
    net = network(a)
    sub = subnet(a, net, "10.0.0.0/24")
    router_id = router(a, ext)
    a.l3.routers.add_router_interface(ME, router_id, {"subnet_id": sub})
    (vm,) = a.core.ports.create(ME, [PortCreate(tenant_id=TENANT, network_id=net)])
    return {"ext": ext, "net": net, "subnet": sub, "router": router_id, "vm": vm.id}


def test_two_floating_ips_for_one_fixed_ip_give_one_success(
    workers: list[Worker], reachable: dict[str, str]
) -> None:
    a, b = workers
    for _ in range(ROUNDS):
        fips = [
            w.l3.floatingips.create(
                ME,
                [
                    FloatingIPCreate(
                        tenant_id=TENANT, floating_network_id=reachable["ext"]
                    )
                ],
            )[0]
            for w in workers
        ]
        results = race(
            [
                partial(
                    w.l3.floatingips.update,
                    ME,
                    f.id,
                    FloatingIPUpdate(port_id=reachable["vm"]),
                )
                for w, f in zip(workers, fips, strict=True)
            ]
        )
        refused = [r for r in results if isinstance(r, BaseException)]
        assert len(refused) == 1, results
        assert isinstance(refused[0], exc.FloatingIPPortAlreadyAssociated), refused
        associated = [
            f
            for f in a.l3.floatingips.list(ME, ListQuery())
            if f.port_id == reachable["vm"]
        ]
        assert len(associated) == 1
        for f in fips:
            b.l3.floatingips.delete(ME, f.id)


def test_interface_removal_racing_an_association_loses_nothing(
    workers: list[Worker], reachable: dict[str, str]
) -> None:
    a, b = workers
    for _ in range(ROUNDS):
        (fip,) = a.l3.floatingips.create(
            ME,
            [FloatingIPCreate(tenant_id=TENANT, floating_network_id=reachable["ext"])],
        )
        removed, associated = race(
            [
                partial(
                    a.l3.routers.remove_router_interface,
                    ME,
                    reachable["router"],
                    {"subnet_id": reachable["subnet"]},
                ),
                partial(
                    b.l3.floatingips.update,
                    ME,
                    fip.id,
                    FloatingIPUpdate(port_id=reachable["vm"]),
                ),
            ]
        )
        assert (not isinstance(removed, BaseException)) != (
            not isinstance(associated, BaseException)
        ), (removed, associated)
        now = a.l3.floatingips.get(ME, fip.id)
        if isinstance(removed, BaseException):
            assert isinstance(removed, exc.RouterInterfaceInUseByFloatingIP), removed
            assert now.router_id == reachable["router"]
            a.l3.floatingips.delete(ME, fip.id)
        else:
            assert isinstance(associated, exc.ExternalGatewayForFloatingIPNotFound), (
                associated
            )
            assert now.port_id is None
            a.l3.floatingips.delete(ME, fip.id)
            a.l3.routers.add_router_interface(
                ME, reachable["router"], {"subnet_id": reachable["subnet"]}
            )


def test_external_network_turned_internal_racing_a_gateway_loses_nothing(
    workers: list[Worker],
) -> None:
    a, b = workers
    for round_ in range(ROUNDS):
        ext = network(a, external=True)
        subnet(a, ext, f"172.20.{round_}.0/24")
        router_id = router(a)
        turned, gateway = race(
            [
                partial(
                    a.core.networks.update,
                    ADMIN,
                    ext,
                    NetworkUpdate(router_external=False),
                ),
                partial(
                    b.l3.routers.update,
                    ME,
                    router_id,
                    RouterUpdate(
                        external_gateway_info=ExternalGatewayInfo(network_id=ext)
                    ),
                ),
            ]
        )
        assert (not isinstance(turned, BaseException)) != (
            not isinstance(gateway, BaseException)
        ), (turned, gateway)
        shown = a.l3.routers.get(ME, router_id).external_gateway_info
        if isinstance(turned, BaseException):
            assert isinstance(turned, exc.ExternalNetworkInUse), turned
            assert shown is not None
        else:
            assert isinstance(gateway, exc.InvalidInput), gateway
            assert shown is None


RACERS = 8


class CountedGate:
    """A racer's SQLite writer lock, counting the writers that reached it and
    those that got through (the test holds the lock meanwhile: none may)."""

    def __init__(self, db: Database) -> None:
        self.db, self.inner = db, db._write_lock  # noqa: SLF001  # NOTE: observed only
        self.arrived = self.through = 0
        self._count = threading.Lock()
        db._write_lock = self  # type: ignore[assignment]  # noqa: SLF001

    def __enter__(self) -> None:
        with self._count:
            self.arrived += 1
        self.inner.__enter__()
        with self._count:
            self.through += 1

    def __exit__(self, *exc_info: object) -> None:
        self.inner.__exit__(*exc_info)

    def remove(self) -> None:
        self.db._write_lock = self.inner  # noqa: SLF001

    def reset(self) -> None:
        with self._count:
            self.arrived = self.through = 0


@contextlib.contextmanager
def held_floating_ip(
    database_url: str, floatingip_id: str, gates: Sequence[CountedGate] = ()
) -> Iterator[Callable[[], int]]:
    """A ninth writer holds the floating IP (its row lock; on SQLite the writers'
    lock) until the block ends; yields how many writers wait for it now (on SQLite,
    how many reached their ``gates`` and are held there: none may get through)."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        assert url.database is not None
        lock = Path(url.database).with_name(Path(url.database).name + ".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)

        def flock_waiters() -> int:
            assert sum(g.through for g in gates) == 0, "a writer passed a held lock"
            return sum(g.arrived for g in gates)

        try:
            yield flock_waiters
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        return
    engine = create_engine(database_url)
    watching = create_engine(database_url, isolation_level="AUTOCOMMIT")
    waiting = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock'"
        if backend == "postgresql"
        else "SELECT count(*) FROM information_schema.innodb_trx t "
        "JOIN information_schema.processlist p ON p.id = t.trx_mysql_thread_id "
        "WHERE t.trx_state = 'LOCK WAIT' AND p.db = DATABASE()"
    )
    try:
        with engine.connect() as holder, watching.connect() as watcher:
            holder.execute(
                text("SELECT id FROM floatingips WHERE id = :id FOR UPDATE"),
                {"id": floatingip_id},
            )

            def row_waiters() -> int:
                return int(watcher.execute(text(waiting)).scalar_one())

            yield row_waiters
            holder.rollback()
    finally:
        engine.dispose()
        watching.dispose()


def stuck(results: list[object]) -> str:
    """What the racers did instead of waiting: their results so far and where
    every other thread of this process is (a failure's diagnosis)."""
    frames = sys._current_frames()  # noqa: SLF001  # NOTE: diagnostics only
    stacks = [
        f"{thread.name}:\n{''.join(traceback.format_stack(frames[thread.ident]))}"
        for thread in threading.enumerate()
        if thread.ident in frames and thread is not threading.current_thread()
    ]
    return f"results {results!r}\n" + "\n".join(stacks)


def test_concurrent_associations_of_one_floating_ip_give_one_success(
    database_url: str, reachable: dict[str, str]
) -> None:
    settings = Settings(sql_connection=database_url, allow_overlapping_ips=True)
    racers = []
    gates: list[CountedGate] = []
    try:
        for _ in range(RACERS):
            core = SqlPlugin(settings)
            racers.append(Worker(core, L3Plugin(settings, core)))
        gates = (
            [CountedGate(w.l3.floatingips.db) for w in racers]
            if make_url(database_url).get_backend_name() == "sqlite"
            else []
        )
        a = racers[0]
        ports = [
            p.id
            for p in a.core.ports.create(
                ME,
                [
                    PortCreate(tenant_id=TENANT, network_id=reachable["net"])
                    for _ in range(RACERS)
                ],
            )
        ]
        addresses = {
            p.id: p.fixed_ips[0].ip_address
            for p in a.core.ports.list(ME, ListQuery())
            if p.id in ports
        }
        for _ in range(ROUNDS):
            (fip,) = a.l3.floatingips.create(
                ME,
                [
                    FloatingIPCreate(
                        tenant_id=TENANT, floating_network_id=reachable["ext"]
                    )
                ],
            )
            # NOTE: the eight are all in flight at once: each has read the floating
            # IP unassociated and waits for a ninth writer holding it.
            actions = [
                partial(
                    w.l3.floatingips.update, ME, fip.id, FloatingIPUpdate(port_id=p)
                )
                for w, p in zip(racers, ports, strict=True)
            ]
            results: list[object] = []
            for gate in gates:
                gate.reset()
            with held_floating_ip(database_url, fip.id, gates) as waiters:
                racing = threading.Thread(
                    target=lambda actions=actions, results=results: results.extend(
                        race(actions)
                    )
                )
                racing.start()
                deadline = time.monotonic() + 30
                while waiters() < RACERS and time.monotonic() < deadline:
                    # NOTE: MariaDB refreshes innodb_trx only when it was last read
                    # more than 0.1 s before
                    time.sleep(0.2)
                assert waiters() == RACERS, stuck(results)
            racing.join(timeout=60)
            won = [r for r in results if not isinstance(r, BaseException)]
            lost = [r for r in results if isinstance(r, BaseException)]
            assert len(won) == 1, results
            assert all(
                isinstance(r, exc.FloatingIPAssociatedConcurrently) for r in lost
            ), lost
            (winner,) = won
            assert isinstance(winner, FloatingIP)
            assert winner.port_id is not None
            now = a.l3.floatingips.get(ME, fip.id)
            assert now.port_id == winner.port_id
            assert now.fixed_ip_address == addresses[winner.port_id]
            assert now.router_id == reachable["router"]
            # NOTE: no loser wrote anything after the winner
            assert now.revision_number == winner.revision_number

            # a move after the floating IP was read is one PUT (spec §5.2)
            other = next(p for p in ports if p != winner.port_id)
            moved = racers[1].l3.floatingips.update(
                ME, fip.id, FloatingIPUpdate(port_id=other)
            )
            assert (moved.port_id, moved.fixed_ip_address) == (other, addresses[other])
            a.l3.floatingips.delete(ME, fip.id)
    finally:
        for gate in gates:
            gate.remove()
        for worker in racers:
            worker.close()
