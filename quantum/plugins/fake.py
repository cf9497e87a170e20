# SPDX-License-Identifier: Apache-2.0
"""``core_plugin = fake``: the SQL model in memory, for API development.

The same services as the SQL plugin (the same contract, quotas and addresses
included) over an in-memory SQLite database created at start-up: nothing persists,
and with ``api_workers > 1`` each worker has its own (so, unless set, it serves from
one process). Its mechanism wires nothing, so every port reports op-status UP
(whatever its administrative state), as the original sample plugin did, and it
offers no API extensions.
``sql_connection`` is ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace

from sqlalchemy.orm import Session

from quantum.core.listing import ListQuery
from quantum.core.networks import Network, NetworkSegment
from quantum.core.ports import Port, PortCreate, PortUpdate
from quantum.core.scope import Scope
from quantum.core.settings import Settings
from quantum.core.status import OpStatus
from quantum.db.models import REVISION_ROW_ID, Base, StoreRevisionRow
from quantum.plugins.core.networks import NetworkStore
from quantum.plugins.core.ports import PortStore
from quantum.plugins.sql import SqlPlugin

IN_MEMORY = "sqlite://"


class NothingToWire:
    """The fake's mechanism: no segments, no agents; ports are UP at once."""

    vif_type = "unbound"
    extension_aliases: Sequence[str] = ()
    initial_port_status = OpStatus.UP

    def network_precommit(
        self, s: Session, network_id: str, requested: NetworkSegment | None
    ) -> None:
        """No segments to give."""

    def port_precommit(self, s: Session, port: Port) -> None:
        """Nothing to check."""

    def segments(
        self, s: Session, network_ids: Collection[str] | None
    ) -> Mapping[str, NetworkSegment]:
        return {}


def _up(port: Port) -> Port:
    return replace(port, status=OpStatus.UP, status_reason="")


def _with_ports_up(network: Network) -> Network:
    if network.ports is None:
        return network
    return replace(network, ports=tuple(_up(p) for p in network.ports))


class FakeNetworks(NetworkStore):
    """The networks service; a network's ports report UP (v1's detail views)."""

    def list_owned(
        self, tenant_id: str, *, with_ports: bool = False
    ) -> Sequence[Network]:
        found = super().list_owned(tenant_id, with_ports=with_ports)
        return [_with_ports_up(n) for n in found]

    def get_owned(
        self, tenant_id: str, network_id: str, *, with_ports: bool = False
    ) -> Network:
        found = super().get_owned(tenant_id, network_id, with_ports=with_ports)
        return _with_ports_up(found)


class FakePorts(PortStore):
    """The ports service; every port reports UP, whatever its administrative
    state: nothing is wired, nothing can be down (the original sample plugin)."""

    def list(self, scope: Scope, query: ListQuery) -> Sequence[Port]:
        return [_up(p) for p in super().list(scope, query)]

    def get(self, scope: Scope, port_id: str) -> Port:
        return _up(super().get(scope, port_id))

    def create(self, scope: Scope, items: Sequence[PortCreate]) -> Sequence[Port]:
        return [_up(p) for p in super().create(scope, items)]

    def update(
        self,
        scope: Scope,
        port_id: str,
        changes: PortUpdate,
        authorize: Callable[[Port], None] | None = None,
    ) -> Port:
        return _up(super().update(scope, port_id, changes, authorize))

    def list_on_network(self, tenant_id: str, network_id: str) -> Sequence[Port]:
        return [_up(p) for p in super().list_on_network(tenant_id, network_id)]

    def get_on_network(self, tenant_id: str, network_id: str, port_id: str) -> Port:
        return _up(super().get_on_network(tenant_id, network_id, port_id))

    def create_on_networks(
        self, tenant_id: str, network_ids: Sequence[str], *, admin_state_up: bool
    ) -> Sequence[Port]:
        made = super().create_on_networks(
            tenant_id, network_ids, admin_state_up=admin_state_up
        )
        return [_up(p) for p in made]


class FakePlugin(SqlPlugin):
    supported_extension_aliases: Sequence[str] = ()
    network_store = FakeNetworks
    port_store = FakePorts

    def __init__(self, settings: Settings | None = None) -> None:
        memory = replace(settings or Settings(), sql_connection=IN_MEMORY)
        super().__init__(memory, check_schema=False, mechanism=NothingToWire())
        # NOTE: as before: an API-development plugin offers no extensions (but
        # the class's, which tests set).
        self.supported_extension_aliases = type(self).supported_extension_aliases
        Base.metadata.create_all(self.db.engine)
        self.db.run(
            lambda s: s.add(StoreRevisionRow(id=REVISION_ROW_ID, revision=0)),
            write=True,
            bump_revision=False,
        )
