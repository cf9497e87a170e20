# SPDX-License-Identifier: Apache-2.0
"""``core_plugin = openvswitch``: the SQL model, plus a segment for every network.

The plugin holds a ``SqlPlugin`` (networks, ports, attachments) and a
``SegmentAllocator`` (which VLAN id or tunnel key each network gets) and adds nothing
but the wiring: a network and its segment are created in one transaction, and the
segment's id is freed by the cascade in the network delete's transaction. v1 has no
provider attributes, so every network gets the configured tenant network type.

Agents learn the segments through ``get_network_segment(s)``, over the agent API; they
never read the store. The plugin talks to no agent itself: the store is the desired
state and agents reconcile toward it, so nothing here runs after commit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy.orm import Session

from quantum.core import exceptions as exc
from quantum.core.models import Network, NetworkSegment, OpStatus, Port
from quantum.core.settings import Settings
from quantum.plugins.openvswitch import config
from quantum.plugins.openvswitch.segments import SegmentAllocator, SegmentConfig
from quantum.plugins.sql import SqlPlugin


class OpenVSwitchPlugin:
    supported_extension_aliases: Sequence[str] = ()

    def __init__(
        self, settings: Settings, *, segments: SegmentConfig | None = None
    ) -> None:
        """``segments`` overrides the ini file (tests, embedding)."""
        # NOTE: read the ini before connecting, so a bad file fails without a pool.
        self.segments = SegmentAllocator(
            segments if segments is not None else config.load(settings)
        )
        self.sql = SqlPlugin(settings)

    # -- networks ---------------------------------------------------------------------

    def list_networks(
        self, tenant_id: str, *, with_ports: bool = False
    ) -> Sequence[Network]:
        return self.sql.list_networks(tenant_id, with_ports=with_ports)

    def get_network(
        self, tenant_id: str, network_id: str, *, with_ports: bool = False
    ) -> Network:
        return self.sql.get_network(tenant_id, network_id, with_ports=with_ports)

    def create_network(self, tenant_id: str, name: str | None) -> Network:
        """Raises NoNetworkAvailable (and creates nothing) when the tenant network
        type has no free id."""
        return self.sql.create_network(tenant_id, name, precommit=self._add_segment)

    def _add_segment(self, s: Session, network: Network) -> None:
        self.segments.allocate(s, network.id)

    def update_network(
        self, tenant_id: str, network_id: str, name: str | None
    ) -> Network:
        return self.sql.update_network(tenant_id, network_id, name)

    def delete_network(self, tenant_id: str, network_id: str) -> None:
        self.sql.delete_network(tenant_id, network_id)

    # -- segments (for the agent API; agents are trusted, so no tenant) --------------

    def get_network_segment(self, network_id: str) -> NetworkSegment:
        """The network's segment. Raises NetworkNotFound, also for a network made
        while another plugin served the store (it has no segment)."""

        def work(s: Session) -> NetworkSegment:
            segment = self.segments.get(s, network_id)
            if segment is None:
                raise exc.NetworkNotFound(net_id=network_id)
            return segment

        return self.sql.db.run(work, write=False)

    def get_network_segments(
        self, network_ids: Collection[str] | None = None
    ) -> Mapping[str, NetworkSegment]:
        """Network id -> segment, for the given networks (all when None), in one read;
        networks without a segment are left out."""
        return self.sql.db.run(
            lambda s: self.segments.get_many(s, network_ids), write=False
        )

    # -- ports and attachments --------------------------------------------------------

    def list_ports(self, tenant_id: str, network_id: str) -> Sequence[Port]:
        return self.sql.list_ports(tenant_id, network_id)

    def get_port(self, tenant_id: str, network_id: str, port_id: str) -> Port:
        return self.sql.get_port(tenant_id, network_id, port_id)

    def create_port(
        self, tenant_id: str, network_id: str, *, admin_state_up: bool
    ) -> Port:
        return self.sql.create_port(
            tenant_id, network_id, admin_state_up=admin_state_up
        )

    def update_port(
        self, tenant_id: str, network_id: str, port_id: str, *, admin_state_up: bool
    ) -> Port:
        return self.sql.update_port(
            tenant_id, network_id, port_id, admin_state_up=admin_state_up
        )

    def delete_port(self, tenant_id: str, network_id: str, port_id: str) -> None:
        self.sql.delete_port(tenant_id, network_id, port_id)

    def set_port_status(self, port_id: str, status: OpStatus) -> None:
        """Record the op-status an agent observed."""
        self.sql.set_port_status(port_id, status)

    def plug_attachment(
        self, tenant_id: str, network_id: str, port_id: str, attachment_id: str
    ) -> None:
        self.sql.plug_attachment(tenant_id, network_id, port_id, attachment_id)

    def unplug_attachment(self, tenant_id: str, network_id: str, port_id: str) -> None:
        self.sql.unplug_attachment(tenant_id, network_id, port_id)

    # -- service ----------------------------------------------------------------------

    def check_health(self) -> None:
        self.sql.check_health()

    def close(self) -> None:
        self.sql.close()
