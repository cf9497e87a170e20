# SPDX-License-Identifier: Apache-2.0
"""The store revision on SQLite, PostgreSQL and MariaDB: under concurrent writes it
only grows, counts every committed write once, and never runs ahead of the data a
reader sees after it."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.feed import Topic
from quantum.core.settings import Settings
from quantum.core.status import OpStatus
from quantum.db import revision, session
from quantum.db.models import NetworkRow
from quantum.plugins.sql import SqlPlugin

WRITERS = 4
WRITES = 10


@pytest.fixture
def plugin(database_url: str) -> Iterator[SqlPlugin]:
    p = SqlPlugin(Settings(sql_connection=database_url, sql_pool_size=8))
    yield p
    p.close()


def _snapshot(s: Session) -> tuple[int, int]:
    rev = revision.current(s)
    networks = s.scalar(select(func.count()).select_from(NetworkRow))
    return rev, int(networks or 0)


def test_concurrent_writes_bump_the_revision_once_each(plugin: SqlPlugin) -> None:
    start = plugin.db.run(revision.current, write=False)
    stop = threading.Event()
    seen: list[tuple[int, int]] = []
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(WRITES):
                plugin.create_network(f"tenant-{n}", f"net-{i}")
        except BaseException as error:  # noqa: BLE001  # NOTE: reported below
            errors.append(error)

    def read() -> None:
        while not stop.is_set():
            seen.append(plugin.db.run(_snapshot, write=False))

    reader = threading.Thread(target=read)
    writers = [threading.Thread(target=write, args=(n,)) for n in range(WRITERS)]
    reader.start()
    for t in writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    reader.join()
    assert not errors
    revisions = [rev for rev, _ in seen]
    assert revisions == sorted(revisions)
    # NOTE: only network creates ran, each one bump: the data read after revision R
    # holds at least the R - start networks that produced it.
    assert all(networks >= rev - start for rev, networks in seen)
    end = plugin.db.run(revision.current, write=False)
    assert end == start + WRITERS * WRITES


def test_failed_writes_and_status_reports_do_not_bump(plugin: SqlPlugin) -> None:
    net = plugin.create_network("t", "n")
    port = plugin.create_port("t", net.id, admin_state_up=True)
    before = plugin.db.run(revision.current, write=False)
    with pytest.raises(exc.NetworkNotFound):
        plugin.create_port("t", "no-such-network", admin_state_up=True)
    plugin.set_port_status(port.id, OpStatus.UP)
    assert plugin.db.run(revision.current, write=False) == before
    plugin.update_port("t", net.id, port.id, admin_state_up=False)
    assert plugin.db.run(revision.current, write=False) == before + 1


def test_a_write_in_this_process_ends_a_wait_for_the_revision_at_once(
    plugin: SqlPlugin, monkeypatch: pytest.MonkeyPatch
) -> None:
    # NOTE: with re-reads this rare, only the commit's wake-up can end the wait.
    monkeypatch.setattr(session, "REVISION_POLL", 600.0)
    start = plugin.db.run(revision.current, write=False)
    woke: list[int] = []
    waiter = threading.Thread(
        target=lambda: woke.append(plugin.db.wait_for_revision(start, 600.0))
    )
    waiter.start()
    plugin.create_network("t", "n")
    waiter.join(20)
    assert not waiter.is_alive()
    assert woke == [start + 1]


def test_a_wait_for_the_revision_without_a_write_ends_at_its_timeout(
    plugin: SqlPlugin,
) -> None:
    start = plugin.db.run(revision.current, write=False)
    assert plugin.db.wait_for_revision(start, 0.05) == start
    assert plugin.db.wait_for_revision(start - 1, 600.0) == start


def test_a_bump_stamps_its_topics_and_no_other(plugin: SqlPlugin) -> None:
    """One statement on SQLite and MariaDB (a trigger stamps the topics the bump
    names, migration 0025), one on PostgreSQL (a WITH): each topic's revision is
    that of the last bump naming it, whatever bumped in between."""
    ports, subnets = {Topic.PORTS}, {Topic.PORTS, Topic.SUBNETS}

    def bump(topics: Collection[Topic]) -> int:
        def work(s: Session) -> int:
            revision.bump(s, topics)
            return revision.current(s)

        return plugin.db.run(work, write=True, bump_revision=False)

    def stamped(topics: Collection[Topic]) -> int:
        return plugin.db.run(lambda s: revision.current(s, topics), write=False)

    first = bump(subnets)
    second = bump(ports)
    third = bump(())
    assert (first, second, third) == (first, first + 1, first + 2)
    assert stamped({Topic.SUBNETS}) == first
    assert stamped({Topic.PORTS}) == second
    assert stamped({Topic.NETWORKS}) < first
    three = {Topic.NETWORKS, Topic.HOSTS, Topic.ROUTERS}
    fourth = bump(three)
    assert {t: stamped({t}) for t in (*three, *subnets)} == {
        **dict.fromkeys(three, fourth),
        Topic.SUBNETS: first,
        Topic.PORTS: second,
    }


def test_every_topic_is_stamped_by_a_bump_naming_it(plugin: SqlPlugin) -> None:
    """Each topic has its row (``loadbalancers`` had none before migration 0026,
    so load-balancing writes stamped nothing): a bump naming one topic moves that
    topic's revision to the bump's, and the others' not."""
    for topic in Topic:

        def work(s: Session, topic: Topic = topic) -> int:
            revision.bump(s, {topic})
            return revision.current(s)

        bumped = plugin.db.run(work, write=True, bump_revision=False)
        revisions = {t: stamped_alone(plugin, t) for t in Topic}
        assert revisions[topic] == bumped
        assert all(r < bumped for t, r in revisions.items() if t != topic)


def stamped_alone(plugin: SqlPlugin, topic: Topic) -> int:
    return plugin.db.run(lambda s: revision.current(s, {topic}), write=False)
