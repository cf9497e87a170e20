# SPDX-License-Identifier: Apache-2.0
"""Extra routes and ``enable_snat`` through ``/v2.0``, with packets: the same
world as ``test_l3_agent.py`` (a real quantum-server with the L3 service plugin,
a real OVS agent and a real ``quantum-l3-agent`` on one simulated hypervisor,
VMs as namespaces, an "outside" host on ``br-ex``). ``test_l3.py`` shows both at
the device layer; here only the API changes the router.
"""

from __future__ import annotations

from pathlib import Path

from tests.dataplane import harness
from tests.dataplane.harness import wait_until
from tests.dataplane.test_l3 import ask, ask_until, serve
from tests.dataplane.test_l3_agent import (  # noqa: F401  # NOTE: _l3_tools: autouse here too
    OUTSIDE_IP,
    _l3_tools,
    world,
)

BEHIND = "192.168.81.1"
"""An address on the next-hop VM, inside the routed prefix."""
NOT_ROUTED = "192.168.82.1"
"""An address on the next-hop VM too, in a prefix no route names."""


def test_an_extra_route_put_on_a_router_reaches_a_prefix_behind_a_vm(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with world(dataplane_session, tmp_path) as w:
        w.start_l3_agent()
        a_net, b_net = w.network("10.65.0.0/24"), w.network("10.66.0.0/24")
        router = w.router(a_net, b_net)
        w.router_runs(router["id"])
        (hop, _), (b, _) = w.vm("hop", a_net), w.vm("b", b_net)
        # the next hop holds two networks of its own, behind it (on its loopback)
        hop.netns.ip("addr", "add", f"{BEHIND}/32", "dev", "lo")
        hop.netns.ip("addr", "add", f"{NOT_ROUTED}/32", "dev", "lo")
        serve(hop)
        assert b.can_reach(hop.address, timeout=15)  # NOTE: positive control
        assert b.cannot_reach(BEHIND)

        path = f"/routers/{router['id']}"
        routes = [{"destination": "192.168.81.0/24", "nexthop": hop.address}]
        shown = w.api.v2("PUT", path, {"router": {"routes": routes}})["router"]
        assert shown["routes"] == routes
        # the prefix behind the VM answers, by TCP too, with addresses kept; the
        # prefix no route names is still out of reach
        assert b.can_reach(BEHIND, timeout=15)
        assert ask_until(b, BEHIND) == {"seen_as": b.address, "answered_by": BEHIND}
        assert b.cannot_reach(NOT_ROUTED)

        # the route removed: the prefix is cut; the next hop itself still answers
        shown = w.api.v2("PUT", path, {"router": {"routes": []}})["router"]
        assert shown["routes"] == []
        wait_until(
            lambda: b.cannot_reach(BEHIND),
            15,
            message=lambda: f"the route goes\n{w.l3_log()[-4000:]}",
        )
        assert b.can_reach(hop.address)
        assert ask_until(b, hop.address)["seen_as"] == b.address


def test_enable_snat_off_lets_the_vm_out_with_its_own_address(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with world(dataplane_session, tmp_path) as w:
        w.start_l3_agent()
        a_net = w.network("10.67.0.0/24")
        router = w.router(a_net)
        w.router_runs(router["id"])
        a, _ = w.vm("a", a_net)
        gateway_ip = w.gateway_ip(router["id"])
        serve(w.outside)
        # SNAT on (the default): the outside sees the gateway address
        assert ask_until(a, OUTSIDE_IP, timeout=20)["seen_as"] == gateway_ip

        def snat(enabled: bool) -> None:
            info = {"network_id": w.external["network_id"], "enable_snat": enabled}
            shown = w.api.v2(
                "PUT",
                f"/routers/{router['id']}",
                {"router": {"external_gateway_info": info}},
            )["router"]
            assert shown["external_gateway_info"]["enable_snat"] is enabled

        snat(False)
        # not translated: the outside's answer goes to the VM's own address, for
        # which it has no route, so no connection is made ...
        wait_until(
            lambda: ask(a, OUTSIDE_IP, timeout=1.0) is None,
            15,
            message=lambda: f"SNAT stops\n{w.l3_log()[-4000:]}",
        )
        # ... and with a route back through the router's gateway, the outside sees
        # the VM's own address (the positive control)
        tenant = a_net["cidr"]
        w.outside.netns.ip("route", "add", tenant, "via", gateway_ip)
        assert ask_until(a, OUTSIDE_IP) == {
            "seen_as": a.address,
            "answered_by": OUTSIDE_IP,
        }

        # back on, without the outside's route: SNAT alone brings the VM out again
        w.outside.netns.ip("route", "del", tenant, "via", gateway_ip)
        assert ask(a, OUTSIDE_IP, timeout=1.0) is None
        snat(True)
        assert ask_until(a, OUTSIDE_IP, timeout=15)["seen_as"] == gateway_ip
