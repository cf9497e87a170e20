# SPDX-License-Identifier: Apache-2.0
"""The agent skeleton over a kind that is not OVS: what a DHCP or L3 agent gets."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from quantum.agent.loop import AgentLoop, Timing


@dataclass
class CountingKind:
    """Keeps a set of names equal to the server's; records every call."""

    server: set[str] = field(default_factory=set)
    host: set[str] = field(default_factory=set)
    calls: list[str] = field(default_factory=list)
    down: bool = False
    token: int = 0

    def heartbeat(self) -> None:
        self.calls.append("heartbeat")

    def observe(self) -> frozenset[str]:
        self.calls.append("observe")
        return frozenset(self.host)

    def desired(self, observed: frozenset[str]) -> frozenset[str]:
        self.calls.append("desired")
        if self.down:
            raise OSError("server away")
        return frozenset(self.server)

    def plan(
        self, desired: frozenset[str], observed: frozenset[str], *, full: bool
    ) -> tuple[frozenset[str], frozenset[str]]:
        self.calls.append(f"plan full={full}")
        return desired - observed, observed - desired

    def apply(
        self, plan: tuple[frozenset[str], frozenset[str]], observed: frozenset[str]
    ) -> None:
        self.calls.append("apply")
        self.host |= plan[0]
        self.host -= plan[1]

    def report(
        self,
        plan: tuple[frozenset[str], frozenset[str]],
        desired: frozenset[str],
        observed: frozenset[str],
        *,
        full: bool,
        heartbeat: bool,
    ) -> None:
        self.calls.append(f"report full={full} heartbeat={heartbeat}")

    def local_token(self) -> int:
        return self.token


def _loop(
    kind: CountingKind, **timing: float
) -> AgentLoop[frozenset[str], frozenset[str], tuple[frozenset[str], frozenset[str]]]:
    values = {"heartbeat_interval": 1000.0, "resync_interval": 1000.0, **timing}
    return AgentLoop(kind, Timing(**values))


def test_a_round_beats_observes_plans_applies_and_reports_in_order() -> None:
    kind = CountingKind(server={"a", "b"}, host={"c"})
    loop = _loop(kind)

    assert loop.round() == (frozenset({"a", "b"}), frozenset({"c"}))

    assert kind.host == {"a", "b"}
    assert kind.calls == [
        "heartbeat",
        "observe",
        "desired",
        "plan full=True",
        "apply",
        "report full=True heartbeat=True",
    ]
    kind.calls.clear()
    assert loop.round() == (frozenset(), frozenset())
    assert kind.calls[0] == "observe"  # no beat due, and no longer a full round
    assert kind.calls[-1] == "report full=False heartbeat=False"


def test_an_error_backs_off_and_makes_the_next_round_full() -> None:
    kind = CountingKind(server={"a"})
    loop = _loop(kind)
    loop.round()
    kind.down = True

    assert loop.round() is None
    assert loop.memory.full
    assert loop.memory.retry_at > 0
    kind.down = False
    kind.calls.clear()
    assert loop.round() is not None
    assert "plan full=True" in kind.calls
    assert loop.memory.retry_at == 0.0


def test_idle_returns_when_the_kind_sees_a_local_change() -> None:
    kind = CountingKind()
    loop = _loop(kind)
    loop.round()
    timer = threading.Timer(0.05, lambda: setattr(kind, "token", 1))
    timer.start()
    loop.idle(threading.Event())  # returns: the token changed, nothing else did
    timer.join()
    assert kind.token == 1
