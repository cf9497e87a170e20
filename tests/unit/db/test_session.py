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
