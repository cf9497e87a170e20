# SPDX-License-Identifier: Apache-2.0
"""``quantum.compute.network`` without a server: what it refuses before any call,
and the network info's shape (tests/functional/compute runs it against a server)."""

from __future__ import annotations

import pytest

from quantum.compute import network
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
