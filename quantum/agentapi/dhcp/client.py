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

    def desired_state(self) -> msg.DhcpState:
        """What this host's DHCP agent serves (the server makes its DHCP ports)."""
        body = self.call("POST", "/state", msg.StateRequest().to_json())
        return msg.DhcpState.from_json(body)
