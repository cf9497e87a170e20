# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

from quantum.plugins.dhcp.scheduler import Changes, schedule

AGENTS = {"a1": "net1", "a2": "net2", "a3": "net3"}


def test_a_network_goes_to_the_least_loaded_eligible_agent() -> None:
    changes = schedule(
        needy={"n1", "n2"},
        bindings={},
        eligible=AGENTS,
        loads={"a1": 3, "a2": 1, "a3": 1},
        per_network=1,
    )
    # NOTE: a tie goes by host name; each choice counts in the next
    assert changes == Changes(add=(("n1", "a2"), ("n2", "a3")))


def test_a_served_network_stays_and_one_without_dhcp_is_not_scheduled() -> None:
    changes = schedule(
        needy={"n1"},
        bindings={"n1": {"a1"}, "n9": {"a2"}},
        eligible=AGENTS,
        loads={"a1": 1, "a2": 1},
        per_network=1,
    )
    assert changes.is_empty


def test_a_dead_agents_network_moves_only_when_another_agent_takes_it() -> None:
    moved = schedule(
        needy={"n1"},
        bindings={"n1": {"dead"}},
        eligible={"a2": "net2"},
        loads={"dead": 1},
        per_network=1,
    )
    assert moved == Changes(add=(("n1", "a2"),), remove=(("n1", "dead"),))
    stays = schedule(
        needy={"n1"}, bindings={"n1": {"dead"}}, eligible={}, loads={}, per_network=1
    )
    assert stays.is_empty


def test_two_agents_per_network() -> None:
    changes = schedule(
        needy={"n1"},
        bindings={"n1": {"a1"}},
        eligible=AGENTS,
        loads={"a1": 1},
        per_network=2,
    )
    assert changes.add == (("n1", "a2"),)
    short = schedule(
        needy={"n1"}, bindings={}, eligible={"a1": "h"}, loads={}, per_network=2
    )
    assert short.add == (("n1", "a1"),)
