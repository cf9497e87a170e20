# SPDX-License-Identifier: Apache-2.0
"""An agent kind as the agent API serves it: its name in the URL, what
``/v2.0/agents`` calls it, and its host routes over the core plugin."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from quantum.agentapi.messages import Json
from quantum.core.feed import Topic

Handler = Callable[[str, Any], Json | None]
"""A host route: ``(host, JSON body) -> JSON answer`` (``None``: 204 No Content).
Raises ``MessageError`` (400) for a body of the wrong shape."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Kind:
    """One row of the agent API's table (``quantum.agentapi.kinds.KINDS``).

    ``routes(plugin)``: the host routes by action (``""`` is the registration and
    heartbeat, ``POST /agent/v1/{name}/hosts/{host}``; ``"state"`` is
    ``POST .../hosts/{host}/state``, ...), or ``None`` when the core plugin cannot
    serve this kind (its routes then answer 404). ``topics``: what its agents are
    told about; a write to none of them does not wake them
    (``GET /agent/v1/{name}/changes``). ``service``: the name of the service (a
    service plugin's, ``Service.services``) that ``routes`` is given instead of
    the core plugin (None: the core plugin); a kind whose service is not loaded
    answers 404.
    """

    name: str
    agent_type: str
    binary: str
    topics: frozenset[Topic]
    routes: Callable[[object], Mapping[str, Handler] | None]
    service: str | None = None
