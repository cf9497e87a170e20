# SPDX-License-Identifier: Apache-2.0
"""``service_plugins = router``: routers, their interfaces and extra routes, and
floating IPs, over the core plugin's store (spec §5.2, §5.3).

It needs a core plugin with a SQL store (``sql``, ``openvswitch``): its services
write their tables in the core's transactions and make their ports through the
core's ports service inside them, so a router and its ports, a floating IP and
its port, commit or fail together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from quantum.core.exceptions import ConfigError
from quantum.core.quotas import QuotaResource
from quantum.core.settings import Settings
from quantum.db.models import FloatingIpRow, RouterRow
from quantum.db.session import Database
from quantum.plugins.core.ports import PortStore
from quantum.plugins.interface import AgentStateSource, CorePlugin
from quantum.plugins.l3.floatingips import FloatingIpStore
from quantum.plugins.l3.hosting import RouterHosting
from quantum.plugins.l3.routers import RouterStore

ALIASES = ("router", "extraroute", "ext-gw-mode")
"""The API extensions its services implement."""
SCHEDULER_ALIAS = "l3_agent_scheduler"
"""Also implemented over a core plugin whose agents report to it."""


class L3Plugin:
    """Routers and floating IPs beside the core plugin's services."""

    supported_extension_aliases: Sequence[str] = ALIASES

    def __init__(self, settings: Settings, core: CorePlugin) -> None:
        """Registers the ``router`` and ``floatingip`` quotas with the core's."""
        db = getattr(core, "db", None)
        ports = getattr(core, "ports", None)
        if not isinstance(db, Database) or not isinstance(ports, PortStore):
            raise ConfigError(
                reason="service_plugins = router needs a core plugin with a SQL "
                f"store (core_plugin = sql or openvswitch), not {settings.core_plugin}"
            )
        quotas = ports.quotas
        quotas.register(
            QuotaResource.ROUTER, settings.quota_router, RouterRow.tenant_id
        )
        quotas.register(
            QuotaResource.FLOATINGIP, settings.quota_floatingip, FloatingIpRow.tenant_id
        )
        self.routers = RouterStore(db, ports, quotas, max_routes=settings.max_routes)
        self.floatingips = FloatingIpStore(db, ports, quotas)
        self.l3_agents: RouterHosting | None = None
        """Which L3 agent runs which router (the agent API's L3 kind), over a
        core plugin with agents (``openvswitch``)."""
        if isinstance(core, AgentStateSource):
            self.l3_agents = RouterHosting(db, core, settings.agent_down_time)
            self.supported_extension_aliases = (*ALIASES, SCHEDULER_ALIAS)

    def services(self) -> Mapping[str, object]:
        found: dict[str, object] = {
            "routers": self.routers,
            "floatingips": self.floatingips,
        }
        if self.l3_agents is not None:
            found["l3_agents"] = self.l3_agents
        return found

    def close(self) -> None:
        """Nothing of its own: the store is the core plugin's."""
