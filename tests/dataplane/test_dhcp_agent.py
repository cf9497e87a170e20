# SPDX-License-Identifier: Apache-2.0
"""``quantum-dhcp-agent`` end to end: a real quantum-server, two hypervisors with a
real ``quantum-openvswitch-agent`` each, and a real ``quantum-dhcp-agent`` on the
first. Everything goes through the REST API: the network, its subnet and the VMs'
ports are made with /v2.0, the server schedules the network to the DHCP agent and
makes its DHCP port, the agent runs dnsmasq behind it, the OVS agent wires it, and
VMs on both hypervisors ask with busybox ``udhcpc``.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from quantum.agent.dhcp.driver import Driver, DriverConfig
from quantum.agent.dhcp.render import Files
from tests.conftest import unavailable
from tests.dataplane import cloud, harness
from tests.dataplane.cloud import Api
from tests.dataplane.harness import VM, Hypervisor, Process, wait_until
from tests.dataplane.test_dhcp import addresses, bound, events, leases, udhcpc

DHCP_AGENT = harness.REPO / "bin" / "quantum-dhcp-agent"
TENANT = "t"


@pytest.fixture(autouse=True)
def _dhcp_tools() -> None:
    missing = [b for b in ("dnsmasq", "busybox") if shutil.which(b) is None]
    if missing:
        unavailable(
            f"missing {', '.join(missing)} (apt-get install dnsmasq-base busybox; "
            "scripts/test does it)"
        )


@dataclass
class Stack:
    cloud: cloud.Cloud
    hv1: Hypervisor
    hv2: Hypervisor
    state_dir: Path
    prefix: str
    ini: Path
    agent: Process | None = None

    @property
    def api(self) -> Api:
        return self.cloud.api

    def start_dhcp_agent(self) -> Process:
        # NOTE: in the root namespace, as on a real host (host_netns names the
        # hypervisor's): a qdhcp- namespace made from inside ``ip netns exec``
        # vanishes with that process's mount namespace.
        self.agent = self.cloud.lab.session.spawn(
            f"{self.hv1.name}-dhcp-agent", sys.executable, str(DHCP_AGENT),
            "--config-file", str(self.ini), "--debug",
        )  # fmt: skip
        return self.agent

    def agent_log(self) -> str:
        log = self.cloud.lab.session.root / f"{self.hv1.name}-dhcp-agent.log"
        return log.read_text() if log.exists() else ""

    def files(self, network_id: str) -> Files:
        return Files(self.state_dir / "dhcp" / network_id)

    def driver(self) -> Driver:
        return Driver(
            DriverConfig(
                state_dir=self.state_dir / "dhcp",
                namespace_prefix=self.prefix,
                ovsdb=self.hv1.db,
                host_netns=self.hv1.netns.name,
            )
        )

    def dhcp_agents(self) -> list[dict[str, Any]]:
        listed = self.api.v2("GET", "/agents?agent_type=DHCP%20agent")["agents"]
        return list(listed)

    def port(self, network_id: str, hv: Hypervisor, **extra: Any) -> dict[str, Any]:
        body = {
            "tenant_id": TENANT,
            "network_id": network_id,
            "binding:host_id": hv.name,
            **extra,
        }
        port: dict[str, Any] = self.api.v2("POST", "/ports", {"port": body})["port"]
        return port

    def status(self, port_id: str) -> str:
        return str(self.api.v2("GET", f"/ports/{port_id}")["port"]["status"])

    def wired(self, port_id: str) -> None:
        wait_until(
            lambda: self.status(port_id) == "ACTIVE",
            20,
            message=lambda: f"port {port_id} ACTIVE\n{self.cloud.dump()}",
        )

    def vm(
        self,
        name: str,
        hv: Hypervisor,
        port: dict[str, Any],
        mac: str = "",
        *,
        ipv6: bool = False,
    ) -> VM:
        vm = self.cloud.lab.vm(name, mac or port["mac_address"], ipv6=ipv6)
        leases(vm).unlink(missing_ok=True)
        vm.plug(hv, port["id"])
        self.wired(port["id"])
        return vm

    def dhcp_port(self, network_id: str) -> dict[str, Any]:
        found: list[dict[str, Any]] = []

        def made() -> bool:
            found[:] = self.api.v2(
                "GET", f"/ports?network_id={network_id}&device_owner=network:dhcp"
            )["ports"]
            return len(found) == 1

        wait_until(made, 20, message=lambda: f"a DHCP port\n{self.agent_log()}")
        return found[0]

    def serving(self, network_id: str, *addresses: str) -> None:
        """Wait until the network's dnsmasq hands out ``addresses``."""
        hosts = self.files(network_id).hosts

        def listed() -> bool:
            text = hosts.read_text() if hosts.exists() else ""
            lines = set(text.splitlines())
            return all(
                any(line.endswith((f",{a}", f",[{a}]")) for line in lines)
                for a in addresses
            )

        wait_until(
            listed, 20, message=lambda: f"{addresses} in {hosts}\n{self.agent_log()}"
        )


def _ini(
    the_cloud: cloud.Cloud, hv: Hypervisor, state: Path, prefix: str, path: Path
) -> Path:
    path.write_text(
        "[DEFAULT]\n"
        f"server_url = http://127.0.0.1:{the_cloud.server.port}\n"
        f"agent_secret = {cloud.SECRET}\n"
        f"host = {hv.name}\n"
        f"ovsdb_connection = {hv.db}\n"
        f"namespace_prefix = {prefix}\n"
        f"state_path = {state}\n"
        f"host_netns = {hv.netns.name}\n"
        "dhcp_lease_time = 120\n"
        "heartbeat_interval = 2\n"
        "resync_interval = 30\n"
        "poll_wait = 10\n"
    )
    return path


@contextlib.contextmanager
def stack(
    session: harness.Session,
    tmp_path: Path,
    per_network: int = 1,
    *,
    overlapping: bool = False,
    lease_duration: int = 120,
) -> Iterator[tuple[Stack, Stack]]:
    """Two hypervisors; a DHCP agent configured (not started) on each: the first
    stack's agent on hv1, the second's on hv2."""
    with cloud.deploy(
        session,
        tmp_path,
        "vxlan",
        dhcp_agents_per_network=per_network,
        allow_overlapping_ips=overlapping,
        dhcp_lease_duration=lease_duration,
    ) as the_cloud:
        hv1, hv2 = the_cloud.hypervisors("hv1", "hv2")
        stacks = []
        for hv, other in ((hv1, hv2), (hv2, hv1)):
            state = session.root / f"dhcp-agent-{tmp_path.name}-{hv.name}"
            prefix = f"{session.prefix}-{hv.name}-qdhcp-"
            ini = _ini(the_cloud, hv, state, prefix, tmp_path / f"{hv.name}-dhcp.ini")
            stacks.append(Stack(the_cloud, hv, other, state, prefix, ini))
        try:
            yield stacks[0], stacks[1]
        finally:
            for s in stacks:
                if s.agent is not None:
                    s.agent.stop()
                    print(f"--- DHCP agent of {s.hv1.name}\n{s.agent_log()[-20000:]}")
                s.driver().reconcile([])  # NOTE: nothing hosted: all removed


def test_vms_on_two_hosts_get_the_api_addresses_from_the_dhcp_agent(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with stack(dataplane_session, tmp_path) as (s, _):
        agent = s.start_dhcp_agent()
        wait_until(
            lambda: [a["alive"] for a in s.dhcp_agents()] == [True],
            20,
            message=lambda: f"the DHCP agent registers\n{s.agent_log()}",
        )
        assert agent.alive()
        (registered,) = s.dhcp_agents()
        assert (registered["host"], registered["binary"]) == (
            "hv1",
            "quantum-dhcp-agent",
        )
        net = s.api.v2("POST", "/networks", {"network": {"tenant_id": TENANT}})
        network_id = net["network"]["id"]
        subnet = s.api.v2(
            "POST",
            "/subnets",
            {
                "subnet": {
                    "tenant_id": TENANT,
                    "network_id": network_id,
                    "ip_version": 4,
                    "cidr": "10.41.0.0/24",
                    "dns_nameservers": ["10.41.0.53", "192.0.2.53"],
                    "host_routes": [
                        {"destination": "198.51.100.0/24", "nexthop": "10.41.0.254"}
                    ],
                }
            },
        )["subnet"]
        p1 = s.port(network_id, s.hv1)
        p2 = s.port(network_id, s.hv2)
        # NOTE: dnsmasq's refusal is under test, not port security (which would
        # drop the stranger's requests before dnsmasq heard them)
        stranger = s.port(network_id, s.hv1, port_security_enabled=False)
        a1 = p1["fixed_ips"][0]["ip_address"]
        a2 = p2["fixed_ips"][0]["ip_address"]

        # the server scheduled the network and made the DHCP port, bound to hv1;
        # the agent plugged it and the OVS agent of hv1 wired it
        dhcp = s.dhcp_port(network_id)
        assert dhcp["binding:host_id"] == "hv1"
        assert dhcp["tenant_id"] == TENANT
        s.wired(dhcp["id"])
        s.serving(network_id, a1, a2)
        hosting = s.api.v2("GET", "/agents?agent_type=DHCP%20agent&host=hv1")
        assert hosting["agents"][0]["configurations"]["dhcp_lease_time"] == 120

        vm1 = s.vm("dvm1", s.hv1, p1)
        vm2 = s.vm("dvm2", s.hv2, p2)
        mtu = s.api.v2("GET", f"/networks/{network_id}")["network"]["mtu"]
        for vm, address in ((vm1, a1), (vm2, a2)):
            done = udhcpc(vm)
            assert done.returncode == 0, done.stdout + done.stderr
            (lease,) = bound(vm)
            assert lease["ip"] == address
            assert lease["mask"] == "24"
            assert lease["router"] == subnet["gateway_ip"] == "10.41.0.1"
            assert lease["dns"].split() == ["10.41.0.53", "192.0.2.53"]
            assert lease["domain"] == "openstacklocal"
            routes = "198.51.100.0/24 10.41.0.254 0.0.0.0/0 10.41.0.1"
            assert lease["staticroutes"] == routes
            assert lease["mtu"] == str(mtu)
            assert f"inet {address}/24 " in addresses(vm)
        assert vm1.can_reach(a2, timeout=10)
        assert vm2.can_reach(a1, timeout=10)

        # a MAC that no port has gets no lease (vm1 and vm2 are the positive
        # control): its NIC is wired (the port exists) but dnsmasq does not know it
        vm3 = s.vm("dvm3", s.hv1, stranger, mac="fa:16:3e:7e:57:02")
        refused = udhcpc(vm3, tries=3)
        assert refused.returncode != 0
        assert bound(vm3) == []
        log = s.files(network_id).log.read_text()
        assert "fa:16:3e:7e:57:02 no address" in log

        # an address changed through the API reaches the VM at its renewal, by a
        # reload of the same dnsmasq
        pid = s.driver().running_pid(network_id)
        assert pid is not None
        client: Process = udhcpc(vm1, once=False)
        wait_until(lambda: [e["ip"] for e in bound(vm1)] == [a1, a1], 20)
        new = "10.41.0.77"
        files = s.files(network_id)
        reads = files.log.read_text().count(f"read {files.hosts}")
        s.api.v2(
            "PUT",
            f"/ports/{p1['id']}",
            {"port": {"fixed_ips": [{"subnet_id": subnet["id"], "ip_address": new}]}},
        )
        s.serving(network_id, new)
        wait_until(
            lambda: files.log.read_text().count(f"read {files.hosts}") > reads,
            10,
            message="dnsmasq re-read its hosts file",
        )
        os.kill(client.pid, signal.SIGUSR1)  # NOTE: udhcpc: renew now
        wait_until(
            lambda: [e["ip"] for e in bound(vm1)][-1:] == [new],
            20,
            message=lambda: f"{events(vm1)}\n{files.log.read_text()}",
        )
        assert f"inet {new}/24 " in addresses(vm1)
        assert s.driver().running_pid(network_id) == pid

        # the agent stopped: dnsmasq keeps answering renewals; restarted, the
        # agent adopts it (same process) and reports its network
        agent.stop()
        os.kill(client.pid, signal.SIGUSR1)
        renewals = len(events(vm1))
        wait_until(lambda: len(events(vm1)) > renewals, 20)
        assert events(vm1)[-1].get("event") in ("renew", "bound")
        assert events(vm1)[-1].get("ip") == new
        s.start_dhcp_agent()
        wait_until(
            lambda: s.dhcp_agents()[0]["configurations"].get("networks") == 1,
            20,
            message=lambda: f"the agent reports its network\n{s.agent_log()}",
        )
        assert s.driver().running_pid(network_id) == pid

        # dnsmasq dies: the agent notices at its next round and starts another,
        # which answers the renewal
        os.kill(pid, signal.SIGKILL)
        wait_until(
            lambda: s.driver().running_pid(network_id) not in (None, pid),
            20,
            message=lambda: f"dnsmasq started again\n{s.agent_log()}",
        )
        renewals = len(events(vm1))
        os.kill(client.pid, signal.SIGUSR1)
        wait_until(lambda: len(events(vm1)) > renewals, 20)
        assert events(vm1)[-1].get("ip") == new

        # DHCP off: the agent removes its dnsmasq, port device and namespace, and
        # the server deletes the DHCP port
        s.api.v2("PUT", f"/subnets/{subnet['id']}", {"subnet": {"enable_dhcp": False}})
        wait_until(
            lambda: (
                s.driver().running_pid(network_id) is None
                and f"{s.prefix}{network_id}" not in harness.netns_list()
            ),
            20,
            message=lambda: s.agent_log(),
        )
        ports = s.api.v2("GET", "/ports?device_owner=network:dhcp")["ports"]
        assert ports == []


def test_two_agents_serve_a_network_one_dying_keeps_leases_and_a_restart_sweeps(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with stack(dataplane_session, tmp_path, per_network=2) as (a, b):
        a.start_dhcp_agent()
        b.start_dhcp_agent()
        wait_until(
            lambda: [x["alive"] for x in a.dhcp_agents()] == [True, True],
            20,
            message=lambda: f"two DHCP agents\n{a.agent_log()}\n{b.agent_log()}",
        )
        net = a.api.v2("POST", "/networks", {"network": {"tenant_id": TENANT}})
        network_id = net["network"]["id"]
        a.api.v2(
            "POST",
            "/subnets",
            {
                "subnet": {
                    "tenant_id": TENANT,
                    "network_id": network_id,
                    "ip_version": 4,
                    "cidr": "10.42.0.0/24",
                }
            },
        )
        port = a.port(network_id, a.hv1)
        address = port["fixed_ips"][0]["ip_address"]

        # both agents serve it, each with its own DHCP port on its own host
        def dhcp_ports() -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = a.api.v2(
                "GET", f"/ports?network_id={network_id}&device_owner=network:dhcp"
            )["ports"]
            return found

        wait_until(lambda: len(dhcp_ports()) == 2, 20, message=a.agent_log)
        assert sorted(p["binding:host_id"] for p in dhcp_ports()) == ["hv1", "hv2"]
        for p in dhcp_ports():
            a.wired(p["id"])
        a.serving(network_id, address)
        b.serving(network_id, address)
        hosting = a.api.v2("GET", f"/networks/{network_id}/dhcp-agents")["agents"]
        assert sorted(x["host"] for x in hosting) == ["hv1", "hv2"]

        vm = a.vm("dvm4", a.hv1, port)
        done = udhcpc(vm)
        assert done.returncode == 0, done.stdout + done.stderr
        assert [e["ip"] for e in bound(vm)] == [address]

        # hv1's agent and its dnsmasq die: hv2's dnsmasq answers alone
        pid = a.driver().running_pid(network_id)
        assert pid is not None
        assert a.agent is not None
        a.agent.stop()
        os.kill(pid, signal.SIGKILL)
        wait_until(lambda: a.driver().running_pid(network_id) is None, 5)
        again = udhcpc(vm)
        assert again.returncode == 0, again.stdout + again.stderr
        assert [e["ip"] for e in bound(vm)][-1] == address
        served_by_b = b.files(network_id).log.read_text()
        assert "DHCPACK(ns-" in served_by_b

        # the network is deleted while hv1's agent is down: restarted, the agent
        # finds the namespace it left and removes it
        a.api.v2("DELETE", f"/ports/{port['id']}")
        a.api.v2("DELETE", f"/networks/{network_id}")
        assert f"{a.prefix}{network_id}" in harness.netns_list()
        a.start_dhcp_agent()
        wait_until(
            lambda: (
                f"{a.prefix}{network_id}" not in harness.netns_list()
                and f"{b.prefix}{network_id}" not in harness.netns_list()
            ),
            20,
            message=lambda: f"{a.agent_log()}\n{b.agent_log()}",
        )
        assert not a.files(network_id).directory.exists()


def test_ipv6_through_the_agent_slaac_and_dhcpv6_give_the_api_addresses(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with stack(dataplane_session, tmp_path) as (s, _):
        s.start_dhcp_agent()
        net = s.api.v2("POST", "/networks", {"network": {"tenant_id": TENANT}})
        network_id = net["network"]["id"]

        def subnet(cidr: str, mode: str, **extra: Any) -> dict[str, Any]:
            body = {
                "tenant_id": TENANT,
                "network_id": network_id,
                "ip_version": 6,
                "cidr": cidr,
                "ipv6_ra_mode": mode,
                "ipv6_address_mode": mode,
                **extra,
            }
            made: dict[str, Any] = s.api.v2("POST", "/subnets", {"subnet": body})
            return dict(made["subnet"])

        slaac = subnet("fd00:43:a::/64", "slaac")
        stateful = subnet(
            "fd00:43:b::/64", "dhcpv6-stateful", dns_nameservers=["fd00:43:b::53"]
        )
        both = [{"subnet_id": slaac["id"]}, {"subnet_id": stateful["id"]}]
        guest = s.port(network_id, s.hv1, fixed_ips=both)
        by_subnet = {ip["subnet_id"]: ip["ip_address"] for ip in guest["fixed_ips"]}
        dhcp = s.dhcp_port(network_id)
        s.wired(dhcp["id"])
        s.serving(network_id, by_subnet[stateful["id"]])
        vm = s.vm("dvm6", s.hv1, guest, ipv6=True)

        # SLAAC: the kernel forms its address from the advertised prefix and its
        # MAC, and it is the address the API shows (IPAM gave the EUI-64)
        want = f"inet6 {by_subnet[slaac['id']]}/64 "
        wait_until(
            lambda: want in addresses(vm, "-6"),
            30,
            message=lambda: f"{addresses(vm, '-6')}\n{s.agent_log()}",
        )
        assert "default" not in vm.netns.ip("-6", "route").stdout

        # DHCPv6-stateful: dhclient gets exactly the port's address and the DNS
        wait_until(
            lambda: not vm.netns.ip("-6", "addr", "show", "tentative").stdout.strip(),
            10,
            message="IPv6 addresses leave the tentative state",
        )
        etc = Path("/etc/netns") / vm.netns.name
        etc.mkdir(parents=True, exist_ok=True)
        (etc / "resolv.conf").touch()  # NOTE: dhclient-script writes resolv.conf
        lease_file = vm.session.root / f"{vm.name}.dhclient6.leases"
        pidfile = vm.session.root / f"{vm.name}.dhclient6.pid"
        done = vm.netns.exec(
            "dhclient", "-6", "-1", "-v", "-pf", str(pidfile), "-lf", str(lease_file),
            VM.NIC,
            check=False, timeout=40,
        )  # fmt: skip
        harness.stop_by_pidfile(pidfile)
        log = s.files(network_id).log
        assert done.returncode == 0, f"{done.stderr}\n{log.read_text()}"
        assert f"inet6 {by_subnet[stateful['id']]}/128 " in addresses(vm, "-6")
        lease = lease_file.read_text()
        assert f"iaaddr {by_subnet[stateful['id']]} " in lease
        assert "dhcp6.name-servers fd00:43:b::53;" in lease


def test_two_tenants_with_the_same_cidr_each_get_their_own_leases(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with stack(dataplane_session, tmp_path, overlapping=True) as (s, _):
        s.start_dhcp_agent()
        made = []
        for tenant in ("ta", "tb"):
            net = s.api.v2("POST", "/networks", {"network": {"tenant_id": tenant}})
            network_id = net["network"]["id"]
            subnet = s.api.v2(
                "POST",
                "/subnets",
                {
                    "subnet": {
                        "tenant_id": tenant,
                        "network_id": network_id,
                        "ip_version": 4,
                        "cidr": "10.50.0.0/24",
                    }
                },
            )
            made.append((tenant, network_id, subnet["subnet"]["id"]))
        (ta, net_a, sub_a), (tb, net_b, sub_b) = made
        # NOTE: the two VMs' addresses differ, so the leases tell them apart; asked
        # for, as the DHCP agent makes each network's own port (which takes the
        # first free address) whenever it gets to it
        port_a = s.port(
            net_a, s.hv1, tenant_id=ta,
            fixed_ips=[{"subnet_id": sub_a, "ip_address": "10.50.0.30"}],
        )  # fmt: skip
        port_b = s.port(
            net_b, s.hv2, tenant_id=tb,
            fixed_ips=[{"subnet_id": sub_b, "ip_address": "10.50.0.40"}],
        )  # fmt: skip
        a_ip = port_a["fixed_ips"][0]["ip_address"]
        b_ip = port_b["fixed_ips"][0]["ip_address"]
        assert (a_ip, b_ip) == ("10.50.0.30", "10.50.0.40")
        for network_id, address in ((net_a, a_ip), (net_b, b_ip)):
            s.wired(s.dhcp_port(network_id)["id"])
            s.serving(network_id, address)
        vm_a = s.vm("dvma", s.hv1, port_a)
        vm_b = s.vm("dvmb", s.hv2, port_b)
        for vm, address in ((vm_a, a_ip), (vm_b, b_ip)):
            done = udhcpc(vm)
            assert done.returncode == 0, done.stdout + done.stderr
            assert [e["ip"] for e in bound(vm)] == [address]
        # each from its own network's dnsmasq
        assert port_a["mac_address"] in s.files(net_a).log.read_text()
        assert port_a["mac_address"] not in s.files(net_b).log.read_text()
        assert port_b["mac_address"] in s.files(net_b).log.read_text()


def _network(s: Stack, cidr: str) -> tuple[str, dict[str, Any]]:
    net = s.api.v2("POST", "/networks", {"network": {"tenant_id": TENANT}})
    network_id = str(net["network"]["id"])
    body = {"tenant_id": TENANT, "network_id": network_id, "ip_version": 4}
    subnet = s.api.v2("POST", "/subnets", {"subnet": {**body, "cidr": cidr}})
    return network_id, subnet["subnet"]


def test_a_port_turns_active_only_once_dnsmasq_has_it_so_the_first_discover_works(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with stack(dataplane_session, tmp_path) as (s, _):
        agent = s.start_dhcp_agent()
        wait_until(lambda: [a["alive"] for a in s.dhcp_agents()] == [True], 20)
        network_id, _ = _network(s, "10.43.0.0/24")
        s.wired(s.dhcp_port(network_id)["id"])
        hosts = s.files(network_id).hosts

        # the DHCP agent stopped (still alive for the server): the port's VIF is
        # wired by the OVS agent, but the port stays BUILD, not ACTIVE
        agent.stop()
        port = s.port(network_id, s.hv1)
        address = port["fixed_ips"][0]["ip_address"]
        vm = s.cloud.lab.vm("pvm1", port["mac_address"])
        leases(vm).unlink(missing_ok=True)
        vm.plug(s.hv1, port["id"])
        wait_until(
            lambda: s.status(port["id"]) == "BUILD",
            20,
            message=lambda: f"port {port['id']} BUILD\n{s.cloud.dump()}",
        )
        assert port["mac_address"] not in hosts.read_text()
        # the agent back: it writes the hosts file, re-reads it, reports, ACTIVE
        s.start_dhcp_agent()
        wait_until(
            lambda: s.status(port["id"]) == "ACTIVE",
            20,
            message=lambda: f"port {port['id']} ACTIVE\n{s.agent_log()}",
        )
        assert f"{port['mac_address']},host-{address.replace('.', '-')}," in (
            hosts.read_text()
        )
        # so a client asking once (one DISCOVER, no retransmission) is answered
        done = udhcpc(vm, tries=1)
        assert done.returncode == 0, done.stdout + done.stderr
        assert [e["ip"] for e in bound(vm)] == [address]


def test_the_last_address_of_an_exactly_filled_subnet_gets_its_lease(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with stack(dataplane_session, tmp_path) as (s, _):
        s.start_dhcp_agent()
        wait_until(lambda: [a["alive"] for a in s.dhcp_agents()] == [True], 20)
        # a /29: gateway .1, pool .2-.6; the DHCP port takes one, four VMs the rest
        network_id, _ = _network(s, "10.44.0.0/29")
        dhcp = s.dhcp_port(network_id)
        s.wired(dhcp["id"])
        ports = [s.port(network_id, s.hv1) for _ in range(4)]
        taken = sorted(
            [p["fixed_ips"][0]["ip_address"] for p in ports]
            + [dhcp["fixed_ips"][0]["ip_address"]]
        )
        assert taken == [f"10.44.0.{i}" for i in range(2, 7)]
        conn = http.client.HTTPConnection("127.0.0.1", s.api.port, timeout=10)
        body = {"port": {"tenant_id": TENANT, "network_id": network_id}}
        try:
            conn.request("POST", "/v2.0/ports", json.dumps(body))
            full = conn.getresponse()
            refused = json.loads(full.read())
        finally:
            conn.close()
        assert full.status == 409, refused
        assert refused["NeutronError"]["type"] == "IpAddressGenerationFailure"
        last = next(p for p in ports if p["fixed_ips"][0]["ip_address"] == "10.44.0.6")
        first = next(p for p in ports if p is not last)
        for name, port in (("fvm1", first), ("fvm2", last)):
            vm = s.vm(name, s.hv1, port)
            done = udhcpc(vm)
            assert done.returncode == 0, done.stdout + done.stderr
            (lease,) = bound(vm)
            assert lease["ip"] == port["fixed_ips"][0]["ip_address"]
            assert lease["mask"] == "29"


def _lease_end(store: Path, address: str) -> tuple[str | None, str | None, str | None]:
    """The server's row of ``address``: its port, hold and lease end (read-only)."""
    with contextlib.closing(sqlite3.connect(f"file:{store}?mode=ro", uri=True)) as db:
        row = db.execute(
            "SELECT port_id, expiration, lease_expires_at FROM ip_allocations"
            " WHERE ip_address = ?",
            (address,),
        ).fetchone()
    return (None, None, None) if row is None else (row[0], row[1], row[2])


def test_a_renewed_lease_extends_the_hold_of_its_address(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    # NOTE: no hold of its own (dhcp_lease_duration = 0): what holds a released
    # address is the lease dnsmasq recorded (120 s, its shortest), as reported
    with stack(dataplane_session, tmp_path, lease_duration=0) as (s, _):
        s.start_dhcp_agent()
        wait_until(lambda: [a["alive"] for a in s.dhcp_agents()] == [True], 20)
        network_id, subnet = _network(s, "10.45.0.0/24")
        s.wired(s.dhcp_port(network_id)["id"])
        store = tmp_path / "quantum.sqlite"
        port = s.port(network_id, s.hv1)
        address = port["fixed_ips"][0]["ip_address"]
        vm = s.vm("lvm1", s.hv1, port)
        client: Process = udhcpc(vm, once=False)
        wait_until(lambda: [e["ip"] for e in bound(vm)] == [address], 20)
        wait_until(
            lambda: _lease_end(store, address)[2] is not None,
            10,
            message=lambda: f"the lease reported\n{s.agent_log()}",
        )
        first = _lease_end(store, address)[2]
        time.sleep(1.5)  # NOTE: dnsmasq's lease ends are whole seconds
        os.kill(client.pid, signal.SIGUSR1)  # NOTE: udhcpc: renew now
        wait_until(
            lambda: str(_lease_end(store, address)[2]) > str(first),
            10,
            message=lambda: f"the renewal reported\n{s.agent_log()}",
        )
        renewed = _lease_end(store, address)[2]
        client.stop()
        # control: a port whose VM never asked is freed at once on delete
        spare = s.port(network_id, s.hv1)
        spare_ip = spare["fixed_ips"][0]["ip_address"]
        s.api.v2("DELETE", f"/ports/{spare['id']}")
        assert _lease_end(store, spare_ip) == (None, None, None)
        # the leased one stays held until its renewed lease ends
        s.api.v2("DELETE", f"/ports/{port['id']}")
        assert _lease_end(store, address) == (None, renewed, renewed)
        fixed = [{"subnet_id": subnet["id"], "ip_address": address}]
        body = {"tenant_id": TENANT, "network_id": network_id, "fixed_ips": fixed}
        conn = http.client.HTTPConnection("127.0.0.1", s.api.port, timeout=10)
        try:
            conn.request("POST", "/v2.0/ports", json.dumps({"port": body}))
            asked = conn.getresponse()
            refused = json.loads(asked.read())
        finally:
            conn.close()
        assert asked.status == 409, refused
        assert refused["NeutronError"]["type"] == "IpAddressInUse"
        again = [{"subnet_id": subnet["id"], "ip_address": spare_ip}]
        s.api.v2(
            "POST",
            "/ports",
            {
                "port": {
                    "tenant_id": TENANT,
                    "network_id": network_id,
                    "fixed_ips": again,
                }
            },
        )
