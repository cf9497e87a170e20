# SPDX-License-Identifier: Apache-2.0
"""What one client connection may hold of a serving process, and for how long.

eventlet's WSGI server gives each connection a green thread from a pool (1,000 by
default) and lets a silent client keep it for the socket timeout; a few thousand
connections that send nothing, or a header a byte at a time, then starve everyone
else. Here each serving process bounds them:

* **a cap** (``max_client_connections``): at the cap, accepting a connection first
  closes the one that has waited longest for its request (an idle keep-alive, or a
  request still arriving). Connections whose request is being served are never
  closed; when all are, accepting waits for one to finish.
* **deadlines**: a request's line and headers must arrive within
  ``client_header_timeout`` seconds (from the connection opening, or from the first
  byte of a request on a kept-alive one), its body within ``client_body_timeout``
  (then it is answered 408 and the connection closed); a kept-alive connection may
  wait ``client_idle_timeout`` for its next request.

Used by ``quantum.server`` (after eventlet's monkey patching).
"""

from __future__ import annotations

import email.parser
import errno
import functools
import http.client
import http.server
import logging
import re
import socket
import sys
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import eventlet
import eventlet.greenio
import eventlet.hubs
import eventlet.wsgi

from quantum.core import log

LOG = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]

ACCEPT_DEFER = 0.0003
ACCEPT_DEFER_MAX = 0.005
"""Seconds a worker waits, per connection it holds, before accepting (capped)."""
FULL_RETRY = 0.01
"""Seconds between two looks for room when every connection is being served."""
NO_FDS = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
WARN_EVERY = 60.0
"""Seconds between two warnings that connections are being shed."""


@dataclass(frozen=True, slots=True)
class ClientLimits:
    max_connections: int
    header_timeout: float
    body_timeout: float
    idle_timeout: float


class ConnectionTable:
    """The open client connections of one process; the waiting ones (not being
    served) in the order they started to wait, so the longest-waiting is first."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._open: set[Any] = set()
        self._waiting: OrderedDict[Any, None] = OrderedDict()
        self._clients: set[Any] = set()
        """Connections that have sent at least one whole request."""
        self.shed = 0
        """Connections closed to make room, since the process started."""
        self._warned_at = -WARN_EVERY
        self._warned_shed = 0

    def __len__(self) -> int:
        return len(self._open)

    @property
    def clients(self) -> int:
        """Open connections that have sent a whole request: real clients, which
        the balanced listener spreads (a crawling one costs nothing to hold)."""
        return len(self._clients)

    def opened(self, conn: Any) -> None:
        self._open.add(conn)
        self._waiting[conn] = None

    def serving(self, conn: Any) -> None:
        self._waiting.pop(conn, None)
        self._clients.add(conn)

    def waiting(self, conn: Any) -> None:
        if conn in self._open:
            self._waiting[conn] = None
            self._waiting.move_to_end(conn)

    def closed(self, conn: Any) -> None:
        self._open.discard(conn)
        self._waiting.pop(conn, None)
        self._clients.discard(conn)

    def make_room(self) -> bool:
        """Close waiting connections, longest-waiting first, until one more fits
        under the cap; False if every connection is being served."""
        while len(self._open) >= self.cap:
            if not self.shed_one():
                return False
        return True

    def shed_one(self) -> bool:
        """Close the connection that has waited longest; False if none waits."""
        if not self._waiting:
            return False
        conn, _ = self._waiting.popitem(last=False)
        self._open.discard(conn)
        self._clients.discard(conn)
        # NOTE: shutdown, not close: the green thread reading it wakes with EOF and
        # closes it itself (closing a socket another one waits on is an error in
        # eventlet).
        eventlet.greenio.shutdown_safe(conn)
        self.shed += 1
        self._warn()
        return True

    def _warn(self) -> None:
        now = time.monotonic()
        if self.shed > self._warned_shed and now - self._warned_at >= WARN_EVERY:
            LOG.warning(
                "%d client connection(s) open (max_client_connections = %d): closed "
                "%d that waited longest for a request",
                len(self._open),
                self.cap,
                self.shed - self._warned_shed,
            )
            self._warned_at, self._warned_shed = now, self.shed


class Listener:
    """The listening socket as eventlet's server sees it: it accepts only when the
    table has room (making some), and, when ``balanced`` (several workers share the
    socket), a busy worker first defers to idle ones.

    Every worker is woken for each new connection and the first to call accept()
    wins, so long-lived keep-alive connections land on workers at random (7 of 8
    on one of two workers is common), and one core does the work of two. A balanced
    worker first waits ``ACCEPT_DEFER`` seconds per client it already holds, so
    the least loaded worker that is awake takes the connection. Only connections
    that have sent a whole request count: thousands that crawl must not slow the
    accepting down (each wait is paid by every connection queued behind).
    """

    def __init__(self, sock: socket.socket, table: ConnectionTable, balanced: bool):
        self.sock = sock
        self.raw: socket.socket = getattr(sock, "fd", sock)
        self.raw.setblocking(False)
        self.table = table
        self.balanced = balanced
        self.family = sock.family

    def accept(self) -> tuple[socket.socket, Any]:
        while True:
            while not self.table.make_room():
                eventlet.sleep(FULL_RETRY)
            eventlet.hubs.trampoline(self.sock.fileno(), read=True)
            held = self.table.clients
            if self.balanced and held:
                eventlet.sleep(min(ACCEPT_DEFER * held, ACCEPT_DEFER_MAX))
            try:
                client, address = self.raw.accept()
            except BlockingIOError:
                continue  # NOTE: another worker took it, as intended
            except OSError as error:
                if error.errno not in NO_FDS:
                    raise
                # NOTE: out of descriptors: free one (a waiting connection), else
                # let the ones being served finish first.
                LOG.warning("cannot accept a connection: %s", error.strerror)
                if not self.table.shed_one():
                    eventlet.sleep(FULL_RETRY)
                continue
            eventlet.hubs.notify_opened(client.fileno())
            conn = eventlet.greenio.GreenSocket(client)
            self.table.opened(conn)
            return conn, address

    def getsockname(self) -> Any:
        return self.sock.getsockname()

    def fileno(self) -> int:
        return self.sock.fileno()

    def close(self) -> None:
        self.sock.close()


class BodyTimeout(BaseException):  # noqa: N818  # NOTE: a signal, as GreenletExit
    """The request body did not arrive in ``client_body_timeout``.

    A BaseException, so the app's own ``except Exception`` (which would make it a
    500) lets it through to ``bounded``, which answers 408.
    """


class DeadlineInput:
    """``wsgi.input`` that must be read to its end before ``deadline``."""

    def __init__(
        self,
        raw: Any,
        conn: Any,
        deadline: float,
        per_read: float,
        expired: Callable[[], None],
    ) -> None:
        self._raw = raw
        self._conn = conn
        self._deadline = deadline
        self._per_read = per_read
        self._expired = expired

    def _call(self, method: Callable[..., Any], *args: Any) -> Any:
        left = self._deadline - time.monotonic()
        if left > 0:
            self._conn.settimeout(min(left, self._per_read))
            try:
                return method(*args)
            except TimeoutError:
                pass
            finally:
                self._conn.settimeout(self._per_read)
        self._expired()
        raise BodyTimeout

    def read(self, *args: Any) -> bytes:
        return self._call(self._raw.read, *args)  # type: ignore[no-any-return]

    def readline(self, *args: Any) -> bytes:
        return self._call(self._raw.readline, *args)  # type: ignore[no-any-return]

    def readlines(self, *args: Any) -> list[bytes]:
        return self._call(self._raw.readlines, *args)  # type: ignore[no-any-return]

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


TIMEOUT_BODY = b"The request body did not arrive in time.\n"


@functools.lru_cache(maxsize=512)
def capitalized(name: str) -> str:
    """A response header's name as eventlet sends it (``capitalize_response_headers``:
    each ``-``-separated part capitalized, ``X-OpenStack-Request-Id`` ->
    ``X-Openstack-Request-Id``).

    PERF: made once per name (``Protocol``), not for each header of each response
    (eventlet's, ~4 us a header here)."""
    return "-".join(
        part.encode("latin1").capitalize().decode("latin1") for part in name.split("-")
    )


def bounded(app: WsgiApp) -> WsgiApp:
    """``app``, answering 408 (and closing) when a body arrives too slowly."""

    def serve(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        try:
            return app(environ, start_response)
        except BodyTimeout:
            LOG.info("the request body did not arrive in time; closing")
            start_response(
                "408 Request Timeout",
                [
                    ("Content-Type", "text/plain"),
                    ("Content-Length", str(len(TIMEOUT_BODY))),
                ],
                sys.exc_info(),
            )
            return [TIMEOUT_BODY]

    return serve


class Headers(http.client.HTTPMessage):
    """A request's headers as ``Protocol`` reads them (its ``MessageClass``).

    PERF: ``get`` (what the standard library and eventlet read a request's
    headers with, nine times a request) from a dict of each name's first value,
    made at the first ``get`` and dropped by every change, not a scan of every
    line lowercasing each name."""

    _first: dict[str, Any] | None = None

    def get(self, name: str, failobj: Any = None) -> Any:
        first = self._first
        if first is None:
            first = {}
            for key, value in self._headers:  # type: ignore[attr-defined]
                lowered = key.lower()
                if lowered not in first:
                    first[lowered] = self.policy.header_fetch_parse(key, value)
            self._first = first
        return first.get(name.lower(), failobj)

    def __setitem__(self, name: str, value: Any) -> None:
        self._first = None
        super().__setitem__(name, value)

    def __delitem__(self, name: str) -> None:
        self._first = None
        super().__delitem__(name)

    def set_raw(self, name: str, value: Any) -> None:
        self._first = None
        super().set_raw(name, value)

    def add_header(self, _name: str, _value: str, **_params: Any) -> None:
        self._first = None
        super().add_header(_name, _value, **_params)

    def replace_header(self, _name: str, _value: Any) -> None:
        self._first = None
        super().replace_header(_name, _value)

    def set_boundary(self, boundary: str) -> None:
        self._first = None
        super().set_boundary(boundary)


_SIMPLE_HEADER = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\r\n]*\r?\n")
"""A header line that is one ``name: value`` (no folding, no stray CR)."""

_parse_headers = http.client.parse_headers


def parse_headers(fp: Any, _class: Any = http.client.HTTPMessage) -> Any:
    """``http.client.parse_headers``, which ``Protocol`` (and eventlet, through
    ``BaseHTTPRequestHandler.parse_request``) reads a request's headers with.

    PERF: for ``Headers`` whose every line is a plain ``name: value``, the
    message the email parser would make (its ``compat32`` header parse: the name
    before the first colon, the value after it without leading blanks or the line
    end), without the email parser (a sixth of a small request's time). Anything
    else, and every other caller's, goes to the standard library."""
    if _class is not Headers:
        return _parse_headers(fp, _class=_class)
    lines = [
        line.decode("iso-8859-1")
        for line in http.client._read_headers(fp)  # type: ignore[attr-defined]
    ]
    if lines[-1] in ("\r\n", "\n") and all(
        _SIMPLE_HEADER.fullmatch(line) for line in lines[:-1]
    ):
        message = _class()
        for line in lines[:-1]:
            name, value = line.split(":", 1)
            message.set_raw(name, value.lstrip(" \t").rstrip("\r\n"))
        message.set_payload("")
        return message
    return email.parser.Parser(_class=_class).parsestr("".join(lines))


# NOTE: the standard library's own for every caller but Protocol.
http.client.parse_headers = parse_headers


def per_second(format_time: Callable[[float], str]) -> Callable[[float], str]:
    """``format_time`` of a timestamp, made once a second (it shows whole seconds).

    PERF: eventlet formats each response's ``Date`` header, and the access line
    its time, per request (~3% of a small request's server time)."""
    last: tuple[int, str] = (-1, "")

    def formatted(timestamp: float) -> str:
        nonlocal last
        second = int(timestamp)
        if last[0] != second:
            last = (second, format_time(second))
        return last[1]

    return formatted


# NOTE: what eventlet's responses' Date header is made with.
eventlet.wsgi.format_date_time = per_second(eventlet.wsgi.format_date_time)
_access_time = per_second(
    lambda second: (
        "%02d/%3s/%04d %02d:%02d:%02d"  # noqa: UP031  # NOTE: the stdlib's
        % (
            (t := time.localtime(second)).tm_mday,
            http.server.BaseHTTPRequestHandler.monthname[t.tm_mon],
            t.tm_year,
            t.tm_hour,
            t.tm_min,
            t.tm_sec,
        )
    )
)


class Protocol(eventlet.wsgi.HttpProtocol):  # type: ignore[misc]  # NOTE: untyped base
    """eventlet's HTTP/1.1 protocol with the deadlines and the table above.

    Also logs each access line under the id the app gave the request: the app's
    request-id filter has reset the id by the time eventlet writes the access line,
    so we bind it again from the environ in eventlet's post-request hook.
    """

    table: ConnectionTable
    limits: ClientLimits
    MessageClass = Headers

    def setup(self) -> None:
        super().setup()
        self._served = 0
        self._header_timer: eventlet.Timeout | None = None
        self._constant_environ: dict[str, Any] | None = None

    def _request_started(self) -> bool:
        """Wait for the first byte of the next request: ``header_timeout`` on a new
        connection, ``idle_timeout`` on a kept-alive one. False if none came."""
        wait = self.limits.idle_timeout if self._served else self.limits.header_timeout
        self.connection.settimeout(wait)
        try:
            return bool(self.rfile.peek(1))
        except OSError:  # NOTE: timed out, reset, or shut down to make room
            return False
        finally:
            self.connection.settimeout(self.server.socket_timeout)

    def handle_one_request(self) -> None:
        if not self._request_started():
            self.close_connection = 1
            return
        self._header_timer = eventlet.Timeout(self.limits.header_timeout)
        try:
            super().handle_one_request()
        except eventlet.Timeout as timeout:
            if timeout is not self._header_timer:
                raise
            LOG.info(
                "closing a connection whose request headers took over %s s",
                self.limits.header_timeout,
            )
            self.close_connection = 1
        finally:
            self._header_timer.cancel()
            self._served += 1
            self.table.waiting(self.connection)

    def get_environ(self) -> dict[str, Any]:
        """eventlet's ``HttpProtocol.get_environ``, the same environ (``Input``,
        hooks, headers as ``HTTP_*``; ``SERVER_PROTOCOL`` HTTP/1.0 as eventlet's).

        PERF: what is the same for every request of a connection (the server's
        ``wsgi.*`` keys, the two addresses: a ``getsockname()`` system call) made
        at its first request, not at each."""
        constant = self._constant_environ
        if constant is None:
            constant = self.server.get_environ()
            server_host, server_port = eventlet.wsgi.addr_to_host_port(
                self.request.getsockname()
            )
            client_host, client_port = eventlet.wsgi.addr_to_host_port(
                self.client_address
            )
            constant.update(
                SCRIPT_NAME="",
                SERVER_PROTOCOL="HTTP/1.0",
                SERVER_NAME=server_host,
                SERVER_PORT=str(server_port),
                REMOTE_ADDR=client_host,
                REMOTE_PORT=str(client_port),
                GATEWAY_INTERFACE="CGI/1.1",
            )
            self._constant_environ = constant
        env = dict(constant)
        env["REQUEST_METHOD"] = self.command
        path, query = self.path.split("?", 1) if "?" in self.path else (self.path, None)
        env["RAW_PATH_INFO"] = path
        env["PATH_INFO"] = urllib.parse.unquote(path, encoding="latin1")
        if query is not None:
            env["QUERY_STRING"] = query
        headers = self.headers
        content_type = headers.get("content-type")
        if content_type is None:
            content_type = headers.get_content_type()
        env["CONTENT_TYPE"] = content_type
        length = headers.get("content-length")
        if length:
            env["CONTENT_LENGTH"] = length
        env["headers_raw"] = headers_raw = tuple(
            (k, v.strip(" \t\n\r")) for k, v in headers._headers
        )
        for name, value in headers_raw:
            key = self.formalize_key_naming(name)
            if not key or key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                continue
            key = "HTTP_" + key
            if key in env:
                env[key] += "," + value
            else:
                env[key] = value
        if env.get("HTTP_EXPECT", "").lower() == "100-continue":
            wfile, wfile_line = self.wfile, b"HTTP/1.1 100 Continue\r\n"
        else:
            wfile, wfile_line = None, None
        chunked = env.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked"
        if not chunked and length is None:
            length = "0"
        env["wsgi.input"] = env["eventlet.input"] = eventlet.wsgi.Input(
            self.rfile,
            length,
            self.connection,
            wfile=wfile,
            wfile_line=wfile_line,
            chunked_input=chunked,
        )
        env["eventlet.posthooks"] = []
        env["eventlet.set_idle"] = self._set_idle
        return env

    def _set_idle(self) -> None:
        """The environ's ``eventlet.set_idle`` (for WebSocketWSGI), as eventlet's."""
        self.conn_state[2] = eventlet.wsgi.STATE_IDLE

    def handle_one_response(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        self.table.serving(self.connection)
        self.environ["wsgi.input"] = DeadlineInput(
            self.environ["wsgi.input"],
            self.connection,
            time.monotonic() + self.limits.body_timeout,
            self.server.socket_timeout,
            self._close_after_response,
        )
        # PERF: eventlet formats the access line (its address, time, the format)
        # before its logger drops it below INFO (``verbose = False``, the default):
        # read per response, so a change of level counts from the next.
        enabled = getattr(self.server.log, "isEnabledFor", None)
        self.server.log_output = enabled is None or enabled(logging.INFO)
        tokens = []

        def bind(environ: dict[str, Any]) -> None:
            tokens.append(log.REQUEST_ID.set(environ.get("quantum.request_id", "-")))

        if self.server.log_output:
            self.environ["eventlet.posthooks"].append((bind, (), {}))
        if self.capitalize_response_headers:
            self.application = self._capitalizing
        try:
            super().handle_one_response()
        finally:
            for token in tokens:
                log.REQUEST_ID.reset(token)

    def _capitalizing(
        self, environ: dict[str, Any], start_response: Any
    ) -> Iterable[bytes]:
        """The server's app, its response headers' names ``capitalized`` here and
        not again by eventlet (whose own answers, its 500, it still capitalizes)."""

        def start(status: str, headers: Any, exc_info: Any = None) -> Any:
            named = [(capitalized(name), value) for name, value in headers]
            self.capitalize_response_headers = False
            try:
                return start_response(status, named, exc_info)
            finally:
                self.capitalize_response_headers = True

        return self.server.app(environ, start)  # type: ignore[no-any-return]

    def log_date_time_string(self) -> str:
        """The access line's time, as the standard library's (``per_second``)."""
        return _access_time(time.time())

    def _close_after_response(self) -> None:
        self.close_connection = 1

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.table.closed(self.connection)


def protocol_for(table: ConnectionTable, limits: ClientLimits) -> type[Protocol]:
    """The protocol class eventlet instantiates per connection, bound to ``table``."""
    return type("BoundProtocol", (Protocol,), {"table": table, "limits": limits})
