# SPDX-License-Identifier: Apache-2.0
"""docs/hypervisor.md works as printed, on two simulated hypervisors: the uplink on
br-phy with local_ip, the physical network's NIC in its bridge, the agent's
``[AGENT]`` section and start command, ``quantum-vif plug``, the commands that show
the agent and its flows, and the troubleshooting commands for a port that stays
DOWN. What differs from a real host: each hypervisor is a netns with its own OVS
(its run directory stands for ``/var/run/openvswitch``, also for ``quantum-vif``'s
default ``--ovsdb``), the server's address is
127.0.0.1 forwarded into the netns, and ``/etc/quantum`` is a directory per host."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from quantum.testing import markdown
from tests.dataplane import cloud, harness
from tests.dataplane.cloud import Cloud
from tests.dataplane.harness import VM, Hypervisor, wait_until

GUIDE = (harness.REPO / "docs" / "hypervisor.md").read_text()
PRINTED_IP = "192.168.50.1"
PRINTED_SECRET = "change-me-to-a-long-random-string"
DEAD_VLAN = "4095"


def block(title: str, language: str = "sh", index: int = 0) -> str:
    return markdown.blocks(markdown.section(GUIDE, title), language)[index]


@dataclass
class Host:
    """A hypervisor set up by the guide's commands."""

    hv: Hypervisor
    ip: str
    bin: Path
    agent: harness.Process | None = None
    subs: dict[str, str] = field(default_factory=dict)

    def place(self, text: str) -> str:
        for printed, here in self.subs.items():
            text = text.replace(printed, here)
        return text

    def env(self, **extra: str) -> dict[str, str]:
        path = f"{self.bin}:{os.environ['PATH']}"
        return {**self.hv.ovs_env(), "PATH": path, **extra}

    def sh(self, script: str, **extra: str) -> str:
        """A printed block, run in the hypervisor as root would."""
        done = self.hv.netns.exec(
            "bash", "-e", "-u", "-o", "pipefail", "-c", self.place(script),
            env=self.env(**extra), timeout=30,
        )  # fmt: skip
        return done.stdout

    def start_agent(self) -> None:
        command = block("The agent", index=0).strip()
        self.agent = self.hv.spawn(
            "agent", "env", f"PATH={self.env()['PATH']}", "bash", "-c",
            f"exec {self.place(command)}",
        )  # fmt: skip

    def stop_agent(self) -> None:
        assert self.agent is not None
        self.agent.stop()

    def agent_log(self, what: str, lines: int = 60) -> str:
        """``what``, then the end of the agent's log (for a failure message)."""
        assert self.agent is not None
        try:
            text = self.agent.log.read_text(errors="replace")
        except OSError as error:
            text = str(error)
        alive = (
            "running" if self.agent.alive() else f"exited {self.agent.popen.returncode}"
        )
        # NOTE: a dead or stuck ovs-vswitchd looks the same from here: no ofport
        # for what is plugged, so the agent leaves it in the dead VLAN, DOWN.
        daemons = ", ".join(
            f"{d} {'runs' if self.hv.daemon_pid(d) else 'is gone'}"
            for d in harness.DAEMONS
        )
        tail = "\n".join(text.splitlines()[-lines:])
        return (
            f"{what}; {daemons}; the agent of {self.hv.name} is {alive}, "
            f"its log ends:\n{tail}"
        )

    def wired_tag(self, port: str) -> str:
        out = self.sh(block("A port that stays DOWN"), PORT=port)
        return out.strip().splitlines()[-1]


def _wrappers(directory: Path) -> Path:
    """``quantum-openvswitch-agent`` and ``quantum-vif`` on PATH, as installed;
    ``quantum-vif``'s default OVSDB is the hypervisor's, as ``ovs-vsctl``'s is."""
    directory.mkdir(parents=True, exist_ok=True)
    extra = {"quantum-vif": ' --ovsdb "unix:$OVS_RUNDIR/db.sock"'}
    for name in ("quantum-openvswitch-agent", "quantum-vif"):
        script = directory / name
        command = f'{sys.executable} {harness.REPO / "bin" / name} "$@"'
        script.write_text(f"#!/bin/sh\nexec {command}{extra.get(name, '')}\n")
        script.chmod(0o755)
    return directory


@pytest.fixture(scope="module")
def world(
    dataplane_session: harness.Session, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Cloud, dict[str, Host]]]:
    root: Path = tmp_path_factory.mktemp("server-guide")
    with cloud.deploy(
        dataplane_session, root, "vxlan", tunnel_types=("vxlan",), physical=True
    ) as world:
        bin_dir = _wrappers(root / "bin")
        underlay = world.lab.underlay()
        physnet = world.lab.underlay("pn")
        hosts = {}
        for index, name in enumerate(("hv1", "hv2"), start=1):
            hv = world.lab.hypervisor(name)
            ip = f"192.168.50.{index}"
            host = Host(hv, ip, bin_dir)
            host.subs = {
                PRINTED_IP: ip,
                "/var/run/openvswitch": str(hv.dir),
                "/etc/quantum": str(hv.dir / "etc" / "quantum"),
                "http://controller:9696": "http://127.0.0.1:9696",
                PRINTED_SECRET: cloud.SECRET,
                "host = hv1": f"host = {name}",
            }
            hv.attach_nic(underlay, "eth1")
            hv.attach_nic(physnet, "eth2")
            host.sh(block("The tunnel endpoint: `local_ip` on `br-phy`"))
            host.sh(block("Physical networks: `bridge_mappings`"))
            hv.forward_host_port(world.server.port, 9696)
            ini = Path(host.place("/etc/quantum/plugins/openvswitch/"))
            ini.mkdir(parents=True)
            (ini / "ovs_quantum_plugin.ini").write_text(
                host.place(block("The agent", "ini"))
            )
            host.start_agent()
            hosts[name] = host
        for host in hosts.values():
            _wait_connected(host)
        yield world, hosts


def _connected(host: Host) -> int:
    out = host.sh("ovs-vsctl --columns=is_connected list Controller")
    return out.count("true")


def _wait_connected(host: Host) -> None:
    """Wait until the host's three bridges are connected to the agent."""
    wait_until(
        lambda: _connected(host) == 3,
        30,
        message=lambda: host.sh(block("Seeing the agent and its flows")),
    )


def _port(world: Cloud, net: dict[str, Any], host: str) -> dict[str, Any]:
    body = {"tenant_id": "t", "network_id": net["id"], "binding:host_id": host}
    port: dict[str, Any] = world.api.v2("POST", "/ports", {"port": body})["port"]
    return port


def _vm(world: Cloud, host: Host, port: dict[str, Any], name: str) -> VM:
    """A VM plugged with the guide's quantum-vif command."""
    address = port["fixed_ips"][0]["ip_address"]
    vm = world.lab.vm(name, port["mac_address"], f"{address}/24")
    out = host.sh(
        block("Plugging an interface"),
        PORT=port["id"], MAC=port["mac_address"], VM=vm.netns.name,
    )  # fmt: skip
    assert out.startswith("plugged tap"), out
    assert " into br-int (ofport " in out, out
    # NOTE: quantum-vif waits 10 s for ovs-vswitchd; a pending port stays unwired
    assert "(ofport pending)" not in out, host.agent_log(out)
    vm.hv, vm.device = host.hv, out.split()[1]
    vm.configure()
    return vm


def _network(world: Cloud, cidr: str, **provider: Any) -> dict[str, Any]:
    net: dict[str, Any] = world.api.v2(
        "POST", "/networks", {"network": {"tenant_id": "t", **provider}}
    )["network"]
    subnet = {"tenant_id": "t", "network_id": net["id"], "cidr": cidr}
    world.api.v2("POST", "/subnets", {"subnet": {"ip_version": 4, **subnet}})
    return net


def _status(world: Cloud, port: dict[str, Any]) -> str:
    return str(world.api.v2("GET", f"/ports/{port['id']}")["port"]["status"])


def _all_active(world: Cloud, ports: list[dict[str, Any]]) -> bool:
    return [_status(world, p) for p in ports] == ["ACTIVE", "ACTIVE"]


def test_the_guides_hypervisors_carry_tunnel_and_flat_networks(
    world: tuple[Cloud, dict[str, Host]],
) -> None:
    the_cloud, hosts = world
    for host in hosts.values():  # the uplink as the guide leaves it
        link = host.hv.exec("ip", "-o", "addr", "show", "dev", "br-phy").stdout
        assert f"inet {host.ip}/24" in link
        assert "mtu 1600" in host.hv.exec("ip", "link", "show", "br-phy").stdout
    tunnelled = _network(the_cloud, "10.8.0.0/24")
    flat = _network(
        the_cloud,
        "10.9.0.0/24",
        **{
            "provider:network_type": "flat",
            "provider:physical_network": cloud.PHYSNET,
        },
    )
    made: dict[str, list[VM]] = {}
    ports_of: dict[str, list[dict[str, Any]]] = {}
    for net, label in ((tunnelled, "t"), (flat, "f")):
        ports = ports_of[label] = [_port(the_cloud, net, name) for name in hosts]
        vms = [
            _vm(the_cloud, host, port, f"{label}-{name}")
            for (name, host), port in zip(hosts.items(), ports, strict=True)
        ]
        made[label] = vms
        assert vms[0].can_reach(vms[1].address, timeout=20), the_cloud.dump()
        # a full-size frame crosses (the underlay has room for the tunnel)
        assert vms[0].ping(vms[1].address, count=1, wait=2)
        big = vms[0].exec(
            "ping", "-c1", "-W2", "-M", "do", "-s", "1472", vms[1].address, check=False
        )
        assert big.returncode == 0, big.stdout
        wait_until(
            partial(_all_active, the_cloud, ports),
            15,
            message="both ports ACTIVE",
        )
    # the two networks do not meet: the flat VMs get addresses in the tunnelled
    # subnet too (allowed address pairs of their ports: the guide's agents filter
    # what a VM sends); the flat VM on hv1 then reaches the flat VM on hv2 by one of
    # them and the tunnelled VM on hv1 reaches the tunnelled VM on hv2 (the positive
    # controls), but the flat VM on hv1 ARPs for the tunnelled VM on hv2 unheard
    (t_hv1, t_hv2), (f_hv1, f_hv2) = made["t"], made["f"]
    for vm, port, address in zip(
        (f_hv1, f_hv2), ports_of["f"], ("10.8.0.99", "10.8.0.98"), strict=True
    ):
        pairs = {"allowed_address_pairs": [{"ip_address": address}]}
        the_cloud.api.v2("PUT", f"/ports/{port['id']}", {"port": pairs})
        vm.netns.ip("addr", "add", f"{address}/24", "dev", VM.NIC)
    assert f_hv1.can_reach("10.8.0.98", timeout=5)
    assert t_hv1.can_reach(t_hv2.address, timeout=5)
    assert f_hv1.cannot_reach(t_hv2.address)
    neighbour = f_hv1.netns.ip("neigh", "show", t_hv2.address).stdout
    assert "lladdr" not in neighbour, neighbour


def test_seeing_the_agent_and_its_flows(world: tuple[Cloud, dict[str, Host]]) -> None:
    _, hosts = world
    host = hosts["hv1"]
    out = host.sh(block("Seeing the agent and its flows"))
    # br-int, br-tun, br-eth2 (and ovs-vsctl show names each controller again)
    assert len(re.findall(r'^target\s+: "tcp:127.0.0.1:6633"$', out, re.M)) == 3, out
    assert len(re.findall(r"^is_connected\s+: true$", out, re.M)) == 3, out
    flows = [line for line in out.splitlines() if "cookie=" in line]
    assert flows, out
    assert all("cookie=0x5175616e744f5653" in f for f in flows), out
    assert any("set_field:" in f and "->tun_id" in f for f in flows), out
    # the server's view: both agents alive, with their tunnel endpoints
    listing = block("Seeing the agent and its flows", index=1)
    agents = json.loads(host.sh(listing, TOKEN="ignored-under-noauth"))["agents"]
    seen = {
        a["host"]: (a["alive"], a["configurations"]["tunneling_ip"]) for a in agents
    }
    assert seen == {name: (True, h.ip) for name, h in hosts.items()}
    # what the guide says of plain OpenFlow 1.0
    plain = host.hv.exec("ovs-ofctl", "dump-flows", "br-int", check=False)
    assert plain.returncode != 0, plain.stdout


def test_a_port_plugged_while_the_agent_is_down_shows_the_dead_vlan(
    world: tuple[Cloud, dict[str, Host]],
) -> None:
    the_cloud, hosts = world
    hv1, hv2 = hosts["hv1"], hosts["hv2"]
    net = _network(the_cloud, "10.10.0.0/24")
    first = _port(the_cloud, net, "hv1")
    reference = _vm(the_cloud, hv1, first, "ts-hv1")
    hv2.stop_agent()
    try:
        port = _port(the_cloud, net, "hv2")
        vm = _vm(the_cloud, hv2, port, "ts-hv2")
        row = hv2.sh(block("A port that stays DOWN"), PORT=port["id"])
        assert f'iface-id="{port["id"]}"' in row
        assert "ofport              : -1" not in row
        assert hv2.wired_tag(port["id"]) == DEAD_VLAN
        assert vm.cannot_reach(reference.address)
        assert _status(the_cloud, port) == "DOWN"
    finally:
        hv2.start_agent()
    wait_until(
        lambda: hv2.wired_tag(port["id"]) != DEAD_VLAN,
        30,
        message=lambda: hv2.agent_log(
            "wired: " + hv2.sh(block("A port that stays DOWN"), PORT=port["id"])
        ),
    )
    assert vm.can_reach(reference.address, timeout=20)  # the control
    wait_until(
        lambda: _status(the_cloud, port) == "ACTIVE",
        15,
        message=lambda: hv2.agent_log("ACTIVE"),
    )


BOOTING = "Booting an instance: `quantum-vif boot`"


def _root_wrappers(directory: Path) -> Path:
    """``quantum-vif`` as run in the host's own namespaces: here the root namespace,
    with the host-side devices in the hypervisor's (``--host-netns``)."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "quantum-vif"
    command = f'{sys.executable} {harness.REPO / "bin" / "quantum-vif"} "$@"'
    script.write_text(f'#!/bin/sh\nexec {command} --host-netns "$HOST_NETNS"\n')
    script.chmod(0o755)
    return directory


def _sh_root(world: Cloud, host: Host, bin_dir: Path, script: str, **env: str) -> str:
    """A printed block as root runs it on the host; the server's printed URL is
    the test server's address from the root namespace."""
    text = host.place(
        script.replace(
            "http://controller:9696", f"http://127.0.0.1:{world.server.port}"
        )
    )
    done = harness.run(
        ["bash", "-e", "-u", "-o", "pipefail", "-c", text],
        env={
            **world.lab.session.env(**env),
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "HOST_NETNS": host.hv.netns.name,
        },
        timeout=90,
    )
    return done.stdout


def test_booting_and_deleting_instances_as_printed(
    world: tuple[Cloud, dict[str, Host]], tmp_path: Path
) -> None:
    the_cloud, hosts = world
    bin_dir = _root_wrappers(tmp_path / "bin")
    net = _network(the_cloud, "10.11.0.0/24")
    session = the_cloud.lab.session
    booted = {}
    for name, host in hosts.items():
        vm = session.netns_name(f"boot-{name}")
        out = _sh_root(
            the_cloud, host, bin_dir, block(BOOTING, index=0),
            VM=vm, PROJECT="t", NET=net["id"], ADMIN_TOKEN="ignored-under-noauth",
        )  # fmt: skip
        first, nic = out.strip().splitlines()
        assert first.startswith(f"instance {vm} booted in {vm}: ACTIVE in "), out
        fields = nic.split()
        assert fields[0] == "eth0", out
        assert fields[3:7] == ["gateway", "10.11.0.1", "mtu", "1450"], out
        port = the_cloud.api.v2("GET", f"/ports/{fields[8]}")["port"]
        assert port["status"] == "ACTIVE"
        assert port["device_owner"] == "compute:nova"
        booted[name] = (vm, fields[2].split("/")[0], fields[10])
    (vm1, _, dev1), (vm2, ip2, _) = booted["hv1"], booted["hv2"]
    ping = ("ip", "netns", "exec", vm1, "ping", "-n", "-c", "1", "-W", "2", ip2)
    assert harness.run(ping, check=False).returncode == 0, the_cloud.dump()

    # NOTE: the first block's export holds in the reader's shell
    url = f"http://127.0.0.1:{the_cloud.server.port}"
    delete = partial(_sh_root, the_cloud, script=block(BOOTING, index=1), OS_URL=url)
    out = delete(host=hosts["hv1"], bin_dir=bin_dir, VM=vm1)
    assert out.strip() == f"deleted 1 port(s) of instance {vm1}"
    assert vm1 not in harness.netns_list()
    assert dev1 not in hosts["hv1"].hv.vsctl("list-ports", "br-int").split()
    listed = the_cloud.api.v2("GET", f"/ports?device_id={vm1}")["ports"]
    assert listed == []
    delete(host=hosts["hv2"], bin_dir=bin_dir, VM=vm2)
    assert vm2 not in harness.netns_list()
