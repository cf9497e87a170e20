# SPDX-License-Identifier: Apache-2.0
"""Paste factories of the agent API (``etc/api-paste.ini``: ``agent_api`` and
``agent_secret``).

They live beside the agent API, not in ``quantum.api.app``, so that the
dependency runs one way: the agent API uses the API layer's service and error
registry; the API layer never imports the agent API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from quantum.agentapi.server import AgentApi, AgentSecretFilter, WsgiApp
from quantum.api.app import service_for
from quantum.plugins.interface import AgentStateSource

LOG = logging.getLogger(__name__)


def agent_api_factory(global_conf: Mapping[str, Any], **local: str) -> WsgiApp:
    """``/agent/v1``: served only by a plugin with segments (else every route 404s)."""
    service = service_for(global_conf)
    plugin = service.plugin
    source = plugin if isinstance(plugin, AgentStateSource) else None
    if source is None:
        LOG.info(
            "core_plugin %s does not serve the agent API", service.settings.core_plugin
        )
    return AgentApi(
        source,
        max_wait=service.settings.agent_max_wait,
        max_body=service.settings.max_request_body_size,
        services=service.services,
    )


def agent_secret_factory(
    global_conf: Mapping[str, Any], **local: str
) -> Callable[[WsgiApp], WsgiApp]:
    service = service_for(global_conf)
    secret = service.settings.agent_secret
    served = isinstance(service.plugin, AgentStateSource)
    return lambda app: AgentSecretFilter(app, secret, served=served)
