# SPDX-License-Identifier: Apache-2.0
"""``/v2.0/quotas`` (spec §5.6): admins show, update and reset per-tenant limits;
creates beyond the limit are 409 and create nothing."""

from __future__ import annotations

from tests.api.v2.client import ADMIN, V2, error, tenant

DEFAULTS = {
    "network": 10,
    "subnet": 10,
    "port": 50,
    "security_group": 10,
    "security_group_rule": 100,
}
SG = {"security_group": 10, "security_group_rule": 100}


def test_defaults_update_and_reset(v2: V2) -> None:
    assert v2.get("/quotas/acme", ADMIN).json == {"quota": DEFAULTS}
    assert v2.get("/quotas", ADMIN).json == {"quotas": []}
    updated = v2.put("/quotas/acme", {"quota": {"network": 1, "port": "3"}}, ADMIN)
    assert updated.json == {"quota": {"network": 1, "subnet": 10, "port": 3, **SG}}
    assert v2.get("/quotas/acme").json["quota"]["network"] == 1
    listed = v2.get("/quotas", ADMIN).json["quotas"]
    assert listed == [
        {
            "tenant_id": "acme",
            "project_id": "acme",
            "network": 1,
            "subnet": 10,
            "port": 3,
            **SG,
        }
    ]
    assert v2.delete("/quotas/acme", ADMIN).status_int == 204
    assert v2.get("/quotas/acme", ADMIN).json == {"quota": DEFAULTS}


def test_creates_beyond_the_limit_are_409(v2: V2) -> None:
    v2.put("/quotas/acme", {"quota": {"network": 2, "port": 1}}, ADMIN)
    v2.network()
    bulk = v2.post("/networks", {"networks": [{"name": "x"}, {"name": "y"}]})
    assert error(bulk) == (409, "OverQuota")
    net = v2.network()
    assert error(v2.post("/networks", {"network": {}})) == (409, "OverQuota")
    assert len(v2.get("/networks").json["networks"]) == 2
    v2.port(net["id"])
    assert error(v2.post("/ports", {"port": {"network_id": net["id"]}})) == (
        409,
        "OverQuota",
    )
    assert v2.network(as_=tenant("other"))
    v2.put("/quotas/acme", {"quota": {"network": -1}}, ADMIN)
    assert v2.network()


def test_who_may_do_what(v2: V2) -> None:
    other = tenant("other")
    assert error(v2.get("/quotas")) == (403, "PolicyNotAuthorized")
    assert error(v2.get("/quotas/other")) == (403, "PolicyNotAuthorized")
    assert v2.get("/quotas/other", other).status_int == 200
    assert error(v2.put("/quotas/acme", {"quota": {"network": 99}})) == (
        403,
        "PolicyNotAuthorized",
    )
    assert error(v2.delete("/quotas/acme")) == (403, "PolicyNotAuthorized")
    assert v2.get("/quotas/tenant").json == {"tenant": {"tenant_id": "acme"}}
    assert error(v2.get("/quotas/tenant", {})) == (400, "InvalidInput")
    assert v2.post("/quotas", {"quota": {}}, ADMIN).status_int == 501


def test_bad_quota_bodies_are_400(v2: V2) -> None:
    body: object
    for body in (
        {"quota": {"routers": 1}},
        {"quota": {"network": "many"}},
        {"quota": {"network": -2}},
        {"quota": {"network": True}},
        {"quota": []},
        {"quotas": {}},
    ):
        assert error(v2.put("/quotas/acme", body, ADMIN)) == (400, "InvalidInput")


def test_check_limit_refuses_a_limit_below_usage_and_force_sets_it(v2: V2) -> None:
    for _ in range(3):
        v2.network()
    v2.port(v2.network()["id"])
    # what the openstack CLI sends: check_limit by default, force with --force
    below = {"quota": {"network": 3, "port": 3, "subnet": 2, "check_limit": True}}
    refused = v2.put("/quotas/acme", below, ADMIN)
    assert error(refused) == (400, "QuotaBelowUsage")
    assert refused.json["NeutronError"]["message"] == (
        "Quota limit 3 for network is below its current usage of 4."
    )
    assert v2.get("/quotas/acme", ADMIN).json == {"quota": DEFAULTS}  # nothing written
    at = {"quota": {"network": 4, "port": 1, "subnet": 0, "check_limit": "true"}}
    assert v2.put("/quotas/acme", at, ADMIN).json == {
        "quota": {**DEFAULTS, "network": 4, "subnet": 0, "port": 1}
    }
    unlimited = {"quota": {"network": -1, "check_limit": True}}
    assert v2.put("/quotas/acme", unlimited, ADMIN).status_int == 200
    forced = v2.put("/quotas/acme", {"quota": {"network": 1, "force": True}}, ADMIN)
    assert forced.json["quota"]["network"] == 1
    plain = v2.put("/quotas/acme", {"quota": {"network": 2}}, ADMIN)
    assert plain.json["quota"]["network"] == 2
    for bad in (
        {"quota": {"network": 9, "check_limit": "maybe"}},
        {"quota": {"network": 9, "force": 2}},
        {"quota": {"network": 9, "check_limit": True, "force": True}},
    ):
        assert error(v2.put("/quotas/acme", bad, ADMIN)) == (400, "InvalidInput")
    assert v2.get("/quotas/acme", ADMIN).json["quota"]["network"] == 2


def test_defaults_and_details_as_todays_clients_ask(v2: V2) -> None:
    v2.put("/quotas/acme", {"quota": {"network": 7}}, ADMIN)
    net = v2.network()
    v2.port(net["id"])
    v2.port(net["id"])
    v2.network(as_=tenant("other"))
    assert v2.get("/quotas/acme/default").json == {"quota": DEFAULTS}
    assert v2.get("/quotas/acme/details").json == {
        "quota": {
            "network": {"used": 1, "limit": 7, "reserved": 0},
            "subnet": {"used": 0, "limit": 10, "reserved": 0},
            "port": {"used": 2, "limit": 50, "reserved": 0},
            # NOTE: the tenant's default group, made with its first network, with
            # its four rules.
            "security_group": {"used": 1, "limit": 10, "reserved": 0},
            "security_group_rule": {"used": 4, "limit": 100, "reserved": 0},
        }
    }
    assert v2.get("/quotas/other/details", ADMIN).json["quota"]["network"] == {
        "used": 1,
        "limit": 10,
        "reserved": 0,
    }
    for path in ("/quotas/other/default", "/quotas/other/details"):
        assert error(v2.get(path)) == (403, "PolicyNotAuthorized")
    refused = v2.put("/quotas/acme/details", {"quota": {}}, ADMIN)
    assert error(refused) == (405, "HTTPMethodNotAllowed")
    assert refused.headers["Allow"] == "GET"
    assert error(v2.get("/quotas/acme/usage", ADMIN)) == (404, "HTTPNotFound")
