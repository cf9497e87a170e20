# SPDX-License-Identifier: Apache-2.0
"""``quantum.compute.network`` without a server: what it refuses before any call,
and the network info's shape (tests/functional/compute runs it against a server)."""

from __future__ import annotations

from typing import Any

import pytest

from quantum.compute import linuxbridge, network
from quantum.compute import vif as vifs
from quantum.compute.network import FixedIp, Instance, Nic, VifInfo


class NoCalls:
    """Any attribute access means a request would have been sent."""

    def __getattr__(self, name: str) -> object:
        raise AssertionError(f"unexpected call: {name}")


def _net() -> network.ComputeNetwork:
    return network.ComputeNetwork(
        NoCalls(),  # type: ignore[arg-type]  # NOTE: must not be used
        None,
        network.Hypervisor(host="hv1"),
    )


def test_nothing_is_sent_for_an_instance_without_nics() -> None:
    with pytest.raises(network.AllocationFailed, match="no network requested"):
        _net().allocate_for_instance(Instance("vm-1", "p1"), [])


def test_waiting_needs_the_agent_api() -> None:
    with pytest.raises(network.EventsUnavailable, match="no agent API configured"):
        _net().wait_until_active(["p"], timeout=1)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Instance("", "p1"), "instance id"),
        (lambda: Instance("vm 1", "p1"), "instance id"),
        (lambda: Instance("vm-1", ""), "project id"),
        (lambda: Nic("net", fixed_ip="10.0.0.300"), "10.0.0.300"),
        (lambda: Nic(""), "network id"),
        (lambda: network.Hypervisor(host="hv1", ovsdb="/run/db.sock"), "OVSDB"),
    ],
)
def test_bad_values_are_refused_where_they_are_made(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]


def test_the_owner_names_the_zone() -> None:
    assert Instance("vm-1", "p1").device_owner == "compute:nova"
    assert Instance("vm-1", "p1", zone="az2").device_owner == "compute:az2"


def test_the_network_info_as_json() -> None:
    vif = VifInfo(
        port_id="5d0c6a1e-0000-4000-8000-000000000001",
        network_id="n1",
        mac="fa:16:3e:00:00:01",
        fixed_ips=(
            FixedIp("10.0.0.5", 24, "s1", 4, gateway=None),
            FixedIp("10.1.0.5", 24, "s2", 4, gateway="10.1.0.1", dns=("192.0.2.53",)),
        ),
        mtu=1450,
        vif_type="ovs",
        device="tap5d0c6a1e-00",
    )
    assert vif.gateway == "10.1.0.1"  # NOTE: the first subnet that has one
    assert vif.to_json()["fixed_ips"][1] == {
        "ip_address": "10.1.0.5",
        "prefixlen": 24,
        "subnet_id": "s2",
        "gateway_ip": "10.1.0.1",
        "dns_nameservers": ["192.0.2.53"],
        "enable_dhcp": False,
    }
    assert vif.fixed_ips[0].interface == "10.0.0.5/24"
    assert vif.to_json()["dhcp_served"] is False


def test_a_nic_is_configured_by_dhcp_only_where_a_lease_can_be_had() -> None:
    on = FixedIp("10.0.0.5", 24, "s1", 4, dhcp=True)
    off = FixedIp("10.1.0.5", 24, "s2", 4)
    six = FixedIp("fd00::5", 64, "s3", 6)

    def vif(*fixed: FixedIp, served: bool = True) -> VifInfo:
        return VifInfo("p", "n", "fa:16:3e:00:00:01", fixed, None, "ovs", "tap",
                       dhcp_served=served)  # fmt: skip

    assert vif(on).dhcp
    assert vif(on, six).dhcp  # NOTE: IPv6 stays static
    assert not vif(on, served=False).dhcp  # NOTE: no live DHCP agent
    assert not vif(on, off).dhcp
    assert not vif(six).dhcp


NET = "5b0e8a3e-6f3c-4bb7-8f0a-3a2b1c0d9e8f"


Rows = list[dict[str, Any]]


class Listing:
    def __init__(self, rows: Rows) -> None:
        self.rows = rows

    def list(self, **filters: Any) -> Rows:
        return self.rows

    def dhcp_agents(self, network_id: str) -> Rows:
        return []


class Client:
    """What ``_describe`` reads: the ports' networks and subnets."""

    networks = Listing([{"id": NET, "mtu": 1450}])
    subnets = Listing([{"id": "s1", "cidr": "10.0.0.0/24", "gateway_ip": "10.0.0.1"}])


def port(vif_type: str | None, number: int = 1) -> dict[str, Any]:
    body = {
        "id": f"5d0c6a1e-0000-4000-8000-00000000000{number}",
        "network_id": NET,
        "mac_address": f"fa:16:3e:00:00:0{number}",
        "fixed_ips": [{"subnet_id": "s1", "ip_address": f"10.0.0.{number + 4}"}],
    }
    if vif_type is not None:
        body["binding:vif_type"] = vif_type
    return body


def _described(*ports: dict[str, Any]) -> list[VifInfo]:
    net = network.ComputeNetwork(
        Client(),  # type: ignore[arg-type]  # NOTE: only what _describe reads
        None,
        network.Hypervisor(host="hv1", bridge="br-int"),
    )
    return net._describe(ports)


def test_the_network_info_names_the_bridge_the_vif_type_plugs_into() -> None:
    bridge, ovs, unbound, unset, other = _described(
        port("bridge", 1), port("ovs", 2), port("unbound", 3), port(None, 4),
        port("vhostuser", 5),
    )  # fmt: skip
    assert (bridge.vif_type, bridge.bridge) == ("bridge", "brq5b0e8a3e-6f")
    assert bridge.to_json()["bridge"] == "brq5b0e8a3e-6f"
    assert (bridge.mtu, bridge.device) == (1450, "tap5d0c6a1e-00")
    assert (ovs.vif_type, ovs.bridge) == ("ovs", "br-int")
    assert (unbound.vif_type, unbound.bridge) == ("unbound", "br-int")
    assert (unset.vif_type, unset.bridge) == ("ovs", "br-int")
    assert (other.vif_type, other.bridge) == ("vhostuser", None)


def test_plug_and_unplug_follow_the_vif_type(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str, dict[str, Any]]] = []

    def record(kind: str, result: Any) -> Any:
        def call(what: Any, **kwargs: Any) -> Any:
            name = what if isinstance(what, str) else what.device
            calls.append((kind, name, kwargs))
            return result

        return call

    plugged = vifs.Plugged("tap", "br", None, created=True)
    unplugged = linuxbridge.Unplugged("tap", True, "brq5b0e8a3e-6f", False)
    monkeypatch.setattr(linuxbridge, "plug", record("lb plug", plugged))
    monkeypatch.setattr(linuxbridge, "unplug", record("lb unplug", unplugged))
    monkeypatch.setattr(vifs, "plug", record("ovs plug", plugged))
    monkeypatch.setattr(vifs, "unplug", record("ovs unplug", True))
    bridge, ovs, other = _described(port("bridge", 1), port("ovs", 2), port("x", 3))
    net = _net()
    instance = Instance("vm-1", "p1")

    net.plug(bridge, instance, netns="vm1")
    net.plug(ovs, instance, netns="vm1", peer="eth1")
    assert net.unplug("tap1", vif_type="bridge", network_id=NET)
    assert net.unplug("tap2")
    with pytest.raises(network.UnsupportedVifType, match="binding:vif_type x is not"):
        net.plug(other, instance, netns="vm1")

    assert [(kind, name) for kind, name, _ in calls] == [
        ("lb plug", "tap5d0c6a1e-00"),
        ("ovs plug", "tap5d0c6a1e-00"),
        ("lb unplug", "tap1"),
        ("ovs unplug", "tap2"),
    ]
    assert calls[0][2]["bridge"] == "brq5b0e8a3e-6f"
    assert calls[0][2]["mtu"] == 1450
    assert calls[1][2]["bridge"] == "br-int"
    assert calls[2][2]["bridge"] == "brq5b0e8a3e-6f"
