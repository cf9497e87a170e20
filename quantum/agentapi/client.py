# SPDX-License-Identifier: Apache-2.0
"""The agent side of the agent API: one keep-alive HTTP connection to the server.

``AgentClient`` is what every kind shares (the wire, the change feed); a kind's calls
are a subclass in its module (``quantum.agentapi.ovs.client.OvsClient``).
Plain ``http.client``; one client per agent thread (a connection is not
shared between threads). Every call either returns a message or raises
``AgentApiError``; a broken connection is reopened once on the next call, and a
request that failed on the wire is never silently retried (the caller's loop does
a full resync instead).
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from quantum.agentapi import messages as msg

PREFIX = "/agent/v1"
SECRET_HEADER = msg.SECRET_HEADER


class AgentApiError(Exception):
    """The server could not be reached or refused the request.

    ``status`` is the HTTP status, or ``None`` when no answer came back.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AgentClient:
    """Calls the agent API of ``url`` (e.g. ``http://controller:9696``) for ``host``,
    as an agent of ``KIND`` (the routes under ``/agent/v1/{KIND}``).

    ``timeout`` bounds connecting and every read; a long-poll adds its wait to it.
    """

    KIND = ""
    """The kind's name in the agent API's table (``quantum.agentapi.kinds``)."""

    def __init__(
        self, url: str, *, host: str, secret: str, timeout: float = 10.0
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL")
        self.scheme = parts.scheme
        self.netloc = parts.netloc
        self.root = parts.path.rstrip("/") + PREFIX
        self.base = f"{self.root}/{self.KIND}" if self.KIND else self.root
        self.host = host
        self.secret = secret
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    # -- calls ----------------------------------------------------------------------

    def changes(self, since: int, wait: float = 0.0) -> int:
        """The revision once it is greater than ``since``, or after ``wait`` s: of
        what the kind follows (its topics), or of everything for a bare client."""
        path = f"{self.base}/changes?since={since}&wait={wait:g}"
        body = self._call("GET", path, None, extra_timeout=wait)
        return msg.Revision.from_json(body).revision

    def wait_for_ports(
        self, port_ids: Iterable[str], until: str = "UP", wait: float = 0.0
    ) -> dict[str, str]:
        """Port id -> status (``UP``/``DOWN``...) of the ports that exist, once all
        are ``until`` or one is gone, or after ``wait`` s (``GET /ports``)."""
        query = urlencode(
            [("id", p) for p in port_ids] + [("until", until), ("wait", f"{wait:g}")]
        )
        body = self._call("GET", f"{self.root}/ports?{query}", None, extra_timeout=wait)
        try:
            return {str(p["port_id"]): str(p["status"]) for p in body["ports"]}
        except (KeyError, TypeError) as error:
            raise AgentApiError(f"GET ports: unexpected answer {body!r}") from error

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # -- wire -----------------------------------------------------------------------

    def _host_path(self, suffix: str) -> str:
        return f"{self.base}/hosts/{quote(self.host, safe='')}{suffix}"

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self._conn is None:
            kind = (
                http.client.HTTPSConnection
                if self.scheme == "https"
                else http.client.HTTPConnection
            )
            self._conn = kind(self.netloc, timeout=timeout)
        self._conn.timeout = timeout
        if self._conn.sock is not None:
            self._conn.sock.settimeout(timeout)
        return self._conn

    def call(self, method: str, suffix: str, payload: msg.Json | None) -> Any:
        """``method`` on this host's route ``suffix`` ("" registers); the JSON
        answer, ``None`` for 204."""
        return self._call(method, self._host_path(suffix), payload)

    def _call(
        self,
        method: str,
        path: str,
        payload: msg.Json | None,
        *,
        extra_timeout: float = 0.0,
    ) -> Any:
        headers = {msg.SECRET_HEADER: self.secret, "Accept": "application/json"}
        data = None
        if payload is not None:
            data = json.dumps(payload).encode()
            headers["Content-Type"] = "application/json"
        conn = self._connection(self.timeout + extra_timeout)
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            raise AgentApiError(f"{method} {path}: {error}") from error
        if response.will_close:
            self.close()
        if response.status == 204:
            return None
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        if response.status != 200:
            reason = body.get("error") if isinstance(body, dict) else None
            raise AgentApiError(
                f"{method} {path}: {response.status} {reason or response.reason}",
                response.status,
            )
        return body
