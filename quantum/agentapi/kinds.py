# SPDX-License-Identifier: Apache-2.0
"""The agent API's table of agent kinds: ``/agent/v1/{name}/...`` routes to the
kind of that name. A new kind (DHCP, L3) adds its package (``messages``, ``client``,
``routes``, like ``quantum.agentapi.ovs``) and one row here."""

from __future__ import annotations

from collections.abc import Mapping

from quantum.agentapi.dhcp import routes as dhcp
from quantum.agentapi.kind import Kind
from quantum.agentapi.l3 import routes as l3
from quantum.agentapi.ovs import routes as ovs

KINDS: Mapping[str, Kind] = {kind.name: kind for kind in (ovs.KIND, dhcp.KIND, l3.KIND)}

LEGACY = ovs.KIND
"""The kind of the unprefixed routes (``/agent/v1/hosts/...``): the OVS agent's
routes of the first release, kept for its agents during an upgrade."""
