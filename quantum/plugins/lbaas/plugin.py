# SPDX-License-Identifier: Apache-2.0
"""``service_plugins = lbaas``: VIPs, pools, members and health monitors over the
core plugin's store (spec §5.10).

It needs a core plugin with a SQL store (``sql``, ``openvswitch``): a VIP's port is
made through the core's ports service in the VIP's transaction, so a VIP and its
port commit or fail together. Nothing deploys the load balancers yet: the objects
stay ``PENDING_CREATE``/``PENDING_UPDATE`` until a load-balancer agent (a later
issue) reports them, following the ``loadbalancers`` topic of the change feed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from quantum.core.exceptions import ConfigError
from quantum.core.quotas import QuotaResource
from quantum.core.settings import Settings
from quantum.db.models import LbHealthMonitorRow, LbMemberRow, LbPoolRow, LbVipRow
from quantum.db.session import Database
from quantum.plugins.core.ports import PortStore
from quantum.plugins.interface import CorePlugin
from quantum.plugins.lbaas.store import (
    HealthMonitorStore,
    MemberStore,
    PoolStore,
    VipStore,
)

ALIASES = ("lbaas",)
"""The API extension its services implement."""


class LbaasPlugin:
    """Load balancing beside the core plugin's services."""

    supported_extension_aliases: Sequence[str] = ALIASES

    def __init__(self, settings: Settings, core: CorePlugin) -> None:
        """Registers the ``vip``, ``pool``, ``member`` and ``health_monitor``
        quotas with the core's."""
        db = getattr(core, "db", None)
        ports = getattr(core, "ports", None)
        if not isinstance(db, Database) or not isinstance(ports, PortStore):
            raise ConfigError(
                reason="service_plugins = lbaas needs a core plugin with a SQL "
                f"store (core_plugin = sql or openvswitch), not {settings.core_plugin}"
            )
        quotas = ports.quotas
        quotas.register(QuotaResource.VIP, settings.quota_vip, LbVipRow.tenant_id)
        quotas.register(QuotaResource.POOL, settings.quota_pool, LbPoolRow.tenant_id)
        quotas.register(
            QuotaResource.MEMBER, settings.quota_member, LbMemberRow.tenant_id
        )
        quotas.register(
            QuotaResource.HEALTH_MONITOR,
            settings.quota_health_monitor,
            LbHealthMonitorRow.tenant_id,
        )
        self.vips = VipStore(db, ports, quotas)
        self.pools = PoolStore(db, ports, quotas)
        self.members = MemberStore(db, ports, quotas)
        self.health_monitors = HealthMonitorStore(db, ports, quotas)

    def services(self) -> Mapping[str, object]:
        return {
            "vips": self.vips,
            "pools": self.pools,
            "members": self.members,
            "health_monitors": self.health_monitors,
        }

    def close(self) -> None:
        """Nothing of its own: the store is the core plugin's."""
