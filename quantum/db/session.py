# SPDX-License-Identifier: Apache-2.0
"""Engines and transactions for the three supported back-ends.

``Database.run(work, write=...)`` runs ``work(session)`` in one transaction and retries
it when the back-end reports a deadlock or serialization failure, so callers write each
operation once as a function of a session. Back-end differences stay here:

* SQLite: one file, WAL, foreign keys on, writers take the lock up front
  (``BEGIN IMMEDIATE``) so two processes never deadlock upgrading a read lock.
* PostgreSQL, MariaDB/MySQL: READ COMMITTED, so a statement that waited on a row lock
  sees the row as the other transaction committed it (the conflict checks rely on it).
  On PostgreSQL a read-only ``run`` sends no BEGIN/COMMIT (each statement is its own
  snapshot either way at that level).
"""

from __future__ import annotations

import contextlib
import contextvars
import fcntl
import logging
import os
import sqlite3
import sys
import threading
import time
import weakref
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import StaticPool

from quantum.core.exceptions import (
    ChangedConcurrently,
    DependencyUnavailable,
    OverQuota,
)
from quantum.core.feed import ALL_TOPICS, Topic
from quantum.db import revision

LOG = logging.getLogger(__name__)
T = TypeVar("T")

_RETRYABLE = ("40001", "40P01")  # PostgreSQL serialization failure, deadlock
# NOTE: lock wait timeout, deadlock, and "SAVEPOINT does not exist": InnoDB rolls
# the whole transaction back on a deadlock met inside a savepoint, so rolling back
# to the savepoint then fails with 1305 instead of the deadlock's 1213.
_MYSQL_RETRYABLE = (1205, 1213, 1305)
_OVER_QUOTA = "QQ001"
"""PostgreSQL: what a ``quota_checks`` row's count at the COMMIT raises over its
limit (migration 0024), the resource in its DETAIL."""
_MYSQL_SIGNAL = 1644
"""MariaDB: the error of a trigger's ``SIGNAL SQLSTATE '45000'`` (migration 0027)."""
_MYSQL_OVER_QUOTA = "Quota exceeded for resources: "
"""MariaDB: how the ``ports_quota`` trigger's SIGNAL over the limit begins, the
resource after it (migration 0027)."""
MAX_ATTEMPTS = 5
REVISION_POLL = 0.2
"""Seconds between two reads of the store revision while a wait for it holds: how
late a write through another server is seen (one in this process, or in a sibling
worker of this server, wakes it at once: ``CommitSignal``).
"""


def _is_retryable(error: exc.DBAPIError) -> bool:
    orig = error.orig
    if getattr(orig, "pgcode", None) in _RETRYABLE:
        return True
    args = getattr(orig, "args", ())
    if args and args[0] in _MYSQL_RETRYABLE:
        return True
    return "database is locked" in str(orig)


def signalled(error: exc.DBAPIError, prefix: str) -> str | None:
    """MariaDB: what follows ``prefix`` in the message of a trigger's SIGNAL that
    ``error`` is, if it begins so; None otherwise."""
    args: tuple[Any, ...] = tuple(getattr(error.orig, "args", ()))
    if len(args) < 2 or args[0] != _MYSQL_SIGNAL:
        return None
    message = str(args[1])
    return message[len(prefix) :] if message.startswith(prefix) else None


def _use_wal(cur: Any) -> None:
    """Put the file in WAL mode (persistent), once, whoever gets there first.

    Switching needs an exclusive lock that SQLite's busy handler does not wait for, so
    workers starting together on a fresh file retry instead of failing.
    """
    deadline = time.monotonic() + 10
    while (mode := cur.execute("PRAGMA journal_mode").fetchone()[0].lower()) != "wal":
        if mode == "memory":
            return  # NOTE: an in-memory database has no file to put in WAL mode
        try:
            cur.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def _sqlite_listeners(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # NOTE: pysqlite's own transaction handling is off; we emit BEGIN ourselves.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        _use_wal(cur)
        cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    def do_begin(dbapi_connection: Any) -> None:
        # PERF: the dialect's BEGIN, not an engine "begin" event: an engine with
        # any event listener runs every statement through its event dispatch
        # (~10 us a statement here), and BEGIN as a SQLAlchemy statement of its
        # own was a third of a small read's time. SQLAlchemy wraps an error here
        # as its own (Database.run retries "database is locked").
        writing = _WRITING.get()
        if writing is None:
            return  # NOTE: a ``Database.read``: each statement its own transaction
        begin = "BEGIN IMMEDIATE" if writing else "BEGIN"
        getattr(dbapi_connection, "driver_connection", dbapi_connection).execute(begin)

    engine.dialect.do_begin = do_begin  # type: ignore[method-assign]


_WRITING: contextvars.ContextVar[bool | None] = contextvars.ContextVar(
    "quantum_writing", default=False
)
"""Whether the ``Database.run`` under way writes: its SQLite transaction then
takes the write lock up front (``BEGIN IMMEDIATE``); None in a ``Database.read``,
whose statements SQLite runs without BEGIN (each its own transaction, as on
PostgreSQL; its COMMIT then a no-op of the driver's)."""


def redact(url: str | URL) -> str:
    return make_url(url).render_as_string(hide_password=True)


def make_engine(url: str, pool_size: int = 5) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    # PERF: no ping before each checkout: a connection to a file (or to memory)
    # has no server to lose; one to a server is pinged when idle a while
    # (``_ping_when_idle``).
    kwargs: dict[str, Any] = {"pool_pre_ping": False, "future": True}
    if backend == "sqlite":
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        if _in_memory(parsed):
            # NOTE: one connection, so every session sees the one in-memory database.
            kwargs["poolclass"] = StaticPool
        engine = create_engine(parsed, **kwargs)
        _sqlite_listeners(engine)
        return engine
    if backend == "mysql" and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    kwargs.update(pool_size=pool_size, max_overflow=pool_size * 2, pool_recycle=3600)
    if backend != "postgresql":
        kwargs["isolation_level"] = "READ COMMITTED"
        engine = create_engine(parsed, **kwargs)
    else:
        engine = create_engine(parsed, **kwargs)
        _postgresql_listeners(engine)
    _ping_when_idle(engine)
    return engine


PING_AFTER_IDLE = 1.0
"""Seconds a pooled server connection may sit idle before its next checkout pings
it (a ``SELECT 1``): a dead one (the server restarted, a firewall dropped it) is
then replaced, the pool's older connections with it, before any work runs on it."""


def _ping_when_idle(engine: Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping``, for a connection idle ``PING_AFTER_IDLE``.

    PERF: the pre-ping on every checkout was a round trip of every transaction
    (0.26 ms of a PostgreSQL port create's 6); a connection handed back a moment
    ago is alive. Should one die in between anyway, its error invalidates the pool
    (SQLAlchemy: a disconnect), the request fails with 503, and the next ones get
    new connections.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_conn: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = None  # NOTE: just connected: nothing to ping

    @event.listens_for(engine, "checkin")
    def _back(_dbapi_conn: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE, 0.0)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE:
            return
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_conn, None):
                # NOTE: the pool replaces it (and every older one) and retries.
                raise exc.InvalidatePoolError() from error
            raise


_IDLE_SINCE = "quantum_idle_since"


def _postgresql_listeners(engine: Engine) -> None:
    """READ COMMITTED as the session's default, set once per connection.

    PERF: not through psycopg2's ``isolation_level``: with it set, each checkout's
    pre-ping (run in autocommit) makes psycopg2 send ``SET
    default_transaction_isolation`` when it leaves autocommit, and each ``BEGIN``
    names the level: a round trip more per transaction, for the server default.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute(
            "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ COMMITTED"
        )
        cur.close()
        dbapi_conn.commit()


def _green_offload() -> Callable[..., Any] | None:
    """eventlet's ``tpool.execute`` when this process runs green threads (the API
    server monkey-patches threading), else None: there a blocking call only blocks
    its own OS thread."""
    patcher = sys.modules.get("eventlet.patcher")
    if patcher is None or not patcher.is_monkey_patched("thread"):
        return None
    from eventlet import tpool  # noqa: PLC0415  # NOTE: only in a green process

    return tpool.execute  # type: ignore[no-any-return]


class WriterLock:
    """Serialises SQLite writers across processes with a kernel file lock.

    PERF: without it a second worker's ``BEGIN IMMEDIATE`` meets SQLITE_BUSY and
    SQLite's busy handler sleeps (1, 2, 5 ... 100 ms) before retrying, although the
    holder's transaction takes well under a millisecond; ``flock`` wakes the waiter
    the moment the lock is released. The thread lock orders writers inside one
    process, where a shared descriptor would not exclude anybody (in the green
    server it is a green lock: a waiter yields to the other green threads).

    When another process holds the file lock, a green process waits for it in a
    native thread (eventlet's tpool), not on its hub: a blocking ``flock`` there
    would stop every green thread of the worker, its reads too, until the other
    worker commits (issue 16 item 4). Free, the lock is taken at once
    (``LOCK_NB``), with no thread hop.
    """

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        self._local = threading.Lock()
        self._offload = _green_offload()

    def __enter__(self) -> None:
        self._local.acquire()
        try:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if self._offload is None:
                    fcntl.flock(self._fd, fcntl.LOCK_EX)
                else:
                    self._offload(fcntl.flock, self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._local.release()
            raise

    def __exit__(self, *exc_info: object) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._local.release()

    def close(self) -> None:
        os.close(self._fd)


def _in_memory(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _sqlite_file(url: URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or url.database is None or _in_memory(url):
        return None
    return Path(url.database)


class CommitSignal:
    """Wakes waiters when a write transaction has committed.

    ``generation`` counts commits; ``wait(generation, timeout)`` returns as soon as
    it differs from the value read before, so a commit between reading it and
    waiting is never missed. ``notify`` (after a commit in this process) wakes this
    signal's waiters at once and, in a worker of ``api_workers > 1``, tells the
    sibling workers (``quantum.wakeups``), whose ``wake_all`` wakes every signal of
    theirs. That wake-up may be lost (a sibling's queue full, a worker restarting):
    waiters still re-read the store every ``REVISION_POLL`` seconds, and so see a
    write through another server (or a lost wake-up) that late at most.
    """

    _live: ClassVar[weakref.WeakSet[CommitSignal]] = weakref.WeakSet()
    _siblings: ClassVar[Callable[[], None] | None] = None
    _waiters: ClassVar[int] = 0
    """Waits for the store revision under way in this process (``waiting``)."""
    _count_waiters: ClassVar[Callable[[int], None] | None] = None

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._generation = 0
        CommitSignal._live.add(self)

    @property
    def generation(self) -> int:
        return self._generation

    def notify(self) -> None:
        """A write committed in this process."""
        self._wake()
        tell = CommitSignal._siblings
        if tell is not None:
            tell()

    def wait(self, generation: int, timeout: float) -> int:
        with self._cond:
            self._cond.wait_for(lambda: self._generation != generation, timeout)
            return self._generation

    def _wake(self) -> None:
        with self._cond:
            self._generation += 1
            self._cond.notify_all()

    @classmethod
    def link_siblings(
        cls,
        tell: Callable[[], None] | None,
        count_waiters: Callable[[int], None] | None = None,
    ) -> None:
        """Have every commit in this process also call ``tell`` (which must not
        block), or no longer (None); and ``count_waiters`` with the number of
        waits under way here (``waiting``) whenever it changes, so the siblings
        may tell only a process that waits (``quantum.wakeups``)."""
        cls._siblings = tell
        cls._count_waiters = count_waiters
        if count_waiters is not None:
            count_waiters(cls._waiters)

    @classmethod
    @contextlib.contextmanager
    def waiting(cls) -> Iterator[None]:
        """A wait for the store revision: from before its first read of the
        store to its end (so a commit elsewhere that this read misses is one
        whose sibling sees the count, and tells)."""
        cls._waiters += 1
        count = cls._count_waiters
        if count is not None:
            count(cls._waiters)
        try:
            yield
        finally:
            cls._waiters -= 1
            count = cls._count_waiters
            if count is not None:
                count(cls._waiters)

    @classmethod
    def wake_all(cls) -> None:
        """A write committed in a sibling process: wake every waiter here."""
        for signal in list(cls._live):
            signal._wake()


_TOUCHED = "quantum_touched"
"""``Session.info`` key: the tables a write transaction wrote (``Database.run``)."""

_LAST = "quantum_last"
"""``Session.info`` key: what ``Database.run`` runs after the work (``run_last``)."""


def run_last(session: Session, key: str, step: Callable[[Session], None]) -> bool:
    """Have ``step(session)`` run once after the transaction's work, just before
    the store revision's bump and the commit (registered under ``key``: once per
    key and transaction). PERF: a row locked by ``step`` is held only from there
    to the commit. False if ``session`` is not a ``Database.run`` transaction's
    (the caller must then do it now)."""
    steps = session.info.get(_LAST)
    if steps is None:
        return False
    steps.setdefault(key, step)
    return True


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, context: Any) -> None:
    touched = session.info.get(_TOUCHED)
    if touched is None:
        return
    for row in (*session.new, *session.dirty, *session.deleted):
        touched.add(getattr(type(row), "__tablename__", "*"))


@event.listens_for(Session, "do_orm_execute")
def _executed(state: Any) -> None:
    touched = state.session.info.get(_TOUCHED)
    if touched is None or not (state.is_insert or state.is_update or state.is_delete):
        return
    touched.add(getattr(getattr(state.statement, "table", None), "name", "*"))


def execute_core(
    session: Session,
    statement: Any,
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    *,
    writes: Collection[str] = (),
) -> Any:
    """Run ``statement`` (built once, with bound parameters) on the session's
    connection, in its transaction, as Core: PERF: none of the ORM's per-statement
    work (no identity-map synchronisation, no ORM compile step). An INSERT, UPDATE
    or DELETE is recorded for the change feed like the session's own; ``writes``:
    the tables a statement writes that says none (a SELECT of data-modifying
    WITHs)."""
    touched = session.info.get(_TOUCHED)
    if touched is not None:
        if getattr(statement, "is_dml", False):
            touched.add(getattr(getattr(statement, "table", None), "name", "*"))
        touched.update(writes)
    return session.connection().execute(statement, params)


class CoreWrite:
    """What a ``Database.run(core=True)`` write's work is given for its session:
    the transaction's connection, and the ``info`` that ``execute_core``,
    ``run_last``, ``read_with_bump`` and the revision's bump keep in it."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self.info: dict[str, Any] = {}

    def connection(self) -> Connection:
        return self._connection

    def execute(self, statement: Any, params: Any = None) -> Any:
        return execute_core(self, statement, params)  # type: ignore[arg-type]

    def flush(self) -> None:
        """Nothing to flush: no ORM objects."""


_WITH_BUMP = "quantum_with_bump"
"""``Session.info`` key: SELECTs to read with the store revision's bump
(``read_with_bump``)."""

_Read = tuple[Any, Mapping[str, Any], Callable[[Any], None]]


def read_with_bump(
    session: Session,
    statement: Any,
    params: Mapping[str, Any],
    check: Callable[[Any], None],
) -> None:
    """``check(row)`` of the one row ``statement`` (a SELECT, built once) reads: in
    a ``Database.run`` write on PostgreSQL, read by the store revision's bump
    itself (``revision.bump``: PERF, the round trip of a statement), so only
    for a read that may come that late, and after the caller's last lock; now
    anywhere else. ``check`` raising rolls the transaction back."""
    reads: list[_Read] | None = session.info.get(_WITH_BUMP)
    if reads is None:
        check(execute_core(session, statement, params).one())
    else:
        reads.append((statement, params, check))


def _run_last_steps(session: Session) -> None:
    """What the work deferred with ``run_last``, the session flushed first."""
    steps: dict[str, Callable[[Session], None]] = session.info.pop(_LAST)
    if steps:
        session.flush()
        for step in steps.values():
            step(session)


def _bump(session: Session) -> None:
    """The store revision's bump at the end of a write, with the topics of the
    tables it wrote and the reads deferred to it (``read_with_bump``)."""
    reads: list[_Read] = session.info.pop(_WITH_BUMP, [])
    session.flush()
    touched = session.info.pop(_TOUCHED)
    last = reads.pop() if reads else None
    for statement, params, check in reads:
        check(execute_core(session, statement, params).one())
    row = revision.bump(
        session,
        revision.topics_of(touched) if touched else ALL_TOPICS,
        None if last is None else (last[0], last[1]),
    )
    if last is not None:
        last[2](row)


def _autocommitted(session: Session, work: Callable[[Session], T]) -> T:
    """``work`` with each statement its own transaction (PostgreSQL reads).

    PERF: psycopg2 sends BEGIN and COMMIT as round trips of their own; a read at
    READ COMMITTED takes a snapshot per statement inside a transaction too, so
    running it without one sees exactly the same rows, two round trips sooner.
    The DBAPI connection leaves autocommit before the session commits (then a
    no-op) and goes back to the pool as it came.
    """
    raw = session.connection().connection.dbapi_connection
    if raw is None:  # pragma: no cover  # NOTE: a fresh checkout always has one
        return work(session)
    raw.autocommit = True
    try:
        return work(session)
    finally:
        if not raw.closed:
            raw.autocommit = False


def _again_after(error: exc.DBAPIError, attempt: int) -> None:
    """After ``error`` in a transaction's ``attempt``: returns (after a pause)
    if it may run again (a deadlock, a serialization failure, a busy SQLite);
    else raises DependencyUnavailable for a connection failure, OverQuota for a
    count at the COMMIT above its limit (``quota_checks``), or ``error``."""
    orig = error.orig
    if getattr(orig, "pgcode", None) == _OVER_QUOTA:
        detail = getattr(getattr(orig, "diag", None), "message_detail", None)
        raise OverQuota(resources=detail or "") from None
    over = signalled(error, _MYSQL_OVER_QUOTA)
    if over is not None:
        raise OverQuota(resources=over) from None
    if _is_retryable(error) and attempt < MAX_ATTEMPTS:
        LOG.info("retrying transaction after %s (attempt %d)", error.orig, attempt)
        time.sleep(0.01 * attempt)
        return
    if isinstance(error, exc.OperationalError | exc.InterfaceError):
        LOG.error("database unavailable: %s", error.orig)
        raise DependencyUnavailable(reason="the database cannot be reached") from error
    raise error


def _autocommitted_connection(conn: Connection, work: Callable[[Connection], T]) -> T:
    """``_autocommitted`` for ``Database.read``."""
    raw = conn.connection.dbapi_connection
    if raw is None:  # pragma: no cover  # NOTE: a fresh checkout always has one
        return work(conn)
    raw.autocommit = True
    try:
        with conn.begin():
            return work(conn)
    finally:
        if not raw.closed:
            raw.autocommit = False


class Database:
    """One engine per process; sessions are per call and never shared."""

    def __init__(self, url: str, pool_size: int = 5) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size)
        self.backend = self.engine.dialect.name
        self.commits = CommitSignal()
        self._autocommit_reads = self.backend == "postgresql"
        db_file = _sqlite_file(self.engine.url)
        self._write_lock: WriterLock | contextlib.nullcontext[None] = (
            WriterLock(db_file.with_name(db_file.name + ".lock"))
            if db_file is not None
            else contextlib.nullcontext()
        )
        memory = _in_memory(self.engine.url)
        self._one_at_a_time: threading.RLock | contextlib.nullcontext[None] = (
            threading.RLock() if memory else contextlib.nullcontext()
        )
        """An in-memory database has one connection: one transaction at a time."""

    def run(
        self,
        work: Callable[[Session], T],
        *,
        write: bool,
        bump_revision: bool | None = None,
        core: bool = False,
    ) -> T:
        """Run ``work`` in one transaction (committed if it returns, rolled back if it
        raises); retried on deadlocks. Connection failures become ServiceUnavailable.

        What ``work`` deferred with ``run_last`` runs after it returns (the session
        flushed first), before the revision's bump. A write transaction also bumps
        the store revision (``quantum.db.revision``) after ``work`` returns, so
        agents following the change feed see it, and stamps the topics of the
        tables it wrote (all of them if it wrote none it could tell: the session's
        flushes and its INSERT/UPDATE/DELETE statements are watched); pass
        ``bump_revision=False`` for writes that change no desired state (status
        reports, heartbeats), which may bump it themselves when they do. Every
        committed write notifies ``commits``."""
        # NOTE: for this run's SQLite BEGIN (``do_begin``); a run inside
        # another's work sets its own.
        token = _WRITING.set(write)
        try:
            return self._run(work, write, bump_revision, core)
        finally:
            _WRITING.reset(token)

    @contextlib.contextmanager
    def _transaction(self, core: bool) -> Iterator[Session]:
        if core:
            with self.engine.connect() as conn, conn.begin():
                yield CoreWrite(conn)  # type: ignore[misc]  # NOTE: what work uses
        else:
            with (
                Session(bind=self.engine, expire_on_commit=False) as session,
                session.begin(),
            ):
                yield session

    def _run(
        self,
        work: Callable[[Session], T],
        write: bool,
        bump_revision: bool | None,
        core: bool = False,
    ) -> T:
        bump = write if bump_revision is None else bump_revision
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with (
                    self._one_at_a_time,
                    self._write_lock if write else contextlib.nullcontext(),
                    self._transaction(core) as session,
                ):
                    if bump:
                        session.info[_TOUCHED] = set()
                    session.info[_LAST] = {}
                    if write or not self._autocommit_reads:
                        result = work(session)
                    else:
                        result = _autocommitted(session, work)
                    if bump and self.backend == "postgresql":
                        session.info[_WITH_BUMP] = []
                    _run_last_steps(session)
                    if bump:
                        _bump(session)
                if write:
                    self.commits.notify()
                return result
            except StaleDataError as error:
                # NOTE: a row's revision moved between our read and our UPDATE
                # (quantum.db.models.StandardAttributes): run again on what the
                # other writer committed (an If-Match then fails, as it should).
                if attempt < MAX_ATTEMPTS:
                    LOG.info(
                        "retrying transaction after %s (attempt %d)", error, attempt
                    )
                    continue
                raise ChangedConcurrently() from error
            except exc.DBAPIError as error:
                _again_after(error, attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def read(self, work: Callable[[Connection], T]) -> T:
        """``run(work, write=False)`` for a read made of Core statements alone,
        given the transaction's connection: PERF, no ORM Session to build, begin,
        commit and close (a third of a show's time in the store). Each statement
        its own transaction (PostgreSQL and SQLite: PERF, no BEGIN and COMMIT;
        MariaDB: one transaction), the same retries and errors."""
        token = _WRITING.set(None)
        try:
            for attempt in range(1, MAX_ATTEMPTS + 1):
                try:
                    with self._one_at_a_time, self.engine.connect() as conn:
                        if self._autocommit_reads:
                            return _autocommitted_connection(conn, work)
                        with conn.begin():
                            return work(conn)
                except exc.DBAPIError as error:
                    _again_after(error, attempt)
            raise AssertionError("unreachable")  # pragma: no cover
        finally:
            _WRITING.reset(token)

    def wait_for_revision(
        self, since: int, timeout: float, topics: Collection[Topic] | None = None
    ) -> int:
        """The store revision (with ``topics``: that of the last write to one of
        them) once it is greater than ``since``, or as it is after ``timeout``
        seconds. A write committed in this process or a sibling worker ends the wait
        at once; one through another server is seen within ``REVISION_POLL``
        seconds."""
        deadline = time.monotonic() + timeout
        with CommitSignal.waiting():
            while True:
                generation = self.commits.generation
                current = self.run(lambda s: revision.current(s, topics), write=False)
                left = deadline - time.monotonic()
                if current > since or left <= 0:
                    return current
                self.commits.wait(generation, min(REVISION_POLL, left))

    def dispose(self) -> None:
        self.engine.dispose()
        if isinstance(self._write_lock, WriterLock):
            self._write_lock.close()
