# SPDX-License-Identifier: Apache-2.0
"""The L3 agent's calls of the agent API (``/agent/v1/l3/...``)."""

from __future__ import annotations

from collections.abc import Iterable

from quantum.agentapi.client import AgentClient
from quantum.agentapi.l3 import messages as msg


class L3Client(AgentClient):
    KIND = "l3"

    def register(self, report: msg.L3Report) -> int:
        """Register (or heartbeat) this host's L3 agent; returns the revision."""
        return msg.Revision.from_json(self.call("POST", "", report.to_json())).revision

    def routers(self, router_ids: Iterable[str] | None = None) -> msg.RouterSet:
        """The routers scheduled to this host's L3 agent (or those of them named)."""
        request = msg.RoutersRequest(
            router_ids=None if router_ids is None else tuple(router_ids)
        )
        return msg.RouterSet.from_json(self.call("POST", "/state", request.to_json()))
