# SPDX-License-Identifier: Apache-2.0
"""``security-group``, ``port-security`` and ``allowed-address-pairs`` on the wire
(spec §5.5, grizzly-internals §11.8): groups and rules, the tenant's default group,
the ports' attributes, every refusal with its type, and that a refusal writes
nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.v2.client import ADMIN, V2, error, tenant

OTHER = tenant("other")


def default_group(v2: V2, as_: dict[str, str] | None = None) -> str:
    """The caller's default group's id (listing makes it if need be)."""
    groups = v2.get("/security-groups?name=default", as_).json["security_groups"]
    assert len(groups) == 1, groups
    return groups[0]["id"]  # type: ignore[no-any-return]


def group(v2: V2, as_: dict[str, str] | None = None, **attrs: Any) -> dict[str, Any]:
    response = v2.post("/security-groups", {"security_group": attrs}, as_)
    assert response.status_int == 201, response.body
    return response.json["security_group"]  # type: ignore[no-any-return]


def rule(v2: V2, group_id: str, as_: dict[str, str] | None = None, **attrs: Any) -> Any:
    body = {"security_group_rule": {"security_group_id": group_id, **attrs}}
    return v2.post("/security-group-rules", body, as_)


def wire_rule(group_id: str, tenant_id: str = "acme", **attrs: Any) -> dict[str, Any]:
    """A rule as the wire shows it, id left out."""
    return {
        "tenant_id": tenant_id,
        "project_id": tenant_id,
        "security_group_id": group_id,
        "direction": "ingress",
        "ethertype": "IPv4",
        "protocol": None,
        "port_range_min": None,
        "port_range_max": None,
        "remote_ip_prefix": None,
        "remote_group_id": None,
        "description": "",
        **attrs,
    }


def without_ids(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for r in rules:
        uuid.UUID(r["id"])
    return [{k: v for k, v in r.items() if k != "id"} for r in rules]


def rules_of(v2: V2, group_id: str) -> list[dict[str, Any]]:
    shown = v2.get(f"/security-groups/{group_id}").json["security_group"]
    return shown["security_group_rules"]  # type: ignore[no-any-return]


def test_the_default_group_is_made_on_first_use_with_four_rules(v2: V2) -> None:
    v2.network()
    v2.network()
    listed = v2.get("/security-groups").json["security_groups"]
    assert len(listed) == 1
    made = listed[0]
    group_id = made["id"]
    assert without_ids(made.pop("security_group_rules")) == [
        wire_rule(group_id, direction="egress"),
        wire_rule(group_id, direction="egress", ethertype="IPv6"),
        wire_rule(group_id, remote_group_id=group_id),
        wire_rule(group_id, ethertype="IPv6", remote_group_id=group_id),
    ]
    assert made == {
        "id": group_id,
        "name": "default",
        "description": "default",
        "tenant_id": "acme",
        "project_id": "acme",
    }
    # NOTE: a tenant that only lists gets its own too; nobody sees another's.
    other = v2.get("/security-groups", OTHER).json["security_groups"]
    assert [g["name"] for g in other] == ["default"]
    assert other[0]["id"] != group_id
    assert error(v2.get(f"/security-groups/{group_id}", OTHER)) == (
        404,
        "SecurityGroupNotFound",
    )
    assert {
        g["id"] for g in v2.get("/security-groups", ADMIN).json["security_groups"]
    } >= {group_id, other[0]["id"]}


def test_a_new_group_has_two_egress_rules_and_default_is_reserved(v2: V2) -> None:
    response = v2.post(
        "/security-groups", {"security_group": {"name": "web", "description": "d"}}
    )
    assert response.status == "201 Created"
    made = response.json["security_group"]
    group_id = made["id"]
    assert without_ids(made.pop("security_group_rules")) == [
        wire_rule(group_id, direction="egress"),
        wire_rule(group_id, direction="egress", ethertype="IPv6"),
    ]
    assert made == {
        "id": group_id,
        "name": "web",
        "description": "d",
        "tenant_id": "acme",
        "project_id": "acme",
    }
    refused = v2.post("/security-groups", {"security_group": {"name": "default"}})
    assert error(refused) == (409, "SecurityGroupDefaultAlreadyExists")
    assert refused.json["NeutronError"]["message"] == (
        "Default security group already exists."
    )
    names = sorted(
        g["name"] for g in v2.get("/security-groups").json["security_groups"]
    )
    assert names == ["default", "web"]


def test_rules_echo_every_field_canonical(v2: V2) -> None:
    g = group(v2, name="web")
    made = rule(
        v2,
        g["id"],
        direction="ingress",
        protocol="TCP",
        ethertype="ipV4",
        port_range_min=22,
        port_range_max=22,
        remote_ip_prefix="10.1.2.3/8",
    )
    assert made.status == "201 Created"
    shown = made.json["security_group_rule"]
    assert without_ids([shown]) == [
        wire_rule(
            g["id"],
            protocol="tcp",
            port_range_min=22,
            port_range_max=22,
            remote_ip_prefix="10.0.0.0/8",
        )
    ]
    assert v2.get(f"/security-group-rules/{shown['id']}").json == {
        "security_group_rule": shown
    }
    assert len(rules_of(v2, g["id"])) == 3
    by_group = rule(v2, g["id"], direction="egress", remote_group_id=g["id"])
    assert by_group.json["security_group_rule"]["remote_group_id"] == g["id"]
    icmp = rule(
        v2, g["id"], direction="ingress", protocol="icmp", port_range_min=8
    ).json["security_group_rule"]
    assert (icmp["protocol"], icmp["port_range_min"], icmp["port_range_max"]) == (
        "icmp",
        8,
        None,
    )
    by_number = rule(v2, g["id"], direction="ingress", protocol=132)
    assert by_number.json["security_group_rule"]["protocol"] == "132"
    v6 = rule(
        v2,
        g["id"],
        direction="ingress",
        ethertype="IPv6",
        protocol="icmpv6",
        port_range_min=135,
        port_range_max=0,
        remote_ip_prefix="2001:DB8::/32",
    ).json["security_group_rule"]
    assert (v6["ethertype"], v6["remote_ip_prefix"]) == ("IPv6", "2001:db8::/32")
    listed = v2.get(f"/security-group-rules?security_group_id={g['id']}").json
    assert len(listed["security_group_rules"]) == 7
    assert error(
        v2.put(
            f"/security-group-rules/{shown['id']}",
            {"security_group_rule": {"protocol": "udp"}},
        )
    ) == (400, "InvalidInput")


BAD_RULES: list[tuple[dict[str, Any], str]] = [
    (
        {"remote_ip_prefix": "10.0.0.0/8", "remote_group_id": "SELF"},
        "SecurityGroupRemoteGroupAndRemoteIpPrefix",
    ),
    ({"ethertype": 2}, "InvalidInput"),
    ({"ethertype": "IPv5"}, "InvalidInput"),
    ({"direction": "sideways"}, "InvalidInput"),
    ({"protocol": "tcp/ip"}, "SecurityGroupRuleInvalidProtocol"),
    ({"protocol": 256}, "SecurityGroupRuleInvalidProtocol"),
    ({"protocol": -1}, "SecurityGroupRuleInvalidProtocol"),
    ({"protocol": True}, "SecurityGroupRuleInvalidProtocol"),
    ({"protocol": "256"}, "SecurityGroupRuleInvalidProtocol"),
    ({"protocol": "-1"}, "SecurityGroupRuleInvalidProtocol"),
    ({"protocol": 1000}, "SecurityGroupRuleInvalidProtocol"),
    ({"protocol": "0006"}, "SecurityGroupRuleInvalidProtocol"),
    (
        {"protocol": "tcp", "port_range_min": -1, "port_range_max": 80},
        "SecurityGroupInvalidPortValue",
    ),
    (
        {"protocol": "tcp", "port_range_min": 65536, "port_range_max": 65536},
        "SecurityGroupInvalidPortValue",
    ),
    (
        {"protocol": "6", "port_range_min": 2, "port_range_max": 1},
        "SecurityGroupInvalidPortRange",
    ),
    (
        {"protocol": "icmp", "port_range_min": 8, "port_range_max": 256},
        "SecurityGroupInvalidIcmpValue",
    ),
    # NOTE: a negative value is no port nor ICMP value: refused by the field
    ({"protocol": "icmp", "port_range_min": -1}, "SecurityGroupInvalidPortValue"),
    (
        {"ethertype": "IPv4", "remote_ip_prefix": "::ffff:10.0.0.1"},
        "SecurityGroupRuleParameterConflict",
    ),
    (
        {"protocol": "tcp", "port_range_min": 90, "port_range_max": 80},
        "SecurityGroupInvalidPortRange",
    ),
    (
        {"port_range_min": 80, "port_range_max": 80},
        "SecurityGroupProtocolRequiredWithPorts",
    ),
    (
        {"protocol": "tcp", "port_range_min": 0, "port_range_max": 80},
        "SecurityGroupInvalidPortValue",
    ),
    (
        {"protocol": "udp", "port_range_min": 1, "port_range_max": 65536},
        "SecurityGroupInvalidPortValue",
    ),
    ({"protocol": "udp", "port_range_min": 53}, "SecurityGroupInvalidPortRange"),
    ({"protocol": "tcp", "port_range_max": 80}, "SecurityGroupInvalidPortRange"),
    ({"protocol": "tcp", "port_range_max": 70000}, "SecurityGroupInvalidPortValue"),
    ({"protocol": "tcp", "port_range_min": "x"}, "SecurityGroupInvalidPortValue"),
    (
        {"protocol": "icmp", "port_range_min": 256},
        "SecurityGroupInvalidIcmpValue",
    ),
    (
        {"protocol": "icmp", "port_range_max": 0},
        "SecurityGroupMissingIcmpType",
    ),
    ({"protocol": "gre", "port_range_min": 1}, "InvalidInput"),
    (
        {"ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8"},
        "SecurityGroupRuleParameterConflict",
    ),
    (
        {"ethertype": "IPv4", "remote_ip_prefix": "2001:db8::/32"},
        "SecurityGroupRuleParameterConflict",
    ),
    ({"protocol": "icmpv6"}, "SecurityGroupRuleParameterConflict"),
    ({"remote_ip_prefix": "10.0.0.0/33"}, "InvalidInput"),
    ({"remote_group_id": "not-a-uuid"}, "InvalidInput"),
    ({"security_group_id": "not-a-uuid"}, "InvalidInput"),
    ({"bogus": 1}, "InvalidInput"),
]


@pytest.mark.parametrize(("attrs", "kind"), BAD_RULES)
def test_bad_rules_are_400_and_write_nothing(
    sqlite_v2: V2, attrs: dict[str, Any], kind: str
) -> None:
    v2 = sqlite_v2
    g = group(v2, name="web")
    body = {"direction": "ingress", **attrs}
    if body.get("remote_group_id") == "SELF":
        body["remote_group_id"] = g["id"]
    assert error(rule(v2, g["id"], **body)) == (400, kind)
    assert len(rules_of(v2, g["id"])) == 2
    assert len(v2.get("/security-group-rules").json["security_group_rules"]) == 6


EDGE_RULES: list[dict[str, Any]] = [
    {"protocol": 0},
    {"protocol": "255"},
    {"protocol": "tcp", "port_range_min": 1, "port_range_max": 1},
    {"protocol": "udp", "port_range_min": 65535, "port_range_max": 65535},
    {"protocol": "sctp", "port_range_min": 1, "port_range_max": 65535},
    {"protocol": "icmp", "port_range_min": 255, "port_range_max": 255},
    {"protocol": "icmp", "port_range_min": 0, "port_range_max": 0},
    {"ethertype": "IPv6", "remote_ip_prefix": "::/0"},
    {"ethertype": "IPv4", "remote_ip_prefix": "0.0.0.0/0"},
]


@pytest.mark.parametrize("attrs", EDGE_RULES)
def test_rules_at_the_edges_of_the_ranges_are_taken(
    sqlite_v2: V2, attrs: dict[str, Any]
) -> None:
    """The positive controls of the refusals above: the last value in range is
    stored, and shown as given."""
    v2 = sqlite_v2
    g = group(v2, name="web")
    made = rule(v2, g["id"], direction="ingress", **attrs)
    assert made.status_int == 201, made.body
    shown = made.json["security_group_rule"]
    for key in ("port_range_min", "port_range_max", "remote_ip_prefix"):
        if key in attrs:
            assert shown[key] == attrs[key]
    assert len(rules_of(v2, g["id"])) == 3


def test_a_bulk_of_rules_is_one_group_and_all_or_nothing(v2: V2) -> None:
    a, b = group(v2, name="a"), group(v2, name="b")
    two_groups = {
        "security_group_rules": [
            {"security_group_id": a["id"], "direction": "ingress"},
            {"security_group_id": b["id"], "direction": "ingress"},
        ]
    }
    refused = v2.post("/security-group-rules", two_groups)
    assert error(refused) == (400, "SecurityGroupNotSingleGroupRules")
    # NOTE: one group, two tenants (an admin may name the tenant of each)
    two_tenants = {
        "security_group_rules": [
            {"security_group_id": a["id"], "direction": "ingress", "tenant_id": t}
            for t in ("acme", "other")
        ]
    }
    refused = v2.post("/security-group-rules", two_tenants, ADMIN)
    assert error(refused) == (400, "SecurityGroupNotSingleGroupRules")
    twice = {
        "security_group_rules": [
            {"security_group_id": a["id"], "direction": "ingress", "protocol": "tcp"},
            {"security_group_id": a["id"], "direction": "ingress", "protocol": "6"},
        ]
    }
    assert error(v2.post("/security-group-rules", twice)) == (
        409,
        "DuplicateSecurityGroupRuleInPost",
    )
    assert len(rules_of(v2, a["id"])) == 2
    both = {
        "security_group_rules": [
            {"security_group_id": a["id"], "direction": "ingress", "protocol": "tcp"},
            {"security_group_id": a["id"], "direction": "ingress", "protocol": "udp"},
        ]
    }
    made = v2.post("/security-group-rules", both)
    assert made.status_int == 201
    assert [r["protocol"] for r in made.json["security_group_rules"]] == ["tcp", "udp"]


def test_a_rule_identical_to_one_stored_is_409_compared_exactly(v2: V2) -> None:
    g = group(v2, name="web")
    first = rule(
        v2,
        g["id"],
        direction="ingress",
        protocol="tcp",
        port_range_min=80,
        port_range_max=80,
    ).json["security_group_rule"]
    again = rule(
        v2,
        g["id"],
        direction="ingress",
        protocol="6",
        port_range_min=80,
        port_range_max=80,
    )
    assert error(again) == (409, "SecurityGroupRuleExists")
    assert again.json["NeutronError"]["message"] == (
        f"Security group rule already exists. Rule id is {first['id']}."
    )
    # NOTE: the original compared non-null fields only (spec §7 quirk 4): an
    # any-protocol rule is another rule, and so is one of another port range.
    assert rule(v2, g["id"], direction="ingress").status_int == 201
    assert rule(v2, g["id"], direction="ingress", protocol="tcp").status_int == 201
    assert (
        rule(
            v2,
            g["id"],
            direction="ingress",
            protocol="tcp",
            port_range_min=80,
            port_range_max=81,
        ).status_int
        == 201
    )
    # NOTE: the same rule in another group is no duplicate.
    other = group(v2, name="other")
    assert (
        rule(
            v2,
            other["id"],
            direction="ingress",
            protocol="tcp",
            port_range_min=80,
            port_range_max=80,
        ).status_int
        == 201
    )


def test_groups_and_remote_groups_of_others_are_404(v2: V2) -> None:
    mine = group(v2, name="mine")
    theirs = group(v2, OTHER, name="theirs")
    missing = str(uuid.uuid4())
    assert error(rule(v2, missing, direction="ingress")) == (
        404,
        "SecurityGroupNotFound",
    )
    assert error(rule(v2, theirs["id"], direction="ingress")) == (
        404,
        "SecurityGroupNotFound",
    )
    for remote in (theirs["id"], missing):
        refused = rule(v2, mine["id"], direction="ingress", remote_group_id=remote)
        assert error(refused) == (404, "SecurityGroupNotFound")
    theirs_rule = theirs["security_group_rules"][0]["id"]
    assert error(v2.get(f"/security-group-rules/{theirs_rule}")) == (
        404,
        "SecurityGroupRuleNotFound",
    )
    assert error(v2.delete(f"/security-group-rules/{theirs_rule}")) == (
        404,
        "SecurityGroupRuleNotFound",
    )
    mine_ids = {
        r["security_group_id"]
        for r in v2.get("/security-group-rules").json["security_group_rules"]
    }
    assert theirs["id"] not in mine_ids
    assert error(v2.delete(f"/security-groups/{theirs['id']}")) == (
        404,
        "SecurityGroupNotFound",
    )
    assert error(
        v2.put(f"/security-groups/{theirs['id']}", {"security_group": {"name": "x"}})
    ) == (404, "SecurityGroupNotFound")
    # NOTE: an admin may add a rule to any tenant's group, as that tenant (the
    # group must be the rule's tenant's, whoever asks).
    as_admin = rule(v2, theirs["id"], ADMIN, direction="ingress", protocol="udp")
    assert error(as_admin) == (404, "SecurityGroupNotFound")
    made = rule(
        v2, theirs["id"], ADMIN, tenant_id="other", direction="ingress", protocol="udp"
    )
    assert made.json["security_group_rule"]["tenant_id"] == "other"
    assert len(rules_of(v2, mine["id"])) == 2


def test_an_admin_deletes_a_tenants_default_group(v2: V2) -> None:
    """As in Neutron (and how tempest cleans up the projects it made): an admin may
    delete a default group no port is in; the tenant's next use makes a new one."""
    net = v2.network()
    default = default_group(v2)
    port = v2.port(net["id"])
    assert error(v2.delete(f"/security-groups/{default}", ADMIN)) == (
        409,
        "SecurityGroupInUse",
    )
    assert v2.delete(f"/ports/{port['id']}").status_int == 204
    assert error(v2.delete(f"/security-groups/{default}")) == (
        409,
        "SecurityGroupCannotRemoveDefault",
    )
    assert v2.delete(f"/security-groups/{default}", ADMIN).status_int == 204
    assert error(v2.get(f"/security-groups/{default}")) == (
        404,
        "SecurityGroupNotFound",
    )
    again = default_group(v2)
    assert again != default
    assert v2.port(net["id"])["security_groups"] == [again]


def test_delete_default_in_use_and_remote_groups(v2: V2) -> None:
    net = v2.network()
    default = default_group(v2)
    refused = v2.delete(f"/security-groups/{default}")
    assert error(refused) == (409, "SecurityGroupCannotRemoveDefault")
    renamed = v2.put(f"/security-groups/{default}", {"security_group": {"name": "x"}})
    assert error(renamed) == (409, "SecurityGroupCannotUpdateDefault")
    described = v2.put(
        f"/security-groups/{default}", {"security_group": {"description": "mine"}}
    )
    assert described.json["security_group"]["description"] == "mine"
    web = group(v2, name="web")
    db = group(v2, name="db")
    from_web = rule(v2, db["id"], direction="ingress", remote_group_id=web["id"])
    port = v2.port(net["id"], security_groups=[web["id"]])
    in_use = v2.delete(f"/security-groups/{web['id']}")
    assert error(in_use) == (409, "SecurityGroupInUse")
    assert in_use.json["NeutronError"]["message"] == (
        f"Security Group {web['id']} in use."
    )
    assert v2.delete(f"/ports/{port['id']}").status_int == 204
    assert v2.delete(f"/security-groups/{web['id']}").status_int == 204
    assert error(v2.get(f"/security-groups/{web['id']}")) == (
        404,
        "SecurityGroupNotFound",
    )
    # NOTE: the rules naming it as their remote group went with it.
    rule_id = from_web.json["security_group_rule"]["id"]
    assert error(v2.get(f"/security-group-rules/{rule_id}")) == (
        404,
        "SecurityGroupRuleNotFound",
    )
    assert len(rules_of(v2, db["id"])) == 2
    one = rules_of(v2, db["id"])[0]["id"]
    assert v2.delete(f"/security-group-rules/{one}").status_int == 204
    assert len(rules_of(v2, db["id"])) == 1
    renamed = v2.put(
        f"/security-groups/{db['id']}", {"security_group": {"name": "db2"}}
    )
    assert renamed.json["security_group"]["name"] == "db2"
    to_default = v2.put(
        f"/security-groups/{db['id']}", {"security_group": {"name": "default"}}
    )
    assert error(to_default) == (409, "SecurityGroupDefaultAlreadyExists")


def test_ports_security_groups(v2: V2) -> None:
    net = v2.network()
    default = default_group(v2)
    a, b = group(v2, name="a"), group(v2, name="b")
    assert v2.port(net["id"])["security_groups"] == [default]
    both = v2.port(net["id"], security_groups=[b["id"], a["id"], a["id"]])
    assert both["security_groups"] == sorted([a["id"], b["id"]])
    path = f"/ports/{both['id']}"
    assert v2.put(path, {"port": {"security_groups": [b["id"]]}}).json["port"][
        "security_groups"
    ] == [b["id"]]
    assert v2.put(path, {"port": {"name": "x"}}).json["port"]["security_groups"] == [
        b["id"]
    ]
    empties: tuple[list[str] | None, ...] = ([], None)
    for empty in empties:
        shown = v2.put(path, {"port": {"security_groups": [a["id"]]}})
        assert shown.json["port"]["security_groups"] == [a["id"]]
        shown = v2.put(path, {"port": {"security_groups": empty}})
        assert shown.json["port"]["security_groups"] == []
    assert v2.get(path).json["port"]["security_groups"] == []
    for bad in (["bad_id"], "not_valid", [1]):
        refused = v2.put(path, {"port": {"security_groups": bad}})
        assert error(refused) == (400, "InvalidInput")
    theirs = group(v2, OTHER, name="theirs")
    for foreign in (theirs["id"], str(uuid.uuid4())):
        refused = v2.put(path, {"port": {"security_groups": [foreign]}})
        assert error(refused) == (404, "SecurityGroupNotFound")
        created = v2.post(
            "/ports", {"port": {"network_id": net["id"], "security_groups": [foreign]}}
        )
        assert error(created) == (404, "SecurityGroupNotFound")
    assert len(v2.get("/ports").json["ports"]) == 2
    dhcp = v2.port(net["id"], device_owner="network:dhcp")
    assert dhcp["security_groups"] == []


def test_port_security(v2: V2) -> None:
    open_net = v2.network(port_security_enabled=False)
    assert open_net["port_security_enabled"] is False
    net = v2.network()
    g = group(v2, name="g")
    free = v2.port(open_net["id"])
    assert (free["port_security_enabled"], free["security_groups"]) == (False, [])
    guarded = v2.port(open_net["id"], port_security_enabled=True)
    assert guarded["security_groups"] == [default_group(v2)]
    refused = v2.post(
        "/ports",
        {
            "port": {
                "network_id": net["id"],
                "port_security_enabled": False,
                "security_groups": [g["id"]],
            }
        },
    )
    assert error(refused) == (409, "PortSecurityPortHasSecurityGroup")
    port = v2.port(net["id"], security_groups=[g["id"]])
    path = f"/ports/{port['id']}"
    off = v2.put(path, {"port": {"port_security_enabled": False}})
    assert error(off) == (409, "PortSecurityPortHasSecurityGroup")
    assert v2.get(path).json["port"]["port_security_enabled"] is True
    both = v2.put(
        path, {"port": {"port_security_enabled": False, "security_groups": []}}
    )
    assert both.status_int == 200
    assert (
        both.json["port"]["port_security_enabled"],
        both.json["port"]["security_groups"],
    ) == (False, [])
    join = v2.put(path, {"port": {"security_groups": [g["id"]]}})
    assert error(join) == (409, "PortSecurityPortHasSecurityGroup")
    # NOTE: the group is not in use: nothing was written.
    other_port = v2.put(
        path, {"port": {"port_security_enabled": True, "security_groups": [g["id"]]}}
    )
    assert other_port.json["port"]["security_groups"] == [g["id"]]
    changed = v2.put(
        f"/networks/{net['id']}", {"network": {"port_security_enabled": 0}}
    )
    assert changed.json["network"]["port_security_enabled"] is False
    assert v2.get(path).json["port"]["port_security_enabled"] is True


def test_a_v1_port_has_port_security_off_and_v2_may_turn_it_on(v2: V2) -> None:
    net = v2.network()
    v1 = "/v1.1/tenants/acme/networks/" + net["id"] + "/ports.json"
    made = v2.client.post(v1, {"port": {"state": "ACTIVE"}}).json["port"]
    seen = v2.get(f"/ports/{made['id']}").json["port"]
    assert (seen["port_security_enabled"], seen["security_groups"]) == (False, [])
    beside = v2.port(net["id"])  # NOTE: control: v2's default on the same network
    assert beside["port_security_enabled"] is True
    assert beside["security_groups"] == [default_group(v2)]
    on = v2.put(f"/ports/{made['id']}", {"port": {"port_security_enabled": True}})
    assert on.status_int == 200
    assert on.json["port"]["port_security_enabled"] is True


def test_allowed_address_pairs(v2: V2) -> None:
    net = v2.network()
    port = v2.port(
        net["id"],
        allowed_address_pairs=[
            {"ip_address": "10.0.0.7"},
            {"ip_address": "10.9.9.9/24", "mac_address": "FA:16:3E:00:00:01"},
        ],
    )
    assert port["allowed_address_pairs"] == [
        {"ip_address": "10.0.0.7", "mac_address": port["mac_address"]},
        {"ip_address": "10.9.9.0/24", "mac_address": "fa:16:3e:00:00:01"},
    ]
    path = f"/ports/{port['id']}"
    assert (
        v2.get(path).json["port"]["allowed_address_pairs"]
        == port["allowed_address_pairs"]
    )
    replaced = v2.put(
        path, {"port": {"allowed_address_pairs": [{"ip_address": "2001:db8::5"}]}}
    )
    assert replaced.json["port"]["allowed_address_pairs"] == [
        {"ip_address": "2001:db8::5", "mac_address": port["mac_address"]}
    ]
    for bad, kind in (
        ([{"ip_address": "10.0.0.300"}], "InvalidInput"),
        ([{"mac_address": "fa:16:3e:00:00:01"}], "InvalidInput"),
        ([{"ip_address": "10.0.0.1", "mac_address": "zz"}], "InvalidInput"),
        ([{"ip_address": "10.0.0.1", "bogus": 1}], "InvalidInput"),
        ("10.0.0.1", "InvalidInput"),
        (
            [{"ip_address": "10.0.0.1"}, {"ip_address": "10.0.0.1"}],
            "DuplicateAddressPairInRequest",
        ),
        (
            [{"ip_address": f"10.0.1.{i}"} for i in range(11)],
            "AllowedAddressPairExhausted",
        ),
    ):
        refused = v2.put(path, {"port": {"allowed_address_pairs": bad}})
        assert error(refused) == (400, kind), bad
    assert len(v2.get(path).json["port"]["allowed_address_pairs"]) == 1
    off = v2.put(
        path, {"port": {"port_security_enabled": False, "security_groups": []}}
    )
    assert error(off) == (409, "AddressPairAndPortSecurityRequired")
    cleared = v2.put(
        path,
        {
            "port": {
                "port_security_enabled": False,
                "security_groups": [],
                "allowed_address_pairs": [],
            }
        },
    )
    assert cleared.json["port"]["allowed_address_pairs"] == []
    again = v2.put(
        path, {"port": {"allowed_address_pairs": [{"ip_address": "1.2.3.4"}]}}
    )
    assert error(again) == (409, "AddressPairAndPortSecurityRequired")


def test_quotas_of_groups_and_rules(v2: V2) -> None:
    v2.put(
        "/quotas/acme",
        {"quota": {"security_group": 2, "security_group_rule": 7}},
        ADMIN,
    )
    g = group(v2, name="one")  # NOTE: the default group counts: 2 of 2, rules 6
    refused = v2.post("/security-groups", {"security_group": {"name": "two"}})
    assert error(refused) == (409, "OverQuota")
    assert rule(v2, g["id"], direction="ingress", protocol="tcp").status_int == 201
    assert error(rule(v2, g["id"], direction="ingress", protocol="udp")) == (
        409,
        "OverQuota",
    )
    details = v2.get("/quotas/acme/details").json["quota"]
    assert details["security_group"] == {"used": 2, "limit": 2, "reserved": 0}
    assert details["security_group_rule"] == {"used": 7, "limit": 7, "reserved": 0}
    assert group(v2, OTHER, name="theirs")


def test_extensions_are_listed(v2: V2) -> None:
    for alias in ("security-group", "port-security", "allowed-address-pairs"):
        shown = v2.get(f"/extensions/{alias}")
        assert shown.status_int == 200, alias
        assert shown.json["extension"]["alias"] == alias


def _everything(v2: V2) -> dict[str, Any]:
    """All groups, rules and ports of every tenant, as an admin reads them."""
    return {
        path: v2.get(f"/{path}", ADMIN).json[path.replace("-", "_")]
        for path in ("security-groups", "security-group-rules", "ports")
    }


def test_each_refusal_of_the_issue_says_the_spec_message_and_writes_nothing(
    v2: V2,
) -> None:
    """Issue 15's "Bad input and faults", one request each: the status, the type,
    the original's message word for word, and every group, rule and port (of
    every tenant) as it was."""
    net = v2.network()
    default = default_group(v2)
    web = group(v2, name="web")
    theirs = group(v2, OTHER, name="theirs")
    in_use = v2.port(net["id"], security_groups=[web["id"]])
    cases: list[tuple[str, str, dict[str, Any], int, str, str]] = [
        (
            "POST",
            "/security-group-rules",
            {"protocol": 256},
            400,
            "SecurityGroupRuleInvalidProtocol",
            "Security group rule protocol 256 not supported. Only protocol values ",
        ),
        (
            "POST",
            "/security-group-rules",
            {"protocol": "tcp", "port_range_min": 0, "port_range_max": 80},
            400,
            "SecurityGroupInvalidPortValue",
            "Invalid value for port 0",
        ),
        (
            "POST",
            "/security-group-rules",
            {"protocol": "udp", "port_range_min": 1, "port_range_max": 65536},
            400,
            "SecurityGroupInvalidPortValue",
            "Invalid value for port 65536",
        ),
        (
            "POST",
            "/security-group-rules",
            {"protocol": "tcp", "port_range_min": 81, "port_range_max": 80},
            400,
            "SecurityGroupInvalidPortRange",
            "For TCP/UDP protocols, port_range_min must be <= port_range_max",
        ),
        (
            "POST",
            "/security-group-rules",
            {"ethertype": "IPv6", "remote_ip_prefix": "10.0.0.0/8"},
            400,
            "SecurityGroupRuleParameterConflict",
            "Conflicting value ethertype IPv6 for CIDR 10.0.0.0/8",
        ),
        (
            "POST",
            "/security-group-rules",
            {"remote_group_id": theirs["id"]},
            404,
            "SecurityGroupNotFound",
            f"Security group {theirs['id']} does not exist",
        ),
        (
            "POST",
            "/security-group-rules",
            {"remote_group_id": web["id"], "remote_ip_prefix": "10.0.0.0/8"},
            400,
            "SecurityGroupRemoteGroupAndRemoteIpPrefix",
            "Only remote_ip_prefix or remote_group_id may be provided.",
        ),
        (
            "POST",
            "/security-group-rules",
            {"port_range_min": 80, "port_range_max": 80},
            400,
            "SecurityGroupProtocolRequiredWithPorts",
            "Must also specify protocol if port range is given.",
        ),
        (
            "DELETE",
            f"/security-groups/{default}",
            {},
            409,
            "SecurityGroupCannotRemoveDefault",
            "Insufficient rights for removing default security group.",
        ),
        (
            "DELETE",
            f"/security-groups/{web['id']}",
            {},
            409,
            "SecurityGroupInUse",
            f"Security Group {web['id']} in use.",
        ),
        (
            "POST",
            "/ports",
            {"port_security_enabled": False, "security_groups": [web["id"]]},
            409,
            "PortSecurityPortHasSecurityGroup",
            "Port has security group associated. Cannot disable port security or "
            "ip address until security group is removed",
        ),
        (
            "PUT",
            f"/ports/{in_use['id']}",
            {"port_security_enabled": False},
            409,
            "PortSecurityPortHasSecurityGroup",
            "Port has security group associated. Cannot disable port security or "
            "ip address until security group is removed",
        ),
        (
            "PUT",
            f"/ports/{in_use['id']}",
            {"security_groups": [theirs["id"]]},
            404,
            "SecurityGroupNotFound",
            f"Security group {theirs['id']} does not exist",
        ),
    ]
    before = _everything(v2)
    for method, path, attrs, status, kind, message in cases:
        if path == "/security-group-rules":
            body: Any = {
                "security_group_rule": {
                    "security_group_id": web["id"],
                    "direction": "ingress",
                    **attrs,
                }
            }
            answer = v2.post(path, body)
        elif path == "/ports":
            answer = v2.post(path, {"port": {"network_id": net["id"], **attrs}})
        elif method == "PUT":
            answer = v2.put(path, {"port": attrs})
        else:
            answer = v2.delete(path)
        assert error(answer) == (status, kind), (path, attrs)
        said = answer.json["NeutronError"]["message"]
        if kind == "SecurityGroupRuleInvalidProtocol":
            assert said.startswith(message), said
            assert said.endswith(
                " and integer representations [0 to 255] are supported."
            ), said
        else:
            assert said == message, (path, attrs)
        assert _everything(v2) == before, (path, attrs)
    # NOTE: the positive control: the snapshot does see a write
    assert rule(v2, web["id"], direction="ingress", protocol=255).status_int == 201
    assert _everything(v2) != before


def test_a_tenant_cannot_filter_its_way_to_anothers_groups_or_rules(v2: V2) -> None:
    theirs = group(v2, OTHER, name="theirs")
    for path in ("security-groups", "security-group-rules"):
        key = path.replace("-", "_")
        assert v2.get(f"/{path}?tenant_id=other").json[key] == []
        # NOTE: control: the owner and an admin see them with the same filter
        assert v2.get(f"/{path}?tenant_id=other", OTHER).json[key] != []
        assert v2.get(f"/{path}?tenant_id=other", ADMIN).json[key] != []
    assert v2.get(f"/security-groups?id={theirs['id']}").json["security_groups"] == []
    assert (
        v2.get(f"/security-group-rules?security_group_id={theirs['id']}").json[
            "security_group_rules"
        ]
        == []
    )
    # a network's port_security_enabled is on unless said otherwise
    assert v2.network()["port_security_enabled"] is True


def test_ids_no_back_end_can_keep_are_refused_at_the_edge(v2: V2) -> None:
    """A NUL in a group or rule id, in the path or in a body, never reaches the
    store (PostgreSQL cannot keep it; the store no longer asks): 404 for the path,
    400 for the body. Each has its control with an id the store has."""
    net = v2.network()
    mine = group(v2, name="mine")
    IN = {"direction": "ingress"}
    made = rule(v2, mine["id"], direction="ingress", protocol="tcp")
    assert made.status_int == 201, made.body
    rule_id = made.json["security_group_rule"]["id"]
    for path, good in (
        ("/security-groups/a%00b", f"/security-groups/{mine['id']}"),
        ("/security-group-rules/a%00b", f"/security-group-rules/{rule_id}"),
    ):
        assert v2.get(path).status_int == 404, path
        assert v2.delete(path).status_int == 404, path
        assert v2.get(good).status_int == 200, good
    renamed = v2.put("/security-groups/a%00b", {"security_group": {"name": "x"}})
    assert renamed.status_int == 404
    bodies: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        (
            "/ports",
            {"port": {"network_id": net["id"], "security_groups": ["a\x00b"]}},
            {"port": {"network_id": net["id"], "security_groups": [mine["id"]]}},
        ),
        (
            "/security-group-rules",
            {"security_group_rule": {"security_group_id": "a\x00b", **IN}},
            {"security_group_rule": {"security_group_id": mine["id"], **IN}},
        ),
        (
            "/security-group-rules",
            {
                "security_group_rule": {
                    "security_group_id": mine["id"],
                    "remote_group_id": "a\x00b",
                    **IN,
                }
            },
            {
                "security_group_rule": {
                    "security_group_id": mine["id"],
                    "remote_group_id": mine["id"],
                    **IN,
                }
            },
        ),
    ]
    for at, refused, accepted in bodies:
        assert error(v2.post(at, refused)) == (400, "InvalidInput"), refused
        assert v2.post(at, accepted).status_int == 201, accepted
    port = v2.port(net["id"])
    moved = v2.put(f"/ports/{port['id']}", {"port": {"security_groups": ["\x00"]}})
    assert error(moved) == (400, "InvalidInput")
    assert v2.get(f"/ports/{port['id']}").json["port"]["security_groups"] != []
