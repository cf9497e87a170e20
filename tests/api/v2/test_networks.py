# SPDX-License-Identifier: Apache-2.0
"""``/v2.0/networks`` (spec §3.1): create (single, bulk), show, update, delete, and
who sees what (own, shared, external; admins everything)."""

from __future__ import annotations

import io
import uuid

from webob import Request, Response

from tests.api.v2.client import ADMIN, V2, error, pop_standard, tenant

BODY_LIMIT = 114688  # max_request_body_size's default, which the test services keep

OTHER = tenant("other")


def test_create_shows_every_attribute_with_both_tenant_keys(v2: V2) -> None:
    response = v2.post("/networks", {"network": {"name": "web"}})
    assert response.status == "201 Created"
    assert response.content_type == "application/json"
    net = response.json["network"]
    uuid.UUID(net.pop("id"))
    pop_standard(net)
    assert net == {
        "name": "web",
        "tenant_id": "acme",
        "project_id": "acme",
        "admin_state_up": True,
        "status": "ACTIVE",
        "shared": False,
        "subnets": [],
        "router:external": False,
        "mtu": 1500,
        "port_security_enabled": True,
    }


def test_show_update_delete_round_trip(v2: V2) -> None:
    net = v2.network(name="a")
    shown = v2.get(f"/networks/{net['id']}")
    assert shown.status_int == 200
    assert shown.json == {"network": net}
    updated = v2.put(
        f"/networks/{net['id']}", {"network": {"name": "b", "admin_state_up": False}}
    )
    assert updated.status_int == 200
    assert updated.json["network"]["name"] == "b"
    assert updated.json["network"]["admin_state_up"] is False
    assert v2.get(f"/networks/{net['id']}.json").json["network"]["name"] == "b"
    deleted = v2.delete(f"/networks/{net['id']}")
    assert deleted.status_int == 204
    assert deleted.body == b""
    assert error(v2.get(f"/networks/{net['id']}")) == (404, "NetworkNotFound")
    assert error(v2.delete(f"/networks/{net['id']}")) == (404, "NetworkNotFound")


def test_json_suffix_on_collection_and_member(v2: V2) -> None:
    net = v2.post("/networks.json", {"network": {"name": "s"}}).json["network"]
    assert v2.get("/networks.json").json["networks"] == [net]
    assert v2.get(f"/networks/{net['id']}.json").json["network"] == net


def test_project_id_is_accepted_in_place_of_tenant_id(v2: V2) -> None:
    net = v2.network(as_=ADMIN, project_id="beta", name="p")
    assert (net["tenant_id"], net["project_id"]) == ("beta", "beta")
    both = v2.post(
        "/networks", {"network": {"tenant_id": "x", "project_id": "y"}}, ADMIN
    )
    assert error(both) == (400, "InvalidInput")


def test_bulk_create_is_all_or_nothing(v2: V2) -> None:
    created = v2.post(
        "/networks", {"networks": [{"name": "one"}, {"network": {"name": "two"}}]}
    )
    assert created.status_int == 201
    assert [n["name"] for n in created.json["networks"]] == ["one", "two"]
    refused = v2.post(
        "/networks", {"networks": [{"name": "three"}, {"admin_state_up": "maybe"}]}
    )
    assert error(refused) == (400, "InvalidInput")
    names = {n["name"] for n in v2.get("/networks").json["networks"]}
    assert names == {"one", "two"}
    assert error(v2.post("/networks", {"networks": []})) == (400, "InvalidInput")


def test_bad_input_is_400_never_500(v2: V2) -> None:
    body: object
    for body in (
        {"network": {"name": 5}},
        {"network": {"name": "x" * 256}},
        {"network": {"admin_state_up": "doh"}},
        {"network": {"admin_state_up": 7}},
        {"network": {"bogus": 1}},
        {"network": {"id": str(uuid.uuid4())}},
        {"network": {"status": "DOWN"}},
        {"network": []},
        {"networks": {"name": "x"}},
        {"netwerk": {}},
        {"network": {}, "extra": 1},
        "[]",
    ):
        assert error(v2.post("/networks", body)) == (400, "InvalidInput"), body
    malformed = v2.post("/networks", "{not json")
    assert error(malformed) == (400, "InvalidInput")
    assert error(v2.post("/networks", "")) == (400, "InvalidInput")


def test_update_refuses_read_only_and_unknown_attributes(v2: V2) -> None:
    net = v2.network()
    body: object
    for body in (
        {"network": {"tenant_id": "x"}},
        {"network": {"id": str(uuid.uuid4())}},
        {"network": {"status": "DOWN"}},
        {"network": {"nope": 1}},
        {"network": {"name": None}},
        {"network": "name"},
        {"networks": {}},
    ):
        assert error(v2.put(f"/networks/{net['id']}", body)) == (400, "InvalidInput")


def test_tenants_see_their_own_networks_only(v2: V2) -> None:
    mine = v2.network(name="mine")
    theirs = v2.network(as_=OTHER, name="theirs")
    assert [n["id"] for n in v2.get("/networks").json["networks"]] == [mine["id"]]
    assert error(v2.get(f"/networks/{theirs['id']}")) == (404, "NetworkNotFound")
    renamed = v2.put(f"/networks/{theirs['id']}", {"network": {"name": "x"}})
    assert error(renamed) == (404, "NetworkNotFound")
    assert error(v2.delete(f"/networks/{theirs['id']}")) == (404, "NetworkNotFound")
    everything = v2.get("/networks", ADMIN).json["networks"]
    assert {n["id"] for n in everything} == {mine["id"], theirs["id"]}


def test_a_tenant_cannot_create_for_another(v2: V2) -> None:
    refused = v2.post("/networks", {"network": {"tenant_id": "other"}})
    assert error(refused) == (400, "InvalidInput")
    own = v2.post("/networks", {"network": {"tenant_id": "acme"}})
    assert own.status_int == 201


def test_shared_networks_are_visible_to_all_and_changed_by_owner_only(v2: V2) -> None:
    shared = v2.network(as_=ADMIN, tenant_id="ops", shared=True, name="public")
    listed = v2.get("/networks", OTHER).json["networks"]
    assert [n["id"] for n in listed] == [shared["id"]]
    assert v2.get(f"/networks/{shared['id']}", OTHER).json["network"]["shared"]
    renamed = v2.put(f"/networks/{shared['id']}", {"network": {"name": "x"}}, OTHER)
    assert error(renamed) == (404, "NetworkNotFound")
    assert error(v2.delete(f"/networks/{shared['id']}", OTHER)) == (
        404,
        "NetworkNotFound",
    )


def test_only_an_admin_shares_or_makes_external(v2: V2) -> None:
    for attrs in (
        {"shared": True},
        {"router:external": True},
        {"router:external": False},
    ):
        refused = v2.post("/networks", {"network": attrs})
        assert error(refused) == (403, "PolicyNotAuthorized"), attrs
    assert v2.post("/networks", {"network": {"shared": False}}).status_int == 201
    net = v2.network()
    flip = v2.put(f"/networks/{net['id']}", {"network": {"shared": True}})
    assert error(flip) == (403, "PolicyNotAuthorized")
    by_admin = v2.put(f"/networks/{net['id']}", {"network": {"shared": True}}, ADMIN)
    assert by_admin.json["network"]["shared"] is True


def test_external_networks_are_visible_to_all(v2: V2) -> None:
    ext = v2.network(as_=ADMIN, tenant_id="ops", **{"router:external": True})
    assert v2.get("/networks", OTHER).json["networks"][0]["id"] == ext["id"]
    found = v2.get("/networks?router:external=true", OTHER).json["networks"]
    assert [n["id"] for n in found] == [ext["id"]]
    assert v2.get("/networks?router:external=false", OTHER).json["networks"] == []


def test_unsharing_with_other_tenants_ports_is_a_conflict(v2: V2) -> None:
    net = v2.network(as_=ADMIN, tenant_id="acme", shared=True)
    v2.port(net["id"], as_=OTHER)
    unshare = v2.put(f"/networks/{net['id']}", {"network": {"shared": False}}, ADMIN)
    assert error(unshare) == (409, "InvalidSharedSetting")
    own = v2.network(as_=ADMIN, tenant_id="acme", shared=True)
    v2.port(own["id"])
    ok = v2.put(f"/networks/{own['id']}", {"network": {"shared": False}}, ADMIN)
    assert ok.json["network"]["shared"] is False


def test_delete_refuses_a_network_with_ports_but_takes_dhcp_ports(v2: V2) -> None:
    net = v2.network()
    dhcp = v2.port(net["id"], device_owner="network:dhcp")
    vm = v2.port(net["id"], device_owner="compute:nova")
    assert error(v2.delete(f"/networks/{net['id']}")) == (409, "NetworkInUse")
    assert v2.get(f"/ports/{dhcp['id']}").status_int == 200
    assert v2.delete(f"/ports/{vm['id']}").status_int == 204
    assert v2.delete(f"/networks/{net['id']}").status_int == 204
    assert error(v2.get(f"/ports/{dhcp['id']}")) == (404, "PortNotFound")


def test_no_tenant_and_no_tenant_id_is_400(v2: V2) -> None:
    refused = v2.post("/networks", {"network": {}}, {})
    assert error(refused) == (400, "InvalidInput")
    message = refused.json["NeutronError"]["message"]
    assert "tenant_id" in message
    assert "X-Project-Id" in message  # NOTE: the header noauth takes the tenant from
    made = v2.post("/networks", {"network": {"tenant_id": "t1"}}, {})
    assert made.json["network"]["tenant_id"] == "t1"


def test_v1_networks_appear_in_v2_and_back(v2: V2) -> None:
    made = v2.client.post(
        "/v1.1/tenants/acme/networks.json", {"network": {"name": "v1"}}
    )
    net_id = made.json["network"]["id"]
    shown = v2.get(f"/networks/{net_id}").json["network"]
    assert (shown["name"], shown["tenant_id"], shown["status"]) == (
        "v1",
        "acme",
        "ACTIVE",
    )
    v2_net = v2.network(name="v2")
    v1_list = v2.client.get("/v1.1/tenants/acme/networks/detail.json").json
    assert {n["name"] for n in v1_list["networks"]} == {"v1", "v2"}
    assert v2_net["id"] in {n["id"] for n in v1_list["networks"]}


def _chunked(v2: V2, body: bytes) -> Response:
    """A POST as eventlet hands over a chunked upload: no Content-Length."""
    request = Request.blank("/v2.0/networks", method="POST", headers=tenant("acme"))
    request.headers["Content-Type"] = "application/json"
    request.headers["Transfer-Encoding"] = "chunked"
    request.environ["wsgi.input"] = io.BytesIO(body)
    request.environ.pop("CONTENT_LENGTH", None)
    return request.get_response(v2.client.app)


def test_chunked_bodies_are_read_and_limited(v2: V2) -> None:
    made = _chunked(v2, b'{"network": {"name": "chunked"}}')
    assert made.status_int == 201, made.body
    assert made.json["network"]["name"] == "chunked"
    padded = b'{"network": {"name": "x"}}' + b" " * BODY_LIMIT
    assert error(_chunked(v2, padded)) == (413, "BodyTooLarge")
    assert [n["name"] for n in v2.get("/networks").json["networks"]] == ["chunked"]
