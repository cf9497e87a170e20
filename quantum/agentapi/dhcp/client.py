# SPDX-License-Identifier: Apache-2.0
"""The DHCP agent's calls of the agent API (``/agent/v1/dhcp/...``)."""

from __future__ import annotations

from quantum.agentapi.client import AgentClient
from quantum.agentapi.dhcp import messages as msg


class DhcpClient(AgentClient):
    KIND = "dhcp"

    def register(self, report: msg.AgentReport) -> int:
        """Register (or heartbeat) this host's DHCP agent; the current revision."""
        return msg.Revision.from_json(self.call("POST", "", report.to_json())).revision
