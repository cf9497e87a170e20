# SPDX-License-Identifier: Apache-2.0
"""A fake OVS host for the agent's planner: applies a ``Plan`` to an ``ActualState``.

It follows OpenFlow's rules where they matter to the planner: an add replaces the
flow with the same table, priority and match (whatever its cookie), and a strict
delete removes a flow only if its cookie matches too. New tunnel ports get the
ofport the plan requested, as OVS does when that number is free.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from quantum.agent.ovs import tables
from quantum.agent.ovs.flows import InstalledFlow
from quantum.agent.ovs.model import ActualState
from quantum.agent.ovs.plan import Plan


def apply_flow_diffs(
    actual: ActualState, plan: Plan
) -> dict[str, frozenset[InstalledFlow]]:
    flows = {bridge: set(installed) for bridge, installed in actual.flows.items()}
    for bridge, diff in plan.flow_diffs.items():
        table = flows.setdefault(bridge, set())
        for flow in diff.add:
            table -= {item for item in table if item.flow.key == flow.key}
            table.add(InstalledFlow(cookie=tables.AGENT_COOKIE, flow=flow))
        for gone in diff.delete:
            table -= {
                item
                for item in table
                if item.cookie == gone.cookie and item.flow.key == gone.flow.key
            }
    return {bridge: frozenset(table) for bridge, table in flows.items()}


def apply_plan(actual: ActualState, plan: Plan) -> ActualState:
    """The host's state after the agent has applied ``plan`` without errors."""
    tags = {change.interface: change.tag for change in plan.tags}
    interfaces = tuple(
        dataclasses.replace(interface, tag=tags[interface.name])
        if interface.name in tags
        else interface
        for interface in actual.interfaces
    )
    removed = {port.name for port in plan.remove_tunnel_ports}
    tunnel_ports = tuple(
        port for port in actual.tunnel_ports if port.name not in removed
    ) + tuple(plan.add_tunnel_ports)
    return dataclasses.replace(
        actual,
        interfaces=interfaces,
        local_vlans=MappingProxyType(dict(plan.local_vlans)),
        tunnel_ports=tunnel_ports,
        flows=MappingProxyType(apply_flow_diffs(actual, plan)),
    )
