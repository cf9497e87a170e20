# SPDX-License-Identifier: Apache-2.0
"""``/v2.0/ports`` (spec §3.3): MACs, device owners, binding, tenancy, and one store
with v1 (v1 ports appear in v2; v2 ports in v1)."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.api.v2.client import ADMIN, V2, error, pop_standard, tenant
from tests.api.v2.test_security_groups import default_group

OTHER = tenant("other")
BASE = re.compile(r"^fa:16:3e(:[0-9a-f]{2}){3}$")


def test_create_generates_a_mac_from_the_base_prefix(v2: V2) -> None:
    net = v2.network()
    response = v2.post("/ports", {"port": {"network_id": net["id"], "name": "p"}})
    assert response.status == "201 Created"
    port = response.json["port"]
    uuid.UUID(port.pop("id"))
    mac = port.pop("mac_address")
    assert BASE.match(mac), mac
    pop_standard(port)
    assert port == {
        "name": "p",
        "network_id": net["id"],
        "tenant_id": "acme",
        "project_id": "acme",
        "admin_state_up": True,
        "status": "DOWN",
        "fixed_ips": [],
        "device_id": "",
        "device_owner": "",
        "security_groups": [default_group(v2)],
        "port_security_enabled": True,
        "allowed_address_pairs": [],
    }
    macs = {v2.port(net["id"])["mac_address"] for _ in range(10)}
    assert len(macs) == 10


def test_an_explicit_mac_is_normalised_and_unique_per_network(v2: V2) -> None:
    net, other_net = v2.network(), v2.network()
    port = v2.port(net["id"], mac_address="FA-16-3E-00-00-AB")
    assert port["mac_address"] == "fa:16:3e:00:00:ab"
    again = v2.post(
        "/ports",
        {"port": {"network_id": net["id"], "mac_address": "fa:16:3e:00:00:ab"}},
    )
    assert error(again) == (409, "MacAddressInUse")
    assert v2.port(other_net["id"], mac_address="fa:16:3e:00:00:ab")
    for bad in ("mac", "01:00:5e:00:00:01", 5):
        refused = v2.post(
            "/ports", {"port": {"network_id": net["id"], "mac_address": bad}}
        )
        assert error(refused) == (400, "InvalidInput"), bad


def test_update_show_delete(v2: V2) -> None:
    net = v2.network()
    port = v2.port(net["id"])
    changed = v2.put(
        f"/ports/{port['id']}",
        {
            "port": {
                "name": "vm1",
                "admin_state_up": False,
                "device_id": "vm-1",
                "device_owner": "compute:nova",
            }
        },
    )
    assert changed.status_int == 200
    shown = v2.get(f"/ports/{port['id']}").json["port"]
    assert (shown["name"], shown["admin_state_up"], shown["status"]) == (
        "vm1",
        False,
        "DOWN",
    )
    assert (shown["device_id"], shown["device_owner"]) == ("vm-1", "compute:nova")
    assert shown["mac_address"] == port["mac_address"]
    for body in (
        {"port": {"mac_address": "fa:16:3e:00:00:01"}},
        {"port": {"network_id": net["id"]}},
        {"port": {"status": "ACTIVE"}},
        {"port": {"device_id": None}},
    ):
        assert error(v2.put(f"/ports/{port['id']}", body)) == (400, "InvalidInput")
    assert v2.delete(f"/ports/{port['id']}").status_int == 204
    assert error(v2.get(f"/ports/{port['id']}")) == (404, "PortNotFound")


def test_filters_on_port_attributes(v2: V2) -> None:
    net, net2 = v2.network(), v2.network()
    a = v2.port(net["id"], device_id="vm-a")
    b = v2.port(net2["id"], device_id="vm-b")
    found = v2.get(f"/ports?network_id={net2['id']}").json["ports"]
    assert [p["id"] for p in found] == [b["id"]]
    found = v2.get("/ports?device_id=vm-a&device_id=vm-b&sort_key=device_id").json
    assert [p["id"] for p in found["ports"]] == [a["id"], b["id"]]
    found = v2.get(f"/ports?mac_address={a['mac_address']}").json["ports"]
    assert [p["id"] for p in found] == [a["id"]]


def test_a_port_on_another_tenants_network_is_refused(v2: V2) -> None:
    theirs = v2.network(as_=OTHER)
    refused = v2.post("/ports", {"port": {"network_id": theirs["id"]}})
    assert error(refused) == (404, "NetworkNotFound")
    shared = v2.network(as_=ADMIN, tenant_id="other", shared=True)
    port = v2.port(shared["id"])
    assert port["tenant_id"] == "acme"
    own_mac = {"port": {"network_id": shared["id"], "mac_address": "fa:16:3e:0:0:9"}}
    assert error(v2.post("/ports", own_mac)) == (403, "PolicyNotAuthorized")
    assert v2.get("/ports", OTHER).json["ports"] == []
    as_admin = v2.post(
        "/ports", {"port": {"network_id": theirs["id"], "tenant_id": "acme"}}, ADMIN
    )
    assert as_admin.status_int == 201


def test_ordinary_tenants_may_not_claim_network_owners(v2: V2) -> None:
    shared = v2.network(as_=ADMIN, tenant_id="ops", shared=True)
    claim = {"port": {"network_id": shared["id"], "device_owner": "network:dhcp"}}
    assert error(v2.post("/ports", claim)) == (403, "PolicyNotAuthorized")
    port = v2.port(shared["id"], device_owner="compute:nova")
    grab = v2.put(f"/ports/{port['id']}", {"port": {"device_owner": "network:router"}})
    assert error(grab) == (403, "PolicyNotAuthorized")
    assert v2.post("/ports", claim, ADMIN).status_int == 201
    own = v2.network()
    assert v2.port(own["id"], device_owner="network:dhcp")["device_owner"] == (
        "network:dhcp"
    )


@pytest.mark.parametrize(
    "owner", ["NETWORK:dhcp", "Network:router_interface", "nEtWoRk:anything"]
)
def test_reserved_owners_are_reserved_in_any_case(v2: V2, owner: str) -> None:
    shared = v2.network(as_=ADMIN, tenant_id="ops", shared=True)
    claim = {"port": {"network_id": shared["id"], "device_owner": owner}}
    assert error(v2.post("/ports", claim)) == (403, "PolicyNotAuthorized")
    port = v2.port(shared["id"], device_owner="compute:nova")
    grab = v2.put(f"/ports/{port['id']}", {"port": {"device_owner": owner}})
    assert error(grab) == (403, "PolicyNotAuthorized")
    assert v2.get(f"/ports/{port['id']}").json["port"]["device_owner"] == (
        "compute:nova"
    )
    assert [p["id"] for p in v2.get("/ports").json["ports"]] == [port["id"]]
    own = v2.network()
    assert v2.port(own["id"], device_owner="network:dhcp")["device_owner"] == (
        "network:dhcp"
    )


def test_binding_host_id_is_for_admins(v2: V2) -> None:
    net = v2.network()
    port = v2.port(net["id"])
    assert "binding:host_id" not in port
    refused = v2.put(f"/ports/{port['id']}", {"port": {"binding:host_id": "hv1"}})
    assert error(refused) == (403, "PolicyNotAuthorized")
    bound = v2.put(f"/ports/{port['id']}", {"port": {"binding:host_id": "hv1"}}, ADMIN)
    assert bound.json["port"]["binding:host_id"] == "hv1"
    assert "binding:host_id" not in v2.get(f"/ports/{port['id']}").json["port"]
    found = v2.get("/ports?binding:host_id=hv1", ADMIN).json["ports"]
    assert [p["id"] for p in found] == [port["id"]]
    made = v2.port(net["id"], as_=ADMIN, tenant_id="acme", **{"binding:host_id": "hv2"})
    assert made["binding:host_id"] == "hv2"


def test_binding_vif_type_and_profile_are_for_admins(v2: V2) -> None:
    net = v2.network()
    port = v2.port(net["id"])
    hidden = {
        "binding:vif_type",
        "binding:vif_details",
        "binding:profile",
        "status_reason",
    }
    assert not hidden & set(port)
    assert not hidden & set(v2.get(f"/ports/{port['id']}").json["port"])
    shown = v2.get(f"/ports/{port['id']}", ADMIN).json["port"]
    ovs = v2.plugin.startswith("openvswitch")
    assert shown["binding:vif_type"] == ("ovs" if ovs else "unbound")
    # NOTE: the OVS agent filters the port in br-int itself (no hybrid plug)
    details = {"port_filter": True, "ovs_hybrid_plug": False} if ovs else {}
    assert shown["binding:vif_details"] == details
    listed = v2.get(f"/ports?id={port['id']}", ADMIN).json["ports"]
    assert listed[0]["binding:vif_details"] == details
    made = v2.port(net["id"], as_=ADMIN, tenant_id="acme")
    assert made["binding:vif_details"] == details
    assert shown["binding:profile"] == {}
    assert shown["status_reason"] == ""

    profile = {"pci_slot": "0000:0a:00.1", "physical_network": "physnet1"}
    refused = v2.put(f"/ports/{port['id']}", {"port": {"binding:profile": profile}})
    assert error(refused) == (403, "PolicyNotAuthorized")
    updated = v2.put(
        f"/ports/{port['id']}", {"port": {"binding:profile": profile}}, ADMIN
    )
    assert updated.json["port"]["binding:profile"] == profile
    shown = v2.get(f"/ports/{port['id']}", ADMIN).json["port"]
    assert shown["binding:profile"] == profile
    cleared = v2.put(f"/ports/{port['id']}", {"port": {"binding:profile": None}}, ADMIN)
    assert cleared.json["port"]["binding:profile"] == {}
    made = v2.port(
        net["id"], as_=ADMIN, tenant_id="acme", **{"binding:profile": {"k": [1]}}
    )
    assert made["binding:profile"] == {"k": [1]}
    for body in (
        {"binding:profile": "x"},
        {"binding:profile": ["x"]},
        {"binding:profile": {"k": "v" * 5000}},
        {"binding:vif_type": "bridge"},
        {"binding:vif_details": {"port_filter": False}},
        {"status_reason": "why not"},
    ):
        bad = v2.put(f"/ports/{port['id']}", {"port": body}, ADMIN)
        assert error(bad) == (400, "InvalidInput"), body
    assert v2.get(f"/ports/{port['id']}", ADMIN).json["port"]["binding:profile"] == {}


def test_status_reason_says_why_a_port_is_administratively_down(v2: V2) -> None:
    net = v2.network()
    port = v2.port(net["id"], admin_state_up=False)
    shown = v2.get(f"/ports/{port['id']}", ADMIN).json["port"]
    assert (shown["status"], shown["status_reason"]) == (
        "DOWN",
        "administratively down",
    )


def test_required_and_bad_attributes(v2: V2) -> None:
    assert error(v2.post("/ports", {"port": {}})) == (400, "InvalidInput")
    for value in ("x", str(uuid.uuid4()).upper(), None):
        refused = v2.post("/ports", {"port": {"network_id": value}})
        assert error(refused) == (400, "InvalidInput"), value
    missing = v2.post("/ports", {"port": {"network_id": str(uuid.uuid4())}})
    assert error(missing) == (404, "NetworkNotFound")


def test_v1_ports_appear_in_v2_and_v2_ports_in_v1(v2: V2) -> None:
    net = v2.network()
    v1 = "/v1.1/tenants/acme/networks/" + net["id"] + "/ports"
    made = v2.client.post(v1 + ".json", {"port": {"state": "DOWN"}}).json["port"]
    seen = v2.get(f"/ports/{made['id']}").json["port"]
    assert seen["admin_state_up"] is False
    assert BASE.match(seen["mac_address"])
    v2_port = v2.port(net["id"], admin_state_up=True)
    listed = v2.client.get(v1 + "/detail.json").json["ports"]
    by_id = {p["id"]: p for p in listed}
    assert by_id[v2_port["id"]]["state"] == "ACTIVE"
    assert by_id[made["id"]]["state"] == "DOWN"
    v2.put(f"/ports/{v2_port['id']}", {"port": {"admin_state_up": False}})
    v1_view = v2.client.get(f"{v1}/{v2_port['id']}.json").json["port"]
    assert v1_view["state"] == "DOWN"


def test_router_and_floating_ip_ports_holding_addresses_are_not_deleted_here(
    v2: V2,
) -> None:
    # spec §3.3: those belong to the router and floating-IP APIs while they hold
    # an address; an address-less (stale) one may go.
    net = v2.network()
    body = {"network_id": net["id"], "ip_version": 4, "cidr": "10.40.0.0/24"}
    assert v2.post("/subnets", {"subnet": body}).status_int == 201
    for owner in (
        "network:router_interface",
        "network:router_gateway",
        "network:floatingip",
    ):
        port = v2.port(net["id"], device_owner=owner)
        assert port["fixed_ips"], port
        assert error(v2.delete(f"/ports/{port['id']}")) == (409, "L3PortInUse")
        assert v2.get(f"/ports/{port['id']}").status_int == 200
        emptied = v2.put(f"/ports/{port['id']}", {"port": {"fixed_ips": []}})
        assert emptied.status_int == 200, emptied.body
        assert v2.delete(f"/ports/{port['id']}").status_int == 204
    dhcp = v2.port(net["id"], device_owner="network:dhcp")
    assert v2.delete(f"/ports/{dhcp['id']}").status_int == 204
