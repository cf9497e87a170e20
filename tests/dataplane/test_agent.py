# SPDX-License-Identifier: Apache-2.0
"""quantum-openvswitch-agent end to end: a real quantum-server, two hypervisors on a
VXLAN underlay, an agent in each, VMs plugged through the v1.1 API. The proof is
packets: who reaches whom, and what the API says of each port."""

from __future__ import annotations

import functools
import http.client
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from quantum.testing.client import write_config
from quantum.testing.server import ServerProcess, db_manage, free_port
from tests.dataplane import harness
from tests.dataplane.harness import VM, Hypervisor, wait_until

AGENT = harness.REPO / "bin" / "quantum-openvswitch-agent"
SECRET = "dataplane-secret"
TENANT = "/v1.1/tenants/t"
OVS_INI = "[OVS]\ntenant_network_type = vxlan\ntunnel_id_ranges = 100:199\n"


@dataclass
class Api:
    """The v1.1 REST API of the server, for the tenant ``t``."""

    port: int
    networks: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, body: Any = None) -> Any:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            data = None if body is None else json.dumps(body)
            headers = {"Content-Type": "application/json"}
            conn.request(method, TENANT + path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        finally:
            conn.close()
        assert response.status < 300, (method, path, response.status, raw)
        return json.loads(raw) if raw else None

    def network(self, name: str) -> str:
        body = self.call("POST", "/networks.json", {"network": {"name": name}})
        self.networks[name] = body["network"]["id"]
        return self.networks[name]

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
    vm: VM
    net: str
    port_id: str
    iface_id: str


@dataclass
class World:
    api: Api
    hvs: dict[str, Hypervisor]
    guests: dict[str, Guest]
    agents: dict[str, harness.Process]
    server_port: int

    def __getitem__(self, name: str) -> Guest:
        return self.guests[name]


def _start_server(root: Path) -> ServerProcess:
    root.mkdir(parents=True, exist_ok=True)
    (root / "ovs.ini").write_text(OVS_INI)
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
    )
    done = db_manage(config, "upgrade", "head")
    assert done.returncode == 0, done.stderr
    server = ServerProcess(config, "127.0.0.1", port)
    server.start()
    return server


def _start_agent(hv: Hypervisor, server_port: int, ip: str) -> harness.Process:
    """Start ``hv``'s agent; ``server_port`` is the server's port inside ``hv``."""
    ini = hv.dir / "agent.ini"
    ini.write_text(
        "[AGENT]\n"
        f"server_url = http://127.0.0.1:{server_port}\n"
        f"agent_secret = {SECRET}\n"
        f"host = {hv.name}\n"
        f"local_ip = {ip}\n"
        "tunnel_types = vxlan\n"
        "datapath_type = netdev\n"
        f"ovsdb_connection = {hv.db}\n"
        "openflow_listen_port = 6653\n"
        "heartbeat_interval = 5\n"
        "resync_interval = 30\n"
        "poll_wait = 10\n"
    )
    return hv.spawn(
        "agent", sys.executable, str(AGENT), "--config-file", str(ini), "--debug"
    )


def _bridges_ready(hv: Hypervisor) -> bool:
    return {"br-int", "br-tun"} <= set(hv.vsctl("list-br").split())


GUESTS = {
    # name: (hypervisor, network, mac, address); every address in one subnet, so
    # only the networks keep them apart.
    "a1": ("hv1", "A", "fa:16:3e:00:0a:01", "10.1.0.1/24"),
    "a1b": ("hv1", "A", "fa:16:3e:00:0a:02", "10.1.0.2/24"),
    "b1": ("hv1", "B", "fa:16:3e:00:0b:01", "10.1.0.11/24"),
    "a2": ("hv2", "A", "fa:16:3e:00:0a:03", "10.1.0.3/24"),
    "b2": ("hv2", "B", "fa:16:3e:00:0b:02", "10.1.0.12/24"),
    "idle": ("hv2", "A", "fa:16:3e:00:0a:09", "10.1.0.9/24"),
}


def _keep_logs(session: harness.Session, hvs: dict[str, Hypervisor]) -> None:
    """Copy the agents' logs to the pytest log on teardown (for failures)."""
    for name, hv in hvs.items():
        log = session.root / f"{hv.netns.name}-agent.log"
        for candidate in (log, *session.root.glob(f"*{name}*agent*.log")):
            if candidate.exists():
                print(f"--- {candidate}\n{candidate.read_text()[-20000:]}")
                break


@pytest.fixture(scope="module")
def world(
    dataplane_session: harness.Session, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    server = _start_server(tmp_path_factory.mktemp("agent-server"))
    try:
        with harness.lab(dataplane_session) as lab:
            underlay = lab.underlay()
            hvs: dict[str, Hypervisor] = {}
            agents: dict[str, harness.Process] = {}
            for index, name in enumerate(("hv1", "hv2"), start=1):
                ip = f"192.168.50.{index}"
                hvs[name] = lab.hypervisor(name, underlay=underlay, underlay_ip=ip)
                hvs[name].forward_host_port(server.port)
                agents[name] = _start_agent(hvs[name], server.port, ip)
            api = Api(server.port)
            nets = {name: api.network(name) for name in ("A", "B")}
            for hv in hvs.values():
                wait_until(functools.partial(_bridges_ready, hv), 20, message="bridges")
            guests: dict[str, Guest] = {}
            for name, (hv_name, net, mac, ip) in GUESTS.items():
                vm = lab.vm(name, mac, ip)
                iface_id = f"vif-{name}"
                port_id = api.new_port(nets[net], iface_id)
                if name != "idle":
                    vm.plug(hvs[hv_name], iface_id)
                guests[name] = Guest(vm, nets[net], port_id, iface_id)
            try:
                yield World(api, hvs, guests, agents, server.port)
            finally:
                _keep_logs(dataplane_session, hvs)
    finally:
        server.stop(timeout=15)


def _dump(world: World) -> str:
    """The hypervisors' bridges and flows, for a failure message."""
    parts = []
    for name, hv in world.hvs.items():
        parts.append(f"== {name}\n{hv.vsctl('show')}")
        for bridge in ("br-int", "br-tun"):
            parts.append(hv.ofctl("dump-flows", bridge))
    return "\n".join(parts)


def test_same_network_same_host_reachable_other_network_not(world: World) -> None:
    a1, a1b, b1 = world["a1"].vm, world["a1b"].vm, world["b1"].vm
    assert a1.can_reach(a1b.address, timeout=20), _dump(world)
    assert a1.cannot_reach(b1.address)
    assert b1.cannot_reach(a1b.address)


def test_same_network_across_hosts_over_vxlan(world: World) -> None:
    a1, a2, b1, b2 = (world[n].vm for n in ("a1", "a2", "b1", "b2"))
    assert a1.can_reach(a2.address, timeout=20)
    assert b2.can_reach(b1.address, timeout=20)
    a2.serve_tcp(5001)
    transfer = a1.tcp_transfer(a2.address, 5001, size=1 << 20)
    assert transfer.bytes == 1 << 20
    assert a1.cannot_reach(b2.address)
    assert b1.cannot_reach(a2.address)


def test_op_status_is_up_for_wired_ports_down_for_the_rest(world: World) -> None:
    def shown() -> dict[str, str]:
        return {
            name: world.api.op_status(g.net, g.port_id)
            for name, g in world.guests.items()
        }

    wanted = {name: "DOWN" if name == "idle" else "UP" for name in GUESTS}
    wait_until(lambda: shown() == wanted, 15, message=lambda: repr(shown()))


def test_unplug_or_down_stops_traffic_and_plug_resumes_it(world: World) -> None:
    a1, a2 = world["a1"], world["a2"]
    api = world.api
    assert a1.vm.can_reach(a2.vm.address, timeout=20)

    api.unplug(a2.net, a2.port_id)
    wait_until(lambda: not a1.vm.ping(a2.vm.address, wait=0.3), 1.5, 0.01, "cut")
    assert a1.vm.cannot_reach(a2.vm.address)
    api.plug(a2.net, a2.port_id, a2.iface_id)
    assert a1.vm.can_reach(a2.vm.address, timeout=5)

    api.set_state(a2.net, a2.port_id, "DOWN")
    wait_until(lambda: not a1.vm.ping(a2.vm.address, wait=0.3), 1.5, 0.01, "down")
    assert a1.vm.cannot_reach(a2.vm.address)
    api.set_state(a2.net, a2.port_id, "ACTIVE")
    assert a1.vm.can_reach(a2.vm.address, timeout=5)


def test_traffic_resumes_after_an_ovs_restart(world: World) -> None:
    a1, a2 = world["a1"].vm, world["a2"].vm
    world.hvs["hv2"].restart_ovs()
    assert a1.can_reach(a2.address, timeout=4), _dump(world)
    assert a1.cannot_reach(world["b2"].vm.address)


def test_an_agent_restart_changes_no_flow_and_keeps_traffic(world: World) -> None:
    a1, a2 = world["a1"].vm, world["a2"].vm
    hv2 = world.hvs["hv2"]

    def flows() -> list[str]:
        return sorted(
            line
            for bridge in ("br-int", "br-tun")
            for line in hv2.ofctl("dump-flows", bridge, "--no-stats").splitlines()
            if "cookie=" in line
        )

    assert a1.can_reach(a2.address, timeout=10)
    before = flows()
    assert world.agents["hv2"].stop(grace=5) == 0
    assert a1.can_reach(a2.address, timeout=2)  # flows outlive the agent
    log = world.agents["hv2"].log
    offset = log.stat().st_size
    world.agents["hv2"] = _start_agent(hv2, world.server_port, "192.168.50.2")
    wait_until(
        lambda: "running" in log.read_text()[offset:], 10, message="new agent runs"
    )
    # NOTE: its first round (a full resync) runs while these pings do
    done = a1.exec(
        "ping", "-n", "-q", "-c", "10", "-i", "0.2", "-W", "1", a2.address,
        check=False, timeout=15,
    )  # fmt: skip
    assert " 0% packet loss" in done.stdout, done.stdout
    assert flows() == before
