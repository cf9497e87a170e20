# SPDX-License-Identifier: Apache-2.0
"""The SQL-backed reference model: networks, ports and attachments in the store.

Usable on its own (nothing is wired; a port's op-status stays DOWN until something
reports it UP through ``set_port_status``) and the base the Open vSwitch plugin holds.
Each public method is one transaction; the invariants of the contract are kept by the
schema and by conditional writes, so they hold with many workers on any back-end.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import timedelta

from sqlalchemy import delete, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.mac import random_mac
from quantum.core.networks import Network
from quantum.core.ports import Port
from quantum.core.settings import Settings
from quantum.core.status import OpStatus
from quantum.core.text import storable
from quantum.db import migration
from quantum.db.models import NetworkRow, PortRow, utcnow
from quantum.db.session import Database
from quantum.plugins.core.networks import (
    NetworkStore,
    SegmentProvider,
    delete_unused_network,
)
from quantum.plugins.core.ports import PortStore
from quantum.plugins.core.quotas import Quotas, QuotaStore
from quantum.plugins.core.subnets import SubnetStore
from quantum.plugins.core.tags import Tags
from quantum.plugins.extras.credentials import CredentialStore, load_keys
from quantum.plugins.extras.instances import InstanceStore
from quantum.plugins.extras.profiles import ProfileStore

LOG = logging.getLogger(__name__)

NetworkPrecommit = Callable[[Session, Network], None]
"""Extra work inside a network's create transaction, after its row is written;
raising rolls the whole create back (how a plugin holding this one adds segments)."""


def _network_row(s: Session, tenant_id: str, network_id: str) -> NetworkRow:
    if not storable(tenant_id, network_id):
        raise exc.NetworkNotFound(network_id=network_id)
    row = s.scalars(
        select(NetworkRow).where(
            NetworkRow.id == network_id, NetworkRow.tenant_id == tenant_id
        )
    ).one_or_none()
    if row is None:
        raise exc.NetworkNotFound(network_id=network_id)
    return row


def _port_row(s: Session, tenant_id: str, network_id: str, port_id: str) -> PortRow:
    # PERF: one statement for both checks (the network is the tenant's, the port is on
    # it); every port call, and every statement inside SQLite's write lock, counts.
    if not storable(tenant_id, network_id, port_id):
        _network_row(s, tenant_id, network_id)  # NOTE: a bad network still wins
        raise exc.PortNotFoundOnNetwork(network_id=network_id, port_id=port_id)
    found = s.execute(
        select(NetworkRow.id, PortRow)
        .outerjoin(
            PortRow, (PortRow.network_id == NetworkRow.id) & (PortRow.id == port_id)
        )
        .where(NetworkRow.id == network_id, NetworkRow.tenant_id == tenant_id)
    ).one_or_none()
    if found is None:
        raise exc.NetworkNotFound(network_id=network_id)
    if found[1] is None:
        raise exc.PortNotFoundOnNetwork(network_id=network_id, port_id=port_id)
    row: PortRow = found[1]
    return row


def _port_holding(s: Session, attachment_id: str) -> PortRow | None:
    return s.scalars(
        select(PortRow).where(PortRow.attachment == attachment_id)
    ).one_or_none()


QOS = "Cisco qos"
PORT_PROFILE = "Cisco Port Profile"
CREDENTIAL = "Cisco Credential"
NOVA_TENANT = "Cisco Nova Tenant"
MULTIPORT = "Cisco Multiport"


class SqlPlugin:
    supported_extension_aliases: Sequence[str]
    """QoS, port profiles, multiport and the compute helper always; credentials
    when ``credential_key`` is set (passwords are never stored in the clear)."""

    profiles: ProfileStore
    credentials: CredentialStore | None
    instances: InstanceStore

    def __init__(
        self,
        settings: Settings,
        *,
        check_schema: bool = True,
        segments: SegmentProvider | None = None,
    ) -> None:
        # NOTE: the key first, so a malformed one fails before a pool is opened.
        keys = load_keys(settings.credential_key)
        self.db = Database(settings.database_url, settings.sql_pool_size)
        if check_schema:
            migration.require_current(self.db.engine, settings.config_file)
        self.base_mac = settings.base_mac
        self.mac_retries = settings.mac_generation_retries
        quotas = Quotas(settings)
        self.networks = NetworkStore(self.db, settings, quotas, segments=segments)
        self.subnets = SubnetStore(self.db, settings, quotas)
        self.ports = PortStore(self.db, settings, quotas)
        self.quotas = QuotaStore(self.db, quotas)
        """The per-domain services (``plugins.interface.CoreServices``)."""
        self.tags = Tags(self.db)
        """Tags of networks, subnets and ports (``standard-attr-tag``)."""
        self.profiles = ProfileStore(self.db)
        self.credentials = CredentialStore(self.db, keys) if keys else None
        self.instances = InstanceStore(
            self.db, timedelta(seconds=settings.agent_down_time)
        )
        aliases = [QOS, PORT_PROFILE, NOVA_TENANT, MULTIPORT]
        if self.credentials is not None:
            aliases.append(CREDENTIAL)
        else:
            LOG.info("credential_key is not set: the credentials extension is off")
        self.supported_extension_aliases = tuple(aliases)

    # -- networks ---------------------------------------------------------------------

    def list_networks(
        self, tenant_id: str, *, with_ports: bool = False
    ) -> Sequence[Network]:
        def work(s: Session) -> list[Network]:
            if not storable(tenant_id):
                return []
            rows = s.scalars(
                select(NetworkRow)
                .where(NetworkRow.tenant_id == tenant_id)
                .order_by(NetworkRow.created_at, NetworkRow.id)
            ).all()
            if not with_ports:
                return [r.to_domain() for r in rows]
            by_net: dict[str, list[Port]] = defaultdict(list)
            ports = s.scalars(
                select(PortRow)
                .join(NetworkRow, PortRow.network_id == NetworkRow.id)
                .where(NetworkRow.tenant_id == tenant_id)
                .order_by(PortRow.created_at, PortRow.id)
            )
            for p in ports:
                by_net[p.network_id].append(p.to_domain())
            return [r.to_domain(tuple(by_net.get(r.id, ()))) for r in rows]

        return self.db.run(work, write=False)

    def get_network(
        self, tenant_id: str, network_id: str, *, with_ports: bool = False
    ) -> Network:
        def work(s: Session) -> Network:
            row = _network_row(s, tenant_id, network_id)
            if not with_ports:
                return row.to_domain()
            return row.to_domain(
                tuple(p.to_domain() for p in self._ports_of(s, row.id))
            )

        return self.db.run(work, write=False)

    def create_network(
        self,
        tenant_id: str,
        name: str | None,
        *,
        precommit: NetworkPrecommit | None = None,
    ) -> Network:
        def work(s: Session) -> Network:
            row = NetworkRow(
                id=str(uuid.uuid4()),
                tenant_id=tenant_id,
                name=name,
                status=OpStatus.UP,
                admin_state_up=True,
            )
            s.add(row)
            s.flush()
            network = row.to_domain()
            if precommit is not None:
                precommit(s, network)
            return network

        return self.db.run(work, write=True)

    def update_network(
        self, tenant_id: str, network_id: str, name: str | None
    ) -> Network:
        def work(s: Session) -> Network:
            row = _network_row(s, tenant_id, network_id)
            row.name = name
            return row.to_domain()

        return self.db.run(work, write=True)

    def delete_network(self, tenant_id: str, network_id: str) -> None:
        def work(s: Session) -> None:
            _network_row(s, tenant_id, network_id)
            # NOTE: the unplugged ports go with the network; a plug racing with us
            # either lands first (its port survives, we refuse) or finds its port
            # gone. Reading "no attachments" first would let it slip in.
            delete_unused_network(
                s,
                network_id,
                PortRow.attachment.is_(None),
                exc.NetworkInUse(network_id=network_id),
            )

        self.db.run(work, write=True)

    # -- ports ------------------------------------------------------------------------

    @staticmethod
    def _ports_of(s: Session, network_id: str) -> Sequence[PortRow]:
        return s.scalars(
            select(PortRow)
            .where(PortRow.network_id == network_id)
            .order_by(PortRow.created_at, PortRow.id)
        ).all()

    def list_ports(self, tenant_id: str, network_id: str) -> Sequence[Port]:
        def work(s: Session) -> list[Port]:
            _network_row(s, tenant_id, network_id)
            return [p.to_domain() for p in self._ports_of(s, network_id)]

        return self.db.run(work, write=False)

    def get_port(self, tenant_id: str, network_id: str, port_id: str) -> Port:
        return self.db.run(
            lambda s: _port_row(s, tenant_id, network_id, port_id).to_domain(),
            write=False,
        )

    def create_port(
        self, tenant_id: str, network_id: str, *, admin_state_up: bool
    ) -> Port:
        def work(s: Session) -> Port:
            if not storable(tenant_id, network_id):
                raise exc.NetworkNotFound(network_id=network_id)
            port = Port(
                id=str(uuid.uuid4()),
                network_id=network_id,
                tenant_id=tenant_id,
                admin_state_up=admin_state_up,
                status=OpStatus.DOWN,
                mac_address=random_mac(self.base_mac),
            )
            # PERF: the tenant check and the insert in one statement.
            owned = select(
                literal(port.id),
                NetworkRow.id,
                NetworkRow.tenant_id,
                literal(admin_state_up),
                literal(port.status.value),
                literal(utcnow()),
                literal(port.mac_address),
            ).where(NetworkRow.id == network_id, NetworkRow.tenant_id == tenant_id)
            inserted = s.execute(
                insert(PortRow).from_select(
                    [
                        "id",
                        "network_id",
                        "tenant_id",
                        "admin_state_up",
                        "status",
                        "created_at",
                        "mac_address",
                    ],
                    owned,
                )
            ).rowcount  # type: ignore[attr-defined]  # NOTE: CursorResult at runtime
            if not inserted:
                raise exc.NetworkNotFound(network_id=network_id)
            return port

        for _ in range(self.mac_retries):
            try:
                return self.db.run(work, write=True)
            except IntegrityError as error:
                # NOTE: either the network was deleted under us, or the unique index
                # refused the random MAC (then another one is tried).
                exists = self.db.run(
                    lambda s: s.get(NetworkRow, network_id) is not None, write=False
                )
                if not exists:
                    raise exc.NetworkNotFound(network_id=network_id) from error
        raise exc.MacAddressGenerationFailure(network_id=network_id)

    def create_ports(
        self, tenant_id: str, network_ids: Sequence[str], *, admin_state_up: bool
    ) -> Sequence[Port]:
        """One unplugged port on each listed network, all or none (multiport).
        Raises NetworkNotFound naming the first network that is not the tenant's,
        MacAddressGenerationFailure."""

        def work(s: Session) -> list[Port]:
            ports = []
            for network_id in network_ids:
                _network_row(s, tenant_id, network_id)
                row = PortRow(
                    id=str(uuid.uuid4()),
                    network_id=network_id,
                    tenant_id=tenant_id,
                    admin_state_up=admin_state_up,
                    status=OpStatus.DOWN.value,
                    created_at=utcnow(),
                    mac_address=random_mac(self.base_mac),
                )
                s.add(row)
                ports.append(row)
            s.flush()
            return [r.to_domain() for r in ports]

        for _ in range(self.mac_retries):
            try:
                return self.db.run(work, write=True)
            except IntegrityError:
                # NOTE: a network deleted under us is found by the next attempt; a
                # random MAC taken meanwhile is drawn again.
                continue
        raise exc.MacAddressGenerationFailure(network_id=",".join(network_ids))

    def update_port(
        self, tenant_id: str, network_id: str, port_id: str, *, admin_state_up: bool
    ) -> Port:
        def work(s: Session) -> Port:
            row = _port_row(s, tenant_id, network_id, port_id)
            row.admin_state_up = admin_state_up
            return row.to_domain()

        return self.db.run(work, write=True)

    def delete_port(self, tenant_id: str, network_id: str, port_id: str) -> None:
        def work(s: Session) -> None:
            _port_row(s, tenant_id, network_id, port_id)
            gone = s.execute(
                delete(PortRow).where(
                    PortRow.id == port_id, PortRow.attachment.is_(None)
                )
            ).rowcount  # type: ignore[attr-defined]  # NOTE: CursorResult at runtime
            if not gone:
                raise self._in_use(s, tenant_id, network_id, port_id)

        self.db.run(work, write=True)

    @staticmethod
    def _in_use(
        s: Session, tenant_id: str, network_id: str, port_id: str
    ) -> exc.QuantumError:
        """Why a conditional write on an unplugged port matched nothing: re-read it
        as committed now (a concurrent delete shows as not found)."""
        s.expire_all()
        row = _port_row(s, tenant_id, network_id, port_id)
        return exc.PortInUse(
            network_id=network_id, port_id=port_id, attachment_id=row.attachment
        )

    def set_port_status(
        self,
        port_id: str,
        status: OpStatus,
        *,
        host: str | None = None,
        reason: str = "",
    ) -> None:
        """Record the op-status an agent observed (no tenant: agents are trusted).

        ``host``: the agent's. A host the port is not bound to may only say why it
        is DOWN while no other host has it UP (a VIF plugged on the wrong host must
        not hide the right one's report).
        """
        query = update(PortRow).where(PortRow.id == port_id)
        if host is not None:
            bound_here = PortRow.binding_host_id.in_((host, ""))
            if status is OpStatus.UP:
                query = query.where(bound_here)
            else:
                query = query.where(
                    or_(bound_here, PortRow.status != OpStatus.UP.value)
                )
        self.db.run(
            lambda s: s.execute(
                query.values(
                    status=status.value,
                    status_reason="" if status is OpStatus.UP else reason[:255],
                )
            ),
            write=True,
            # NOTE: op-status is what agents report, not what they are told to do.
            bump_revision=False,
        )

    # -- attachments ------------------------------------------------------------------

    def plug_attachment(
        self, tenant_id: str, network_id: str, port_id: str, attachment_id: str
    ) -> None:
        def work(s: Session) -> None:
            row = _port_row(s, tenant_id, network_id, port_id)
            if row.attachment is not None:
                raise exc.PortInUse(
                    network_id=network_id, port_id=port_id, attachment_id=row.attachment
                )
            plugged = s.execute(
                update(PortRow)
                .where(PortRow.id == port_id, PortRow.attachment.is_(None))
                .values(attachment=attachment_id)
            ).rowcount  # type: ignore[attr-defined]  # NOTE: CursorResult at runtime
            if not plugged:
                raise self._in_use(s, tenant_id, network_id, port_id)

        try:
            self.db.run(work, write=True)
        except IntegrityError:
            # NOTE: the unique index refused the id: another port holds it, plugged
            # before us or concurrently. Name that port, unless it is another
            # tenant's (PERF: no pre-check query).
            holder = self.db.run(lambda s: _port_holding(s, attachment_id), write=False)
            if holder is not None and holder.tenant_id != tenant_id:
                raise exc.AttachedToAnotherTenant(
                    network_id=network_id, port_id=port_id, attachment_id=attachment_id
                ) from None
            raise exc.AlreadyAttached(
                network_id=network_id,
                port_id=port_id,
                attachment_id=attachment_id,
                attached_port_id=holder.id if holder else "(unplugged since)",
            ) from None

    def unplug_attachment(self, tenant_id: str, network_id: str, port_id: str) -> None:
        def work(s: Session) -> None:
            row = _port_row(s, tenant_id, network_id, port_id)
            row.attachment = None
            row.status = OpStatus.DOWN
            # NOTE: the VIF is gone; wherever it is plugged next may wire the port.
            row.binding_host_id = ""

        self.db.run(work, write=True)

    # -- service ----------------------------------------------------------------------

    def check_health(self) -> None:
        self.db.run(
            lambda s: s.execute(
                select(NetworkRow.id).where(NetworkRow.id == "")
            ).first(),
            write=False,
        )

    def close(self) -> None:
        self.db.dispose()
