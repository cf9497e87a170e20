# SPDX-License-Identifier: Apache-2.0
"""The DHCP agent's calls of the agent API (``/agent/v1/dhcp/...``)."""

from __future__ import annotations

from collections.abc import Sequence

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

    def report_provisioned(self, port_ids: Sequence[str]) -> None:
        """Tell the server these ports' host entries are in dnsmasq."""
        for start in range(0, len(port_ids), msg.PROVISIONED_MAX):
            report = msg.ProvisionedReport(
                ports=tuple(port_ids[start : start + msg.PROVISIONED_MAX])
            )
            self.call("POST", "/provisioned", report.to_json())

    def report_leases(self, leases: Sequence[msg.LeaseInfo]) -> None:
        """Tell the server the leases dnsmasq recorded (new or later ones)."""
        for start in range(0, len(leases), msg.LEASES_MAX):
            report = msg.LeaseReport(
                leases=tuple(leases[start : start + msg.LEASES_MAX])
            )
            self.call("POST", "/leases", report.to_json())
