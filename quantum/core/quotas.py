# SPDX-License-Identifier: Apache-2.0
"""What per-tenant quotas limit."""

from __future__ import annotations

import enum


class QuotaResource(enum.StrEnum):
    """What per-tenant quotas limit."""

    NETWORK = "network"
    SUBNET = "subnet"
    PORT = "port"
    ROUTER = "router"
    FLOATINGIP = "floatingip"
    SECURITY_GROUP = "security_group"
    SECURITY_GROUP_RULE = "security_group_rule"
    VIP = "vip"
    POOL = "pool"
    MEMBER = "member"
    HEALTH_MONITOR = "health_monitor"
