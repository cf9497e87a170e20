# SPDX-License-Identifier: Apache-2.0
"""The change feed's topics: what a write changed, as agents follow it.

Every write that changes desired state bumps the store revision; it also stamps the
topics of what it wrote with that revision (``quantum.db.revision``). An agent kind
follows the topics of what it is told (``quantum.agentapi.kinds``), so a write
outside them does not wake it.
"""

from __future__ import annotations

import enum


class Topic(enum.StrEnum):
    NETWORKS = "networks"
    """Networks and their segments."""
    SUBNETS = "subnets"
    """Subnets, their pools, DNS servers and host routes."""
    PORTS = "ports"
    """Ports, their bindings and addresses."""
    HOSTS = "hosts"
    """The agents' hosts: tunnel endpoints, ``admin_state_up``."""
    QOS = "qos"
    """QoS policies and the port profiles that apply them."""
    ROUTERS = "routers"
    """Routers, their interfaces and extra routes, floating IPs (migration 0013)."""
    SECURITY_GROUPS = "security_groups"
    """Security groups and their rules, and which ports are in them (migration
    0020); a port's own changes (its addresses, groups, pairs) are ``ports``."""
    LOADBALANCERS = "loadbalancers"
    """Pools, VIPs, members and health monitors (migration 0023): what a
    load-balancer agent will follow."""


ALL_TOPICS = frozenset(Topic)
