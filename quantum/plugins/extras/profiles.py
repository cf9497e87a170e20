# SPDX-License-Identifier: Apache-2.0
"""QoS policies and port profiles: what limits a port's ingress traffic.

A port is associated with at most one profile; the profile names a QoS policy of the
same tenant; the policy's description carries ``rate`` (kbit/s) and ``burst`` (kbit).
Every write bumps the store revision, so agents re-read the limits of their ports.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.agents import QosLimit
from quantum.core.extension_models import PortProfile, QosPolicy
from quantum.db.extension_models import (
    PortProfileBindingRow,
    PortProfileRow,
    QosPolicyRow,
)
from quantum.db.models import NetworkRow, PortRow
from quantum.db.session import Database

LIMIT_MAX = 2**32 - 1
"""OVS keeps ingress_policing_rate and _burst in 32 bits (kbit/s, kbit)."""


def qos_limit(description: Any) -> QosLimit | None:
    """The limit a QoS description asks for; raises InvalidInput when ``rate`` or
    ``burst`` is not a whole number in 0..2**32-1. No ``rate``: no limit."""
    if not isinstance(description, Mapping) or "rate" not in description:
        return None
    values = {}
    for key in ("rate", "burst"):
        value = description.get(key, 0)
        if isinstance(value, str) and value.isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise exc.InvalidInput(reason=f"qos_desc {key} must be a whole number")
        if not 0 <= value <= LIMIT_MAX:
            raise exc.InvalidInput(reason=f"qos_desc {key} is out of range")
        values[key] = value
    if values["rate"] == 0:
        return None
    return QosLimit(rate_kbps=values["rate"], burst_kb=values["burst"])


def _qos(row: QosPolicyRow) -> QosPolicy:
    limit = None
    if row.rate_kbps:
        limit = QosLimit(rate_kbps=row.rate_kbps, burst_kb=row.burst_kb or 0)
    return QosPolicy(
        id=row.id,
        tenant_id=row.tenant_id,
        name=row.name,
        description=json.loads(row.description),
        limit=limit,
    )


def _owned(s: Session, model: Any, tenant_id: str, row_id: str) -> Any:
    return s.scalars(
        select(model).where(model.id == row_id, model.tenant_id == tenant_id)
    ).one_or_none()


def limits_of_ports(s: Session, port_ids: Collection[str]) -> dict[str, QosLimit]:
    """Port id -> the limit of the QoS policy its profile names (ports without a
    profile, a policy or a rate are left out). The oldest policy of that name wins."""
    if not port_ids:
        return {}
    rows = s.execute(
        select(PortProfileBindingRow.port_id, QosPolicyRow)
        .join(PortProfileRow, PortProfileRow.id == PortProfileBindingRow.profile_id)
        .join(
            QosPolicyRow,
            (QosPolicyRow.tenant_id == PortProfileRow.tenant_id)
            & (QosPolicyRow.name == PortProfileRow.qos_name),
        )
        .where(PortProfileBindingRow.port_id.in_(list(port_ids)))
        .order_by(QosPolicyRow.created_at.desc(), QosPolicyRow.id.desc())
    ).all()
    limits: dict[str, QosLimit] = {}
    for port_id, qos in rows:
        limit = _qos(qos).limit
        if limit is None:
            limits.pop(port_id, None)
        else:
            limits[port_id] = limit
    return limits


class ProfileStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- QoS policies -----------------------------------------------------------------

    def list_qos(self, tenant_id: str) -> Sequence[QosPolicy]:
        def work(s: Session) -> list[QosPolicy]:
            rows = s.scalars(
                select(QosPolicyRow)
                .where(QosPolicyRow.tenant_id == tenant_id)
                .order_by(QosPolicyRow.created_at, QosPolicyRow.id)
            )
            return [_qos(r) for r in rows]

        return self.db.run(work, write=False)

    def get_qos(self, tenant_id: str, qos_id: str) -> QosPolicy:
        """Raises QosNotFound."""

        def work(s: Session) -> QosPolicy:
            row = _owned(s, QosPolicyRow, tenant_id, qos_id)
            if row is None:
                raise exc.QosNotFound(qos_id=qos_id)
            return _qos(row)

        return self.db.run(work, write=False)

    def create_qos(self, tenant_id: str, name: str, description: Any) -> QosPolicy:
        """Raises InvalidInput for a bad ``rate`` or ``burst``."""
        limit = qos_limit(description)

        def work(s: Session) -> QosPolicy:
            row = QosPolicyRow(
                id=str(uuid.uuid4()),
                tenant_id=tenant_id,
                name=name,
                description=json.dumps(description),
                rate_kbps=limit.rate_kbps if limit else None,
                burst_kb=limit.burst_kb if limit else None,
            )
            s.add(row)
            s.flush()
            return _qos(row)

        return self.db.run(work, write=True)

    def rename_qos(self, tenant_id: str, qos_id: str, name: str) -> QosPolicy:
        """Raises QosNotFound."""

        def work(s: Session) -> QosPolicy:
            row = _owned(s, QosPolicyRow, tenant_id, qos_id)
            if row is None:
                raise exc.QosNotFound(qos_id=qos_id)
            row.name = name
            return _qos(row)

        return self.db.run(work, write=True)

    def delete_qos(self, tenant_id: str, qos_id: str) -> None:
        """Raises QosNotFound. Ports whose profile names it lose their limit."""

        def work(s: Session) -> None:
            gone = s.execute(
                delete(QosPolicyRow).where(
                    QosPolicyRow.id == qos_id, QosPolicyRow.tenant_id == tenant_id
                )
            ).rowcount  # type: ignore[attr-defined]  # NOTE: CursorResult at runtime
            if not gone:
                raise exc.QosNotFound(qos_id=qos_id)

        self.db.run(work, write=True)

    # -- port profiles ----------------------------------------------------------------

    @staticmethod
    def _profiles(s: Session, rows: Sequence[PortProfileRow]) -> list[PortProfile]:
        ports: dict[str, list[str]] = defaultdict(list)
        if rows:
            bindings = s.execute(
                select(PortProfileBindingRow.profile_id, PortProfileBindingRow.port_id)
                .where(PortProfileBindingRow.profile_id.in_([r.id for r in rows]))
                .order_by(PortProfileBindingRow.port_id)
            )
            for profile_id, port_id in bindings:
                ports[profile_id].append(port_id)
        return [
            PortProfile(
                id=r.id,
                tenant_id=r.tenant_id,
                name=r.name,
                qos_name=r.qos_name,
                port_ids=tuple(ports[r.id]),
            )
            for r in rows
        ]

    def list_profiles(self, tenant_id: str) -> Sequence[PortProfile]:
        def work(s: Session) -> list[PortProfile]:
            rows = s.scalars(
                select(PortProfileRow)
                .where(PortProfileRow.tenant_id == tenant_id)
                .order_by(PortProfileRow.created_at, PortProfileRow.id)
            ).all()
            return self._profiles(s, rows)

        return self.db.run(work, write=False)

    def _profile_row(self, s: Session, tenant_id: str, profile_id: str) -> Any:
        row = _owned(s, PortProfileRow, tenant_id, profile_id)
        if row is None:
            raise exc.PortProfileNotFound(profile_id=profile_id)
        return row

    def get_profile(self, tenant_id: str, profile_id: str) -> PortProfile:
        """Raises PortProfileNotFound."""

        def work(s: Session) -> PortProfile:
            return self._profiles(s, [self._profile_row(s, tenant_id, profile_id)])[0]

        return self.db.run(work, write=False)

    def create_profile(self, tenant_id: str, name: str, qos_name: str) -> PortProfile:
        def work(s: Session) -> PortProfile:
            row = PortProfileRow(
                id=str(uuid.uuid4()), tenant_id=tenant_id, name=name, qos_name=qos_name
            )
            s.add(row)
            s.flush()
            return self._profiles(s, [row])[0]

        return self.db.run(work, write=True)

    def rename_profile(self, tenant_id: str, profile_id: str, name: str) -> PortProfile:
        """Raises PortProfileNotFound."""

        def work(s: Session) -> PortProfile:
            row = self._profile_row(s, tenant_id, profile_id)
            row.name = name
            return self._profiles(s, [row])[0]

        return self.db.run(work, write=True)

    def delete_profile(self, tenant_id: str, profile_id: str) -> None:
        """Raises PortProfileNotFound, PortProfileInUse (ports are associated)."""

        def work(s: Session) -> None:
            s.delete(self._profile_row(s, tenant_id, profile_id))
            s.flush()

        try:
            self.db.run(work, write=True)
        except IntegrityError as error:
            # NOTE: the binding's foreign key refuses it, also against a concurrent
            # associate that committed first.
            raise exc.PortProfileInUse(profile_id=profile_id) from error

    def associate(
        self, tenant_id: str, profile_id: str, network_id: str, port_id: str
    ) -> None:
        """The port (of the tenant's network) takes this profile, replacing any
        other. Raises PortProfileNotFound, NetworkNotFound, PortNotFound."""

        def work(s: Session) -> None:
            self._profile_row(s, tenant_id, profile_id)
            _tenant_port(s, tenant_id, network_id, port_id)
            binding = s.get(PortProfileBindingRow, port_id, with_for_update=True)
            if binding is None:
                s.add(PortProfileBindingRow(port_id=port_id, profile_id=profile_id))
            else:
                binding.profile_id = profile_id
            s.flush()

        self.db.run(work, write=True)

    def disassociate(
        self, tenant_id: str, profile_id: str, network_id: str, port_id: str
    ) -> None:
        """The port leaves this profile (a no-op if it has another or none).
        Raises PortProfileNotFound, NetworkNotFound, PortNotFound."""

        def work(s: Session) -> None:
            self._profile_row(s, tenant_id, profile_id)
            _tenant_port(s, tenant_id, network_id, port_id)
            s.execute(
                delete(PortProfileBindingRow).where(
                    PortProfileBindingRow.port_id == port_id,
                    PortProfileBindingRow.profile_id == profile_id,
                )
            )

        self.db.run(work, write=True)


def _tenant_port(s: Session, tenant_id: str, network_id: str, port_id: str) -> None:
    found = s.execute(
        select(NetworkRow.id, PortRow.id)
        .outerjoin(
            PortRow, (PortRow.network_id == NetworkRow.id) & (PortRow.id == port_id)
        )
        .where(NetworkRow.id == network_id, NetworkRow.tenant_id == tenant_id)
    ).one_or_none()
    if found is None:
        raise exc.NetworkNotFound(network_id=network_id)
    if found[1] is None:
        raise exc.PortNotFoundOnNetwork(network_id=network_id, port_id=port_id)
