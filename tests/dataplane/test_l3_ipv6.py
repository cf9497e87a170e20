# SPDX-License-Identifier: Apache-2.0
"""IPv6 on routers end to end: a real quantum-server with the L3 service plugin,
a real OVS agent and a real ``quantum-l3-agent`` whose radvd advertises the
router's IPv6 subnets; VMs as namespaces whose kernels configure themselves from
the advertisements.

Everything is made through ``/v2.0``: IPv6 subnets with their modes, a router
with an interface on each, ports for the VMs. What a VM shows (its address, its
default route, what it reaches, the flags of the advertisements it hears) is what
a tenant would notice.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from quantum.agent.dhcp.model import eui64_address
from quantum.agent.l3 import render
from tests.conftest import unavailable
from tests.dataplane import harness
from tests.dataplane.harness import VM, wait_until
from tests.dataplane.test_l3_agent import TENANT, World, world

# NOTE: a raw ICMPv6 socket in the VM: solicit (when it can), then print the first
# router advertisement heard (its flags and prefixes) as JSON, or null after the
# timeout.
RA_LISTENER = """
import ipaddress, json, socket, struct, sys, time
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
try:
    s.sendto(bytes([133, 0, 0, 0, 0, 0, 0, 0]),
             ("ff02::2", 0, 0, socket.if_nametoindex("eth0")))
except OSError:
    pass  # a link-local address still tentative: the periodic ones come anyway
deadline = time.monotonic() + float(sys.argv[1])
while (left := deadline - time.monotonic()) > 0:
    s.settimeout(left)
    try:
        data, peer = s.recvfrom(2048)
    except TimeoutError:
        break
    if data[0] != 134:
        continue
    prefixes, i = [], 16
    while i + 2 <= len(data) and data[i + 1]:
        if data[i] == 3:
            prefixes.append({
                "prefix": f"{ipaddress.IPv6Address(data[i + 16:i + 32])}/{data[i + 2]}",
                "autonomous": bool(data[i + 3] & 0x40),
            })
        i += data[i + 1] * 8
    print(json.dumps({
        "from": peer[0].split("%")[0],
        "managed": bool(data[5] & 0x80),
        "other": bool(data[5] & 0x40),
        "lifetime": struct.unpack("!H", data[6:8])[0],
        "prefixes": prefixes,
    }))
    sys.exit(0)
print("null")
"""


@pytest.fixture(autouse=True)
def _radvd() -> None:
    if shutil.which("radvd", path=f"{os.environ.get('PATH', '')}:/usr/sbin") is None:
        unavailable("missing radvd (apt-get install radvd; scripts/test does it)")


def ipv6_subnet(
    w: World, cidr: str, ra_mode: str | None, address_mode: str | None
) -> dict[str, Any]:
    net = w.api.v2("POST", "/networks", {"network": {"tenant_id": TENANT}})
    body: dict[str, Any] = {
        "tenant_id": TENANT,
        "network_id": net["network"]["id"],
        "ip_version": 6,
        "cidr": cidr,
    }
    if ra_mode is not None:
        body["ipv6_ra_mode"] = ra_mode
    if address_mode is not None:
        body["ipv6_address_mode"] = address_mode
    subnet: dict[str, Any] = w.api.v2("POST", "/subnets", {"subnet": body})["subnet"]
    return subnet


def ipv6_vm(w: World, name: str, subnet: dict[str, Any]) -> tuple[VM, str]:
    """A VM with IPv6 on and no address of its own; returns it and the address
    the API gave its port."""
    port = w.api.v2(
        "POST",
        "/ports",
        {
            "port": {
                "tenant_id": TENANT,
                "network_id": subnet["network_id"],
                "fixed_ips": [{"subnet_id": subnet["id"]}],
                "binding:host_id": w.hv.name,
            }
        },
    )["port"]
    vm = w.stack.lab.vm(name, port["mac_address"], None, ipv6=True)
    vm.plug(w.hv, port["id"])
    w.active(port["id"])
    return vm, str(port["fixed_ips"][0]["ip_address"])


def listen_ra(vm: VM, seconds: float) -> dict[str, Any] | None:
    done = vm.exec(sys.executable, "-c", RA_LISTENER, str(seconds), timeout=seconds + 5)
    heard: dict[str, Any] | None = json.loads(done.stdout)
    return heard


def global_addresses(vm: VM) -> str:
    return vm.netns.ip("-6", "-o", "addr", "show", "scope", "global").stdout


def default_route(vm: VM) -> str:
    return vm.netns.ip("-6", "route", "show", "default").stdout


def router_link_local(w: World, router_id: str, subnet: dict[str, Any]) -> str:
    (port,) = [
        p
        for p in w.ports_of(router_id, "network:router_interface")
        if p["fixed_ips"][0]["subnet_id"] == subnet["id"]
    ]
    return eui64_address("fe80::/64", port["mac_address"])


def radvd_processes(router_id: str) -> list[int]:
    """Every radvd daemon on the machine whose command line names the router
    (not counting the privilege-separation child each daemon forks)."""
    found: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if Path(argv[0].decode(errors="replace")).name == "radvd" and any(
            router_id.encode() in part for part in argv
        ):
            with contextlib.suppress(OSError, ValueError, IndexError):
                stat = (entry / "stat").read_text()
                found[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return sorted(pid for pid, parent in found.items() if parent not in found)


def radvd_pid(w: World, router_id: str) -> int | None:
    pidfile = w.hv.dir / "l3" / "radvd" / router_id / "radvd.pid"
    try:
        pid = int(pidfile.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if pid in radvd_processes(router_id) else None


def autoconfigured(w: World, vm: VM, address: str, router: str) -> None:
    """Wait until ``vm`` has formed ``address`` by SLAAC and has a default route
    through ``router`` (a link-local address) learnt from an advertisement."""
    wait_until(
        lambda: f" {address}/64 " in global_addresses(vm),
        30,
        message=lambda: f"{global_addresses(vm)}\n{w.l3_log()[-4000:]}",
    )
    wait_until(
        lambda: f"default via {router} dev {VM.NIC} proto ra" in default_route(vm),
        10,
        message=lambda: default_route(vm),
    )


def test_a_router_advertises_its_ipv6_subnets_by_their_ra_mode_and_routes_them(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with world(dataplane_session, tmp_path) as w:
        w.start_l3_agent()
        a_net = ipv6_subnet(w, "fd00:71:a::/64", "slaac", "slaac")
        b_net = ipv6_subnet(w, "fd00:71:b::/64", "slaac", "slaac")
        # NOTE: ra mode unset: another router would advertise; this one must not
        c_net = ipv6_subnet(w, "fd00:71:c::/64", None, "slaac")
        d_net = ipv6_subnet(w, "fd00:71:d::/64", "dhcpv6-stateful", "dhcpv6-stateful")
        e_net = ipv6_subnet(w, "fd00:71:e::/64", "dhcpv6-stateless", "dhcpv6-stateless")
        router = w.router(a_net, b_net, c_net, d_net, e_net)
        rid = router["id"]
        w.router_runs(rid)
        (a, a_ip), (b, b_ip) = ipv6_vm(w, "a6", a_net), ipv6_vm(w, "b6", b_net)
        c, c_ip = ipv6_vm(w, "c6", c_net)
        plugged_c = time.monotonic()

        # the router's interface holds the subnet's gateway address
        netns = w.namespace(rid)
        inside = harness.run(
            ["ip", "-n", netns, "-6", "-o", "addr", "show", "scope", "global"]
        ).stdout
        for subnet in (a_net, b_net, c_net, d_net, e_net):
            assert f" {subnet['gateway_ip']}/64 " in inside, inside

        # SLAAC: each VM's kernel forms exactly the address the API shows, with a
        # default route through the router's interface (its link-local address)
        for vm, address, subnet in ((a, a_ip, a_net), (b, b_ip, b_net)):
            autoconfigured(w, vm, address, router_link_local(w, rid, subnet))

        # routed between the router's IPv6 subnets, both ways
        assert a.can_reach(b_ip, timeout=15)
        assert b.can_reach(a_ip)

        # the advertisements carry the modes' flags: slaac the prefix for
        # autoconfiguration; dhcpv6-stateful "managed" and the prefix on-link
        # only; dhcpv6-stateless "other configuration" and the prefix
        d, _ = ipv6_vm(w, "d6", d_net)
        e, _ = ipv6_vm(w, "e6", e_net)
        heard = {name: listen_ra(vm, 15) for name, vm in (("a", a), ("d", d), ("e", e))}
        expected = {
            "a": (False, False, "fd00:71:a::/64", True),
            "d": (True, False, "fd00:71:d::/64", False),
            "e": (False, True, "fd00:71:e::/64", True),
        }
        for name, (managed, other, prefix, autonomous) in expected.items():
            ra = heard[name]
            assert ra is not None, (name, w.l3_log()[-4000:])
            assert (ra["managed"], ra["other"]) == (managed, other), (name, ra)
            assert ra["prefixes"] == [{"prefix": prefix, "autonomous": autonomous}]
            assert ra["lifetime"] > 0  # NOTE: the router is a default router
        assert "default via fe80:" in default_route(d)
        assert "default via fe80:" in default_route(e)

        # ra mode unset: no advertisement, so no address and no default route,
        # while IPv6 itself is up (a link-local address); the router still routes
        # to the address the API gave (a and b above are the positive control)
        assert listen_ra(c, 12) is None
        assert time.monotonic() - plugged_c > render.RA_MAX_INTERVAL
        assert global_addresses(c) == ""
        assert default_route(c) == ""
        assert "scope link" in c.netns.ip("-6", "addr", "show", VM.NIC).stdout
        assert c_ip.startswith("fd00:71:c:")

        # one radvd for the router, adopted by a restarted agent (the same
        # process), started again at the next round when it dies
        pid = radvd_pid(w, rid)
        assert pid is not None
        assert radvd_processes(rid) == [pid]
        rounds = w.l3_log().count("full resync done")
        w.stop_l3_agent()
        w.start_l3_agent()
        wait_until(
            lambda: w.l3_log().count("full resync done") > rounds,
            20,
            message="the restarted agent ran its first round",
        )
        assert radvd_pid(w, rid) == pid
        assert f"router {rid}: apply" not in w.l3_log().split("L3 agent for host")[-1]
        os.kill(pid, signal.SIGKILL)
        wait_until(
            lambda: radvd_pid(w, rid) not in (None, pid),
            20,
            message=lambda: f"radvd started again\n{w.l3_log()[-4000:]}",
        )
        assert radvd_processes(rid) == [radvd_pid(w, rid)]
        ra = listen_ra(a, 15)
        assert ra is not None
        assert ra["prefixes"][0]["prefix"] == "fd00:71:a::/64"

        # a slaac subnet added to the running router: the same radvd reloads and
        # advertises it too
        pid = radvd_pid(w, rid)
        f_net = ipv6_subnet(w, "fd00:71:f::/64", "slaac", "slaac")
        w.api.v2(
            "PUT",
            f"/routers/{rid}/add_router_interface",
            {"subnet_id": f_net["id"]},
        )
        f, f_ip = ipv6_vm(w, "f6", f_net)
        autoconfigured(w, f, f_ip, router_link_local(w, rid, f_net))
        assert radvd_pid(w, rid) == pid
        assert f.can_reach(a_ip)

        # every interface removed: radvd stops while the router (its gateway and
        # namespace) stays; then the router deleted: no namespace, no files
        for subnet in (a_net, b_net, c_net, d_net, e_net, f_net):
            w.api.v2(
                "PUT",
                f"/routers/{rid}/remove_router_interface",
                {"subnet_id": subnet["id"]},
            )
        wait_until(
            lambda: not radvd_processes(rid),
            20,
            message=lambda: f"radvd stops\n{w.l3_log()[-4000:]}",
        )
        assert netns in harness.netns_list()
        w.api.v2("DELETE", f"/routers/{rid}")
        wait_until(
            lambda: netns not in harness.netns_list(),
            20,
            message="the router's namespace goes",
        )
        assert radvd_processes(rid) == []
        assert not (w.hv.dir / "l3" / "radvd" / rid).exists()
        assert a.cannot_reach(b_ip)
