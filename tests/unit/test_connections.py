# SPDX-License-Identifier: Apache-2.0
"""The connection table: who is closed to make room at the cap."""

from __future__ import annotations

import socket

from quantum.connections import ConnectionTable


class Conn:
    def __init__(self, name: str) -> None:
        self.name = name
        self.shut = False

    def shutdown(self, how: int) -> None:
        assert how == socket.SHUT_RDWR
        self.shut = True


def test_the_longest_waiting_connection_goes_first_and_served_ones_never() -> None:
    table = ConnectionTable(3)
    a, b, c, d = (Conn(n) for n in "abcd")
    for conn in (a, b, c):
        table.opened(conn)
    table.serving(a)  # a request of a's is in the app
    table.serving(b)
    table.waiting(b)  # b answered; now an idle keep-alive, newest in line

    assert table.make_room()
    assert (a.shut, b.shut, c.shut) == (False, False, True)
    table.opened(d)
    assert table.make_room()
    assert (a.shut, b.shut, d.shut) == (False, True, False)
    assert table.shed == 2
    assert len(table) == 2
    assert table.clients == 1  # a; b was a client until it was closed


def test_no_room_while_every_connection_is_served() -> None:
    table = ConnectionTable(1)
    a = Conn("a")
    table.opened(a)
    table.serving(a)
    assert not table.make_room()
    assert not a.shut
    table.closed(a)
    assert table.make_room()
