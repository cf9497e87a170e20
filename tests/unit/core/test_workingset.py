# SPDX-License-Identifier: Apache-2.0
"""``quantum.core.workingset``: what is read again stays, what is not goes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import pytest

from quantum.core.workingset import SPAN, IdentityWorkingSet, WorkingSet


class Made:
    """A ``make`` that counts what it was asked for."""

    def __init__(self) -> None:
        self.calls: Counter[object] = Counter()

    def __call__(self, *args: object) -> str:
        self.calls[args] += 1
        return f"value of {args}"


def test_a_value_is_made_once_while_it_is_read_every_generation() -> None:
    made = Made()
    memo = WorkingSet(made, floor=16, cap=1000)
    listing = [f"10.0.0.{i}" for i in range(100)]  # more than the floor
    for _ in range(50):
        assert [memo.lookup(a) for a in listing] == [
            f"value of {(a,)}" for a in listing
        ]
    assert set(made.calls.values()) == {1}
    assert len(memo) == 100


def test_values_no_lookup_asks_for_go_after_two_generations() -> None:
    """A deleted port's addresses, in a worker that did not serve the delete: its
    listings go on with the other ports, and the deleted one's entries go."""
    made = Made()
    memo = WorkingSet(made, arity=2, floor=16, cap=1000)
    live = [("subnet-a", f"10.0.0.{i}") for i in range(20)]
    deleted = [("subnet-b", f"10.0.1.{i}") for i in range(30)]
    for key in live + deleted:
        memo.lookup(*key)
    assert len(memo) == 50
    # NOTE: each generation lasts at most SPAN lookups per entry (floor 16).
    for _ in range(2 * SPAN * 2 + 2):
        for key in live:
            memo.lookup(*key)
    assert len(memo) == len(live)
    assert all(key in memo for key in live)
    assert not any(key in memo for key in deleted)
    assert set(made.calls.values()) == {1}


def test_at_most_twice_the_cap_is_held() -> None:
    memo = WorkingSet(Made(), floor=1 << 20, cap=64)
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
        IdentityWorkingSet(Made(), floor=0)


@dataclass(frozen=True)
class Value:
    text: str


def test_identity_memo_is_by_object_and_ages_out() -> None:
    made = Made()
    memo = IdentityWorkingSet(made, floor=8, cap=1000)
    kept = [Value(str(i)) for i in range(10)]
    gone = Value("gone")
    first = memo.lookup(gone)
    assert memo.lookup(gone) is first
    # NOTE: an equal object is another key (its result is made again).
    memo.lookup(Value("gone"))
    assert made.calls[(Value("gone"),)] == 2
    for _ in range(4 * SPAN * 2):
        for value in kept:
            memo.lookup(value)
    assert len(memo) == len(kept)
    assert all(made.calls[(value,)] == 1 for value in kept)
