# SPDX-License-Identifier: Apache-2.0
"""``quantum.plugins.core.ports``: a prepared page's rows grouped per port."""

from __future__ import annotations

from typing import Any

from quantum.db.models import PORT_FIELDS
from quantum.ipam.store import fixed_ip
from quantum.plugins.core.ports import _grouper

WIDTH = len(PORT_FIELDS)


def _row(port: str, subnet: str | None, address: str | None, at: int | None) -> Any:
    values = [f"{port}-{name}" for name in PORT_FIELDS]
    values[0] = port
    return (*values, subnet, address, at)


def test_a_ports_addresses_come_by_position_and_values_through_processors() -> None:
    """The rows of a page joined with its addresses (by the page's order only):
    each port once, its values through their columns' processors, its
    addresses ordered by position (the statement does not order them)."""
    created = PORT_FIELDS.index("created_at")
    processors: list[Any] = [None] * (WIDTH + 3)
    processors[created] = str.upper
    grouped = _grouper(tuple(processors))
    rows = [
        _row("p1", None, None, None),
        _row("p2", "s1", "10.0.0.9", 2),
        _row("p2", "s2", "fd00::5", 0),
        _row("p2", "s1", "10.0.0.4", 1),
        _row("p3", "s1", "10.0.0.3", 0),
    ]
    found = grouped(rows)
    assert [values[0] for values, _ in found] == ["p1", "p2", "p3"]
    assert [ips for _, ips in found] == [
        (),
        (
            fixed_ip("s2", "fd00::5"),
            fixed_ip("s1", "10.0.0.4"),
            fixed_ip("s1", "10.0.0.9"),
        ),
        (fixed_ip("s1", "10.0.0.3"),),
    ]
    p2 = found[1][0]
    assert len(p2) == WIDTH
    assert p2[created] == "P2-CREATED_AT"
    # control: a column without a processor is the value as fetched
    assert p2[1] == "p2-network_id"
    assert _grouper(tuple([None] * (WIDTH + 3)))(rows)[1][0][created] == (
        "p2-created_at"
    )
