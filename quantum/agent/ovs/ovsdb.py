# SPDX-License-Identifier: Apache-2.0
"""The agent's OVSDB side (ovsdbapp): bridges, what is plugged, tags, tunnel ports.

``Ovsdb.ensure_bridges`` makes br-int, br-tun and one bridge per physical network
(``fail_mode=secure``, OpenFlow 1.3, the agent's controller out of band) and the
patch ports between them; start the controller first so the bridges connect at once.
``observe`` reads the IDL's cache into the model's actual state, holding the lock
the IDL thread applies updates under (a read never sees half an update);
``set_tags`` and the tunnel-port calls apply a plan's OVSDB part. Changes to
Interface and Port rows call ``on_change``, which only wakes the agent's loop.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ovsdbapp.backend.ovs_idl import connection, idlutils
from ovsdbapp.schema.open_vswitch import impl_idl

from quantum.agent.ovs.model import Interface, PatchLink, TunnelPort, TunnelType

TABLES = ("Open_vSwitch", "Bridge", "Port", "Interface", "Controller")
WATCHED = frozenset({"Interface", "Port"})
TUNNEL_PATCH = "patch-tun"
INT_PATCH = "patch-int"


def int_patch_name(bridge: str) -> str:
    """br-int's end of the link to physical bridge ``bridge`` (<= 15 bytes)."""
    return f"int-{bridge}"[:15]


def phys_patch_name(bridge: str) -> str:
    """The physical bridge's end of its link to br-int."""
    return f"phy-{bridge}"[:15]


@dataclass(frozen=True, slots=True, kw_only=True)
class BridgeConfig:
    """The bridges the agent manages; ``tunnel_bridge`` None: no tunnelling."""

    integration_bridge: str = "br-int"
    tunnel_bridge: str | None = "br-tun"
    bridge_mappings: Mapping[str, str] = field(default_factory=dict)
    datapath_type: str = "system"

    @property
    def names(self) -> tuple[str, ...]:
        tunnel = (self.tunnel_bridge,) if self.tunnel_bridge else ()
        physical = tuple(sorted(set(self.bridge_mappings.values())))
        return (self.integration_bridge, *tunnel, *physical)


@dataclass(frozen=True, slots=True, kw_only=True)
class Observed:
    """What OVSDB shows of the managed bridges."""

    interfaces: tuple[Interface, ...] = ()
    counters: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """Interface name -> its ``statistics`` column (rx_/tx_ packets, bytes,
    errors...), as ovs-vswitchd last wrote it (every 5 s by default)."""
    tunnel_ports: tuple[TunnelPort, ...] = ()
    tunnel_link: PatchLink | None = None
    physical_links: Mapping[str, PatchLink] = field(default_factory=dict)


class _WatchingIdl(connection.OvsdbIdl):  # type: ignore[misc]  # NOTE: untyped
    """An IDL that calls ``on_change`` for every change to a watched table."""

    def __init__(self, remote: str, helper: Any, on_change: Callable[[], None]):
        super().__init__(remote, helper)
        self.on_change = on_change

    def notify(self, event: Any, row: Any, updates: Any = None) -> None:
        super().notify(event, row, updates)
        if row._table.name in WATCHED:
            self.on_change()


def _ofport(row: Any) -> int:
    return int(row.ofport[0]) if row.ofport else 0


def _first(value: Any) -> Any:
    """An optional OVSDB column (a list of zero or one values) as value or None."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _link(bridge: str, int_ofport: int, peer_ofport: int) -> PatchLink | None:
    if int_ofport <= 0 or peer_ofport <= 0:
        return None
    return PatchLink(bridge=bridge, int_ofport=int_ofport, peer_ofport=peer_ofport)


def read_observed(bridge_rows: Iterable[Any], config: BridgeConfig) -> Observed:
    """What the IDL's Bridge rows (and the rows they refer to) show of the managed
    bridges. The caller holds the IDL's lock, so no update is half-applied."""
    bridges = {str(row.name): row for row in bridge_rows}
    ofports: dict[str, int] = {}
    interfaces: list[Interface] = []
    counters: dict[str, Mapping[str, int]] = {}
    integration = bridges.get(config.integration_bridge)
    for port in integration.ports if integration is not None else ():
        tag = _first(port.tag)
        for iface in port.interfaces:
            # PERF: every column read of an IDL row converts it anew; read once.
            name, ofport = str(iface.name), _ofport(iface)
            ofports[name] = ofport
            ids = iface.external_ids
            interfaces.append(
                Interface(
                    name=name,
                    ofport=ofport,
                    iface_id=ids.get("iface-id"),
                    attached_mac=ids.get("attached-mac"),
                    tag=None if tag is None else int(tag),
                    policing=(
                        int(iface.ingress_policing_rate),
                        int(iface.ingress_policing_burst),
                    ),
                )
            )
            counters[str(iface.name)] = {
                str(k): int(v) for k, v in dict(iface.statistics).items()
            }
    tunnel_ports: list[TunnelPort] = []
    tunnel_link = None
    tunnel_name = config.tunnel_bridge or ""
    tunnel = bridges.get(tunnel_name)
    for port in tunnel.ports if tunnel is not None else ():
        for iface in port.interfaces:
            kind = str(iface.type)
            if kind == "patch" and str(iface.name) == INT_PATCH:
                tunnel_link = _link(
                    tunnel_name, ofports.get(TUNNEL_PATCH, 0), _ofport(iface)
                )
            elif kind in {t.value for t in TunnelType}:
                tunnel_ports.append(
                    TunnelPort(
                        name=str(iface.name),
                        type=TunnelType(kind),
                        remote_ip=str(iface.options.get("remote_ip", "")),
                        ofport=_ofport(iface),
                    )
                )
    physical: dict[str, PatchLink] = {}
    for physnet, name in sorted(config.bridge_mappings.items()):
        row = bridges.get(name)
        for port in row.ports if row is not None else ():
            for iface in port.interfaces:
                if str(iface.name) == phys_patch_name(name):
                    link = _link(
                        name, ofports.get(int_patch_name(name), 0), _ofport(iface)
                    )
                    if link is not None:
                        physical[physnet] = link
    return Observed(
        interfaces=tuple(interfaces),
        counters=counters,
        tunnel_ports=tuple(tunnel_ports),
        tunnel_link=tunnel_link,
        physical_links=physical,
    )


class Ovsdb:
    """One IDL connection to the host's Open_vSwitch database."""

    def __init__(
        self, remote: str, *, timeout: float, on_change: Callable[[], None]
    ) -> None:
        helper = idlutils.get_schema_helper(remote, "Open_vSwitch")
        for table in TABLES:
            helper.register_table(table)
        self._conn = connection.Connection(
            idl=_WatchingIdl(remote, helper, on_change), timeout=timeout
        )
        self.api = impl_idl.OvsdbIdl(self._conn)

    def close(self) -> None:
        # NOTE: the API's connection, not ``_conn``: ovsdbapp keeps the first
        # connection made in the process (a class attribute) and ignores later ones,
        # so after a first attempt that timed out they differ.
        self.api.ovsdb_connection.stop()

    # -- bridges ------------------------------------------------------------------

    def ensure_bridges(self, config: BridgeConfig, controller: str) -> None:
        """Create what is missing; leave a correctly set up bridge untouched."""
        with self.api.transaction(check_error=True) as txn:
            for bridge in config.names:
                txn.add(
                    self.api.add_br(
                        bridge, may_exist=True, datapath_type=config.datapath_type
                    )
                )
                txn.add(
                    self.api.db_set(
                        "Bridge",
                        bridge,
                        ("fail_mode", "secure"),
                        ("protocols", ["OpenFlow13"]),
                    )
                )
                if self._controllers(bridge) != [controller]:
                    txn.add(self.api.set_controller(bridge, [controller]))
            links = [
                (
                    config.integration_bridge,
                    int_patch_name(phys),
                    phys,
                    phys_patch_name(phys),
                )
                for phys in sorted(set(config.bridge_mappings.values()))
            ]
            if config.tunnel_bridge:
                links.append(
                    (
                        config.integration_bridge,
                        TUNNEL_PATCH,
                        config.tunnel_bridge,
                        INT_PATCH,
                    )
                )
            for left, left_port, right, right_port in links:
                for bridge, port, peer in (
                    (left, left_port, right_port),
                    (right, right_port, left_port),
                ):
                    txn.add(self.api.add_port(bridge, port, may_exist=True))
                    txn.add(
                        self.api.db_set(
                            "Interface",
                            port,
                            ("type", "patch"),
                            ("options", {"peer": peer}),
                        )
                    )
        self._out_of_band(config.names)

    def _controllers(self, bridge: str) -> list[str]:
        with self._idl_lock():
            row = idlutils.row_by_value(self.api.idl, "Bridge", "name", bridge, None)
            if row is None:
                return []
            return sorted(str(c.target) for c in row.controller)

    def _out_of_band(self, bridges: Iterable[str]) -> None:
        """``connection_mode=out-of-band`` on the bridges' controllers."""
        with self._idl_lock():
            in_band = [
                controller.uuid
                for bridge in bridges
                for row in [
                    idlutils.row_by_value(self.api.idl, "Bridge", "name", bridge, None)
                ]
                for controller in (row.controller if row is not None else ())
                if _first(controller.connection_mode) != "out-of-band"
            ]
        if not in_band:
            return
        with self.api.transaction(check_error=True) as txn:
            for uuid in in_band:
                txn.add(
                    self.api.db_set(
                        "Controller", uuid, ("connection_mode", "out-of-band")
                    )
                )

    # -- observe ------------------------------------------------------------------

    def observe(self, config: BridgeConfig) -> Observed:
        """Interfaces of br-int, tunnel ports of br-tun, and the links' ofports."""
        with self._idl_lock():
            return read_observed(self.api.tables["Bridge"].rows.values(), config)

    def _idl_lock(self) -> Any:
        """The lock the IDL thread holds while it applies updates to the rows (and
        commits transactions): hold it to read rows, as ovsdbapp's ``lookup`` does,
        and never while waiting for a transaction of this connection."""
        return self.api.ovsdb_connection.lock

    # -- apply --------------------------------------------------------------------

    def set_tags(self, tags: Iterable[tuple[str, int]]) -> None:
        """Set ``Port.tag`` of each (interface name, VLAN)."""
        tags = list(tags)
        if not tags:
            return
        with self.api.transaction(check_error=True) as txn:
            for name, tag in tags:
                txn.add(self.api.db_set("Port", name, ("tag", tag), if_exists=True))

    def set_policing(self, limits: Iterable[tuple[str, int, int]]) -> None:
        """Set ``ingress_policing_rate``/``_burst`` of each (interface, kbit/s,
        kbit); (0, 0) removes the limit."""
        limits = list(limits)
        if not limits:
            return
        with self.api.transaction(check_error=True) as txn:
            for name, rate, burst in limits:
                txn.add(
                    self.api.db_set(
                        "Interface",
                        name,
                        ("ingress_policing_rate", rate),
                        ("ingress_policing_burst", burst),
                        if_exists=True,
                    )
                )

    def add_tunnel_ports(
        self, bridge: str, ports: Iterable[TunnelPort], local_ip: str
    ) -> None:
        ports = list(ports)
        if not ports:
            return
        with self.api.transaction(check_error=True) as txn:
            for port in ports:
                txn.add(self.api.add_port(bridge, port.name, may_exist=True))
                txn.add(
                    self.api.db_set(
                        "Interface",
                        port.name,
                        ("type", port.type.value),
                        ("ofport_request", port.ofport),
                        (
                            "options",
                            {
                                "remote_ip": port.remote_ip,
                                "local_ip": local_ip,
                                "key": "flow",
                            },
                        ),
                    )
                )

    def remove_tunnel_ports(self, bridge: str, ports: Iterable[TunnelPort]) -> None:
        ports = list(ports)
        if not ports:
            return
        with self.api.transaction(check_error=True) as txn:
            for port in ports:
                txn.add(self.api.del_port(port.name, bridge=bridge, if_exists=True))
