# SPDX-License-Identifier: Apache-2.0
"""Routers and floating IPs with security groups on: the world of
``test_l3_agent.py`` (a real quantum-server with the L3 service plugin, a real OVS
agent filtering with its default ``firewall_driver = openvswitch`` and a real
``quantum-l3-agent`` on one hypervisor, an outside host on ``br-ex``), but the
VMs' ports keep port security and their groups, as a tenant's do by default.

What a tenant would notice: its VM gets out by SNAT and the replies come back
(the rules are stateful); the outside cannot reach the VM's floating IP until a
rule of the VM's group lets it in (ICMP, then one TCP port, each opening exactly
itself), and is cut again when the rules go; VMs of two subnets talk through the
router when their groups allow it, and not otherwise.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.dataplane import harness
from tests.dataplane.harness import wait_until
from tests.dataplane.test_l3 import PORT, ask, ask_until, neighbour_mac, serve
from tests.dataplane.test_l3_agent import (  # noqa: F401  # NOTE: _l3_tools: autouse here too
    OUTSIDE_IP,
    TENANT,
    World,
    _l3_tools,
    world,
)


def _default_group(w: World) -> str:
    found = w.api.v2("GET", f"/security-groups?tenant_id={TENANT}&name=default")
    return str(found["security_groups"][0]["id"])


def _group(w: World, name: str) -> str:
    """A new group: egress anywhere, nothing in."""
    body = {"security_group": {"tenant_id": TENANT, "name": name}}
    return str(w.api.v2("POST", "/security-groups", body)["security_group"]["id"])


def _rule(w: World, group: str, **rule: Any) -> str:
    body = {
        "security_group_rule": {
            "tenant_id": TENANT,
            "security_group_id": group,
            "direction": "ingress",
            "ethertype": "IPv4",
            **rule,
        }
    }
    made = w.api.v2("POST", "/security-group-rules", body)
    return str(made["security_group_rule"]["id"])


def test_snat_and_a_floating_ip_with_the_default_group(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with world(dataplane_session, tmp_path) as w:
        w.start_l3_agent()
        a_net = w.network("10.66.0.0/24")
        router = w.router(a_net)
        w.router_runs(router["id"])
        gateway_ip = w.gateway_ip(router["id"])
        a, a_port = w.vm("a", a_net, filtered=True)
        default = _default_group(w)
        assert a_port["port_security_enabled"] is True
        assert a_port["security_groups"] == [default]

        # out by SNAT: the replies of the VM's own connections come back (its
        # group allows egress; nothing lets anyone in)
        serve(w.outside)
        assert ask_until(a, OUTSIDE_IP, timeout=20)["seen_as"] == gateway_ip
        assert a.can_reach(OUTSIDE_IP)

        # a floating IP: the VM's connections out carry it, and the router
        # answers for it on the outside (the controls), but the default group
        # lets nothing from the outside in
        serve(a)
        fip = w.floating_ip(a_port["id"])
        floating = fip["floating_ip_address"]
        wait_until(
            lambda: (ask(a, OUTSIDE_IP, timeout=1.0) or {}).get("seen_as") == floating,
            20,
            message="the VM's connections out carry the floating IP",
        )
        assert w.outside.cannot_reach(floating)
        assert neighbour_mac(w.outside, floating) is not None
        assert ask(w.outside, floating, timeout=2.0) is None

        # ICMP from anywhere: the outside pings the floating IP, and only pings
        icmp = _rule(w, default, protocol="icmp", remote_ip_prefix="0.0.0.0/0")
        started = time.monotonic()
        assert w.outside.can_reach(floating, timeout=15), w.stack.dump()
        print(f"ICMP rule -> first answered ping {time.monotonic() - started:.2f} s")
        assert ask(w.outside, floating, timeout=2.0) is None

        # the TCP port from anywhere: the outside connects, seen as itself
        tcp = _rule(
            w, default, protocol="tcp", port_range_min=PORT, port_range_max=PORT,
            remote_ip_prefix="0.0.0.0/0",
        )  # fmt: skip
        assert ask_until(w.outside, floating, timeout=15) == {
            "seen_as": OUTSIDE_IP,
            "answered_by": floating,
        }

        # the rules removed: the outside is cut again; the VM still gets out by
        # its floating IP (the control after the cut)
        for rule in (icmp, tcp):
            w.api.v2("DELETE", f"/security-group-rules/{rule}")
        wait_until(
            lambda: not w.outside.ping(floating, wait=0.5),
            15,
            message="the outside's pings to the floating IP are cut",
        )
        assert w.outside.cannot_reach(floating)
        assert ask(w.outside, floating, timeout=2.0) is None
        assert ask_until(a, OUTSIDE_IP)["seen_as"] == floating


def test_east_west_through_the_router_with_groups_on(
    dataplane_session: harness.Session, tmp_path: Path
) -> None:
    with world(dataplane_session, tmp_path) as w:
        w.start_l3_agent()
        a_net, b_net = w.network("10.67.0.0/24"), w.network("10.68.0.0/24")
        router = w.router(a_net, b_net)
        w.router_runs(router["id"])
        a, _ = w.vm("a", a_net, filtered=True)
        b, _ = w.vm("b", b_net, filtered=True)
        closed = _group(w, "closed")
        c, _ = w.vm("c", b_net, filtered=True, security_groups=[closed])

        # a and b are in the default group, which lets its members in: routed
        # (the router keeps their addresses), they talk both ways
        assert a.can_reach(b.address, timeout=15), w.stack.dump()
        assert b.can_reach(a.address)
        serve(b)
        assert ask_until(a, b.address) == {
            "seen_as": a.address,
            "answered_by": b.address,
        }

        # c's group lets nobody in: a neither pings nor connects to it
        serve(c)
        assert a.cannot_reach(c.address)
        assert ask(a, c.address, timeout=2.0) is None
        # ... until a rule lets a's subnet in on the TCP port, and only that
        _rule(
            w, closed, protocol="tcp", port_range_min=PORT, port_range_max=PORT,
            remote_ip_prefix=a_net["cidr"],
        )  # fmt: skip
        assert ask_until(a, c.address, timeout=15) == {
            "seen_as": a.address,
            "answered_by": c.address,
        }
        assert a.cannot_reach(c.address)
        # b, on c's own subnet but outside that prefix, is still kept out
        assert ask(b, c.address, timeout=2.0) is None
