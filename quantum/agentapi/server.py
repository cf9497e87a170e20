# SPDX-License-Identifier: Apache-2.0
"""The agent API: the WSGI app mounted at ``/agent/v1``, and its shared-secret filter.

Routes, by agent kind from the table ``quantum.agentapi.kinds.KINDS`` (JSON only):

* ``POST /{kind}/hosts/{host}[/{action}]``: the kind's host routes (its module
  ``quantum.agentapi.{kind}.routes`` documents them; its bodies are
  ``quantum.agentapi.{kind}.messages``). The first release's ``/hosts/...``
  (no kind) are the OVS agent's.
* ``GET /{kind}/changes?since=N&wait=S``: -> ``Revision``, the revision of the last
  write to one of the kind's topics (``Kind.topics``), at once when it is greater
  than N, else after it grows or S seconds (cut to ``agent_max_wait``).
  ``GET /changes`` (no kind) follows every write (the store revision), or the
  topics named by ``&topics=ports,subnets``.
* ``GET /ports?id=P&id=Q&until=UP&wait=S``: -> ``{"ports": [{"port_id", "status"}]}``
  (the ports that exist), at once when every one is ``until`` (UP or DOWN) or one is
  gone, else when that happens or after S seconds (cut to ``agent_max_wait``). The
  compute service's wait for its ports (``quantum.compute.network``): the event a
  status report raises, not a polling loop.

The revision lives in the store, so any server process behind one address answers
the feed alike: a long-poll ends at once on a write committed in its own process or
a sibling worker of its server (``quantum.wakeups``), and sees one through another
server within ``quantum.db.session.REVISION_POLL``.
Errors are ``{"error": "..."}`` with 400, 401, 403, 404, 405, 413 or 503; an error
raised below gets its family's status from the error registry (``quantum.api.faults``).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import unquote

from webob import Request, Response

from quantum.agentapi import messages as msg
from quantum.agentapi.kind import Handler, Kind
from quantum.agentapi.kinds import KINDS, LEGACY
from quantum.api.faults import Dialect, payload
from quantum.core import exceptions as exc
from quantum.core.agents import HOST_MAX
from quantum.core.feed import ALL_TOPICS, Topic
from quantum.core.status import OpStatus
from quantum.core.text import first_unstorable, storable
from quantum.plugins.interface import AgentStateSource

LOG = logging.getLogger(__name__)

WsgiApp = Callable[[dict[str, Any], Any], Iterable[bytes]]

SECRET_HEADER = msg.SECRET_HEADER

__all__ = ["SECRET_HEADER", "AgentApi", "AgentSecretFilter"]
MAX_WAITED_PORTS = 100
"""Ports one ``GET /ports`` long-poll may wait for (one instance's NICs)."""


def _error(status: int, message: str) -> Response:
    response = Response(status=status, json_body={"error": message})
    response.content_type = "application/json"
    return response


def fault(error: exc.QuantumError) -> Response:
    """The agent API's fault of ``error``, as the error registry resolves it."""
    found = payload(error, Dialect.AGENT)
    response = Response(status=found.status, json_body=found.body)
    response.content_type = "application/json"
    return response


def _ok(body: msg.Json) -> Response:
    response = Response(status=200, json_body=body)
    response.content_type = "application/json"
    return response


class AgentSecretFilter:
    """Lets through only requests carrying the configured shared secret.

    No secret configured: every request is refused (403), so an agent API is never
    open by omission. Wrong or missing secret: 401.
    """

    def __init__(self, app: WsgiApp, secret: str, *, served: bool = True) -> None:
        """``served``: whether the plugin serves the agent API at all; when it does
        not (every route answers 404), an unset secret is worth no warning."""
        self.app = app
        self.secret = secret.encode()
        if not secret and served:
            LOG.warning(
                "agent_secret is not set in quantum.conf: the agent API (/agent/v1) "
                "refuses every request"
            )

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if not self.secret:
            LOG.warning("agent API request refused: agent_secret is not configured")
            response = _error(403, "The agent API is disabled: no agent_secret set.")
            return response(environ, start_response)  # type: ignore[no-any-return]
        given = Request(environ).headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self.secret):
            response = _error(401, f"Missing or wrong {SECRET_HEADER}.")
            response.headers["WWW-Authenticate"] = "QuantumAgentSecret"
            return response(environ, start_response)  # type: ignore[no-any-return]
        return self.app(environ, start_response)


class AgentApi:
    """The routes of ``/agent/v1`` over a plugin that can serve them.

    ``source`` is ``None`` under a plugin without segments: every route is 404.
    ``services``: every service by name, for the kinds served by a service
    plugin's (``Kind.service``).
    """

    def __init__(
        self,
        source: AgentStateSource | None,
        *,
        max_wait: float,
        max_body: int,
        services: Mapping[str, object] | None = None,
    ) -> None:
        self.source = source
        self.services: Mapping[str, object] = dict(services or {})
        self.max_wait = max_wait
        self.max_body = max_body
        self._bound: dict[str, Mapping[str, Handler]] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        try:
            response = self._dispatch(request)
        except exc.QuantumError as error:
            response = fault(error)
        return response(environ, start_response)  # type: ignore[no-any-return]

    def _dispatch(self, request: Request) -> Response:
        if self.source is None:
            return _error(404, "The core plugin does not serve the agent API.")
        source = self.source
        parts = [unquote(p) for p in request.path_info.strip("/").split("/")]
        kind = LEGACY
        topics: frozenset[Topic] | None = None  # NOTE: no kind named: every write
        named = bool(parts) and parts[0] in KINDS
        if named:
            kind = KINDS[parts[0]]
            topics = kind.topics
            parts = parts[1:]
        if parts == ["ports"] and not named:  # NOTE: the compute service's
            if request.method != "GET":
                return _error(405, "Use GET.")
            return self._ports(source, request)
        if parts == ["changes"]:
            if request.method != "GET":
                return _error(405, "Use GET.")
            return self._changes(source, request, topics)
        if len(parts) in (2, 3) and parts[0] == "hosts":
            host = parts[1]
            action = parts[2] if len(parts) == 3 else ""
            handler = self._routes(kind).get(action)
            if handler is None:
                return _error(404, "No such resource.")
            if request.method != "POST":
                return _error(405, "Use POST.")
            if not 0 < len(host) <= HOST_MAX or not storable(host):
                return _error(400, f"A host name has 1 to {HOST_MAX} characters.")
            answer = handler(host, self._body(request))
            return Response(status=204) if answer is None else _ok(answer)
        return _error(404, "No such resource.")

    def _routes(self, kind: Kind) -> Mapping[str, Handler]:
        routes = self._bound.get(kind.name)
        if routes is None:
            target = (
                self.source if kind.service is None else self.services.get(kind.service)
            )
            routes = kind.routes(target) or {}
            self._bound[kind.name] = routes
        return routes

    def _body(self, request: Request) -> Any:
        if (request.content_length or 0) > self.max_body:
            raise exc.BodyTooLarge(limit=self.max_body)
        raw = request.body_file.read(self.max_body + 1)
        if len(raw) > self.max_body:
            raise exc.BodyTooLarge(limit=self.max_body)
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise msg.MessageError("the body is not JSON") from None
        # NOTE: the agent API's one check of the store's text rule: nothing a
        # message carries reaches the store unless every back-end can keep it.
        bad = first_unstorable(body)
        if bad is not None:
            raise msg.MessageError(f"the body contains {bad}")
        return body

    def _ports(self, source: AgentStateSource, request: Request) -> Response:
        ids = request.GET.getall("id")
        if not 0 < len(ids) <= MAX_WAITED_PORTS:
            raise msg.MessageError(f"give 1 to {MAX_WAITED_PORTS} 'id' parameters")
        if not all(0 < len(i) <= 255 and storable(i) for i in ids):
            raise msg.MessageError("a port id has 1 to 255 characters")
        try:
            until = OpStatus(request.GET.get("until", OpStatus.UP.value))
            wait = float(request.GET.get("wait", "0"))
        except ValueError:
            raise msg.MessageError(
                "'until' must be UP or DOWN and 'wait' a number"
            ) from None
        if until not in (OpStatus.UP, OpStatus.DOWN) or not 0 <= wait < float("inf"):
            raise msg.MessageError("'until' must be UP or DOWN, 'wait' not negative")
        found = source.wait_for_port_status(ids, until, min(wait, self.max_wait))
        return _ok(
            {"ports": [{"port_id": i, "status": found[i].value} for i in sorted(found)]}
        )

    def _changes(
        self,
        source: AgentStateSource,
        request: Request,
        topics: frozenset[Topic] | None,
    ) -> Response:
        try:
            since = int(request.GET.get("since", "0"))
            wait = float(request.GET.get("wait", "0"))
        except ValueError:
            raise msg.MessageError("'since' and 'wait' must be numbers") from None
        if since < 0 or not 0 <= wait < float("inf"):
            raise msg.MessageError("'since' and 'wait' must not be negative")
        named = request.GET.get("topics")
        if named is not None:
            try:
                topics = frozenset(Topic(t) for t in named.split(","))
            except ValueError:
                known = ", ".join(sorted(ALL_TOPICS))
                raise msg.MessageError(f"'topics' are some of {known}") from None
        rev = source.wait_for_revision(since, min(wait, self.max_wait), topics)
        return _ok(msg.Revision(revision=rev).to_json())
