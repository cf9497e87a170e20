# SPDX-License-Identifier: Apache-2.0
"""The DHCP agent's messages (``/agent/v1/dhcp/...``): frozen values, and their JSON
shapes. The shared checks, ``MessageError`` and ``Revision`` are in
``quantum.agentapi.messages``. Shapes:

* ``AgentReport`` (POST /dhcp/hosts/{host}): ``{"agent_version": "1.0",
  "configurations": {...}}``, the registration and heartbeat; ``configurations``
  is what ``/v2.0/agents`` shows (the DHCP agent sends ``networks``, ``subnets``,
  ``ports``, ``dhcp_lease_time``, ``dhcp_driver``, ``use_namespaces``).
* ``Revision`` (its answer): ``{"revision": 7}``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from quantum.agentapi.messages import Json, MessageError, Revision, field

__all__ = ["AgentReport", "Json", "MessageError", "Revision"]

CONFIGURATIONS_MAX = 4096
"""Longest ``configurations`` of a report, as JSON."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AgentReport:
    """A DHCP agent's registration and heartbeat."""

    agent_version: str = ""
    configurations: Mapping[str, Any] = dataclass_field(default_factory=dict)

    def to_json(self) -> Json:
        return {
            "agent_version": self.agent_version,
            "configurations": dict(self.configurations),
        }

    @classmethod
    def from_json(cls, body: Mapping[str, Any]) -> AgentReport:
        version = field(body, "agent_version", str)
        if len(version) > 64:
            raise MessageError("'agent_version' is longer than 64")
        configurations: Mapping[str, Any] = {}
        if "configurations" in body:
            configurations = field(body, "configurations", Mapping)
            if len(json.dumps(configurations)) > CONFIGURATIONS_MAX:
                raise MessageError(
                    f"'configurations' is longer than {CONFIGURATIONS_MAX} as JSON"
                )
        return cls(agent_version=version, configurations=dict(configurations))
