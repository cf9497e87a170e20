# SPDX-License-Identifier: Apache-2.0
"""The compute service's helper (``novatenant``): where to start an instance, and
which port an instance's interface is plugged into.

``schedule_host`` offers the hosts whose agent is alive and enabled, the least
loaded first (fewest ports whose counters that host reported); ``associate_port``
records an instance's interface (``vif_id``) and answers the port plugged with it, if
any; ``detach_port`` forgets the record.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.agents import OVS_AGENT_TYPE
from quantum.core.extension_models import InstancePort
from quantum.db.extension_models import InstancePortRow, PortStatisticsRow
from quantum.db.models import AgentHostRow, PortRow
from quantum.db.session import Database


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class InstanceStore:
    def __init__(self, db: Database, down_time: timedelta) -> None:
        self.db = db
        self.down_time = down_time

    def live_hosts(self) -> list[str]:
        """Hosts whose agent reported within ``agent_down_time`` and that an
        administrator has not disabled (``admin_state_up``), least loaded first,
        then by name."""
        since = _utcnow() - self.down_time

        def work(s: Session) -> list[str]:
            load = (
                select(PortStatisticsRow.host, func.count().label("ports"))
                .group_by(PortStatisticsRow.host)
                .subquery()
            )
            rows = s.execute(
                select(AgentHostRow.host)
                .outerjoin(load, load.c.host == AgentHostRow.host)
                .where(
                    AgentHostRow.agent_type == OVS_AGENT_TYPE,
                    AgentHostRow.last_seen >= since,
                    AgentHostRow.admin_state_up,
                )
                .order_by(func.coalesce(load.c.ports, 0), AgentHostRow.host)
            )
            return [str(r[0]) for r in rows]

        return self.db.run(work, write=False)

    def associate(
        self,
        tenant_id: str,
        instance_id: str,
        vif_id: str,
        *,
        user_id: str,
        project_id: str,
    ) -> InstancePort:
        def work(s: Session) -> InstancePort:
            key = (tenant_id, instance_id, vif_id)
            row = s.get(InstancePortRow, key, with_for_update=True)
            if row is None:
                row = InstancePortRow(
                    tenant_id=tenant_id,
                    instance_id=instance_id,
                    vif_id=vif_id,
                    user_id=user_id,
                    project_id=project_id,
                )
                s.add(row)
            else:
                row.user_id, row.project_id = user_id, project_id
            port = s.execute(
                select(PortRow.id, PortRow.network_id).where(
                    PortRow.attachment == vif_id, PortRow.tenant_id == tenant_id
                )
            ).one_or_none()
            return InstancePort(
                tenant_id=tenant_id,
                instance_id=instance_id,
                vif_id=vif_id,
                user_id=user_id,
                project_id=project_id,
                port_id=port[0] if port else None,
                network_id=port[1] if port else None,
            )

        return self.db.run(work, write=True, bump_revision=False)

    def detach(self, tenant_id: str, instance_id: str, vif_id: str) -> None:
        """Raises InstancePortNotFound when nothing was associated."""

        def work(s: Session) -> None:
            gone = s.execute(
                delete(InstancePortRow).where(
                    InstancePortRow.tenant_id == tenant_id,
                    InstancePortRow.instance_id == instance_id,
                    InstancePortRow.vif_id == vif_id,
                )
            ).rowcount  # type: ignore[attr-defined]  # NOTE: CursorResult at runtime
            if not gone:
                raise exc.InstancePortNotFound(instance_id=instance_id, vif_id=vif_id)

        self.db.run(work, write=True, bump_revision=False)
