# SPDX-License-Identifier: Apache-2.0
"""ORM tables of the original's extensions (migration 0006). Change them only
together with a migration."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from quantum.db.models import Base, Timestamp, utcnow


class QosPolicyRow(Base):
    __tablename__ = "qos_policies"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text)
    """The caller's JSON value, encoded."""
    rate_kbps: Mapped[int | None] = mapped_column(BigInteger)
    burst_kb: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class PortProfileRow(Base):
    __tablename__ = "port_profiles"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255))
    qos_name: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class PortProfileBindingRow(Base):
    """At most one profile per port (the key); a profile with bindings cannot be
    deleted (no cascade); a deleted port takes its binding along."""

    __tablename__ = "port_profile_bindings"
    __table_args__ = (Index("ix_port_profile_bindings_profile_id", "profile_id"),)

    port_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("ports.id", ondelete="CASCADE"), primary_key=True
    )
    profile_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("port_profiles.id", ondelete="RESTRICT")
    )


class CredentialRow(Base):
    __tablename__ = "credentials"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255))
    user_name: Mapped[str] = mapped_column(String(255))
    password_token: Mapped[str] = mapped_column(Text)
    """A Fernet token; the key is ``credential_key`` in quantum.conf."""
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class InstancePortRow(Base):
    __tablename__ = "instance_ports"

    tenant_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    vif_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class PortStatisticsRow(Base):
    """The counters an agent last reported for a port, and from which host."""

    __tablename__ = "port_statistics"

    port_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("ports.id", ondelete="CASCADE"), primary_key=True
    )
    host: Mapped[str] = mapped_column(String(255), index=True)
    rx_packets: Mapped[int] = mapped_column(BigInteger)
    rx_bytes: Mapped[int] = mapped_column(BigInteger)
    rx_errors: Mapped[int] = mapped_column(BigInteger)
    tx_packets: Mapped[int] = mapped_column(BigInteger)
    tx_bytes: Mapped[int] = mapped_column(BigInteger)
    tx_errors: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
