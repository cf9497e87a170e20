# SPDX-License-Identifier: Apache-2.0
"""The connection table: who is closed to make room at the cap."""

from __future__ import annotations

import socket

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


_HEADER_TEXT = st.lists(
    st.sampled_from(list("Aa-_:; \t\r\n\xe9!~0") + ["\r\n", ": ", "From "]),
    max_size=24,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(st.lists(_HEADER_TEXT, max_size=6), st.sampled_from(["\r\n", "\n", ""]))
def test_request_headers_parse_as_the_standard_library_parses_them(
    lines: list[str], end: str
) -> None:
    """``connections.parse_headers`` (PERF: plain lines without the email
    parser) gives the message the standard library's parser gives."""
    import email.parser
    import http.client
    import io

    from quantum.connections import Headers, parse_headers

    raw = ("".join(lines) + end).encode("iso-8859-1") + b"BODY"
    text = b"".join(http.client._read_headers(io.BytesIO(raw)))  # type: ignore[attr-defined]
    expected = email.parser.Parser(_class=Headers).parsestr(text.decode("iso-8859-1"))
    found = parse_headers(io.BytesIO(raw), _class=Headers)
    assert type(found) is Headers
    assert found._headers == expected._headers  # type: ignore[attr-defined]
    assert found.get_payload() == expected.get_payload()
    assert [type(d) for d in found.defects] == [type(d) for d in expected.defects]
    assert found.get_unixfrom() == expected.get_unixfrom()


def test_a_plain_request_has_its_headers() -> None:
    import io

    from quantum.connections import Headers, parse_headers

    raw = b"Host: a:1\r\nX-Roles:  admin, member \r\nX-A: 1\r\nX-A: 2\r\n\r\n{}"
    found = parse_headers(io.BytesIO(raw), _class=Headers)
    assert found.items() == [
        ("Host", "a:1"),
        ("X-Roles", "admin, member "),
        ("X-A", "1"),
        ("X-A", "2"),
    ]
    assert found.get_all("x-a") == ["1", "2"]


_NAMES = st.sampled_from(["Host", "host", "X-A", "x-a", "Content-Type", "Expect", "B"])


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(_NAMES, st.sampled_from(["1", " 2 ", "", "v\xe9"])), max_size=6),
    st.lists(
        st.tuples(st.sampled_from(["set", "del", "replace", "add"]), _NAMES),
        max_size=4,
    ),
)
def test_a_header_read_by_name_is_the_email_messages(
    lines: list[tuple[str, str]], changes: list[tuple[str, str]]
) -> None:
    """``Headers.get`` (PERF: a dict of the first values) answers what
    ``email.message.Message.get`` answers, before and after the message changes."""
    import email.message
    import io

    from quantum.connections import Headers, parse_headers

    raw = "".join(f"{k}: {v}\r\n" for k, v in lines).encode("iso-8859-1") + b"\r\n"
    found = parse_headers(io.BytesIO(raw), _class=Headers)
    names = ["Host", "HOST", "x-a", "X-A", "content-type", "expect", "b", "none"]

    def same() -> None:
        for name in names:
            expected = email.message.Message.get(found, name, "missing")
            assert found.get(name, "missing") == expected
            assert found[name] == email.message.Message.get(found, name)

    same()
    for i, (change, name) in enumerate(changes):
        if change == "set":
            found[name] = f"set{i}"
        elif change == "del":
            del found[name]
        elif change == "replace" and name in found:
            found.replace_header(name, f"replaced{i}")
        elif change == "add":
            found.add_header(name, f"added{i}")
        same()


@given(st.text(alphabet="aZ-_\xe9\u0130 1", max_size=12))
def test_a_header_name_is_capitalized_as_eventlet_capitalizes_it(name: str) -> None:
    """``capitalized`` (made once per name) is eventlet's per-response code."""
    from quantum.connections import capitalized

    def cap(x: str) -> str:  # NOTE: eventlet.wsgi's start_response
        return x.encode("latin1").capitalize().decode("latin1")

    try:
        expected = "-".join([cap(x) for x in name.split("-")])
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            capitalized(name)
        return
    assert capitalized(name) == expected


@given(st.floats(min_value=0, max_value=4_000_000_000, allow_nan=False))
def test_dates_made_once_a_second_are_eventlets_and_the_stdlibs(stamp: float) -> None:
    """The Date header and the access line's time, made once a second, read as
    eventlet and the standard library make them for that moment."""
    import http.server  # noqa: PLC0415
    import time  # noqa: PLC0415

    import eventlet.wsgi  # noqa: PLC0415

    from quantum import connections  # noqa: PLC0415

    date = eventlet.wsgi.format_date_time
    assert (
        date(stamp)
        == date(int(stamp))
        == connections.per_second(
            lambda s: time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(s))
        )(stamp)
    )
    year, month, day, hh, mm, ss, *_ = time.localtime(stamp)
    month_name = http.server.BaseHTTPRequestHandler.monthname[month]
    expected = "%02d/%3s/%04d %02d:%02d:%02d" % (day, month_name, year, hh, mm, ss)  # noqa: UP031
    assert connections._access_time(stamp) == expected
