# SPDX-License-Identifier: Apache-2.0
"""``quantum.core.workingset``: what is read again stays, what is not goes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest

from quantum.core.workingset import IdentityWorkingSet, WorkingSet


class Made:
    """A ``make`` that counts what it was asked for."""

    def __init__(self) -> None:
        self.calls: Counter[object] = Counter()

    def __call__(self, *args: object) -> str:
        self.calls[args] += 1
        return f"value of {args}"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_value_is_made_once_while_it_is_read_every_generation() -> None:
    made, clock = Made(), Clock()
    memo = WorkingSet(made, age=60, cap=1000, clock=clock)
    listing = [f"10.0.0.{i}" for i in range(100)]
    for i in range(50):
        clock.now += 30  # NOTE: a listing every 30 s, new values between them
        memo.lookup(f"new {i}")
        assert [memo.lookup(a) for a in listing] == [
            f"value of {(a,)}" for a in listing
        ]
    assert all(made.calls[(a,)] == 1 for a in listing)
    assert len(memo) <= 100 + 4


def test_values_no_lookup_asks_for_go_as_new_ones_come() -> None:
    """A deleted port's addresses, in a worker that did not serve the delete: its
    listings go on with the other ports and new ones, and the deleted one's
    entries go; the ports listed every time are made once."""
    made, clock = Made(), Clock()
    memo = WorkingSet(made, arity=2, age=60, cap=1000, clock=clock)
    live = [("subnet-a", f"10.0.0.{i}") for i in range(20)]
    deleted = [("subnet-b", f"10.0.1.{i}") for i in range(30)]
    for key in live + deleted:
        memo.lookup(*key)
    for _ in range(5):  # NOTE: hits alone age nothing
        clock.now += 100
        for key in live:
            memo.lookup(*key)
    assert len(memo) == 50
    for i in range(3):
        clock.now += 61
        for key in [("subnet-a", f"10.0.2.{i}"), *live]:
            memo.lookup(*key)
    assert all(key in memo for key in live)
    assert not any(key in memo for key in deleted)
    assert set(made.calls.values()) == {1}


def test_at_most_twice_the_cap_is_held() -> None:
    memo = WorkingSet(Made(), cap=64)
    for i in range(10_000):
        memo.lookup(i)
        assert len(memo) <= 128
    assert len(memo) > 64


def test_forget_drops_one_entry() -> None:
    made = Made()
    memo = WorkingSet(made, arity=2)
    memo.lookup("s", "10.0.0.3")
    memo.lookup("s", "10.0.0.4")
    memo.forget("s", "10.0.0.3")
    memo.forget("s", "10.0.0.99")  # NOTE: not held: nothing to do
    assert ("s", "10.0.0.3") not in memo
    assert ("s", "10.0.0.4") in memo
    memo.lookup("s", "10.0.0.3")
    assert made.calls[("s", "10.0.0.3")] == 2
    memo.clear()
    assert len(memo) == 0


def test_arguments_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        WorkingSet(Made(), cap=0)
    with pytest.raises(ValueError, match="positive"):
        IdentityWorkingSet(Made(), age=0)


@dataclass(frozen=True)
class Value:
    text: str


def test_identity_memo_is_by_object_and_ages_out() -> None:
    made, clock = Made(), Clock()
    memo = IdentityWorkingSet(made, age=60, cap=1000, clock=clock)
    kept = [Value(str(i)) for i in range(10)]
    gone = Value("gone")
    first = memo.lookup(gone)
    assert memo.lookup(gone) is first
    # NOTE: an equal object is another key (its result is made again).
    memo.lookup(Value("gone"))
    assert made.calls[(Value("gone"),)] == 2
    for i in range(5):
        clock.now += 40
        for value in [Value(f"new {i}"), *kept]:
            memo.lookup(value)
    assert all(made.calls[(value,)] == 1 for value in kept)
    # NOTE: the kept values and the new ones of the last two generations.
    assert len(memo) == len(kept) + 4
    memo.lookup(gone)
    assert made.calls[(gone,)] == 3
    memo.clear()
    assert len(memo) == 0
