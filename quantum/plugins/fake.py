# SPDX-License-Identifier: Apache-2.0
"""In-memory plugin for API development: nothing persists, nothing is wired.

Every object reports op-status UP, as the original sample plugin did. State lives in
one process; with ``api_workers > 1`` each worker has its own.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Sequence
from dataclasses import replace

from quantum.core import exceptions as exc
from quantum.core.networks import Network
from quantum.core.ports import Port
from quantum.core.settings import Settings
from quantum.core.status import OpStatus


class FakePlugin:
    supported_extension_aliases: Sequence[str] = ()

    def __init__(self, settings: Settings | None = None) -> None:
        self._lock = threading.Lock()
        self._networks: dict[str, Network] = {}
        self._ports: dict[str, dict[str, Port]] = {}
        self._attached: dict[str, Port] = {}

    def _network(self, tenant_id: str, network_id: str) -> Network:
        net = self._networks.get(network_id)
        if net is None or net.tenant_id != tenant_id:
            raise exc.NetworkNotFound(network_id=network_id)
        return net

    def _port(self, tenant_id: str, network_id: str, port_id: str) -> Port:
        self._network(tenant_id, network_id)
        port = self._ports[network_id].get(port_id)
        if port is None:
            raise exc.PortNotFoundOnNetwork(network_id=network_id, port_id=port_id)
        return port

    def _with_ports(self, net: Network) -> Network:
        return replace(net, ports=tuple(self._ports[net.id].values()))

    def list_networks(
        self, tenant_id: str, *, with_ports: bool = False
    ) -> Sequence[Network]:
        with self._lock:
            nets = [n for n in self._networks.values() if n.tenant_id == tenant_id]
            return [self._with_ports(n) for n in nets] if with_ports else nets

    def get_network(
        self, tenant_id: str, network_id: str, *, with_ports: bool = False
    ) -> Network:
        with self._lock:
            net = self._network(tenant_id, network_id)
            return self._with_ports(net) if with_ports else net

    def create_network(self, tenant_id: str, name: str | None) -> Network:
        net = Network(
            id=str(uuid.uuid4()), tenant_id=tenant_id, name=name, status=OpStatus.UP
        )
        with self._lock:
            self._networks[net.id] = net
            self._ports[net.id] = {}
        return net

    def update_network(
        self, tenant_id: str, network_id: str, name: str | None
    ) -> Network:
        with self._lock:
            net = replace(self._network(tenant_id, network_id), name=name)
            self._networks[net.id] = net
            return net

    def delete_network(self, tenant_id: str, network_id: str) -> None:
        with self._lock:
            self._network(tenant_id, network_id)
            if any(p.attachment for p in self._ports[network_id].values()):
                raise exc.NetworkInUse(network_id=network_id)
            del self._networks[network_id]
            del self._ports[network_id]

    def list_ports(self, tenant_id: str, network_id: str) -> Sequence[Port]:
        with self._lock:
            self._network(tenant_id, network_id)
            return list(self._ports[network_id].values())

    def get_port(self, tenant_id: str, network_id: str, port_id: str) -> Port:
        with self._lock:
            return self._port(tenant_id, network_id, port_id)

    def create_port(
        self, tenant_id: str, network_id: str, *, admin_state_up: bool
    ) -> Port:
        with self._lock:
            self._network(tenant_id, network_id)
            port = Port(
                id=str(uuid.uuid4()),
                network_id=network_id,
                tenant_id=tenant_id,
                admin_state_up=admin_state_up,
                status=OpStatus.UP,
            )
            self._ports[network_id][port.id] = port
            return port

    def update_port(
        self, tenant_id: str, network_id: str, port_id: str, *, admin_state_up: bool
    ) -> Port:
        with self._lock:
            port = self._port(tenant_id, network_id, port_id)
            port = replace(port, admin_state_up=admin_state_up)
            self._ports[network_id][port_id] = port
            return port

    def delete_port(self, tenant_id: str, network_id: str, port_id: str) -> None:
        with self._lock:
            port = self._port(tenant_id, network_id, port_id)
            if port.attachment:
                raise exc.PortInUse(
                    network_id=network_id,
                    port_id=port_id,
                    attachment_id=port.attachment,
                )
            del self._ports[network_id][port_id]

    def plug_attachment(
        self, tenant_id: str, network_id: str, port_id: str, attachment_id: str
    ) -> None:
        with self._lock:
            port = self._port(tenant_id, network_id, port_id)
            if port.attachment:
                raise exc.PortInUse(
                    network_id=network_id,
                    port_id=port_id,
                    attachment_id=port.attachment,
                )
            other = self._attached.get(attachment_id)
            if other is not None and other.tenant_id != tenant_id:
                raise exc.AttachedToAnotherTenant(
                    network_id=network_id, port_id=port_id, attachment_id=attachment_id
                )
            if other is not None:
                raise exc.AlreadyAttached(
                    network_id=network_id,
                    port_id=port_id,
                    attachment_id=attachment_id,
                    attached_port_id=other.id,
                )
            port = replace(port, attachment=attachment_id)
            self._ports[network_id][port_id] = port
            self._attached[attachment_id] = port

    def unplug_attachment(self, tenant_id: str, network_id: str, port_id: str) -> None:
        with self._lock:
            port = self._port(tenant_id, network_id, port_id)
            if port.attachment:
                del self._attached[port.attachment]
                self._ports[network_id][port_id] = replace(port, attachment=None)

    def check_health(self) -> None:
        return None

    def close(self) -> None:
        return None
