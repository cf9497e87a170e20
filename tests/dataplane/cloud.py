# SPDX-License-Identifier: Apache-2.0
"""A small Quantum cloud on the harness: a real quantum-server (openvswitch plugin),
hypervisors with a real ``quantum-openvswitch-agent`` each, and VMs plugged through
the v1.1 API. Shared by the data-plane tests of the agent.

::

    with cloud.deploy(session, tmp_path, "gre") as c:
        hv1, hv2 = c.hypervisor("hv1"), c.hypervisor("hv2")
        net = c.api.network("A")
        a1 = c.guest("a1", hv1, net, "fa:16:3e:00:0a:01", "10.1.0.1/24")
        a2 = c.guest("a2", hv2, net, "fa:16:3e:00:0a:02", "10.1.0.2/24")
        assert a1.vm.can_reach(a2.vm.address)

``network_type`` is the plugin's tenant network type: ``vxlan`` and ``gre`` tunnel
over the underlay (``192.168.50.0/24``, one ``br-phy`` address per hypervisor);
``vlan`` puts every hypervisor's ``br-eth1`` on one shared physical network
(``physnet1``, VLAN ids 1000-1099), a second wire of its own. ``deploy(...,
tunnel_types=("vxlan", "gre"), physical=True)`` gives every hypervisor both: the
agents speak both tunnel types and map ``physnet1`` (flat and VLAN provider
networks), whatever the tenant network type.

The agents filter as a production agent does (their ini names no
``firewall_driver``: the default, ``openvswitch``). A port with port security on
passes only its own MAC and fixed IPs and lets in what its groups allow; v1 ports
(:meth:`Cloud.guest`) have port security off, as the server makes them.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from quantum.testing.client import write_config
from quantum.testing.server import ServerProcess, db_manage, free_port
from tests.dataplane import harness
from tests.dataplane.harness import VM, Hypervisor, wait_until

AGENT = harness.REPO / "bin" / "quantum-openvswitch-agent"
SECRET = "dataplane-secret"
NETWORK_TYPES = ("vxlan", "gre", "vlan")
PHYSNET = "physnet1"
PHYS_BRIDGE = "br-eth1"
PHYS_NIC = "eth1"
#: Every flow the agent installs carries this cookie (``tables.AGENT_COOKIE``).
AGENT_COOKIE = "0x5175616e744f5653"


@dataclass
class Api:
    """The REST API of the server: v1.1 for the tenant ``t`` (or ``tenant``), and
    v2.0."""

    port: int
    tenant: str = "t"

    def call(self, method: str, path: str, body: Any = None) -> Any:
        return self.request(method, f"/v1.1/tenants/{self.tenant}{path}", body)

    def v2(self, method: str, path: str, body: Any = None) -> Any:
        """One /v2.0 call; noauth with no project is an admin, so bodies name one."""
        return self.request(method, "/v2.0" + path, body)

    def request(self, method: str, path: str, body: Any = None) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            data = None if body is None else json.dumps(body)
            headers = {"Content-Type": "application/json"}
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        assert response.status < 300, (method, path, response.status, raw)
        return json.loads(raw) if raw else None

    def network(self, name: str) -> str:
        body = self.call("POST", "/networks.json", {"network": {"name": name}})
        return str(body["network"]["id"])

    def delete_network(self, net: str) -> None:
        self.call("DELETE", f"/networks/{net}.json")

    def new_port(self, net: str, iface_id: str) -> str:
        body = self.call(
            "POST", f"/networks/{net}/ports.json", {"port": {"state": "ACTIVE"}}
        )
        port_id: str = body["port"]["id"]
        self.plug(net, port_id, iface_id)
        return port_id

    def plug(self, net: str, port_id: str, iface_id: str) -> None:
        self.call(
            "PUT",
            f"/networks/{net}/ports/{port_id}/attachment.json",
            {"attachment": {"id": iface_id}},
        )

    def unplug(self, net: str, port_id: str) -> None:
        self.call("DELETE", f"/networks/{net}/ports/{port_id}/attachment.json")

    def set_state(self, net: str, port_id: str, state: str) -> None:
        self.call(
            "PUT", f"/networks/{net}/ports/{port_id}.json", {"port": {"state": state}}
        )

    def op_status(self, net: str, port_id: str) -> str:
        body = self.call("GET", f"/networks/{net}/ports/{port_id}.json")
        return str(body["port"]["op-status"])


@dataclass
class Guest:
    """A VM with its port: ``iface_id`` is the attachment the API plugged."""

    vm: VM
    hv: Hypervisor
    net: str
    port_id: str
    iface_id: str


def _plugin_ini(network_type: str, tunnelled: bool, physical: bool) -> str:
    ini = f"[OVS]\ntenant_network_type = {network_type}\n"
    if physical:
        ini += f"network_vlan_ranges = {PHYSNET}:1000:1099\n"
    if tunnelled:
        ini += "tunnel_id_ranges = 100:199\n"
    return ini


@dataclass
class Cloud:
    """A server, hypervisors with an agent each, and guests; see :func:`deploy`."""

    lab: harness.Lab
    server: ServerProcess
    network_type: str
    underlay_mtu: int = harness.UNDERLAY_MTU
    tunnel_types: tuple[str, ...] = ()
    """What the agents speak (``local_ip``, br-tun); empty: no tunnels."""
    physical: bool = False
    """Whether every hypervisor has ``physnet1`` on ``br-eth1`` (bridge_mappings)."""
    api: Api = field(init=False)
    underlay: harness.Underlay | None = None
    physnet: harness.Underlay | None = None
    hvs: dict[str, Hypervisor] = field(default_factory=dict)
    agents: dict[str, harness.Process] = field(default_factory=dict)
    guests: dict[str, Guest] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.api = Api(self.server.port)

    def __getitem__(self, name: str) -> Guest:
        return self.guests[name]

    @property
    def tunnelled(self) -> bool:
        return bool(self.tunnel_types)

    @property
    def bridges(self) -> tuple[str, ...]:
        """The bridges the agents manage."""
        return (
            "br-int",
            *(("br-tun",) if self.tunnelled else ()),
            *((PHYS_BRIDGE,) if self.physical else ()),
        )

    # -- hypervisors and agents

    def hypervisors(self, *names: str) -> list[Hypervisor]:
        """New hypervisors on the cloud's wire, their agents started (together)."""
        hvs = [self._hypervisor(name) for name in names]
        agents = [self.start_agent(hv.name, wait=False) for hv in hvs]
        for hv, (agent, offset) in zip(hvs, agents, strict=True):
            self._wait_for_agent(hv, agent, offset)
        return hvs

    def hypervisor(self, name: str) -> Hypervisor:
        """A new hypervisor on the cloud's wire, its agent started and its bridges
        connected to it."""
        return self.hypervisors(name)[0]

    def _hypervisor(self, name: str) -> Hypervisor:
        index = len(self.hvs) + 1
        if self.tunnelled:
            if self.underlay is None:
                self.underlay = self.lab.underlay(mtu=self.underlay_mtu)
            ip = f"192.168.50.{index}"
            hv = self.lab.hypervisor(name, underlay=self.underlay, underlay_ip=ip)
        else:
            hv = self.lab.hypervisor(name)
        if self.physical:
            if self.physnet is None:
                self.physnet = self.lab.underlay("pn")
            hv.attach_wire(self.physnet, PHYS_NIC, PHYS_BRIDGE)
        self.hvs[name] = hv
        hv.forward_host_port(self.server.port)
        return hv

    def _agent_ini(self, hv: Hypervisor) -> Path:
        ini = hv.dir / "agent.ini"
        text = (
            "[AGENT]\n"
            f"server_url = http://127.0.0.1:{self.server.port}\n"
            f"agent_secret = {SECRET}\n"
            f"host = {hv.name}\n"
            "datapath_type = netdev\n"
            f"ovsdb_connection = {hv.db}\n"
            f"vswitchd_unixctl = {hv.ctl}\n"
            "openflow_listen_port = 6653\n"
            "heartbeat_interval = 5\n"
            "resync_interval = 30\n"
            "poll_wait = 10\n"
        )
        if self.tunnelled:
            types = ",".join(self.tunnel_types)
            text += f"local_ip = {hv.underlay_ip}\ntunnel_types = {types}\n"
        if self.physical:
            text += f"bridge_mappings = {PHYSNET}:{PHYS_BRIDGE}\n"
        ini.write_text(text)
        return ini

    def start_agent(
        self, name: str, *, wait: bool = True
    ) -> tuple[harness.Process, int]:
        """Start ``name``'s agent; with ``wait``, return once it runs (its bridges
        are set up and connected). Returns the process and where its output
        starts in :meth:`agent_log`."""
        hv = self.hvs[name]
        log = self._agent_log_path(name)
        offset = log.stat().st_size if log.exists() else 0
        ini = self._agent_ini(hv)
        agent = hv.spawn(
            "agent", sys.executable, str(AGENT), "--config-file", str(ini), "--debug"
        )
        self.agents[name] = agent
        if wait:
            self._wait_for_agent(hv, agent, offset)
        return agent, offset

    def _wait_for_agent(
        self, hv: Hypervisor, agent: harness.Process, offset: int
    ) -> None:
        running = f"agent for host {hv.name} running"
        wait_until(
            lambda: not agent.alive() or running in self.agent_log(hv.name, offset),
            20,
            message=f"the agent of {hv.name} runs",
        )
        assert agent.alive(), self.agent_log(hv.name, offset)
        wait_until(
            functools.partial(_has_bridges, hv, self.bridges), 20, message="bridges"
        )

    def agent_log(self, name: str, offset: int = 0) -> str:
        """What ``name``'s agents logged (from byte ``offset``)."""
        return _tail(self._agent_log_path(name), offset)

    def _agent_log_path(self, name: str) -> Path:
        return self.lab.session.root / f"{name}-agent.log"

    # -- guests

    def guest(
        self,
        name: str,
        hv: Hypervisor,
        net: str,
        mac: str,
        ip: str,
        *,
        plug: bool = True,
    ) -> Guest:
        """A VM with a port on ``net`` whose attachment is ``vif-<name>``; unless
        ``plug`` is false, its NIC is plugged on ``hv``."""
        vm = self.lab.vm(name, mac, ip)
        iface_id = f"vif-{name}"
        port_id = self.api.new_port(net, iface_id)
        if plug:
            vm.plug(hv, iface_id)
        self.guests[name] = Guest(vm, hv, net, port_id, iface_id)
        return self.guests[name]

    # -- inspection

    def flows(self, hv: Hypervisor, *, stats: bool = False) -> list[str]:
        """The agent's flows on ``hv``'s managed bridges, ``<bridge> <flow>``."""
        return [
            f"{bridge} {line.strip()}"
            for bridge in self.bridges
            for line in hv.ofctl(
                "dump-flows", bridge, *(() if stats else ("--no-stats",))
            ).splitlines()
            if f"cookie={AGENT_COOKIE}" in line
        ]

    def dump(self) -> str:
        """Every hypervisor's bridges and flows, for a failure message."""
        parts = []
        for name, hv in self.hvs.items():
            parts.append(f"== {name}\n{hv.vsctl('show')}")
            parts += [hv.ofctl("dump-flows", bridge) for bridge in self.bridges]
        return "\n".join(parts)


def _has_bridges(hv: Hypervisor, bridges: Iterable[str]) -> bool:
    return set(bridges) <= set(hv.vsctl("list-br").split())


def _tail(log: Path, offset: int) -> str:
    try:
        with log.open("rb") as handle:
            handle.seek(offset)
            return handle.read().decode(errors="replace")
    except OSError:
        return ""


def _start_server(
    root: Path, plugin_ini: str, options: Mapping[str, object]
) -> ServerProcess:
    root.mkdir(parents=True, exist_ok=True)
    (root / "ovs.ini").write_text(plugin_ini)
    port = free_port()
    config = write_config(
        root,
        bind_host="127.0.0.1",
        bind_port=port,
        core_plugin="openvswitch",
        core_plugin_config="ovs.ini",
        sql_connection=f"sqlite:///{root / 'quantum.sqlite'}",
        agent_secret=SECRET,
        shutdown_timeout=5,
        **options,
    )
    done = db_manage(config, "upgrade", "head")
    assert done.returncode == 0, done.stderr
    server = ServerProcess(config, "127.0.0.1", port)
    server.start()
    return server


@contextlib.contextmanager
def deploy(
    session: harness.Session,
    root: Path,
    network_type: str,
    *,
    underlay_mtu: int = harness.UNDERLAY_MTU,
    tunnel_types: tuple[str, ...] | None = None,
    physical: bool | None = None,
    **server_options: object,
) -> Iterator[Cloud]:
    """A server for ``network_type`` tenant networks and an empty lab; add
    hypervisors with :meth:`Cloud.hypervisor`. The hypervisors tunnel with
    ``tunnel_types`` and have ``physnet1`` when ``physical`` (by default: what
    ``network_type`` needs). ``server_options`` go into quantum.conf
    (``agent_down_time=8``). The agents' logs are printed on the way out (pytest
    shows them for a failed test)."""
    if tunnel_types is None:
        tunnel_types = (network_type,) if network_type in ("gre", "vxlan") else ()
    if physical is None:
        physical = network_type == "vlan"
    ini = _plugin_ini(network_type, bool(tunnel_types), physical)
    server = _start_server(root, ini, server_options)
    try:
        with harness.lab(session) as lab:
            cloud = Cloud(
                lab, server, network_type, underlay_mtu, tunnel_types, physical
            )
            try:
                yield cloud
            finally:
                for name in cloud.hvs:
                    print(f"--- agent of {name}\n{cloud.agent_log(name)[-20000:]}")
    finally:
        server.stop(timeout=15)


# ----------------------------------------------------------------- reading the flows


def vlan_mentions(flows: Iterable[str], vlan: int) -> list[str]:
    """The flows that match or set VLAN id ``vlan``."""
    pattern = re.compile(
        rf"dl_vlan={vlan}\b|set_field:{0x1000 | vlan}->vlan_vid|mod_vlan_vid:{vlan}\b"
    )
    return [flow for flow in flows if pattern.search(flow)]


def key_mentions(flows: Iterable[str], key: int) -> list[str]:
    """The flows that match or set tunnel key ``key``."""
    pattern = re.compile(rf"tun_id={key:#x}\b|set_field:{key:#x}->tun_id")
    return [flow for flow in flows if pattern.search(flow)]


def segment_of(flows: Iterable[str], local_vlan: int) -> int:
    """The segmentation id (tunnel key or physical VLAN) the flows translate
    ``local_vlan`` to."""
    for flow in vlan_mentions(flows, local_vlan):
        found = re.search(r"set_field:(0x[0-9a-f]+)->tun_id", flow)
        if found:
            return int(found.group(1), 16)
        found = re.search(r"set_field:(\d+)->vlan_vid", flow)
        if found and int(found.group(1)) != 0x1000 | local_vlan:
            return int(found.group(1)) & 0xFFF
    raise AssertionError(f"no translation of local VLAN {local_vlan} in {flows}")
