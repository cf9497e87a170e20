# SPDX-License-Identifier: Apache-2.0
"""The agent skeleton: one loop for every agent kind.

A kind (``quantum.agent.ovs.reconcile.OvsKind`` now; DHCP and L3 next) implements
``Kind``: its heartbeat, and how to observe its host, fetch its desired state, plan,
apply and report. The loop owns everything else, alike for every kind:

* rounds: heartbeat when due, then observe -> desired -> plan -> apply -> report;
* wake-ups: the change feed (``follow_changes``, a thread), local events (the kind
  calls ``wake``), the kind's ``local_token`` changing, a heartbeat or resync due;
* every ``resync_interval`` a full round (the kind sweeps what it does not know and
  reports everything again);
* any error makes the next round a full resync, after a back-off (``RETRY_MIN``
  doubling to ``RETRY_MAX``) that an event may cut short.

Every round observes and plans from scratch, so a lost event costs at most one
resync interval.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

LOG = logging.getLogger(__name__)

#: How often an idle loop checks the kind's ``local_token``.
LOCAL_POLL_INTERVAL = 0.2
#: After a failed round (the server or the switch away) the next one waits this long,
#: doubling with every failure up to ``RETRY_MAX``, unless an event wakes the loop.
RETRY_MIN = 0.5
RETRY_MAX = 4.0

Observed = TypeVar("Observed")
Desired = TypeVar("Desired")
PlanT = TypeVar("PlanT")


class Kind(Protocol[Observed, Desired, PlanT]):
    """What an agent kind writes; the loop calls these in this order in a round.

    Each call may raise: the round stops there and the next one is a full resync.
    """

    def heartbeat(self) -> None:
        """Register with the server (and so beat); called when a beat is due."""
        ...

    def observe(self) -> Observed:
        """What is on the host now."""
        ...

    def desired(self, observed: Observed) -> Desired:
        """What the server wants on the host (it may depend on what is there)."""
        ...

    def plan(self, desired: Desired, observed: Observed, *, full: bool) -> PlanT:
        """The changes that make the host what is desired; ``full``: also sweep
        what the kind does not know (after a restart or an error)."""
        ...

    def apply(self, plan: PlanT, observed: Observed) -> None: ...

    def report(
        self,
        plan: PlanT,
        desired: Desired,
        observed: Observed,
        *,
        full: bool,
        heartbeat: bool,
    ) -> None:
        """Tell the server what changed (``full``: everything again); ``heartbeat``:
        the round began with a beat (periodic figures go with it)."""
        ...

    def local_token(self) -> Hashable:
        """A value that changes when the host changed behind the kind's back in a
        way no event reports (e.g. a bridge reconnecting): an idle loop polls it."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Timing:
    heartbeat_interval: float = 10.0
    resync_interval: float = 60.0


@dataclass(slots=True)
class Memory:
    """What the loop keeps between rounds (a kind keeps its own)."""

    registered_at: float | None = None
    full: bool = True
    last_full: float = 0.0
    failures: int = 0
    retry_at: float = 0.0


class AgentLoop(Generic[Observed, Desired, PlanT]):
    """Runs rounds of ``kind``; ``wake()`` asks for one soon."""

    def __init__(self, kind: Kind[Observed, Desired, PlanT], timing: Timing) -> None:
        self.kind = kind
        self.timing = timing
        self.memory = Memory()
        self._wake = threading.Event()

    def wake(self) -> None:
        self._wake.set()

    def resync(self) -> None:
        """Make the next round a full resync, and wake the loop."""
        self.memory.full = True
        self._wake.set()

    def run(self, stop: threading.Event) -> None:
        """Rounds until ``stop`` is set; waits for a wake-up between rounds."""
        while not stop.is_set():
            self.round()
            self.idle(stop)

    def idle(self, stop: threading.Event) -> None:
        """Wait for a wake-up, a heartbeat or resync falling due, or the kind's
        ``local_token`` changing. After a failed round, nothing falls due before
        its retry time."""
        seen = self.kind.local_token()
        timing = self.timing
        while not stop.is_set():
            due = min(
                self.memory.last_full + timing.resync_interval,
                (self.memory.registered_at or 0) + timing.heartbeat_interval,
            )
            due = max(due, self.memory.retry_at)
            left = due - time.monotonic()
            if left <= 0 or self._wake.wait(min(left, LOCAL_POLL_INTERVAL)):
                return
            if self.kind.local_token() != seen:
                return

    def round(self) -> PlanT | None:
        """One pass; any error makes the next one a full resync (``None``)."""
        memory = self.memory
        full = memory.full
        now = time.monotonic()
        if now - memory.last_full >= self.timing.resync_interval:
            full = True
        self._wake.clear()
        try:
            beat = self._heartbeat(now)
            kind = self.kind
            observed = kind.observe()
            desired = kind.desired(observed)
            result = kind.plan(desired, observed, full=full)
            kind.apply(result, observed)
            kind.report(result, desired, observed, full=full, heartbeat=beat)
        except Exception:
            memory.failures += 1
            delay = min(RETRY_MAX, RETRY_MIN * 2 ** (memory.failures - 1))
            memory.retry_at = time.monotonic() + delay
            memory.full = True
            LOG.exception("reconcile failed; full resync in %.1f s or sooner", delay)
            return None
        memory.failures = 0
        memory.retry_at = 0.0
        if full:
            memory.full = False
            memory.last_full = now
            LOG.info("full resync done in %.3f s", time.monotonic() - now)
        return result

    def _heartbeat(self, now: float) -> bool:
        """Beat when due; whether it did."""
        last = self.memory.registered_at
        if last is not None and now - last < self.timing.heartbeat_interval:
            return False
        self.kind.heartbeat()
        self.memory.registered_at = now
        return True


class ChangeFeed(Protocol):
    def changes(self, since: int, wait: float = 0.0) -> int: ...


class Wakeable(Protocol):
    def wake(self) -> None: ...
    def resync(self) -> None: ...


def follow_changes(
    feed: ChangeFeed, agent: Wakeable, stop: threading.Event, *, wait: float
) -> None:
    """Long-poll the server's change feed; wake the agent on every new revision.

    The first answer (``wait=0``) is only the starting point; errors back off a
    second and ask for a full resync, since changes may have been missed, and the
    first answer after errors (the server is back) asks for one at once.
    """
    since: int | None = None
    failed = False
    while not stop.is_set():
        try:
            revision = feed.changes(since or 0, wait=0.0 if since is None else wait)
        except Exception as error:  # NOTE: any failure: resync, retry later
            LOG.warning("change feed: %s", error)
            since = None
            failed = True
            agent.resync()
            stop.wait(1.0)
            continue
        if failed:
            LOG.info("change feed: the server answers again")
            agent.resync()
            failed = False
        elif since is not None and revision > since:
            agent.wake()
        since = revision
