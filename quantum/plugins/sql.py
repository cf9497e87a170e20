# SPDX-License-Identifier: Apache-2.0
"""The SQL-backed reference model: the core services over one store.

Usable on its own (nothing is wired; a port's op-status stays DOWN until something
reports it UP through ``set_port_status``) and the base of the Open vSwitch plugin,
which adds its mechanism (segments) and its agents' state. The services
(``quantum.plugins.core``) are the only write path, for v1 and v2.0 alike; each call
is one transaction, and the invariants of the contract are kept by the schema and by
conditional writes, so they hold with many workers on any back-end.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import or_, select, update

from quantum.core.networks import Network
from quantum.core.ports import Port
from quantum.core.quotas import QuotaResource
from quantum.core.settings import Settings
from quantum.core.status import OpStatus
from quantum.db import migration
from quantum.db.models import (
    NetworkRow,
    PortRow,
    SecurityGroupRow,
    SecurityGroupRuleRow,
)
from quantum.db.session import Database
from quantum.plugins.core.networks import NetworkStore
from quantum.plugins.core.ports import PortStore
from quantum.plugins.core.quotas import Quotas, QuotaStore
from quantum.plugins.core.security_groups import (
    SecurityGroupRuleStore,
    SecurityGroups,
    SecurityGroupStore,
)
from quantum.plugins.core.subnets import SubnetStore
from quantum.plugins.core.tags import Tags
from quantum.plugins.dhcp import provisioning
from quantum.plugins.extras.credentials import CredentialStore, load_keys
from quantum.plugins.extras.instances import InstanceStore
from quantum.plugins.extras.profiles import ProfileStore
from quantum.plugins.mechanism import Mechanism

LOG = logging.getLogger(__name__)

QOS = "Cisco qos"
PORT_PROFILE = "Cisco Port Profile"
CREDENTIAL = "Cisco Credential"
NOVA_TENANT = "Cisco Nova Tenant"
MULTIPORT = "Cisco Multiport"
SECURITY = ("security-group", "port-security", "allowed-address-pairs")
"""The v2 extensions of security groups and port security (spec §5.5): the
store serves them under every mechanism; what enforces them is the agents'."""


_HEALTH = select(NetworkRow.id).where(NetworkRow.id == "")
"""``check_health``'s indexed read of the store, built once (PERF)."""


class SqlPlugin:
    supported_extension_aliases: Sequence[str]
    """QoS, port profiles, multiport and the compute helper always; credentials
    when ``credential_key`` is set (passwords are never stored in the clear)."""

    network_store = NetworkStore
    port_store = PortStore
    """The classes of the networks and ports services (a subclass may refine how
    they report, never how they write)."""

    profiles: ProfileStore
    credentials: CredentialStore | None
    instances: InstanceStore

    def __init__(
        self,
        settings: Settings,
        *,
        check_schema: bool = True,
        mechanism: Mechanism | None = None,
    ) -> None:
        """``mechanism``: the back-end below the services (None: nothing is
        wired, networks get no segment)."""
        # NOTE: the key first, so a malformed one fails before a pool is opened.
        keys = load_keys(settings.credential_key)
        self.db = Database(settings.database_url, settings.sql_pool_size)
        if check_schema:
            migration.require_current(self.db.engine, settings.config_file)
        quotas = Quotas(settings)
        quotas.register(
            QuotaResource.SECURITY_GROUP,
            settings.quota_security_group,
            SecurityGroupRow.tenant_id,
        )
        quotas.register(
            QuotaResource.SECURITY_GROUP_RULE,
            settings.quota_security_group_rule,
            SecurityGroupRuleRow.tenant_id,
        )
        groups = SecurityGroups()
        self.networks = self.network_store(
            self.db, settings, quotas, mechanism=mechanism, security_groups=groups
        )
        self.subnets = SubnetStore(self.db, settings, quotas)
        self.ports = self.port_store(
            self.db, settings, quotas, mechanism=mechanism, security_groups=groups
        )
        self.security_groups = SecurityGroupStore(self.db, quotas, groups)
        """Security groups and their rules (``security-group``): composed into
        the core plugin, as a port's groups are written in its own transaction."""
        self.security_group_rules = SecurityGroupRuleStore(self.db, quotas, groups)
        self.quotas = QuotaStore(self.db, quotas)
        """The per-domain services (``plugins.interface.CoreServices``)."""
        self.tags = Tags(self.db)
        """Tags of networks, subnets and ports (``standard-attr-tag``)."""
        self.profiles = ProfileStore(self.db)
        self.credentials = CredentialStore(self.db, keys) if keys else None
        self.instances = InstanceStore(
            self.db, timedelta(seconds=settings.agent_down_time)
        )
        aliases = [QOS, PORT_PROFILE, NOVA_TENANT, MULTIPORT, *SECURITY]
        if self.credentials is not None:
            aliases.append(CREDENTIAL)
        else:
            LOG.info("credential_key is not set: the credentials extension is off")
        if mechanism is not None:
            aliases += mechanism.extension_aliases
        self.supported_extension_aliases = tuple(aliases)

    # -- the v1 calls by name, one line each over the services' v1 door -----------
    # NOTE: for in-process callers (tests, embedding); ApiV1 calls the services.

    def list_networks(
        self, tenant_id: str, *, with_ports: bool = False
    ) -> Sequence[Network]:
        return self.networks.list_owned(tenant_id, with_ports=with_ports)

    def get_network(
        self, tenant_id: str, network_id: str, *, with_ports: bool = False
    ) -> Network:
        return self.networks.get_owned(tenant_id, network_id, with_ports=with_ports)

    def create_network(self, tenant_id: str, name: str | None) -> Network:
        return self.networks.create_owned(tenant_id, name)

    def update_network(self, tenant_id: str, network_id: str, name: str | None) -> None:
        self.networks.rename_owned(tenant_id, network_id, name)

    def delete_network(self, tenant_id: str, network_id: str) -> None:
        self.networks.delete_owned(tenant_id, network_id)

    def list_ports(self, tenant_id: str, network_id: str) -> Sequence[Port]:
        return self.ports.list_on_network(tenant_id, network_id)

    def get_port(self, tenant_id: str, network_id: str, port_id: str) -> Port:
        return self.ports.get_on_network(tenant_id, network_id, port_id)

    def create_port(
        self, tenant_id: str, network_id: str, *, admin_state_up: bool
    ) -> Port:
        return self.ports.create_on_network(
            tenant_id, network_id, admin_state_up=admin_state_up
        )

    def create_ports(
        self, tenant_id: str, network_ids: Sequence[str], *, admin_state_up: bool
    ) -> Sequence[Port]:
        return self.ports.create_on_networks(
            tenant_id, network_ids, admin_state_up=admin_state_up
        )

    def update_port(
        self, tenant_id: str, network_id: str, port_id: str, *, admin_state_up: bool
    ) -> None:
        self.ports.set_state_on_network(
            tenant_id, network_id, port_id, admin_state_up=admin_state_up
        )

    def delete_port(self, tenant_id: str, network_id: str, port_id: str) -> None:
        self.ports.delete_on_network(tenant_id, network_id, port_id)

    def plug_attachment(
        self, tenant_id: str, network_id: str, port_id: str, attachment_id: str
    ) -> None:
        self.ports.plug(tenant_id, network_id, port_id, attachment_id)

    def unplug_attachment(self, tenant_id: str, network_id: str, port_id: str) -> None:
        self.ports.unplug(tenant_id, network_id, port_id)

    # -- agents' reports --------------------------------------------------------------

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
                wired = (OpStatus.UP.value, OpStatus.PROVISIONING.value)
                query = query.where(or_(bound_here, PortRow.status.not_in(wired)))
        # NOTE: UP waits for the port's DHCP (plugins.dhcp.provisioning), decided
        # on the row the UPDATE writes, so a DHCP report at the same time is seen.
        value = provisioning.reported_up() if status is OpStatus.UP else status.value
        self.db.run(
            lambda s: s.execute(
                query.values(
                    status=value,
                    status_reason="" if status is OpStatus.UP else reason[:255],
                )
            ),
            write=True,
            # NOTE: op-status is what agents report, not what they are told to do.
            bump_revision=False,
        )

    # -- service ----------------------------------------------------------------------

    def check_health(self) -> None:
        self.db.read(lambda c: c.execute(_HEALTH).first())

    def close(self) -> None:
        self.db.dispose()
