# SPDX-License-Identifier: Apache-2.0
"""Memos of pure functions that keep what was used lately, not what was ever used:
the values made from a listing's rows (a port's addresses), which the next listing
reads again, while a deleted port's are never read again, in any worker.

Entries live in two generations. A lookup finds its entry in the young one, or
moves it there from the old one, or makes it there. A generation lasts until it
has seen ``SPAN`` lookups per entry it holds, and at least ``floor``; then the
young generation becomes the old one and the old one is dropped. So an entry that
no lookup asks for during a whole generation goes, whichever worker served the
delete that made it useless; an entry read once a generation (a listing that
runs again within ``SPAN`` listings' worth of lookups) is made once. ``cap``
bounds the young generation (a full one ends early): at most ``2 * cap`` entries
are held.

``functools.lru_cache`` keeps its entries until ``maxsize`` newer ones push them
out: with the bound a listing of many thousands of addresses needs, every address
ever listed stayed (about 1 KiB each across the list's memos, 75 MiB a worker at
65,536 addresses). An idle worker keeps its last two generations (no clock runs
without lookups).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")

SPAN = 8
"""Lookups a generation lasts per entry it holds. PERF: an entry read in every
generation moves to the young one once a generation, at about three hits' cost."""

FLOOR = 1024
"""The fewest lookups a generation lasts: an entry of a small working set (a few
ports shown again and again) stays if it is read once in that many."""

CAP = 8192
"""The most entries a generation holds: listings of up to that many addresses are
made once; a worker holds at most twice that many (a few MiB)."""

_MISSING: Any = object()


class WorkingSet(Generic[V]):
    """``make`` memoised, as ``lookup``: of one argument (the key), or of
    ``arity`` arguments (the key is their tuple). For immutable values only."""

    __slots__ = ("lookup", "forget", "clear", "_sizes", "_holds")

    # NOTE: one scope (PERF: the lookups read the generations as free variables).
    def __init__(  # noqa: C901
        self,
        make: Callable[..., V],
        *,
        arity: int = 1,
        floor: int = FLOOR,
        cap: int = CAP,
    ) -> None:
        if floor < 1 or cap < 1 or arity < 1:
            raise ValueError("arity, floor and cap must be positive")
        young: dict[Hashable, V] = {}
        old: dict[Hashable, V] = {}
        left = length = floor

        def rotate() -> None:
            nonlocal young, old, left, length
            old, young = young, {}
            left = length = floor

        def expire() -> None:
            nonlocal left, length
            wanted = SPAN * len(young)
            if wanted > length:
                left, length = wanted - length, wanted
            else:
                rotate()

        # PERF: closures over locals (a list of 1,000 ports makes 1,000 lookups of
        # each memo): a hit in the young generation is a counter and a dict lookup;
        # a move from the old one, two more.
        def one(arg: Hashable) -> V:
            nonlocal left
            left -= 1
            if left < 0:
                expire()
            value = young.get(arg, _MISSING)
            if value is _MISSING:
                value = old.pop(arg, _MISSING)
                if value is _MISSING:
                    value = make(arg)
                if len(young) >= cap:
                    rotate()
                young[arg] = value
            return value  # type: ignore[no-any-return]

        def several(*args: Any) -> V:
            nonlocal left
            left -= 1
            if left < 0:
                expire()
            value = young.get(args, _MISSING)
            if value is _MISSING:
                value = old.pop(args, _MISSING)
                if value is _MISSING:
                    value = make(*args)
                if len(young) >= cap:
                    rotate()
                young[args] = value
            return value  # type: ignore[no-any-return]

        def forget(*args: Any) -> None:
            key = args[0] if arity == 1 else args
            young.pop(key, None)
            old.pop(key, None)

        def clear() -> None:
            nonlocal young, old, left, length
            young, old, left, length = {}, {}, floor, floor

        self.lookup: Callable[..., V] = one if arity == 1 else several
        self.forget: Callable[..., None] = forget
        """Drop the entry of these arguments (its row is gone)."""
        self.clear: Callable[[], None] = clear
        """Drop every entry."""
        self._sizes: Callable[[], int] = lambda: len(young) + len(old)
        self._holds: Callable[[Hashable], bool] = lambda key: key in young or key in old

    def __len__(self) -> int:
        return self._sizes()

    def __contains__(self, key: Hashable) -> bool:
        """Whether the entry of ``key`` (the argument, or the arguments' tuple)
        is held."""
        return self._holds(key)


class IdentityWorkingSet(Generic[V]):
    """``make(value)`` memoised by the identity of ``value``, as ``lookup(value)``,
    in generations as ``WorkingSet``: for values whose equality costs more than
    making the result again (a frozen dataclass holding an address), which the
    caller shares (a ``WorkingSet``'s values). An entry holds its value, so the
    value's id is not reused while the entry is there."""

    __slots__ = ("lookup", "clear", "_sizes")

    def __init__(
        self, make: Callable[[Any], V], *, floor: int = FLOOR, cap: int = CAP
    ) -> None:
        if floor < 1 or cap < 1:
            raise ValueError("floor and cap must be positive")
        young: dict[int, tuple[Any, V]] = {}
        old: dict[int, tuple[Any, V]] = {}
        left = length = floor

        def rotate() -> None:
            nonlocal young, old, left, length
            old, young = young, {}
            left = length = floor

        def expire() -> None:
            nonlocal left, length
            wanted = SPAN * len(young)
            if wanted > length:
                left, length = wanted - length, wanted
            else:
                rotate()

        def cached(value: Any) -> V:
            nonlocal left
            left -= 1
            if left < 0:
                expire()
            key = id(value)
            found = young.get(key)
            if found is None:
                found = old.pop(key, None)
                if found is None:
                    found = (value, make(value))
                if len(young) >= cap:
                    rotate()
                young[key] = found
            return found[1]

        def clear() -> None:
            nonlocal young, old, left, length
            young, old, left, length = {}, {}, floor, floor

        self.lookup: Callable[[Any], V] = cached
        self.clear: Callable[[], None] = clear
        """Drop every entry."""
        self._sizes: Callable[[], int] = lambda: len(young) + len(old)

    def __len__(self) -> int:
        return self._sizes()
