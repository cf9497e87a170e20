# SPDX-License-Identifier: Apache-2.0
"""The OVS agent's calls of the agent API (``/agent/v1/ovs/...``)."""

from __future__ import annotations

from collections.abc import Iterable

from quantum.agentapi.client import AgentClient
from quantum.agentapi.ovs import messages as msg
from quantum.core.agents import PortCounters


class OvsClient(AgentClient):
    KIND = "ovs"

    def register(self, report: msg.HostReport) -> int:
        """Register (or heartbeat) this host; returns the current revision."""
        return msg.Revision.from_json(self.call("POST", "", report.to_json())).revision

    def desired_state(self, iface_ids: Iterable[str]) -> msg.HostState:
        """The desired state of this host, for the interface ids it sees."""
        request = msg.StateRequest(iface_ids=tuple(iface_ids))
        return msg.HostState.from_json(self.call("POST", "/state", request.to_json()))

    def report_status(self, ports: Iterable[msg.PortStatus]) -> None:
        report = msg.StatusReport(ports=tuple(ports))
        self.call("POST", "/status", report.to_json())

    def report_counters(self, ports: Iterable[PortCounters]) -> None:
        report = msg.CountersReport(ports=tuple(ports))
        self.call("POST", "/counters", report.to_json())
