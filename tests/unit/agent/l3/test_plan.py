# SPDX-License-Identifier: Apache-2.0
"""What the L3 agent changes on a host, decided from what it shows."""

from __future__ import annotations

from dataclasses import replace
from types import MappingProxyType

from quantum.agent.l3 import render
from quantum.agent.l3.model import Router
from quantum.agent.l3.plan import (
    Action,
    Bridge,
    Desired,
    Device,
    Radvd,
    Running,
    plan,
)
from tests.unit.agent.l3.routers import B6, FIP_A, FIP_B, GATEWAY, A, B, router

QR_A = render.internal_device(A.port_id)
QR_B = render.internal_device(B.port_id)
QG = render.gateway_device(GATEWAY.port_id)


def _as_applied(made: Router) -> Running:
    """What a host shows once ``made`` is applied."""
    macs = {QR_A: A.mac_address, QR_B: B.mac_address, QG: GATEWAY.mac_address}
    devices = {
        device: Device(mac=macs[device], addresses=addresses)
        for device, addresses in render.addresses(made).items()
    }
    return Running(
        router_id=made.id,
        namespace=True,
        forwarding=True,
        devices=MappingProxyType(devices),
        routes=render.routes(made),
        iptables=render.Saved(render.rules(made), frozenset(render.HOOKS)),
    )


def _desired(*routers: Router) -> Desired:
    return Desired({r.id: r for r in routers})


def test_a_new_router_gets_everything_and_announces_its_ipv4_addresses() -> None:
    made = router()
    (change,) = plan(_desired(made), {}).changes
    assert change.action is Action.APPLY
    assert change.create_namespace
    assert change.forwarding
    assert [(p.device, p.bridge) for p in change.plug] == [
        (QR_A, Bridge.INTEGRATION),
        (QR_B, Bridge.INTEGRATION),
        (QG, Bridge.EXTERNAL),
    ]
    assert set(change.add_addresses) == {
        (d, a) for d, addrs in render.addresses(made).items() for a in addrs
    }
    assert set(change.add_routes) == render.routes(made)
    assert change.iptables == render.restore_input(
        render.rules(made), frozenset(render.HOOKS)
    )
    assert set(change.announce) == {
        (QG, "172.24.4.10"),
        (QG, "172.24.4.100"),
        (QG, "172.24.4.21"),
        (QR_A, "10.1.0.1"),
        (QR_B, "10.2.0.1"),
    }


def test_what_runs_as_rendered_gives_an_empty_plan() -> None:
    made = router()
    result = plan(_desired(made), {made.id: _as_applied(made)})
    assert result.is_empty


def test_a_floating_ip_removed_drops_its_address_and_reloads_only_the_chains() -> None:
    made = router()
    fewer = router(floating_ips=(FIP_B,))
    (change,) = plan(_desired(fewer), {made.id: _as_applied(made)}).changes
    assert change.action is Action.APPLY
    assert change.remove_addresses == ((QG, "172.24.4.100/32"),)
    assert change.add_addresses == ()
    assert change.plug == ()
    assert change.unplug == ()
    assert change.add_routes == ()
    assert change.remove_routes == ()
    assert change.iptables is not None
    assert "172.24.4.100" not in change.iptables
    assert "-I " not in change.iptables  # NOTE: the jumps are there already
    assert change.announce == ()


def test_a_floating_ip_added_is_announced_alone() -> None:
    before = router(floating_ips=(FIP_B,))
    (change,) = plan(_desired(router()), {before.id: _as_applied(before)}).changes
    assert change.add_addresses == ((QG, "172.24.4.100/32"),)
    assert change.announce == ((QG, "172.24.4.100"),)


def test_a_lost_jump_or_a_foreign_edit_of_our_chain_reloads_the_chains() -> None:
    made = router()
    applied = _as_applied(made)
    assert applied.iptables is not None
    no_jump = replace(
        applied,
        iptables=render.Saved(
            applied.iptables.rules, frozenset(render.HOOKS) - {("nat", "POSTROUTING")}
        ),
    )
    (change,) = plan(_desired(made), {made.id: no_jump}).changes
    assert change.iptables is not None
    assert "-I POSTROUTING 1 -j quantum-l3-POSTROUTING" in change.iptables
    edited = dict(applied.iptables.rules["nat"])
    edited["quantum-l3-PREROUTING"] = ()
    tampered = replace(
        applied,
        iptables=render.Saved(
            {"filter": applied.iptables.rules["filter"], "nat": edited},
            frozenset(render.HOOKS),
        ),
    )
    (change,) = plan(_desired(made), {made.id: tampered}).changes
    assert change.iptables is not None
    assert "-I " not in change.iptables


def test_an_interface_removed_is_unplugged_and_its_snat_dropped() -> None:
    made = router()
    smaller = router(interfaces=(A,), floating_ips=(FIP_A,), routes=())
    (change,) = plan(_desired(smaller), {made.id: _as_applied(made)}).changes
    assert change.unplug == (QR_B,)
    assert change.plug == ()
    assert change.remove_routes == (render.RouteEntry("192.168.70.0/24", "10.2.0.254"),)
    assert change.iptables is not None
    assert "10.2.0.0/24" not in change.iptables


def test_a_device_with_another_mac_is_plugged_again() -> None:
    made = router()
    applied = _as_applied(made)
    devices = dict(applied.devices)
    devices[QR_A] = replace(devices[QR_A], mac="fa:16:3e:99:99:99")
    (change,) = plan(
        _desired(made), {made.id: replace(applied, devices=devices)}
    ).changes
    assert [p.device for p in change.plug] == [QR_A]
    assert change.add_addresses == ()


def test_a_router_gone_or_down_is_removed_and_one_never_seen_is_not() -> None:
    made = router()
    applied = _as_applied(made)
    for desired in (_desired(), _desired(replace(made, admin_state_up=False))):
        (change,) = plan(desired, {made.id: applied}).changes
        assert change.action is Action.REMOVE
        assert change.unplug == tuple(sorted((QG, QR_A, QR_B)))
    assert plan(_desired(replace(made, admin_state_up=False)), {}).changes == ()


def _advertising() -> Router:
    return router(interfaces=(A, B6))


def test_an_advertised_subnet_starts_radvd_and_a_running_one_is_adopted() -> None:
    made = _advertising()
    config = render.radvd_config(made)
    assert config is not None
    assert f"interface {QR_B}\n" in config
    (change,) = plan(_desired(made), {}).changes
    assert change.radvd is Radvd.START
    assert change.radvd_config == config

    # running with that configuration (after an agent restart too): nothing to do
    running = replace(_as_applied(made), radvd_pid=4242, radvd_config=config)
    assert plan(_desired(made), {made.id: running}).is_empty


def test_a_dead_radvd_is_started_again_and_another_configuration_reloads() -> None:
    made = _advertising()
    config = render.radvd_config(made)
    dead = replace(_as_applied(made), radvd_pid=None, radvd_config=config)
    (change,) = plan(_desired(made), {made.id: dead}).changes
    assert change.action is Action.APPLY
    assert change.radvd is Radvd.START
    assert not change.add_addresses  # NOTE: only radvd
    assert change.iptables is None

    stale = replace(_as_applied(made), radvd_pid=4242, radvd_config="interface x\n")
    (change,) = plan(_desired(made), {made.id: stale}).changes
    assert (change.radvd, change.radvd_pid) == (Radvd.RELOAD, 4242)
    assert change.radvd_config == config


def test_nothing_advertised_stops_radvd_and_a_router_removed_names_it() -> None:
    made = _advertising()
    config = render.radvd_config(made)
    running = replace(_as_applied(made), radvd_pid=4242, radvd_config=config)
    plain = router(interfaces=(A, B))  # NOTE: B's IPv6 subnet, ra_mode unset
    assert render.radvd_config(plain) is None
    (change,) = plan(_desired(plain), {made.id: running}).changes
    assert (change.radvd, change.radvd_pid) == (Radvd.STOP, 4242)
    assert plan(_desired(plain), {made.id: _as_applied(plain)}).is_empty

    (change,) = plan(_desired(), {made.id: running}).changes
    assert (change.action, change.radvd_pid) == (Action.REMOVE, 4242)
