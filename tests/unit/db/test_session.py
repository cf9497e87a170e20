# SPDX-License-Identifier: Apache-2.0
"""The in-process commit signal behind the change feed's long-poll; SQLite's BEGIN."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import exc

from quantum.core.exceptions import DependencyUnavailable
from quantum.db.session import (
    _WRITING,
    CommitSignal,
    Database,
    _is_retryable,
    make_engine,
)


def test_a_commit_between_reading_the_generation_and_waiting_is_not_missed() -> None:
    signal = CommitSignal()
    seen = signal.generation
    signal.notify()
    assert signal.wait(seen, 600.0) == seen + 1


def test_a_commit_wakes_every_waiter() -> None:
    signal = CommitSignal()
    seen = signal.generation
    woke: list[int] = []
    waiters = [
        threading.Thread(target=lambda: woke.append(signal.wait(seen, 600.0)))
        for _ in range(3)
    ]
    for waiter in waiters:
        waiter.start()
    signal.notify()
    for waiter in waiters:
        waiter.join(20)
    assert woke == [seen + 1] * 3


def test_without_a_commit_the_wait_ends_at_its_timeout() -> None:
    signal = CommitSignal()
    assert signal.wait(signal.generation, 0.01) == 0


def test_a_commit_here_tells_the_siblings_and_theirs_wakes_every_signal() -> None:
    told: list[int] = []
    ours, other = CommitSignal(), CommitSignal()
    seen = (ours.generation, other.generation)
    CommitSignal.link_siblings(lambda: told.append(1))
    try:
        ours.notify()
    finally:
        CommitSignal.link_siblings(None)
    assert told == [1]
    assert other.generation == seen[1]
    CommitSignal.wake_all()  # NOTE: what a sibling's commit does here
    assert ours.wait(seen[0] + 1, 600.0) == seen[0] + 2
    assert other.wait(seen[1], 600.0) == seen[1] + 1


def test_a_sqlite_begin_that_meets_the_write_lock_fails_as_sqlalchemy_says(
    tmp_path: Path,
) -> None:
    """The BEGIN is the dialect's (PERF: no engine event, so no event dispatch
    on every statement); one that fails is the error Database.run knows
    ("database is locked": run again), as before."""
    engine = make_engine(f"sqlite:///{tmp_path / 'q.db'}")
    with engine.connect():
        pass  # NOTE: the file in WAL mode, which its first connection sets
    holder = sqlite3.connect(tmp_path / "q.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    writing = _WRITING.set(True)
    try:
        with engine.connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            driver.execute("PRAGMA busy_timeout = 50")
            with pytest.raises(exc.OperationalError) as raised:
                conn.begin()
            assert _is_retryable(raised.value)
        _WRITING.set(False)
        with engine.connect() as conn, conn.begin():
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1  # NOTE: reads go on
    finally:
        _WRITING.reset(writing)
        holder.rollback()
        holder.close()
        engine.dispose()


def test_a_sqlite_write_takes_the_write_lock_at_its_begin_and_a_read_does_not(
    tmp_path: Path,
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'q.db'}")
    other = sqlite3.connect(tmp_path / "q.db", isolation_level=None, timeout=0.05)

    def can_write(s: Any) -> bool:
        s.connection()  # NOTE: the transaction begins with its connection
        try:
            other.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError:
            return False
        other.rollback()
        return True

    try:
        assert not db.run(can_write, write=True, bump_revision=False)
        assert db.run(can_write, write=False)
        # NOTE: a read run inside a write's work begins as a read.
        assert not db.run(
            lambda s: (
                (s.connection(), db.run(lambda r: r.connection(), write=False))
                and can_write(s)
            ),
            write=True,
            bump_revision=False,
        )
    finally:
        other.close()
        db.dispose()


def test_a_core_read_of_an_unreachable_database_is_dependency_unavailable() -> None:
    """``Database.read`` (the show of a port, the health check) fails as ``run``
    does: the health check answers 503."""
    db = Database("postgresql+psycopg2://postgres@127.0.0.1:9/nowhere")
    try:
        with pytest.raises(DependencyUnavailable):
            db.read(lambda c: c.exec_driver_sql("SELECT 1").scalar())
        with pytest.raises(DependencyUnavailable):
            db.run(lambda s: s.connection(), write=False)
    finally:
        db.dispose()


def test_a_commit_tells_only_the_sibling_workers_that_wait() -> None:
    """PERF: a wake-up costs the writer a syscall and the sibling a wake; a
    sibling with no wait under way (``CommitSignal.waiting``) is not told."""
    import contextlib

    from quantum.wakeups import _COUNT, Wakeups

    wakeups = Wakeups(2)
    sibling = wakeups.pairs[1][0].dup()
    try:
        wakeups.join(0)
        signal = CommitSignal()
        signal.notify()
        with contextlib.suppress(BlockingIOError):
            assert sibling.recv(64) == b"", "told a sibling that does not wait"
        _COUNT.pack_into(wakeups.waiters, _COUNT.size, 1)  # NOTE: slot 1 waits
        signal.notify()
        assert sibling.recv(64) == b"\0"
        with CommitSignal.waiting():
            assert _COUNT.unpack_from(wakeups.waiters, 0)[0] == 1
        assert _COUNT.unpack_from(wakeups.waiters, 0)[0] == 0
    finally:
        CommitSignal.link_siblings(None)
        sibling.close()
        wakeups.close()
