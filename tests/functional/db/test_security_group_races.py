# SPDX-License-Identifier: Apache-2.0
"""Security groups under concurrency, over HTTP, against a real quantum-server with
two API workers, on SQLite, PostgreSQL and MariaDB.

A group deleted while ports are created in it (or updated to join it) must give
answers of a serial order: the delete refuses (409, a port is in it) or the port
write fails (404, the group is gone); an acknowledged port is never left in a
group that is gone, nor the group deleted under it (the bindings' foreign key,
migration 0018). Eight creations of one rule at once give one rule (its unique
index).
"""

from __future__ import annotations

import http.client
import json
import threading
from collections import Counter
from typing import Any

from quantum.testing.server import ServerProcess
from tests.functional.plugins.test_delete_races import (
    STAGGER,
    Tally,
    call,
    race,
    report,
    server,
)

__all__ = ["server"]  # NOTE: the fixture, imported for pytest

ROUNDS = 40


def group_round(server: ServerProcess, tally: Tally, net_id: str) -> None:
    status, body = call(
        server, "POST", "/v2.0/security-groups", {"security_group": {"name": "g"}}
    )
    assert status == 201, body
    group_id = body["security_group"]["id"]
    status, body = call(server, "POST", "/v2.0/ports", {"port": {"network_id": net_id}})
    assert status == 201, body
    joiner = body["port"]["id"]
    made: list[str] = []
    deleted: list[int] = []

    def create() -> None:
        port = {"network_id": net_id, "security_groups": [group_id]}
        status, body = call(server, "POST", "/v2.0/ports", {"port": port})
        tally.statuses[f"create {status}"] += 1
        if status == 201:
            made.append(body["port"]["id"])

    def join() -> None:
        change = {"port": {"security_groups": [group_id]}}
        status, _ = call(server, "PUT", f"/v2.0/ports/{joiner}", change)
        tally.statuses[f"update {status}"] += 1
        if status == 200:
            made.append(joiner)

    def delete() -> None:
        status, _ = call(server, "DELETE", f"/v2.0/security-groups/{group_id}")
        tally.statuses[f"delete {status}"] += 1
        deleted.append(status)

    race(delete, create, join, lag=STAGGER[tally.rounds % len(STAGGER)])
    tally.rounds += 1
    for port_id in made:
        status, body = call(server, "GET", f"/v2.0/ports/{port_id}")
        if status != 200 or body["port"]["security_groups"] != [group_id]:
            tally.lost.append(port_id)
    if made and deleted == [204]:
        tally.lost.append(f"group {group_id} deleted under {made}")
    for port_id in {*made, joiner}:
        assert call(server, "DELETE", f"/v2.0/ports/{port_id}")[0] == 204
    if deleted != [204]:
        assert call(server, "DELETE", f"/v2.0/security-groups/{group_id}")[0] == 204


def test_group_delete_never_loses_an_acknowledged_port_write(
    server: ServerProcess,
) -> None:
    status, body = call(server, "POST", "/v2.0/networks", {"network": {}})
    assert status == 201, body
    tally = Tally()
    for _ in range(ROUNDS):
        group_round(server, tally, body["network"]["id"])

    report("security group delete vs port create and update", tally)
    assert tally.lost == []
    assert tally.server_errors() == 0
    # NOTE: the positive controls: both orders happened, so the rounds did race.
    assert tally.statuses["delete 409"] > 0
    assert tally.statuses["delete 204"] > 0
    assert tally.statuses["create 201"] + tally.statuses["update 200"] > 0


def test_eight_creations_of_one_rule_make_one(server: ServerProcess) -> None:
    statuses: Counter[int] = Counter()
    for n in range(5):
        status, body = call(
            server,
            "POST",
            "/v2.0/security-groups",
            {"security_group": {"name": f"g{n}"}},
        )
        assert status == 201, body
        group_id = body["security_group"]["id"]
        rule = {
            "security_group_rule": {
                "security_group_id": group_id,
                "direction": "ingress",
                "protocol": "tcp",
                "port_range_min": 22,
                "port_range_max": 22,
            }
        }
        barrier = threading.Barrier(8)
        found: list[tuple[int, Any]] = []

        def post(
            body: Any = rule,
            barrier: threading.Barrier = barrier,
            found: list[tuple[int, Any]] = found,
        ) -> None:
            barrier.wait()
            found.append(call(server, "POST", "/v2.0/security-group-rules", body))

        threads = [threading.Thread(target=post) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        statuses.update(status for status, _ in found)
        assert sorted(status for status, _ in found) == [201] + [409] * 7, found
        assert {
            body["NeutronError"]["type"] for status, body in found if status == 409
        } == {"SecurityGroupRuleExists"}
        status, body = call(server, "GET", f"/v2.0/security-groups/{group_id}")
        assert len(body["security_group"]["security_group_rules"]) == 3
    print(f"\neight creations of one rule, 5 rounds: {dict(statuses)}")  # noqa: T201


def _as(
    server: ServerProcess, tenant: str | None, method: str, path: str, body: Any = None
) -> tuple[int, Any]:
    """``call`` as ``tenant`` (None: no project header, an admin under noauth)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if tenant is not None:
        headers["X-Project-Id"] = tenant
    try:
        conn.request(method, path, json.dumps(body) if body else None, headers)
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read() or b"null")
    finally:
        conn.close()


def test_eight_first_uses_at_once_make_one_default_group(
    server: ServerProcess,
) -> None:
    """A new tenant's first requests, all at once (networks, ports, a group,
    listings): every one succeeds and the tenant has one ``default`` group, with
    its four rules, which every port got."""
    status, body = _as(
        server,
        None,
        "POST",
        "/v2.0/networks",
        {"network": {"tenant_id": "t-admin", "shared": True}},
    )
    assert status == 201, body
    shared = body["network"]["id"]
    for n in range(5):
        tenant = f"t-first-{n}"
        requests = [
            ("POST", "/v2.0/networks", {"network": {"name": "n"}}),
            ("POST", "/v2.0/networks", {"network": {"name": "n"}}),
            ("POST", "/v2.0/ports", {"port": {"network_id": shared}}),
            ("POST", "/v2.0/ports", {"port": {"network_id": shared}}),
            ("POST", "/v2.0/ports", {"port": {"network_id": shared}}),
            ("POST", "/v2.0/security-groups", {"security_group": {"name": "g"}}),
            ("GET", "/v2.0/security-groups", None),
            ("GET", "/v2.0/security-groups", None),
        ]
        barrier = threading.Barrier(len(requests))
        answers: list[tuple[int, Any]] = []

        def send(
            request: tuple[str, str, Any],
            tenant: str = tenant,
            barrier: threading.Barrier = barrier,
            answers: list[tuple[int, Any]] = answers,
        ) -> None:
            barrier.wait()
            answers.append(_as(server, tenant, *request))

        threads = [threading.Thread(target=send, args=(r,)) for r in requests]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        assert sorted(s for s, _ in answers) == [200] * 2 + [201] * 6, answers
        status, body = _as(server, tenant, "GET", "/v2.0/security-groups")
        assert status == 200, body
        groups = {g["name"]: g for g in body["security_groups"]}
        assert sorted(g["name"] for g in body["security_groups"]) == ["default", "g"]
        default = groups["default"]
        assert len(default["security_group_rules"]) == 4
        ports = [b["port"] for s, b in answers if "port" in b]
        assert [p["security_groups"] for p in ports] == [[default["id"]]] * 3
        for status, body in answers:
            if status == 200:
                names = [g["name"] for g in body["security_groups"]]
                assert names.count("default") == 1, names
