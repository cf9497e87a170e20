# SPDX-License-Identifier: Apache-2.0
"""The in-process commit signal behind the change feed's long-poll."""

from __future__ import annotations

import threading

from quantum.db.session import CommitSignal


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
