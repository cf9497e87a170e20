# SPDX-License-Identifier: Apache-2.0
"""How many transactions and SQL statements a v2 show and update cost.

Each statement is a round trip to PostgreSQL or MariaDB, and each transaction adds
its BEGIN and COMMIT: these counts are what bench/api_v2.py's show and rename
figures pay for, so they are pinned here and cannot grow unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.api.v2.client import ADMIN, V2, error, tenant
from tests.api.v2.test_subnets import subnet
from tests.conftest import make_api


@dataclass
class Counted:
    transactions: int = 0
    statements: list[str] = field(default_factory=list)


@pytest.fixture
def count() -> Iterator[Callable[[Callable[[], Any]], Counted]]:
    """``count(call)``: the transactions begun and the statements run by ``call``
    (every engine of the process; SQLite's own BEGIN is not a statement)."""
    current: list[Counted] = []

    def on_begin(_conn: Any) -> None:
        if current:
            current[0].transactions += 1

    def on_statement(*args: Any) -> None:
        sql = str(args[2]).strip()
        if current and not sql.upper().startswith("BEGIN"):
            current[0].statements.append(sql.split()[0].upper())

    event.listen(Engine, "begin", on_begin)
    event.listen(Engine, "before_cursor_execute", on_statement)

    def run(call: Callable[[], Any]) -> Counted:
        current[:] = [Counted()]
        try:
            call()
        finally:
            found = current.pop()
        return found

    yield run
    event.remove(Engine, "begin", on_begin)
    event.remove(Engine, "before_cursor_execute", on_statement)


def test_show_port_is_one_statement(v2: V2, count: Any) -> None:
    net = v2.network(name="n")
    subnet(v2, net["id"], "10.0.0.0/24")
    port = v2.port(net["id"])
    shown: list[Any] = []
    counted = count(lambda: shown.append(v2.get(f"/ports/{port['id']}")))
    assert shown[0].status_int == 200
    assert shown[0].json["port"]["fixed_ips"] == port["fixed_ips"]
    assert (counted.transactions, counted.statements) == (1, ["SELECT"])


def counted_get(count: Any, get: Callable[..., Any], *args: Any) -> tuple[Any, Counted]:
    """``get(*args)``'s answer, and what it cost (``count``)."""
    answers: list[Any] = []
    counted = count(lambda: answers.append(get(*args)))
    return answers[0], counted


def test_show_network_is_one_statement(v2: V2, count: Any) -> None:
    """A network with its segment (shown to an admin only) and its subnets, oldest
    first, in one SELECT (was three: the network, its segment, its subnets); who
    may not see it still finds nothing."""
    net = v2.network(name="n", description="about n")
    assert v2.put(f"/networks/{net['id']}/tags/blue", None).status_int == 201
    first = subnet(v2, net["id"], "10.0.0.0/24")
    second = subnet(v2, net["id"], "10.0.1.0/24")
    bare = v2.network(name="bare", shared=True, as_=ADMIN)
    for caller, shows_segment in ((tenant("acme"), False), (ADMIN, True)):
        shown, counted = counted_get(count, v2.get, f"/networks/{net['id']}", caller)
        assert shown.status_int == 200, shown.body
        network = shown.json["network"]
        assert network["subnets"] == [first["id"], second["id"]]
        assert (network["name"], network["description"]) == ("n", "about n")
        assert network["tags"] == ["blue"]
        assert network["revision_number"] > net["revision_number"]
        segment = v2.plugin == "openvswitch" and shows_segment
        assert ("provider:network_type" in network) == segment
        assert (counted.transactions, counted.statements) == (1, ["SELECT"])
    shown, counted = counted_get(
        count, v2.get, f"/networks/{bare['id']}", tenant("other")
    )
    assert shown.status_int == 200, shown.body
    assert shown.json["network"]["subnets"] == []
    assert (counted.transactions, counted.statements) == (1, ["SELECT"])
    hidden = v2.get(f"/networks/{net['id']}", tenant("other"))
    assert hidden.status_int == 404
    assert hidden.json["NeutronError"]["type"] == "NetworkNotFound"


def test_list_networks_is_two_statements(v2: V2, count: Any) -> None:
    """A page of networks with their segments, then their subnets (one query for
    the page)."""
    nets = [v2.network(name=f"n{i}") for i in range(3)]
    made = {
        nets[0]["id"]: [subnet(v2, nets[0]["id"], "10.0.0.0/24")["id"]],
        nets[1]["id"]: [],
        nets[2]["id"]: [
            subnet(v2, nets[2]["id"], "10.0.2.0/24")["id"],
            subnet(v2, nets[2]["id"], "10.0.3.0/24")["id"],
        ],
    }
    listed: list[Any] = []
    counted = count(lambda: listed.append(v2.get("/networks")))
    assert listed[0].status_int == 200, listed[0].body
    found = {n["id"]: n["subnets"] for n in listed[0].json["networks"]}
    assert found == made
    for network in listed[0].json["networks"]:
        assert network == v2.get(f"/networks/{network['id']}").json["network"]
    assert (counted.transactions, counted.statements) == (1, ["SELECT", "SELECT"])


@pytest.mark.parametrize("ports", [0, 2])
def test_v1_network_reads_are_one_statement(
    sqlite_v2: V2, count: Any, ports: int
) -> None:
    """The v1 door's list (detail) and show of the tenant's networks, and the show
    with its ports (was two statements: the network, then its ports), each one
    SELECT; another tenant's network is still not found."""
    client = sqlite_v2.client
    base = "/v1.1/tenants/acme/networks"
    net = client.request("POST", f"{base}.json", {"network": {"name": "n"}}, {})
    net_id = net.json["network"]["id"]
    made = []
    for _ in range(ports):
        answer = client.request(
            "POST", f"{base}/{net_id}/ports.json", {"port": {"state": "ACTIVE"}}, {}
        )
        made.append(answer.json["port"]["id"])
    if made:
        plug = {"attachment": {"id": "vif-1"}}
        path = f"{base}/{net_id}/ports/{made[0]}/attachment.json"
        assert client.request("PUT", path, plug, {}).status_int == 204
    expected = {
        "networks": [{"id": net_id, "name": "n", "op-status": "UP"}],
    }
    for path, answer in (
        (f"{base}/detail.json", expected),
        (f"{base}/{net_id}.json", {"network": expected["networks"][0]}),
        (
            f"{base}/{net_id}/detail.json",
            {
                "network": {
                    **expected["networks"][0],
                    "ports": [
                        {
                            "id": port_id,
                            "state": "ACTIVE",
                            "op-status": "DOWN",
                            **({"attachment": {"id": "vif-1"}} if i == 0 else {}),
                        }
                        for i, port_id in enumerate(made)
                    ],
                }
            },
        ),
    ):
        got, counted = counted_get(count, client.get, path)
        assert got.status_int == 200, got.body
        assert got.json == answer
        assert (counted.transactions, counted.statements) == (1, ["SELECT"])
    for path in (f"{base}/{net_id}.json", f"{base}/{net_id}/detail.json"):
        other = path.replace("/acme/", "/other/")
        missing = client.get(other)
        assert missing.status_int == 404
        assert missing.json["QuantumError"]["type"] == "NetworkNotFound"


@pytest.fixture(params=("sqlite", "postgresql", "mysql"))
def on_each(
    request: pytest.FixtureRequest, scratch_dir: Path, tmp_path: Path
) -> tuple[str, V2]:
    """The SQL plugin on each back-end, and the back-end's name."""
    api = make_api(f"sql-{request.param}", scratch_dir, tmp_path)
    return request.param, V2(api.client, api.plugin)


def test_rename_port_is_one_transaction(v2: V2, count: Any) -> None:
    net = v2.network(name="n")
    subnet(v2, net["id"], "10.0.0.0/24")
    port = v2.port(net["id"], name="old")
    answers: list[Any] = []
    counted = count(
        lambda: answers.append(
            v2.put(f"/ports/{port['id']}", {"port": {"name": "new"}})
        )
    )
    assert answers[0].status_int == 200, answers[0].body
    assert answers[0].json["port"]["name"] == "new"
    assert answers[0].json["port"]["fixed_ips"] == port["fixed_ips"]
    # NOTE: the port with its addresses, its UPDATE, the store revision's bump.
    assert counted.transactions == 1
    assert counted.statements[:2] == ["SELECT", "UPDATE"]
    assert counted.statements[2:] in (["UPDATE"], ["WITH"])
    assert v2.get(f"/ports/{port['id']}").json["port"]["name"] == "new"


def test_rename_network_is_one_transaction(v2: V2, count: Any) -> None:
    net = v2.network(name="old")
    answers: list[Any] = []
    counted = count(
        lambda: answers.append(
            v2.put(f"/networks/{net['id']}", {"network": {"name": "new"}})
        )
    )
    assert answers[0].status_int == 200, answers[0].body
    assert answers[0].json["network"]["name"] == "new"
    # NOTE: the network, its segment, its subnets, its UPDATE, the revision's bump.
    assert counted.transactions == 1
    assert counted.statements[:4] == ["SELECT", "SELECT", "SELECT", "UPDATE"]
    assert counted.statements[4:] in (["UPDATE"], ["WITH"])


def test_rename_subnet_is_one_transaction(v2: V2, count: Any) -> None:
    net = v2.network(name="n")
    made = subnet(v2, net["id"], "10.0.0.0/24", name="old")
    answers: list[Any] = []
    counted = count(
        lambda: answers.append(
            v2.put(f"/subnets/{made['id']}", {"subnet": {"name": "new"}})
        )
    )
    assert answers[0].status_int == 200, answers[0].body
    assert answers[0].json["subnet"]["name"] == "new"
    assert counted.transactions == 1


def test_denied_rename_reads_as_missing_and_changes_nothing(v2: V2, count: Any) -> None:
    net = v2.network(name="n")
    port = v2.port(net["id"], name="mine")
    answers: list[Any] = []
    counted = count(
        lambda: answers.append(
            v2.put(
                f"/ports/{port['id']}", {"port": {"name": "theirs"}}, tenant("other")
            )
        )
    )
    assert answers[0].status_int == 404
    assert counted.transactions == 1
    assert "UPDATE" not in counted.statements
    assert v2.get(f"/ports/{port['id']}").json["port"]["name"] == "mine"


# NOTE: a port create, either door, one of a tenant with a port limit: the
# network with its subnets, each with its lowest free range, the tenant's port
# limit and default security group (one SELECT; on SQLite also the tenant's port
# count: its writers are one at a time, so that count is the quota check), the
# port, and with a subnet the allocation of the range's first address, then the
# store revision's bump (one UPDATE: on SQLite and MariaDB a trigger stamps the
# topics, migration 0025). On SQLite and MariaDB the port's INSERT writes its
# binding to the default group, on MariaDB it also locks the tenant's quota row
# and counts its ports, and the allocation's INSERT takes the address from the
# range read (triggers, migration 0027). On PostgreSQL the port, its binding,
# the range, the allocation and the tenant's quota_checks row are one statement
# of data-modifying WITHs, and the count is the COMMIT's (a trigger, migration
# 0024). No SAVEPOINT anywhere. With BEGIN and COMMIT, a port with an address
# is 6 statements on SQLite, 5 on PostgreSQL, 6 on MariaDB (8, 5 and 10 before
# 0027; 12, 15 and 15 before issue 16).
BUMP = ["UPDATE"]
QUOTA = ["SELECT"]
CREATE_PORT = {
    "sqlite": ["SELECT", "INSERT", *BUMP],
    "postgresql": ["SELECT", "WITH", "WITH"],
    "mysql": ["SELECT", "INSERT", *BUMP],
}
CREATE_PORT_ON_SUBNET = {
    "sqlite": ["SELECT", "INSERT", "INSERT", *BUMP],
    "postgresql": ["SELECT", "WITH", "WITH"],
    "mysql": ["SELECT", "INSERT", "INSERT", *BUMP],
}


def test_create_port_statements(on_each: tuple[str, V2], count: Any) -> None:
    backend, v2 = on_each
    bare = v2.network(name="bare")
    net = v2.network(name="n")
    subnet(v2, net["id"], "10.0.0.0/24")
    made: list[Any] = []
    counted = count(lambda: made.append(v2.port(bare["id"])))
    assert made[0]["fixed_ips"] == []
    assert made[0]["security_groups"] != []
    assert (counted.transactions, counted.statements) == (1, CREATE_PORT[backend])
    for expected in ("10.0.0.2", "10.0.0.3"):
        counted = count(lambda: made.append(v2.port(net["id"])))
        assert made[-1]["fixed_ips"] == [
            {"subnet_id": made[-1]["fixed_ips"][0]["subnet_id"], "ip_address": expected}
        ]
        assert made[-1]["security_groups"] == made[0]["security_groups"]
        assert (counted.transactions, counted.statements) == (
            1,
            CREATE_PORT_ON_SUBNET[backend],
        )
    listed = v2.get(f"/ports?network_id={net['id']}").json["ports"]
    assert sorted(p["fixed_ips"][0]["ip_address"] for p in listed) == [
        "10.0.0.2",
        "10.0.0.3",
    ]
    # NOTE: the ports are bound to their group (a trigger's rows, migration 0027).
    (group,) = made[0]["security_groups"]
    in_use = v2.delete(f"/security-groups/{group}", ADMIN)
    assert error(in_use) == (409, "SecurityGroupInUse")


def test_a_refused_port_create_writes_nothing(
    on_each: tuple[str, V2], count: Any
) -> None:
    """Over the tenant's port limit (MariaDB: counted by the port's INSERT, a
    trigger of migration 0027) and with no address left: the right 409, in as
    many statements as a create at most, and nothing of the refused port: the
    address it would have taken is the next create's."""
    backend, v2 = on_each
    net = v2.network(name="n")
    subnet(v2, net["id"], "10.0.0.0/29")  # NOTE: five addresses, .2 to .6
    first = v2.port(net["id"])
    limited = v2.put("/quotas/acme", {"quota": {"port": 1}}, ADMIN)
    assert limited.status_int == 200, limited.body
    answers: list[Any] = []
    counted = count(
        lambda: answers.append(v2.post("/ports", {"port": {"network_id": net["id"]}}))
    )
    assert error(answers[-1]) == (409, "OverQuota")
    assert len(counted.statements) <= len(CREATE_PORT_ON_SUBNET[backend])
    assert v2.put("/quotas/acme", {"quota": {"port": 10}}, ADMIN).status_int == 200
    made = [v2.port(net["id"]) for _ in range(4)]
    assert [p["fixed_ips"][0]["ip_address"] for p in [first, *made]] == [
        f"10.0.0.{i}" for i in range(2, 7)
    ]
    full = v2.post("/ports", {"port": {"network_id": net["id"]}})
    assert error(full) == (409, "IpAddressGenerationFailure")
    listed = v2.get(f"/ports?network_id={net['id']}").json["ports"]
    assert sorted(p["id"] for p in listed) == sorted(p["id"] for p in [first, *made])


def test_v1_create_and_delete_port_statements(
    on_each: tuple[str, V2], count: Any
) -> None:
    backend, v2 = on_each
    client = v2.client
    net = v2.network(name="n")
    base = f"/v1.1/tenants/acme/networks/{net['id']}/ports"
    answers: list[Any] = []
    counted = count(
        lambda: answers.append(
            client.request("POST", base + ".json", {"port": {"state": "ACTIVE"}}, {})
        )
    )
    assert answers[0].status_int == 202, answers[0].body
    # NOTE: as a v2 port's (a v1 port has port security off, so no binding).
    assert (counted.transactions, counted.statements) == (1, CREATE_PORT[backend])
    port_id = answers[0].json["port"]["id"]
    # NOTE: the port on the tenant's network and whether it holds an address (one
    # SELECT; it holds none, so no hold to write), its DELETE and the revision's
    # bump.
    counted = count(
        lambda: answers.append(client.request("DELETE", f"{base}/{port_id}.json"))
    )
    assert answers[1].status_int == 204, answers[1].body
    assert (counted.transactions, counted.statements) == (
        1,
        ["SELECT", "DELETE", *(["WITH"] if backend == "postgresql" else BUMP)],
    )
    assert client.request("GET", f"{base}/{port_id}.json").status_int == 404


@pytest.mark.parametrize("ports", [0, 3])
def test_v1_list_of_a_networks_ports_is_one_statement(
    sqlite_v2: V2, count: Any, ports: int
) -> None:
    """The tenant's network and its ports, oldest first, in one SELECT (the v1
    door's detail list); another tenant's network is still not found."""
    client = sqlite_v2.client
    net = sqlite_v2.network(name="n")
    base = f"/v1.1/tenants/acme/networks/{net['id']}/ports"
    made = []
    states = ["ACTIVE", "DOWN", "ACTIVE"][:ports]
    for state in states:
        answer = client.request("POST", base + ".json", {"port": {"state": state}}, {})
        made.append(answer.json["port"]["id"])
    listed: list[Any] = []
    counted = count(lambda: listed.append(client.get(f"{base}/detail.json")))
    assert listed[0].status_int == 200, listed[0].body
    shown = listed[0].json["ports"]
    assert [(p["id"], p["state"]) for p in shown] == list(
        zip(made, states, strict=True)
    )
    assert (counted.transactions, counted.statements) == (1, ["SELECT"])
    other = f"/v1.1/tenants/other/networks/{net['id']}/ports/detail.json"
    missing = client.get(other)
    assert missing.status_int == 404
    assert missing.json["QuantumError"]["type"] == "NetworkNotFound"


def test_list_ports_is_one_statement(v2: V2, count: Any) -> None:
    """A page of ports with their tags, groups, port security and address pairs
    (columns of the port's row) and their addresses (joined to the page)."""
    net = v2.network(name="n")
    subnet(v2, net["id"], "10.0.0.0/24")
    made = [v2.port(net["id"]) for _ in range(3)]
    pairs = [{"ip_address": "10.0.0.200"}]
    changed = v2.put(
        f"/ports/{made[0]['id']}", {"port": {"allowed_address_pairs": pairs}}
    )
    assert changed.status_int == 200, changed.body
    assert v2.put(f"/ports/{made[1]['id']}/tags/blue", None).status_int == 201
    listed: list[Any] = []
    counted = count(lambda: listed.append(v2.get("/ports")))
    assert listed[0].status_int == 200
    ports = {p["id"]: p for p in listed[0].json["ports"]}
    assert set(ports) == {p["id"] for p in made}
    for port in made:
        assert ports[port["id"]]["fixed_ips"] == port["fixed_ips"]
        assert ports[port["id"]]["security_groups"] == port["security_groups"] != []
    assert ports[made[0]["id"]]["allowed_address_pairs"] == [
        {"ip_address": "10.0.0.200", "mac_address": made[0]["mac_address"]}
    ]
    assert ports[made[1]["id"]]["tags"] == ["blue"]
    assert ports[made[2]["id"]]["tags"] == []
    assert (counted.transactions, counted.statements) == (1, ["SELECT"])


# NOTE: a network create, either door: the tenant's network limit and its default
# security group (one SELECT), the network, then the tenant's network count with
# its limit as committed (as a port create's), the store revision and the feed
# topics; the tenant's first also makes its default group (under a savepoint: the
# group, the tenant's default row, its four rules).
CREATE_NETWORK = ["SELECT", "INSERT", *QUOTA, *BUMP]
FIRST_NETWORK = [
    "SELECT",
    *["SAVEPOINT", "INSERT", "INSERT", "INSERT", "RELEASE"],
    *CREATE_NETWORK[1:],
]


def test_create_network_statements(sqlite_v2: V2, count: Any) -> None:
    v2 = sqlite_v2
    made: list[Any] = []
    counted = count(lambda: made.append(v2.network(name="first")))
    assert (counted.transactions, counted.statements) == (1, FIRST_NETWORK)
    groups = v2.get("/security-groups").json["security_groups"]
    assert [g["name"] for g in groups] == ["default"]
    counted = count(lambda: made.append(v2.network(name="second")))
    assert (counted.transactions, counted.statements) == (1, CREATE_NETWORK)
    assert v2.get("/security-groups").json["security_groups"] == groups


def test_v1_create_network_statements(sqlite_v2: V2, count: Any) -> None:
    client = sqlite_v2.client
    base = "/v1.1/tenants/acme/networks.json"
    answers: list[Any] = []
    for expected in (FIRST_NETWORK, CREATE_NETWORK):
        counted = count(
            lambda: answers.append(
                client.request("POST", base, {"network": {"name": "n"}}, {})
            )
        )
        assert answers[-1].status_int == 202, answers[-1].body
        assert (counted.transactions, counted.statements) == (1, expected)
    ids = {a.json["network"]["id"] for a in answers}
    listed = client.request("GET", base).json["networks"]
    assert {n["id"] for n in listed} == ids


def test_list_ports_without_fixed_ips_is_one_statement(
    sqlite_v2: V2, count: Any
) -> None:
    """``fields=`` that do not ask for the addresses skip their query; asking for
    them (or for every field) reads them."""
    v2 = sqlite_v2
    net = v2.network(name="n")
    subnet(v2, net["id"], "10.0.0.0/24")
    port = v2.port(net["id"], name="p")
    listed: list[Any] = []
    counted = count(lambda: listed.append(v2.get("/ports?fields=id&fields=name")))
    assert listed[0].json["ports"] == [{"id": port["id"], "name": "p"}]
    assert (counted.transactions, counted.statements) == (1, ["SELECT"])
    counted = count(lambda: listed.append(v2.get("/ports?fields=fixed_ips")))
    assert listed[1].json["ports"] == [{"fixed_ips": port["fixed_ips"]}]
    assert port["fixed_ips"] != []
    assert counted.statements == ["SELECT", "SELECT"]
    counted = count(lambda: listed.append(v2.get("/ports?fields=status")))
    assert listed[2].json["ports"] == [{"status": port["status"]}]
