# SPDX-License-Identifier: Apache-2.0
"""Commit wake-ups between the workers of one server (``api_workers > 1``).

A long-poll (an agent's ``GET /agent/v1/{kind}/changes``, the compute service's
``GET /agent/v1/ports?...&until=UP``) waits on its process's
``quantum.db.session.CommitSignal``. A commit in the same worker wakes it at once;
without this module one in a sibling worker would be seen only on the next re-read
of the store, up to ``REVISION_POLL`` (0.2 s) later: with two workers, half the
writes would reach the agents that late.

The supervisor makes one Unix datagram socket pair per worker slot before it forks
(``Wakeups(slots)``) and holds them while it runs (its resident form,
``quantum.supervisor``, inherits them), so a worker it respawns into a slot
inherits that slot's pair and is linked again at once (``Wakeups.adopt``). A worker
(``Wakeups.join(slot)``):

* after each commit sends one byte to every other slot whose worker has a wait
  under way (each worker counts its waits in memory the supervisor shares with
  them all, from before a wait's first read of the store), never waiting: a full
  queue (a sibling stuck), or a slot whose worker is restarting, drops it. The
  re-read every ``REVISION_POLL`` stays the safety net, so a lost wake-up costs
  that much.
* runs one green thread that waits for its own slot's socket, drains it, and wakes
  every waiter of the process (``CommitSignal.wake_all``).

Servers behind one address that are not workers of one supervisor (other hosts)
still see each other's writes within ``REVISION_POLL``.
"""

from __future__ import annotations

import contextlib
import logging
import mmap
import os
import struct
from collections.abc import Callable
from typing import Any

import eventlet
import eventlet.hubs
import eventlet.patcher

LOG = logging.getLogger(__name__)

# NOTE: the unpatched module: a send must fail at once on a full queue (a green
# socket would wait for room) and the reader waits through the hub itself.
_native: Any = eventlet.patcher.original("socket")

_COUNT = struct.Struct("q")
"""A slot's count of waits in ``Wakeups.waiters``."""

ENABLED = True
"""Whether workers link their commit signals (tests switch it off: the control)."""


class Wakeups:
    """One datagram socket pair per worker slot: ``[slot] = (receive, send)``."""

    def __init__(self, slots: int, waiters_fd: int | None = None) -> None:
        if waiters_fd is None:
            # NOTE: a file of its own (not an anonymous mapping), so a worker the
            # resident supervisor starts as a fresh interpreter maps the same
            # counts (``adopt``).
            waiters_fd = os.memfd_create("quantum-wakeups")
            os.ftruncate(waiters_fd, _COUNT.size * slots)
        self.waiters_fd = waiters_fd
        self.waiters = mmap.mmap(waiters_fd, _COUNT.size * slots)
        """Per slot, the waits under way in its worker (shared: made before the
        fork); a commit tells only the siblings that wait (PERF: a wake-up is
        a syscall here and a wake of the sibling process, a fifth of a rename's
        time in the server)."""
        self.pairs: list[tuple[Any, Any]] = []
        for _ in range(slots):
            receive, send = _native.socketpair(_native.AF_UNIX, _native.SOCK_DGRAM)
            receive.setblocking(False)
            send.setblocking(False)
            self.pairs.append((receive, send))
        self._peers: list[tuple[int, Any]] = []
        self._slot = -1

    @classmethod
    def adopt(cls, pairs: list[list[int]], waiters_fd: int) -> Wakeups:
        """In a worker started as a fresh interpreter (a replacement the resident
        supervisor made, ``quantum.supervisor``): the inherited descriptors of the
        pairs and of the shared counts of waits."""
        self = cls.__new__(cls)
        self.waiters_fd = waiters_fd
        self.waiters = mmap.mmap(waiters_fd, _COUNT.size * len(pairs))
        self.pairs = [
            (_native.socket(fileno=receive), _native.socket(fileno=send))
            for receive, send in pairs
        ]
        self._peers = []
        self._slot = -1
        return self

    def join(self, slot: int) -> None:
        """In the worker of ``slot`` (after the fork, its hub fresh): tell the
        siblings of every commit here, and wake the waiters here on theirs."""
        # NOTE: imported here: ``import quantum.server`` stays light (no SQLAlchemy).
        from quantum.db.session import CommitSignal

        own = self.pairs[slot][0]
        for index, (receive, send) in enumerate(self.pairs):
            if index == slot:
                send.close()
            else:
                receive.close()
                self._peers.append((index, send))
        self._slot = slot
        CommitSignal.link_siblings(self.tell, self.count_waiters)
        eventlet.spawn(self._follow, own, CommitSignal.wake_all)

    def tell(self) -> None:
        """Wake the sibling workers that wait for a commit; never blocks, drops
        what does not fit."""
        for index, peer in self._peers:
            if not _COUNT.unpack_from(self.waiters, index * _COUNT.size)[0]:
                # NOTE: it counted its wait before the wait's read of the store,
                # so a wait that begins after this look reads this commit.
                continue
            # NOTE: BlockingIOError (the sibling's queue is full) or the slot's worker
            # restarting: the sibling's next re-read sees the write instead.
            with contextlib.suppress(OSError):
                peer.send(b"\0", _native.MSG_DONTWAIT)

    def count_waiters(self, count: int) -> None:
        """This worker's waits under way, for the siblings' ``tell``."""
        _COUNT.pack_into(self.waiters, self._slot * _COUNT.size, count)

    def _follow(self, own: Any, wake_all: Callable[[], None]) -> None:
        try:
            while True:
                eventlet.hubs.trampoline(own.fileno(), read=True)
                with contextlib.suppress(BlockingIOError):
                    while own.recv(64):
                        pass
                wake_all()
        except Exception:  # NOTE: the re-read every REVISION_POLL still serves
            LOG.exception("commit wake-ups from sibling workers stopped")

    def close(self) -> None:
        """In the supervisor, once every worker has exited."""
        for receive, send in self.pairs:
            receive.close()
            send.close()
        self.waiters.close()
        os.close(self.waiters_fd)
