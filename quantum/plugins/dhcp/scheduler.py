# SPDX-License-Identifier: Apache-2.0
"""``schedule(...) -> Changes``: which DHCP agents serve which network, as data.

Pure. Rules, network by network (in id order, each choice counting in the loads of
the next):

* A network that needs DHCP (a DHCP-enabled subnet) is served by ``per_network``
  *eligible* agents (alive and enabled): the missing ones are the eligible agents
  not serving it yet, least loaded first (networks served), then by host name.
* Once it has its ``per_network`` eligible agents, its bindings to agents that are
  not eligible (dead for ``agent_down_time``, or disabled) go: the network moved.
  While no replacement exists they stay, so an agent that comes back serves again.
* A network that needs no DHCP keeps its bindings (an administrator may have placed
  it; its agents just serve nothing for it).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Changes:
    add: tuple[tuple[str, str], ...] = ()
    """(network id, agent id) bindings to make."""
    remove: tuple[tuple[str, str], ...] = ()
    """(network id, agent id) bindings to drop."""

    @property
    def is_empty(self) -> bool:
        return not (self.add or self.remove)


def schedule(
    *,
    needy: Collection[str],
    bindings: Mapping[str, Collection[str]],
    eligible: Mapping[str, str],
    loads: Mapping[str, int],
    per_network: int,
) -> Changes:
    """``needy``: the networks that need DHCP; ``bindings``: network id -> the
    agent ids serving it; ``eligible``: agent id -> host of the live, enabled DHCP
    agents; ``loads``: agent id -> networks it serves."""
    load = {agent: loads.get(agent, 0) for agent in eligible}
    add: list[tuple[str, str]] = []
    remove: list[tuple[str, str]] = []
    for network in sorted(needy):
        serving = set(bindings.get(network, ()))
        live = serving & set(eligible)
        candidates = sorted(
            (agent for agent in eligible if agent not in serving),
            key=lambda agent: (load[agent], eligible[agent], agent),
        )
        for agent in candidates[: max(0, per_network - len(live))]:
            add.append((network, agent))
            load[agent] += 1
            live.add(agent)
        if len(live) >= per_network:
            remove += ((network, agent) for agent in sorted(serving - set(eligible)))
    return Changes(add=tuple(add), remove=tuple(remove))
