# SPDX-License-Identifier: Apache-2.0
"""The L3 agent's device layer with real packets: a real quantum-server (tenant
networks, subnets and ports made through /v2.0, addresses from its IPAM), a
hypervisor with a real ``quantum-openvswitch-agent`` that wires the router's
``qr-`` ports like any VM port, the L3 driver keeping a ``qrouter-<router>``
namespace with real iptables (nf_tables backend) in it, VMs as namespaces, and
an "outside" host on the external bridge ``br-ex``.

Until the routers API and the L3 agent exist, the test makes the router's ports
through the port API (``network:router_interface`` on the tenant subnets,
``network:router_gateway`` and ``network:floatingip`` on the external network,
which reserves their addresses), hands the driver the router's description (what
the agent will receive) and runs the driver's reconcile pass itself.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest

from quantum.agent.l3 import render
from quantum.agent.l3.driver import Driver, DriverConfig
from quantum.agent.l3.model import FloatingIp, Gateway, Interface, Route, Router
from quantum.agent.l3.plan import Action
from tests.conftest import unavailable
from tests.dataplane import cloud, harness
from tests.dataplane.harness import VM, Hypervisor, wait_until

PEER_TOOL = Path(__file__).resolve().parent / "peer_tool.py"
TENANT = "t"
EXTERNAL_BRIDGE = "br-ex"
OUTSIDE_IP = "172.24.4.1"
PORT = 7001
BINARIES = ("iptables", "iptables-restore", "iptables-save", "arping")


@pytest.fixture(autouse=True)
def _l3_tools() -> None:
    missing = [b for b in BINARIES if shutil.which(b) is None]
    if missing:
        unavailable(
            f"missing {', '.join(missing)} (apt-get install iptables iputils-arping; "
            "scripts/test does it)"
        )


# ------------------------------------------------------------------ the environment


@dataclass
class World:
    """A server, one hypervisor with its OVS agent and a ``br-ex``, an outside
    host on it, and the L3 driver on the hypervisor."""

    stack: cloud.Cloud
    hv: Hypervisor
    driver: Driver
    outside: VM
    external: dict[str, Any] = field(default_factory=dict)
    """The external network's subnet."""

    @property
    def api(self) -> cloud.Api:
        return self.stack.api

    def network(self, cidr: str) -> dict[str, Any]:
        """A tenant network with one subnet; returns the subnet."""
        net = self.api.v2("POST", "/networks", {"network": {"tenant_id": TENANT}})
        body = {
            "tenant_id": TENANT,
            "network_id": net["network"]["id"],
            "ip_version": 4,
            "cidr": cidr,
            "enable_dhcp": False,
        }
        subnet: dict[str, Any] = self.api.v2("POST", "/subnets", {"subnet": body})[
            "subnet"
        ]
        return subnet

    def port(self, subnet: dict[str, Any], **extra: Any) -> dict[str, Any]:
        body = {
            "tenant_id": TENANT,
            "network_id": subnet["network_id"],
            "fixed_ips": [{"subnet_id": subnet["id"]}],
            **extra,
        }
        port: dict[str, Any] = self.api.v2("POST", "/ports", {"port": body})["port"]
        return port

    def interface(self, subnet: dict[str, Any], router_id: str) -> Interface:
        """A router interface port on ``subnet`` (bound to the hypervisor, so its
        OVS agent wires it) holding the subnet's gateway address."""
        port = self.port(
            subnet,
            fixed_ips=[{"subnet_id": subnet["id"], "ip_address": subnet["gateway_ip"]}],
            device_owner="network:router_interface",
            device_id=router_id,
            **{"binding:host_id": self.hv.name},
        )
        prefix = subnet["cidr"].split("/")[1]
        return Interface(
            port_id=port["id"],
            mac_address=port["mac_address"],
            addresses=(f"{port['fixed_ips'][0]['ip_address']}/{prefix}",),
        )

    def gateway(self, router_id: str, *, enable_snat: bool = True) -> Gateway:
        port = self.port(
            self.external, device_owner="network:router_gateway", device_id=router_id
        )
        prefix = self.external["cidr"].split("/")[1]
        return Gateway(
            port_id=port["id"],
            mac_address=port["mac_address"],
            address=f"{port['fixed_ips'][0]['ip_address']}/{prefix}",
            gateway_ip=self.external["gateway_ip"],
            enable_snat=enable_snat,
        )

    def floating_address(self) -> str:
        port = self.port(self.external, device_owner="network:floatingip")
        return str(port["fixed_ips"][0]["ip_address"])

    def vm(self, name: str, subnet: dict[str, Any]) -> VM:
        """A VM with a port on ``subnet``, its address and default route through
        the subnet's gateway, once the OVS agent has wired its port."""
        # NOTE: routing is under test here, not filtering (the default group
        # would keep the outside host out): test_l3_firewall.py
        port = self.port(
            subnet,
            **{"binding:host_id": self.hv.name},
            port_security_enabled=False,
            security_groups=[],
        )
        prefix = subnet["cidr"].split("/")[1]
        vm = self.stack.lab.vm(
            name,
            port["mac_address"],
            f"{port['fixed_ips'][0]['ip_address']}/{prefix}",
            gateway=subnet["gateway_ip"],
        )
        vm.plug(self.hv, port["id"])
        self.wired(port["id"])
        return vm

    def wired(self, port_id: str) -> None:
        def status() -> str:
            return str(self.api.v2("GET", f"/ports/{port_id}")["port"]["status"])

        wait_until(
            lambda: status() == "ACTIVE",
            20,
            message=lambda: f"port {port_id} ACTIVE\n{self.stack.dump()}",
        )

    def namespace_exists(self, router: Router) -> bool:
        return self.driver.namespace(router.id) in harness.netns_list()

    def bridge_ports(self, bridge: str) -> set[str]:
        return set(self.hv.vsctl("list-ports", bridge).split())


@contextlib.contextmanager
def world(session: harness.Session, tmp_path: Path) -> Iterator[World]:
    with cloud.deploy(session, tmp_path, "vxlan") as the_cloud:
        hv = the_cloud.hypervisor("hv1")
        hv.vsctl(
            "add-br", EXTERNAL_BRIDGE,
            "--", "set", "Bridge", EXTERNAL_BRIDGE, "datapath_type=netdev",
        )  # fmt: skip
        driver = Driver(
            DriverConfig(
                namespace_prefix=f"{session.prefix}-qrouter-",
                ovsdb=hv.db,
                host_netns=hv.netns.name,
                state_dir=session.root / f"l3-{tmp_path.name}",
            )
        )
        # the outside host: on br-ex, untagged, answering gratuitous ARP
        outside = the_cloud.lab.vm("outside", "fa:16:3e:0e:0e:01", f"{OUTSIDE_IP}/24")
        device = outside.plug(hv, "outside-host", bridge=EXTERNAL_BRIDGE)
        hv.vsctl("clear", "Port", device, "tag")
        outside.exec("sysctl", "-qw", f"net.ipv4.conf.{VM.NIC}.arp_accept=1")
        w = World(the_cloud, hv, driver, outside)
        net = w.api.v2("POST", "/networks", {"network": {"tenant_id": TENANT}})
        w.external = w.api.v2(
            "POST",
            "/subnets",
            {
                "subnet": {
                    "tenant_id": TENANT,
                    "network_id": net["network"]["id"],
                    "ip_version": 4,
                    "cidr": "172.24.4.0/24",
                    "gateway_ip": OUTSIDE_IP,
                    "enable_dhcp": False,
                }
            },
        )["subnet"]
        try:
            yield w
        finally:
            driver.reconcile([])  # NOTE: hosts nothing: everything removed
            driver.wait_announcements()


# ------------------------------------------------------------------------ the peers


def serve(vm: VM) -> None:
    process = vm.netns.spawn(
        f"peer{PORT}", sys.executable, str(PEER_TOOL), "serve", "--port", str(PORT),
        stdout_pipe=True,
    )  # fmt: skip
    vm.processes.append(process)
    line = process.readline(timeout=10)
    assert line.startswith("ready"), line


def ask(vm: VM, host: str, timeout: float = 3.0) -> dict[str, str] | None:
    """What the server at ``host`` saw as our address and who answered; None
    when no connection was made."""
    done = vm.exec(
        sys.executable, str(PEER_TOOL), "ask", host, "--port", str(PORT),
        "--timeout", f"{timeout:g}",
        check=False, timeout=timeout + 10,
    )  # fmt: skip
    if done.returncode != 0:
        return None
    answer: dict[str, str] = json.loads(done.stdout)
    return answer


def ask_until(vm: VM, host: str, timeout: float = 10.0) -> dict[str, str]:
    answers: list[dict[str, str]] = []

    def answered() -> bool:
        got = ask(vm, host, timeout=1.0)
        if got is not None:
            answers.append(got)
        return got is not None

    wait_until(answered, timeout, message=f"{vm.name} connects to {host}:{PORT}")
    return answers[-1]


def neighbour_mac(vm: VM, address: str) -> str | None:
    words = vm.netns.ip("neigh", "show", address).stdout.split()
    return words[words.index("lladdr") + 1] if "lladdr" in words else None


# ------------------------------------------------------------------------------ tests


def test_subnets_behind_a_router_reach_each_other_and_the_outside_by_snat(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with world(dataplane_session, tmp_path) as w:
        router_id = str(uuid.uuid4())
        a_net, b_net, c_net = (
            w.network(cidr) for cidr in ("10.41.0.0/24", "10.42.0.0/24", "10.43.0.0/24")
        )
        gateway = w.gateway(router_id)
        router = Router(
            id=router_id,
            interfaces=(w.interface(a_net, router_id), w.interface(b_net, router_id)),
            gateway=gateway,
        )
        result = w.driver.reconcile([router])
        assert [c.action for c in result.changes] == [Action.APPLY]
        w.driver.wait_announcements()
        for interface in router.interfaces:
            w.wired(interface.port_id)  # NOTE: the OVS agent wired the qr- port
        a, b = w.vm("a", a_net), w.vm("b", b_net)
        c = w.vm("c", c_net)  # NOTE: on a subnet the router does not have

        # east-west through the router, addresses kept (b sees a's own address)
        assert a.can_reach(b.address, timeout=15)
        serve(b)
        assert ask_until(a, b.address) == {
            "seen_as": a.address,
            "answered_by": b.address,
        }
        # a subnet not on the router is not reached (b above: the positive control)
        assert a.cannot_reach(c.address)

        # to the outside by SNAT: the outside sees the gateway address
        serve(w.outside)
        assert ask_until(a, OUTSIDE_IP) == {
            "seen_as": gateway.ip,
            "answered_by": OUTSIDE_IP,
        }
        assert ask_until(b, OUTSIDE_IP)["seen_as"] == gateway.ip
        # the outside has no way in without a floating IP
        assert w.outside.cannot_reach(a.address)

        # a second pass changes nothing; an agent restart (a new driver) neither
        assert w.driver.reconcile([router]).is_empty
        assert Driver(w.driver.config).reconcile([router]).is_empty

        # our chains only: a foreign rule in the namespace survives a reload
        netns = w.driver.namespace(router_id)
        harness.run(
            ["ip", "netns", "exec", netns, "iptables", "-t", "nat", "-A",
             "POSTROUTING", "-s", "192.0.2.0/24", "-j", "RETURN"]
        )  # fmt: skip
        no_snat = replace(router, gateway=replace(gateway, enable_snat=False))
        (change,) = w.driver.reconcile([no_snat]).changes
        assert change.iptables is not None
        assert change.add_addresses == ()
        assert change.plug == ()
        saved = harness.run(["ip", "netns", "exec", netns, "iptables-save"]).stdout
        assert "-A POSTROUTING -s 192.0.2.0/24 -j RETURN" in saved
        assert saved.count("-j quantum-l3-POSTROUTING") == 1
        # enable_snat off: a VM without a floating IP no longer gets out
        assert ask(a, OUTSIDE_IP, timeout=2.0) is None
        assert a.can_reach(b.address)  # NOTE: positive control: still routed

        # removal leaves no namespace and no port on either bridge
        taps = {render.bridge_device(i.port_id) for i in router.interfaces}
        qg_tap = render.bridge_device(gateway.port_id)
        assert taps <= w.bridge_ports("br-int")
        assert qg_tap in w.bridge_ports(EXTERNAL_BRIDGE)
        result = w.driver.reconcile([])
        assert [c.action for c in result.changes] == [Action.REMOVE]
        assert not w.namespace_exists(router)
        assert not taps & w.bridge_ports("br-int")
        assert qg_tap not in w.bridge_ports(EXTERNAL_BRIDGE)
        assert not set(w.hv.links()) & {*taps, qg_tap}
        assert w.driver.observe() == {}
        assert a.cannot_reach(b.address)


def test_a_floating_ip_lets_the_outside_in_and_disassociating_cuts_it(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with world(dataplane_session, tmp_path) as w:
        router_id = str(uuid.uuid4())
        a_net = w.network("10.44.0.0/24")
        gateway = w.gateway(router_id)
        router = Router(
            id=router_id,
            interfaces=(w.interface(a_net, router_id),),
            gateway=gateway,
        )
        w.driver.reconcile([router])
        w.wired(router.interfaces[0].port_id)
        a = w.vm("a", a_net)
        serve(a)
        serve(w.outside)
        assert ask_until(a, OUTSIDE_IP)["seen_as"] == gateway.ip

        floating = w.floating_address()
        assert neighbour_mac(w.outside, floating) is None
        associated = replace(
            router,
            floating_ips=(
                FloatingIp(floating_ip_address=floating, fixed_ip_address=a.address),
            ),
        )
        (change,) = w.driver.reconcile([associated]).changes
        assert change.announce == ((render.gateway_device(gateway.port_id), floating),)
        # the gratuitous ARP told the outside where the floating IP lives
        wait_until(
            lambda: neighbour_mac(w.outside, floating) == gateway.mac_address,
            10,
            message=lambda: w.outside.netns.ip("neigh").stdout,
        )
        # the outside reaches the VM by the floating IP; the VM sees the outside's
        # address, and the answer comes from the floating address
        assert ask_until(w.outside, floating) == {
            "seen_as": OUTSIDE_IP,
            "answered_by": floating,
        }
        assert w.outside.can_reach(floating)
        # the VM's own connections out now carry the floating address
        assert ask_until(a, OUTSIDE_IP)["seen_as"] == floating

        # disassociated: the outside no longer gets in; the VM still gets out by
        # SNAT and the router's gateway still answers (positive controls)
        (change,) = w.driver.reconcile([router]).changes
        assert change.remove_addresses == (
            (render.gateway_device(gateway.port_id), f"{floating}/32"),
        )
        assert ask(w.outside, floating, timeout=2.0) is None
        assert w.outside.cannot_reach(floating)
        assert w.outside.can_reach(gateway.ip)
        assert ask_until(a, OUTSIDE_IP)["seen_as"] == gateway.ip


def test_an_extra_route_sends_traffic_to_a_next_hop_vm(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with world(dataplane_session, tmp_path) as w:
        router_id = str(uuid.uuid4())
        a_net, b_net = w.network("10.45.0.0/24"), w.network("10.46.0.0/24")
        router = Router(
            id=router_id,
            interfaces=(w.interface(a_net, router_id), w.interface(b_net, router_id)),
        )
        w.driver.reconcile([router])
        for interface in router.interfaces:
            w.wired(interface.port_id)
        hop, b = w.vm("hop", a_net), w.vm("b", b_net)
        # the next hop holds a network of its own, behind it (on its loopback)
        hop.netns.ip("addr", "add", "192.168.71.1/32", "dev", "lo")
        assert b.can_reach(hop.address, timeout=15)  # NOTE: positive control
        assert b.cannot_reach("192.168.71.1")

        routed = replace(
            router,
            routes=(Route(destination="192.168.71.0/24", nexthop=hop.address),),
        )
        (change,) = w.driver.reconcile([routed]).changes
        assert change.add_routes == (render.RouteEntry("192.168.71.0/24", hop.address),)
        assert b.can_reach("192.168.71.1")
        assert w.driver.reconcile([routed]).is_empty

        # the route removed: the network behind the VM is out of reach again
        (change,) = w.driver.reconcile([router]).changes
        assert change.remove_routes == (
            render.RouteEntry("192.168.71.0/24", hop.address),
        )
        assert b.cannot_reach("192.168.71.1")
        assert b.can_reach(hop.address)
