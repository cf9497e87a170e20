# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

from quantum.api.v1 import filters
from quantum.core.networks import Network
from quantum.core.ports import Port
from quantum.core.status import OpStatus


def port(pid: str, up: bool, attachment: str | None = None) -> Port:
    return Port(
        id=pid,
        network_id="n",
        tenant_id="t",
        admin_state_up=up,
        status=OpStatus.UP,
        attachment=attachment,
    )


P1 = port("p1", True, "vif")
P2 = port("p2", False)
NET1 = Network(id="n1", tenant_id="t", name="a", status=OpStatus.UP, ports=(P1, P2))
NET2 = Network(id="n2", tenant_id="t", name="b", status=OpStatus.UP, ports=())


def test_no_query_keeps_everything() -> None:
    assert filters.ports([P1, P2], {}) == [P1, P2]


def test_keys_are_anded() -> None:
    assert filters.ports([P1, P2], {"state": "ACTIVE", "attachment": "vif"}) == [P1]
    assert filters.ports([P1, P2], {"state": "DOWN", "attachment": "vif"}) == []


def test_last_repeated_value_wins() -> None:
    query = filters.last_values([("name", "a"), ("name", "b")])
    assert filters.networks([NET1, NET2], query) == [NET2]


def test_only_unknown_keys_match_nothing_but_are_ignored_beside_known_ones() -> None:
    assert filters.networks([NET1, NET2], {"foo": "bar"}) == []
    assert filters.networks([NET1, NET2], {"foo": "bar", "name": "a"}) == [NET1]


def test_has_attachment_is_true_only_for_true() -> None:
    assert filters.ports([P1, P2], {"has-attachment": "TRUE"}) == [P1]
    for other in ("false", "yes", "1"):
        assert filters.ports([P1, P2], {"has-attachment": other}) == [P2]
    assert filters.networks([NET1, NET2], {"has-attachment": "no"}) == [NET2]


def test_network_filters_on_ports() -> None:
    assert filters.networks([NET1, NET2], {"port-state": "DOWN"}) == [NET1]
    assert filters.networks([NET1, NET2], {"port": "p2"}) == [NET1]
    assert filters.networks([NET1, NET2], {"port-op-status": "UP"}) == [NET1]
    assert filters.networks([NET1, NET2], {"attachment": "nope"}) == []
