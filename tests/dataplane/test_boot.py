# SPDX-License-Identifier: Apache-2.0
"""``quantum-vif boot``/``delete``: the compute service's whole flow on two simulated
hypervisors (VXLAN, a real agent each). Each boot makes the instance's port, plugs
it, configures the namespace "VM" from the network info and returns only once the
port is ACTIVE; the two instances ping each other; a deleted instance leaves no
port, OVS interface, flow or namespace; a boot that cannot finish leaves nothing."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.dataplane import cloud, harness
from tests.dataplane.harness import Hypervisor, wait_until


def boot(
    world: cloud.Cloud, hv: Hypervisor, netns: str, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """``quantum-vif boot`` for ``hv`` with its agent's ini, from the root
    namespace (the host-side devices go into ``hv``'s)."""
    return _vif(world, hv, "boot", "--netns", netns, *args, check=check)


def _vif(
    world: cloud.Cloud, hv: Hypervisor, *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return harness.run(
        [
            sys.executable, str(harness.QUANTUM_VIF), args[0],
            "--agent-config", str(hv.dir / "agent.ini"),
            "--host-netns", hv.netns.name, *args[1:],
        ],
        check=check,
        timeout=90,
        env=world.lab.session.env(),
    )  # fmt: skip


def _mentions(flows: list[str], ofport: int) -> list[str]:
    """The br-int flows that match or send to ``ofport`` (the VM's port)."""
    port = re.compile(rf"(in_port=|output:){ofport}\b")
    return [f for f in flows if f.startswith("br-int ") and port.search(f)]


def test_boot_two_instances_they_ping_and_delete_leaves_nothing(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with cloud.deploy(dataplane_session, tmp_path, "vxlan") as world:
        hv1, hv2 = world.hypervisors("hv1", "hv2")
        api = world.api
        net = api.v2("POST", "/networks", {"network": {"tenant_id": "t"}})["network"]
        api.v2(
            "POST",
            "/subnets",
            {
                "subnet": {
                    "tenant_id": "t",
                    "network_id": net["id"],
                    "ip_version": 4,
                    "cidr": "10.9.0.0/24",
                }
            },
        )
        guests: dict[str, dict[str, Any]] = {}
        for name, hv in (("b1", hv1), ("b2", hv2)):
            netns = dataplane_session.netns_name(name)
            done = boot(
                world, hv, netns, "--project-id", "t", "--instance-id", f"i-{name}",
                "--nic", f"net-id={net['id']}", "--json",
            )  # fmt: skip
            info = json.loads(done.stdout)
            (vif,) = info["vifs"]
            # NOTE: ACTIVE when the command returns, not some time later
            port = api.v2("GET", f"/ports/{vif['port_id']}")["port"]
            assert port["status"] == "ACTIVE"
            assert port["device_id"] == f"i-{name}"
            assert port["binding:host_id"] == hv.name
            guests[name] = {"netns": harness.Netns(dataplane_session, name), **vif}
        b1, b2 = guests["b1"], guests["b2"]
        assert b1["mtu"] == 1450
        link = json.loads(b1["netns"].ip("-j", "addr", "show", "dev", "eth0").stdout)
        assert link[0]["mtu"] == 1450
        assert link[0]["address"] == b1["mac_address"]
        b2_ip = b2["fixed_ips"][0]["ip_address"]
        b1_ip = b1["fixed_ips"][0]["ip_address"]
        ping = ("ping", "-n", "-q", "-c", "1", "-W", "1")
        # NOTE: within 5 s of ACTIVE, not at once: with the agents filtering (the
        # default group admits only its members), CI once lost the first ping right
        # after the second boot returned, and the flows dumped a second later
        # admitted it. Why the first was lost is not yet established.
        harness.wait_until(
            lambda: b1["netns"].exec(*ping, b2_ip, check=False).returncode == 0,
            timeout=5,
            message=world.dump,
        )
        assert b2["netns"].exec(*ping, b1_ip, check=False).returncode == 0

        device, mac = b1["device"], b1["mac_address"]
        ofport = hv1.ofport(device)
        # control: while booted, the agent's flows on both hosts know b1
        assert _mentions(world.flows(hv1), ofport)
        assert any(mac in f for f in world.flows(hv2))

        done = _vif(
            world, hv1, "delete", "--instance-id", "i-b1", "--netns", b1["netns"].name
        )
        assert done.stdout.strip() == "deleted 1 port(s) of instance i-b1"
        ports = api.v2("GET", "/ports?device_id=i-b1")["ports"]
        assert ports == []
        assert device not in hv1.vsctl("list-ports", "br-int").split()
        assert device not in hv1.links()
        assert not b1["netns"].exists()
        wait_until(
            lambda: not _mentions(world.flows(hv1), ofport),
            15,
            message=lambda: "\n".join(_mentions(world.flows(hv1), ofport)),
        )
        wait_until(
            lambda: not any(mac in f for f in world.flows(hv2)),
            15,
            message="hv2 forgets b1's MAC",
        )
        # b2 is untouched
        assert api.v2("GET", f"/ports/{b2['port_id']}")["port"]["status"] == "ACTIVE"
        # NOTE: leave no guest namespace for the session's next tests (they name
        # their own VMs b2 too)
        _vif(world, hv2, "delete", "--instance-id", "i-b2", "--netns", b2["netns"].name)
        assert not b2["netns"].exists()


def test_a_boot_that_cannot_finish_leaves_nothing_behind(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with cloud.deploy(dataplane_session, tmp_path, "vxlan", agent_max_wait=2) as world:
        (hv1,) = world.hypervisors("hv1")
        api = world.api
        net = api.v2("POST", "/networks", {"network": {"tenant_id": "t"}})["network"]
        world.agents["hv1"].stop()  # NOTE: nobody will report the port ACTIVE
        netns = harness.Netns(dataplane_session, "late")

        failed = boot(
            world, hv1, netns.name, "--project-id", "t", "--instance-id", "i-late",
            "--nic", f"net-id={net['id']}", "--wait", "3", check=False,
        )  # fmt: skip

        assert failed.returncode == 1, failed
        assert "not ACTIVE after 3 s" in failed.stderr
        assert api.v2("GET", "/ports?device_id=i-late")["ports"] == []
        assert hv1.vsctl("list-ports", "br-int").split() == ["patch-tun"]
        assert not [link for link in hv1.links() if link.startswith("tap")]
        assert not netns.exists()

        # control: with the agent back, the same boot succeeds
        world.start_agent("hv1")
        done = boot(
            world, hv1, netns.name, "--project-id", "t", "--instance-id", "i-late",
            "--nic", f"net-id={net['id']}", "--wait", "30",
        )  # fmt: skip
        assert "ACTIVE in" in done.stdout
        assert len(api.v2("GET", "/ports?device_id=i-late")["ports"]) == 1
        assert netns.exists()
        _vif(world, hv1, "delete", "--instance-id", "i-late", "--netns", netns.name)
        assert not netns.exists()


def test_boot_on_a_dhcp_network_the_guests_get_their_addresses_by_dhcp(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    # NOTE: issue 17's boot with DHCP (issue 13): a DHCP agent on hv1 serves the
    # network; each guest's busybox udhcpc asks once its port is ACTIVE
    from tests.dataplane.test_dhcp_agent import stack

    with stack(dataplane_session, tmp_path) as (s, _):
        world = s.cloud
        s.start_dhcp_agent()
        wait_until(lambda: [a["alive"] for a in s.dhcp_agents()] == [True], 20)
        api = world.api
        net = api.v2("POST", "/networks", {"network": {"tenant_id": "t"}})["network"]
        body = {"tenant_id": "t", "network_id": net["id"], "cidr": "10.19.0.0/24"}
        api.v2("POST", "/subnets", {"subnet": {"ip_version": 4, **body}})
        s.wired(s.dhcp_port(net["id"])["id"])
        guests: dict[str, dict[str, Any]] = {}
        for name, hv in (("d1", s.hv1), ("d2", s.hv2)):
            netns = dataplane_session.netns_name(name)
            done = boot(
                world, hv, netns, "--project-id", "t", "--instance-id", f"i-{name}",
                "--nic", f"net-id={net['id']}", "--json",
            )  # fmt: skip
            info = json.loads(done.stdout)
            (vif,) = info["vifs"]
            assert vif["dhcp_served"] is True
            assert info["timings"]["dhcp"] > 0
            # NOTE: ACTIVE when the command returns, not some time later
            port = api.v2("GET", f"/ports/{vif['port_id']}")["port"]
            assert port["status"] == "ACTIVE"
            assert vif["device"] in hv.vsctl("list-ports", "br-int").split()
            guests[name] = {"netns": harness.Netns(dataplane_session, name), **vif}
        leases = s.files(net["id"]).leases.read_text()
        for guest in guests.values():
            address = guest["fixed_ips"][0]["ip_address"]
            # the lease dnsmasq handed out, applied by the guest's client
            assert f" {guest['mac_address']} {address} " in leases, leases
            link = json.loads(
                guest["netns"].ip("-j", "addr", "show", "dev", "eth0").stdout
            )
            inet = [a for a in link[0]["addr_info"] if a["family"] == "inet"]
            assert [(a["local"], a["prefixlen"]) for a in inet] == [(address, 24)]
            assert link[0]["mtu"] == 1450  # NOTE: DHCP option 26
            route = guest["netns"].ip("route", "show", "default").stdout
            assert route.startswith("default via 10.19.0.1 dev eth0"), route
        d1, d2 = guests["d1"], guests["d2"]
        ping = ("ping", "-n", "-q", "-c", "1", "-W", "1")
        d2_ip = d2["fixed_ips"][0]["ip_address"]
        assert d1["netns"].exec(*ping, d2_ip, check=False).returncode == 0, world.dump()
        d1_ip = d1["fixed_ips"][0]["ip_address"]
        assert d2["netns"].exec(*ping, d1_ip, check=False).returncode == 0
        for name, hv in (("d1", s.hv1), ("d2", s.hv2)):
            guest = guests[name]
            _vif(world, hv, "delete", "--instance-id", f"i-{name}",
                 "--netns", guest["netns"].name)  # fmt: skip
            assert not guest["netns"].exists()
            assert api.v2("GET", f"/ports?device_id=i-{name}")["ports"] == []
            assert guest["device"] not in hv.vsctl("list-ports", "br-int").split()
            assert guest["device"] not in hv.links()
