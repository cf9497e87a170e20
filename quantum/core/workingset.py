# SPDX-License-Identifier: Apache-2.0
"""Memos of pure functions that keep what was used lately, not what was ever used:
the values made from a listing's rows (a port's addresses), which the next listing
reads again, while a deleted port's are never read again, in any worker.

Entries live in two generations of ``AGE`` seconds. A lookup finds its entry in the
young one, or moves it there from the old one, or makes it there; when a move or a
make finds the young generation ``AGE`` old, it becomes the old one and the old one
is dropped. So an entry that no lookup asked for during a whole generation goes,
in every worker, whichever served the delete that made it useless; an entry read
once a generation is made once. A hit checks nothing (PERF: it costs what a hit in
``functools.lru_cache`` does): generations pass as new values come, and without
them (nothing new listed) the last two stay. ``cap`` bounds the young generation
(a full one ends early): at most ``2 * cap`` entries are held.

``functools.lru_cache`` keeps its entries until ``maxsize`` newer ones push them
out: with the bound a listing of many thousands of addresses needs, every address
ever listed stayed (about 1 KiB each across the list's memos, 75 MiB a worker at
65,536 addresses), and the deleted ones took the place of the live ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable
from typing import Any, Generic, TypeVar

V = TypeVar("V")

AGE = 60.0
"""Seconds a generation lasts: an entry stays while some lookup reads it at least
that often (a listing served once a minute or more is made once)."""

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
        age: float = AGE,
        cap: int = CAP,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if age <= 0 or cap < 1 or arity < 1:
            raise ValueError("arity, age and cap must be positive")
        young: dict[Hashable, V] = {}
        old: dict[Hashable, V] = {}
        ends = clock() + age

        def rotate(now: float) -> None:
            nonlocal young, old, ends
            old, young = young, {}
            ends = now + age

        def miss(key: Hashable, args: tuple[Any, ...]) -> V:
            now = clock()
            if now >= ends or len(young) >= cap:
                rotate(now)
            value = old.pop(key, _MISSING)
            if value is _MISSING:
                value = make(*args)
            young[key] = value
            return value  # type: ignore[no-any-return]

        # PERF: closures over locals (a list of 1,000 ports makes 1,000 lookups of
        # each memo): a hit in the young generation is one dict lookup.
        def one(arg: Hashable) -> V:
            value = young.get(arg, _MISSING)
            if value is _MISSING:
                return miss(arg, (arg,))
            return value  # type: ignore[no-any-return]

        def several(*args: Any) -> V:
            value = young.get(args, _MISSING)
            if value is _MISSING:
                return miss(args, args)
            return value  # type: ignore[no-any-return]

        def forget(*args: Any) -> None:
            key = args[0] if arity == 1 else args
            young.pop(key, None)
            old.pop(key, None)

        def clear() -> None:
            nonlocal young, old
            young, old = {}, {}

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
        self,
        make: Callable[[Any], V],
        *,
        age: float = AGE,
        cap: int = CAP,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if age <= 0 or cap < 1:
            raise ValueError("age and cap must be positive")
        young: dict[int, tuple[Any, V]] = {}
        old: dict[int, tuple[Any, V]] = {}
        ends = clock() + age

        def cached(value: Any) -> V:
            nonlocal young, old, ends
            key = id(value)
            found = young.get(key)
            if found is None:
                now = clock()
                if now >= ends or len(young) >= cap:
                    old, young = young, {}
                    ends = now + age
                found = old.pop(key, None)
                if found is None:
                    found = (value, make(value))
                young[key] = found
            return found[1]

        def clear() -> None:
            nonlocal young, old
            young, old = {}, {}

        self.lookup: Callable[[Any], V] = cached
        self.clear: Callable[[], None] = clear
        """Drop every entry."""
        self._sizes: Callable[[], int] = lambda: len(young) + len(old)

    def __len__(self) -> int:
        return self._sizes()
