# SPDX-License-Identifier: Apache-2.0
"""Routers end to end: the REST API, a real quantum-server with the L3 service
plugin, and on a simulated hypervisor (the network node) a real
``quantum-openvswitch-agent`` and a real ``quantum-l3-agent``; VMs as namespaces
and an "outside" host on the external bridge ``br-ex``.

Nothing here hands the device layer a router: the test makes routers, interfaces
and floating IPs through ``/v2.0`` and watches packets. The L3 agent registers,
is scheduled the router, plugs its ``qr-`` ports into br-int (the OVS agent wires
them like any port) and its ``qg-`` port into br-ex.
"""

from __future__ import annotations

import contextlib
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from quantum.agent.l3.driver import Driver, DriverConfig
from quantum.agent.l3.render import bridge_device
from quantum.compute.vif import DEAD_VLAN
from tests.conftest import unavailable
from tests.dataplane import cloud, harness
from tests.dataplane.harness import VM, Hypervisor, wait_until
from tests.dataplane.test_l3 import ask, ask_until, neighbour_mac, serve

L3_AGENT = harness.REPO / "bin" / "quantum-l3-agent"
TENANT = "t"
EXTERNAL_BRIDGE = "br-ex"
OUTSIDE_IP = "172.24.4.1"
BINARIES = ("iptables", "iptables-restore", "iptables-save", "arping", "ethtool")


@pytest.fixture(autouse=True)
def _l3_tools() -> None:
    missing = [b for b in BINARIES if shutil.which(b) is None]
    if missing:
        unavailable(
            f"missing {', '.join(missing)} (apt-get install iptables iputils-arping "
            "ethtool; scripts/test does it)"
        )


@dataclass
class World:
    """A server with the L3 service plugin, one hypervisor (the network node and
    the compute host) with its OVS agent, a ``br-ex``, the outside host on it,
    the external network, and the L3 agent."""

    stack: cloud.Cloud
    hv: Hypervisor
    outside: VM
    session: harness.Session
    external: dict[str, Any] = field(default_factory=dict)
    """The external network's subnet."""
    l3: harness.Process | None = None

    @property
    def api(self) -> cloud.Api:
        return self.stack.api

    @property
    def prefix(self) -> str:
        return f"{self.session.prefix}-qrouter-"

    def start_l3_agent(self) -> harness.Process:
        ini = self.hv.dir / "l3_agent.ini"
        ini.write_text(
            "[DEFAULT]\n"
            f"server_url = http://127.0.0.1:{self.stack.server.port}\n"
            f"agent_secret = {cloud.SECRET}\n"
            f"host = {self.hv.name}\n"
            f"ovsdb_connection = {self.hv.db}\n"
            f"external_network_bridge = {EXTERNAL_BRIDGE}\n"
            f"namespace_prefix = {self.prefix}\n"
            f"host_netns = {self.hv.netns.name}\n"
            f"state_path = {self.hv.dir / 'l3'}\n"
            "heartbeat_interval = 2\n"
            "resync_interval = 30\n"
            "poll_wait = 10\n"
        )
        # NOTE: in the root namespace, as on a real host: the namespaces it makes
        # must outlive it (one made under `ip netns exec` lives in that command's
        # mount namespace only); the hypervisor's side is host_netns.
        self.l3 = self.session.spawn(
            f"{self.hv.name}-l3-agent", sys.executable, str(L3_AGENT),
            "--config-file", str(ini), "--debug",
        )  # fmt: skip
        return self.l3

    def stop_l3_agent(self) -> None:
        if self.l3 is not None:
            self.l3.stop()
            self.l3 = None

    def l3_log(self) -> str:
        path = self.session.root / f"{self.hv.name}-l3-agent.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def network(self, cidr: str, tenant: str = TENANT) -> dict[str, Any]:
        net = self.api.v2("POST", "/networks", {"network": {"tenant_id": tenant}})
        body = {
            "tenant_id": tenant,
            "network_id": net["network"]["id"],
            "ip_version": 4,
            "cidr": cidr,
            "enable_dhcp": False,
        }
        subnet: dict[str, Any] = self.api.v2("POST", "/subnets", {"subnet": body})[
            "subnet"
        ]
        return subnet

    def router(
        self, *subnets: dict[str, Any], snat: bool = True, tenant: str = TENANT
    ) -> dict[str, Any]:
        body = {
            "router": {
                "tenant_id": tenant,
                "external_gateway_info": {
                    "network_id": self.external["network_id"],
                    "enable_snat": snat,
                },
            }
        }
        router: dict[str, Any] = self.api.v2("POST", "/routers", body)["router"]
        for subnet in subnets:
            self.api.v2(
                "PUT",
                f"/routers/{router['id']}/add_router_interface",
                {"subnet_id": subnet["id"]},
            )
        return router

    def ports_of(self, router_id: str, owner: str) -> list[dict[str, Any]]:
        ports: list[dict[str, Any]] = self.api.v2(
            "GET", f"/ports?device_id={router_id}&device_owner={owner}"
        )["ports"]
        return ports

    def floating_ip(self, port_id: str | None, tenant: str = TENANT) -> dict[str, Any]:
        body: dict[str, Any] = {
            "tenant_id": tenant,
            "floating_network_id": self.external["network_id"],
        }
        if port_id is not None:
            body["port_id"] = port_id
        fip: dict[str, Any] = self.api.v2("POST", "/floatingips", {"floatingip": body})[
            "floatingip"
        ]
        return fip

    def gateway_ip(self, router_id: str) -> str:
        (port,) = self.ports_of(router_id, "network:router_gateway")
        return str(port["fixed_ips"][0]["ip_address"])

    def vm(
        self, name: str, subnet: dict[str, Any], *, filtered: bool = False, **extra: Any
    ) -> tuple[VM, dict[str, Any]]:
        """A VM with a port on ``subnet``; ``filtered``: the port keeps port
        security (its groups: ``extra``'s ``security_groups``, else the default
        group), else it has none. ``extra`` adds port attributes."""
        body = {
            "tenant_id": subnet["tenant_id"],
            "network_id": subnet["network_id"],
            "fixed_ips": [{"subnet_id": subnet["id"]}],
            "binding:host_id": self.hv.name,
            **extra,
        }
        if not filtered:
            # NOTE: routing is under test here, not filtering (the default group
            # would keep the outside host out): test_l3_firewall.py has routers
            # with groups on
            body.update(port_security_enabled=False, security_groups=[])
        port: dict[str, Any] = self.api.v2("POST", "/ports", {"port": body})["port"]
        prefix = subnet["cidr"].split("/")[1]
        vm = self.stack.lab.vm(
            name,
            port["mac_address"],
            f"{port['fixed_ips'][0]['ip_address']}/{prefix}",
            gateway=subnet["gateway_ip"],
        )
        vm.plug(self.hv, port["id"])
        self.active(port["id"])
        return vm, port

    def active(self, port_id: str, timeout: float = 20) -> None:
        def status() -> str:
            return str(self.api.v2("GET", f"/ports/{port_id}")["port"]["status"])

        wait_until(
            lambda: status() == "ACTIVE",
            timeout,
            message=lambda: f"port {port_id} ACTIVE\n{self.l3_log()[-4000:]}",
        )

    def router_runs(self, router_id: str, timeout: float = 30) -> None:
        """Wait until the router's namespace holds its interfaces and gateway,
        and the OVS agent has wired its qr- ports."""
        interfaces = self.ports_of(router_id, "network:router_interface")
        for port in interfaces:
            self.active(port["id"], timeout)
        wait_until(
            lambda: self.namespace(router_id) in harness.netns_list(),
            timeout,
            message=lambda: f"router {router_id} runs\n{self.l3_log()[-4000:]}",
        )

    def bridge_ports(self) -> set[str]:
        return set(self.hv.vsctl("list-ports", "br-int").split()) | set(
            self.hv.vsctl("list-ports", EXTERNAL_BRIDGE).split()
        )

    def namespace(self, router_id: str) -> str:
        return self.prefix + router_id


@contextlib.contextmanager
def world(session: harness.Session, tmp_path: Path) -> Iterator[World]:
    with cloud.deploy(
        session,
        tmp_path,
        "vxlan",
        service_plugins="router",
        agent_down_time=8,
        allow_overlapping_ips=True,
    ) as the_cloud:
        hv = the_cloud.hypervisor("hv1")
        hv.vsctl(
            "add-br", EXTERNAL_BRIDGE,
            "--", "set", "Bridge", EXTERNAL_BRIDGE, "datapath_type=netdev",
        )  # fmt: skip
        outside = the_cloud.lab.vm("outside", "fa:16:3e:0e:0e:01", f"{OUTSIDE_IP}/24")
        device = outside.plug(hv, "outside-host", bridge=EXTERNAL_BRIDGE)
        hv.vsctl("clear", "Port", device, "tag")
        outside.exec("sysctl", "-qw", f"net.ipv4.conf.{VM.NIC}.arp_accept=1")
        w = World(the_cloud, hv, outside, session)
        net = w.api.v2(
            "POST",
            "/networks",
            {"network": {"tenant_id": "admin", "router:external": True}},
        )
        w.external = w.api.v2(
            "POST",
            "/subnets",
            {
                "subnet": {
                    "tenant_id": "admin",
                    "network_id": net["network"]["id"],
                    "ip_version": 4,
                    "cidr": "172.24.4.0/24",
                    "gateway_ip": OUTSIDE_IP,
                    "allocation_pools": [
                        {"start": "172.24.4.10", "end": "172.24.4.200"}
                    ],
                    "enable_dhcp": False,
                }
            },
        )["subnet"]
        try:
            yield w
        finally:
            w.stop_l3_agent()
            print(f"--- L3 agent of hv1\n{w.l3_log()[-20000:]}")
            # NOTE: routers a test left: the session's other tests (test_l3.py)
            # share the namespace prefix
            leftover = Driver(
                DriverConfig(
                    namespace_prefix=w.prefix,
                    ovsdb=hv.db,
                    host_netns=hv.netns.name,
                )
            )
            leftover.reconcile([])
            leftover.wait_announcements()


def test_routers_through_the_api_route_snat_and_float(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with world(dataplane_session, tmp_path) as w:
        w.start_l3_agent()

        # the agent registers as an L3 agent, alive, beside the OVS agent
        def l3_agents() -> list[dict[str, Any]]:
            agents: list[dict[str, Any]] = w.api.v2("GET", "/agents")["agents"]
            return [a for a in agents if a["agent_type"] == "L3 agent"]

        wait_until(lambda: bool(l3_agents()), 20, message="the L3 agent registers")
        (agent,) = l3_agents()
        assert agent["host"] == "hv1"
        assert agent["binary"] == "quantum-l3-agent"
        assert agent["alive"]
        assert agent["configurations"]["external_network_bridge"] == EXTERNAL_BRIDGE

        a_net, b_net, c_net = (
            w.network(cidr) for cidr in ("10.61.0.0/24", "10.62.0.0/24", "10.63.0.0/24")
        )
        router = w.router(a_net, b_net)
        w.router_runs(router["id"])
        gateway_ip = w.gateway_ip(router["id"])

        # the gateway's port is untagged on br-ex (the external network itself,
        # which nobody wires); the interfaces' ports on br-int left the dead VLAN
        # for the local VLAN the OVS agent gave them
        (gateway,) = w.ports_of(router["id"], "network:router_gateway")
        assert w.hv.vsctl("get", "Port", bridge_device(gateway["id"]), "tag") == "[]"
        for port in w.ports_of(router["id"], "network:router_interface"):
            tag = w.hv.vsctl("get", "Port", bridge_device(port["id"]), "tag")
            assert tag.isdigit(), tag
            assert tag != str(DEAD_VLAN)
        (a, a_port), (b, _) = w.vm("a", a_net), w.vm("b", b_net)
        c, _ = w.vm("c", c_net)  # NOTE: on a subnet the router does not have

        # east-west through the router, addresses kept; a subnet not on it is not
        # reached (b: the positive control)
        assert a.can_reach(b.address, timeout=15)
        serve(b)
        assert ask_until(a, b.address) == {
            "seen_as": a.address,
            "answered_by": b.address,
        }
        assert a.cannot_reach(c.address)

        # out by SNAT: the outside sees the router's gateway address; it has no
        # way in to the fixed address (the gateway address answers: the control)
        serve(w.outside)
        assert ask_until(a, OUTSIDE_IP)["seen_as"] == gateway_ip
        assert w.outside.can_reach(gateway_ip)
        assert w.outside.cannot_reach(a.address)

        # a floating IP: the outside gets in by it and the VM sees the outside's
        # address; the VM's own connections out carry it
        serve(a)
        fip = w.api.v2(
            "POST",
            "/floatingips",
            {
                "floatingip": {
                    "tenant_id": TENANT,
                    "floating_network_id": w.external["network_id"],
                    "port_id": a_port["id"],
                }
            },
        )["floatingip"]
        floating = fip["floating_ip_address"]
        started = time.monotonic()
        assert ask_until(w.outside, floating, timeout=20) == {
            "seen_as": OUTSIDE_IP,
            "answered_by": floating,
        }
        print(f"floating IP reachable {time.monotonic() - started:.2f} s after POST")
        assert neighbour_mac(w.outside, floating) is not None
        assert ask_until(a, OUTSIDE_IP)["seen_as"] == floating

        # disassociated: the outside no longer gets in within a second; the VM
        # still gets out by SNAT (the positive control)
        started = time.monotonic()
        w.api.v2("PUT", f"/floatingips/{fip['id']}", {"floatingip": {"port_id": None}})

        refused_at: list[float] = []

        def refused() -> bool:
            """Whether a probe got no answer (when it was sent: ``refused_at``)."""
            sent = time.monotonic()
            if ask(w.outside, floating, timeout=0.5) is not None:
                return False
            refused_at.append(sent)
            return True

        wait_until(refused, 5, message="the floating IP stops answering")
        stopped = refused_at[0] - started
        print(f"floating IP refused {stopped:.2f} s after PUT")
        assert stopped < 1.0, f"inbound still let in {stopped:.2f} s after the PUT"
        assert ask_until(a, OUTSIDE_IP)["seen_as"] == gateway_ip

        # the router removed: no namespace, no port left on either bridge
        taps = {
            "tap" + port["id"][:11]
            for owner in ("network:router_interface", "network:router_gateway")
            for port in w.ports_of(router["id"], owner)
        }
        assert taps <= w.bridge_ports()  # NOTE: the positive control
        for subnet in (a_net, b_net):
            w.api.v2(
                "PUT",
                f"/routers/{router['id']}/remove_router_interface",
                {"subnet_id": subnet["id"]},
            )
        w.api.v2("DELETE", f"/floatingips/{fip['id']}")
        w.api.v2("DELETE", f"/routers/{router['id']}")
        wait_until(
            lambda: w.namespace(router["id"]) not in harness.netns_list(),
            20,
            message="the router's namespace goes",
        )
        wait_until(
            lambda: not taps & w.bridge_ports(), 10, message="the router's ports go"
        )
        assert not taps & set(w.hv.links())
        assert a.cannot_reach(b.address)


def test_an_l3_agent_restart_under_ping_loses_nothing(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with world(dataplane_session, tmp_path) as w:
        w.start_l3_agent()
        a_net = w.network("10.64.0.0/24")
        router = w.router(a_net)
        w.router_runs(router["id"])
        a, a_port = w.vm("a", a_net)
        fip = w.api.v2(
            "POST",
            "/floatingips",
            {
                "floatingip": {
                    "tenant_id": TENANT,
                    "floating_network_id": w.external["network_id"],
                    "port_id": a_port["id"],
                }
            },
        )["floatingip"]
        floating = fip["floating_ip_address"]
        assert w.outside.can_reach(floating, timeout=20)

        stream = w.outside.start_pings(floating, interval=0.01)
        time.sleep(1.0)
        rounds = w.l3_log().count("full resync done")
        w.stop_l3_agent()
        w.start_l3_agent()
        wait_until(
            lambda: w.l3_log().count("full resync done") > rounds,
            20,
            message="the restarted agent ran its first round",
        )
        time.sleep(1.0)
        result = stream.stop()
        assert result.transmitted > 200
        assert result.lost == [], result
        # the restarted agent adopted the router: it changed nothing of it
        assert (
            f"router {router['id']}: apply"
            not in w.l3_log().split("L3 agent for host")[-1]
        )
        assert w.outside.can_reach(floating)

        # gone through the API, the router leaves nothing behind
        w.api.v2("DELETE", f"/floatingips/{fip['id']}")
        w.api.v2(
            "PUT",
            f"/routers/{router['id']}/remove_router_interface",
            {"subnet_id": a_net["id"]},
        )
        w.api.v2("DELETE", f"/routers/{router['id']}")
        wait_until(
            lambda: w.namespace(router["id"]) not in harness.netns_list(),
            20,
            message="the router's namespace goes",
        )


def test_two_tenants_with_one_cidr_are_not_mixed_and_a_floating_ip_moves(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with world(dataplane_session, tmp_path) as w:
        w.start_l3_agent()
        one, two = w.network("10.70.0.0/24"), w.network("10.70.0.0/24", "u")
        first, second = w.router(one), w.router(two, tenant="u")
        w.router_runs(first["id"])
        w.router_runs(second["id"])
        (x1, x1_port), (y1, y1_port) = w.vm("x1", one), w.vm("y1", one)
        x2, _ = w.vm("x2", two)
        assert x1.address == x2.address  # NOTE: the same address, two tenants

        # each gets out through its own router, seen as its own gateway address
        serve(w.outside)
        gateways = w.gateway_ip(first["id"]), w.gateway_ip(second["id"])
        assert gateways[0] != gateways[1]
        assert ask_until(x1, OUTSIDE_IP)["seen_as"] == gateways[0]
        assert ask_until(x2, OUTSIDE_IP)["seen_as"] == gateways[1]

        # a floating IP on x1 (which serves nothing): the outside is refused;
        # moved to y1 (which serves): the outside gets in, to y1
        serve(y1)
        fip = w.floating_ip(x1_port["id"])
        floating = fip["floating_ip_address"]
        assert w.outside.can_reach(floating, timeout=20)  # NOTE: x1 answers pings
        assert ask(w.outside, floating, timeout=2.0) is None
        assert ask_until(x1, OUTSIDE_IP)["seen_as"] == floating
        w.api.v2(
            "PUT",
            f"/floatingips/{fip['id']}",
            {"floatingip": {"port_id": y1_port["id"]}},
        )
        assert ask_until(w.outside, floating, timeout=20) == {
            "seen_as": OUTSIDE_IP,
            "answered_by": floating,
        }
        assert ask_until(y1, OUTSIDE_IP)["seen_as"] == floating
        assert ask_until(x1, OUTSIDE_IP)["seen_as"] == gateways[0]
        assert ask_until(x2, OUTSIDE_IP)["seen_as"] == gateways[1]
