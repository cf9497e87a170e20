# SPDX-License-Identifier: Apache-2.0
"""A green SQLite writer waiting for another process's write lock does not stop
its process's other green threads (issue 16 item 4)."""

from __future__ import annotations

import fcntl
import os
import select
import subprocess
import sys
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

# NOTE: a fresh interpreter, patched as quantum-server patches itself. It writes
# once through Database.run while the test holds the database's writer lock, and a
# second green thread ticks every 10 ms meanwhile; "go" on stdin releases nothing,
# it only says when the test has let go of the lock.
SCRIPT = textwrap.dedent(
    """
    import eventlet
    eventlet.monkey_patch()
    import sys, time
    from sqlalchemy import text
    from quantum.db.session import Database

    db = Database(sys.argv[1])
    db.run(lambda s: s.execute(text("CREATE TABLE IF NOT EXISTS t (x)")),
           write=True, bump_revision=False)
    ticks = []
    done = []

    def ticker():
        while not done:
            ticks.append(time.monotonic())
            eventlet.sleep(0.01)

    def writer():
        db.run(lambda s: s.execute(text("INSERT INTO t VALUES (1)")),
               write=True, bump_revision=False)
        done.append(time.monotonic())

    print("ready", flush=True)
    sys.stdin.readline()  # NOTE: the test holds the writer lock now
    started = time.monotonic()
    eventlet.spawn(ticker)
    w = eventlet.spawn(writer)
    eventlet.sleep(0.5)
    waiting_ticks = len(ticks)
    print(f"waiting {waiting_ticks} written {bool(done)}", flush=True)
    sys.stdin.readline()  # NOTE: the test has released it
    w.wait()
    print(f"written {bool(done)}", flush=True)
    """
)


def _line(child: subprocess.Popen[str], timeout: float = 10.0) -> str:
    """The child's next line; fails if none comes (a child stuck whole in a
    blocking call prints nothing)."""
    assert child.stdout is not None
    ready, _, _ = select.select([child.stdout], [], [], timeout)
    assert ready, f"the child printed nothing in {timeout} s"
    return child.stdout.readline()


def test_a_writer_waiting_for_another_process_lets_its_green_threads_run(
    tmp_path: Path,
) -> None:
    path = tmp_path / "q.sqlite"
    child = subprocess.Popen(  # noqa: S603  # NOTE: our own script
        [sys.executable, "-c", SCRIPT, f"sqlite:///{path}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert child.stdin is not None
    assert child.stdout is not None
    try:
        assert _line(child, 60).strip() == "ready"
        fd = os.open(str(path) + ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        child.stdin.write("go\n")
        child.stdin.flush()
        waiting = _line(child).split()
        # NOTE: half a second with the lock held elsewhere: the write waits (not
        # written), and the other green thread ran about 50 times meanwhile.
        assert waiting[0] == "waiting"
        assert waiting[3] == "False"
        assert int(waiting[1]) >= 20, waiting
        time.sleep(0.05)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        child.stdin.write("go\n")
        child.stdin.flush()
        # NOTE: positive control: released, the write goes through.
        assert _line(child).split() == ["written", "True"]
        assert child.wait(30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
